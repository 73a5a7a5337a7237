"""What the installed runtime can really run on: opt-in, never run at import.

Detection says a backend is installed; ``probe()`` imports its runtime and lists the
devices it offers (ONNX Runtime's execution providers, OpenVINO's devices, IPEX's CPU and
XPUs). ``verify=True`` runs a one-operation model (``y = x + x``) on each and reports where
it really ran: a provider that is listed but silently falls back to the CPU says so.
``isolated=True`` does it all in a child process, so a runtime that crashes or hangs costs
a result with a reason, never the caller. Every failure becomes a result, not an exception.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

from accelprobe import backends

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from types import ModuleType
    from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEVICES",
    "DEVICE_WORDS",
    "Device",
    "ProbeResult",
    "device_word",
    "probe",
]

DEFAULT_TIMEOUT = 120.0
"""Seconds an ``isolated`` probe may take before it is stopped (importing torch is slow)."""

DEVICE_WORDS = ("cpu", "gpu", "npu", "cuda", "rocm", "directml", "xpu", "coreml", "qnn")
"""The words ``select_accelerator(device=...)`` accepts."""

DEVICES: dict[str, tuple[str, ...]] = {
    # ONNX Runtime execution providers
    "CPUExecutionProvider": ("cpu",),
    "CUDAExecutionProvider": ("gpu", "cuda"),
    "TensorrtExecutionProvider": ("gpu", "cuda", "tensorrt"),
    "NvTensorRTRTXExecutionProvider": ("gpu", "cuda", "tensorrt"),
    "ROCMExecutionProvider": ("gpu", "rocm"),
    "MIGraphXExecutionProvider": ("gpu", "rocm", "migraphx"),
    "DmlExecutionProvider": ("gpu", "directml"),
    "WebGpuExecutionProvider": ("gpu", "webgpu"),
    "OpenVINOExecutionProvider": ("openvino",),
    "QNNExecutionProvider": ("npu", "qnn"),
    "VitisAIExecutionProvider": ("npu", "vitisai"),
    "CoreMLExecutionProvider": ("coreml",),
    "CANNExecutionProvider": ("npu", "cann"),
    "DnnlExecutionProvider": ("cpu", "dnnl"),
    "ACLExecutionProvider": ("cpu", "acl"),
    "ArmNNExecutionProvider": ("cpu", "armnn"),
    # OpenVINO devices ("GPU.1" counts as "GPU")
    "CPU": ("cpu",),
    "GPU": ("gpu",),
    "NPU": ("npu",),
    # IPEX (torch) devices ("xpu:1" counts as "xpu")
    "cpu": ("cpu",),
    "xpu": ("gpu", "xpu"),
}
"""Which device words each provider or device name answers to (see the README's table)."""

_RUNTIMES = ("openvino", "onnxruntime", "ipex")
_MARK = "accelprobe-probe-result:"
# (key, verify, isolated) -> (the detection it was made under, the result); refresh()
# replaces detections, so a result made before it is never returned after it.
_results: dict[tuple[str, bool, bool], tuple[backends.Detection, ProbeResult]] = {}


@dataclasses.dataclass(frozen=True)
class Device:
    """One device or execution provider that a runtime offers."""

    name: str
    """As the runtime names it: ``CUDAExecutionProvider``, ``GPU.0``, ``xpu:0``."""
    words: tuple[str, ...]
    """The device words it answers to in ``select_accelerator(device=...)``."""
    description: str
    """The runtime's full name for it (OpenVINO's ``FULL_DEVICE_NAME``), or ``''``."""
    ran: bool | None
    """With ``verify``: whether the test model really ran there; otherwise None."""
    detail: str
    """With ``verify``: where it ran, or the runtime's own message when it did not."""


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What ``probe()`` found for one runtime."""

    name: str
    """The backend key: ``openvino``, ``onnxruntime`` or ``ipex``."""
    ok: bool
    """Whether the runtime imported and listed its devices."""
    version: str | None
    """The version the imported runtime reports."""
    devices: tuple[Device, ...]
    """What it offers, in its own order."""
    reason: str
    """One sentence: what was found, or why nothing was."""
    verified: bool
    """Whether the test model was run on each device."""
    isolated: bool
    """Whether the probe ran in a child process."""

    def shows(self, word: str) -> bool:
        """Whether a device answers to ``word`` (and, when verified, really ran)."""
        return any(word in device.words and device.ran is not False for device in self.devices)

    def explain(self, word: str) -> str:
        """What this result shows instead of a working ``word`` device, for an error message."""
        failed = [device for device in self.devices if word in device.words]
        if not failed:  # the reason says what the runtime offers, or why it offers nothing
            return self.reason
        return "; ".join(f"{device.name} did not run: {device.detail}" for device in failed)


def _words(name: str) -> tuple[str, ...]:
    return DEVICES.get(name) or DEVICES.get(name.split(".", 1)[0].split(":", 1)[0], ())


# --- the runtimes, probed in this process --------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:  # noqa: PLR2004 - seven bits a byte
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: a varint, or a length-delimited string or message."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _add_model() -> bytes:
    """An ONNX model computing ``y = x + x`` for one float, encoded by hand: no ``onnx``."""
    tensor = _field(1, _field(1, 1) + _field(2, _field(1, _field(1, 1))))  # float, shape [1]
    x = _field(1, "x") + _field(2, tensor)
    y = _field(1, "y") + _field(2, tensor)
    node = _field(1, "x") + _field(1, "x") + _field(2, "y") + _field(3, "add") + _field(4, "Add")
    graph = _field(1, node) + _field(2, "accelprobe") + _field(11, x) + _field(12, y)
    return _field(1, 7) + _field(7, graph) + _field(8, _field(2, 13))  # IR 7, opset 13


def _checked(value: float) -> str:
    return "" if value == 3.0 else f"computed {value} instead of 3.0"  # noqa: PLR2004


def _run_onnxruntime(onnxruntime: ModuleType, provider: str) -> tuple[bool, str]:
    """Run the model with only ``provider``; its profile says which provider ran the node."""
    import contextlib
    import io
    import tempfile
    import warnings

    import numpy as np

    options = onnxruntime.SessionOptions()
    options.enable_profiling = True
    printed = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        options.profile_file_prefix = os.path.join(folder, "accelprobe")
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed):
            warnings.simplefilter("always")
            session = onnxruntime.InferenceSession(
                _add_model(), sess_options=options, providers=[provider]
            )
            output = session.run(None, {"x": np.array([1.5], dtype=np.float32)})
            with open(session.end_profiling(), encoding="utf-8") as stream:
                events = json.load(stream)
    used = sorted(
        {
            event["args"]["provider"]
            for event in events
            if event.get("cat") == "Node" and "provider" in event.get("args", {})
        }
    )
    wrong = _checked(float(output[0][0]))
    if wrong:
        return False, wrong
    if used == [provider]:
        return True, f"ran on {provider}"
    said = " ".join([str(warning.message) for warning in caught] + [printed.getvalue()])
    fell = f"fell back to {', '.join(used) or 'an unknown provider'}"
    return False, f"{fell}: {' '.join(said.split())}" if said.strip() else fell


def _probe_onnxruntime(verify: bool) -> tuple[str | None, list[dict[str, Any]]]:
    import onnxruntime

    devices = []
    for provider in onnxruntime.get_available_providers():
        ran, detail = _attempt(_run_onnxruntime, onnxruntime, provider) if verify else (None, "")
        devices.append(_device(provider, "", ran, detail))
    return getattr(onnxruntime, "__version__", None), devices


def _run_openvino(openvino: ModuleType, core: Any, device: str) -> tuple[bool, str]:
    import numpy as np

    ops = openvino.opset13
    x = ops.parameter([1], openvino.Type.f32, name="x")
    compiled = core.compile_model(openvino.Model([ops.add(x, x)], [x], "accelprobe"), device)
    output = next(iter(compiled({0: np.array([1.5], dtype=np.float32)}).values()))
    wrong = _checked(float(output[0]))
    if wrong:
        return False, wrong
    executed = [str(name) for name in compiled.get_property("EXECUTION_DEVICES")]
    if device in executed or device.split(".", 1)[0] in executed:
        return True, f"ran on {', '.join(executed)}"
    return False, f"ran on {', '.join(executed) or 'no device'} instead"


def _probe_openvino(verify: bool) -> tuple[str | None, list[dict[str, Any]]]:
    import openvino

    core = openvino.Core()
    devices = []
    for name in core.available_devices:
        try:
            description = str(core.get_property(name, "FULL_DEVICE_NAME"))
        except Exception as error:  # noqa: BLE001 - a device that cannot describe itself
            description = f"(no name: {error})"
        ran, detail = _attempt(_run_openvino, openvino, core, name) if verify else (None, "")
        devices.append(_device(name, description, ran, detail))
    return openvino.get_version(), devices


def _run_torch(torch: ModuleType, device: str) -> tuple[bool, str]:
    result = torch.ones(1, device=device) * 1.5 + torch.ones(1, device=device) * 1.5
    wrong = _checked(float(result.cpu()[0]))
    if wrong:
        return False, wrong
    if result.device.type == device.split(":", 1)[0]:
        return True, f"ran on {result.device}"
    return False, f"ran on {result.device} instead"


def _probe_ipex(verify: bool) -> tuple[str | None, list[dict[str, Any]]]:
    import intel_extension_for_pytorch as ipex
    import torch

    names = [("cpu", "")]
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and xpu.is_available():
        names += [(f"xpu:{i}", str(xpu.get_device_name(i))) for i in range(xpu.device_count())]
    devices = []
    for name, description in names:
        ran, detail = _attempt(_run_torch, torch, name) if verify else (None, "")
        devices.append(_device(name, description, ran, detail))
    return getattr(ipex, "__version__", None), devices


def _attempt(run: Any, *args: Any) -> tuple[bool, str]:
    """Run one verification; whatever it raises becomes the detail."""
    try:
        ran, detail = run(*args)
    except Exception as error:  # noqa: BLE001 - the probe reports, it never raises
        return False, f"{type(error).__name__}: {' '.join(str(error).split())}"
    return ran, detail


def _device(name: str, description: str, ran: bool | None, detail: str) -> dict[str, Any]:
    return {
        "name": name,
        "words": list(_words(name)),
        "description": description,
        "ran": ran,
        "detail": detail,
    }


_PROBES = {"onnxruntime": _probe_onnxruntime, "openvino": _probe_openvino, "ipex": _probe_ipex}


def _probe_here(key: str, verify: bool) -> dict[str, Any]:
    """Probe ``key``'s runtime in this process, as a JSON-ready dict."""
    try:
        version, devices = _PROBES[key](verify)
    except Exception as error:  # noqa: BLE001 - the probe reports, it never raises
        message = " ".join(str(error).split())
        reason = f"importing or asking {key} failed: {type(error).__name__}: {message}"
        return {"ok": False, "version": None, "devices": [], "reason": reason}
    names = ", ".join(device["name"] for device in devices) or "nothing"
    return {"ok": True, "version": version, "devices": devices, "reason": f"{key} offers {names}"}


# --- in a child process ------------------------------------------------------------------

_CHILD = (
    "import json, sys\n"
    "sys.path[:] = json.loads(sys.argv[1])\n"
    "from accelprobe.probe import _MARK, _probe_here\n"
    "result = _probe_here(sys.argv[2], sys.argv[3] == 'verify')\n"
    "print('\\n' + _MARK + json.dumps(result), flush=True)\n"
)


def _probe_child(key: str, verify: bool, timeout: float) -> dict[str, Any]:
    """Probe ``key`` in a fresh interpreter with this one's ``sys.path``."""
    entries: list[object] = list(sys.path)  # anything can be appended to sys.path
    path = [entry for entry in entries if isinstance(entry, str)]
    command = [sys.executable, "-I", "-c", _CHILD, json.dumps(path), key, "verify" * verify]
    failed: dict[str, Any] = {"ok": False, "version": None, "devices": []}
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {**failed, "reason": f"the {key} probe did not finish within {timeout:g} s"}
    except OSError as error:
        return {**failed, "reason": f"the {key} probe could not start: {error}"}
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_MARK)]
    if completed.returncode == 0 and lines:
        try:
            result: dict[str, Any] = json.loads(lines[-1][len(_MARK) :])
        except ValueError:
            pass
        else:
            return result
    tail = " ".join(completed.stderr.strip().splitlines()[-1:])[-300:]
    said = f": {tail}" if tail else ""
    reason = f"the {key} probe exited with status {completed.returncode} and no result{said}"
    return {**failed, "reason": reason}


# --- public --------------------------------------------------------------------------------


def probe(
    name: str, *, verify: bool = False, isolated: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> ProbeResult:
    """Import ``name``'s runtime and list the devices it can run on; cached per process.

    ``name`` is ``onnxruntime``, ``openvino`` or ``ipex`` (or ``ort``, ``ov``). ``verify``
    runs a one-operation model on each device; ``isolated`` probes in a child process that
    may take ``timeout`` seconds. Never raises for a runtime's failure: the result says it.
    ``accelprobe.refresh()`` clears the cache.
    """
    detected = backends.detection(name)
    key = detected.key
    if key not in _RUNTIMES:
        msg = f"probe() knows the runtimes {', '.join(_RUNTIMES)}, not {name!r}"
        raise ValueError(msg)
    cached = _results.get((key, verify, isolated))
    if cached is not None and cached[0] is detected:
        return cached[1]
    found: dict[str, Any]
    if not detected.available:
        found = {"ok": False, "version": None, "devices": [], "reason": "not installed: "}
        found["reason"] += detected.reason
    elif isolated:
        found = _probe_child(key, verify, timeout)
    else:
        found = _probe_here(key, verify)
    result = ProbeResult(
        name=key,
        ok=found["ok"],
        version=found["version"],
        devices=tuple(
            Device(
                name=device["name"],
                words=tuple(device["words"]),
                description=device["description"],
                ran=device["ran"],
                detail=device["detail"],
            )
            for device in found["devices"]
        ),
        reason=found["reason"],
        verified=verify,
        isolated=isolated,
    )
    _results[key, verify, isolated] = (detected, result)
    return result


def device_word(device: object) -> str:
    """``device`` as one of ``DEVICE_WORDS`` (case and spaces ignored), or ``ValueError``."""
    word = "".join(device.split()).lower() if isinstance(device, str) else ""
    if word not in DEVICE_WORDS:
        msg = f"unknown device {device!r}; expected one of: {', '.join(DEVICE_WORDS)}"
        raise ValueError(msg)
    return word


