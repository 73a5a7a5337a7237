"""What tests/test_report.py runs in the child: the report with an older module loaded."""

from __future__ import annotations

import sys
from typing import Any


def old_onnxruntime(_result: dict[str, Any], *, package: str, init: str) -> None:
    """onnxruntime 1.16.0 loaded from ``package`` (``init`` its __init__.py) before it was
    upgraded: its spec, not its code."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "onnxruntime", init, submodule_search_locations=[package]
    )
    assert spec is not None
    sys.modules["onnxruntime"] = importlib.util.module_from_spec(spec)
    sys.modules["onnxruntime"].__version__ = "1.16.0"  # type: ignore[attr-defined]


def plain_report(result: dict[str, Any]) -> None:
    """``report.main([])``: its status, whether argparse was loaded, what it printed first."""
    import contextlib
    import io

    from accelprobe import report

    with contextlib.redirect_stdout(io.StringIO()) as out:
        result["status"] = report.main([])
    result["argparse"] = "argparse" in sys.modules
    result["same"] = out.getvalue().startswith("accelprobe ")
