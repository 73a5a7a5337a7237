"""A pytest plugin for test suites that run against optional backends.

Opt in with ``pytest_plugins = ["accelprobe.pytest_plugin"]`` in a ``conftest.py`` or with
``pytest -p accelprobe.pytest_plugin``; either way it answers the same.

- ``@pytest.mark.requires_backend("onnxruntime", "optimum-onnx")`` skips a test unless every
  named backend (or accelerator name such as ``ov``) is available; the skip names each
  unavailable one with its reason and points at the test. An unknown name, or none, is a
  collection error.
- Detection runs again once ``sys.path`` is final (pytest puts the rootdir, the conftest
  folders, ``pythonpath`` and the test folders on it after ``import accelprobe`` may have
  run), so a project-local ``openvino.py`` that the tests would import is seen.
- The report header lists what was detected.
"""

from __future__ import annotations

import sys

import pytest

from accelprobe import backends

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Generator
    from typing import Any

__all__ = [
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_pycollect_makeitem",
    "pytest_report_collectionfinish",
    "pytest_report_header",
]

_MARKER = "requires_backend"
# sys.path as detection last saw it; the header; a changed answer after collection.
_PATH = pytest.StashKey[tuple[object, ...]]()
_HEADER = pytest.StashKey[str]()
_CHANGED = pytest.StashKey[str]()


def _detect(config: pytest.Config) -> str:
    """Detect against ``sys.path`` as it is now; return the one-line summary."""
    backends.refresh()
    config.stash[_PATH] = tuple(sys.path)
    found = []
    for info in backends.all_backends():
        status = backends.detection(info.name).status
        found.append(f"{info.name} {info.version if info.available else status}")
    accelerators = ", ".join(backends.available_accelerators()) or "none"
    return f"accelprobe: {', '.join(found)}; accelerators: {accelerators}"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (for ``--strict-markers``) and detect with the conftests loaded."""
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(*names): skip unless every named accelprobe backend is available",
    )
    config.stash[_HEADER] = _detect(config)


def pytest_report_header(config: pytest.Config) -> str:
    """One line: each backend, its version or why not, and the accelerators available."""
    return config.stash[_HEADER]


def _required(item: pytest.Item) -> list[str]:
    """The backend keys that ``item``'s markers name, or ``ValueError`` saying what is wrong."""
    keys: list[str] = []
    for marker in item.iter_markers(name=_MARKER):
        if marker.kwargs or not marker.args:
            msg = (
                f"{item.nodeid}: {_MARKER} takes one or more backend names, "
                f"e.g. @pytest.mark.{_MARKER}('onnxruntime')"
            )
            raise ValueError(msg)
        for name in marker.args:
            try:
                key = backends.detection(name).name
            except ValueError as error:
                msg = f"{item.nodeid}: {_MARKER}: {error}"
                raise ValueError(msg) from None
            if key not in keys:
                keys.append(key)
    return keys


def _check(collector: pytest.Collector, made: object) -> None:
    """Raise a collection error for an item that ``_required`` refuses."""
    for item in made if isinstance(made, list) else [made]:
        if isinstance(item, pytest.Item):
            try:
                _required(item)
            except ValueError as error:
                raise collector.CollectError(str(error)) from None


def pytest_pycollect_makeitem(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Make a bad ``requires_backend`` marker a collection error of the test's module."""
    made = yield
    _check(collector, made)
    return made


try:  # a new-style wrapper (pluggy 1.1+) may raise; an old-style one warns when it does
    pytest_pycollect_makeitem = pytest.hookimpl(wrapper=True)(pytest_pycollect_makeitem)
except TypeError:  # pragma: no cover - pluggy before 1.1

    def _old_style(collector: pytest.Collector) -> Generator[None, Any, None]:
        outcome = yield
        _check(collector, outcome.get_result())

    pytest_pycollect_makeitem = pytest.hookimpl(hookwrapper=True)(_old_style)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip each test whose backends are unavailable, detecting again if sys.path changed.

    The skip is a marker on the test, so pytest reports it at the test (file and line, also
    for a class or module marker), not here.
    """
    if tuple(sys.path) != config.stash[_PATH]:  # collection put test folders on sys.path
        summary = _detect(config)
        if summary != config.stash[_HEADER]:
            config.stash[_CHANGED] = summary
    for item in items:
        try:
            keys = _required(item)
        except ValueError as error:  # a marker added after collection, by another hook
            raise pytest.UsageError(str(error)) from None
        missing = [found for found in map(backends.detection, keys) if not found.available]
        if missing:
            reason = "; ".join(f"requires {found.name}: {found.reason}" for found in missing)
            # skipif, not skip: pytest folds a ``skip`` from a class or ``pytestmark`` into a
            # report without the line; a true ``skipif`` keeps the test's file and line.
            item.add_marker(pytest.mark.skipif(True, reason=reason))  # noqa: FBT003


def pytest_report_collectionfinish(config: pytest.Config) -> str | None:
    """What detection found once the tests were collected, where it differs from the header."""
    changed = config.stash.get(_CHANGED, None)
    return None if changed is None else f"{changed} (detected again after collection)"
