"""Run in a fresh interpreter by tests/fake.py: detect with a controlled sys.path.

argv[1] is JSON: {"path": [...], "before": "code", "after": "code"}. ``path`` goes in
front of the interpreter's own (stdlib and the test environment, where accelprobe is
installed); ``before`` runs before ``import accelprobe``, ``after`` after it, both with
``result`` (a dict printed as JSON at the end) in scope.
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
