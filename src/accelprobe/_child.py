"""Run a command in a child process that cannot take the caller down.

The child gets a process group of its own, its output is read under a cap until it ends or
a deadline passes, and then the whole group (any grandchild too) is killed. The child dies
with its caller (``die_with``), even one killed by ``SIGKILL``; a caller that unwinds (a
signal handler that raises) kills the group on its way out.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import Any

__all__ = ["START_ERRORS", "die_with", "run_child"]

START_ERRORS = (OSError, RuntimeError, ValueError, subprocess.SubprocessError)
"""What starting a child can raise: a missing interpreter, a NUL in an argument, a
subinterpreter that may not start processes (``RuntimeError``), a failed ``exec``."""

_CAP = 1 << 20  # bytes of a child's stdout, and of its stderr, that are kept
_POLL = 0.05  # seconds between checks that the child is still running
_GRACE = 1.0  # seconds past the deadline to read what an exited child left, or to reap one
_PR_SET_PDEATHSIG = 1  # Linux's prctl(2) option: the signal a process gets when its parent dies


def _death_signal() -> bool:
    """Linux: ask the kernel to ``SIGKILL`` this process when its parent dies."""
    if not sys.platform.startswith("linux"):  # pragma: no cover - Linux alone has prctl
        return False
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        return bool(prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError, ImportError):  # pragma: no cover - a libc without it
        return False


def _watch(parent: int) -> None:  # pragma: no cover - where prctl is missing
    """Exit, this process's group with it, once ``parent`` is no longer the parent."""
    while os.getppid() == parent:
        time.sleep(_POLL)
    _exit_group()


def _exit_group() -> None:  # pragma: no cover - it ends the process before coverage saves
    """End this process and its group at once: the caller that wanted them is gone."""
    killpg = getattr(os, "killpg", None)
    if killpg is not None:  # Windows has no process groups
        with contextlib.suppress(OSError):
            killpg(0, signal.SIGKILL)
    os._exit(1)


def die_with(parent: int) -> None:
    """In a child: die when ``parent``, the caller that started it, is gone.

    Run first in the child. On Linux the kernel kills the child when the caller dies
    (``PR_SET_PDEATHSIG``), even by ``SIGKILL``; elsewhere a daemon thread watches
    ``os.getppid()``. A caller already gone before that was set (the race) ends it now.
    """
    if not _death_signal():  # pragma: no cover - where prctl is missing
        import threading

        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:
        _exit_group()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started (they share its new process group)."""
    killpg = getattr(os, "killpg", None)
    if killpg is None:  # pragma: no cover - Windows has no process groups to kill
        process.kill()
        return
    with contextlib.suppress(OSError):  # the group is gone already
        killpg(process.pid, signal.SIGKILL)


def _keep(buffer: bytearray, data: bytes) -> None:
    """Add ``data``, keeping the last ``_CAP`` bytes: the result line comes last."""
    buffer += data
    del buffer[:-_CAP]


def _read(process: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes]:
    """Read the child's stdout and stderr, under the cap, until it ends or the deadline.

    A grandchild that holds the pipes open does not keep the read going once the child
    has exited: its group is killed and what is left in the pipes is read, for at most
    ``_GRACE`` seconds past the deadline (one that left the group may write on).
    """
    if os.name == "nt":  # pragma: no cover - Windows cannot select() on pipes
        return _read_in_threads(process, deadline)
    assert process.stdout is not None  # noqa: S101 - both are pipes
    assert process.stderr is not None  # noqa: S101
    kept = {process.stdout.fileno(): bytearray(), process.stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as selector:
        for fd in kept:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            exited = process.poll() is not None
            if exited:
                _kill_group(process)
            if left <= (-_GRACE if exited else 0):
                break
            ready = selector.select(0 if exited else min(left, _POLL))
            if exited and not ready:
                break
            for key, _ in ready:
                data = os.read(key.fd, 1 << 16)
                if not data:
                    selector.unregister(key.fd)
                _keep(kept[key.fd], data)
    return bytes(kept[process.stdout.fileno()]), bytes(kept[process.stderr.fileno()])


def _read_in_threads(
    process: subprocess.Popen[bytes], deadline: float
) -> tuple[bytes, bytes]:  # pragma: no cover - Windows only
    import threading

    streams = [process.stdout, process.stderr]
    kept = [bytearray(), bytearray()]

    def drain(stream: Any, buffer: bytearray) -> None:
        for data in iter(lambda: stream.read1(1 << 16), b""):
            _keep(buffer, data)

    threads = [
        threading.Thread(target=drain, args=pair, daemon=True) for pair in zip(streams, kept)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return bytes(kept[0]), bytes(kept[1])


def run_child(
    command: list[str], env: dict[str, str], timeout: float
) -> tuple[int | None, str, str]:
    """Run ``command`` in a new process group for at most ``timeout`` seconds.

    Returns its exit status (None when it was still running at the deadline) and the last
    ``_CAP`` bytes of its stdout and stderr. The whole group is killed before returning.
    """
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = _read(process, deadline)
        status = process.poll()
        if status is None:  # the pipes are closed; the child may still exit in time
            try:
                status = process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                status = None
    finally:
        _kill_group(process)
        process.stdout.close()  # type: ignore[union-attr]  # both are pipes
        process.stderr.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):  # unkillable (in the kernel)
            process.wait(_GRACE)
    return status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
