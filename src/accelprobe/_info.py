"""The record that ``accelprobe.backends.backend_info`` returns.

It lives apart from ``backends`` because ``dataclasses`` costs milliseconds to import, and
detection at import time must not pay for it: this module is imported on first use.
"""

from __future__ import annotations

import dataclasses

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from accelprobe.backends import Detection

__all__ = ["BackendInfo", "backend_info_of"]


@dataclasses.dataclass(frozen=True)
class BackendInfo:
    """What detection found for one backend.

    ``available`` agrees with the backend's ``is_*_available()`` flag. ``distribution`` and
    ``version`` name the installed distribution even when a shadowing file or a leftover
    folder makes it unusable; ``reason`` says why in one sentence.
    """

    name: str
    """The backend's key: ``openvino``, ``onnxruntime``, ``ipex``, ``optimum-intel`` or
    ``optimum-onnx``."""
    module: str
    """The module that was looked for, e.g. ``optimum.intel``."""
    available: bool
    """Whether the backend is installed and its module is the installed copy."""
    distribution: str | None
    """The distribution that provides the module, e.g. ``onnxruntime-gpu``."""
    version: str | None
    """That distribution's version, as its metadata says."""
    location: str | None
    """The package folder or module file that the import system found."""
    reason: str
    """One plain sentence: why the backend is available or not."""
    conflicts: tuple[str, ...] = ()
    """Other installed distributions that ship the same module and overwrite each other."""


def backend_info_of(found: Detection) -> BackendInfo:
    """The ``BackendInfo`` of detection's cheap record."""
    return BackendInfo(
        name=found.name,
        module=found.module,
        available=found.available,
        distribution=found.distribution,
        version=found.version,
        location=found.location,
        reason=found.reason,
        conflicts=found.conflicts,
    )
