"""The fake ONNX Runtime: six providers, each running (or failing to run) the test model."""

from __future__ import annotations

import json
import time
import warnings

from ._fake import start

MODE = start()
__version__ = "1.99.0"
# What onnxruntime's InferenceSession prints when a provider fails and it falls back.
EP_ERROR = (
    "*************** EP Error ***************\n"
    "EP Error libcudnn.so.9 missing when using ['CUDAExecutionProvider']\n"
    "Falling back to ['CPUExecutionProvider'] and retrying.\n"
    "****************************************"
)
# provider -> (provider in the profile, result, message printed)
BEHAVIOUR: dict[str, tuple[str | None, float, str] | None] = {
    "CPUExecutionProvider": ("CPUExecutionProvider", 3.0, ""),
    "CUDAExecutionProvider": ("CPUExecutionProvider", 3.0, EP_ERROR),
    "DmlExecutionProvider": ("CPUExecutionProvider", 3.0, ""),
    "QNNExecutionProvider": (None, 3.0, ""),
    "WrongExecutionProvider": ("WrongExecutionProvider", 4.0, ""),
    "BrokenExecutionProvider": None,
}


def get_available_providers() -> list[str]:
    return list(BEHAVIOUR)


class SessionOptions:
    enable_profiling = False
    profile_file_prefix = "profile"


class InferenceSession:
    def __init__(self, model: bytes, sess_options: SessionOptions, providers: list[str]) -> None:
        assert model.startswith(b"\x08\x07")  # ir_version 7
        self.options = sess_options
        if MODE == "hang-in-session":
            time.sleep(600)
        behaviour = BEHAVIOUR[providers[0]]
        if behaviour is None:
            msg = "provider failed\n to initialise"
            raise RuntimeError(msg)
        self.used, self.value, said = behaviour
        if said:
            print(said)
            warnings.warn("CUDA provider is not usable", stacklevel=1)

    def run(self, outputs: object, feeds: dict[str, list[float]]) -> list[list[float]]:  # noqa: ARG002
        assert feeds == {"x": [1.5]}
        return [[self.value]]

    def end_profiling(self) -> str:
        path = self.options.profile_file_prefix + ".json"
        args = {"provider": self.used} if self.used else {}
        with open(path, "w") as stream:
            json.dump([{"cat": "Session"}, {"cat": "Node", "args": args}], stream)
        return path
