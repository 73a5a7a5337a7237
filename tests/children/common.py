"""What many tests record after detection: every backend_info()."""

from __future__ import annotations

from typing import Any


def all_infos(result: dict[str, Any]) -> None:
    """Every backend_info() in full, as ``result["infos"]`` (tests/fake.py's default)."""
    import dataclasses

    import accelprobe

    result["infos"] = {info.name: dataclasses.asdict(info) for info in accelprobe.all_backends()}


def infos() -> dict[str, dict[str, Any]]:
    """What the hostile tests read of each backend_info()."""
    import accelprobe

    return {
        info.name: {
            "available": info.available,
            "distribution": info.distribution,
            "version": info.version,
            "reason": info.reason,
        }
        for info in accelprobe.all_backends()
    }


def record_infos(result: dict[str, Any]) -> None:
    """``infos()`` as ``result["infos"]`` (tests/hostile_support.py's default)."""
    result["infos"] = infos()
