"""The host's state while a runtime runs in this process (``probe(isolated=False)``).

A runtime may print, warn, change the warnings filters and reconfigure the root logger
while it imports or runs; the probe keeps what it says and puts the host's state back.
"""

from __future__ import annotations

import _thread
import sys

from accelprobe._advice import error_text, one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import Any, Callable, TextIO

__all__ = ["Capture", "logging_state", "restore_logging"]

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


def logging_state() -> tuple[Any, ...]:
    """The root logger's handlers, filters and level, and logging.disable()'s level."""
    logging = sys.modules.get("logging")
    if logging is None:  # a fresh logging module's state
        return ([], [], 30, 0)
    root = logging.getLogger()
    return (list(root.handlers), list(root.filters), root.level, root.manager.disable)


def restore_logging(state: tuple[Any, ...]) -> None:
    """Undo what a runtime did to the root logger (``basicConfig``) and ``logging.disable``."""
    logging = sys.modules.get("logging")
    if logging is not None and logging_state() != state:
        root = logging.getLogger()
        handlers, filters, level, disable = state
        root.handlers[:] = handlers
        root.filters[:] = filters
        root.setLevel(level)
        logging.disable(disable)
