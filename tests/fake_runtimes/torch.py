"""The fake torch: a CPU and three XPUs, one computing wrongly, one silently on the CPU."""

from __future__ import annotations

from ._fake import start

MODE = start()


class _Device:
    def __init__(self, name: str) -> None:
        self.type = name.split(":", maxsplit=1)[0]
        self.name = name

    def __str__(self) -> str:
        return self.name


class Tensor:
    def __init__(self, value: float, device: str) -> None:
        self.value = value
        self.device = _Device(device)

    def __mul__(self, other: float) -> Tensor:
        return Tensor(self.value * other, self.device.name)

    def __add__(self, other: Tensor) -> Tensor:
        # the fake "xpu:1" computes wrongly; "xpu:2" silently stays on the CPU
        value = self.value + other.value + (1 if self.device.name == "xpu:1" else 0)
        return Tensor(value, "cpu" if self.device.name == "xpu:2" else self.device.name)

    def cpu(self) -> list[float]:
        return [self.value]


def ones(size: object, device: str) -> Tensor:  # noqa: ARG001
    return Tensor(1.0, device)


class xpu:  # noqa: N801 - as torch names it
    @staticmethod
    def is_available() -> bool:
        return MODE != "xpu-off"

    @staticmethod
    def device_count() -> int:
        return 3

    @staticmethod
    def get_device_name(index: int) -> str:
        return f"Fake Arc {index}"


if MODE == "no-xpu":
    del xpu
