"""What tests/test_api.py runs in the child."""

from __future__ import annotations

import sys
from typing import Any


def metadata_loaded_before(result: dict[str, Any]) -> None:
    """Whether importlib.metadata is loaded before ``import accelprobe``."""
    result["loaded before"] = "importlib.metadata" in sys.modules


def version_and_metadata_loaded(result: dict[str, Any]) -> None:
    """accelprobe.__version__, and whether importlib.metadata is loaded now."""
    import accelprobe

    result["version"] = accelprobe.__version__
    result["loaded after"] = "importlib.metadata" in sys.modules
