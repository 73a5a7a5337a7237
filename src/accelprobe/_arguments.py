"""The command line of ``python -m accelprobe``: its options and help, parsed by ``argparse``.

Loaded only when there are arguments to parse: ``argparse`` costs milliseconds.
"""

from __future__ import annotations

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import NoReturn

__all__ = ["parser"]

_EPILOG = """\
examples:
  accelprobe                     the full report
  accelprobe --json | jq .selected
                                 the same as JSON (schema in the README)
  accelprobe --markdown          the report, to paste into a bug report
  accelprobe --select            print the accelerator to use; in a script:
                                   ACCEL=$(accelprobe --select) || exit 1
  accelprobe --select ort        check that one accelerator can be used
  accelprobe --select --device gpu
                                 the best accelerator that really runs on a GPU
  accelprobe --require ort,ov    exit 1, saying why, unless both are available
  accelprobe --probe             also import each runtime (in a child process)
                                 and list its devices; --verify also runs a
                                 test model on each

exit status: 0 success, 1 a required backend or accelerator (or one with the
--device asked for) is not available, 2 bad usage,
120 the output could not be written (closed or broken pipe, full disk). With
--json every outcome, failures included, is one JSON object whose "status" is
the exit status.

environment: ACCELPROBE_DISABLE turns backends off (e.g. "ipex,ov");
ACCELPROBE_ACCELERATOR picks the accelerator that --select and the report
choose; NO_COLOR, FORCE_COLOR and TERM=dumb decide colour; COLUMNS the width.
"""


def parser(usage_error: type[Exception], schema: int, prog: str) -> argparse.ArgumentParser:
    """The command line's parser; its errors raise ``usage_error`` instead of exiting.

    ``schema`` is the version of the ``--json`` object, for the help; ``prog`` the command
    (``accelprobe`` or ``python -m accelprobe``).
    """

    class Parser(argparse.ArgumentParser):
        """Raises instead of printing and exiting, so that ``main`` decides the output."""

        def error(self, message: str) -> NoReturn:
            raise usage_error(message)

    found = Parser(
        prog=prog,
        description="Report which inference backends (ONNX Runtime, OpenVINO, IPEX,\n"
        "optimum-intel, optimum-onnx) are really installed, why one is not, and which\n"
        "accelerator select_accelerator() would pick. Imports no backend.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    found.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    found.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    output = found.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help=f"print the report as one JSON object (schema {schema}), whatever the outcome",
    )
    output.add_argument(
        "--markdown",
        action="store_true",
        help="print the report as a block to paste into a bug report",
    )
    found.add_argument(
        "--select",
        nargs="?",
        const="",
        metavar="NAME",
        help="print only the accelerator to use (ov, ort or ipex), or check NAME; "
        "on failure print why on stderr and exit 1",
    )
    found.add_argument(
        "--device",
        metavar="WORD",
        help="pick only an accelerator whose runtime really runs on WORD (cpu, gpu, npu, "
        "cuda, rocm, directml, xpu, coreml, qnn); imports the runtimes",
    )
    found.add_argument(
        "--require",
        metavar="NAME[,NAME]",
        help="exit 1, with the reason, unless every named backend is available; prints "
        "nothing on success (keys such as onnxruntime, openvino, ipex, optimum-intel, "
        "or ov/ort)",
    )
    found.add_argument(
        "--probe",
        action="store_true",
        help="also import each runtime, in a child process, and list its devices",
    )
    found.add_argument(
        "--verify",
        action="store_true",
        help="like --probe, and run a one-operation model on each device to show where it "
        "really runs (a provider that falls back to the CPU says so)",
    )
    return found
