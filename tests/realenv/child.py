"""What accelprobe says, run in a child of the venv's interpreter.

``fresh``: import accelprobe and print one report. ``serve``: a long-running process that
stays alive across pip steps, reading commands from stdin — ``refresh`` (call
``accelprobe.refresh()`` and report), ``import NAME`` (import a module, as a program using it
would) — and answering each with one line that starts with ``MARK``.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

MARK = "@@realenv "
ACCELERATORS = ("ov", "ort", "ipex")
MODULES = ("onnxruntime", "openvino", "intel_extension_for_pytorch")


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
        name: str(getattr(sys.modules[name], "__version__", None))
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
            module = importlib.import_module(argument)
            answer({"imported": argument, "version": str(getattr(module, "__version__", None))})
        else:
            answer({"error": f"unknown command {line!r}"})


def main() -> None:
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        import accelprobe

        answer(report(accelprobe.all_backends()))


if __name__ == "__main__":
    main()
