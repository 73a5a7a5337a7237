"""Fake runtimes, built on disk, that behave like ONNX Runtime, OpenVINO and IPEX for the
probe: each lists devices and runs (or fails to run) the test model as its config says.

``FAKE_RUNTIME`` in the environment picks a behaviour: ``hang``, ``exit``, ``garbage``,
``bad-json``, ``raise`` (the import fails), ``unprintable`` (it fails with an exception
whose ``__str__`` raises), ``no-xpu``, ``xpu-off``; the hostile ones:

- ``flood`` (stdout without end), ``flood-then-work`` (3 MiB of stdout, then all is well);
- ``grandchild`` (starts a process that holds the pipes, then hangs), ``daemon`` (starts
  it, then all is well), ``escaped`` (as ``daemon``, the process in a session of its own);
  ``FAKE_PIDFILE`` is where they write that process's pid;
- ``result`` (prints ``FAKE_RESULT`` as the result line);
- ``crash-after`` and ``exit-after`` (die at exit, after the result);
- ``hang-in-session`` (ONNX Runtime's session hangs, the verify profile's folder made);
- ``noisy`` (prints, warns, and changes the warnings filters, the root logger and
  ``sys.stdout`` at import).

Unset, all is well.
"""

from __future__ import annotations

from tests.fake import Tree, dist

PRELUDE = """
import os, sys, time
MODE = os.environ.get("FAKE_RUNTIME", "")
if MODE == "raise":
    raise ImportError("libonnxruntime.so: cannot open shared object file")
if MODE == "unprintable":
    class Unprintable(ImportError):
        def __str__(self):
            raise RuntimeError("__str__ raised")

    raise Unprintable()
if MODE == "hang":
    time.sleep(600)
if MODE == "exit":
    os._exit(3)
if MODE == "garbage":
    os.write(1, b"\\x00garbage\\n")
    os._exit(0)
if MODE == "bad-json":
    os.write(1, b"accelprobe-probe-result:{not json\\n")
    os._exit(0)
if MODE == "result":
    os.write(1, ("accelprobe-probe-result:" + os.environ["FAKE_RESULT"] + "\\n").encode())
    os._exit(0)
if MODE.startswith("flood"):
    for _ in iter(int, 1) if MODE == "flood" else range(48):
        os.write(1, b"x" * 65535 + b"\\n")  # past any capture, as a native library does
if MODE in ("grandchild", "daemon", "escaped") and "FAKE_PIDFILE" in os.environ:
    import subprocess
    _held = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"],
        start_new_session=MODE == "escaped",
    )
    with open(os.environ.pop("FAKE_PIDFILE"), "w") as _stream:
        _stream.write(str(_held.pid))
    if MODE == "grandchild":
        time.sleep(600)
if MODE in ("crash-after", "exit-after"):
    import atexit, signal

    def _die():
        sys.stdout.flush()
        if MODE == "exit-after":
            os._exit(3)
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), signal.SIGSEGV)

    atexit.register(_die)
if MODE == "noisy":
    import io, logging, warnings
    print("fake runtime: loading" + "." * 70000)
    warnings.warn("fake runtime: deprecated at import")
    warnings.simplefilter("ignore")
    logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger().addFilter(lambda record: True)
    logging.disable(logging.INFO)
    sys.stdout = io.StringIO()
"""

NUMPY = """
float32 = "float32"

def array(values, dtype=None):
    return list(values)
"""

ONNXRUNTIME = (
    PRELUDE
    + """
import json, warnings
__version__ = "1.99.0"
# What onnxruntime's InferenceSession prints when a provider fails and it falls back.
EP_ERROR = (
    "*************** EP Error ***************\\n"
    "EP Error libcudnn.so.9 missing when using ['CUDAExecutionProvider']\\n"
    "Falling back to ['CPUExecutionProvider'] and retrying.\\n"
    "****************************************"
)
# provider -> (provider in the profile, result, message printed)
BEHAVIOUR = {
    "CPUExecutionProvider": ("CPUExecutionProvider", 3.0, ""),
    "CUDAExecutionProvider": ("CPUExecutionProvider", 3.0, EP_ERROR),
    "DmlExecutionProvider": ("CPUExecutionProvider", 3.0, ""),
    "QNNExecutionProvider": (None, 3.0, ""),
    "WrongExecutionProvider": ("WrongExecutionProvider", 4.0, ""),
    "BrokenExecutionProvider": None,
}

def get_available_providers():
    return list(BEHAVIOUR)

class SessionOptions:
    enable_profiling = False
    profile_file_prefix = "profile"

class InferenceSession:
    def __init__(self, model, sess_options, providers):
        assert model.startswith(b"\\x08\\x07")  # ir_version 7
        self.options = sess_options
        if MODE == "hang-in-session":
            time.sleep(600)
        behaviour = BEHAVIOUR[providers[0]]
        if behaviour is None:
            raise RuntimeError("provider failed\\n to initialise")
        self.used, self.value, said = behaviour
        if said:
            print(said)
            warnings.warn("CUDA provider is not usable")

    def run(self, outputs, feeds):
        assert feeds == {"x": [1.5]}
        return [[self.value]]

    def end_profiling(self):
        path = self.options.profile_file_prefix + ".json"
        args = {"provider": self.used} if self.used else {}
        with open(path, "w") as stream:
            json.dump([{"cat": "Session"}, {"cat": "Node", "args": args}], stream)
        return path
"""
)

OPENVINO = (
    PRELUDE
    + """
def get_version():
    return "2099.1.0-fake"

class Type:
    f32 = "f32"

class opset13:
    @staticmethod
    def parameter(shape, kind, name):
        return name

    @staticmethod
    def add(left, right):
        return (left, right)

class Model:
    def __init__(self, results, parameters, name):
        self.name = name

# device -> (full name or None to fail, execution devices, result)
DEVICES = {
    "CPU": ("Fake CPU", ["CPU"], 3.0),
    "GPU.1": ("Fake GPU", ["GPU"], 3.0),
    "NPU": (None, ["CPU"], 3.0),
    "GNA": ("Fake GNA", ["GNA"], 5.0),
}

class Compiled:
    def __init__(self, device):
        self.device = device

    def __call__(self, inputs):
        return {"y": [DEVICES[self.device][2]]}

    def get_property(self, name):
        assert name == "EXECUTION_DEVICES"
        return DEVICES[self.device][1]

class Core:
    available_devices = list(DEVICES)

    def get_property(self, device, name):
        assert name == "FULL_DEVICE_NAME"
        if DEVICES[device][0] is None:
            raise RuntimeError("device property failed")
        return DEVICES[device][0]

    def compile_model(self, model, device):
        return Compiled(device)
"""
)

TORCH = (
    PRELUDE
    + """
class _Device:
    def __init__(self, name):
        self.type = name.split(":")[0]
        self.name = name

    def __str__(self):
        return self.name

class Tensor:
    def __init__(self, value, device):
        self.value = value
        self.device = _Device(device)

    def __mul__(self, other):
        return Tensor(self.value * other, self.device.name)

    def __add__(self, other):
        # the fake "xpu:1" computes wrongly; "xpu:2" silently stays on the CPU
        value = self.value + other.value + (1 if self.device.name == "xpu:1" else 0)
        return Tensor(value, "cpu" if self.device.name == "xpu:2" else self.device.name)

    def cpu(self):
        return [self.value]

def ones(size, device):
    return Tensor(1.0, device)

class xpu:
    @staticmethod
    def is_available():
        return MODE != "xpu-off"

    @staticmethod
    def device_count():
        return 3

    @staticmethod
    def get_device_name(index):
        return f"Fake Arc {index}"

if MODE == "no-xpu":
    del xpu
"""
)

IPEX = PRELUDE + '__version__ = "2.8.0+xpu"\n'


def runtimes() -> Tree:
    """A site folder with the three fake runtimes installed, and fake numpy beside them."""
    tree: Tree = {
        **dist("onnxruntime", "1.99.0"),
        **dist("openvino", "2099.1.0"),
        **dist("intel-extension-for-pytorch", "2.8.0+xpu"),
        **dist("torch", "2.8.0"),
        "onnxruntime": {"__init__.py": ONNXRUNTIME},
        "openvino": {"__init__.py": OPENVINO},
        "torch": {"__init__.py": TORCH},
        "intel_extension_for_pytorch": {"__init__.py": IPEX},
        "numpy": {"__init__.py": NUMPY},
    }
    return tree
