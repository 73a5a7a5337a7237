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

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable, Iterator, Sequence
    from logging import Logger
    from typing import Literal

    from accelprobe._info import BackendInfo

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
# accelerator -> (optimum integration, runtime, install command)
_ACCELERATOR_NEEDS = {
    "ov": ("optimum-intel", "openvino", 'pip install "optimum-intel[openvino]"'),
    "ort": ("optimum-onnx", "onnxruntime", 'pip install "optimum-onnx[onnxruntime]"'),
    "ipex": ("optimum-intel", "ipex", 'pip install "optimum-intel[ipex]"'),
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
_ACCELERATOR_VARIABLE = "ACCELPROBE_ACCELERATOR"
_DEBUG = 10  # logging.DEBUG and logging.INFO, without importing logging
_INFO = 20
_INFO_SUFFIXES = (".dist-info", ".egg-info")

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
_lock = _thread.RLock()
_logger: Logger | None = None


def _log(level: int, message: str, *args: object, exc_info: bool = False) -> None:
    """Log on the ``accelprobe`` logger, if ``logging`` is in use at all.

    A program that never imported ``logging`` has no handler that could receive the
    record, so accelprobe does not pay for importing it.
    """
    global _logger  # noqa: PLW0603 - one cached logger
    if _logger is None:
        logging = sys.modules.get("logging")
        if logging is None:
            return
        _logger = logging.getLogger("accelprobe")
    if _logger.isEnabledFor(level):
        _logger.log(level, message, *args, exc_info=exc_info)


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
    """An installed distribution: its canonical name, version and the folder holding it."""

    __slots__ = ("name", "site", "version")

    def __init__(self, name: str, version: str, site: str) -> None:
        self.name = name
        self.version = version
        self.site = site


class Detection:
    """What detection found for one backend: a cheap, read-only record for tools.

    ``BackendInfo`` (a dataclass, whose import costs milliseconds) is built from it on
    request; the report reads this record directly. ``status`` says which case it is:
    ``available``, ``missing``, ``disabled``, ``leftover`` (a folder without
    ``__init__.py``), ``shadowed`` (another file or folder hides the install), ``unowned``
    (no usable distribution), ``unusable`` (installed but cannot be imported, e.g. IPEX
    without its torch) or ``error``.
    """

    __slots__ = ("_conflicts", "_dist", "available", "key", "location", "reason", "status")

    def __init__(
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
        self._conflicts: tuple[str, ...] | None = None

    def __repr__(self) -> str:
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
        """Other installed distributions that overwrite the same module's files."""
        if self._conflicts is None:
            self._conflicts = _conflicts(self)
        return self._conflicts

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


# --- phase 1: the module -------------------------------------------------------------------


def _find_spec(fullname: str) -> tuple[object | None, str | None]:
    """Find ``fullname``'s spec as ``importlib.util.find_spec`` would, without importing.

    A dotted name's parent is located, never imported. Returns ``(spec, None)``, or
    ``(None, reason)`` when the module cannot be found or is blocked.
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
        path = getattr(parent_spec, "submodule_search_locations", None)
        if path is None:
            return None, f"{parent} is a module, not a package, so it has no {fullname}"
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is not None:
            spec = find_spec(fullname, path)
            if spec is not None:
                return spec, None
    return None, f"no module named {fullname!r}"


def _spec_location(spec: object) -> tuple[str | None, bool]:
    """Return where ``spec`` points (package folder or module file) and whether it is real.

    A spec without an origin is a namespace package: an empty folder of that name.
    """
    origin = getattr(spec, "origin", None)
    locations = getattr(spec, "submodule_search_locations", None)
    if not isinstance(origin, str) or origin == "namespace":
        first = next(iter(locations or ()), None)
        return (first if isinstance(first, str) else None), False
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


# --- phase 2: the distribution -------------------------------------------------------------


def _search_dirs() -> list[str]:
    """The folders of ``sys.path``, in order, without repeats; ``''`` is the working dir."""
    dirs: list[str] = []
    entries: list[object] = list(sys.path)  # anything can be appended to sys.path
    for entry in entries:
        if not isinstance(entry, str):
            continue
        if not entry:
            try:
                entry = os.getcwd()  # noqa: PLW2901
            except OSError:  # the working directory was removed
                continue
        if entry not in dirs:
            dirs.append(entry)
    return dirs


def _listing(folder: str) -> tuple[str, str]:
    """The names in ``folder``, each behind a newline: as listed, and lower-cased (cached).

    One joined string lets ``str.find`` look for a distribution among thousands of entries
    in C, where a loop over them in Python would cost milliseconds. The lower-cased copy is
    empty where a non-ASCII name would shift its offsets.
    """
    listing = _listings.get(folder)
    if listing is None:
        try:
            names = _names(folder)
        except OSError:
            names = []
        joined = "\n" + "\n".join(names) + "\n"
        listing = (joined, joined.lower() if joined.isascii() else "")
        _listings[folder] = listing
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
        return cached
    return os.listdir(folder)


def _project(entry: str) -> str:
    """The canonical project name of a metadata entry: ``onnxruntime_gpu-1.0.dist-info``."""
    return _canonical(entry.rpartition(".")[0].partition("-")[0])


def _metadata_entries(folder: str, project: str | None = None) -> list[str]:
    """The ``*.dist-info`` and ``*.egg-info`` entries in ``folder``: all, or ``project``'s."""
    joined, lowered = _listing(folder)
    if project is None or not lowered:
        names = joined.split("\n")
    else:
        names = []
        prefix = f"\n{project}"
        start = lowered.find(prefix)
        while start >= 0:  # each match is a name that starts with the project's
            end = lowered.index("\n", start + 1)
            names.append(joined[start + 1 : end])
            start = lowered.find(prefix, end)
    return sorted(
        name
        for name in names
        if name.endswith(_INFO_SUFFIXES) and (project is None or _project(name) == project)
    )


def _parse_version(text: str) -> str:
    """The ``Version`` header of core metadata (RFC 822 style headers), or ``''``."""
    for line in text.split("\n\n", 1)[0].splitlines():  # the headers end at a blank line
        if not line.strip():
            break
        field, colon, value = line.partition(":")
        if colon and field.strip().lower() == "version":
            return value.strip()
    return ""


def _read_metadata(info: str) -> tuple[str | None, str]:
    """Read a metadata folder or file; return ``(version, problem)``, version None if unusable."""
    files = [os.path.join(info, "METADATA"), os.path.join(info, "PKG-INFO")]
    if not os.path.isdir(info):
        files = [info]
    for file in files:
        try:
            with open(file, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            continue
        except OSError as exc:
            return None, f"its metadata cannot be read ({exc.strerror or exc})"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None, "its metadata is not valid UTF-8"
        version = _parse_version(text)
        if version:
            return version, ""
        return None, "its metadata has no Version"
    return None, "it has no METADATA file"


def _installed(name: str, dirs: Sequence[str], problems: list[str] | None = None) -> _Dist | None:
    """The first distribution ``name`` in ``dirs`` with a usable version.

    Metadata folders with no usable version are skipped and described in ``problems``.
    """
    for folder in dirs:
        for entry in _metadata_entries(folder, _canonical(name)):
            version, problem = _read_metadata(os.path.join(folder, entry))
            if version is not None:
                return _Dist(name, version, folder)
            _log(_DEBUG, "skipping %s in %s: %s", entry, folder, problem)
            if problems is not None:
                problems.append(f"{entry} in {folder} does not count: {problem}")
    return None


def _provides(folder: str, entry: str, module: str) -> bool:
    """Whether the distribution whose metadata is ``folder/entry`` ships ``module``."""
    info = os.path.join(folder, entry)
    top_level = _read_text(os.path.join(info, "top_level.txt"))
    if top_level is not None and module not in top_level.split():
        return False
    record = _read_text(os.path.join(info, "RECORD"))
    if record is None:
        return top_level is not None
    return f"\n{module}/__init__.py," in f"\n{record}"


def _read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


def _providers(module: str, dirs: Sequence[str], skip: Iterable[str]) -> list[_Dist]:
    """Installed distributions outside ``skip`` that ship ``module``, first found first."""
    seen = {_canonical(name) for name in skip}
    found: list[_Dist] = []
    for folder in dirs:
        for entry in _metadata_entries(folder):
            project = _project(entry)
            if project not in seen and _provides(folder, entry, module):
                version, _ = _read_metadata(os.path.join(folder, entry))
                if version is not None:
                    seen.add(project)
                    found.append(_Dist(project.replace("_", "-"), version, folder))
    return found


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (any name), or None; nothing is imported.

    Read from metadata as detection reads it: cheaper than ``importlib.metadata.version``,
    whose import alone costs milliseconds.
    """
    dist = _installed(distribution, _search_dirs())
    return dist.version if dist else None


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
        version = _parse_version(text)
        if version:
            return _Dist(name, version, str(dist.locate_file("")))
    return None


# --- phase 3: ownership --------------------------------------------------------------------


def _copy_of(dist: _Dist, parts: list[str]) -> str | None:
    """The package folder ``dist`` installed beside its metadata, if there is one."""
    folder = os.path.join(dist.site, *parts)
    return folder if os.path.isfile(os.path.join(folder, "__init__.py")) else None


def _same_path(first: str, second: str) -> bool:
    return os.path.normcase(os.path.realpath(first)) == os.path.normcase(os.path.realpath(second))


def _describe_names(names: Sequence[str]) -> str:
    if len(names) <= 2:  # noqa: PLR2004 - "a" or "a or b"
        return " or ".join(names)
    return f"{names[0]}, {names[1]} or {len(names) - 2} other distributions"


def _candidates(
    key: str, dirs: Sequence[str], problems: list[str] | None = None
) -> Iterator[_Dist]:
    """Yield the accepted distributions of backend ``key`` in ``dirs``, in list order.

    A generator, so that the common case stops at the first name that is installed.
    """
    module, names = _BACKENDS[key]
    found = False
    for name in names:
        dist = _installed(name, dirs, problems)
        if dist is not None:
            found = True
            yield dist
    if not found and key in _ANY_PROVIDER:
        yield from _providers(module, dirs, names)


def _owner(key: str, location: str, parts: list[str]) -> tuple[_Dist | None, str]:
    """Find the distribution that should own the module found at ``location``.

    Returns ``(dist, problem)``: ``problem`` is empty when ``dist`` owns the module or is an
    editable install, and says what is wrong otherwise.
    """
    module, names = _BACKENDS[key]
    site = _site_of(location, parts)
    if site is not None:  # fast path: the metadata beside the module found
        beside = next(_candidates(key, [site]), None)
        if beside is not None:
            return beside, ""
    dirs = _search_dirs()
    problems: list[str] = []
    candidates = list(_candidates(key, dirs, problems))
    if not candidates:
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
    copies = [_copy_of(dist, parts) for dist in candidates]
    for dist, copy in zip(candidates, copies):
        if copy is not None and _same_path(copy, location):
            return dist, ""
    dist = candidates[0]
    if copies[0] is None:
        return dist, ""  # an editable install: no copy beside the metadata
    kind = "folder" if os.path.isdir(location) else "file"
    return dist, f"a {kind} {location} shadows {dist.name} {dist.version} installed in {dist.site}"


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
        spec, problem = _find_spec(module)
        if spec is None:
            return Detection(key, "missing", str(problem))
        location, real = _spec_location(spec)
        if location is None:
            return Detection(key, "missing", f"{module} has no location on disk")
        parts = module.split(".")
        if not real:
            dist, _ = _owner(key, location, parts)
            leftover = f"{location} is a folder without __init__.py"
            if dist is None:
                reason = f"{leftover}, not an installed package"
                return Detection(key, "leftover", reason, location=location)
            return Detection(
                key,
                "leftover",
                f"{dist.name} {dist.version} is installed but {leftover}",
                location=location,
                dist=dist,
            )
        dist, problem = _owner(key, location, parts)
        if problem or dist is None:
            status = "unowned" if dist is None else "shadowed"
            return Detection(key, status, problem, location=location, dist=dist)
        return Detection(
            key,
            "available",
            f"{dist.name} {dist.version} is installed",
            location=location,
            dist=dist,
        )
    except Exception as exc:  # noqa: BLE001 - detection must never raise
        _log(_DEBUG, "detecting %s failed", key, exc_info=True)
        reason = f"looking for {module} raised {type(exc).__name__}: {exc}"
        return Detection(key, "error", reason)


def _detect_all() -> None:
    """Detect every backend and publish the results in the module-level flags."""
    global _onnxruntime_available, _openvino_available, _ipex_available  # noqa: PLW0603
    global _optimum_intel_available, _optimum_onnx_available  # noqa: PLW0603
    global _detections, _available, _infos
    disabled = _disabled()
    detections = {
        key: Detection(key, "disabled", f"disabled by {_DISABLE_VARIABLE}")
        if key in disabled
        else _detect(key)
        for key in _BACKENDS
    }
    available = {key: found.available for key, found in detections.items()}
    _detections, _available, _infos = detections, available, {}
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


def _conflicts(found: Detection) -> tuple[str, ...]:
    """Other accepted distributions installed beside the one that was detected."""
    if found._dist is None:
        return ()
    dirs = _search_dirs()
    names = _BACKENDS[found.key][1]
    return tuple(
        name
        for name in names
        if _canonical(name) != _canonical(found._dist.name) and _installed(name, dirs)
    )


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
    if found.status == "leftover" and found._dist is not None:
        return f"reinstall with: pip install --force-reinstall {found._dist.name}"
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
        specifiers = SpecifierSet(specifier)
    except InvalidSpecifier:
        msg = f"invalid version specifier {specifier!r} (expected e.g. '>=1.17,<2')"
        raise ValueError(msg) from None
    found = _detections[key]
    if not found.available or found._dist is None:
        return False
    try:
        version = Version(found._dist.version)
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


def _ready(accelerator: str, *, require_optimum: bool) -> bool:
    optimum, runtime, _ = _ACCELERATOR_NEEDS[accelerator]
    return _available[runtime] and (_available[optimum] or not require_optimum)


def _missing(accelerator: str, *, require_optimum: bool) -> str:
    """Say what ``accelerator`` lacks and the command that installs it."""
    optimum, runtime, command = _ACCELERATOR_NEEDS[accelerator]
    needed = (optimum, runtime) if require_optimum else (runtime,)
    lacking = "; ".join(
        f"{key}: {_detections[key].reason}" for key in needed if not _available[key]
    )
    return f"{accelerator} needs {' and '.join(needed)} ({lacking}); install with: {command}"


def available_accelerators(*, require_optimum: bool = True) -> tuple[Accelerator, ...]:
    """The accelerators that can run now, in priority order (ov, ort, ipex)."""
    return tuple(name for name in ACCELERATORS if _ready(name, require_optimum=require_optimum))


def _shows(accelerator: str, device: str | None) -> bool:
    """Whether ``accelerator``'s runtime probe shows ``device`` (always, without one)."""
    if device is None:
        return True
    from accelprobe import probe

    return probe.probe(_ACCELERATOR_NEEDS[accelerator][1], verify=True).shows(device)


def _why_not(accelerator: str, *, require_optimum: bool, device: str | None) -> str:
    """Say what ``accelerator`` lacks, or what its probe saw instead of ``device``."""
    if device is None or not _ready(accelerator, require_optimum=require_optimum):
        return _missing(accelerator, require_optimum=require_optimum)
    from accelprobe import probe

    found = probe.probe(_ACCELERATOR_NEEDS[accelerator][1], verify=True)
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
            fits = "available" if device is None else f"available with a {device} device"
            msg = f"no accelerator is {fits}:{missing}"
            raise ImportError(msg)
    _log(_INFO, "selected accelerator %r", choice)
    return choice


def refresh() -> tuple[BackendInfo, ...]:
    """Detect again after packages were installed or removed while the program runs.

    Clears the import system's and metadata caches, updates the module-level flags and
    returns the new results. Safe to call from several threads.
    """
    import importlib

    with _lock:
        importlib.invalidate_caches()
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


_detect_all()
