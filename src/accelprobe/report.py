"""``python -m accelprobe``: what is installed, what is wrong with it, and what would be used.

The report reads only what detection already found, plus torch's version when IPEX is
installed (to warn about a mismatched build). It imports no backend.
"""

from __future__ import annotations

import os
import sys
import textwrap

import accelprobe
from accelprobe import backends

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    import argparse
    from collections.abc import Sequence
    from typing import Any, TextIO

__all__ = ["SCHEMA", "collect", "main"]

SCHEMA = 2
"""Version of the ``--json`` object; it changes when keys are added, removed or change meaning.

2 added ``backends[].probe`` (null unless ``--probe`` or ``--verify``)."""

_WIDTH = 80
_EPILOG = """\
examples:
  accelprobe                     the full report
  accelprobe --json | jq .selected
                                 the same as JSON (schema in the README)
  accelprobe --select            print the accelerator to use; in a script:
                                   ACCEL=$(accelprobe --select) || exit 1
  accelprobe --select ort        check that one accelerator can be used
  accelprobe --require ort,ov    exit 1, saying why, unless both are available
  accelprobe --probe             also import each runtime (in a child process)
                                 and list its devices; --verify also runs a
                                 test model on each

exit status: 0 success, 1 a required backend or accelerator is not available,
2 bad usage. Environment: ACCELPROBE_DISABLE turns backends off (e.g.
"ipex,ov"); ACCELPROBE_ACCELERATOR picks the accelerator that --select and the
report choose.
"""


def _major_minor(version: str) -> str:
    """``2.8`` for ``2.8.0+cpu``."""
    return ".".join(version.split("+", 1)[0].split(".")[:2])


def _torch_warning(entry: dict[str, Any]) -> str | None:
    """Warn when IPEX's major.minor differs from torch's: IPEX then fails to import."""
    version, distribution = entry["version"], entry["distribution"]
    if version is None:
        return None
    torch = backends.installed_version("torch")
    if torch is None:
        return f"{distribution} {version} is installed but torch is not; install torch"
    wanted = _major_minor(version)
    if _major_minor(torch) == wanted:
        return None
    return (
        f"{distribution} {version} is built for torch {wanted}.* but torch "
        f"{torch} is installed, so importing it fails; install matching builds, "
        f'e.g. pip install "torch=={wanted}.*"'
    )


def _warnings(entries: list[dict[str, Any]]) -> list[str]:
    """Every problem worth a person's attention, each with the command that repairs it."""
    warnings: list[str] = []
    for entry in entries:
        if entry["conflicts"]:
            names = [entry["distribution"], *entry["conflicts"]]
            keep = next((name for name in names if name != "onnxruntime"), names[0])
            warnings.append(
                f"{' and '.join(names)} are installed together and overwrite each other's "
                f"{entry['module']} files; repair with: pip uninstall -y {' '.join(names)} && "
                f"pip install {keep} (or whichever one you want)"
            )
        if entry["status"] in {"shadowed", "leftover"}:
            warnings.append(f"{entry['reason']}; {entry['remedy']}")
        elif entry["status"] == "disabled":
            variable = "ACCELPROBE_DISABLE"
            value = os.environ.get(variable, "")
            warnings.append(f"{entry['name']} is turned off by {variable}={value}")
        if entry["name"] == "ipex":
            mismatch = _torch_warning(entry)
            if mismatch:
                warnings.append(mismatch)
    return warnings


def _entry(found: backends.Detection) -> dict[str, Any]:
    """One backend's JSON object: ``backend_info()``'s fields, its status and remedy.

    Built from detection's record directly: ``BackendInfo`` would cost the report an
    import of ``dataclasses``, a fifth of its time budget.
    """
    return {
        "name": found.key,
        "module": found.module,
        "available": found.available,
        "status": found.status,
        "distribution": found.distribution,
        "version": found.version,
        "location": found.location,
        "reason": found.reason,
        "remedy": found.remedy,
        "conflicts": list(found.conflicts),
    }


def _probe(key: str, *, verify: bool) -> dict[str, Any] | None:
    """The runtime probe's findings for ``key`` (run in a child process), or None."""
    from accelprobe import probe

    if key not in {"openvino", "onnxruntime", "ipex"}:  # optimum-intel and optimum-onnx
        return None
    result = probe.probe(key, verify=verify, isolated=True)
    return {
        "ok": result.ok,
        "version": result.version,
        "reason": result.reason,
        "verified": result.verified,
        "devices": [
            {
                "name": device.name,
                "words": list(device.words),
                "description": device.description,
                "ran": device.ran,
                "detail": device.detail,
            }
            for device in result.devices
        ],
    }


def collect(*, probe: bool = False, verify: bool = False) -> dict[str, Any]:
    """Everything the report shows, as the ``--json`` object (schema 2, see the README).

    ``probe`` adds what each runtime offers; ``verify`` also runs a test model on it.
    """
    entries = [_entry(backends.detection(key)) for key in _KEYS]
    for entry in entries:
        entry["probe"] = _probe(entry["name"], verify=verify) if probe or verify else None
    selected: str | None = None
    selection_error: str | None = None
    try:
        selected = backends.select_accelerator()
    except (ImportError, ValueError) as error:
        selection_error = str(error)
    return {
        "schema": SCHEMA,
        "accelprobe": accelprobe.__version__,
        "backends": entries,
        "warnings": _warnings(entries),
        "selected": selected,
        "selection_error": selection_error,
        "python": {
            "version": ".".join(str(part) for part in sys.version_info[:3]),
            "implementation": _IMPLEMENTATIONS.get(
                sys.implementation.name, sys.implementation.name
            ),
            "executable": sys.executable,
        },
        "platform": _platform(),
    }


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}
_KEYS = ("openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx")


def _platform() -> str:
    """System, release and machine, as ``platform`` gives them, without its 2 ms import."""
    uname = getattr(os, "uname", None)
    if uname is None:  # pragma: no cover - Windows has no os.uname
        import platform

        return f"{platform.system()} {platform.release()} {platform.machine()}"
    system = uname()
    return f"{system.sysname} {system.release} {system.machine}"


class _Style:
    """ANSI colour, only on a terminal and never when ``NO_COLOR`` is set."""

    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def _wrap(text: str, indent: str, subsequent: str | None = None) -> str:
    return textwrap.fill(
        text,
        _WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  " if subsequent is None else subsequent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _render_probe(found: dict[str, Any] | None) -> list[str]:
    """A backend's devices, one line each, when the report was asked to probe."""
    if found is None:
        return []
    if not found["ok"]:
        return [_wrap(f"probe: {found['reason']}", "  ")]
    lines = [f"  probe: {found['reason']}"]
    for device in found["devices"]:
        words = f" [{', '.join(device['words'])}]" if device["words"] else ""
        about = f" {device['description']}" if device["description"] else ""
        ran = ("did not run: " if device["ran"] is False else "") + device["detail"]
        lines.append(_wrap(f"{device['name']}{words}{about}" + (f"; {ran}" if ran else ""), "    "))
    return lines


def _render(data: dict[str, Any], style: _Style) -> str:
    """The report as text, readable at 80 columns and in a CI log."""
    entries: list[dict[str, Any]] = data["backends"]
    lines = [
        style(f"accelprobe {data['accelprobe']}: inference backends in this environment", "1"),
        "",
        style(f"{'BACKEND':<15}{'OK':<5}{'DISTRIBUTION':<28}VERSION", "1"),
    ]
    for entry in entries:
        ok = style("yes", "32") if entry["available"] else style("no ", "31")
        lines.append(
            f"{entry['name']:<15}{ok}  {entry['distribution'] or '-':<28}{entry['version'] or '-'}"
        )
        if entry["location"]:
            lines.append(_wrap(f"at {entry['location']}", "  "))
        if not entry["available"]:
            lines.append(_wrap(str(entry["reason"]), "  "))
        lines += _render_probe(entry["probe"])
    warnings: list[str] = data["warnings"]
    if warnings:
        lines += ["", style("WARNINGS", "1")]
        lines += [style(_wrap(warning, "! ", "  "), "33") for warning in warnings]
    lines += ["", style("ACCELERATOR", "1")]
    if data["selected"]:
        lines.append(f"select_accelerator() picks {style(str(data['selected']), '32;1')}")
    else:
        error = str(data["selection_error"]).splitlines()
        lines.append(_wrap(f"select_accelerator() fails: {error[0]}", ""))
        for line in error[1:]:  # one per accelerator; its command on a line of its own
            explanation, _, command = line.strip().partition("; install with: ")
            lines.append(_wrap(explanation, "  "))
            lines.append(f"    {command}")
    python: dict[str, str] = data["python"]
    lines += [
        "",
        f"python      {python['version']} ({python['implementation']})",
        f"platform    {data['platform']}",
        _wrap(f"executable  {python['executable']}", ""),
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="accelprobe",
        description="Report which inference backends (ONNX Runtime, OpenVINO, IPEX,\n"
        "optimum-intel, optimum-onnx) are really installed, why one is not, and which\n"
        "accelerator select_accelerator() would pick. Imports no backend.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help=f"print the report as one JSON object (schema {SCHEMA})",
    )
    output.add_argument(
        "--select",
        nargs="?",
        const="",
        metavar="NAME",
        help="print only the accelerator to use (ov, ort or ipex), or check NAME; "
        "on failure print why on stderr and exit 1",
    )
    parser.add_argument(
        "--require",
        metavar="NAME[,NAME]",
        help="exit 1, with the reason, unless every named backend is available "
        "(keys such as onnxruntime, openvino, ipex, optimum-intel, or ov/ort)",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="also import each runtime, in a child process, and list its devices",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="like --probe, and run a one-operation model on each device to show where it "
        "really runs (a provider that falls back to the CPU says so)",
    )
    parser.add_argument(
        "--version", action="version", version=f"accelprobe {accelprobe.__version__}"
    )
    return parser


def _print_report(*, as_json: bool, probe: bool, verify: bool) -> int:
    data = collect(probe=probe, verify=verify)
    if as_json:
        import json

        print(json.dumps(data, indent=2))
    else:
        print(_render(data, _Style(sys.stdout)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status (0, 1, or 2 for bad usage)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:  # the plain report: nothing to parse, so no argparse (~7 ms)
        return _print_report(as_json=False, probe=False, verify=False)
    parser = _parser()
    args = parser.parse_args(arguments)
    if args.require is not None:
        names = [name for name in args.require.split(",") if name.strip()]
        try:
            backends.require(*names)
        except ValueError as error:
            parser.error(f"--require: {error}")
        except ImportError as error:
            print(error, file=sys.stderr)
            return 1
    if args.select is not None:
        try:
            print(backends.select_accelerator(args.select or None))
        except ValueError as error:
            if args.select:
                parser.error(f"--select: {error}")
            print(error, file=sys.stderr)
            return 1
        except ImportError as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    return _print_report(as_json=args.json, probe=args.probe, verify=args.verify)
