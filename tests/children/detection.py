"""What tests/test_detection.py runs in the child: hostile import systems, odd sys.path."""

from __future__ import annotations

import sys
from typing import Any


def selected(result: dict[str, Any]) -> None:
    """What ``select_accelerator()`` chose."""
    import accelprobe

    result["selected"] = accelprobe.select_accelerator()


# --- hostile import systems ------------------------------------------------------------------


def block_onnxruntime(_result: dict[str, Any]) -> None:
    sys.modules["onnxruntime"] = None  # type: ignore[assignment]


def block_optimum(_result: dict[str, Any]) -> None:
    sys.modules["optimum"] = None  # type: ignore[assignment]


def module_without_spec(_result: dict[str, Any]) -> None:
    import types

    sys.modules["onnxruntime"] = types.ModuleType("onnxruntime")


def raising_finder(_result: dict[str, Any]) -> None:
    """First on sys.meta_path, a finder that raises for onnxruntime and openvino."""

    class Broken:
        def find_spec(self, name: str, *args: object) -> None:  # noqa: ARG002
            if name.startswith(("onnxruntime", "openvino")):
                msg = "broken finder"
                raise RuntimeError(msg)

    sys.meta_path.insert(0, Broken())


def spec_without_origin(_result: dict[str, Any]) -> None:
    import importlib.machinery
    import types

    module = types.ModuleType("onnxruntime")
    module.__spec__ = importlib.machinery.ModuleSpec("onnxruntime", None)
    sys.modules["onnxruntime"] = module


def loaded_from_elsewhere(_result: dict[str, Any], *, root: str) -> None:
    """onnxruntime loaded from ``root/alias`` (a link to it), openvino from ``root/impl.py``."""
    import importlib.util
    import types

    for name, origin in [("onnxruntime", "alias/__init__.py"), ("openvino", "impl.py")]:
        module = types.ModuleType(name)
        module.__spec__ = importlib.util.spec_from_file_location(
            name,
            root + "/" + origin,
            submodule_search_locations=[] if name == "onnxruntime" else None,
        )
        sys.modules[name] = module


def legacy_finder(_result: dict[str, Any]) -> None:
    """Last on sys.meta_path, a finder without find_spec."""

    class Legacy:
        pass

    sys.meta_path.append(Legacy())  # type: ignore[arg-type]


def pop_meta_path(_result: dict[str, Any]) -> None:
    sys.meta_path.pop()


def preloaded(_result: dict[str, Any], *, site: str) -> None:
    """onnxruntime, optimum and optimum.intel in sys.modules, as if imported from ``site``."""
    import importlib.util
    import types

    for name, init in [
        ("onnxruntime", "onnxruntime/__init__.py"),
        ("optimum.intel", "optimum/intel/__init__.py"),
    ]:
        module = types.ModuleType(name)
        module.__spec__ = importlib.util.spec_from_file_location(
            name, site + "/" + init, submodule_search_locations=[]
        )
        sys.modules[name] = module
    parent = types.ModuleType("optimum")
    parent.__path__ = [site + "/optimum"]
    parent.__spec__ = importlib.util.spec_from_loader("optimum", None, is_package=True)
    assert parent.__spec__ is not None
    parent.__spec__.submodule_search_locations = parent.__path__
    sys.modules["optimum"] = parent


def odd_entries(_result: dict[str, Any], *, site: str, missing: str, not_a_folder: str) -> None:
    """sys.path starts with bytes, an int, a Path, ``site`` again, a missing path and a file."""
    import pathlib

    sys.path[:0] = [b"/bytes/entry", 42, pathlib.Path(site), site, missing, not_a_folder]  # type: ignore[list-item]


def distribution_finder(_result: dict[str, Any]) -> None:
    """A finder that finds no modules and two distributions of openvino, the first unusable."""
    import importlib.metadata

    class Dist(importlib.metadata.Distribution):
        def __init__(self, text: str | None) -> None:
            self.text = text

        def read_text(self, filename: str) -> str | None:
            return self.text if filename == "METADATA" else None

        def locate_file(self, path: object) -> str:  # type: ignore[override]  # noqa: ARG002
            return "/nowhere"

    class Finder:
        def find_spec(self, *args: object) -> None:  # noqa: ARG002
            return None

        def find_distributions(self, context: Any) -> list[Dist]:
            if context.name != "openvino":
                return []
            return [Dist(None), Dist("Name: openvino\nVersion: 2024.1\n")]

    sys.meta_path.append(Finder())


def distribution_finder_of(_result: dict[str, Any], *, folder: str) -> None:
    """A finder that finds openvino's distribution in ``folder``, a folder not on sys.path."""
    import importlib.metadata
    import pathlib

    class Finder:
        def find_spec(self, *args: object) -> None:  # noqa: ARG002
            return None

        def find_distributions(self, context: Any) -> list[importlib.metadata.Distribution]:
            if context.name != "openvino":
                return []
            info = next(pathlib.Path(folder).glob("openvino-*.dist-info"))
            return [importlib.metadata.PathDistribution(info)]

    sys.meta_path.append(Finder())


def one_shot_optimum_path(result: dict[str, Any], *, site: str) -> None:
    """A finder, first on sys.meta_path, whose ``optimum`` lists its folder in an iterator.

    ``result["asked"]`` counts how often it was asked for ``optimum``.
    """
    import importlib.machinery
    import os

    result["asked"] = 0

    class Finder:
        def find_spec(self, name: str, *args: object) -> importlib.machinery.ModuleSpec | None:  # noqa: ARG002
            if name != "optimum":
                return None
            result["asked"] += 1
            folder = os.path.join(site, "optimum")
            spec = importlib.machinery.ModuleSpec(name, None, origin=folder, is_package=True)
            spec.submodule_search_locations = iter([folder])  # type: ignore[assignment]
            return spec

    sys.meta_path.insert(0, Finder())


def remove_working_directory(_result: dict[str, Any], *, folder: str) -> None:
    """Work in ``folder``, remove it, and put two ``""`` (the working folder) on sys.path."""
    import os

    os.chdir(folder)
    os.rmdir(folder)
    sys.path[:0] = ["", ""]


def openvino_version(result: dict[str, Any]) -> None:
    """installed_version('openvino'), and sys.path's first entry."""
    import accelprobe

    result["v"] = [accelprobe.installed_version("openvino"), sys.path[0]]


def import_logging(_result: dict[str, Any]) -> None:
    import logging  # noqa: F401


def debug_log_and_a_broken_finder(_result: dict[str, Any]) -> None:
    """Logging at DEBUG to stderr; first on sys.meta_path, a finder that fails for openvino."""
    import logging

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)

    class Broken:
        def find_spec(self, name: str, *args: object) -> None:  # noqa: ARG002
            if name == "openvino":
                msg = "disk on fire"
                raise OSError(msg)

    sys.meta_path.insert(0, Broken())
