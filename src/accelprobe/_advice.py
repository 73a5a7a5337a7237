"""The wording of what accelprobe tells a person, loaded only when a message is needed.

An unavailable backend or accelerator and its fix, an unknown name, an exception, a
runtime's message on one line.
"""

from __future__ import annotations

from accelprobe._facts import ACCELERATOR_FACTS, BACKEND_FACTS, DISABLE_VARIABLE

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from collections.abc import Iterable

    from accelprobe._facts import AcceleratorFacts
    from accelprobe.backends import Detection

__all__ = [
    "accelerator_missing",
    "accepted_names",
    "error_text",
    "none_fits",
    "one_line",
    "remedy",
    "unknown_accelerator",
    "unknown_backend",
]

# Statuses that installing the accelerator's packages repairs; the others have a remedy.
_INSTALLABLE = frozenset({"missing", "unowned", "error"})


def remedy(found: Detection) -> str:
    """What to do about the unavailable backend ``found``, as a command where there is one."""
    facts = BACKEND_FACTS[found.name]
    if found.status == "disabled":
        return f"remove {found.name} from {DISABLE_VARIABLE} to enable it"
    if found.status == "shadowed":
        return f"rename or remove {found.location}, which hides the installed package"
    if found.status == "leftover" and found.distribution is not None:
        return f"reinstall with: pip install --force-reinstall {found.distribution}"
    if found.status == "unowned":  # files that no RECORD claims: an interrupted install
        return f"reinstall with: pip install --force-reinstall {facts.distributions[0]}"
    if found.status == "unusable" and found.version is not None:
        from accelprobe._metadata import Scan, major_minor

        needed = facts.same_minor_as  # IPEX's torch: its own major.minor
        lacking = [name for name in Scan().lacking(facts.needs) if name != needed]
        if needed is None or lacking:
            return f"install what it needs: pip install {' '.join(lacking or facts.needs)}"
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
    reasons = [f"{found.name}: {found.reason}" for found in lacking]
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


def accepted_names() -> str:
    """Every name accepted, built from the facts table: the one list that both errors show.

    ``accelerators ov (or openvino), ...; backends openvino (or ov), ...``: an accelerator
    name is accepted wherever a backend is (it names the accelerator's runtime).
    """

    def listed(names: Iterable[tuple[str, tuple[str, ...]]]) -> str:
        return ", ".join(
            f"{name} (or {', '.join(aliases)})" if aliases else name for name, aliases in names
        )

    accelerators = listed((name, facts.aliases) for name, facts in ACCELERATOR_FACTS.items())
    backends = listed((key, facts.aliases) for key, facts in BACKEND_FACTS.items())
    return f"accelerators {accelerators}; backends {backends}"


def unknown_backend(name: object) -> str:
    """The error for a name that means no backend, listing the accepted names."""
    return f"unknown backend {name!r}; expected a backend or an accelerator; names: " + (
        accepted_names()
    )


def unknown_accelerator(name: object, source: str) -> str:
    """The error for a name that means no accelerator, naming ``source`` and the known ones."""
    return (
        f"{source}{name!r} is not a known accelerator; expected an accelerator; names: "
        + accepted_names()
    )


def error_text(error: object, *, typed: bool = True) -> str:
    """``Type: message`` for an exception (the message alone unless ``typed``), on one line.

    Never raises: an exception whose ``__str__`` raises is ``<unprintable Type>``.
    """
    name = getattr(type(error), "__name__", "Exception")
    try:
        message = one_line(str(error))
    except Exception:  # noqa: BLE001 - a message that cannot be printed is still a message
        message = f"<unprintable {name}>"
    if not typed:
        return message
    return f"{name}: {message}" if message else str(name)


def one_line(message: str) -> str:
    """A runtime's message on one line, without banners such as ``*** EP Error ***``.

    A run of asterisks is dropped, with a short title (up to four words) up to the next.
    """
    words = message.split()
    kept: list[str] = []
    index = 0
    while index < len(words):
        if words[index].strip("*"):
            kept.append(words[index])
        else:  # a run of asterisks; skip a short title up to the next run too
            ahead = words[index + 1 : index + 5]
            closing = [i for i, word in enumerate(ahead) if not word.strip("*")]
            index += closing[0] + 1 if closing else 0
        index += 1
    return " ".join(kept)
