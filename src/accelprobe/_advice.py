"""What to tell a person about a backend or accelerator that is not available, and the fix.

Loaded only when an error message or a remedy is asked for.
"""

from __future__ import annotations

from accelprobe._facts import BACKEND_FACTS, DISABLE_VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from accelprobe._facts import AcceleratorFacts
    from accelprobe.backends import Detection

__all__ = ["accelerator_missing", "none_fits", "remedy"]

# Statuses that installing the accelerator's packages repairs; the others have a remedy.
_INSTALLABLE = frozenset({"missing", "unowned", "error"})


def remedy(found: Detection) -> str:
    """What to do about the unavailable backend ``found``, as a command where there is one."""
    facts = BACKEND_FACTS[found.key]
    if found.status == "disabled":
        return f"remove {found.key} from {DISABLE_VARIABLE} to enable it"
    if found.status == "shadowed":
        return f"rename or remove {found.location}, which hides the installed package"
    if found.status == "leftover" and found.distribution is not None:
        return f"reinstall with: pip install --force-reinstall {found.distribution}"
    needed = facts.same_minor_as
    if found.status == "unusable" and found.version is not None and needed is not None:
        from accelprobe._metadata import major_minor

        wanted = major_minor(found.version)
        return f'install the {needed} it needs: pip install "{needed}=={wanted}.*"'
    if found.status == "leftover":
        return f"remove {found.location}, then install with: {facts.install}"
    return f"install with: {facts.install}"


def accelerator_missing(
    facts: AcceleratorFacts,
    detections: dict[str, Detection],
    integration_problem: str,
    *,
    require_optimum: bool,
) -> str:
    """Say what an accelerator lacks and what fixes it: a command, or ``ACCELPROBE_DISABLE``.

    ``integration_problem`` says why its optimum integration is absent, or is ``''``.
    """
    optimum = detections[facts.optimum]
    needed = (facts.optimum, facts.runtime) if require_optimum else (facts.runtime,)
    lacking = [detections[key] for key in needed if not detections[key].available]
    reasons = [f"{found.key}: {found.reason}" for found in lacking]
    absent = require_optimum and optimum.available and integration_problem
    if absent:
        reasons.append(f"{facts.integration}: {integration_problem}")
    fixes = [remedy(found) for found in lacking if found.status not in _INSTALLABLE]
    if absent or len(fixes) < len(lacking):
        fixes.append(f"install with: {facts.install}")
    return f"{facts.name} needs {' and '.join(needed)} ({'; '.join(reasons)}); {'; '.join(fixes)}"


def none_fits(reasons: list[str], device: str | None) -> str:
    """The error when no accelerator fits: one line per candidate, saying why not."""
    article = "an" if device in {"npu", "xpu"} else "a"
    fits = "available" if device is None else f"available with {article} {device} device"
    return f"no accelerator is {fits}:" + "".join(f"\n  {reason}" for reason in reasons)
