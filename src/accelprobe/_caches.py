"""Clear the import system's caches (as ``importlib.invalidate_caches()`` does) and ours.

Every touch of the import system's private state (``PathFinder``, the namespace paths'
epoch) is here, guarded, with a parity test (tests/test_internals.py). Loaded on refresh().
"""

from __future__ import annotations

import os
import sys

from accelprobe._facts import DEBUG, log

__all__ = ["invalidate_caches"]


def invalidate_caches() -> None:
    """What ``importlib.invalidate_caches()`` does, without an ``import`` and never raising.

    And the folder listings that accelprobe keeps, where it read any.

    Python 3.12+'s ``PathFinder.invalidate_caches`` imports ``importlib.metadata``; an
    import takes that module's lock, which a fork while another thread is here leaves
    held, for ever, in the child. So the path finder's part is done here, as it does it.
    """
    external = sys.modules.get("_frozen_importlib_external")
    path_finder = getattr(external, "PathFinder", None)
    for finder in list(sys.meta_path):
        try:
            if finder is path_finder:
                _invalidate_path_caches(external)
            else:
                getattr(finder, "invalidate_caches", _nothing)()
        except Exception:  # noqa: BLE001, PERF203 - a broken finder must not stop the others
            log(DEBUG, "invalidating the caches of %r failed", finder, exc_info=True)
    metadata = sys.modules.get("accelprobe._metadata")
    if metadata is not None:  # folders listed since the last detection
        metadata.LISTINGS.clear()


def _nothing() -> None:
    """A finder's ``invalidate_caches`` where it has none."""


def _invalidate_path_caches(external: object) -> None:
    """``PathFinder.invalidate_caches()``: each folder's finder, namespace paths, metadata."""
    for name, finder in list(sys.path_importer_cache.items()):
        if finder is None or not os.path.isabs(name):  # the working directory may have moved
            sys.path_importer_cache.pop(name, None)
        else:
            getattr(finder, "invalidate_caches", _nothing)()
    namespace = getattr(external, "_NamespacePath", None)
    namespace._epoch = getattr(namespace, "_epoch", 0) + 1  # type: ignore[union-attr]  # noqa: SLF001
    metadata = sys.modules.get("importlib.metadata")
    if metadata is not None:  # only where something else imported it
        metadata.MetadataPathFinder.invalidate_caches()
