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


def select_error(result: dict[str, Any], *, accelerator: str, require_optimum: bool = True) -> None:
    """The ImportError's message when ``select_accelerator(accelerator)`` fails, as ``error``."""
    import accelprobe

    try:
        accelprobe.select_accelerator(accelerator, require_optimum=require_optimum)
    except ImportError as error:
        result["error"] = str(error)


def hidden(result: dict[str, Any]) -> None:
    """The copies of onnxruntime that the one found hides."""
    import accelprobe

    result["hidden"] = accelprobe.detection("ort").hidden


def add_site_dir(_result: dict[str, Any], *, folder: str) -> None:
    """``site.addsitedir(folder)``: its .pth files run, as at startup."""
    import site

    site.addsitedir(folder)


def loaded(_result: dict[str, Any], *, module: str, init: str, version: object) -> None:
    """``module`` in sys.modules, as if loaded from ``init`` at ``__version__`` ``version``.

    Its spec only, not its code: as a module imported before an upgrade replaced its files.
    """
    import importlib.util
    import sys
    import types

    loaded = types.ModuleType(module)
    loaded.__spec__ = importlib.util.spec_from_file_location(module, init)
    loaded.__version__ = version  # type: ignore[attr-defined]
    sys.modules[module] = loaded
