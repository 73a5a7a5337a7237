"""Editable installs: the distribution whose ``.pth`` file or finder maps a module's folder.

setuptools, hatchling and others each spell their files their own way; the distribution's
``RECORD`` and ``direct_url.json`` decide, never a file's name. Loaded only where no
distribution sits beside the module found.
"""

import os

from accelprobe._metadata import (
    RECORD_LIMIT,
    Dist,
    Scan,
    matching,
    metadata_entries,
    project,
    read_metadata,
    site_of,
)

__all__ = ["pth_owner", "same_path"]

_PTH_LIMIT = 1 << 16  # a .pth file, a finder, a direct_url.json


def pth_owner(scan: "Scan", folder: str, location: str, parts: list[str]) -> "Dist | None":
    """An editable install in ``folder`` whose ``.pth`` file or finder maps ``location``.

    setuptools writes ``__editable__.NAME-VERSION.pth`` (a path, or an import of its
    ``__editable___NAME_VERSION_finder.py`` whose ``MAPPING`` names each package's folder);
    hatchling writes ``_editable_impl_NAME.pth`` (``_NAME.pth`` before editables 0.6); each
    lists it in the distribution's ``RECORD``, which decides the owner.
    """
    top = os.path.join(site_of(location, parts) or location, parts[0])
    site = os.path.dirname(top)
    for name in matching(folder, "", (".pth", "_finder.py")):
        text = scan.read_text(os.path.join(folder, name), _PTH_LIMIT)
        if text is None:
            continue
        if name.endswith(".pth"):
            paths = [
                os.path.join(folder, line.strip())
                for line in text.splitlines()
                if line.strip() and not line.startswith(("#", "import ", "import\t"))
            ]
            mapped = any(same_path(path, site) for path in paths)
        else:
            mapped = any(same_path(path, top) for path in _finder_mapping(text, parts[0]) if path)
        if mapped:
            dist = _owner_of_file(scan, folder, name)
            if dist is not None:
                return dist
    return None


def _finder_mapping(text: str, top: str) -> list[str]:
    """The folders that a setuptools editable finder's ``MAPPING`` gives for package ``top``."""
    import ast

    for line in text.splitlines():
        if line.startswith("MAPPING"):
            try:
                mapping = ast.literal_eval(line.partition("=")[2].strip())
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return []
            value = mapping.get(top) if isinstance(mapping, dict) else None
            return [value] if isinstance(value, str) else []
    return []


def _owner_of_file(scan: "Scan", folder: str, name: str) -> "Dist | None":
    """The editable install in ``folder`` whose ``RECORD`` lists the file ``name``.

    Never guessed from the file's name, which each installer spells its own way
    (``__editable__.my_ort-1.0.pth``, ``_editable_impl_my_ort.pth``, ``_my_ort.pth``): the
    distributions whose ``direct_url.json`` says editable are asked, a ``.pth`` file alone
    maps a folder, not the packages someone put there.
    """
    for entry in metadata_entries(folder):
        info = os.path.join(folder, entry)
        if not _editable(scan, info):
            continue
        record = scan.read_text(os.path.join(info, "RECORD"), RECORD_LIMIT)
        if record is None or f"\n{name}," not in f"\n{record}":
            continue
        version, _ = read_metadata(scan, info)
        if version is not None:
            return Dist(project(entry).replace("_", "-"), version, folder, entry)
    return None


def _editable(scan: "Scan", info: str) -> bool:
    """Whether the metadata folder ``info`` says it is an editable install (PEP 660)."""
    text = scan.read_text(os.path.join(info, "direct_url.json"), _PTH_LIMIT)
    if text is None:
        return False
    import json

    try:
        found = json.loads(text)
    except ValueError:
        return False
    dir_info = found.get("dir_info") if isinstance(found, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def same_path(first: str, second: str) -> bool:
    """Whether two paths name the same file or folder, links resolved."""
    try:
        return os.path.normcase(os.path.realpath(first)) == os.path.normcase(
            os.path.realpath(second)
        )
    except (OSError, ValueError):
        return False
