"""The fake OpenVINO: four devices, each running (or failing to run) the test model."""

from __future__ import annotations

from ._fake import start

MODE = start()


def get_version() -> str:
    return "2099.1.0-fake"


class Type:
    f32 = "f32"


class opset13:  # noqa: N801 - as OpenVINO names it
    @staticmethod
    def parameter(shape: object, kind: object, name: str) -> str:  # noqa: ARG004
        return name

    @staticmethod
    def add(left: object, right: object) -> tuple[object, object]:
        return (left, right)


class Model:
    def __init__(self, results: object, parameters: object, name: str) -> None:  # noqa: ARG002
        self.name = name


# device -> (full name or None to fail, execution devices, result)
DEVICES: dict[str, tuple[str | None, list[str], float]] = {
    "CPU": ("Fake CPU", ["CPU"], 3.0),
    "GPU.1": ("Fake GPU", ["GPU"], 3.0),
    "NPU": (None, ["CPU"], 3.0),
    "GNA": ("Fake GNA", ["GNA"], 5.0),
}


class Compiled:
    def __init__(self, device: str) -> None:
        self.device = device

    def __call__(self, inputs: object) -> dict[str, list[float]]:  # noqa: ARG002
        return {"y": [DEVICES[self.device][2]]}

    def get_property(self, name: str) -> list[str]:
        assert name == "EXECUTION_DEVICES"
        return DEVICES[self.device][1]


class Core:
    available_devices = list(DEVICES)  # noqa: RUF012 - a property in OpenVINO

    def get_property(self, device: str, name: str) -> str:
        assert name == "FULL_DEVICE_NAME"
        full_name = DEVICES[device][0]
        if full_name is None:
            msg = "device property failed"
            raise RuntimeError(msg)
        return full_name

    def compile_model(self, model: object, device: str) -> Compiled:  # noqa: ARG002
        return Compiled(device)
