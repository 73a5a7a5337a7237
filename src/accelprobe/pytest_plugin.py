"""A pytest plugin for test suites that run against optional backends.

Opt in with ``pytest_plugins = ["accelprobe.pytest_plugin"]`` in a ``conftest.py`` or with
``pytest -p accelprobe.pytest_plugin``.

- ``@pytest.mark.requires_backend("onnxruntime", "optimum-onnx")`` skips a test, with the
  reason, unless every named backend (or accelerator name such as ``ov``) is available.
- The report header lists what was detected.
"""

from __future__ import annotations

import pytest

from accelprobe import backends

__all__ = ["pytest_configure", "pytest_report_header", "pytest_runtest_setup"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, so that ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers",
        "requires_backend(*names): skip unless every named accelprobe backend is available",
    )


def pytest_report_header() -> str:
    """One line: each backend, its version or ``no``, and the accelerator picked."""
    found = ", ".join(
        f"{info.name} {info.version if info.available else 'no'}"
        for info in backends.all_backends()
    )
    accelerators = ", ".join(backends.available_accelerators()) or "none"
    return f"accelprobe: {found}; accelerators: {accelerators}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip the test when a backend named by ``requires_backend`` is unavailable."""
    for marker in item.iter_markers(name="requires_backend"):
        if not marker.args:
            msg = f"{item.nodeid}: requires_backend needs at least one backend name"
            raise pytest.UsageError(msg)
        for name in marker.args:
            info = backends.backend_info(name)
            if not info.available:
                pytest.skip(f"requires {info.name}: {info.reason}")
