"""The record that ``accelprobe.backends.backend_info`` returns.

It lives apart from ``backends`` because ``dataclasses`` costs milliseconds to import, and
detection at import time must not pay for it: this module is imported on first use.
"""

from __future__ import annotations

import dataclasses

__all__ = ["BackendInfo"]


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
