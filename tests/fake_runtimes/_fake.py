"""What every fake runtime does first at import, as ``FAKE_RUNTIME`` says (tests/runtimes.py)."""

from __future__ import annotations

import os
import sys
import time

_held: list[object] = []  # the process started for "grandchild" and the others, kept alive


class Unprintable(ImportError):  # noqa: N818 - the name the reason shows
    def __str__(self) -> str:
        msg = "__str__ raised"
        raise RuntimeError(msg)


def start() -> str:  # noqa: C901, PLR0912 - one branch per behaviour
    """Behave at import as ``FAKE_RUNTIME`` says; return it ("" when unset)."""
    mode = os.environ.get("FAKE_RUNTIME", "")
    if mode == "raise":
        msg = "libonnxruntime.so: cannot open shared object file"
        raise ImportError(msg)
    if mode == "unprintable":
        raise Unprintable
    if mode == "hang":
        if "FAKE_PIDFILE" in os.environ:  # this process's pid, for a test that kills its caller
            _write_pid(os.environ.pop("FAKE_PIDFILE"), os.getpid())
        time.sleep(600)
    if mode == "exit":
        os._exit(3)
    if mode == "garbage":
        os.write(1, b"\x00garbage\n")
        os._exit(0)
    if mode == "bad-json":
        os.write(1, b"accelprobe-probe-result:{not json\n")
        os._exit(0)
    if mode == "result":
        os.write(1, ("accelprobe-probe-result:" + os.environ["FAKE_RESULT"] + "\n").encode())
        os._exit(0)
    if mode.startswith("flood"):
        for _ in iter(int, 1) if mode == "flood" else range(48):
            os.write(1, b"x" * 65535 + b"\n")  # past any capture, as a native library does
    if mode in ("grandchild", "daemon", "escaped") and "FAKE_PIDFILE" in os.environ:
        import subprocess

        held = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"],
            start_new_session=mode == "escaped",
        )
        _held.append(held)
        _write_pid(os.environ.pop("FAKE_PIDFILE"), held.pid)
        if mode == "grandchild":
            time.sleep(600)
    if mode in ("crash-after", "exit-after"):
        import atexit
        import signal

        def die() -> None:
            sys.stdout.flush()
            if mode == "exit-after":
                os._exit(3)
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.kill(os.getpid(), signal.SIGSEGV)

        atexit.register(die)
    if mode == "noisy":
        _noisy()
    if mode == "basicconfig":
        _basic_config()
    return mode


def _write_pid(path: str, pid: int) -> None:
    """Write ``pid`` to ``path`` whole: a reader never sees half of it."""
    with open(path + ".part", "w") as stream:
        stream.write(str(pid))
    os.replace(path + ".part", path)


def _basic_config() -> None:
    """``logging.basicConfig(force=True)``, as some runtimes' imports do; then, with
    ``FAKE_GATE``, write ``GATE.in`` and wait (a minute at most) until ``GATE.out`` exists."""
    import logging

    logging.basicConfig(force=True, level=logging.DEBUG, format="fake runtime: %(message)s")
    logging.getLogger("fake").warning("configured logging")
    gate = os.environ.get("FAKE_GATE")
    if gate:
        with open(gate + ".in", "w"):
            pass
        for _ in range(1200):
            if os.path.exists(gate + ".out"):
                break
            time.sleep(0.05)


def _noisy() -> None:
    """Print, warn, and change the warnings filters, the root logger and sys.stdout."""
    import io
    import logging
    import warnings

    print("fake runtime: loading" + "." * 70000)
    warnings.warn("fake runtime: deprecated at import", stacklevel=1)
    warnings.simplefilter("ignore")
    logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))
    logging.getLogger().setLevel(logging.DEBUG)
    logging.getLogger().addFilter(lambda record: True)  # noqa: ARG005
    logging.disable(logging.INFO)
    sys.stdout = io.StringIO()
