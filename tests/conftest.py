from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytest_plugins = ["pytester"]


def pytest_report_header() -> list[str]:
    """Show what the tests run against: accelprobe's origin and its one dependency."""
    import accelprobe

    lines = [f"accelprobe {accelprobe.__version__} from {accelprobe.__file__}"]
    try:
        lines.append(f"packaging {version('packaging')}")
    except PackageNotFoundError:  # pragma: no cover - packaging is a dependency
        lines.append("packaging not installed")
    detected = ", ".join(
        f"{info.name}={'yes' if info.available else 'no'}" for info in accelprobe.all_backends()
    )
    lines.append(f"backends in this environment: {detected}")
    return lines


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Detect in this process against ``tmp_path/site`` alone; restore detection after."""
    import accelprobe

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [str(site), *(p for p in sys.path if p)])
    monkeypatch.delenv("ACCELPROBE_DISABLE", raising=False)
    monkeypatch.delenv("ACCELPROBE_ACCELERATOR", raising=False)
    accelprobe.refresh()
    yield site
    monkeypatch.undo()
    accelprobe.refresh()
