"""Every fact about a backend and an accelerator, written once; and how a module is located.

One record per backend (its module, the distributions that provide it, what its import
needs, the command that installs it) and one per accelerator (its runtime, its optimum
integration); the names people may use for them and the environment variables that
name them. Also what every module shares: the ``accelprobe`` logger and the after-fork
reset of a module's lock. And locating a module as the import system would, without
importing it or its parent. What every ``import accelprobe`` needs is in this one file
(each file costs its own read and load); plain ``__slots__`` classes.
"""

import _thread
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Callable, Iterable
    from logging import Logger
    from typing import Literal

    Accelerator = Literal["ov", "ort", "ipex"]

__all__ = [
    "ACCELERATORS",
    "ACCELERATOR_FACTS",
    "ACCELERATOR_NAMES",
    "ACCELERATOR_VARIABLE",
    "BACKEND_FACTS",
    "BACKEND_NAMES",
    "DEBUG",
    "DISABLE_VARIABLE",
    "INFO",
    "ONNXRUNTIME_DISTRIBUTIONS",
    "OPENVINO_DISTRIBUTIONS",
    "RUNTIMES",
    "AcceleratorFacts",
    "BackendFacts",
    "accelerator_or_error",
    "allowed_accelerators",
    "backend_key",
    "backend_key_or_error",
    "compact",
    "disabled_and_unknown",
    "environ_value",
    "find_spec",
    "integration_problem",
    "lock_renewer",
    "log",
    "plain_path",
    "spec_location",
]

DISABLE_VARIABLE = "ACCELPROBE_DISABLE"
ACCELERATOR_VARIABLE = "ACCELPROBE_ACCELERATOR"

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


class BackendFacts:
    """One backend: what is looked for, who may provide it, what its import needs."""

    __slots__ = (
        "aliases",
        "any_provider",
        "distributions",
        "install",
        "key",
        "module",
        "needs",
        "runtime",
        "same_minor_as",
        "shipping",
    )

    def __init__(  # noqa: PLR0913 - one keyword per fact
        self,
        key: str,
        module: str,
        distributions: tuple[str, ...],
        *,
        aliases: tuple[str, ...] = (),
        any_provider: bool = False,
        shipping: tuple[str, ...] = (),
        needs: tuple[str, ...] = (),
        same_minor_as: "str | None" = None,
        runtime: bool = False,
    ) -> None:
        self.key = key
        """The backend's key: ``openvino``, ``optimum-intel``, ..."""
        self.module = module
        """The module looked for, never imported: ``optimum.intel``."""
        self.distributions = distributions
        """The accepted distributions, in priority order."""
        self.aliases = aliases
        """Other names accepted for the key (``ort``)."""
        self.any_provider = any_provider
        """Whether any other distribution whose files include the module counts too."""
        self.shipping = shipping
        """Distributions accepted after those, only where their files include the module."""
        self.needs = needs
        """The distributions its module's import needs, found by importing the real wheels."""
        self.same_minor_as = same_minor_as
        """A distribution the import needs at this one's major.minor (IPEX and its torch)."""
        self.runtime = runtime
        """Whether it is a runtime that ``probe()`` imports."""
        self.install = f"pip install {distributions[0]}"
        """The command that installs it."""

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every distribution name accepted, in priority order."""
        return self.distributions + self.shipping


class AcceleratorFacts:
    """One accelerator: its runtime and the optimum integration that drives it."""

    __slots__ = ("aliases", "integration", "name", "optimum", "requirement", "runtime")

    def __init__(  # noqa: PLR0913 - one keyword per fact
        self,
        name: "Accelerator",
        runtime: str,
        optimum: str,
        *,
        integration: str,
        requirement: str,
        aliases: tuple[str, ...] = (),
    ) -> None:
        self.name: Accelerator = name
        self.runtime = runtime
        """The runtime's backend key."""
        self.optimum = optimum
        """The backend key of the optimum package that holds the integration."""
        self.integration = integration
        """The integration module, located (never imported) by detection."""
        self.requirement = requirement
        """What ``pip install`` needs for both, quoted for a shell."""
        self.aliases = aliases

    @property
    def install(self) -> str:
        """The command that installs the runtime and its integration."""
        return f"pip install {self.requirement}"


# The order is all_backends()'s order.
BACKEND_FACTS = {
    facts.key: facts
    for facts in (
        # What each import needs, as the real wheels showed on Python 3.11: openvino 2026.4.1
        # and onnxruntime 1.32.0 import numpy; optimum-intel 2.2.0 and optimum-onnx 0.1.0 (or
        # optimum < 2) the optimum distribution and transformers (not torch).
        BackendFacts(
            "openvino",
            "openvino",
            OPENVINO_DISTRIBUTIONS,
            aliases=("ov",),
            needs=("numpy",),
            runtime=True,
        ),
        BackendFacts(
            "onnxruntime",
            "onnxruntime",
            ONNXRUNTIME_DISTRIBUTIONS,
            aliases=("ort",),
            any_provider=True,
            needs=("numpy",),
            runtime=True,
        ),
        BackendFacts(
            "ipex",
            "intel_extension_for_pytorch",
            ("intel-extension-for-pytorch",),
            aliases=("intel-extension-for-pytorch",),
            needs=("torch",),
            same_minor_as="torch",  # IPEX refuses to import beside another torch
            runtime=True,
        ),
        BackendFacts(
            "optimum-intel",
            "optimum.intel",
            ("optimum-intel",),
            needs=("optimum", "transformers"),
        ),
        # optimum shipped optimum.onnxruntime until optimum-onnx took it over (optimum 2).
        BackendFacts(
            "optimum-onnx",
            "optimum.onnxruntime",
            ("optimum-onnx",),
            aliases=("optimum-onnxruntime",),
            shipping=("optimum",),
            needs=("optimum", "transformers"),
        ),
    )
}

# The priority order of select_accelerator().
ACCELERATOR_FACTS: "dict[str, AcceleratorFacts]" = {
    facts.name: facts
    for facts in (
        AcceleratorFacts(
            "ov",
            "openvino",
            "optimum-intel",
            integration="optimum.intel.openvino",
            requirement='"optimum-intel[openvino]"',
            aliases=("openvino",),
        ),
        AcceleratorFacts(
            "ort",
            "onnxruntime",
            "optimum-onnx",
            integration=BACKEND_FACTS["optimum-onnx"].module,
            requirement='"optimum-onnx[onnxruntime]"',
            aliases=("onnxruntime",),
        ),
        # optimum-intel 2 removed its IPEX integration and the ``ipex`` extra with it.
        AcceleratorFacts(
            "ipex",
            "ipex",
            "optimum-intel",
            integration="optimum.intel.ipex",
            requirement='"optimum-intel[ipex]<2"',
        ),
    )
}

ACCELERATORS: "tuple[Accelerator, ...]" = tuple(facts.name for facts in ACCELERATOR_FACTS.values())
RUNTIMES = tuple(key for key, facts in BACKEND_FACTS.items() if facts.runtime)

# Every name accepted for a backend (keys first, then aliases) and for an accelerator.
BACKEND_NAMES = {
    name: facts.key for facts in BACKEND_FACTS.values() for name in (facts.key, *facts.aliases)
}
ACCELERATOR_NAMES: "dict[str, Accelerator]" = {name: name for name in ACCELERATORS}
ACCELERATOR_NAMES.update(
    (alias, facts.name) for facts in ACCELERATOR_FACTS.values() for alias in facts.aliases
)


def compact(name: str) -> str:
    """Lower-case ``name``, drop white space and spell ``_`` and ``.`` as ``-``."""
    return "".join(name.split()).lower().replace("_", "-").replace(".", "-")


def backend_key(name: object) -> "str | None":
    """The backend key that ``name`` (a key, accelerator name or alias) means, or None."""
    return BACKEND_NAMES.get(compact(name)) if isinstance(name, str) else None


def backend_key_or_error(name: object) -> str:
    """The backend key that ``name`` means, or ``ValueError`` listing the known names."""
    key = backend_key(name)
    if key is None:
        from accelprobe._advice import unknown_backend

        raise ValueError(unknown_backend(name))
    return key


def accelerator_or_error(name: object, source: str = "") -> "Accelerator":
    """The accelerator that ``name`` means (case and spaces ignored, or an alias).

    Otherwise ``ValueError``, naming ``source`` (e.g. ``ACCELPROBE_ACCELERATOR=``).
    """
    accelerator = ACCELERATOR_NAMES.get(compact(name)) if isinstance(name, str) else None
    if accelerator is None:
        from accelprobe._advice import unknown_accelerator

        raise ValueError(unknown_accelerator(name, source))
    return accelerator


def allowed_accelerators(candidates: "Iterable[str]") -> "tuple[Accelerator, ...]":
    """The accelerators named in ``candidates``, in priority order, or ``ValueError``."""
    if isinstance(candidates, str):
        candidates = (candidates,)
    chosen = {accelerator_or_error(name, "candidate ") for name in candidates}
    if not chosen:
        msg = f"candidates is empty; name at least one of: {', '.join(ACCELERATORS)}"
        raise ValueError(msg)
    return tuple(name for name in ACCELERATORS if name in chosen)


def disabled_and_unknown() -> tuple[frozenset[str], list[str]]:
    """The backend keys that ``ACCELPROBE_DISABLE`` turns off, and its unknown tokens."""
    keys: set[str] = set()
    unknown: list[str] = []
    for token in environ_value(DISABLE_VARIABLE).split(","):
        if token.strip():
            key = backend_key(token)
            if key is None:
                unknown.append(token.strip())
            else:
                keys.add(key)
    return frozenset(keys), unknown


def environ_value(name: str) -> str:
    """Return ``os.environ.get(name, "")``, minus the cost of a caught KeyError when unset.

    ``os.environ.get`` spends about a microsecond raising and catching ``KeyError`` for an
    unset variable; ``select_accelerator`` reads one on every call. CPython's ``_Environ``
    internals, guarded: a replaced ``os.environ`` is read the public way.
    """
    environ = os.environ
    try:
        raw = environ._data.get(environ.encodekey(name))  # type: ignore[attr-defined]  # noqa: SLF001
    except AttributeError:  # os.environ was replaced by a plain mapping
        return environ.get(name, "")
    return "" if raw is None else environ.decodevalue(raw)


# --- logging and forks, shared by every module -------------------------------------------

DEBUG = 10  # logging.DEBUG and logging.INFO, without importing logging
INFO = 20
_logger: "Logger | None" = None


def log(level: int, message: str, *args: object, exc_info: bool = False) -> None:
    """Log on the ``accelprobe`` logger, if ``logging`` is in use at all.

    A program that never imported ``logging`` has no handler that could receive the
    record, so accelprobe does not pay for importing it. Never raises.
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


def lock_renewer(namespace: dict[str, object]) -> "Callable[[], None]":
    """A function that gives ``namespace`` a fresh ``_lock``, run in each forked child.

    The parent's lock may be held by a thread that the child does not have.
    """

    def renew() -> None:
        namespace["_lock"] = _thread.RLock()

    register = getattr(os, "register_at_fork", None)
    if register is not None:  # pragma: no branch - Windows has no fork
        register(after_in_child=renew)
    return renew


# --- locating a module without importing it ------------------------------------------------
# A namespace path's private ``_path`` is read where its public iteration raises (guarded;
# tests/test_internals.py checks the parity).


_LOCATIONS_LIMIT = 1 << 16  # a package's search locations: more is a foreign iterable's junk


def plain_path(locations: object) -> "list[str] | None":
    """A package's search locations as a plain list (None for a module).

    A namespace package's ``_NamespacePath`` recomputes itself from its parent's path, so
    that it follows ``sys.path``; nested in a parent that was never imported, that raises
    ``KeyError``, and the path as last computed (its private ``_path``) is used instead.
    """
    if locations is None:
        return None
    found: list[str] = []
    try:  # a foreign iterable is read only up to a bound: it may never end
        for count, entry in enumerate(locations):  # type: ignore[arg-type, var-annotated]
            if count >= _LOCATIONS_LIMIT:
                break
            if isinstance(entry, str):
                found.append(entry)
    except Exception:  # noqa: BLE001 - a parent never imported, or a finder's junk
        raw = getattr(locations, "_path", None)
        return [entry for entry in raw if isinstance(entry, str)] if isinstance(raw, list) else []
    return found


def find_spec(
    fullname: str, parents: "dict[str, tuple[list[str] | None, str | None]] | None" = None
) -> "tuple[object | None, str | None]":
    """Find ``fullname``'s spec as ``importlib.util.find_spec`` would, without importing.

    A dotted name's parent is located, never imported (once per ``parents``, kept by one
    detection). Returns ``(spec, None)``, or ``(None, reason)`` when the module cannot be
    found, is blocked, or a finder fails.
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
        path, problem = _search_path(fullname, parent, parents)
        if path is None:
            return None, problem
    for finder in list(sys.meta_path):
        spec = _ask(finder, fullname, path)
        if spec is not None:
            return spec, None
    return None, f"no module named {fullname!r}"


def _search_path(
    fullname: str, parent: str, parents: "dict[str, tuple[list[str] | None, str | None]] | None"
) -> "tuple[list[str] | None, str | None]":
    """Where ``parent``'s submodules are looked for, or None and why ``fullname`` is not.

    Read once per ``parents``: a finder's locations may be an iterator that reads once.
    """
    located = parents.get(parent) if parents is not None else None
    if located is None:
        spec, problem = find_spec(parent, parents)
        locations = getattr(spec, "submodule_search_locations", None)
        located = (plain_path(locations) if spec is not None else None), problem
        if parents is not None:
            parents[parent] = located
    path, problem = located
    if path is None and problem is None:
        return None, f"{parent} is a module, not a package, so it has no {fullname}"
    return path, problem


def _ask(finder: object, fullname: str, path: "list[str] | None") -> "object | None":
    """One finder's spec for ``fullname``; what it raises, importing would raise too."""
    find = getattr(finder, "find_spec", None)
    if find is None:
        return None
    try:
        spec: object | None = find(fullname, path)
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


def _nested_namespace(fullname: str, path: list[str]) -> "_NamespaceSpec | None":
    """The folders named like ``fullname``'s last part in ``path``: a namespace portion."""
    name = fullname.rpartition(".")[2]
    found = [os.path.join(entry, name) for entry in path]
    found = [folder for folder in found if os.path.isdir(folder)]
    return _NamespaceSpec(found) if found else None


def integration_problem(module: str) -> str:
    """Why the package ``module`` cannot be located as a real package, or ``''``; never raises."""
    try:
        spec, problem = find_spec(module)
        if spec is not None:
            _, real = spec_location(spec)
            problem = None if real else f"{module} is a folder without __init__.py"
    except Exception as error:  # noqa: BLE001 - never raises
        from accelprobe._advice import error_text

        problem = f"looking for {module} raised {error_text(error)}"
    return problem or ""


def spec_location(spec: object) -> "tuple[str | None, bool]":
    """Return where ``spec`` points (package folder or module file) and whether it is real.

    A spec without an origin is a namespace package: an empty folder of that name.
    """
    origin = getattr(spec, "origin", None)
    locations = plain_path(getattr(spec, "submodule_search_locations", None))
    if not isinstance(origin, str) or origin == "namespace":
        return (locations[0] if locations else None), False
    if locations is None:
        return origin, True
    return os.path.dirname(origin), True
