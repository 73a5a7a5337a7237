"""Run in a fresh interpreter by tests/fake.py: detect with a controlled sys.path.

argv[1] is JSON: {"path": [...], "before": "code", "after": "code", "argv": [...]}.
``path`` goes in front of the interpreter's own (stdlib and the test environment, where
accelprobe is installed); ``before`` runs before ``import accelprobe``, ``after`` after it,
both with ``result`` (a dict printed as JSON at the end) in scope. With ``argv``, the
driver instead runs ``python -m accelprobe ARGV`` and exits with its status.
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
exec(config["before"])  # noqa: S102 - the tests' own code

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
exec(config["after"])  # noqa: S102 - the tests' own code
print("\n" + json.dumps(result, default=repr))
