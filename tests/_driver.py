"""Run in a fresh interpreter by tests/fake.py: detect with a controlled sys.path.

argv[1] is JSON: {"root": "...", "path": [...], "before": [...], "after": [...], "argv": [...]}.
``path`` goes in front of the interpreter's own (stdlib and the test environment, where
accelprobe is installed). ``before`` and ``after`` list calls, each ``[module, function,
arguments]``: a function of a module of the package ``tests`` under ``root`` (see
tests/children/__init__.py), called as ``function(result, **arguments)``; ``result`` is a
dict printed as JSON at the end. ``before`` runs before ``import accelprobe``, ``after``
after it. With ``argv``, the driver instead runs ``python -m accelprobe ARGV`` (after
``before``) and exits with its status.

The tests' modules are imported through a ``tests`` package made here, whose ``__path__``
is ``root/tests``: never through ``sys.path``, so that they cannot change what detection
finds. Each is imported only when its first call comes: a ``before`` module before
``import accelprobe``, an ``after`` module after the modules that import loaded are recorded.
"""

import json
import os
import sys

if os.environ.get("COVERAGE_PROCESS_START"):
    import coverage

    coverage.process_startup()

config = json.loads(sys.argv[1])
cwd = os.getcwd()
sys.path[:] = config["path"] + [entry for entry in sys.path if entry not in {"", cwd}]
result: dict[str, object] = {}


def call(steps: "list[tuple[str, str, dict[str, object]]] | str") -> None:
    """Call each ``[module, function, arguments]`` of ``steps`` with ``result``."""
    if isinstance(steps, str):  # code: test_ownership's _reads check alone (tests/fake.py)
        exec(steps, globals())  # noqa: S102 - the tests' own code
        return
    if steps and "tests" not in sys.modules:
        tests = type(sys)("tests")
        tests.__path__ = [os.path.join(config["root"], "tests")]
        sys.modules["tests"] = tests
    for module, name, arguments in steps:
        __import__(module)
        getattr(sys.modules[module], name)(result, **arguments)


call(config.get("before", []))

if "argv" in config:
    import runpy

    sys.argv = ["accelprobe", *config["argv"]]
    runpy.run_module("accelprobe", run_name="__main__", alter_sys=True)

loaded = set(sys.modules)
import accelprobe  # noqa: E402

result["imported"] = sorted(set(sys.modules) - loaded)

result["flags"] = {
    "openvino": accelprobe.backends._openvino_available,
    "onnxruntime": accelprobe.backends._onnxruntime_available,
    "ipex": accelprobe.backends._ipex_available,
    "optimum-intel": accelprobe.backends._optimum_intel_available,
    "optimum-onnx": accelprobe.backends._optimum_onnx_available,
}
call(config.get("after", []))
print("\n" + json.dumps(result, default=repr))
