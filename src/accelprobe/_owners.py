"""Which installed distribution owns the module that was found, decided by the files on disk.

Accepted distributions beside the module first; where several installed it into one
folder, the one whose ``RECORD`` hashes match the files. Otherwise an editable install
(its ``.pth`` file or finder, listed in its ``RECORD``), the metadata inside the same zip,
or an install elsewhere that the module found shadows. Loaded only when a module was found.
"""

import os
import sys
from stat import S_ISREG

from accelprobe._metadata import (
    RECORD_LIMIT,
    Dist,
    Scan,
    installed,
    installed_in,
    major_minor,
    matching,
    metadata_entries,
    parse_version,
    project,
    read_metadata,
    search_dirs,
    underscored,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable, Iterator, Sequence
    from typing import Protocol

    from accelprobe._facts import BackendFacts

    class _Digest(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...


__all__ = ["hidden", "verdict"]

_PTH_LIMIT = 1 << 16  # a .pth file, a finder, a direct_url.json
_SHA256_MODULE = "_sha2" if sys.version_info >= (3, 12) else "_sha256"


def verdict(
    scan: "Scan", facts: "BackendFacts", spec: object, location: str, *, real: bool
) -> "tuple[str, str, Dist | None]":
    """The status and reason of the module found at ``location``, and its distribution.

    A leftover folder (not ``real``), an owner or what hides it, what the import needs,
    and a copy this process loaded before it was upgraded.
    """
    parts = facts.module.split(".")
    if not real:
        return _leftover(scan, facts, location, parts)
    loaded = None
    if facts.module in sys.modules:
        from accelprobe._loaded import loaded_state, other_copy

        loaded = loaded_state(facts.module, str(getattr(spec, "origin", location)))
        if loaded is not None and loaded[1] == "gone":  # uninstalled while loaded
            reason = (
                f"{facts.module} {loaded[0]} is loaded in this process, but is no longer "
                "installed: a restart will not find it"
            )
            return "available", reason, Dist("", loaded[0], location, "")
    dist, problem = _owner(scan, facts, spec, location, parts)
    if problem or dist is None:
        return ("unowned" if dist is None else "shadowed"), problem, dist
    problem = _needs_problem(scan, facts, dist)
    if problem:
        return "unusable", problem, dist
    reason = f"{dist.name} {dist.version} is installed"
    if loaded is not None and other_copy(loaded, dist.version):  # upgraded while loaded
        reason = (
            f"{dist.name} {loaded[0]} is loaded in this process, but {dist.version} is "
            f"installed: a restart uses {dist.version}"
        )
        dist = Dist(dist.name, loaded[0], dist.site, dist.entry)
    return "available", reason, dist


def hidden(facts: "BackendFacts", dist: "Dist") -> tuple[str, ...]:
    """Accepted distributions in other ``sys.path`` folders than ``dist``'s, as text."""
    others = [folder for folder in search_dirs() if not _same_path(folder, dist.site)]
    found = _everywhere(Scan(), facts, others)
    return tuple(f"{other.name} {other.version} in {other.site}" for other in found)


def _leftover(
    scan: "Scan", facts: "BackendFacts", location: str, parts: list[str]
) -> "tuple[str, str, Dist | None]":
    """A folder of the module's name without ``__init__.py``: an uninstall's leftover."""
    site = _site_of(location, parts)
    found = _in_folder(scan, facts, site) if site is not None else []
    dist = found[0] if found else next(_everywhere(scan, facts, search_dirs()), None)
    leftover = f"{location} is a folder without __init__.py"
    if dist is None:
        return "leftover", f"{leftover}, not an installed package", None
    return "leftover", f"{dist.name} {dist.version} is installed but {leftover}", dist


def _in_folder(scan: "Scan", facts: "BackendFacts", folder: str) -> "list[Dist]":
    """The accepted distributions of a backend in ``folder``, in priority order.

    A name accepted only where it ships the module (optimum, before optimum-onnx) counts
    only where its file list says so.
    """
    found = [dist for name in facts.distributions if (dist := installed_in(scan, name, folder))]
    for name in facts.shipping:
        dist = installed_in(scan, name, folder)
        if dist is not None and _ships(scan, dist, facts.module):
            found.append(dist)
    return found


def _everywhere(scan: "Scan", facts: "BackendFacts", dirs: "Sequence[str]") -> "Iterator[Dist]":
    """The accepted distributions of a backend in ``dirs``, folder by folder, lazily."""
    for folder in dirs:
        yield from _in_folder(scan, facts, folder)


def _needs_problem(scan: "Scan", facts: "BackendFacts", dist: "Dist") -> str:
    """Why ``dist`` cannot be imported for what it needs, or ``''``: read from metadata.

    IPEX needs torch of its own major.minor: it does not declare torch as a dependency,
    and refuses to import beside any other. Every backend needs the distributions its
    import needs (``facts.needs``); a namespace ``optimum/`` is no ``optimum``.
    """
    needed = facts.same_minor_as
    if needed is not None:
        wanted = major_minor(dist.version)
        other = installed(scan, needed, search_dirs())
        if other is None:
            there = f"{needed} is not installed"
        elif major_minor(other.version) != wanted:
            there = f"{needed} {other.version} is installed"
        else:
            there = ""
        if there:
            return (
                f"{dist.name} {dist.version} needs {needed} {wanted}, but {there}, "
                "so it cannot be imported"
            )
    missing = scan.lacking(facts.needs)
    if not missing:
        return ""
    which = " and ".join(missing)
    return (
        f"{dist.name} {dist.version} needs {which}, not installed, so it cannot be imported "
        f"(pip install {' '.join(missing)})"
    )


def _site_of(location: str, parts: list[str]) -> "str | None":
    """The folder that holds ``location`` as the module named by ``parts``, if it does."""
    folder = location
    for part in reversed(parts):
        folder, tail = os.path.split(folder)
        if os.path.normcase(tail.partition(".")[0]) != os.path.normcase(part):
            return None
    return folder


def _archive_of(spec: object) -> "str | None":
    """The zip file (a wheel, ``.zip`` or ``.pyz``) the module was found in, if any."""
    archive = getattr(getattr(spec, "loader", None), "archive", None)
    return archive if isinstance(archive, str) else None


def _same_path(first: str, second: str) -> bool:
    """Whether two paths name the same file or folder, links resolved."""
    try:
        return os.path.normcase(os.path.realpath(first)) == os.path.normcase(
            os.path.realpath(second)
        )
    except (OSError, ValueError):
        return False


# --- file lists ------------------------------------------------------------------------------


def _record(scan: "Scan", dist: "Dist", module: str) -> "dict[str, tuple[str, int]] | None":
    """The module's files that ``dist`` installed: path -> (hash, size), None without a list.

    Wheels list their files in ``RECORD``; eggs in ``installed-files.txt`` (no hashes).
    """
    info = os.path.join(dist.site, dist.entry)
    prefix = module.replace(".", "/") + "/"
    text = scan.read_text(os.path.join(info, "RECORD"), RECORD_LIMIT)
    if text is None:
        text = scan.read_text(os.path.join(info, "installed-files.txt"), RECORD_LIMIT)
        if text is None:
            return None
        egg = os.path.relpath(dist.site, info).replace(os.sep, "/") + "/"
        return {
            line[len(egg) :]: ("", 0)
            for line in text.splitlines()
            if line.replace(os.sep, "/").startswith(egg + prefix)
        }
    files: dict[str, tuple[str, int]] = {}
    start = text.find(prefix)
    if start < 0 and f'"{prefix}' not in text:
        return files
    for line in text.splitlines():
        path, _, rest = line.rpartition(",")
        path, _, digest = path.rpartition(",")
        path = path[1:-1].replace('""', '"') if path.startswith('"') else path
        # a path that leaves the package (``..``) is never read or hashed
        if path.startswith(prefix) and ".." not in path.replace("\\", "/").split("/"):
            files[path] = (digest, int(rest) if rest.isascii() and rest.isdigit() else 0)
    return files


def _ships(scan: "Scan", dist: "Dist", module: str, *, unlisted: bool = True) -> bool:
    """Whether ``dist`` installed ``module``: its file list names the package's files.

    Without a file list, ``top_level.txt`` decides; without either, ``unlisted``.
    """
    files = _record(scan, dist, module)
    if files is not None:
        return f"{module.replace('.', '/')}/__init__.py" in files
    top_level = scan.read_text(os.path.join(dist.site, dist.entry, "top_level.txt"))
    if top_level is None:
        return unlisted
    return module.partition(".")[0] in top_level.split()


def _providers(scan: "Scan", module: str, folder: str, skip: "Iterable[str]") -> "list[Dist]":
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
        if _ships(scan, dist, module, unlisted=False):
            seen.add(name)
            found.append(dist)
    return found


# --- two owners in one folder: the hashes decide ----------------------------------------------


def _hash(path: str, algorithm: str, size: int) -> "str | None":
    """The ``RECORD``-style digest (urlsafe base64, no padding) of the file at ``path``.

    A regular file only, and at most the ``size`` its ``RECORD`` gives (or its own): a
    longer one does not match, and is not read further. ``binascii`` rather than
    ``base64``, whose import (it brings ``re``) costs milliseconds.
    """
    import binascii

    try:
        digest = _hasher(algorithm)
        status = os.stat(path)
        if not S_ISREG(status.st_mode):
            return None
        left = (size or status.st_size) + 1
        with open(path, "rb") as stream:
            while left > 0:
                chunk = stream.read(min(left, 1 << 20))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
    except (OSError, ValueError):
        return None
    if left <= 0:  # longer than its RECORD says
        return None
    encoded = binascii.b2a_base64(digest.digest(), newline=False).decode("ascii")
    return encoded.rstrip("=").replace("+", "-").replace("/", "_")


def _hasher(algorithm: str) -> "_Digest":
    """A new hash object; sha256, as wheels record, from CPython's built-in module.

    ``hashlib`` costs 2 ms to import (it loads OpenSSL); it serves the other algorithms,
    and sha256 where the built-in module (a CPython internal) is missing.
    """
    if algorithm == "sha256":
        try:
            return __import__(_SHA256_MODULE).sha256()  # type: ignore[no-any-return]
        except ImportError:  # pragma: no cover - a Python built without it
            pass
    import hashlib

    return hashlib.new(algorithm)


def _by_files_on_disk(
    scan: "Scan", dists: "list[Dist]", module: str
) -> "tuple[Dist, tuple[str, ...]]":
    """Of several distributions that installed ``module`` into one folder, the owner.

    The last one installed overwrote the others' files, so the owner is the one whose
    ``RECORD`` hashes match the files on disk. Only files whose recorded hashes differ can
    tell them apart; the smallest of those are hashed first, and hashing stops as soon as
    one distribution is left. Returns the owner and the others, which are its conflicts.
    """
    records = {id(dist): _record(scan, dist, module) or {} for dist in dists}
    shipping = [dist for dist in dists if records[id(dist)]] or dists
    if len(shipping) < 2:  # noqa: PLR2004 - one distribution ships it
        return shipping[0], ()
    telling: dict[str, int] = {}
    for dist in shipping:
        for path, (digest, size) in records[id(dist)].items():
            if digest:
                telling[path] = max(telling.get(path, 0), size)
    alive = shipping
    for path in sorted(telling, key=lambda path: (telling[path], path)):
        listed = {id(dist): records[id(dist)].get(path, ("", 0))[0] for dist in alive}
        recorded = set(listed.values()) - {""}
        if len(recorded) < 2:  # noqa: PLR2004 - every one that lists it agrees
            continue
        on_disk = os.path.join(shipping[0].site, *path.split("/"))
        algorithms = {digest.partition("=")[0] for digest in recorded}
        actual = {f"{name}={_hash(on_disk, name, telling[path])}" for name in sorted(algorithms)}
        if recorded & actual:  # else the file was changed since: it tells nothing
            alive = [dist for dist in alive if listed[id(dist)] in actual | {""}]
        if len(alive) == 1:
            break
    chosen = alive[0]
    return chosen, tuple(dist.name for dist in shipping if dist is not chosen)


# --- editable installs -------------------------------------------------------------------------


def _pth_owner(scan: "Scan", folder: str, location: str, parts: list[str]) -> "Dist | None":
    """An editable install in ``folder`` whose ``.pth`` file or finder maps ``location``.

    setuptools writes ``__editable__.NAME-VERSION.pth`` (a path, or an import of its
    ``__editable___NAME_VERSION_finder.py`` whose ``MAPPING`` names each package's folder);
    hatchling writes ``_editable_impl_NAME.pth`` (``_NAME.pth`` before editables 0.6); each
    lists it in the distribution's ``RECORD``, which decides the owner.
    """
    top = os.path.join(_site_of(location, parts) or location, parts[0])
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
            mapped = any(_same_path(path, site) for path in paths)
        else:
            mapped = any(_same_path(path, top) for path in _finder_mapping(text, parts[0]) if path)
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


# --- the owner ---------------------------------------------------------------------------------


def _copy_of(dist: "Dist", parts: list[str]) -> "str | None":
    """The package folder ``dist`` installed beside its metadata, if there is one."""
    folder = os.path.join(dist.site, *parts)
    return folder if os.path.isfile(os.path.join(folder, "__init__.py")) else None


def _either_names(names: "Sequence[str]") -> str:
    """``a`` or ``a or b`` or ``a, b or N other distributions``."""
    if len(names) <= 2:  # noqa: PLR2004 - "a" or "a or b"
        return " or ".join(names)
    return f"{names[0]}, {names[1]} or {len(names) - 2} other distributions"


def _owner(
    scan: "Scan", facts: "BackendFacts", spec: object, location: str, parts: list[str]
) -> "tuple[Dist | None, str]":
    """Find the distribution that owns the module found at ``location``.

    Returns ``(dist, problem)``: ``problem`` is empty when ``dist`` owns the module (or is
    an editable install of it), and says what is wrong otherwise.
    """
    scan.problems.clear()
    archive = _archive_of(spec)
    if archive is not None:
        from accelprobe._zips import in_archive

        return in_archive(archive, facts)
    site = _site_of(location, parts)
    beside = _owner_beside(scan, facts, site) if site is not None else None
    if beside is not None:
        return beside, ""
    return _owner_elsewhere(scan, facts, location, parts)


def _owner_beside(scan: "Scan", facts: "BackendFacts", site: str) -> "Dist | None":
    """The distribution in ``site``, the module's own folder, that owns it: the common case.

    Where several accepted ones installed it there, the files on disk decide.
    """
    beside = _in_folder(scan, facts, site)
    if len(beside) > 1:
        chosen, conflicts = _by_files_on_disk(scan, beside, facts.module)
        chosen.conflicts = conflicts
        return chosen
    if beside:
        return beside[0]
    if os.path.basename(site).lower().endswith(".egg"):
        return _in_egg(scan, facts, site)
    if facts.any_provider:
        providers = _providers(scan, facts.module, site, facts.accepted)
        if providers:
            return providers[0]
    return None


def _in_egg(scan: "Scan", facts: "BackendFacts", egg: str) -> "Dist | None":
    """The distribution of the ``.egg`` folder ``egg``: its ``EGG-INFO``, named by the folder.

    An accepted name, or for ONNX Runtime any egg whose ``top_level.txt`` names the module.
    """
    name = project(os.path.basename(egg))
    names = {underscored(accepted): accepted for accepted in facts.accepted}
    version, _ = read_metadata(scan, os.path.join(egg, "EGG-INFO"))
    if version is None:
        return None
    dist = Dist(names.get(name, name.replace("_", "-")), version, egg, "EGG-INFO")
    listed = facts.any_provider and _ships(scan, dist, facts.module, unlisted=False)
    return dist if name in names or listed else None


def _owner_elsewhere(
    scan: "Scan", facts: "BackendFacts", location: str, parts: list[str]
) -> "tuple[Dist | None, str]":
    """The owner of a module with no distribution beside it, or what it shadows.

    An accepted distribution with its own copy elsewhere is shadowed by the module found;
    otherwise an editable install that maps the module owns it.
    """
    dirs = search_dirs()
    names = facts.accepted
    candidates = list(_everywhere(scan, facts, dirs))
    if not candidates:
        for folder in dirs:
            editable = _pth_owner(scan, folder, location, parts)
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
        if copy is not None and _same_path(copy, location):
            return dist, ""
    shadowed = next((dist for dist, copy in copies if copy is not None), None)
    if shadowed is None:
        return candidates[0], ""  # an editable install: no copy beside the metadata
    return shadowed, _shadows(location, shadowed)


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
        version = parse_version(text.replace("\r\n", "\n").replace("\r", "\n"))
        if version:
            return Dist(name, version, str(dist.locate_file("")), "")
    return None
