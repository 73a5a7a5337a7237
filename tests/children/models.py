"""What tests/test_models.py runs in the child: model_class() against fake optimum installs."""

from __future__ import annotations

import sys
from typing import Any


def model_class(result: dict[str, Any], *, args: list[Any]) -> None:
    """``model_class(*args)``: the class's dotted name (``class``) or the error (``error``),
    and the modules it loaded (``loaded``)."""
    import accelprobe.models

    before = set(sys.modules)
    try:
        found = accelprobe.models.model_class(*args)
        result["class"] = found.__module__ + "." + found.__name__
    except Exception as error:  # noqa: BLE001 - recorded for the test
        result["error"] = [type(error).__name__, str(error)]
    result["loaded"] = sorted(set(sys.modules) - before)


def import_models(result: dict[str, Any]) -> None:
    """The modules ``import accelprobe.models`` loads, as ``loaded``."""
    loaded = set(sys.modules)
    import accelprobe.models  # noqa: F401

    result["loaded"] = sorted(set(sys.modules) - loaded)
