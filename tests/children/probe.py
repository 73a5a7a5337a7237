"""What tests/test_probe.py runs in the child: probes of the fake runtimes (tests/runtimes.py)."""

from __future__ import annotations

import sys
from typing import Any


def probe_all(result: dict[str, Any], *, verify: bool, isolated: bool, timeout: float) -> None:
    """Each runtime's probe, as ``probes``."""
    import dataclasses

    from accelprobe import probe

    result["probes"] = {
        name: dataclasses.asdict(
            probe.probe(name, verify=verify, isolated=isolated, timeout=timeout)
        )
        for name in ("onnxruntime", "openvino", "ipex")
    }


def probe_isolated(result: dict[str, Any], *, timeout: float) -> None:
    """onnxruntime's probe in a child, as ``found``."""
    import dataclasses

    from accelprobe import probe

    found = probe.probe("onnxruntime", isolated=True, timeout=timeout)
    result["found"] = dataclasses.asdict(found)


def unstartable(result: dict[str, Any], *, how: str) -> None:
    """The reason of an isolated probe whose child cannot start, as ``reason``.

    ``how``: ``no-interpreter``, ``none`` or ``nul`` (sys.executable a missing path, None,
    or a path with a NUL) or ``no-temporary-folder`` (tempfile's folder missing).
    """
    import tempfile

    from accelprobe import probe

    if how == "no-interpreter":
        sys.executable = "/nonexistent/python"
    elif how == "none":
        sys.executable = None  # type: ignore[assignment]
    elif how == "nul":
        sys.executable = "python\0"
    else:
        assert how == "no-temporary-folder", how
        tempfile.tempdir = "/nonexistent/tmp"
    result["reason"] = probe.probe("ort", isolated=True).reason


def without_stdout(result: dict[str, Any]) -> None:
    """An in-process probe with no sys.stdout (as under pythonw): is there none after it?"""
    from accelprobe import probe

    saved, sys.stdout = sys.stdout, None
    found = probe.probe("ort", verify=True)
    result["none"] = sys.stdout is None
    sys.stdout = saved
    result["ok"] = found.ok
    result["cuda"] = found.devices[1].detail


def select_cases(result: dict[str, Any], *, cases: list[dict[str, Any]]) -> None:
    """``select_accelerator(**case)`` for each case: its choice or its error, as ``cases``."""
    import accelprobe

    def attempt(**kwargs: Any) -> str:
        try:
            return accelprobe.select_accelerator(**kwargs)
        except (ImportError, ValueError) as error:
            return f"{type(error).__name__}: {error}"

    result["cases"] = [attempt(**kwargs) for kwargs in cases]


def probe_after_refresh(result: dict[str, Any]) -> None:
    """Whether refresh() forgets a probe's result, as ``new``."""
    import accelprobe
    from accelprobe import probe

    first = probe.probe("onnxruntime")
    accelprobe.refresh()
    result["new"] = probe.probe("onnxruntime") is not first


def refresh(_result: dict[str, Any]) -> None:
    import accelprobe

    accelprobe.refresh()


def probe_where_no_child_starts(result: dict[str, Any], *, folder: str) -> None:
    """``probe("ort", isolated=True)`` where no process can start, as ``reason`` and ``how``.

    In a subinterpreter where the interpreter offers one that refuses ``subprocess``
    (``_xxsubinterpreters``, 3.9 to 3.11: ``RuntimeError``), ``how`` is ``subinterpreter``;
    elsewhere (3.12's and 3.13's may start processes, PyPy has none) ``subprocess.Popen``
    raises as it does there, and ``how`` is ``patched``.
    """
    import importlib
    import json
    import os

    starts_processes = sys.version_info >= (3, 12)  # its subinterpreters start processes
    try:
        if starts_processes:
            raise ImportError  # noqa: TRY301 - as where there is no _xxsubinterpreters
        interpreters = importlib.import_module("_xxsubinterpreters")
    except ImportError:
        import subprocess

        from accelprobe import probe

        def refuse(*_args: object, **_kwargs: object) -> None:
            msg = "subprocess not supported for isolated subinterpreters"
            raise RuntimeError(msg)

        setattr(subprocess, "Popen", refuse)  # noqa: B010 - what cannot be built here
        result["how"] = "patched"
        result["reason"] = probe.probe("ort", isolated=True).reason
        return
    out = os.path.join(folder, "reason.json")
    code = (
        f"import json, sys\nsys.path[:] = {sys.path!r}\nfrom accelprobe import probe\n"
        "try:\n    said = probe.probe('ort', isolated=True).reason\n"
        "except BaseException as error:\n    said = f'raised {type(error).__name__}: {error}'\n"
        f"with open({out!r}, 'w', encoding='utf-8') as stream:\n    json.dump(said, stream)\n"
    )
    interpreter = interpreters.create()
    try:
        interpreters.run_string(interpreter, code)
    finally:
        interpreters.destroy(interpreter)
    result["how"] = "subinterpreter"
    with open(out, encoding="utf-8") as stream:
        result["reason"] = json.load(stream)


def death_signal(result: dict[str, Any]) -> None:
    """Whether this process could ask to be killed when its parent dies, as ``set``."""
    from accelprobe import _child

    result["set"] = _child._death_signal()
