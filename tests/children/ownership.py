"""What tests/test_ownership.py runs in the child: audits of what is opened, odd finders."""

from __future__ import annotations

import sys
from typing import Any

opened: list[str] = []
"""Every file opened since ``count_opens()``."""


def _record_open(event: str, args: tuple[Any, ...]) -> None:
    if event == "open":
        opened.append(str(args[0]))


def count_opens(_result: dict[str, Any]) -> None:
    """Record every file opened from now on in ``opened``."""
    sys.addaudithook(_record_open)


def owner_after_refresh(result: dict[str, Any]) -> None:
    """What refresh() opened in onnxruntime's folder; onnxruntime's info; if it is >=1.32."""
    import accelprobe

    count_opens(result)
    accelprobe.refresh()
    result["opened"] = [path for path in opened if "/onnxruntime/" in path.replace("\\", "/")]
    result["info"] = accelprobe.backend_info("ort").__dict__
    result["ok"] = accelprobe.is_backend_version("ort", ">=1.32")


def opened_records(result: dict[str, Any]) -> None:
    """The RECORD files and the files in an onnxruntime folder opened since ``count_opens()``."""
    result["opened"] = [path for path in opened if "RECORD" in path or "/onnxruntime/" in path]


def status_and_remedy(result: dict[str, Any], *, key: str) -> None:
    """``detection(key)``'s status and remedy, as ``d``."""
    import accelprobe

    found = accelprobe.detection(key)
    result["d"] = [found.status, found.remedy]


def ipex_without_its_torch(result: dict[str, Any]) -> None:
    """What detection says of IPEX, and the error of selecting it without optimum."""
    import accelprobe
    from tests.children.common import select_error

    found = accelprobe.detection("ipex")
    result["d"] = [found.status, found.available, found.distribution, found.reason, found.remedy]
    select_error(result, accelerator="ipex", require_optimum=False)


def ready_then_ipex(result: dict[str, Any]) -> None:
    """The accelerators available, and the error of selecting ipex."""
    import accelprobe
    from tests.children.common import select_error

    result["ready"] = accelprobe.available_accelerators()
    select_error(result, accelerator="ipex")


def installed_versions(result: dict[str, Any], *, names: list[str]) -> None:
    """``installed_version(name)`` of each name, as ``v``."""
    import accelprobe

    result["v"] = [accelprobe.installed_version(name) for name in names]


def openvino_record(result: dict[str, Any]) -> None:
    """What detection('ov') says with nothing installed, and is_backend_version's answers."""
    import accelprobe

    found = accelprobe.detection("ov")
    result["d"] = [repr(found), found.hidden, found.conflicts, found.remedy, found.module]
    result["bad"] = accelprobe.is_backend_version("ov", ">=1")
    try:
        accelprobe.is_backend_version("ov", None)  # type: ignore[arg-type]
    except ValueError as error:
        result["error"] = str(error)


def damaged_zips(_result: dict[str, Any]) -> None:
    """zipfile.ZipFile fails with OSError from now on."""
    import zipfile

    class Damaged(zipfile.ZipFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
            msg = "damaged"
            raise OSError(msg)

    zipfile.ZipFile = Damaged  # type: ignore[misc]


def unresolvable_paths(_result: dict[str, Any]) -> None:
    """os.path.realpath fails with OSError from now on."""
    import os.path

    def realpath(path: object, **kwargs: object) -> str:  # noqa: ARG001
        msg = "unresolvable"
        raise OSError(msg)

    os.path.realpath = realpath  # type: ignore[assignment]


def unlocatable_openvino(_result: dict[str, Any]) -> None:
    """First on sys.meta_path, a finder whose spec of openvino has folders that cannot be read."""

    class Paths:
        def __iter__(self) -> Any:
            msg = "no"
            raise OSError(msg)

    class Spec:
        origin = None
        submodule_search_locations = Paths()

    class Finder:
        def find_spec(self, name: str, path: object = None, target: object = None) -> Spec | None:  # noqa: ARG002
            return Spec() if name == "openvino" else None

    sys.meta_path.insert(0, Finder())  # type: ignore[arg-type]


def raising_finder(_result: dict[str, Any], *, module: str, error: str) -> None:
    """First on sys.meta_path, a finder that raises ``error`` (KeyError or RuntimeError).

    A KeyError says the module's name; a RuntimeError says ``no``.
    """
    assert error in ("KeyError", "RuntimeError"), error

    class Finder:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:  # noqa: ARG002
            if name == module and error == "KeyError":
                raise KeyError(name)
            if name == module:
                msg = "no"
                raise RuntimeError(msg)

    sys.meta_path.insert(0, Finder())


def loaded_version(result: dict[str, Any], *, key: str) -> None:
    """``detection(key)``'s version and reason, as ``v``."""
    import accelprobe

    found = accelprobe.detection(key)
    result["v"] = [found.version, found.reason]


def import_optimum_then_grow_path(result: dict[str, Any], *, later: str) -> None:
    """Import the namespace package optimum, append ``later`` to sys.path, refresh()."""
    import importlib

    import accelprobe

    importlib.import_module("optimum")
    sys.path.append(later)
    accelprobe.refresh()
    result["ok"] = accelprobe.is_optimum_onnx_available()


def finders_without_caches(_result: dict[str, Any]) -> None:
    """First on sys.meta_path, a finder whose invalidate_caches raises, and a plain finder."""

    class Broken:
        def find_spec(self, *args: object) -> None:  # noqa: ARG002
            return None

        def invalidate_caches(self) -> None:
            msg = "broken"
            raise RuntimeError(msg)

    class Plain:
        def find_spec(self, *args: object) -> None:  # noqa: ARG002
            return None

    sys.meta_path[:0] = [Broken(), Plain()]


def refreshed(result: dict[str, Any]) -> None:
    """Whether each backend is available after refresh(), as ``ok``."""
    import accelprobe

    result["ok"] = [info.available for info in accelprobe.refresh()]


def statuses(result: dict[str, Any]) -> None:
    """Each backend's status, reason and remedy."""
    import accelprobe

    result["d"] = {
        key: [found.status, found.reason, found.remedy]
        for key in ("openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx")
        for found in [accelprobe.detection(key)]
    }


def replaced_while_loaded(result: dict[str, Any], *, init: str, version: str) -> None:
    """openvino's version and reason; then, once its files and metadata are replaced, again.

    As pip replaces them: new files (a later change time), a new dist-info.
    """
    import os
    import pathlib
    import time

    import accelprobe

    found = accelprobe.detection("openvino")
    result["before"] = [found.version, found.reason]
    time.sleep(0.05)  # past the file system's clock tick: pip takes longer than that
    package = pathlib.Path(init).parent
    (package / "__init__.py.new").write_text("# the next nightly\n", encoding="utf-8")
    os.replace(package / "__init__.py.new", init)
    (info,) = package.parent.glob("openvino-*.dist-info")
    metadata = f"Metadata-Version: 2.1\nName: openvino\nVersion: {version}\n\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    accelprobe.refresh()
    found = accelprobe.detection("openvino")
    result["after"] = [found.version, found.reason]
