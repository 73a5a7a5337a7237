"""The host's state while a runtime runs in this process (``probe(isolated=False)``).

A runtime may print, warn, change the warnings filters and reconfigure the root logger
(``logging.basicConfig(force=True)`` closes its handlers) while it imports or runs; the
probe keeps what it says and puts the host's state back, also in a child that another
thread forks mid-probe. Other global changes (the working folder, signal handlers,
threads) are beyond reach: ``isolated=True`` is the answer to them.
"""

from __future__ import annotations

import _thread
import os
import sys
import warnings

from accelprobe._advice import error_text, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import Any, Callable, TextIO

__all__ = ["Capture", "Host"]

_CAP = 1 << 16  # characters a runtime may print or warn during an in-process probe


class Capture:
    """The host's ``sys.stdout`` and ``warnings.showwarning`` while a probe runs.

    What the probing thread prints or warns is kept (the runtime's own explanation of a
    fallback); what any other thread prints or warns goes where it always went.
    """

    def __init__(self, stream: Any, show: Callable[..., None]) -> None:
        self.stream = stream
        self.show = show
        self.thread = _thread.get_ident()
        self.said: list[str] = []
        self.size = 0

    def keep(self, text: str) -> None:
        if self.size < _CAP:
            self.said.append(text[: _CAP - self.size])
            self.size += len(self.said[-1])

    def write(self, text: str) -> int:
        if _thread.get_ident() != self.thread:
            return int(self.stream.write(text))
        self.keep(text)
        return len(text)

    def flush(self) -> None:
        if _thread.get_ident() != self.thread:
            self.stream.flush()

    def warn(  # noqa: PLR0913, PLR0917 - warnings.showwarning's signature
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if _thread.get_ident() != self.thread:
            self.show(message, category, filename, lineno, file, line)
        else:
            self.keep(f"\n{error_text(message, typed=False)}\n")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def since(self, start: int) -> str:
        return one_line("".join(self.said[start:]))


def _logging_state() -> tuple[Any, ...]:
    """The root logger's handlers, filters and level, and logging.disable()'s level."""
    logging = sys.modules.get("logging")
    if logging is None:  # a fresh logging module's state
        return ([], [], 30, 0)
    root = logging.getLogger()
    return (list(root.handlers), list(root.filters), root.level, root.manager.disable)


def _restore_logging(state: tuple[Any, ...]) -> None:
    """Undo what a runtime did to the root logger (``basicConfig``) and ``logging.disable``."""
    logging = sys.modules.get("logging")
    if logging is not None and _logging_state() != state:
        root = logging.getLogger()
        handlers, filters, level, disable = state
        root.handlers[:] = handlers
        root.filters[:] = filters
        root.setLevel(level)
        logging.disable(disable)


def _never_close() -> None:
    """A host handler's ``close`` while a runtime runs: ``basicConfig(force=True)`` calls it."""


_ABSENT = object()


class Host:
    """The host's state, swapped for ``capture`` while a runtime runs, then put back.

    Entered: warnings are shown to ``capture`` (every time), ``sys.stdout`` is ``capture``,
    and the root logger's handlers cannot be closed. Left, or in a child forked meanwhile:
    all of it as it was, the handlers open and attached.
    """

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.caught = warnings.catch_warnings()
        self.logged = _logging_state()
        self.opened: list[tuple[Any, object]] = []  # (handler, its own close or _ABSENT)

    def __enter__(self) -> None:
        self.caught.__enter__()
        _active.append(self)  # from here a fork gives the host its state back
        warnings.simplefilter("always")  # a runtime's fallback warning, every time
        warnings.showwarning = self.capture.warn
        for handler in self.logged[0]:
            try:
                own = vars(handler).get("close", _ABSENT)
                handler.close = _never_close
            except (AttributeError, TypeError):  # junk in root.handlers: left as it is
                continue
            self.opened.append((handler, own))
        if self.capture.stream is not None:  # pythonw has no stdout to print to
            sys.stdout = self.capture

    def __exit__(self, *_exc: object) -> None:
        self.give_back()

    def give_back(self) -> None:
        """Put the host's state back (once)."""
        if self not in _active:
            return
        _active.remove(self)
        sys.stdout = self.capture.stream
        self.caught.__exit__(None, None, None)
        _restore_logging(self.logged)
        for handler, close in self.opened:
            if close is _ABSENT:
                del handler.close
            else:
                handler.close = close


_active: list[Host] = []  # the probe running now (one at a time), for a child forked meanwhile


def _after_fork() -> None:
    """In a child forked mid-probe: the probing thread is gone; its state goes back."""
    for host in reversed(_active):
        host.give_back()


if hasattr(os, "register_at_fork"):  # pragma: no branch - Windows has no fork
    os.register_at_fork(after_in_child=_after_fork)
