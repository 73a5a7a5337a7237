"""Which installed distribution owns the module that was found: the common case.

An accepted distribution beside the module (its ``*.dist-info`` in the module's own folder)
owns it, and its import's needs are installed. Where several share the folder, where none
is beside it, or the module is a leftover, the rarer rules are loaded (``_conflicts``,
``_elsewhere``). Loaded only when a module was found.
"""

import os
import sys

from accelprobe._metadata import (
    Dist,
    Scan,
    installed,
    installed_in,
    major_minor,
    search_dirs,
    ships,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from accelprobe._facts import BackendFacts

__all__ = ["in_folder", "site_of", "verdict"]


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
    """The accepted distributions of a backend in ``folder``, in priority order.

    A name accepted only where it ships the module (optimum, before optimum-onnx) counts
    only where its file list says so.
    """
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
        scan.found[needed] = other is not None
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
