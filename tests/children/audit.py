"""Counts, in the child, what detection opens and lists (audit events), and its peak memory."""

from __future__ import annotations

import collections
import sys
from typing import Any, Callable

opened: collections.Counter[str] = collections.Counter()
"""Files opened (path -> count) since the hook was installed or ``counted()`` began."""
listed: collections.Counter[str] = collections.Counter()
"""Folders listed (path -> count), likewise."""
_SCALE = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is in KiB on Linux
_start: dict[str, int] = {}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and isinstance(args[0], str):
        opened[args[0]] += 1
    elif event in ("os.listdir", "os.scandir") and isinstance(args[0], str):
        listed[args[0]] += 1


def install(_result: dict[str, Any]) -> None:
    """Count from now on (tests/hostile_support.py runs it first in every child)."""
    sys.addaudithook(_audit)


def peak() -> int:
    """The process's peak resident memory so far, in bytes."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _SCALE


def start(_result: dict[str, Any]) -> None:
    """Remember the peak now, for ``grew()``."""
    _start["peak"] = peak()


def grew() -> int:
    """How much the peak grew since ``start()``."""
    return peak() - _start["peak"]


def counted(function: Callable[[], object]) -> tuple[dict[str, int], dict[str, int]]:
    """What ``function()`` opened and listed."""
    opened.clear()
    listed.clear()
    function()
    return dict(opened), dict(listed)
