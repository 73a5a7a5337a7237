"""Run accelprobe in a fresh interpreter that cannot hang the suite or eat the machine.

Every child gets a timeout and an address-space cap, so a regression (a FIFO read forever,
``/dev/zero`` read into memory) fails its test instead of hanging it. The child runs
tests/_driver.py, which starts coverage where the suite measures it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from tests.children import audit, common
from tests.fake import DRIVER, Hooks, as_tuple, config

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MEMORY = 2 << 30
"""The children's address-space cap: far above what detection needs, far below the machine."""
TIMEOUT = 120.0
"""Seconds a child may take before its test fails as hung.

Each passes in about a second here; the limit only turns a hang into a failure, so it is
far above what a machine several times slower and fully loaded needs.
"""
NEVER = 120.0
"""A probe's timeout where the probe must finish: never reached, however slow the machine."""


def kept(seconds: float, timeout: float) -> bool:
    """Whether a call with ``timeout`` returned in time: within twice the timeout.

    The margin is relative to the timeout, never a fixed number of milliseconds, so that a
    slow machine cannot fail it: what it catches is a timeout ignored, not a slow start.
    """
    return seconds < 2 * timeout


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without accelprobe's or Python's variables, plus ``env``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACCELPROBE_", "PYTHON", "FAKE_")) and key != "NO_COLOR"
    }
    environment.update(env or {})
    return environment


def _capped(memory: int, *, close_stdout: bool) -> Callable[[], None] | None:
    """What the child runs before exec: the memory cap, and ``>&-`` when asked.

    And SIGINT's default disposition, as a terminal gives it: a suite run in the background
    (``nox ... &`` in a script) inherits SIGINT ignored, and Python then installs no
    ``KeyboardInterrupt`` handler in its children.
    """
    if sys.platform == "win32":  # pragma: no cover - no resource module, no fork
        return None
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if close_stdout:
            os.close(1)

    return cap


def start(
    settings: dict[str, Any],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    memory: int = MEMORY,
    stdout: int | None = subprocess.PIPE,
    close_stdout: bool = False,
) -> subprocess.Popen[str]:
    """Start the driver with ``settings`` (see tests/_driver.py), capped, warnings as errors.

    Not ``-I``: a test may set ``PYTHONIOENCODING``; the driver sets ``sys.path`` itself.
    ``close_stdout`` starts the child with file descriptor 1 closed, as ``>&-`` does. The
    child leads a session of its own: ``kill_group(child.pid)`` ends whatever it started.
    """
    command = [sys.executable, "-s", "-W", "error", "-c", DRIVER, json.dumps(settings)]
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=environment(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=_capped(memory, close_stdout=close_stdout),  # noqa: PLW1509 - rlimit, close
        start_new_session=True,  # so that whatever it started dies with it
    )


def run(
    settings: dict[str, Any],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    memory: int = MEMORY,
    stdout: int | None = subprocess.PIPE,
    close_stdout: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run the driver as ``start`` does, for at most ``timeout`` seconds: its outcome."""
    process = start(
        settings, cwd=cwd, env=env, memory=memory, stdout=stdout, close_stdout=close_stdout
    )
    with process:
        try:
            out, err = process.communicate(timeout=timeout)
        finally:
            kill_group(process.pid)  # a timeout, or a forked child left hanging
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def kill_group(pid: int) -> None:
    """Kill the process group (or session) that ``pid`` leads; gone already is fine."""
    if sys.platform == "win32":  # pragma: no cover - no process groups
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def detect(
    *path: str | Path,
    cwd: Path,
    before: Hooks = None,
    after: Hooks = None,
    env: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> dict[str, Any]:
    """Import accelprobe in a capped child whose ``sys.path`` starts with ``path``.

    ``before`` runs before ``import accelprobe`` (after ``tests.children.audit`` starts
    counting), ``after`` after it (by default it records ``infos()`` of
    ``tests.children.common``); both fill ``result``, which is returned.
    """
    settings = config(path, (audit.install, *as_tuple(before)), after or common.record_infos)
    completed = run(settings, cwd=cwd, env=env, timeout=timeout)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr, completed.stderr[-3000:]
    found: dict[str, Any] = json.loads(completed.stdout.strip().rsplit("\n", 1)[-1])
    found["stdout"] = completed.stdout
    found["stderr"] = completed.stderr
    return found


def make_fifo(path: Path) -> Path:
    """A FIFO at ``path``: opening it for reading blocks until a writer comes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path
