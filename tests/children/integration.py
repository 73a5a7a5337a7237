"""What tests/test_integration.py runs in the child, against the real backend wheels."""

from __future__ import annotations

from typing import Any


def selected(result: dict[str, Any]) -> None:
    """What ``select_accelerator()`` chose, or its ImportError's message, as ``selected``."""
    import accelprobe

    try:
        result["selected"] = accelprobe.select_accelerator()
    except ImportError as error:
        result["selected"] = str(error)


def probe_real_runtimes(result: dict[str, Any]) -> None:
    """Verified probes of onnxruntime and openvino, in and out of process, and selections."""
    import dataclasses

    import accelprobe
    from accelprobe import probe

    for name in ("onnxruntime", "openvino"):
        for isolated in (False, True):
            found = probe.probe(name, verify=True, isolated=isolated)
            result[f"{name} {isolated}"] = dataclasses.asdict(found)

    def attempt(**kwargs: Any) -> str:
        try:
            return accelprobe.select_accelerator(require_optimum=False, **kwargs)
        except ImportError as error:
            return str(error)

    result["cpu"] = attempt(device="cpu")
    result["cpu ort"] = attempt(device="cpu", candidates=["ort"])
    result["cuda"] = attempt(device="cuda")
