"""Detect the installed inference backends once, cache the answers, and pick an accelerator.

Importing this module runs detection: each backend's module is located without being
imported, then an installed distribution must provide it and own the copy that was found.
Only the standard library's always-loaded modules are used on that path; ``logging``,
``dataclasses``, ``typing``, ``packaging`` and ``importlib.metadata`` are imported only when
a caller needs them.
"""

from __future__ import annotations

import _thread
import os
import sys
from stat import S_ISREG as _S_ISREG

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    import zipfile
    from collections.abc import Iterable, Iterator, Sequence
    from logging import Logger
    from typing import Literal, Protocol

    from accelprobe._info import BackendInfo

    class _Digest(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...

    Accelerator = Literal["ov", "ort", "ipex"]

__all__ = [
    "ACCELERATORS",
    "ONNXRUNTIME_DISTRIBUTIONS",
    "OPENVINO_DISTRIBUTIONS",
    "Accelerator",
    "BackendInfo",
    "Detection",
    "all_backends",
    "available_accelerators",
    "backend_info",
    "detection",
    "installed_version",
    "is_backend_version",
    "is_ipex_available",
    "is_onnxruntime_available",
    "is_openvino_available",
    "is_optimum_intel_available",
    "is_optimum_onnx_available",
    "model_class",
    "refresh",
    "require",
    "select_accelerator",
]

ACCELERATORS: tuple[Accelerator, ...] = ("ov", "ort", "ipex")

ONNXRUNTIME_DISTRIBUTIONS = (
    "onnxruntime",
    "onnxruntime-gpu",
    "onnxruntime-rocm",
    "onnxruntime-training",
    "onnxruntime-training-rocm",
    "onnxruntime-training-cpu",
    "onnxruntime-openvino",
    "onnxruntime-vitisai",
    "onnxruntime-armnn",
    "onnxruntime-cann",
    "onnxruntime-dnnl",
    "onnxruntime-acl",
    "onnxruntime-tvm",
    "onnxruntime-qnn",
    "onnxruntime-migraphx",
    "ort-migraphx-nightly",
    "ort-rocm-nightly",
    # Further published distributions whose wheels ship the ``onnxruntime`` package.
    "onnxruntime-directml",
    "ort-nightly",
    "ort-nightly-gpu",
    "ort-nightly-directml",
    "onnxruntime-azure",
    "onnxruntime-coreml",
    "onnxruntime-macavx",
    "onnxruntime-powerpc64le",
    "onnxruntime-trt-rtx",
    "onnxruntime-webgpu",
    "onnxruntime-windowsml",
)

OPENVINO_DISTRIBUTIONS = ("openvino", "openvino-nightly")

# key -> (module, accepted distributions); the order is all_backends()'s order.
_BACKENDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "openvino": ("openvino", OPENVINO_DISTRIBUTIONS),
    "onnxruntime": ("onnxruntime", ONNXRUNTIME_DISTRIBUTIONS),
    "ipex": ("intel_extension_for_pytorch", ("intel-extension-for-pytorch",)),
    "optimum-intel": ("optimum.intel", ("optimum-intel",)),
    "optimum-onnx": ("optimum.onnxruntime", ("optimum-onnx",)),
}
# Backends for which any installed distribution that ships the module is accepted.
_ANY_PROVIDER = frozenset({"onnxruntime"})
# Distributions accepted after the listed ones, only where their files include the module:
# optimum shipped optimum.onnxruntime until optimum-onnx took it over (optimum 2).
_SHIPPING = {"optimum-onnx": ("optimum",)}

_BACKEND_ALIASES = {
    "ov": "openvino",
    "ort": "onnxruntime",
    "intel-extension-for-pytorch": "ipex",
    "optimum-onnxruntime": "optimum-onnx",
}
# accepted spelling (after _compact) -> accelerator
_ACCELERATOR_NAMES: dict[str, Accelerator] = {
    "ov": "ov",
    "ort": "ort",
    "ipex": "ipex",
    "openvino": "ov",
    "onnxruntime": "ort",
}
# accelerator -> (optimum backend, its integration module, runtime, install command)
_ACCELERATOR_NEEDS = {
    "ov": (
        "optimum-intel",
        "optimum.intel.openvino",
        "openvino",
        'pip install "optimum-intel[openvino]"',
    ),
    "ort": (
        "optimum-onnx",
        "optimum.onnxruntime",
        "onnxruntime",
        'pip install "optimum-onnx[onnxruntime]"',
    ),
    # optimum-intel 2 removed its IPEX integration and the ``ipex`` extra with it.
    "ipex": ("optimum-intel", "optimum.intel.ipex", "ipex", 'pip install "optimum-intel[ipex]<2"'),
}

# backend key -> the command that installs it
_INSTALL_COMMANDS = {
    "openvino": "pip install openvino",
    "onnxruntime": "pip install onnxruntime",
    "ipex": "pip install intel-extension-for-pytorch",
    "optimum-intel": "pip install optimum-intel",
    "optimum-onnx": "pip install optimum-onnx",
}

_DISABLE_VARIABLE = "ACCELPROBE_DISABLE"
# Statuses that installing the accelerator's packages repairs; the others have a remedy.
_INSTALLABLE = frozenset({"missing", "unowned", "error"})
_ACCELERATOR_VARIABLE = "ACCELPROBE_ACCELERATOR"
_DEBUG = 10  # logging.DEBUG and logging.INFO, without importing logging
_INFO = 20
_INFO_SUFFIXES = (".dist-info", ".egg-info")
# Caps on what one file read may take: core metadata (its headers come first), a RECORD,
# a .pth file. A FIFO, device or folder in their place is never read at all.
_READ_LIMIT = 1 << 20
_RECORD_LIMIT = 16 << 20
_PTH_LIMIT = 1 << 16
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_SHA256_MODULE = "_sha2" if sys.version_info >= (3, 12) else "_sha256"
_REINDENTS = sys.version_info >= (3, 10)  # importlib.metadata re-indents folded headers

# Detection results, replaced as a whole by _detect_all().
_onnxruntime_available = False
_openvino_available = False
_ipex_available = False
_optimum_intel_available = False
_optimum_onnx_available = False
_available: dict[str, bool] = {}
_detections: dict[str, Detection] = {}
_infos: dict[str, BackendInfo] = {}
_listings: dict[str, tuple[str, str]] = {}
_reads: dict[str, tuple[bytes | None, str]] = {}  # path -> _read(path), for one detection
_readiness: dict[str, str] = {}  # accelerator -> why its optimum integration is absent, or ""
_lock = _thread.RLock()
_logger: Logger | None = None


def _log(level: int, message: str, *args: object, exc_info: bool = False) -> None:
    """Log on the ``accelprobe`` logger, if ``logging`` is in use at all.

    A program that never imported ``logging`` has no handler that could receive the
    record, so accelprobe does not pay for importing it.
    """
    global _logger  # noqa: PLW0603 - one cached logger
    try:
        if _logger is None:
            logging = sys.modules.get("logging")
            if logging is None:
                return
            _logger = logging.getLogger("accelprobe")
        if _logger.isEnabledFor(level):
            _logger.log(level, message, *args, exc_info=exc_info)
    except Exception:  # noqa: BLE001, S110 - a raising handler or filter must not break detection
        pass


def _environment(name: str) -> str:
    """Return ``os.environ.get(name, "")``, minus the cost of a caught KeyError when unset.

    ``os.environ.get`` spends about a microsecond raising and catching ``KeyError`` for an
    unset variable; ``select_accelerator`` reads one on every call.
    """
    environ = os.environ
    try:
        raw = environ._data.get(environ.encodekey(name))  # type: ignore[attr-defined]  # noqa: SLF001
    except AttributeError:  # os.environ was replaced by a plain mapping
        return environ.get(name, "")
    return "" if raw is None else environ.decodevalue(raw)


class _Dist:
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


class Detection:
    """What detection found for one backend: a cheap, read-only record for tools.

    ``BackendInfo`` (a dataclass, whose import costs milliseconds) is built from it on
    request; the report reads this record directly. ``status`` says which case it is:
    ``available``, ``missing``, ``disabled``, ``leftover`` (a folder without
    ``__init__.py``), ``shadowed`` (another file or folder hides the install), ``unowned``
    (no usable distribution), ``unusable`` (installed but cannot be imported, e.g. IPEX
    without its torch) or ``error``.
    """

    __slots__ = ("_dist", "available", "key", "location", "reason", "status")

    def __init__(  # noqa: D107 - the class says what each field is
        self,
        key: str,
        status: str,
        reason: str,
        *,
        location: str | None = None,
        dist: _Dist | None = None,
    ) -> None:
        self.key = key
        self.status = status
        self.available = status == "available"
        self.location = location
        self._dist = dist
        self.reason = reason

    def __repr__(self) -> str:  # noqa: D105
        return f"<Detection {self.key}: {self.status}, {self.reason}>"

    @property
    def module(self) -> str:
        """The module looked for, e.g. ``optimum.intel``."""
        return _BACKENDS[self.key][0]

    @property
    def distribution(self) -> str | None:
        """The distribution that provides the module, as installed, or None."""
        return self._dist.name if self._dist else None

    @property
    def version(self) -> str | None:
        """That distribution's version, or None."""
        return self._dist.version if self._dist else None

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Other distributions that installed the same module's files into the same folder."""
        return self._dist.conflicts if self._dist else ()

    @property
    def hidden(self) -> tuple[str, ...]:
        """Accepted distributions in other ``sys.path`` folders, hidden by the one found.

        Each as ``name version in folder``. Nothing was overwritten, so these are not
        conflicts; computed on request, as it lists every folder on ``sys.path``.
        """
        if self._dist is None:
            return ()
        with _lock:
            others = [
                folder for folder in _search_dirs() if not _same_path(folder, self._dist.site)
            ]
            found = tuple(
                f"{dist.name} {dist.version} in {dist.site}"
                for dist in _everywhere(self.key, others)
            )
            _reads.clear()
        return found

    @property
    def remedy(self) -> str | None:
        """What to do about an unavailable backend, as a command where there is one."""
        return None if self.available else _remedy(self)


# --- names ---------------------------------------------------------------------------------


def _compact(name: str) -> str:
    """Lower-case ``name``, drop white space and spell ``_`` and ``.`` as ``-``."""
    return "".join(name.split()).lower().replace("_", "-").replace(".", "-")


def _backend_key(name: object) -> str | None:
    if not isinstance(name, str):
        return None
    compact = _compact(name)
    key = _BACKEND_ALIASES.get(compact, compact)
    return key if key in _BACKENDS else None


def _canonical(name: str) -> str:
    """The form of a distribution name used to match metadata folders."""
    return name.lower().replace("-", "_").replace(".", "_")


# --- safe reading ----------------------------------------------------------------------------


def _describe(error: BaseException) -> str:
    """``Type: message`` for ``error``, even when its ``__str__`` raises."""
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - an exception that cannot print itself
        message = "(its message cannot be printed)"
    name = getattr(type(error), "__name__", "Exception")
    return f"{name}: {message}" if message else str(name)


def _read(path: str, limit: int = _READ_LIMIT) -> tuple[bytes | None, str]:
    """Read at most ``limit`` bytes of the regular file ``path``; each path once per detection.

    Returns ``(data, "")``, or ``(None, problem)``: ``problem`` is empty when there is no
    such file. A FIFO, device or folder is never opened for reading, so it cannot block
    or flood detection.
    """
    cached = _reads.get(path)
    if cached is None:
        cached = _reads[path] = _read_uncached(path, limit)
    return cached


def _read_uncached(path: str, limit: int) -> tuple[bytes | None, str]:
    try:
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)  # a FIFO opens at once
    except (FileNotFoundError, NotADirectoryError):
        return None, ""
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        return None, f"cannot be read ({getattr(error, 'strerror', None) or error})"
    try:
        if not _S_ISREG(os.fstat(fd).st_mode):  # a FIFO, device or folder: never read
            return None, "is not a regular file"
        chunks = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks), ""
    finally:
        os.close(fd)


def _read_text(path: str, limit: int = _READ_LIMIT) -> str | None:
    """The UTF-8 text of a small regular file, or None when it is missing or unusable."""
    data, _ = _read(path, limit)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- phase 1: the module -------------------------------------------------------------------


def _plain_path(locations: object) -> list[str] | None:
    """A package's search locations as a plain list (None for a module).

    A namespace package's ``_NamespacePath`` recomputes itself from its parent's path, so
    that it follows ``sys.path``; nested in a parent that was never imported, that raises
    ``KeyError``, and the path as last computed is used instead.
    """
    if locations is None:
        return None
    try:
        return [entry for entry in locations if isinstance(entry, str)]  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a parent never imported, or a finder's junk
        raw = getattr(locations, "_path", None)
        return [entry for entry in raw if isinstance(entry, str)] if isinstance(raw, list) else []


def _find_spec(fullname: str) -> tuple[object | None, str | None]:
    """Find ``fullname``'s spec as ``importlib.util.find_spec`` would, without importing.

    A dotted name's parent is located, never imported. Returns ``(spec, None)``, or
    ``(None, reason)`` when the module cannot be found, is blocked, or a finder fails.
    """
    if fullname in sys.modules:
        module: object = sys.modules[fullname]
        if module is None:
            return None, f"importing {fullname} is blocked: sys.modules[{fullname!r}] is None"
        spec = getattr(module, "__spec__", None)
        if spec is None:
            return None, f"sys.modules[{fullname!r}] has no __spec__, so its origin is unknown"
        return spec, None
    parent, _, _ = fullname.rpartition(".")
    path = None
    if parent:
        parent_spec, problem = _find_spec(parent)
        if parent_spec is None:
            return None, problem
        path = _plain_path(getattr(parent_spec, "submodule_search_locations", None))
        if path is None:
            return None, f"{parent} is a module, not a package, so it has no {fullname}"
    for finder in list(sys.meta_path):
        spec = _ask(finder, fullname, path)
        if spec is not None:
            return spec, None
    return None, f"no module named {fullname!r}"


def _ask(finder: object, fullname: str, path: list[str] | None) -> object | None:
    """One finder's spec for ``fullname``; what it raises, importing would raise too."""
    find_spec = getattr(finder, "find_spec", None)
    if find_spec is None:
        return None
    try:
        spec: object | None = find_spec(fullname, path)
    except KeyError:
        if path is None or fullname.rpartition(".")[0] in sys.modules:
            raise
        return _nested_namespace(fullname, path)  # see _NamespaceSpec
    return spec


class _NamespaceSpec:
    """The spec of a namespace package nested in a package that was never imported.

    ``PathFinder`` raises ``KeyError`` for those: a nested ``_NamespacePath`` looks its
    parent up in ``sys.modules``. Such a folder is an uninstall's leftover all the same.
    """

    origin = None

    def __init__(self, locations: list[str]) -> None:
        self.submodule_search_locations = locations


def _nested_namespace(fullname: str, path: list[str]) -> _NamespaceSpec | None:
    """The folders named like ``fullname``'s last part in ``path``: a namespace portion."""
    name = fullname.rpartition(".")[2]
    found = [os.path.join(entry, name) for entry in path]
    found = [folder for folder in found if os.path.isdir(folder)]
    return _NamespaceSpec(found) if found else None


def _spec_location(spec: object) -> tuple[str | None, bool]:
    """Return where ``spec`` points (package folder or module file) and whether it is real.

    A spec without an origin is a namespace package: an empty folder of that name.
    """
    origin = getattr(spec, "origin", None)
    locations = _plain_path(getattr(spec, "submodule_search_locations", None))
    if not isinstance(origin, str) or origin == "namespace":
        return (locations[0] if locations else None), False
    if locations is None:
        return origin, True
    return os.path.dirname(origin), True


def _site_of(location: str, parts: list[str]) -> str | None:
    """The folder that holds ``location`` as the module named by ``parts``, if it does."""
    folder = location
    for part in reversed(parts):
        folder, tail = os.path.split(folder)
        if os.path.normcase(tail.partition(".")[0]) != os.path.normcase(part):
            return None
    return folder


def _archive_of(spec: object) -> str | None:
    """The zip file (a wheel, ``.zip`` or ``.pyz``) the module was found in, if any."""
    archive = getattr(getattr(spec, "loader", None), "archive", None)
    return archive if isinstance(archive, str) else None


# --- phase 2: metadata ---------------------------------------------------------------------


def _search_dirs() -> list[str]:
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


def _listing(folder: str) -> tuple[str, str]:
    """The names in ``folder``, each behind a newline: as listed, and lower-cased (cached).

    One joined string lets ``str.find`` look for a distribution among thousands of entries
    in C, where a loop over them in Python would cost milliseconds. Lower-casing keeps
    every offset, since the one character whose lower case is longer is replaced first.
    """
    listing = _listings.get(folder)
    if listing is None:
        try:
            names = _names(folder)
        except (OSError, ValueError):
            names = []
        joined = "\n" + "\n".join(names) + "\n"
        lowered = joined.lower() if joined.isascii() else joined.replace("\u0130", "i").lower()
        listing = _listings[folder] = (joined, lowered)
    return listing


def _names(folder: str) -> Iterable[str]:
    """The names in ``folder``, from the import system's cache where it is current.

    ``find_spec`` has just listed the folder that holds each module found; listing it
    again would double the cost in a site-packages of thousands of entries. Anything
    unexpected in that private cache falls back to ``os.listdir``.
    """
    finder = sys.path_importer_cache.get(folder)
    cached = getattr(finder, "_path_cache", None)
    if (
        isinstance(cached, set)
        and cached
        and getattr(finder, "_path_mtime", None) == os.stat(folder).st_mtime
    ):
        return [name for name in cached if isinstance(name, str)]
    return os.listdir(folder)


def _project(entry: str) -> str:
    """The canonical project name of a metadata entry: ``onnxruntime_gpu-1.0.dist-info``."""
    return _canonical(entry.rpartition(".")[0].partition("-")[0])


def _matching(folder: str, prefix: str, suffixes: tuple[str, ...]) -> list[str]:
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


def _metadata_entries(folder: str, project: str | None = None) -> list[str]:
    """The ``*.dist-info`` and ``*.egg-info`` entries in ``folder``: all, or ``project``'s."""
    entries = _matching(folder, project or "", _INFO_SUFFIXES)
    if project is None:
        return entries
    return [entry for entry in entries if _project(entry) == project]


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


def _parse_version(text: str) -> str | None:
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
    return _reindent(value) if "\n" in value and _REINDENTS else value


def _reindent(value: str) -> str:
    """What ``importlib.metadata``'s ``_adapters.Message`` does to a folded value (3.10+)."""
    import textwrap

    return textwrap.dedent(" " * 8 + value)


def _decode_metadata(data: bytes) -> str | None:
    """Metadata bytes as ``importlib.metadata`` reads them: UTF-8 with universal newlines."""
    if len(data) >= _READ_LIMIT:  # cut by the size cap: drop the line it cut through
        data = data[: max(data.rfind(b"\n"), data.rfind(b"\r")) + 1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_metadata(info: str) -> tuple[str | None, str]:
    """Read a metadata folder or file; return ``(version, problem)``, version None if unusable.

    Like ``importlib.metadata``, an empty, missing or unreadable ``METADATA`` falls back to
    ``PKG-INFO``. Files over the size cap are read up to it: their headers come first.
    """
    files = [os.path.join(info, "METADATA"), os.path.join(info, "PKG-INFO")]
    if info.lower().endswith(".egg-info"):
        files.append(info)  # an egg-info file, not folder
    problem = ""
    for file in files:
        data, unusable = _read(file)
        if data:
            return _version_in(data)
        if not problem and (unusable or data is not None):
            problem = f"its {os.path.basename(file)} {unusable or 'is empty'}"
    return None, problem or "it has no METADATA file"


def _version_in(data: bytes) -> tuple[str | None, str]:
    """The version in a metadata file's bytes, or None and why there is none."""
    text = _decode_metadata(data)
    if text is None:
        return None, "its metadata is not valid UTF-8"
    version = _parse_version(text)
    if version is not None and (version or len(data) < _READ_LIMIT):
        return (version, "") if version else (None, "its metadata has an empty Version")
    if len(data) >= _READ_LIMIT:
        return None, f"its metadata headers are larger than {_READ_LIMIT >> 20} MiB"
    return None, "its metadata has no Version"


def _installed(name: str, dirs: Sequence[str], problems: list[str] | None = None) -> _Dist | None:
    """The first distribution ``name`` in ``dirs`` with a usable version.

    Metadata folders with no usable version are skipped and described in ``problems``.
    """
    for folder in dirs:
        dist = _installed_in(name, folder, problems)
        if dist is not None:
            return dist
    return None


def _installed_in(name: str, folder: str, problems: list[str] | None = None) -> _Dist | None:
    """Distribution ``name`` in ``folder``, if one there has a usable version."""
    for entry in _metadata_entries(folder, _canonical(name)):
        version, problem = _read_metadata(os.path.join(folder, entry))
        if version is not None:
            return _Dist(name, version, folder, entry)
        _log(_DEBUG, "skipping %s in %s: %s", entry, folder, problem)
        if problems is not None:
            problems.append(f"{entry} in {folder} does not count: {problem}")
    return None


def _record(dist: _Dist, module: str) -> dict[str, tuple[str, int]] | None:
    """The module's files that ``dist`` installed: path -> (hash, size), None without a list.

    Wheels list their files in ``RECORD``; eggs in ``installed-files.txt`` (no hashes).
    """
    info = os.path.join(dist.site, dist.entry)
    prefix = module.replace(".", "/") + "/"
    text = _read_text(os.path.join(info, "RECORD"), _RECORD_LIMIT)
    if text is None:
        text = _read_text(os.path.join(info, "installed-files.txt"), _RECORD_LIMIT)
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
        if path.startswith(prefix):
            files[path] = (digest, int(rest) if rest.isascii() and rest.isdigit() else 0)
    return files


def _ships(dist: _Dist, module: str, *, unlisted: bool = True) -> bool:
    """Whether ``dist`` installed ``module``: its file list names the package's files.

    Without a file list, ``top_level.txt`` decides; without either, ``unlisted``.
    """
    files = _record(dist, module)
    if files is not None:
        return f"{module.replace('.', '/')}/__init__.py" in files
    top_level = _read_text(os.path.join(dist.site, dist.entry, "top_level.txt"))
    if top_level is None:
        return unlisted
    return module.partition(".")[0] in top_level.split()


def _providers(module: str, folder: str, skip: Iterable[str]) -> list[_Dist]:
    """Distributions in ``folder``, outside ``skip``, whose files include ``module``."""
    seen = {_canonical(name) for name in skip}
    found: list[_Dist] = []
    for entry in _metadata_entries(folder):
        project = _project(entry)
        if project in seen:
            continue
        version, _ = _read_metadata(os.path.join(folder, entry))
        if version is None:
            continue
        dist = _Dist(project.replace("_", "-"), version, folder, entry)
        if _ships(dist, module, unlisted=False):
            seen.add(project)
            found.append(dist)
    return found


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (any name), or None; nothing is imported.

    Read from metadata as detection reads it: cheaper than ``importlib.metadata.version``,
    whose import alone costs milliseconds.
    """
    with _lock:
        dist = _installed(distribution, _search_dirs())
        _reads.clear()
    return dist.version if dist else None


def _in_archive(archive: str, key: str, module: str) -> tuple[_Dist | None, str]:
    """The distribution whose metadata sits in the zip ``archive`` beside ``module``.

    An accepted name comes first; for ONNX Runtime, any distribution whose ``RECORD``
    lists the module counts too.
    """
    import zipfile

    ranks = {_canonical(name): rank for rank, name in enumerate(_accepted_names(key))}
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = set(bundle.namelist())
            entries = sorted(
                (name.partition("/")[0] for name in names if name.count("/") == 1),
                key=lambda entry: (ranks.get(_project(entry), len(ranks)), entry),
            )
            for entry in dict.fromkeys(entries):
                if not entry.endswith(_INFO_SUFFIXES):
                    continue
                project = _project(entry)
                if project not in ranks:
                    record = f"{entry}/RECORD"
                    if key not in _ANY_PROVIDER or record not in names:
                        continue
                    listed = bundle.read(record)[:_RECORD_LIMIT].decode("utf-8", "replace")
                    if f"\n{module.replace('.', '/')}/__init__.py," not in f"\n{listed}":
                        continue
                version = _zip_version(bundle, entry, names)
                if version:
                    name = _accepted_names(key)[ranks[project]] if project in ranks else project
                    return _Dist(name.replace("_", "-"), version, archive, entry), ""
    except Exception as error:  # noqa: BLE001 - a damaged archive: the reason says so
        return None, f"{archive} cannot be read as a zip file ({_describe(error)})"
    return None, f"{module} in {archive} has no installed distribution's metadata beside it"


def _zip_version(bundle: zipfile.ZipFile, entry: str, names: set[str]) -> str | None:
    """The version in the metadata folder ``entry`` of a zip file, read under the size cap."""
    for file in (f"{entry}/METADATA", f"{entry}/PKG-INFO"):
        if file in names:
            with bundle.open(file) as stream:
                text = _decode_metadata(stream.read(_READ_LIMIT))
            return _parse_version(text) if text is not None else None
    return None


# --- phase 3: ownership --------------------------------------------------------------------


def _accepted_names(key: str) -> tuple[str, ...]:
    """Every distribution name accepted for ``key``, in priority order."""
    return _BACKENDS[key][1] + _SHIPPING.get(key, ())


def _in_folder(key: str, folder: str, problems: list[str] | None = None) -> list[_Dist]:
    """The accepted distributions of ``key`` in ``folder``, in priority order.

    A name accepted only where it ships the module (optimum, before optimum-onnx) counts
    only where its file list says so.
    """
    module, names = _BACKENDS[key]
    found = [dist for dist in (_installed_in(name, folder, problems) for name in names) if dist]
    for name in _SHIPPING.get(key, ()):
        dist = _installed_in(name, folder, problems)
        if dist is not None and _ships(dist, module):
            found.append(dist)
    return found


def _hash(path: str, algorithm: str) -> str | None:
    """The ``RECORD``-style digest (urlsafe base64, no padding) of the file at ``path``.

    ``binascii`` rather than ``base64``, whose import (it brings ``re``) costs milliseconds.
    """
    import binascii

    try:
        digest = _hasher(algorithm)
        if not _S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    encoded = binascii.b2a_base64(digest.digest(), newline=False).decode("ascii")
    return encoded.rstrip("=").replace("+", "-").replace("/", "_")


def _hasher(algorithm: str) -> _Digest:
    """A new hash object; sha256, as wheels record, from CPython's built-in module.

    ``hashlib`` costs 2 ms to import (it loads OpenSSL); it serves the other algorithms.
    """
    if algorithm == "sha256":
        try:
            return __import__(_SHA256_MODULE).sha256()  # type: ignore[no-any-return]
        except ImportError:  # pragma: no cover - a Python built without it
            pass
    import hashlib

    return hashlib.new(algorithm)


def _by_files_on_disk(dists: list[_Dist], module: str) -> tuple[_Dist, tuple[str, ...]]:
    """Of several distributions that installed ``module`` into one folder, the owner.

    The last one installed overwrote the others' files, so the owner is the one whose
    ``RECORD`` hashes match the files on disk. Only files whose recorded hashes differ can
    tell them apart; the smallest of those are hashed first, and hashing stops as soon as
    one distribution is left. Returns the owner and the others, which are its conflicts.
    """
    records = {id(dist): _record(dist, module) or {} for dist in dists}
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
        actual = {f"{name}={_hash(on_disk, name)}" for name in sorted(algorithms)}
        if recorded & actual:  # else the file was changed since: it tells nothing
            alive = [dist for dist in alive if listed[id(dist)] in actual | {""}]
        if len(alive) == 1:
            break
    owner = alive[0]
    return owner, tuple(dist.name for dist in shipping if dist is not owner)


def _pth_owner(folder: str, location: str, parts: list[str]) -> _Dist | None:
    """An editable install in ``folder`` whose ``.pth`` file or finder maps ``location``.

    setuptools writes ``__editable__.NAME-VERSION.pth`` (a path, or an import of its
    ``__editable___NAME_VERSION_finder.py`` whose ``MAPPING`` names each package's folder);
    hatchling writes ``_NAME.pth``; both list it in the distribution's ``RECORD``.
    """
    top = os.path.join(_site_of(location, parts) or location, parts[0])
    site = os.path.dirname(top)
    for name in _matching(folder, "", (".pth", "_finder.py")):
        text = _read_text(os.path.join(folder, name), _PTH_LIMIT)
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
            dist = _owner_of_file(folder, name)
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


def _owner_of_file(folder: str, name: str) -> _Dist | None:
    """The editable install in ``folder`` whose ``RECORD`` lists the file ``name``.

    The file's name tells which (``__editable__.my_ort-1.0.pth``, ``_my_ort.pth``,
    ``__editable___my_ort_1_0_finder.py``), and its ``direct_url.json`` must say editable:
    a ``.pth`` file alone maps a folder, not the packages someone put there.
    """
    stem = name.removeprefix("__editable__").strip("._").partition("-")[0]
    stem = stem.removesuffix("_finder.py").removesuffix(".pth")
    words = stem.lower().split("_")
    for count in range(len(words), 0, -1):
        for entry in _metadata_entries(folder, "_".join(words[:count])):
            info = os.path.join(folder, entry)
            record = _read_text(os.path.join(info, "RECORD"), _RECORD_LIMIT)
            if record is None or f"\n{name}," not in f"\n{record}" or not _editable(info):
                continue
            version, _ = _read_metadata(info)
            if version is not None:
                return _Dist(_project(entry).replace("_", "-"), version, folder, entry)
    return None


def _editable(info: str) -> bool:
    """Whether the metadata folder ``info`` says it is an editable install (PEP 660)."""
    text = _read_text(os.path.join(info, "direct_url.json"), _PTH_LIMIT)
    if text is None:
        return False
    import json

    try:
        found = json.loads(text)
    except ValueError:
        return False
    dir_info = found.get("dir_info") if isinstance(found, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _copy_of(dist: _Dist, parts: list[str]) -> str | None:
    """The package folder ``dist`` installed beside its metadata, if there is one."""
    folder = os.path.join(dist.site, *parts)
    return folder if os.path.isfile(os.path.join(folder, "__init__.py")) else None


def _same_path(first: str, second: str) -> bool:
    try:
        return os.path.normcase(os.path.realpath(first)) == os.path.normcase(
            os.path.realpath(second)
        )
    except (OSError, ValueError):
        return False


def _describe_names(names: Sequence[str]) -> str:
    if len(names) <= 2:  # noqa: PLR2004 - "a" or "a or b"
        return " or ".join(names)
    return f"{names[0]}, {names[1]} or {len(names) - 2} other distributions"


def _owner(key: str, spec: object, location: str, parts: list[str]) -> tuple[_Dist | None, str]:
    """Find the distribution that owns the module found at ``location``.

    Returns ``(dist, problem)``: ``problem`` is empty when ``dist`` owns the module (or is
    an editable install of it), and says what is wrong otherwise.
    """
    archive = _archive_of(spec)
    if archive is not None:
        return _in_archive(archive, key, _BACKENDS[key][0])
    site = _site_of(location, parts)
    problems: list[str] = []
    beside = _owner_beside(key, site, problems) if site is not None else None
    if beside is not None:
        return beside, ""
    return _owner_elsewhere(key, location, parts, problems)


def _owner_beside(key: str, site: str, problems: list[str]) -> _Dist | None:
    """The distribution in ``site``, the module's own folder, that owns it: the common case.

    Where several accepted ones installed it there, the files on disk decide.
    """
    module = _BACKENDS[key][0]
    beside = _in_folder(key, site, problems)
    if len(beside) > 1:
        owner, conflicts = _by_files_on_disk(beside, module)
        owner.conflicts = conflicts
        return owner
    if beside:
        return beside[0]
    if key in _ANY_PROVIDER:
        providers = _providers(module, site, _accepted_names(key))
        if providers:
            return providers[0]
    return None


def _owner_elsewhere(
    key: str, location: str, parts: list[str], problems: list[str]
) -> tuple[_Dist | None, str]:
    """The owner of a module with no distribution beside it, or what it shadows.

    An accepted distribution with its own copy elsewhere is shadowed by the module found;
    otherwise an editable install that maps the module owns it.
    """
    module = _BACKENDS[key][0]
    dirs = _search_dirs()
    names = _accepted_names(key)
    candidates = list(_everywhere(key, dirs, problems))
    if not candidates:
        for folder in dirs:
            editable = _pth_owner(folder, location, parts)
            if editable is not None:
                return editable, ""
        candidates = [
            dist for dist in (_from_importlib_metadata(name, dirs) for name in names) if dist
        ]
    if not candidates:
        if problems:
            return None, problems[0]
        return None, (
            f"{module} at {location} does not come from an installed distribution "
            f"({_describe_names(names)} is not installed)"
        )
    copies = [(dist, _copy_of(dist, parts)) for dist in candidates]
    for dist, copy in copies:
        if copy is not None and _same_path(copy, location):
            return dist, ""
    shadowed = next((dist for dist, copy in copies if copy is not None), None)
    if shadowed is None:
        return candidates[0], ""  # an editable install: no copy beside the metadata
    kind = "folder" if os.path.isdir(location) else "file"
    return shadowed, (
        f"a {kind} {location} shadows {shadowed.name} {shadowed.version} installed in "
        f"{shadowed.site}"
    )


def _from_importlib_metadata(name: str, dirs: Sequence[str]) -> _Dist | None:
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
        version = _parse_version(text.replace("\r\n", "\n").replace("\r", "\n"))
        if version:
            return _Dist(name, version, str(dist.locate_file("")), "")
    return None


def _torch_problem(dist: _Dist) -> str:
    """Why IPEX ``dist`` cannot be imported, or ``''``: it needs torch of its major.minor.

    IPEX does not declare torch as a dependency, and refuses to import beside any other.
    """
    wanted = _major_minor(dist.version)
    torch = _installed("torch", _search_dirs())
    if torch is None:
        there = "torch is not installed"
    elif _major_minor(torch.version) != wanted:
        there = f"torch {torch.version} is installed"
    else:
        return ""
    return f"{dist.name} {dist.version} needs torch {wanted}, but {there}, so it cannot be imported"


def _major_minor(version: str) -> str:
    """``2.8`` for ``2.8.0+cpu``."""
    return ".".join(version.partition("+")[0].split(".")[:2])


def _loaded_version(module: str) -> str | None:
    """The ``__version__`` of ``module`` where this process has imported it already.

    Only its PEP 440 part: OpenVINO's ``2026.4.1-22982-e213a147257-releases/2026/4`` is
    ``2026.4.1``.
    """
    loaded = sys.modules.get(module)
    version = getattr(loaded, "__version__", None) if loaded is not None else None
    return version.partition("-")[0] if isinstance(version, str) and version.strip() else None


def _same_release(loaded: str, installed: str) -> bool:
    """Whether two versions differ at most by a local part (IPEX: ``2.8.0+cpu``, ``2.8.0``)."""
    return loaded.partition("+")[0] == installed.partition("+")[0]


# --- detection -----------------------------------------------------------------------------


def _disabled() -> frozenset[str]:
    """The backend keys that ``ACCELPROBE_DISABLE`` turns off."""
    keys: set[str] = set()
    for token in _environment(_DISABLE_VARIABLE).split(","):
        if not token.strip():
            continue
        key = _backend_key(token)
        if key is None:
            _log(_DEBUG, "ignoring unknown backend %r in %s", token, _DISABLE_VARIABLE)
        else:
            keys.add(key)
    return frozenset(keys)


def _detect(key: str) -> Detection:
    """Detect one backend. Never raises: whatever goes wrong becomes the reason."""
    module = _BACKENDS[key][0]
    try:
        return _detect_module(key, module)
    except Exception as error:  # noqa: BLE001 - detection must never raise
        _log(_DEBUG, "detecting %s failed", key, exc_info=True)
        return Detection(key, "error", f"looking for {module} raised {_describe(error)}")


def _detect_module(key: str, module: str) -> Detection:
    spec, problem = _find_spec(module)
    if spec is None:
        return Detection(key, "missing", str(problem))
    location, real = _spec_location(spec)
    if location is None:
        return Detection(key, "missing", f"{module} has no location on disk")
    parts = module.split(".")
    if not real:
        return _leftover(key, location, parts)
    dist, problem = _owner(key, spec, location, parts)
    if problem or dist is None:
        status = "unowned" if dist is None else "shadowed"
        return Detection(key, status, problem, location=location, dist=dist)
    if key == "ipex":
        problem = _torch_problem(dist)
        if problem:
            return Detection(key, "unusable", problem, location=location, dist=dist)
    reason = f"{dist.name} {dist.version} is installed"
    loaded = _loaded_version(module)
    if loaded is not None and not _same_release(loaded, dist.version):
        reason = (
            f"{dist.name} {loaded} is loaded in this process, but {dist.version} is "
            f"installed: a restart uses {dist.version}"
        )
        dist = _Dist(dist.name, loaded, dist.site, dist.entry)
    return Detection(key, "available", reason, location=location, dist=dist)


def _leftover(key: str, location: str, parts: list[str]) -> Detection:
    """A folder of the module's name without ``__init__.py``: an uninstall's leftover."""
    site = _site_of(location, parts)
    found = _in_folder(key, site) if site is not None else []
    dist = found[0] if found else next(_everywhere(key, _search_dirs()), None)
    leftover = f"{location} is a folder without __init__.py"
    if dist is None:
        return Detection(
            key, "leftover", f"{leftover}, not an installed package", location=location
        )
    return Detection(
        key,
        "leftover",
        f"{dist.name} {dist.version} is installed but {leftover}",
        location=location,
        dist=dist,
    )


def _everywhere(
    key: str, dirs: Sequence[str], problems: list[str] | None = None
) -> Iterator[_Dist]:
    """The accepted distributions of ``key`` in ``dirs``, folder by folder, lazily."""
    for folder in dirs:
        yield from _in_folder(key, folder, problems)


def _detect_all() -> None:
    """Detect every backend and publish the results in the module-level flags."""
    global _onnxruntime_available, _openvino_available, _ipex_available  # noqa: PLW0603
    global _optimum_intel_available, _optimum_onnx_available  # noqa: PLW0603
    global _detections, _available, _infos, _readiness
    _reads.clear()
    disabled = _disabled()
    detections = {
        key: Detection(key, "disabled", f"disabled by {_DISABLE_VARIABLE}")
        if key in disabled
        else _detect(key)
        for key in _BACKENDS
    }
    available = {key: found.available for key, found in detections.items()}
    _detections, _available, _infos, _readiness = detections, available, {}, {}
    _reads.clear()  # files are read once per detection; their contents are not kept
    _openvino_available = available["openvino"]
    _onnxruntime_available = available["onnxruntime"]
    _ipex_available = available["ipex"]
    _optimum_intel_available = available["optimum-intel"]
    _optimum_onnx_available = available["optimum-onnx"]


# --- public API ----------------------------------------------------------------------------


def is_onnxruntime_available() -> bool:
    """Whether ONNX Runtime (any distribution of it) is installed and usable."""
    return _onnxruntime_available


def is_openvino_available() -> bool:
    """Whether OpenVINO is installed and usable."""
    return _openvino_available


def is_ipex_available() -> bool:
    """Whether Intel Extension for PyTorch is installed and usable."""
    return _ipex_available


def is_optimum_intel_available() -> bool:
    """Whether optimum-intel is installed and usable."""
    return _optimum_intel_available


def is_optimum_onnx_available() -> bool:
    """Whether optimum-onnx is installed and usable."""
    return _optimum_onnx_available


def _key_or_error(name: object) -> str:
    key = _backend_key(name)
    if key is None:
        valid = ", ".join([*_BACKENDS, *_BACKEND_ALIASES])
        msg = f"unknown backend {name!r}; expected one of: {valid}"
        raise ValueError(msg)
    return key


def detection(name: str) -> Detection:
    """What detection found for backend ``name``, as a cheap record (see ``Detection``).

    Raises ``ValueError`` for an unknown name.
    """
    return _detections[_key_or_error(name)]


def backend_info(name: str) -> BackendInfo:
    """What detection found for the backend ``name`` (a key, accelerator name or alias).

    Raises ``ValueError`` for an unknown name.
    """
    key = _key_or_error(name)
    info = _infos.get(key)
    if info is None:
        from accelprobe._info import BackendInfo

        with _lock:
            found = _detections[key]
            info = BackendInfo(
                name=key,
                module=found.module,
                available=found.available,
                distribution=found.distribution,
                version=found.version,
                location=found.location,
                reason=found.reason,
                conflicts=found.conflicts,
            )
            _infos[key] = info
    return info


def all_backends() -> tuple[BackendInfo, ...]:
    """What detection found for every backend, in a fixed order."""
    return tuple(backend_info(key) for key in _BACKENDS)


def _remedy(found: Detection) -> str:
    """What to do about the unavailable backend ``found``, as a command where there is one."""
    key = found.key
    install = _INSTALL_COMMANDS[key]
    if found.status == "disabled":
        return f"remove {key} from {_DISABLE_VARIABLE} to enable it"
    if found.status == "shadowed":
        return f"rename or remove {found.location}, which hides the installed package"
    if found.status == "leftover" and found.distribution is not None:
        return f"reinstall with: pip install --force-reinstall {found.distribution}"
    if found.status == "unusable" and found.version is not None:
        return f'install the torch it needs: pip install "torch=={_major_minor(found.version)}.*"'
    if found.status == "leftover":
        return f"remove {found.location}, then install with: {install}"
    return f"install with: {install}"


def require(*names: str) -> tuple[BackendInfo, ...]:
    """Return the named backends' infos, or raise ``ImportError`` if any is unavailable.

    Put it at the top of code that needs a backend: the error names each missing one,
    why, and what to run. Unknown names raise ``ValueError``.
    """
    if not names:
        known = ", ".join(_BACKENDS)
        msg = f"name at least one backend to require, e.g. require('onnxruntime'); known: {known}"
        raise ValueError(msg)
    infos = tuple(backend_info(name) for name in names)
    missing = "".join(
        f"\n  {info.name}: {info.reason}; {_detections[info.name].remedy}"
        for info in infos
        if not info.available
    )
    if missing:
        msg = f"required backends are not available:{missing}"
        raise ImportError(msg)
    return infos


def is_backend_version(name: str, specifier: str) -> bool:
    """Whether backend ``name`` is available at a version inside ``specifier`` (PEP 440).

    Pre-releases and local versions count. An unparsable installed version gives False;
    an invalid specifier raises ``ValueError``.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    key = _key_or_error(name)
    try:
        if not isinstance(specifier, str):
            raise InvalidSpecifier(repr(specifier))  # noqa: TRY301 - one message for both
        specifiers = SpecifierSet(specifier)
    except InvalidSpecifier:
        msg = f"invalid version specifier {specifier!r} (expected e.g. '>=1.17,<2')"
        raise ValueError(msg) from None
    found = _detections[key]
    if not found.available or found.version is None:
        return False
    try:
        version = Version(found.version)
    except InvalidVersion:
        return False
    return specifiers.contains(version, prereleases=True)


def _accelerator_or_error(name: object, source: str) -> Accelerator:
    accelerator = _ACCELERATOR_NAMES.get(_compact(name)) if isinstance(name, str) else None
    if accelerator is None:
        aliases = ", ".join(
            f"{alias} ({target})" for alias, target in _ACCELERATOR_NAMES.items() if alias != target
        )
        msg = (
            f"{source}{name!r} is not a known accelerator; "
            f"expected one of: {', '.join(ACCELERATORS)} or the aliases {aliases}"
        )
        raise ValueError(msg)
    return accelerator


def _allowed(candidates: Iterable[str]) -> tuple[Accelerator, ...]:
    """The accelerators named in ``candidates``, in priority order."""
    if isinstance(candidates, str):
        candidates = (candidates,)
    chosen = {_accelerator_or_error(name, "candidate ") for name in candidates}
    if not chosen:
        msg = f"candidates is empty; name at least one of: {', '.join(ACCELERATORS)}"
        raise ValueError(msg)
    return tuple(name for name in ACCELERATORS if name in chosen)


def _integration_problem(accelerator: str) -> str:
    """Why ``accelerator``'s optimum integration module is absent, or ``''`` (cached).

    The module (``optimum.intel.openvino``, ``optimum.intel.ipex``,
    ``optimum.onnxruntime``) is located, never imported.
    """
    readiness = _readiness  # refresh() replaces it: write where it was read
    problem = readiness.get(accelerator)
    if problem is None:
        optimum, integration, _, _ = _ACCELERATOR_NEEDS[accelerator]
        try:
            spec, problem = _find_spec(integration)
            if spec is not None and not _spec_location(spec)[1]:
                problem = f"{integration} is a folder without __init__.py"
        except Exception as error:  # noqa: BLE001 - never raises
            problem = f"looking for {integration} raised {_describe(error)}"
        if problem:
            found = _detections[optimum]
            problem = f"{found.distribution} {found.version} has no {integration} ({problem})"
        readiness[accelerator] = problem = problem or ""
    return problem


def _ready(accelerator: str, *, require_optimum: bool) -> bool:
    optimum, _, runtime, _ = _ACCELERATOR_NEEDS[accelerator]
    if not _available[runtime]:
        return False
    return not require_optimum or (_available[optimum] and not _integration_problem(accelerator))


def _missing(accelerator: str, *, require_optimum: bool) -> str:
    """Say what ``accelerator`` lacks and what fixes it: a command, or ``ACCELPROBE_DISABLE``."""
    optimum, integration, runtime, command = _ACCELERATOR_NEEDS[accelerator]
    needed = (optimum, runtime) if require_optimum else (runtime,)
    lacking = [_detections[key] for key in needed if not _available[key]]
    reasons = [f"{found.key}: {found.reason}" for found in lacking]
    absent = require_optimum and _available[optimum] and _integration_problem(accelerator)
    if absent:
        reasons.append(f"{integration}: {_integration_problem(accelerator)}")
    fixes = [found.remedy or "" for found in lacking if found.status not in _INSTALLABLE]
    if absent or len(fixes) < len(lacking):
        fixes.append(f"install with: {command}")
    return f"{accelerator} needs {' and '.join(needed)} ({'; '.join(reasons)}); {'; '.join(fixes)}"


def available_accelerators(*, require_optimum: bool = True) -> tuple[Accelerator, ...]:
    """The accelerators that can run now, in priority order (ov, ort, ipex)."""
    return tuple(name for name in ACCELERATORS if _ready(name, require_optimum=require_optimum))


def _shows(accelerator: str, device: str | None) -> bool:
    """Whether ``accelerator``'s runtime probe shows ``device`` (always, without one)."""
    if device is None:
        return True
    from accelprobe import probe

    return probe.probe(_ACCELERATOR_NEEDS[accelerator][2], verify=True).shows(device)


def _why_not(accelerator: str, *, require_optimum: bool, device: str | None) -> str:
    """Say what ``accelerator`` lacks, or what its probe saw instead of ``device``."""
    if device is None or not _ready(accelerator, require_optimum=require_optimum):
        return _missing(accelerator, require_optimum=require_optimum)
    from accelprobe import probe

    found = probe.probe(_ACCELERATOR_NEEDS[accelerator][2], verify=True)
    return f"{accelerator} shows no {device} device ({found.explain(device)})"


def select_accelerator(
    accelerator: str | None = None,
    *,
    candidates: Iterable[str] | None = None,
    require_optimum: bool = True,
    device: str | None = None,
) -> Accelerator:
    """Pick the accelerator to run on: the one asked for, or the best one available.

    ``accelerator`` (or else ``ACCELPROBE_ACCELERATOR``) names one; otherwise the first of
    ov > ort > ipex that is available, limited to ``candidates``. With ``device`` (``cpu``,
    ``gpu``, ``npu``, ``cuda``, ``rocm``, ``directml``, ``xpu``, ``coreml``, ``qnn``) an
    accelerator counts only where its runtime really ran a test model on such a device
    (``accelprobe.probe.probe(..., verify=True)``, which imports the runtime). Raises
    ``ValueError`` for an unknown name and ``ImportError``, saying what is missing and the
    install command, when nothing fits.
    """
    if device is not None:
        from accelprobe import probe

        device = probe.device_word(device)
    source = ""
    if accelerator is None:
        requested = _environment(_ACCELERATOR_VARIABLE).strip()
        if requested:
            accelerator, source = requested, f"{_ACCELERATOR_VARIABLE}="
    allowed = ACCELERATORS if candidates is None else _allowed(candidates)
    if accelerator is not None:
        choice = _accelerator_or_error(accelerator, source)
        if choice not in allowed:
            msg = f"{source}{accelerator!r} is not among the candidates {', '.join(allowed)}"
            raise ValueError(msg)
        if not _ready(choice, require_optimum=require_optimum) or not _shows(choice, device):
            asked = f" (asked for by {_ACCELERATOR_VARIABLE})" if source else ""
            why = _why_not(choice, require_optimum=require_optimum, device=device)
            msg = f"accelerator {choice!r}{asked} is not available: {why}"
            raise ImportError(msg)
    else:
        for choice in allowed:
            if _ready(choice, require_optimum=require_optimum) and _shows(choice, device):
                break
        else:
            missing = "".join(
                f"\n  {_why_not(name, require_optimum=require_optimum, device=device)}"
                for name in allowed
            )
            article = "an" if device in {"npu", "xpu"} else "a"
            fits = "available" if device is None else f"available with {article} {device} device"
            msg = f"no accelerator is {fits}:{missing}"
            raise ImportError(msg)
    _log(_INFO, "selected accelerator %r", choice)
    return choice


def model_class(task: str, accelerator: str | None = None) -> type:
    """The optimum model class that runs ``task`` on ``accelerator``.

    ``accelerator`` defaults to ``select_accelerator()``; ``task`` is a transformers
    pipeline task or alias (``feature-extraction``, ``sentiment-analysis``, ``ner``, ...).
    Imports the chosen optimum integration, and nothing until called. Raises
    ``ValueError`` for an unknown task, ``ImportError`` when the class is not installed.
    """
    from accelprobe import models

    return models.model_class(task, accelerator)


def _invalidate_caches() -> None:
    """What ``importlib.invalidate_caches()`` does, without an ``import`` and never raising.

    Python 3.12+'s ``PathFinder.invalidate_caches`` imports ``importlib.metadata``; an
    import takes that module's lock, which a fork while another thread is here leaves
    held, for ever, in the child. So the path finder's part is done here, as it does it.
    """
    external = sys.modules.get("_frozen_importlib_external")
    path_finder = getattr(external, "PathFinder", None)
    for finder in list(sys.meta_path):
        try:
            if finder is path_finder:
                _invalidate_path_caches(external)
            else:
                getattr(finder, "invalidate_caches", _nothing)()
        except Exception:  # noqa: BLE001, PERF203 - a broken finder must not stop the others
            _log(_DEBUG, "invalidating the caches of %r failed", finder, exc_info=True)


def _nothing() -> None:
    """A finder's ``invalidate_caches`` where it has none."""


def _invalidate_path_caches(external: object) -> None:
    """``PathFinder.invalidate_caches()``: each folder's finder, namespace paths, metadata."""
    for name, finder in list(sys.path_importer_cache.items()):
        if finder is None or not os.path.isabs(name):  # the working directory may have moved
            sys.path_importer_cache.pop(name, None)
        else:
            getattr(finder, "invalidate_caches", _nothing)()
    namespace = getattr(external, "_NamespacePath", None)
    namespace._epoch = getattr(namespace, "_epoch", 0) + 1  # type: ignore[union-attr]  # noqa: SLF001
    metadata = sys.modules.get("importlib.metadata")
    if metadata is not None:  # only where something else imported it
        metadata.MetadataPathFinder.invalidate_caches()


def refresh() -> tuple[BackendInfo, ...]:
    """Detect again after packages were installed or removed while the program runs.

    Clears the import system's and metadata caches, updates the module-level flags and
    returns the new results. Safe to call from several threads.
    """
    with _lock:
        _invalidate_caches()
        _listings.clear()
        _detect_all()
        return all_backends()


if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Build ``BackendInfo`` and ``Accelerator`` on first use: each costs an import."""
        if name == "BackendInfo":
            from accelprobe._info import BackendInfo

            return BackendInfo
        if name == "Accelerator":
            from typing import Literal

            globals()[name] = Literal["ov", "ort", "ipex"]
            return globals()[name]
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)


def _after_fork_in_child() -> None:  # pragma: no cover - coverage does not follow a fork
    """Give a forked child a fresh lock: the parent's may be held by a thread now gone."""
    global _lock  # noqa: PLW0603
    _lock = _thread.RLock()


if hasattr(os, "register_at_fork"):  # pragma: no branch - every POSIX Python has it
    os.register_at_fork(after_in_child=_after_fork_in_child)
_detect_all()
