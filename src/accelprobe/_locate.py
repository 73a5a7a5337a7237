"""Locate a module as the import system would, without importing it or its parent.

Loaded at ``import accelprobe``. A namespace path's private ``_path`` is read where its
public iteration raises (guarded; tests/test_internals.py checks the parity).
"""

import os
import sys

__all__ = ["find_spec", "integration_problem", "plain_path", "spec_location"]

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
    fullname: str, parents: "dict[str, tuple[object | None, str | None]] | None" = None
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
    fullname: str, parent: str, parents: "dict[str, tuple[object | None, str | None]] | None"
) -> "tuple[list[str] | None, str | None]":
    """Where ``parent``'s submodules are looked for, or None and why ``fullname`` is not."""
    located = parents.get(parent) if parents is not None else None
    if located is None:
        located = find_spec(parent, parents)
        if parents is not None:
            parents[parent] = located
    parent_spec, problem = located
    if parent_spec is None:
        return None, problem
    path = plain_path(getattr(parent_spec, "submodule_search_locations", None))
    if path is None:
        return None, f"{parent} is a module, not a package, so it has no {fullname}"
    return path, None


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
