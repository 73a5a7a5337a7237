"""``python -m accelprobe``: what is installed, what is wrong with it, and what would be used.

Exit status: 0 success; 1 a backend named by ``--require``, the accelerator asked for
with ``--select``, or any accelerator with the ``--device`` asked for, is not available;
2 bad usage; 120 the output could not be written (a closed standard output, a broken
pipe, a full disk, a non-blocking pipe that takes nothing for a minute), the status Python
itself exits with when it cannot flush standard output. Text that the output's encoding
cannot represent is written with backslash escapes; ``--json`` is plain ASCII.

The plain report reads what detection found and the metadata of a few related
distributions. It imports no backend, and neither ``argparse`` nor ``json``: each costs
milliseconds of a start-up budget measured in tens.
"""

from __future__ import annotations

import os
import sys

import accelprobe
from accelprobe import backends
from accelprobe._advice import one_line, unknown_backend
from accelprobe._facts import (
    BACKEND_FACTS,
    DISABLE_VARIABLE,
    RUNTIMES,
    disabled_and_unknown,
    environ_value,
)
from accelprobe._output import UnwritableError, err, flush, out

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    import argparse
    from collections.abc import Sequence
    from typing import Any, TextIO

__all__ = ["SCHEMA", "collect", "main"]

SCHEMA = 3
"""Version of the ``--json`` object; it changes when keys are added, removed or change meaning.

2 added ``backends[].probe``. 3 added ``status``, ``error``, ``required``, ``requested``,
``device``, ``packages`` and ``backends[].hidden``; the status ``unusable``; and
``python.version`` as ``sys.version`` gives it (``3.15.0rc1``)."""

# What decides, beside the backends, whether a model runs: read from metadata, never imported.
_PACKAGES = ("optimum", "transformers", "torch", "numpy")
_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}
_UNWRITABLE = 120
_WIDTH = 80
_MIN_WIDTH = 40
_MAX_DIGITS = 5  # of a COLUMNS that counts: up to 99,999 columns
# --- what the report says ------------------------------------------------------------------


def _entry(found: backends.Detection) -> dict[str, Any]:
    """One backend's JSON object, built from detection's cheap record.

    ``BackendInfo`` would cost the report an import of ``dataclasses``, a fifth of its
    time budget.
    """
    return {
        "name": found.name,
        "module": found.module,
        "available": found.available,
        "status": found.status,
        "distribution": found.distribution,
        "version": found.version,
        "location": found.location,
        "reason": found.reason,
        "remedy": found.remedy,
        "conflicts": list(found.conflicts),
        "hidden": list(found.hidden),
        "probe": None,
    }


def _probe(key: str, *, verify: bool) -> dict[str, Any]:
    """What the runtime probe (in a child process) finds for the runtime ``key``."""
    from accelprobe import probe

    return probe.as_json(probe.probe(key, verify=verify, isolated=True))


def _plural(names: Sequence[str]) -> str:
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'}"


def _warnings(entries: list[dict[str, Any]]) -> list[str]:
    """Every problem worth a person's attention, each with what repairs it.

    An ``ACCELPROBE_DISABLE`` token that names no backend is ignored: it is worth one.
    """
    setting = f"{DISABLE_VARIABLE}={environ_value(DISABLE_VARIABLE)}"
    _, unknown = disabled_and_unknown()
    warnings = [f"ignoring {token!r} in {setting}: {unknown_backend(token)}" for token in unknown]
    for entry in entries:
        if entry["conflicts"]:
            names = [entry["distribution"], *entry["conflicts"]]
            keep = next((name for name in names if name != "onnxruntime"), names[0])
            warnings.append(
                f"{' and '.join(names)} are installed together and overwrite each other's "
                f"{entry['module']} files; repair with: pip uninstall -y {' '.join(names)} && "
                f"pip install {keep} (or whichever one you want)"
            )
        if entry["hidden"]:
            warnings.append(
                f"{_plural(entry['hidden'])} installed too, later on sys.path, hidden by "
                f"{entry['distribution']} {entry['version']}; uninstall the one you do not use"
            )
        if entry["status"] in {"shadowed", "leftover", "unusable"}:
            warnings.append(f"{entry['reason']}; {entry['remedy']}")
        elif entry["status"] == "disabled":
            warnings.append(f"{entry['name']} is turned off by {setting}")
        elif entry["available"] and entry["reason"] != (
            f"{entry['distribution']} {entry['version']} is installed"
        ):  # news, such as another version loaded in this process than the one installed
            warnings.append(entry["reason"])
    return warnings


_VERSION_FILE_CAP = 1 << 16  # torch/version.py is a few hundred bytes
_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")


def _version_py(folder: str) -> str:
    """``__version__`` of ``folder/version.py``, read as text (never imported), or ``''``."""
    import stat

    path = os.path.join(folder, "version.py")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device is never read
            return ""
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read(_VERSION_FILE_CAP)
    except (OSError, ValueError):
        return ""
    for line in text.splitlines():
        name, equals, value = line.partition("=")
        if equals and name.split(":")[0].strip() == "__version__":
            return value.strip().strip("'\"")
    return ""


def _torch(version: str | None) -> str | None:
    """The version of torch with its build tag (``2.14.1+cu130``), as ``torch.__version__`` has it.

    PyPI's wheels record ``2.14.1`` in their metadata and the build (CUDA, ROCm, CPU) only
    in ``torch/version.py``, which is read, never imported, in the first ``sys.path`` folder
    with a ``torch`` package; its tag counts only where the release agrees with the metadata.
    """
    if version is None or "+" in version:
        return version
    entries: tuple[object, ...] = tuple(sys.path)  # a hostile program puts anything there
    for entry in entries:
        folder = os.path.join(entry, "torch") if isinstance(entry, str) else ""
        if folder and os.path.isfile(os.path.join(folder, "__init__.py")):
            found = _version_py(folder)
            release, plus, local = found.partition("+")
            if release == version and plus and local and set(local) <= _LOCAL:
                return found
            break
    return version


def _packages() -> dict[str, str | None]:
    """The installed version of each of ``_PACKAGES``, torch's with its build tag."""
    found = {name: backends.installed_version(name) for name in _PACKAGES}
    found["torch"] = _torch(found["torch"])
    return found


def _platform() -> str:
    """System, release and machine, as ``platform`` gives them, without its 2 ms import."""
    uname = getattr(os, "uname", None)
    if uname is None:  # pragma: no cover - Windows has no os.uname
        import platform

        return f"{platform.system()} {platform.release()} {platform.machine()}"
    system = uname()
    return f"{system.sysname} {system.release} {system.machine}"


def _select(accelerator: str | None, device: str | None) -> tuple[str | None, str | None]:
    """``select_accelerator(accelerator, device=device)``: its answer, or its error."""
    try:
        return backends.select_accelerator(accelerator, device=device), None
    except (ImportError, ValueError) as error:
        return None, str(error)


def _collect(
    *,
    probe: bool,
    verify: bool,
    accelerator: str | None,
    device: str | None,
    selection: tuple[str | None, str | None] | None = None,
) -> dict[str, Any]:
    entries = [_entry(backends.detection(key)) for key in BACKEND_FACTS]
    if probe or verify:
        for entry in entries:
            if entry["name"] in RUNTIMES:
                entry["probe"] = _probe(entry["name"], verify=verify)
    selected, selection_error = selection or _select(accelerator, device)
    return {
        "schema": SCHEMA,
        "accelprobe": accelprobe.__version__,
        "status": 0,
        "error": None,
        "required": [],
        "requested": accelerator,
        "device": device,
        "backends": entries,
        "warnings": _warnings(entries),
        "selected": selected,
        "selection_error": selection_error,
        "packages": _packages(),
        "python": {
            "version": sys.version.split()[0],  # "3.15.0rc1": version_info drops the "rc1"
            "implementation": _IMPLEMENTATIONS.get(
                sys.implementation.name, sys.implementation.name
            ),
            "executable": sys.executable,
        },
        "platform": _platform(),
    }


def collect(
    *,
    probe: bool = False,
    verify: bool = False,
    accelerator: str | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as the ``--json`` object (see ``SCHEMA`` and the README).

    ``probe`` adds what each runtime offers, ``verify`` also runs a test model on it;
    ``accelerator`` and ``device`` are passed to ``select_accelerator()``.
    """
    return _collect(probe=probe, verify=verify, accelerator=accelerator, device=device)


# --- the report as text --------------------------------------------------------------------


class _Style:
    """ANSI colour, decided as most tools decide it.

    ``NO_COLOR`` (non-empty) turns it off; else ``FORCE_COLOR`` (non-empty) on; else
    ``TERM=dumb`` off; else it is on only when the output is a terminal.
    """

    def __init__(self, stream: TextIO | None, *, plain: bool = False) -> None:
        environ = os.environ
        if plain or environ.get("NO_COLOR"):
            self.enabled = False
        elif environ.get("FORCE_COLOR"):
            self.enabled = True
        else:
            self.enabled = environ.get("TERM") != "dumb" and _isatty(stream)

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def _isatty(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):  # a closed stream
        return False


def _width(stream: TextIO | None) -> int:
    """``COLUMNS`` when set, else the terminal's width, else 80; never under 40.

    ``COLUMNS`` counts only as a plain number: ASCII digits, at most ``_MAX_DIGITS`` of
    them (``\u00b2``, other scripts' digits and endless ones are ignored).
    """
    columns = os.environ.get("COLUMNS", "").strip()
    plain = columns.isascii() and columns.isdigit() and len(columns) <= _MAX_DIGITS
    if plain and int(columns) > 0:
        return max(int(columns), _MIN_WIDTH)
    if stream is not None and _isatty(stream):
        try:
            return max(os.get_terminal_size(stream.fileno()).columns, _MIN_WIDTH)
        except (OSError, ValueError):  # pragma: no cover - a terminal without a size
            pass
    return _WIDTH


_tidy = one_line  # the name tests/test_report.py checks the wording under


_SEPARATORS = "/\\"


def _head(word: str, room: int) -> str:
    """The longest start of ``word`` that ends with a path separator and fits in ``room``.

    ``''`` where there is none (a separator at the very start does not count: ``/``
    alone is no piece of a path worth a line).
    """
    room = max(room, 0)  # after a word that overflowed, no room at all
    cut = word.rfind("/", 1, room) + 1, word.rfind("\\", 1, room) + 1
    return word[: max(cut)]


class _Text:
    """Lines of the report, filled to a width.

    A word is never broken, but for a path, which breaks after a separator to fill the
    line; a word without one that is longer than a line overflows on a line of its own.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def fill(self, text: str, indent: str = "  ", subsequent: str | None = None) -> None:
        follow = indent + "  " if subsequent is None else subsequent
        prefix, current = indent, ""
        for word in text.split():
            rest = word
            while True:  # a piece of the word per line, until it is placed
                room = self.width - len(prefix) - (len(current) + 1 if current else 0)
                piece = rest if len(rest) <= room else _head(rest, room)
                if piece or not current:  # on a line of its own, a long word overflows
                    piece = piece or rest
                    current = f"{current} {piece}" if current else piece
                    rest = rest[len(piece) :]
                    if not rest:
                        break
                self.lines.append(prefix + current)
                prefix, current = follow, ""
        self.lines.append(prefix + current)


def _render_probe(text: _Text, entry: dict[str, Any]) -> None:
    """A runtime's devices, one line each; nothing where the row already said it is missing."""
    found = entry["probe"]
    if found is None or (not found["ok"] and not entry["available"]):
        return
    text.fill(f"probe: {one_line(found['reason'])}")
    for device in found["devices"]:
        words = f" [{', '.join(device['words'])}]" if device["words"] else ""
        about = f" {device['description']}" if device["description"] else ""
        ran = ("did not run: " if device["ran"] is False else "") + one_line(device["detail"])
        text.fill(f"{device['name']}{words}{about}" + (f"; {ran}" if ran else ""), "    ")


def _call(data: dict[str, Any]) -> str:
    """How ``select_accelerator`` was called, as Python."""
    arguments = [repr(data["requested"])] if data["requested"] else []
    if data["device"]:
        arguments.append(f"device={data['device']!r}")
    return f"select_accelerator({', '.join(arguments)})"


def _render(data: dict[str, Any], style: _Style, width: int) -> str:
    """The report as text, readable at 80 columns and in a CI log."""
    text = _Text(width)
    lines = text.lines
    lines += [
        style(f"accelprobe {data['accelprobe']}: inference backends in this environment", "1"),
        "",
        style(f"{'BACKEND':<15}{'OK':<5}{'DISTRIBUTION':<28}VERSION", "1"),
    ]
    for entry in data["backends"]:
        ok = style("yes", "32") if entry["available"] else style("no ", "31")
        lines.append(
            f"{entry['name']:<15}{ok}  {entry['distribution'] or '-':<28}{entry['version'] or '-'}"
        )
        if entry["location"]:
            text.fill(f"at {entry['location']}")
        if not entry["available"]:
            text.fill(entry["reason"])
        _render_probe(text, entry)
    if data["warnings"]:
        lines += ["", style("WARNINGS", "1")]
        for warning in data["warnings"]:
            start = len(lines)
            text.fill(warning, "! ", "  ")
            lines[start:] = [style(line, "33") for line in lines[start:]]
    lines += ["", style("ACCELERATOR", "1")]
    if data["selected"]:
        lines.append(f"{_call(data)} picks {style(data['selected'], '32;1')}")
    else:
        first, *rest = str(data["selection_error"]).splitlines() or [""]
        text.fill(f"{_call(data)} fails: {one_line(first)}", "")
        for line in rest:  # one per accelerator; its command on a line of its own
            explanation, _, command = one_line(line).partition("; install with: ")
            text.fill(explanation)
            if command:
                lines.append(f"    {command}")
    python = data["python"]
    packages = ", ".join(f"{name} {version or '-'}" for name, version in data["packages"].items())
    lines += [
        "",
        f"python      {python['version']} ({python['implementation']})",
        f"platform    {data['platform']}",
    ]
    text.fill(python["executable"], "executable  ")
    text.fill(packages, "packages    ", " " * 12)
    return "\n".join(lines)


def _markdown(report: str) -> str:
    """``report`` as a fenced block, the fence longer than any run of backticks inside it."""
    longest = run = 0
    for character in report:
        run = run + 1 if character == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{report}\n{fence}"


# --- the command line ----------------------------------------------------------------------


class _UsageError(Exception):
    """A bad command line; the message follows ``accelprobe: error:``."""


def _wants_json(arguments: Sequence[str]) -> bool:
    """Whether the command line asks for ``--json`` (or an abbreviation), even a bad one."""
    return any(len(word) > 2 and "--json".startswith(word) for word in arguments)  # noqa: PLR2004


def _lines(message: str) -> str:
    """``message`` with each line tidied (see ``one_line``), keeping its indentation."""
    lines = [
        line[: len(line) - len(line.lstrip())] + one_line(line) for line in message.splitlines()
    ]
    return "\n".join(line for line in lines if line.strip())


def _required(names: list[str]) -> tuple[list[str], str | None]:
    """The backend keys that ``--require`` names, and the error when one is unavailable."""
    try:
        keys = [backends.detection(name).name for name in names]
        backends.require(*names)
    except ValueError as error:
        msg = f"--require: {error}"
        raise _UsageError(msg) from None
    except ImportError as error:
        return keys, str(error)
    return keys, None


def _device(word: str | None) -> str | None:
    if word is None:
        return None
    from accelprobe import probe

    try:
        return probe.device_word(word)
    except ValueError as error:
        msg = f"--device: {error}"
        raise _UsageError(msg) from None


def _accelerator(name: str | None) -> str | None:
    """``--select NAME``: an unknown NAME is bad usage (an unavailable one is a failure)."""
    if name:
        try:
            backends.select_accelerator(name, require_optimum=False)
        except ValueError as error:
            msg = f"--select: {error}"
            raise _UsageError(msg) from None
        except ImportError:
            pass
    return name or None


def _command(args: argparse.Namespace) -> int:
    """Run a parsed command line; return its exit status."""
    if args.markdown and args.select is not None:
        msg = "argument --markdown: not allowed with argument --select"
        raise _UsageError(msg)
    device = _device(args.device)
    accelerator = _accelerator(args.select)
    required: list[str] = []
    failure = None
    if args.require is not None:
        required, failure = _required([name for name in args.require.split(",") if name.strip()])
        if failure is not None and not args.json:
            err(_lines(failure))
            return 1
        if not (args.json or args.markdown or args.select is not None or args.probe or args.verify):
            return 0  # --require alone is quiet on success
    selection = _select(accelerator, device)
    if failure is None and (args.select is not None or device is not None):
        failure = selection[1]  # --device alone fails as --select --device does
    if failure is not None and not args.json:
        err(_lines(failure))
        return 1
    if args.select is not None and not args.json:
        out(str(selection[0]))
        return 0
    data = _collect(
        probe=args.probe,
        verify=args.verify,
        accelerator=accelerator,
        device=device,
        selection=selection,
    )
    if args.json:
        data.update(status=0 if failure is None else 1, error=failure, required=required)
        out(_json(data))
        return int(data["status"])
    _report(data, markdown=args.markdown)
    return 0


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, indent=2)  # ASCII: any output encoding can carry it


def _report(data: dict[str, Any], *, markdown: bool = False) -> None:
    if markdown:
        out(_markdown(_render(data, _Style(None, plain=True), _WIDTH)))
    else:
        out(_render(data, _Style(sys.stdout), _width(sys.stdout)))


def _run(arguments: list[str], prog: str) -> int:
    if not arguments:  # the plain report: nothing to parse, so no argparse (~7 ms)
        _report(collect())
        return 0
    from accelprobe._arguments import parser as make_parser

    parser = make_parser(_UsageError, SCHEMA, prog)
    try:
        args = parser.parse_args(arguments)
        if args.help:
            out(parser.format_help().rstrip("\n"))
            return 0
        if args.version:
            out(f"accelprobe {accelprobe.__version__}")
            return 0
        return _command(args)
    except _UsageError as error:
        err(f"{parser.format_usage().rstrip()}\n{prog}: error: {error}")
        if _wants_json(arguments):
            data = collect()
            data.update(status=2, error=str(error))
            out(_json(data))
        return 2


def main(argv: Sequence[str] | None = None, *, prog: str = "accelprobe") -> int:
    """Run the command line; return its exit status (0, 1, 2 for bad usage, 120 unwritable).

    ``prog`` is the command as the usage names it: ``__main__`` passes ``python -m accelprobe``.
    """
    try:
        status = _run(sys.argv[1:] if argv is None else list(argv), prog)
    except UnwritableError:
        status = _UNWRITABLE
    if not flush(sys.stdout):
        status = _UNWRITABLE
    flush(sys.stderr)
    return status
