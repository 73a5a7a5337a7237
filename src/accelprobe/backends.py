"""Detect the installed inference backends once, cache the answers, and pick an accelerator.

Importing this module runs detection: each backend's module is located without being
imported (``_locate``), then an installed distribution must provide it and own the copy
that was found (``_metadata``, ``_owners``: loaded only when a module was found). The
facts about each backend are in ``_facts``. ``logging``, ``dataclasses``, ``typing``,
``packaging`` and ``importlib.metadata`` are imported only when a caller needs them.
"""

from __future__ import annotations

import _thread
import sys

from accelprobe import _facts
from accelprobe._facts import (
    ACCELERATOR_FACTS,
    ACCELERATOR_VARIABLE,
    ACCELERATORS,
    BACKEND_FACTS,
    DEBUG,
    DISABLE_VARIABLE,
    INFO,
    ONNXRUNTIME_DISTRIBUTIONS,
    OPENVINO_DISTRIBUTIONS,
    environ_value,
    error_text,
    log,
)
from accelprobe._locate import find_spec, invalidate_caches, spec_location

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable
    from typing import Literal

    from accelprobe._info import BackendInfo
    from accelprobe._metadata import Dist, Scan

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

# Statuses that installing the accelerator's packages repairs; the others have a remedy.
_INSTALLABLE = frozenset({"missing", "unowned", "error"})

# Detection results, replaced as a whole by _detect_all().
_onnxruntime_available = False
_openvino_available = False
_ipex_available = False
_optimum_intel_available = False
_optimum_onnx_available = False
_available: dict[str, bool] = {}
_detections: dict[str, Detection] = {}
_infos: dict[str, BackendInfo] = {}
_readiness: dict[str, str] = {}  # accelerator -> why its optimum integration is absent, or ""
_lock = _thread.RLock()


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
        dist: Dist | None = None,
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
        return BACKEND_FACTS[self.key].module

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
        from accelprobe._owners import hidden

        with _lock:
            return hidden(BACKEND_FACTS[self.key], self._dist)

    @property
    def remedy(self) -> str | None:
        """What to do about an unavailable backend, as a command where there is one."""
        return None if self.available else _remedy(self)


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution`` (any name), or None; nothing is imported.

    Read from metadata as detection reads it: cheaper than ``importlib.metadata.version``,
    whose import alone costs milliseconds.
    """
    from accelprobe._locate import search_dirs
    from accelprobe._metadata import Scan, installed

    with _lock:
        dist = installed(Scan(), distribution, search_dirs())
    return dist.version if dist else None


# --- detection -----------------------------------------------------------------------------


def _detect(key: str, scans: list[Scan]) -> Detection:
    """Detect one backend. Never raises: whatever goes wrong becomes the reason.

    ``scans`` holds this detection's one ``Scan``, made when the first module is found.
    """
    module = BACKEND_FACTS[key].module
    try:
        return _detect_module(key, module, scans)
    except Exception as error:  # noqa: BLE001 - detection must never raise
        log(DEBUG, "detecting %s failed", key, exc_info=True)
        return Detection(key, "error", f"looking for {module} raised {error_text(error)}")


def _detect_module(key: str, module: str, scans: list[Scan]) -> Detection:
    """Locate the module; then its owner, what its import needs, and a loaded copy."""
    spec, problem = find_spec(module)
    if spec is None:
        return Detection(key, "missing", str(problem))
    location, real = spec_location(spec)
    if location is None:
        return Detection(key, "missing", f"{module} has no location on disk")
    from accelprobe._metadata import Scan
    from accelprobe._owners import verdict

    if not scans:
        scans.append(Scan())
    status, reason, dist = verdict(scans[0], BACKEND_FACTS[key], spec, location, real=real)
    return Detection(key, status, reason, location=location, dist=dist)


def _detect_all() -> None:
    """Detect every backend and publish the results in the module-level flags.

    One scan serves every backend, so that no file is read twice; it is dropped after.
    """
    global _onnxruntime_available, _openvino_available, _ipex_available  # noqa: PLW0603
    global _optimum_intel_available, _optimum_onnx_available  # noqa: PLW0603
    global _detections, _available, _infos, _readiness
    disabled, unknown = _facts.disabled_keys()
    for token in unknown:
        log(DEBUG, "ignoring unknown backend %r in %s", token, DISABLE_VARIABLE)
    scans: list[Scan] = []
    detections = {
        key: Detection(key, "disabled", f"disabled by {DISABLE_VARIABLE}")
        if key in disabled
        else _detect(key, scans)
        for key in BACKEND_FACTS
    }
    available = {key: found.available for key, found in detections.items()}
    _detections, _available, _infos, _readiness = detections, available, {}, {}
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
    key = _facts.backend_key(name)
    if key is None:
        msg = f"unknown backend {name!r}; expected one of: {_facts.known_backend_names()}"
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
    return tuple(backend_info(key) for key in BACKEND_FACTS)


def _remedy(found: Detection) -> str:
    """What to do about the unavailable backend ``found``, as a command where there is one."""
    key = found.key
    install = BACKEND_FACTS[key].install
    if found.status == "disabled":
        return f"remove {key} from {DISABLE_VARIABLE} to enable it"
    if found.status == "shadowed":
        return f"rename or remove {found.location}, which hides the installed package"
    if found.status == "leftover" and found.distribution is not None:
        return f"reinstall with: pip install --force-reinstall {found.distribution}"
    needed = BACKEND_FACTS[key].same_minor_as
    if found.status == "unusable" and found.version is not None and needed is not None:
        from accelprobe._metadata import major_minor

        wanted = major_minor(found.version)
        return f'install the {needed} it needs: pip install "{needed}=={wanted}.*"'
    if found.status == "leftover":
        return f"remove {found.location}, then install with: {install}"
    return f"install with: {install}"


def require(*names: str) -> tuple[BackendInfo, ...]:
    """Return the named backends' infos, or raise ``ImportError`` if any is unavailable.

    Put it at the top of code that needs a backend: the error names each missing one,
    why, and what to run. Unknown names raise ``ValueError``.
    """
    if not names:
        known = ", ".join(BACKEND_FACTS)
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
    accelerator = _facts.accelerator_or_none(name)
    if accelerator is None:
        aliases = _facts.accelerator_aliases()
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

    The module is located, never imported.
    """
    readiness = _readiness  # refresh() replaces it: write where it was read
    problem = readiness.get(accelerator)
    if problem is None:
        facts = ACCELERATOR_FACTS[accelerator]
        integration = facts.integration
        try:
            spec, problem = find_spec(integration)
            if spec is not None and not spec_location(spec)[1]:
                problem = f"{integration} is a folder without __init__.py"
        except Exception as error:  # noqa: BLE001 - never raises
            problem = f"looking for {integration} raised {error_text(error)}"
        if problem:
            found = _detections[facts.optimum]
            problem = f"{found.distribution} {found.version} has no {integration} ({problem})"
        readiness[accelerator] = problem = problem or ""
    return problem


def _ready(accelerator: str, *, require_optimum: bool) -> bool:
    facts = ACCELERATOR_FACTS[accelerator]
    if not _available[facts.runtime]:
        return False
    return not require_optimum or (
        _available[facts.optimum] and not _integration_problem(accelerator)
    )


def _missing(accelerator: str, *, require_optimum: bool) -> str:
    """Say what ``accelerator`` lacks and what fixes it: a command, or ``ACCELPROBE_DISABLE``."""
    facts = ACCELERATOR_FACTS[accelerator]
    optimum, runtime = facts.optimum, facts.runtime
    needed = (optimum, runtime) if require_optimum else (runtime,)
    lacking = [_detections[key] for key in needed if not _available[key]]
    reasons = [f"{found.key}: {found.reason}" for found in lacking]
    absent = require_optimum and _available[optimum] and _integration_problem(accelerator)
    if absent:
        reasons.append(f"{facts.integration}: {_integration_problem(accelerator)}")
    fixes = [found.remedy or "" for found in lacking if found.status not in _INSTALLABLE]
    if absent or len(fixes) < len(lacking):
        fixes.append(f"install with: {facts.install}")
    return f"{accelerator} needs {' and '.join(needed)} ({'; '.join(reasons)}); {'; '.join(fixes)}"


def available_accelerators(*, require_optimum: bool = True) -> tuple[Accelerator, ...]:
    """The accelerators that can run now, in priority order (ov, ort, ipex)."""
    return tuple(name for name in ACCELERATORS if _ready(name, require_optimum=require_optimum))


def _shows(accelerator: str, device: str | None) -> bool:
    """Whether ``accelerator``'s runtime probe shows ``device`` (always, without one)."""
    if device is None:
        return True
    from accelprobe import probe

    return probe.probe(ACCELERATOR_FACTS[accelerator].runtime, verify=True).shows(device)


def _why_not(accelerator: str, *, require_optimum: bool, device: str | None) -> str:
    """Say what ``accelerator`` lacks, or what its probe saw instead of ``device``."""
    if device is None or not _ready(accelerator, require_optimum=require_optimum):
        return _missing(accelerator, require_optimum=require_optimum)
    from accelprobe import probe

    found = probe.probe(ACCELERATOR_FACTS[accelerator].runtime, verify=True)
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
        requested = environ_value(ACCELERATOR_VARIABLE).strip()
        if requested:
            accelerator, source = requested, f"{ACCELERATOR_VARIABLE}="
    allowed = ACCELERATORS if candidates is None else _allowed(candidates)
    if accelerator is not None:
        choice = _accelerator_or_error(accelerator, source)
        if choice not in allowed:
            msg = f"{source}{accelerator!r} is not among the candidates {', '.join(allowed)}"
            raise ValueError(msg)
        if not _ready(choice, require_optimum=require_optimum) or not _shows(choice, device):
            asked = f" (asked for by {ACCELERATOR_VARIABLE})" if source else ""
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
    log(INFO, "selected accelerator %r", choice)
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


def refresh() -> tuple[BackendInfo, ...]:
    """Detect again after packages were installed or removed while the program runs.

    Clears the import system's and metadata caches, updates the module-level flags and
    returns the new results. Safe to call from several threads.
    """
    with _lock:
        invalidate_caches()
        metadata = sys.modules.get("accelprobe._metadata")
        if metadata is not None:  # folders listed since the last detection
            metadata.LISTINGS.clear()
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


_after_fork = _facts.lock_renewer(globals())
_detect_all()
