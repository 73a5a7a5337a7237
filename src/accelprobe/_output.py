"""Output that never raises: every byte written, or ``UnwritableError`` (the report exits 120).

Text the stream's encoding cannot represent is written with backslash escapes. A stream that
cannot be written any more is pointed at ``os.devnull``, so that the interpreter's own flush
at exit prints no traceback.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import TextIO

__all__ = ["STALL", "UnwritableError", "err", "flush", "out", "put", "silence", "write_all"]

STALL = 60.0
"""Seconds a non-blocking output may take nothing before the report gives up."""


class UnwritableError(Exception):
    """Standard output is closed, a broken pipe or a full disk."""


def silence(stream: TextIO | None) -> None:
    """Point ``stream``'s file descriptor at ``os.devnull``, so the flush at exit cannot fail.

    Python's documented recipe for a broken pipe: otherwise the interpreter prints a
    traceback at exit while flushing what could not be written.
    """
    try:
        fd = stream.fileno()  # type: ignore[union-attr]  # None raises AttributeError
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != fd:  # equal when the stream's descriptor had been closed
            os.dup2(devnull, fd)
            os.close(devnull)
    except (AttributeError, OSError, ValueError):
        return


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``, or raise ``OSError``.

    A non-blocking descriptor (a pipe another program set ``O_NONBLOCK`` on) takes part
    of it, or nothing, at a time: wait until it is writable again, at most ``STALL``
    seconds without progress.
    """
    view = memoryview(data)
    stalled = 0.0
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            written = 0
        if written:
            view, stalled = view[written:], 0.0
            continue
        if stalled >= STALL:
            raise BlockingIOError
        import select
        import time

        started = time.monotonic()
        try:
            select.select([], [fd], [], STALL - stalled)
        except (OSError, ValueError):  # pragma: no cover - Windows cannot select() on pipes
            time.sleep(0.01)
        stalled += time.monotonic() - started


def put(stream: TextIO | None, text: str) -> bool:
    """Write ``text`` and a newline, every byte of it; False where there is no stream.

    What the stream's encoding cannot represent is written with backslash escapes. A
    stream with a file descriptor is flushed and then written past (``write_all``): its
    own writes lose or refuse what a non-blocking descriptor does not take at once.
    """
    if stream is None:
        return False
    text += "\n"
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a file (io.StringIO): its own write is whole
        fd = -1
    if fd < 0 or os.name == "nt":  # Windows: the stream translates newlines
        try:
            stream.write(text)
        except UnicodeEncodeError:
            stream.write(text.encode(encoding, "backslashreplace").decode(encoding))
        stream.flush()
        return True
    try:
        data = text.encode(encoding, getattr(stream, "errors", None) or "strict")
    except UnicodeEncodeError:
        data = text.encode(encoding, "backslashreplace")
    stream.flush()
    write_all(fd, data)
    return True


def out(text: str) -> None:
    """Print ``text`` on standard output, or raise ``UnwritableError``."""
    try:
        if put(sys.stdout, text):
            return
    except (OSError, ValueError):
        silence(sys.stdout)
    raise UnwritableError


def err(text: str) -> None:
    """Print ``text`` on standard error, where possible: the exit status says it anyway."""
    try:
        put(sys.stderr, text)
    except (OSError, ValueError):
        silence(sys.stderr)


def flush(stream: TextIO | None) -> bool:
    """Flush ``stream`` now rather than at exit, where a failure prints a traceback."""
    try:
        if stream is not None:
            stream.flush()
    except (OSError, ValueError):
        silence(stream)
        return False
    return True
