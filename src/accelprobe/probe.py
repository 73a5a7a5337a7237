"""What the installed runtime can really run on: opt-in, never run at import.

Detection says a backend is installed; ``probe()`` imports its runtime and lists the
devices it offers (ONNX Runtime's execution providers, OpenVINO's devices, IPEX's CPU and
XPUs). ``verify=True`` runs a one-operation model (``y = x + x``) on each and reports where
it really ran: a provider that is listed but silently falls back to the CPU says so.
``isolated=True`` does it all in a child process, so a runtime that crashes, hangs or floods
its output costs a result with a reason, never the caller. Every failure becomes a result,
not an exception.
"""

from __future__ import annotations

import _thread
import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import warnings

from accelprobe import backends
from accelprobe._advice import error_text
from accelprobe._child import START_ERRORS, run_child
from accelprobe._facts import RUNTIMES, lock_renewer
from accelprobe._host import Capture, Host

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
    "as_json",
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

_MARK = "accelprobe-probe-result:"
# (key, verify, isolated, timeout) -> (the detection it was made under, the result);
# refresh() replaces detections, so a result made before it is never returned after it.
_results: dict[tuple[str, bool, bool, float], tuple[backends.Detection, ProbeResult]] = {}
# One probe at a time: each swaps the host's sys.stdout and warnings hooks while it runs.
_lock = _thread.RLock()


_after_fork = lock_renewer(globals())  # a probe another thread ran is gone in a child


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


def _run_onnxruntime(onnxruntime: ModuleType, provider: str, capture: Capture) -> tuple[bool, str]:
    """Run the model with only ``provider``; its profile says which provider ran the node."""
    import numpy as np

    options = onnxruntime.SessionOptions()
    options.enable_profiling = True
    start = len(capture.said)
    with tempfile.TemporaryDirectory() as folder:
        options.profile_file_prefix = os.path.join(folder, "accelprobe")
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
    said = capture.since(start)
    fell = f"fell back to {', '.join(used) or 'an unknown provider'}"
    return False, f"{fell}: {said}" if said else fell


def _probe_onnxruntime(verify: bool, capture: Capture) -> tuple[str | None, list[dict[str, Any]]]:
    import onnxruntime

    devices = []
    for provider in onnxruntime.get_available_providers():
        ran, detail = (
            _attempt(_run_onnxruntime, onnxruntime, provider, capture) if verify else (None, "")
        )
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


def _probe_openvino(verify: bool, _capture: Capture) -> tuple[str | None, list[dict[str, Any]]]:
    import openvino

    core = openvino.Core()
    devices = []
    for name in core.available_devices:
        try:
            description = str(core.get_property(name, "FULL_DEVICE_NAME"))
        except Exception as error:  # noqa: BLE001 - a device that cannot describe itself
            description = f"(no name: {error_text(error, typed=False)})"
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


def _probe_ipex(verify: bool, _capture: Capture) -> tuple[str | None, list[dict[str, Any]]]:
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
        return False, error_text(error)
    return ran, detail


def _device(name: str, description: str, ran: bool | None, detail: str) -> dict[str, Any]:
    device = Device(name=name, words=_words(name), description=description, ran=ran, detail=detail)
    return _device_json(device)


_PROBES = {"onnxruntime": _probe_onnxruntime, "openvino": _probe_openvino, "ipex": _probe_ipex}


def _probe_here(key: str, verify: bool) -> dict[str, Any]:
    """Probe ``key``'s runtime in this process, as a JSON-ready dict.

    The host's ``sys.stdout``, warnings filters and hook, and root logger (its handlers
    kept open) are put back as they were, whatever the runtime did to them, also in a
    child forked meanwhile (``_host.Host``); the caller holds ``_lock``.
    """
    capture = Capture(sys.stdout, warnings.showwarning)
    try:
        with Host(capture):
            version, devices = _PROBES[key](verify, capture)
    except Exception as error:  # noqa: BLE001 - the probe reports, it never raises
        reason = f"importing or asking {key} failed: {error_text(error)}"
        return _failed(reason, verify)
    names = ", ".join(device["name"] for device in devices) or "nothing"
    reason = f"{key} offers {names}"
    return {
        "ok": True,
        "version": version,
        "reason": reason,
        "verified": verify,
        "devices": devices,
    }


def _failed(reason: str, verify: bool) -> dict[str, Any]:
    """A result, as a JSON-ready dict, that found nothing, and why."""
    return {"ok": False, "version": None, "reason": reason, "verified": verify, "devices": []}


# --- in a child process ------------------------------------------------------------------

# sys.path comes in a file, not argv (at most 128 KiB for one argument on Linux); the child
# dies with its caller (argv[4]) before it imports the runtime.
_CHILD = (
    "import json, sys\n"
    "with open(sys.argv[1], encoding='utf-8') as stream:\n"
    "    sys.path[:] = json.load(stream)\n"
    "from accelprobe._child import die_with\n"
    "die_with(int(sys.argv[4]))\n"
    "from accelprobe.probe import _MARK, _probe_here\n"
    "result = _probe_here(sys.argv[2], sys.argv[3] == 'verify')\n"
    "sys.stdout.write('\\n' + _MARK + json.dumps(result) + '\\n')\n"
    "sys.stdout.flush()\n"
)

# A result as JSON, as a child prints it and the report shows it: each key, in order, with
# its JSON types. ProbeResult and Device have the same fields (words as a tuple); a child's
# result need not say ``verified``: its parent knows what it asked.
_FIELDS: dict[str, tuple[type, ...]] = {
    "ok": (bool,),
    "version": (str, type(None)),
    "reason": (str,),
    "verified": (bool,),
    "devices": (list,),
}
_CHILD_FIELDS = {name: kinds for name, kinds in _FIELDS.items() if name != "verified"}
_DEVICE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "words": (list,),
    "description": (str,),
    "ran": (bool, type(None)),
    "detail": (str,),
}


def as_json(result: ProbeResult) -> dict[str, Any]:
    """``result`` as a JSON-ready dict, keyed as ``_FIELDS`` (the report's ``probe``)."""
    found = {name: getattr(result, name) for name in _FIELDS}
    found["devices"] = [_device_json(device) for device in result.devices]
    return found


def _device_json(device: Device) -> dict[str, Any]:
    found = {name: getattr(device, name) for name in _DEVICE_FIELDS}
    found["words"] = list(device.words)
    return found


def _from_json(key: str, found: dict[str, Any], *, verify: bool, isolated: bool) -> ProbeResult:
    """The ``ProbeResult`` of a JSON-ready dict (see ``_FIELDS``)."""
    devices = [{name: device[name] for name in _DEVICE_FIELDS} for device in found["devices"]]
    return ProbeResult(
        name=key,
        **{name: found[name] for name in _CHILD_FIELDS if name != "devices"},
        verified=verify,
        devices=tuple(Device(**{**device, "words": tuple(device["words"])}) for device in devices),
        isolated=isolated,
    )


def _wrong_fields(found: object, fields: dict[str, tuple[type, ...]]) -> str:
    if not isinstance(found, dict):
        return f"{type(found).__name__} instead of an object"
    for name, kinds in fields.items():
        if name not in found:
            return f"no {name!r}"
        if not isinstance(found[name], kinds):
            return f"{name!r} is {type(found[name]).__name__}"
    return ""


def _wrong_shape(found: object) -> str:
    """What is wrong with a child's result, or ``''`` when it is shaped as ``_probe_here``'s."""
    wrong = _wrong_fields(found, _CHILD_FIELDS)
    if wrong or not isinstance(found, dict):
        return wrong
    for device in found["devices"]:
        wrong = _wrong_fields(device, _DEVICE_FIELDS)
        if not wrong and not all(isinstance(word, str) for word in device["words"]):
            wrong = "'words' is not a list of strings"
        if wrong:
            return f"a device has {wrong}"
    return ""


def _ending(status: int | None, timeout: float) -> str:
    """How the child ended, as the end of a sentence."""
    if status is None:
        return f"did not finish within {timeout:g} s"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"


def _probe_child(key: str, verify: bool, timeout: float) -> dict[str, Any]:
    """Probe ``key`` in a fresh interpreter with this one's ``sys.path``.

    The child's temporary files (the verify profile's too) go in a folder of its own,
    removed afterwards whether the child finished, crashed or was killed, and when a
    signal handler of the caller raises. The child dies with its caller, even a killed one.
    """
    entries: list[object] = list(sys.path)  # anything can be appended to sys.path
    path = [entry for entry in entries if isinstance(entry, str)]
    folder = ""
    try:
        folder = tempfile.mkdtemp(prefix="accelprobe-")
        path_file = os.path.join(folder, "path.json")
        with open(path_file, "w", encoding="utf-8") as stream:
            json.dump(path, stream)
        env = {**os.environ, "TMPDIR": folder, "TEMP": folder, "TMP": folder}
        mode, caller = "verify" * verify, str(os.getpid())
        command = [sys.executable or "", "-I", "-c", _CHILD, path_file, key, mode, caller]
        status, out, err = run_child(command, env, timeout)
    except START_ERRORS as error:  # never an exception, whatever kept the child from starting
        return _failed(f"the {key} probe could not start: {error_text(error, typed=False)}", verify)
    finally:
        if folder:  # pragma: no branch - empty only where mkdtemp raised (returned above)
            shutil.rmtree(folder, ignore_errors=True)
    lines = [line for line in out.split("\n") if line.startswith(_MARK)]
    if not lines:
        if status is None:
            return _failed(f"the {key} probe {_ending(status, timeout)}", verify)
        tail = " ".join(err.strip().splitlines()[-1:])[-300:]
        said = f": {tail}" if tail else ""
        return _failed(f"the {key} probe {_ending(status, timeout)} and no result{said}", verify)
    try:
        result: dict[str, Any] = json.loads(lines[-1][len(_MARK) :])
    except ValueError as error:
        wrong = f"not JSON ({error})"
    else:
        wrong = _wrong_shape(result)
    if wrong:
        return _failed(f"the {key} probe gave a result of the wrong shape: {wrong}", verify)
    if status != 0:  # it crashed after the result was complete: keep the result
        result["reason"] += f"; then the probe {_ending(status, timeout)}"
    return result


def _timeout_or_error(timeout: object) -> float:
    """``timeout`` as seconds: a positive finite number, or ``ValueError``."""
    seconds = -1.0
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        try:
            seconds = float(timeout)
        except OverflowError:  # an int too large for a float
            seconds = -1.0
    if not 0 < seconds < float("inf"):  # nan fails both
        msg = f"timeout must be a positive finite number of seconds, not {timeout!r}"
        raise ValueError(msg)
    return seconds


# --- public --------------------------------------------------------------------------------


def probe(
    name: str, *, verify: bool = False, isolated: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> ProbeResult:
    """Import ``name``'s runtime and list the devices it can run on; cached per process.

    ``name`` is ``onnxruntime``, ``openvino`` or ``ipex`` (or ``ort``, ``ov``). ``verify``
    runs a one-operation model on each device; ``isolated`` probes in a child process that
    may take ``timeout`` seconds (a positive finite number, else ``ValueError``). Never
    raises for a runtime's failure: the result says it. Probes run one at a time.
    ``accelprobe.refresh()`` clears the cache.
    """
    detected = backends.detection(name)
    key = detected.key
    if key not in RUNTIMES:
        msg = f"probe() knows the runtimes {', '.join(RUNTIMES)}, not {name!r}"
        raise ValueError(msg)
    seconds = _timeout_or_error(timeout)
    cache_key = (key, verify, isolated, seconds if isolated else 0.0)
    with _lock:
        cached = _results.get(cache_key)
        if cached is not None and cached[0] is detected:
            return cached[1]
        if not detected.available:
            found = _failed(f"not installed: {detected.reason}", verify)
        elif isolated:
            found = _probe_child(key, verify, seconds)
        else:
            found = _probe_here(key, verify)
        result = _from_json(key, found, verify=verify, isolated=isolated)
        _results[cache_key] = (detected, result)
        return result


def device_word(device: object) -> str:
    """``device`` as one of ``DEVICE_WORDS`` (case and spaces ignored), or ``ValueError``."""
    word = "".join(device.split()).lower() if isinstance(device, str) else ""
    if word not in DEVICE_WORDS:
        msg = f"unknown device {device!r}; expected one of: {', '.join(DEVICE_WORDS)}"
        raise ValueError(msg)
    return word
