"""accelprobe's own version: the copy that runs, wherever it was put on ``sys.path``.

Read from the metadata beside the package in its own ``sys.path`` entry (a folder, or a
zip or wheel put on ``sys.path`` itself), not from the first copy installed elsewhere;
``accelprobe.__version__`` falls back to that, then to ``0+unknown``. Never raises.
"""

from __future__ import annotations

import os

from accelprobe._metadata import (
    READ_LIMIT,
    Scan,
    decode_metadata,
    installed_in,
    parse_version,
    project,
)

__all__ = ["own_version", "version_in"]

_NAME = "accelprobe"


def _archive(entry: str) -> tuple[str, str] | None:
    """The zip file that holds ``entry`` and the folder inside it (``''``: its top)."""
    inner: list[str] = []
    path = entry
    while not os.path.isfile(path):
        path, name = os.path.split(path)
        if not name:  # the root: no file on the way up
            return None
        inner.insert(0, name)
    return path, "/".join(inner)


def _in_archive(archive: str, inner: str) -> str | None:
    """The version in accelprobe's ``*.dist-info`` at ``inner`` of the zip ``archive``."""
    import zipfile

    prefix = f"{inner}/" if inner else ""
    with zipfile.ZipFile(archive) as bundle:
        for name in sorted(bundle.namelist()):
            folder, _, file = name[len(prefix) :].partition("/")
            if not name.startswith(prefix) or file != "METADATA":
                continue
            if folder.endswith(".dist-info") and project(folder) == _NAME:
                with bundle.open(name) as stream:
                    text = decode_metadata(stream.read(READ_LIMIT))
                version = parse_version(text) if text is not None else None
                if version:
                    return version
    return None


def version_in(entry: str) -> str | None:
    """The version in ``entry``, a ``sys.path`` entry (a folder, in a zip), or None."""
    try:
        if os.path.isdir(entry):
            dist = installed_in(Scan(), _NAME, entry)
            return dist.version if dist is not None else None
        found = _archive(entry)
        return _in_archive(*found) if found is not None else None
    except Exception:  # noqa: BLE001 - a damaged archive or folder: the next answer counts
        return None


def own_version() -> str | None:
    """The version beside this copy of accelprobe, in its own ``sys.path`` entry, or None."""
    return version_in(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
