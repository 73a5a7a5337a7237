"""Installed distributions, read from their metadata under bounds; who owns a module found.

Each read is of a regular file only, under a size cap, at most once per ``Scan`` (one
detection): a FIFO, device or folder named ``METADATA`` is never read. Headers are parsed
as ``email.parser`` parses them. Then the common case of ownership: the one distribution
beside the module, and what its import needs (the rarer rules load on demand). Loaded only
when a module was found, or when a caller asks for a distribution's version.
"""

import os
import sys
from stat import S_ISREG

from accelprobe._facts import DEBUG, log

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable, Sequence
    from typing import Any

    from accelprobe._facts import BackendFacts

__all__ = [
    "INFO_SUFFIXES",
    "LISTINGS",
    "READ_LIMIT",
    "RECORD_LIMIT",
    "Dist",
    "Scan",
    "decode_metadata",
    "in_folder",
    "installed",
    "installed_in",
    "installed_version_of",
    "major_minor",
    "matching",
    "metadata_entries",
    "parse_version",
    "project",
    "read_metadata",
    "record",
    "reindent",
    "search_dirs",
    "ships",
    "site_of",
    "underscored",
    "universal_newlines",
    "verdict",
]

INFO_SUFFIXES = (".dist-info", ".egg-info")
# Caps on what one file read may take: core metadata (its headers come first), a RECORD.
READ_LIMIT = 1 << 20
RECORD_LIMIT = 16 << 20
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_REINDENTS = sys.version_info >= (3, 10)  # importlib.metadata re-indents folded headers

# folder -> its names, as listed and lower-cased; kept until refresh() clears it.
LISTINGS: dict[str, tuple[str, str]] = {}


class Scan:
    """What one detection has read, and the problems it met: made for it, dropped after it.

    No file is read twice in one detection: ``versions`` keeps what each metadata folder
    gave, not its bytes (memory a fresh process touches costs more than reading a file);
    ``reads``, the text of the other files read. ``problems``: metadata that does not count.
    """

    __slots__ = ("found", "problems", "reads", "versions")

    def __init__(self) -> None:
        self.reads: dict[str, str | None] = {}
        self.versions: dict[str, tuple[str | None, str]] = {}
        self.problems: list[str] = []
        self.found: dict[str, bool] = {}

    def lacking(self, names: "Iterable[str]", near: str = "") -> list[str]:
        """Those of the distributions ``names`` not installed on ``sys.path`` (once per scan).

        Presence does not depend on the order of ``sys.path``: the folder ``near`` (where
        they usually are), if it is on ``sys.path``, is asked first.
        """
        missing = []
        for name in names:
            present = self.found.get(name)
            if present is None:
                problems = len(self.problems)
                dirs = search_dirs()
                beside = installed_in(self, name, near) if near in dirs else None
                present = self.found[name] = (beside or installed(self, name, dirs)) is not None
                del self.problems[problems:]  # a need's own metadata is no owner's problem
            if not present:
                missing.append(name)
        return missing

    def read_text(self, path: str, limit: int = READ_LIMIT) -> "str | None":
        """The UTF-8 text of the regular file ``path`` (up to ``limit`` bytes), once per scan.

        None where it is missing or unusable.
        """
        if path not in self.reads:
            data, _ = _read_file(path, limit)
            try:
                self.reads[path] = None if data is None else data.decode("utf-8")
            except UnicodeDecodeError:
                self.reads[path] = None
        return self.reads[path]


def _read_file(path: str, limit: int) -> "tuple[bytes | None, str]":
    """At most ``limit`` bytes of the regular file ``path``: ``(data, "")``, or ``(None, why)``.

    ``why`` is ``""`` where there is no such file. A FIFO, device or folder is never read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)  # a FIFO opens at once
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        return None, f"cannot be read ({getattr(error, 'strerror', None) or error})"
    try:
        status = os.fstat(fd)
        if not S_ISREG(status.st_mode):  # a FIFO, device or folder: never read
            return None, "is not a regular file"
        # os.read(fd, n) allocates n bytes first: asking for a MiB per small file cost a
        # fresh mapping each time. Ask for the size fstat gives, plus a byte; then 64 KiB.
        expected = status.st_size + 1
        chunks = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, max(expected - size, 1 << 16)))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), ""
    except OSError as error:  # a read that fails midway (EIO, a stale network file)
        return None, f"cannot be read ({error.strerror or error})"
    finally:
        os.close(fd)


class Dist:
    """An installed distribution: its name, version, the folder holding it and its entry.

    ``conflicts`` names the other distributions that installed the same module's files
    into the same folder, where the files on disk decided that this one owns them.
    """

    __slots__ = ("conflicts", "entry", "name", "site", "version")

    def __init__(self, name: str, version: str, site: str, entry: str) -> None:
        self.name = name
        self.version = version
        self.site = site
        self.entry = entry
        self.conflicts: tuple[str, ...] = ()


def search_dirs() -> list[str]:
    """The folders of ``sys.path``, in order, without repeats; ``''`` is the working dir."""
    dirs: list[str] = []
    seen: set[str] = set()
    cwd: str | None = None
    entries: list[object] = list(sys.path)  # anything can be appended to sys.path
    for entry in entries:
        if not isinstance(entry, str):
            continue
        if not entry:
            if cwd is None:
                try:
                    cwd = os.getcwd()
                except OSError:  # the working directory was removed
                    cwd = ""
            entry = cwd  # noqa: PLW2901
            if not entry:
                continue
        if entry not in seen:
            seen.add(entry)
            dirs.append(entry)
    return dirs


def underscored(name: str) -> str:
    """A distribution name as metadata folders spell it: lower case, ``-`` and ``.`` as ``_``."""
    return name.lower().replace("-", "_").replace(".", "_")


def project(entry: str) -> str:
    """The underscored project name of a metadata entry: ``onnxruntime_gpu-1.0.dist-info``."""
    return underscored(entry.rpartition(".")[0].partition("-")[0])


def major_minor(version: str) -> str:
    """``2.8`` for ``2.8.0+cpu``."""
    return ".".join(version.partition("+")[0].split(".")[:2])


# --- folder listings ---------------------------------------------------------------------


def _listing(folder: str) -> tuple[str, str]:
    """The names in ``folder``, each behind a newline: as listed, and lower-cased (cached).

    One joined string lets ``str.find`` look for a distribution among thousands of entries
    in C, where a loop over them in Python would cost milliseconds. Lower-casing keeps
    every offset, since the one character whose lower case is longer is replaced first.
    """
    listing = LISTINGS.get(folder)
    if listing is None:
        try:
            names = _names(folder)
        except (OSError, ValueError):
            names = []
        try:
            joined = "\n" + "\n".join(names) + "\n"
        except TypeError:  # a foreign cache that holds other things than names
            joined = "\n" + "\n".join(n for n in names if isinstance(n, str)) + "\n"
        lowered = joined.lower() if joined.isascii() else joined.replace("\u0130", "i").lower()
        listing = LISTINGS[folder] = (joined, lowered)
    return listing


def _names(folder: str) -> "Iterable[Any]":  # a foreign cache may hold anything
    """The names in ``folder``: ``FileFinder``'s private ``_path_cache`` where it is current.

    ``find_spec`` has just listed the folder of each module found: listing it again would
    double the cost in a large site-packages. Anything unexpected: ``os.listdir``.
    """
    finder = sys.path_importer_cache.get(folder)
    try:
        cached = getattr(finder, "_path_cache", None)
        current = getattr(finder, "_path_mtime", None) == os.stat(folder).st_mtime
    except Exception:  # noqa: BLE001 - a foreign finder whose attributes raise: list it
        cached = current = None
    if isinstance(cached, set) and cached and current is True:
        return cached
    return os.listdir(folder)


def matching(folder: str, prefix: str, suffixes: tuple[str, ...]) -> list[str]:
    """The names in ``folder`` that start with ``prefix`` (lower case) and end in a suffix."""
    joined, lowered = _listing(folder)
    if not prefix:
        return sorted(name for name in joined.split("\n") if name.lower().endswith(suffixes))
    names = []
    needle = f"\n{prefix}"
    start = lowered.find(needle)
    while start >= 0:  # each match is a name that starts with the prefix
        end = lowered.index("\n", start + 1)
        name = joined[start + 1 : end]
        if name.lower().endswith(suffixes):
            names.append(name)
        start = lowered.find(needle, end)
    return sorted(names)


def metadata_entries(folder: str, name: "str | None" = None) -> list[str]:
    """The ``*.dist-info`` and ``*.egg-info`` entries in ``folder``: all, or project ``name``'s.

    ``name`` is underscored (see ``underscored``). pip's stash is never a distribution.
    """
    entries = matching(folder, name or "", INFO_SUFFIXES)
    if name is None:  # pip's stash of an interrupted install (~nnxruntime-1.0.dist-info): none
        return [entry for entry in entries if not entry.startswith("~")]
    return [entry for entry in entries if project(entry) == name]


# --- core metadata -------------------------------------------------------------------------


def _is_header(line: str) -> bool:
    """Whether ``email.parser`` takes ``line`` for a header line (its ``headerRE``)."""
    if line.startswith(("From ", " ", "\t")):
        return True
    name, colon, _ = line.partition(":")
    return bool(colon) and (not name or (name.isascii() and name.isprintable() and " " not in name))


def _header_lines(text: str) -> list[str]:
    """The lines of the header block: up to a blank line or a line that is not a header."""
    end = text.find("\n\n")
    headers = []
    for line in (text if end < 0 else text[: end + 1]).split("\n"):
        if not line or not _is_header(line):
            break
        headers.append(line)
    return headers


def parse_version(text: str) -> "str | None":
    r"""The first ``Version`` header of core metadata as ``email.parser`` reads it, or None.

    ``text`` has universal newlines already (as ``importlib.metadata`` reads it): only
    ``\n`` ends a line, a line starting with white space continues the header before
    it, and the headers end at a blank line or at the first line that is not a header.
    """
    name = ""
    lines: list[str] = []
    for line in [*_header_lines(text), ":"]:  # the nameless last line ends the last header
        if line[0] not in " \t":
            if name.lower() == "version":
                return _value(lines)
            name, lines = "", []
            if not line.startswith(("From ", ":")):  # envelope lines, nameless headers: skipped
                name, lines = line.partition(":")[0], [line]
        elif name:  # a continuation line; one that comes first continues nothing
            lines.append(line)
    return None


def _value(lines: list[str]) -> str:
    """A header's value from its lines, as ``email`` and then ``importlib.metadata`` give it.

    A folded value (rare) is left to this interpreter's own ``email``: how it joins the
    lines changed in patch releases of 3.12 and 3.13.
    """
    if len(lines) == 1:
        return lines[0].partition(":")[2].lstrip(" \t")
    from email.policy import compat32

    _, value = compat32.header_source_parse([f"{line}\n" for line in lines])
    return reindent(value) if "\n" in value and _REINDENTS else value


def reindent(value: str) -> str:
    """What ``importlib.metadata``'s ``_adapters.Message`` does to a folded value (3.10+)."""
    import textwrap

    return textwrap.dedent(" " * 8 + value)


def decode_metadata(data: bytes) -> "str | None":
    """Metadata bytes as ``importlib.metadata`` reads them: UTF-8 with universal newlines."""
    if len(data) >= READ_LIMIT:  # cut by the size cap: drop the line it cut through
        data = data[: max(data.rfind(b"\n"), data.rfind(b"\r")) + 1]
    try:
        return universal_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def universal_newlines(text: str) -> str:
    r"""``text`` with ``\r\n`` and ``\r`` read as ``\n``, as ``importlib.metadata`` reads it."""
    # str.replace is slow to find "\r\n" in a text with many "\n" and none: ask first
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_metadata(scan: "Scan", info: str) -> "tuple[str | None, str]":
    """Read a metadata folder or file; return ``(version, problem)``, version None if unusable.

    Like ``importlib.metadata``, an empty, missing or unreadable ``METADATA`` falls back to
    ``PKG-INFO``. Files over the size cap are read up to it: their headers come first.
    Once per ``scan``.
    """
    found = scan.versions.get(info)
    if found is None:
        found = scan.versions[info] = _read_version(info)
    return found


def _read_version(info: str) -> "tuple[str | None, str]":
    files = [os.path.join(info, "METADATA"), os.path.join(info, "PKG-INFO")]
    if info.lower().endswith(".egg-info"):
        files.append(info)  # an egg-info file, not folder
    problem = ""
    for file in files:
        data, unusable = _read_file(file, READ_LIMIT)
        if data:
            return _version_in(data)
        if not problem and (unusable or data is not None):
            problem = f"its {os.path.basename(file)} {unusable or 'is empty'}"
    return None, problem or "it has no METADATA file"


def _version_in(data: bytes) -> "tuple[str | None, str]":
    """The version in a metadata file's bytes, or None and why there is none."""
    text = decode_metadata(data)
    if text is None:
        return None, "its metadata is not valid UTF-8"
    version = parse_version(text)
    if version is not None and (version or len(data) < READ_LIMIT):
        return (version, "") if version else (None, "its metadata has an empty Version")
    if len(data) >= READ_LIMIT:
        return None, f"its metadata headers are larger than {READ_LIMIT >> 20} MiB"
    return None, "its metadata has no Version"


def installed(scan: "Scan", name: str, dirs: "Sequence[str]") -> "Dist | None":
    """The first distribution ``name`` in ``dirs`` with a usable version."""
    for folder in dirs:
        dist = installed_in(scan, name, folder)
        if dist is not None:
            return dist
    return None


def installed_in(scan: "Scan", name: str, folder: str) -> "Dist | None":
    """Distribution ``name`` in ``folder``, if one there has a usable version.

    Metadata folders with no usable version are skipped and added to ``scan.problems``.
    """
    for entry in metadata_entries(folder, underscored(name)):
        version, problem = read_metadata(scan, os.path.join(folder, entry))
        if version is not None:
            return Dist(name, version, folder, entry)
        log(DEBUG, "skipping %s in %s: %s", entry, folder, problem)
        scan.problems.append(f"{entry} in {folder} does not count: {problem}")
    return None


def installed_version_of(name: str) -> "str | None":
    """The version of distribution ``name`` first on ``sys.path``, or None."""
    dist = installed(Scan(), name, search_dirs())
    return dist.version if dist else None


# --- file lists ----------------------------------------------------------------------------


def record(scan: "Scan", dist: "Dist", module: str) -> "dict[str, tuple[str, int]] | None":
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


def ships(scan: "Scan", dist: "Dist", module: str, *, unlisted: bool = True) -> bool:
    """Whether ``dist`` installed ``module``: its file list names the package's files.

    Without a file list, ``top_level.txt`` decides; without either, ``unlisted``.
    """
    files = record(scan, dist, module)
    if files is not None:
        return f"{module.replace('.', '/')}/__init__.py" in files
    top_level = scan.read_text(os.path.join(dist.site, dist.entry, "top_level.txt"))
    if top_level is None:
        return unlisted
    return module.partition(".")[0] in top_level.split()


# --- the owner of the module found: one accepted distribution beside it, its needs installed.
# Several in one folder, none beside it, a leftover: the rarer rules (_conflicts, _elsewhere).


def verdict(
    scan: "Scan", facts: "BackendFacts", spec: object, location: str, *, real: bool
) -> "tuple[str, str, Dist | None]":
    """The status and reason of the module found at ``location``, and its distribution.

    A leftover folder (not ``real``), an owner or what hides it, what the import needs,
    and a copy this process loaded before it was upgraded.
    """
    parts = facts.module.split(".")
    if not real:
        from accelprobe._elsewhere import leftover

        return leftover(scan, facts, location, parts)
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
    site = site_of(location, parts)
    beside = in_folder(scan, facts, site) if site is not None else []
    if len(beside) > 1:  # several installed it there: the files on disk decide
        from accelprobe._conflicts import by_files_on_disk

        chosen, conflicts = by_files_on_disk(scan, beside, facts.module)
        chosen.conflicts = conflicts
        return chosen, ""
    if beside:  # the common case: one accepted distribution in the module's own folder
        return beside[0], ""
    from accelprobe._elsewhere import owner_elsewhere, unaccepted_beside

    unaccepted = unaccepted_beside(scan, facts, site) if site is not None else None
    if unaccepted is not None:
        return unaccepted, ""
    return owner_elsewhere(scan, facts, location, parts)


def in_folder(scan: "Scan", facts: "BackendFacts", folder: str) -> "list[Dist]":
    """A backend's accepted distributions in ``folder``, in order; ``shipping``: where listed."""
    found = [dist for name in facts.distributions if (dist := installed_in(scan, name, folder))]
    for name in facts.shipping:
        dist = installed_in(scan, name, folder)
        if dist is not None and ships(scan, dist, facts.module):
            found.append(dist)
    return found


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
    missing = scan.lacking(facts.needs, dist.site)
    if not missing:
        return ""
    which = " and ".join(missing)
    return (
        f"{dist.name} {dist.version} needs {which}, not installed, so it cannot be imported "
        f"(pip install {' '.join(missing)})"
    )


def site_of(location: str, parts: list[str]) -> "str | None":
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
