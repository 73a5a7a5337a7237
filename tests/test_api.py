"""The public API on top of detection: lookups, versions, selection, refresh."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import threading
from typing import TYPE_CHECKING

import pytest

import accelprobe
from accelprobe import backends
from tests.children import api
from tests.fake import VERSION, build, dist, installed

if TYPE_CHECKING:
    from pathlib import Path

KEYS = ("openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx")
COMMANDS = {
    "ov": 'pip install "optimum-intel[openvino]"',
    "ort": 'pip install "optimum-onnx[onnxruntime]"',
    "ipex": 'pip install "optimum-intel[ipex]<2"',
}
NEEDS = {"ov": ("optimum-intel", "openvino"), "ort": ("optimum-onnx", "onnxruntime")}
NEEDS["ipex"] = ("optimum-intel", "ipex")


def install(site: Path, *keys: str) -> None:
    build(site, installed(*keys))
    accelprobe.refresh()


def expected(present: set[str], *, require_optimum: bool) -> tuple[str, ...]:
    return tuple(
        name
        for name in accelprobe.ACCELERATORS
        if NEEDS[name][1] in present and (NEEDS[name][0] in present or not require_optimum)
    )


def isort_order(name: str) -> tuple[bool, bool, str]:
    """Constants, then classes, then functions, as ruff's RUF022 sorts ``__all__``."""
    return (not name.isupper(), not name[:1].isupper(), name)


def test_public_names() -> None:
    assert accelprobe.__all__ == sorted(accelprobe.__all__, key=isort_order)
    assert backends.__all__ == sorted(backends.__all__, key=isort_order)
    assert set(accelprobe.__all__) == set(backends.__all__)
    for name in accelprobe.__all__:
        assert getattr(accelprobe, name) is getattr(backends, name)
    assert accelprobe.ACCELERATORS == ("ov", "ort", "ipex")
    assert accelprobe.Accelerator.__args__ == ("ov", "ort", "ipex")  # type: ignore[attr-defined]
    assert accelprobe.ONNXRUNTIME_DISTRIBUTIONS[:3] == (
        "onnxruntime",
        "onnxruntime-gpu",
        "onnxruntime-rocm",
    )
    assert accelprobe.OPENVINO_DISTRIBUTIONS == ("openvino", "openvino-nightly")
    assert accelprobe.__version__ == VERSION


@pytest.mark.parametrize("module", [accelprobe, backends])
def test_unknown_attribute(module: object) -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        module.nope  # type: ignore[attr-defined]  # noqa: B018


def test_backend_info_is_a_frozen_dataclass(isolated: Path) -> None:
    import dataclasses

    install(isolated, "onnxruntime")
    info = accelprobe.backend_info("onnxruntime")
    assert dataclasses.is_dataclass(info)
    assert isinstance(info, accelprobe.BackendInfo)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.available = False  # type: ignore[misc]
    assert accelprobe.backend_info("ort") is info  # cached until refresh()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ov", "openvino"),
        (" OpenVINO ", "openvino"),
        ("ort", "onnxruntime"),
        ("intel_extension_for_pytorch", "ipex"),
        ("optimum.intel", "optimum-intel"),
        ("optimum.onnxruntime", "optimum-onnx"),
        ("Optimum_ONNX", "optimum-onnx"),
    ],
)
def test_backend_names_and_aliases(name: str, key: str) -> None:
    assert accelprobe.backend_info(name).name == key


@pytest.mark.parametrize("name", ["", "torch", "onnx", 3])
def test_unknown_backend(name: object) -> None:
    with pytest.raises(
        ValueError,
        match=r"unknown backend .*; expected a backend or an accelerator; names: accelerators ov ",
    ):
        accelprobe.backend_info(name)  # type: ignore[arg-type]


@pytest.mark.usefixtures("isolated")
def test_all_backends_order() -> None:
    assert [info.name for info in accelprobe.all_backends()] == list(KEYS)


def test_flags_agree_with_infos(isolated: Path) -> None:
    install(isolated, "openvino", "optimum-onnx")
    functions = [
        accelprobe.is_openvino_available,
        accelprobe.is_onnxruntime_available,
        accelprobe.is_ipex_available,
        accelprobe.is_optimum_intel_available,
        accelprobe.is_optimum_onnx_available,
    ]
    flags = [function() for function in functions]
    assert flags == [True, False, False, False, True]
    assert flags == [info.available for info in accelprobe.all_backends()]


@pytest.mark.parametrize(
    ("version", "specifier", "answer"),
    [
        ("1.18.0", ">=1.17,<2", True),
        ("1.16.3", ">=1.17,<2", False),
        ("1.18.0.dev20240101", ">=1.17", True),
        ("1.18.0rc1", "==1.18.0rc1", True),
        ("2.1.10+xpu", ">=2.1", True),
        ("2.1.10+xpu", "==2.1.10", True),
        ("2024.1.0-15008-f4afc983258-releases/2024/1", ">=2024", False),
        ("banana", ">=0", False),
        ("1.0", "", True),
    ],
)
def test_is_backend_version(isolated: Path, version: str, specifier: str, answer: bool) -> None:
    build(isolated, dist("onnxruntime", version, "onnxruntime"))
    accelprobe.refresh()
    assert accelprobe.is_backend_version("onnxruntime", specifier) is answer
    assert accelprobe.is_backend_version("ort", specifier) is answer


@pytest.mark.usefixtures("isolated")
def test_is_backend_version_when_not_installed() -> None:
    assert accelprobe.is_backend_version("openvino", ">=0") is False


def test_is_backend_version_when_shadowed(isolated: Path, tmp_path: Path) -> None:
    shadow = build(tmp_path / "work", {"openvino.py": ""})
    build(isolated, installed("openvino"))
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(shadow))
        accelprobe.refresh()
        assert accelprobe.backend_info("openvino").version == "1.18.0"
        assert accelprobe.is_backend_version("openvino", ">=1") is False


@pytest.mark.parametrize("specifier", ["=>1.0", "1.0", ">=1.0;", "~=1"])
def test_invalid_specifier(specifier: str) -> None:
    with pytest.raises(ValueError, match=r"invalid version specifier .* \(expected e\.g\."):
        accelprobe.is_backend_version("onnxruntime", specifier)


def test_is_backend_version_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        accelprobe.is_backend_version("cuda", ">=1")


COMBINATIONS = [
    set(combination)
    for size in range(len(KEYS) + 1)
    for combination in itertools.combinations(KEYS, size)
]


@pytest.mark.parametrize("present", COMBINATIONS, ids=lambda p: "+".join(sorted(p)) or "none")
def test_select_every_combination(isolated: Path, present: set[str]) -> None:
    install(isolated, *present)
    for require_optimum in (True, False):
        ready = expected(present, require_optimum=require_optimum)
        assert accelprobe.available_accelerators(require_optimum=require_optimum) == ready
        if ready:
            assert accelprobe.select_accelerator(require_optimum=require_optimum) == ready[0]
        else:
            with pytest.raises(ImportError, match="no accelerator is available") as error:
                accelprobe.select_accelerator(require_optimum=require_optimum)
            for command in COMMANDS.values():
                assert command in str(error.value)
        for name in accelprobe.ACCELERATORS:
            if name in ready:
                assert accelprobe.select_accelerator(name, require_optimum=require_optimum) == name
                chosen = accelprobe.select_accelerator(
                    candidates=[name], require_optimum=require_optimum
                )
                assert chosen == name
            else:
                with pytest.raises(ImportError, match=COMMANDS[name].replace("[", r"\[")):
                    accelprobe.select_accelerator(name, require_optimum=require_optimum)


def test_candidates_limit_but_do_not_reorder(isolated: Path) -> None:
    install(isolated, *KEYS)
    assert accelprobe.select_accelerator(candidates=["ipex", "ort"]) == "ort"
    assert accelprobe.select_accelerator(candidates=("IPEX",)) == "ipex"
    assert accelprobe.select_accelerator(candidates="onnxruntime") == "ort"
    with pytest.raises(ValueError, match="candidates is empty"):
        accelprobe.select_accelerator(candidates=[])
    with pytest.raises(ValueError, match="candidate 'cuda' is not a known accelerator"):
        accelprobe.select_accelerator(candidates=["ov", "cuda"])
    with pytest.raises(ValueError, match="'ov' is not among the candidates ort, ipex"):
        accelprobe.select_accelerator("ov", candidates=["ort", "ipex"])


def test_candidates_none_available(isolated: Path) -> None:
    install(isolated, "openvino", "optimum-intel")
    with pytest.raises(ImportError) as error:
        accelprobe.select_accelerator(candidates=["ort", "ipex"])
    message = str(error.value)
    assert message.startswith("no accelerator is available:\n  ort needs optimum-onnx and ")
    assert COMMANDS["ov"] not in message
    assert COMMANDS["ort"] in message
    assert COMMANDS["ipex"] in message


@pytest.mark.parametrize(
    ("name", "choice"),
    [("ov", "ov"), (" OV ", "ov"), ("OpenVINO", "ov"), ("onnxruntime", "ort"), ("i p e x", "ipex")],
)
def test_select_aliases(isolated: Path, name: str, choice: str) -> None:
    install(isolated, *KEYS)
    assert accelprobe.select_accelerator(name) == choice


@pytest.mark.parametrize("name", ["cuda", "", "optimum", 7])
def test_select_unknown(name: object) -> None:
    with pytest.raises(
        ValueError,
        match="is not a known accelerator; expected an accelerator; names: accelerators ov ",
    ):
        accelprobe.select_accelerator(name)  # type: ignore[arg-type]


def test_select_error_names_what_is_missing(isolated: Path) -> None:
    install(isolated, "onnxruntime")
    with pytest.raises(ImportError) as error:
        accelprobe.select_accelerator("ort")
    assert str(error.value) == (
        "accelerator 'ort' is not available: ort needs optimum-onnx and onnxruntime "
        "(optimum-onnx: no module named 'optimum'); "
        'install with: pip install "optimum-onnx[onnxruntime]"'
    )
    assert accelprobe.select_accelerator("ort", require_optimum=False) == "ort"


def test_environment_variable(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install(isolated, *KEYS)
    monkeypatch.setenv("ACCELPROBE_ACCELERATOR", " ORT ")
    assert accelprobe.select_accelerator() == "ort"
    assert accelprobe.select_accelerator("ipex") == "ipex"  # an explicit request wins
    monkeypatch.setenv("ACCELPROBE_ACCELERATOR", "  ")
    assert accelprobe.select_accelerator() == "ov"
    monkeypatch.setenv("ACCELPROBE_ACCELERATOR", "tpu")
    with pytest.raises(ValueError, match="ACCELPROBE_ACCELERATOR='tpu' is not a known"):
        accelprobe.select_accelerator()
    monkeypatch.setenv("ACCELPROBE_ACCELERATOR", "ipex")
    with pytest.raises(
        ValueError, match="ACCELPROBE_ACCELERATOR='ipex' is not among the candidates ov, ort"
    ):
        accelprobe.select_accelerator(candidates=["ov", "ort"])
    monkeypatch.setenv("ACCELPROBE_DISABLE", "ipex")
    accelprobe.refresh()
    with pytest.raises(ImportError, match=r"'ipex' \(asked for by ACCELPROBE_ACCELERATOR\)"):
        accelprobe.select_accelerator()


def test_environment_replaced_by_a_plain_mapping(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(isolated, *KEYS)
    monkeypatch.setattr(os, "environ", {"ACCELPROBE_ACCELERATOR": "ipex"})
    assert accelprobe.select_accelerator() == "ipex"


def test_choice_is_logged(isolated: Path, caplog: pytest.LogCaptureFixture) -> None:
    install(isolated, *KEYS)
    with caplog.at_level(logging.INFO, logger="accelprobe"):
        accelprobe.select_accelerator()
    assert caplog.record_tuples == [("accelprobe", logging.INFO, "selected accelerator 'ov'")]


def test_refresh_after_install_and_removal(isolated: Path) -> None:
    assert not accelprobe.is_onnxruntime_available()
    install(isolated, "onnxruntime")
    assert accelprobe.is_onnxruntime_available()
    assert backends._onnxruntime_available
    shutil.rmtree(isolated / "onnxruntime")
    shutil.rmtree(isolated / "onnxruntime-1.18.0.dist-info")
    infos = accelprobe.refresh()
    assert not accelprobe.is_onnxruntime_available()
    assert [info.name for info in infos] == list(KEYS)
    assert infos[1].reason == "no module named 'onnxruntime'"


def test_refresh_from_many_threads(isolated: Path) -> None:
    build(isolated, installed(*KEYS))
    results: list[tuple[bool, ...]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                infos = accelprobe.refresh()
                results.append(tuple(info.available for info in infos))
                accelprobe.select_accelerator()
                accelprobe.backend_info("ort")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [(True,) * 5] * 40


def test_require(isolated: Path) -> None:
    install(isolated, "onnxruntime", "optimum-onnx")
    infos = accelprobe.require("ort", "optimum.onnxruntime")
    assert [info.name for info in infos] == ["onnxruntime", "optimum-onnx"]
    with pytest.raises(ImportError) as error:
        accelprobe.require("onnxruntime", "openvino", "ipex")
    assert str(error.value) == (
        "required backends are not available:\n"
        "  openvino: no module named 'openvino'; install with: pip install openvino\n"
        "  ipex: no module named 'intel_extension_for_pytorch'; "
        "install with: pip install intel-extension-for-pytorch"
    )
    with pytest.raises(ValueError, match="name at least one backend"):
        accelprobe.require()
    with pytest.raises(ValueError, match="unknown backend 'tpu'"):
        accelprobe.require("tpu")


def test_version_is_read_without_importlib_metadata(tmp_path: Path) -> None:
    from tests.fake import detect

    before, after = api.metadata_loaded_before, api.version_and_metadata_loaded
    result = detect(cwd=tmp_path, before=before, after=after)
    assert result["version"] == VERSION
    assert result["loaded after"] is result["loaded before"]


def test_dir_shows_public_names_only() -> None:
    names = dir(accelprobe)
    assert {"BackendInfo", "Accelerator", "__version__", "model_class"} <= set(names)
    assert not {"TYPE_CHECKING", "annotations"} & set(names)


def test_model_class_is_reachable_from_the_package() -> None:
    with pytest.raises(ValueError, match="unknown task 'no-such-task'"):
        accelprobe.model_class("no-such-task", "ort")


def test_detection_says_name_as_backend_info_does_and_keeps_key() -> None:
    for key in KEYS:
        found = accelprobe.detection(key)
        assert found.name == accelprobe.backend_info(key).name == key
        assert found.key == found.name  # the deprecated spelling still works
    assert accelprobe.detection("ort").name == "onnxruntime"
    assert "deprecated" in (type(found).key.__doc__ or "").lower()


def test_public_signatures_show_public_types_only() -> None:
    import inspect
    import re

    public = {*accelprobe.__all__, "Iterable", "None", "str", "bool", "tuple"}
    for name in accelprobe.__all__:
        value = getattr(accelprobe, name)
        if callable(value) and not isinstance(value, type(accelprobe.Accelerator)):
            signature = str(inspect.signature(value))
            words = set(re.findall(r"'([^']*)'", signature))
            types = {word for text in words for word in re.findall(r"[A-Za-z_][\w.]*", text)}
            assert types <= public, f"{name}{signature}"
    assert "Dist" not in str(inspect.signature(accelprobe.Detection))
