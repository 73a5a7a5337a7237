"""Owners not beside the module found: eggs, other providers, installs it shadows.

Also the uninstall's leftover folder, and the accepted distributions that later
``sys.path`` folders hide. Loaded only where no accepted distribution sits beside the
module found, or on request.
"""

import os
import sys

from accelprobe._editables import pth_owner, same_path
from accelprobe._metadata import (
    Dist,
    Scan,
    in_folder,
    metadata_entries,
    parse_version,
    project,
    read_metadata,
    search_dirs,
    ships,
    site_of,
    underscored,
    universal_newlines,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable, Iterator, Sequence

    from accelprobe._facts import BackendFacts

__all__ = [
    "everywhere",
    "hidden",
    "in_egg",
    "leftover",
    "owner_elsewhere",
    "providers",
    "unaccepted_beside",
]


def hidden(facts: "BackendFacts", dist: "Dist") -> tuple[str, ...]:
    """Accepted distributions in other ``sys.path`` folders than ``dist``'s, as text."""
    others = [folder for folder in search_dirs() if not same_path(folder, dist.site)]
    found = everywhere(Scan(), facts, others)
    return tuple(f"{other.name} {other.version} in {other.site}" for other in found)


def leftover(
    scan: "Scan", facts: "BackendFacts", location: str, parts: list[str]
) -> "tuple[str, str, Dist | None]":
    """A folder of the module's name without ``__init__.py``: an uninstall's leftover."""
    site = site_of(location, parts)
    found = in_folder(scan, facts, site) if site is not None else []
    dist = found[0] if found else next(everywhere(scan, facts, search_dirs()), None)
    leftover = f"{location} is a folder without __init__.py"
    if dist is None:
        return "leftover", f"{leftover}, not an installed package", None
    return "leftover", f"{dist.name} {dist.version} is installed but {leftover}", dist


def everywhere(scan: "Scan", facts: "BackendFacts", dirs: "Sequence[str]") -> "Iterator[Dist]":
    """The accepted distributions of a backend in ``dirs``, folder by folder, lazily."""
    for folder in dirs:
        yield from in_folder(scan, facts, folder)


def providers(scan: "Scan", module: str, folder: str, skip: "Iterable[str]") -> "list[Dist]":
    """Distributions in ``folder``, outside ``skip``, whose files include ``module``."""
    seen = {underscored(name) for name in skip}
    found: list[Dist] = []
    for entry in metadata_entries(folder):
        name = project(entry)
        if name in seen:
            continue
        version, _ = read_metadata(scan, os.path.join(folder, entry))
        if version is None:
            continue
        dist = Dist(name.replace("_", "-"), version, folder, entry)
        if ships(scan, dist, module, unlisted=False):
            seen.add(name)
            found.append(dist)
    return found


def unaccepted_beside(scan: "Scan", facts: "BackendFacts", site: str) -> "Dist | None":
    """The owner in the module's own folder ``site`` where no accepted one is there.

    The metadata of the ``.egg`` it is in, or (ONNX Runtime) any distribution whose
    files include it.
    """
    if os.path.basename(site).lower().endswith(".egg"):
        return in_egg(scan, facts, site)
    if facts.any_provider:
        found = providers(scan, facts.module, site, facts.accepted)
        if found:
            return found[0]
    return None


def in_egg(scan: "Scan", facts: "BackendFacts", egg: str) -> "Dist | None":
    """The distribution of the ``.egg`` folder ``egg``: its ``EGG-INFO``, named by the folder.

    An accepted name, or for ONNX Runtime any egg whose ``top_level.txt`` names the module.
    """
    name = project(os.path.basename(egg))
    names = {underscored(accepted): accepted for accepted in facts.accepted}
    version, _ = read_metadata(scan, os.path.join(egg, "EGG-INFO"))
    if version is None:
        return None
    dist = Dist(names.get(name, name.replace("_", "-")), version, egg, "EGG-INFO")
    listed = facts.any_provider and ships(scan, dist, facts.module, unlisted=False)
    return dist if name in names or listed else None


def owner_elsewhere(
    scan: "Scan", facts: "BackendFacts", location: str, parts: list[str]
) -> "tuple[Dist | None, str]":
    """The owner of a module with no distribution beside it, or what it shadows.

    An accepted distribution with its own copy elsewhere is shadowed by the module found;
    otherwise an editable install that maps the module owns it.
    """
    dirs = search_dirs()
    names = facts.accepted
    candidates = list(everywhere(scan, facts, dirs))
    if not candidates:
        for folder in dirs:
            editable = pth_owner(scan, folder, location, parts)
            if editable is not None:
                return editable, ""
        from accelprobe._zips import carrying

        zipped = carrying(dirs, facts)
        if zipped is not None:  # a zipped install is shadowed as a folder install is
            return zipped, _shadows(location, zipped)
        candidates = [
            dist for dist in (_from_importlib_metadata(name, dirs) for name in names) if dist
        ]
    if not candidates:
        if scan.problems:
            return None, scan.problems[0]
        return None, (
            f"{facts.module} at {location} does not come from an installed distribution "
            f"({_either_names(names)} is not installed)"
        )
    copies = [(dist, _copy_of(dist, parts)) for dist in candidates]
    for dist, copy in copies:
        if copy is not None and same_path(copy, location):
            return dist, ""
    shadowed = next((dist for dist, copy in copies if copy is not None), None)
    if shadowed is None:
        return candidates[0], ""  # an editable install: no copy beside the metadata
    return shadowed, _shadows(location, shadowed)


def _copy_of(dist: "Dist", parts: list[str]) -> "str | None":
    """The package folder ``dist`` installed beside its metadata, if there is one."""
    folder = os.path.join(dist.site, *parts)
    return folder if os.path.isfile(os.path.join(folder, "__init__.py")) else None


def _either_names(names: "Sequence[str]") -> str:
    """``a`` or ``a or b`` or ``a, b or N other distributions``."""
    if len(names) <= 2:  # noqa: PLR2004 - "a" or "a or b"
        return " or ".join(names)
    return f"{names[0]}, {names[1]} or {len(names) - 2} other distributions"


def _shadows(location: str, shadowed: "Dist") -> str:
    """The reason: the file or folder at ``location`` hides ``shadowed``'s install."""
    kind = "folder" if os.path.isdir(location) else "file"
    return (
        f"a {kind} {location} shadows {shadowed.name} {shadowed.version} installed in "
        f"{shadowed.site}"
    )


def _from_importlib_metadata(name: str, dirs: "Sequence[str]") -> "Dist | None":
    """Ask ``importlib.metadata`` for ``name`` where plain folder listings cannot see.

    Only zip files on ``sys.path`` and third-party distribution finders need it.
    """
    zips = [entry for entry in dirs if os.path.isfile(entry)]
    finders = [
        finder
        for finder in sys.meta_path
        if hasattr(finder, "find_distributions")
        and getattr(finder, "__module__", "") != "_frozen_importlib_external"
    ]
    if not zips and not finders:
        return None
    import importlib.metadata

    for dist in importlib.metadata.distributions(name=name, path=zips):
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
        version = parse_version(universal_newlines(text))
        if version:
            return Dist(name, version, str(dist.locate_file("")), "")
    return None
