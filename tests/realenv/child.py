"""What accelprobe says, run in a child of the venv's interpreter.

``fresh``: import accelprobe and print one report (``fresh NAME`` imports the module NAME
first, as a program that loads its runtime before asking would). ``serve``: a long-running
process that stays alive across pip steps, reading commands from stdin — ``refresh`` (call
``accelprobe.refresh()`` and report), ``import NAME`` (import a module, as a program using it
would) — and answering each with one line that starts with ``MARK``.

Each loaded runtime is reported with its ``__version__`` and whether its ``__file__`` still
holds the bytes it was imported from (``same``): false once pip replaced or removed it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from typing import Any

MARK = "@@realenv "
ACCELERATORS = ("ov", "ort", "ipex")
MODULES = ("onnxruntime", "openvino", "intel_extension_for_pytorch")
IMPORTED: dict[str, str | None] = {}  # module -> the digest of its __file__ when imported


def digest(module: object) -> str | None:
    """The sha256 of the module's ``__file__`` as it is on disk now; None when it is gone."""
    try:
        with open(str(getattr(module, "__file__", None)), "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None


def load(name: str) -> Any:
    module = importlib.import_module(name)
    IMPORTED[name] = digest(module)
    return module


def report(infos: tuple[Any, ...]) -> dict[str, Any]:
    import accelprobe

    detection = getattr(accelprobe.backends, "detection", None)
    backends: dict[str, Any] = {}
    for info in infos:
        found = detection(info.name) if detection is not None else None
        backends[info.name] = {
            "available": info.available,
            "distribution": info.distribution,
            "version": info.version,
            "conflicts": list(info.conflicts),
            "location": info.location,
            "reason": info.reason,
            "status": getattr(found, "status", None),
            "hidden": [str(name) for name in getattr(found, "hidden", None) or ()],
            "loaded_version": getattr(found, "loaded_version", None),
            "remedy": getattr(found, "remedy", None),
        }
    select = {name or "default": choose(name) for name in (*ACCELERATORS, None)}
    loaded = {
        name: {
            "version": str(getattr(sys.modules[name], "__version__", None)),
            "same": IMPORTED.get(name) is not None
            and digest(sys.modules[name]) == IMPORTED.get(name),
        }
        for name in MODULES
        if name in sys.modules
    }
    return {
        "backends": backends,
        "ready": list(accelprobe.available_accelerators()),
        "runtimes": list(accelprobe.available_accelerators(require_optimum=False)),
        "select": select,
        "loaded": loaded,
    }


def choose(name: str | None) -> str:
    """What ``select_accelerator(name)`` answers: the choice, or its error."""
    import accelprobe

    try:
        return "ok:" + accelprobe.select_accelerator(name)
    except (ImportError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def answer(result: object) -> None:
    sys.stdout.write(MARK + json.dumps(result, default=repr) + "\n")
    sys.stdout.flush()


def serve() -> None:
    import accelprobe

    answer({"started": accelprobe.__version__})
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "refresh":
            answer(report(accelprobe.refresh()))
        elif command == "import":
            module = load(argument)
            answer({"imported": argument, "version": str(getattr(module, "__version__", None))})
        else:
            answer({"error": f"unknown command {line!r}"})


def main() -> None:
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        for name in sys.argv[2:]:  # fresh NAME: the runtime is loaded before accelprobe
            load(name)
        import accelprobe

        answer(report(accelprobe.all_backends()))


if __name__ == "__main__":
    main()
