"""Detect the installed inference backends once, cache the answers, and pick an accelerator.

Importing this module runs detection: each backend (its facts and how it is located are in
``_facts``) is located without being imported; where found, an installed distribution must
own the copy found (``_metadata``: loaded only then). ``logging``, ``typing``,
``dataclasses``, ``packaging``, ``importlib.metadata``: imported only when needed.
"""

import _thread

from accelprobe import _facts
from accelprobe._facts import (
    ACCELERATOR_FACTS,
    ACCELERATORS,
    BACKEND_FACTS,
    ONNXRUNTIME_DISTRIBUTIONS,
    OPENVINO_DISTRIBUTIONS,
    find_spec,
    integration_problem,
    spec_location,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable
    from typing import Any

    from accelprobe._facts import Accelerator
    from accelprobe._info import BackendInfo
    from accelprobe._metadata import Dist, Scan
    from accelprobe.models import ModelClass

__all__ = [
    "ACCELERATORS",
    "ONNXRUNTIME_DISTRIBUTIONS",
    "OPENVINO_DISTRIBUTIONS",
    "Accelerator",
    "BackendInfo",
    "Detection",
    "ModelClass",
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

# Detection results, replaced as a whole by _detect_all().
_onnxruntime_available = False
_openvino_available = False
_ipex_available = False
_optimum_intel_available = False
_optimum_onnx_available = False
_available: dict[str, bool] = {}
_detections: "dict[str, Detection]" = {}
_infos: "dict[str, BackendInfo]" = {}
_readiness: dict[str, str] = {}  # accelerator -> why its optimum integration is absent, or ""
_lock = _thread.RLock()


class Detection:
    """What detection found for one backend: a cheap, read-only record.

    ``BackendInfo`` (a dataclass: its import costs milliseconds) is built from it on request.
    ``status``: ``available``, ``missing``, ``disabled``, ``leftover`` (a folder without
    ``__init__.py``), ``shadowed`` (another file or folder hides the install), ``unowned`` (no
    usable distribution), ``unusable`` (installed, but its import would fail) or ``error``.
    """

    __slots__ = ("_dist", "available", "location", "name", "reason", "status")

    def __init__(  # noqa: D107 - the class says what each field is
        self, name: str, status: str, reason: str, *, location: "str | None" = None
    ) -> None:
        self.name = name
        """The backend's key, as ``BackendInfo.name`` and the report's JSON say it."""
        self.status = status
        self.available = status == "available"
        self.location = location
        self._dist: Dist | None = None
        self.reason = reason

    @classmethod
    def _found(
        cls, name: str, status: str, reason: str, location: str, dist: "Dist | None"
    ) -> "Detection":
        """A record with the distribution detection found (a private type: not in __init__)."""
        found = cls(name, status, reason, location=location)
        found._dist = dist
        return found

    def __repr__(self) -> str:  # noqa: D105
        return f"<Detection {self.name}: {self.status}, {self.reason}>"

    @property
    def key(self) -> str:
        """Deprecated alias of ``name``, kept for code written against 0.2."""
        return self.name

    @property
    def module(self) -> str:
        """The module looked for, e.g. ``optimum.intel``."""
        return BACKEND_FACTS[self.name].module

    @property
    def distribution(self) -> "str | None":
        """The distribution that provides the module, as installed, or None."""
        return (self._dist.name or None) if self._dist else None  # "": uninstalled, loaded

    @property
    def version(self) -> "str | None":
        """That distribution's version, or None."""
        return self._dist.version if self._dist else None

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Other distributions that installed the same module's files into the same folder."""
        return self._dist.conflicts if self._dist else ()

    @property
    def hidden(self) -> tuple[str, ...]:
        """Accepted distributions in later ``sys.path`` folders, as ``name version in folder``.

        Hidden by the one found, not conflicts (nothing was overwritten); lists every folder.
        """
        if self._dist is None:
            return ()
        from accelprobe._elsewhere import hidden

        with _lock:
            return hidden(BACKEND_FACTS[self.name], self._dist)

    @property
    def remedy(self) -> "str | None":
        """What to do about an unavailable backend, as a command where there is one."""
        if self.available:
            return None
        from accelprobe._advice import remedy

        return remedy(self)


def installed_version(distribution: str) -> "str | None":
    """The installed version of ``distribution`` (any name), or None, read as detection reads.

    Cheaper than ``importlib.metadata.version``, whose import alone costs milliseconds.
    """
    from accelprobe._metadata import installed_version_of

    with _lock:
        return installed_version_of(distribution)


# --- detection -----------------------------------------------------------------------------


def _detect(key: str, scans: "list[Scan]", parents: "dict[str, Any]") -> "Detection":
    """Locate one backend's module; then its owner, what its import needs, a loaded copy.

    Never raises. Kept by one detection: ``scans`` its ``Scan``, ``parents`` packages located.
    """
    module = BACKEND_FACTS[key].module
    try:
        spec, problem = find_spec(module, parents)
        if spec is None:
            return Detection(key, "missing", str(problem))
        location, real = spec_location(spec)
        if location is None:
            return Detection(key, "missing", f"{module} has no location on disk")
        from accelprobe._metadata import Scan, verdict

        if not scans:
            scans.append(Scan())
        status, reason, dist = verdict(scans[0], BACKEND_FACTS[key], spec, location, real=real)
    except Exception as error:  # noqa: BLE001 - detection must never raise
        from accelprobe._advice import error_text

        _facts.log(_facts.DEBUG, "detecting %s failed", key, exc_info=True)
        return Detection(key, "error", f"looking for {module} raised {error_text(error)}")
    return Detection._found(key, status, reason, location, dist)  # noqa: SLF001 - its own class


def _detect_all() -> None:
    """Detect every backend and publish the flags; one scan serves all, then is dropped."""
    global _onnxruntime_available, _openvino_available, _ipex_available  # noqa: PLW0603
    global _optimum_intel_available, _optimum_onnx_available  # noqa: PLW0603
    global _detections, _available, _infos, _readiness
    disabled, unknown = _facts.disabled_and_unknown()
    variable = _facts.DISABLE_VARIABLE
    for token in unknown:
        _facts.log(_facts.DEBUG, "ignoring unknown backend %r in %s", token, variable)
    scans: list[Scan] = []
    parents: dict[str, Any] = {}
    detections = {
        key: Detection(key, "disabled", f"disabled by {_facts.DISABLE_VARIABLE}")
        if key in disabled
        else _detect(key, scans, parents)
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


def detection(name: str) -> "Detection":
    """What detection found for backend ``name``, as a cheap record (see ``Detection``).

    Raises ``ValueError`` for an unknown name.
    """
    return _detections[_facts.backend_key_or_error(name)]


def backend_info(name: str) -> "BackendInfo":
    """What detection found for the backend ``name`` (a key, accelerator name or alias).

    Raises ``ValueError`` for an unknown name.
    """
    key = _facts.backend_key_or_error(name)
    info = _infos.get(key)
    if info is None:
        from accelprobe._info import backend_info_of

        with _lock:
            info = _infos[key] = backend_info_of(_detections[key])
    return info


def all_backends() -> "tuple[BackendInfo, ...]":
    """What detection found for every backend, in a fixed order."""
    return tuple(backend_info(key) for key in BACKEND_FACTS)


def require(*names: str) -> "tuple[BackendInfo, ...]":
    """Return the named backends' infos, or raise ``ImportError`` if any is unavailable.

    Put it at the top of code that needs a backend: the error names each missing one,
    why, and what to run. Unknown names raise ``ValueError``.
    """
    if not names:
        from accelprobe._advice import accepted_names

        known = accepted_names()
        msg = f"name at least one backend to require, e.g. require('onnxruntime'); names: {known}"
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
    from accelprobe._specifiers import in_specifier

    found = _detections[_facts.backend_key_or_error(name)]
    return in_specifier(found.version if found.available else None, specifier)


def _integration_problem(accelerator: str) -> str:
    """Why ``accelerator``'s optimum integration is absent, or ``''`` (located; cached)."""
    readiness = _readiness  # refresh() replaces it: write where it was read
    problem = readiness.get(accelerator)
    if problem is None:
        facts = ACCELERATOR_FACTS[accelerator]
        problem = integration_problem(facts.integration)
        if problem:
            found = _detections[facts.optimum]
            problem = f"{found.distribution} {found.version} has no {facts.integration} ({problem})"
        readiness[accelerator] = problem
    return problem


def _ready(accelerator: str, *, require_optimum: bool) -> bool:
    facts = ACCELERATOR_FACTS[accelerator]
    if not _available[facts.runtime]:
        return False
    return not require_optimum or (
        _available[facts.optimum] and not _integration_problem(accelerator)
    )


def available_accelerators(*, require_optimum: bool = True) -> "tuple[Accelerator, ...]":
    """The accelerators that can run now, in priority order (ov, ort, ipex)."""
    return tuple(name for name in ACCELERATORS if _ready(name, require_optimum=require_optimum))


def _why_not(accelerator: str, *, require_optimum: bool, device: "str | None") -> str:
    """What ``accelerator`` lacks, or what its probe saw instead of ``device``; ``''`` if none."""
    facts = ACCELERATOR_FACTS[accelerator]
    if _ready(accelerator, require_optimum=require_optimum):
        if device is None:
            return ""
        from accelprobe import probe

        found = probe.probe(facts.runtime, verify=True)
        shows = found.shows(device)
        return "" if shows else f"{accelerator} shows no {device} device ({found.explain(device)})"
    from accelprobe._advice import accelerator_missing

    problem = _integration_problem(accelerator) if _available[facts.optimum] else ""
    return accelerator_missing(facts, _detections, problem, require_optimum=require_optimum)


def select_accelerator(
    accelerator: "str | None" = None,
    *,
    candidates: "Iterable[str] | None" = None,
    require_optimum: bool = True,
    device: "str | None" = None,
) -> "Accelerator":
    """Pick the accelerator to run on: the one asked for, or the best one available.

    ``accelerator`` (or else ``ACCELPROBE_ACCELERATOR``), else the first available of
    ov > ort > ipex among ``candidates``. With ``device`` (``cpu``, ``gpu``, ``cuda``, ...)
    only where the runtime's probe ran a test model on it (imports the runtime). Raises
    ``ValueError`` for an unknown name, ``ImportError`` (what is missing, how to install).
    """
    if device is not None:
        from accelprobe import probe

        device = probe.device_word(device)
    source = ""
    if accelerator is None:
        requested = _facts.environ_value(_facts.ACCELERATOR_VARIABLE).strip()
        if requested:
            accelerator, source = requested, f"{_facts.ACCELERATOR_VARIABLE}="
    allowed = ACCELERATORS if candidates is None else _facts.allowed_accelerators(candidates)
    if accelerator is not None:
        choice = _facts.accelerator_or_error(accelerator, source)
        if choice not in allowed:
            msg = f"{source}{accelerator!r} is not among the candidates {', '.join(allowed)}"
            raise ValueError(msg)
        why = _why_not(choice, require_optimum=require_optimum, device=device)
        if why:
            asked = f" (asked for by {_facts.ACCELERATOR_VARIABLE})" if source else ""
            msg = f"accelerator {choice!r}{asked} is not available: {why}"
            raise ImportError(msg)
    else:
        reasons = []
        for choice in allowed:
            why = _why_not(choice, require_optimum=require_optimum, device=device)
            if not why:
                break
            reasons.append(why)
        else:
            from accelprobe._advice import none_fits

            raise ImportError(none_fits(reasons, device))
    _facts.log(_facts.INFO, "selected accelerator %r", choice)
    return choice


def model_class(task: str, accelerator: "str | None" = None) -> "ModelClass":
    """The optimum model class (a ``ModelClass``) that runs pipeline ``task`` on ``accelerator``.

    Default: ``select_accelerator()``. Imports that integration only. ``ValueError`` for an
    unknown task, ``ImportError`` when the installed integration lacks the class.
    """
    from accelprobe import models

    return models.model_class(task, accelerator)


def refresh() -> "tuple[BackendInfo, ...]":
    """Detect again after installs or removals at run time (clears import caches; thread-safe)."""
    from accelprobe._caches import invalidate_caches

    with _lock:
        invalidate_caches()
        _detect_all()
        return all_backends()


if not TYPE_CHECKING:  # pragma: no branch - False only for type checkers, which skip it

    def __getattr__(name: str) -> object:
        """Build ``BackendInfo``, ``ModelClass``, ``Accelerator`` on first use: each an import."""
        if name == "BackendInfo":
            from accelprobe._info import BackendInfo

            return BackendInfo
        if name == "ModelClass":
            from accelprobe.models import ModelClass

            return ModelClass
        if name == "Accelerator":
            from typing import Literal

            globals()[name] = Literal[ACCELERATORS]
            return globals()[name]
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)


_after_fork = _facts.lock_renewer(globals())
_detect_all()
