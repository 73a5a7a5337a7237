"""Parity of each touch of CPython's internals with the public behaviour it stands in for.

Also the table of backend facts and the one description of a probe result, checked
against what reads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import os
import sys
from typing import TYPE_CHECKING

import pytest

from accelprobe import _advice, _caches, _conflicts, _facts, _metadata, backends, probe

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize("value", [None, "", "ov", "ïpex, ort"])
def test_environ_value_is_os_environ_get(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    name = "ACCELPROBE_TEST_VARIABLE"
    if value is None:
        monkeypatch.delenv(name, raising=False)
    else:
        monkeypatch.setenv(name, value)
    assert _facts.environ_value(name) == os.environ.get(name, "")


def test_environ_value_of_a_replaced_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "environ", {"ACCELPROBE_DISABLE": "ipex"})
    assert _facts.environ_value("ACCELPROBE_DISABLE") == "ipex"
    assert _facts.environ_value("ACCELPROBE_ACCELERATOR") == ""


def test_plain_path_is_the_public_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "accelprobe_ns" / "inner").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    module = importlib.import_module("accelprobe_ns")
    try:
        assert _facts.plain_path(module.__path__) == list(module.__path__)
        assert _facts.plain_path(None) is None
    finally:
        del sys.modules["accelprobe_ns"]


def test_plain_path_of_a_namespace_whose_parent_was_never_imported() -> None:
    class Stale:
        """A ``_NamespacePath`` whose parent is not in ``sys.modules``: iterating raises."""

        _path = ["/last/computed", 3]  # noqa: RUF012 - as _NamespacePath keeps it

        def __iter__(self) -> object:
            raise KeyError

    assert _facts.plain_path(Stale()) == ["/last/computed"]
    assert _facts.plain_path(3) == []


def test_folder_names_from_the_import_cache_are_os_listdir(tmp_path: Path) -> None:
    for name in ("a.py", "b-1.0.dist-info", "é.pth"):
        (tmp_path / name).touch()
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        assert importlib.util.find_spec("a") is not None  # fills the folder's cache
        assert sorted(_metadata._names(str(tmp_path))) == sorted(os.listdir(tmp_path))
    finally:
        sys.path.remove(str(tmp_path))
        sys.path_importer_cache.pop(str(tmp_path), None)
        sys.modules.pop("a", None)


def test_a_foreign_cache_of_other_things_than_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finder's ``_path_cache`` with a non-string in it: its names alone are listed."""
    (tmp_path / "a-1.0.dist-info").mkdir()

    class Foreign:
        _path_cache = {"a-1.0.dist-info", 3}  # noqa: RUF012 - as FileFinder keeps it
        _path_mtime = os.stat(tmp_path).st_mtime

    monkeypatch.setitem(sys.path_importer_cache, str(tmp_path), Foreign())
    monkeypatch.setattr(_metadata, "LISTINGS", {})
    assert _metadata.metadata_entries(str(tmp_path)) == ["a-1.0.dist-info"]


def test_metadata_is_read_with_a_buffer_of_its_size_and_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.read(fd, n)`` allocates ``n`` bytes, and memory a fresh process touches costs more
    than the read: a small file is never asked for a MiB, and a scan keeps its version only."""
    info = tmp_path / "a-1.0.dist-info"
    info.mkdir()
    body = "A long description.\n" * 1000
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: a\nVersion: 1.0\n\n{body}")
    asked: list[int] = []
    read = os.read

    def counted(fd: int, size: int) -> bytes:
        asked.append(size)
        return read(fd, size)

    monkeypatch.setattr(os, "read", counted)
    scan = _metadata.Scan()
    assert _metadata.read_metadata(scan, str(info)) == ("1.0", "")
    assert _metadata.read_metadata(scan, str(info)) == ("1.0", "")  # once per scan
    assert asked
    assert max(asked) <= 1 << 16
    assert len(asked) == 2  # the file, then its end
    assert scan.reads == {}


def test_invalidate_caches_is_importlib_invalidate_caches(tmp_path: Path) -> None:
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        assert importlib.util.find_spec("accelprobe_late") is None
        (tmp_path / "accelprobe_late.py").touch()
        _caches.invalidate_caches()
        assert importlib.util.find_spec("accelprobe_late") is not None
    finally:
        sys.path.remove(str(tmp_path))
        sys.path_importer_cache.pop(str(tmp_path), None)


def test_builtin_sha256_is_hashlib() -> None:
    digest = _conflicts._hasher("sha256")
    digest.update(b"accelprobe")
    assert digest.digest() == hashlib.sha256(b"accelprobe").digest()


def test_error_text_and_one_line() -> None:
    class UnprintableError(Exception):
        def __str__(self) -> str:
            raise RuntimeError

    assert _advice.error_text(ValueError("a\n *** b *** c")) == "ValueError: a c"
    assert _advice.error_text(ValueError()) == "ValueError"
    assert (
        _advice.error_text(UnprintableError()) == "UnprintableError: <unprintable UnprintableError>"
    )
    assert _advice.error_text(OSError("x"), typed=False) == "x"


def test_disable_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELPROBE_DISABLE", " ov, ,nope,ORT ")
    assert _facts.disabled_and_unknown() == (frozenset({"openvino", "onnxruntime"}), ["nope"])


def test_the_facts_table() -> None:
    assert tuple(_facts.BACKEND_FACTS) == tuple(info.name for info in backends.all_backends())
    assert _facts.ACCELERATORS == backends.ACCELERATORS
    for facts in _facts.ACCELERATOR_FACTS.values():
        assert facts.runtime in _facts.RUNTIMES
        assert _facts.BACKEND_FACTS[facts.optimum].module.split(".")[0] == "optimum"
        assert facts.install == f"pip install {facts.requirement}"
    assert _facts.BACKEND_FACTS["optimum-onnx"].accepted == ("optimum-onnx", "optimum")


def test_one_description_of_a_probe_result() -> None:
    device_fields = [field.name for field in dataclasses.fields(probe.Device)]
    result_fields = {field.name for field in dataclasses.fields(probe.ProbeResult)}
    assert device_fields == list(probe._DEVICE_FIELDS)
    assert set(probe._FIELDS) <= result_fields
    device = probe.Device(name="GPU.0", words=("gpu",), description="", ran=True, detail="ran")
    result = probe.ProbeResult(
        name="openvino",
        ok=True,
        version="1",
        devices=(device,),
        reason="openvino offers GPU.0",
        verified=True,
        isolated=False,
    )
    found = probe.as_json(result)
    assert list(found) == ["ok", "version", "reason", "verified", "devices"]
    assert probe._wrong_shape(found) == ""
    assert probe._from_json("openvino", found, verify=True, isolated=False) == result
