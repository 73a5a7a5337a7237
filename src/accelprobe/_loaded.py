"""A backend module that this process loaded already: is it the installed one? Its files say.

A runtime's ``__version__`` is no guide (OpenVINO's ``2024.5.0-17277-84e68373791`` for the
installed ``2024.5.0.dev20241105``): the loaded copy is another than the installed one
when its file is gone, or changed after detection first saw it loaded. Where the file
changed before that, so that its time cannot tell, a ``__version__`` of another release
than the installed one can. Loaded only when a backend's module is in ``sys.modules``.
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["loaded_state", "other_copy"]

# module name -> (the module object's id, when detection first saw it loaded); per process
_SEEN: dict[str, tuple[int, float]] = {}


def loaded_state(module: str, origin: str) -> tuple[str, str] | None:
    """The loaded ``module``'s version (its PEP 440 part) and whether its file ``origin`` is there.

    The state is ``gone`` (removed since it was loaded), ``changed`` (replaced after
    detection first saw it loaded) or ``kept``. None where ``module`` is not loaded or has
    no ``__version__`` string.
    """
    loaded = sys.modules.get(module)
    version = getattr(loaded, "__version__", None) if loaded is not None else None
    if not isinstance(version, str) or not version.strip():
        return None
    seen = _SEEN.get(module)
    if seen is None or seen[0] != id(loaded):
        seen = _SEEN[module] = (id(loaded), time.time())
    version = version.partition("-")[0]  # OpenVINO's -17277-84e68373791 build suffix
    try:
        changed = os.stat(origin).st_ctime  # a new file, or one written in place
    except (OSError, ValueError):
        return version, "gone"
    return version, "changed" if changed > seen[1] else "kept"


def other_copy(state: tuple[str, str], installed: str) -> bool:
    """Whether the loaded copy (``loaded_state``) is another release than ``installed``.

    A changed file at another version, or a kept one whose release differs (1.31.1 for an
    installed 1.32.0; not 2024.5.0 for 2024.5.0.dev20241105, nor 2.8.0+cpu for 2.8.0).
    """
    version, how = state
    if version.partition("+")[0] == installed.partition("+")[0]:
        return False
    return how == "changed" or _release(version) != _release(installed)


def _release(version: str) -> str:
    """The leading release numbers, trailing zeros dropped: ``2024.5`` for ``2024.5.0.dev1``."""
    end = 0
    while end < len(version) and (version[end].isdigit() or version[end] == "."):
        end += 1
    parts = version[:end].split(".")
    while parts and parts[-1].strip("0") == "":
        parts.pop()
    return ".".join(parts)
