"""model_class(): the optimum class for a pipeline task, against fake integrations on disk.

Each test builds a site folder whose optimum packages define the classes the real wheels
export (``OVModelForFeatureExtraction = type(...)``), then calls ``model_class`` in a
fresh interpreter and records the class it returned, or the error, and what it imported.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

import accelprobe
from accelprobe import models
from tests.children import models as child
from tests.fake import Tree, build, detect, dist, installed, merge

if TYPE_CHECKING:
    from pathlib import Path

# optimum.intel's own __init__ is lazy in the real wheel: importing it imports nothing heavy.
INTEL_INIT = ""
OV_CLASSES = (
    "OVModelForFeatureExtraction",
    "OVModelForSequenceClassification",
    "OVModelForTokenClassification",
    "OVModelForVision2Seq",  # optimum-intel 1.x: no OVModelForImageTextToText
    "OVModelForSeq2SeqLM",
)
ORT_CLASSES = (
    "ORTModelForFeatureExtraction",
    "ORTModelForSequenceClassification",
    "ORTModelForSeq2SeqLM",
    "ORTModelForCausalLM = None  # not a class",
)
IPEX_CLASSES = ("IPEXModel", "IPEXModelForCausalLM")


def classes(*names: str) -> str:
    """An ``__init__.py`` that defines each name as an empty class (or runs it as code)."""
    return "".join(
        f"{name}\n" if "=" in name else f"{name} = type({name!r}, (), {{}})\n" for name in names
    )


def site(
    *accelerators: str,
    ort: str = classes(*ORT_CLASSES),
    ov: str = classes(*OV_CLASSES),
    ipex: str = classes(*IPEX_CLASSES),
    ort_version: str = "0.1.0",
) -> Tree:
    """A site folder with the runtimes and optimum integrations of ``accelerators``."""
    trees: list[Tree] = []
    if "ort" in accelerators:
        trees += [
            installed("onnxruntime"),
            dist("optimum-onnx", ort_version, "optimum.onnxruntime", copy=False),
            {"optimum": {"onnxruntime": {"__init__.py": ort}}},
        ]
    if "ov" in accelerators:
        trees += [installed("openvino"), {"optimum": {"intel": {"openvino": {"__init__.py": ov}}}}]
    if "ipex" in accelerators:
        trees += [
            dist("torch", "2.8.0", "torch"),
            dist("intel-extension-for-pytorch", "2.8.0", "intel_extension_for_pytorch"),
            {"optimum": {"intel": {"ipex": {"__init__.py": ipex}}}},
        ]
    if {"ov", "ipex"} & set(accelerators):
        version = "1.27.0" if "ipex" in accelerators else "2.1.0"
        trees += [
            dist("optimum-intel", version, "optimum.intel", copy=False),
            {"optimum": {"intel": {"__init__.py": INTEL_INIT}}},
        ]
    return merge(*trees)


def call(
    tmp_path: Path, tree: Tree, *args: object, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Build ``tree`` and run ``model_class(*args)`` against it in a fresh interpreter."""
    folder = build(tmp_path / "site", tree)
    return detect(folder, cwd=tmp_path, after=partial(child.model_class, args=list(args)), env=env)


ALL = ("ov", "ort", "ipex")
OV = "optimum.intel.openvino."
ORT = "optimum.onnxruntime."
IPEX = "optimum.intel.ipex."


@pytest.mark.parametrize(
    ("accelerators", "args", "expected"),
    [
        (ALL, ("feature-extraction",), OV + "OVModelForFeatureExtraction"),
        (("ort", "ipex"), ("feature-extraction",), ORT + "ORTModelForFeatureExtraction"),
        (ALL, ("feature-extraction", "ort"), ORT + "ORTModelForFeatureExtraction"),
        (ALL, ("feature-extraction", "ipex"), IPEX + "IPEXModel"),
        (ALL, ("text-generation", "ipex"), IPEX + "IPEXModelForCausalLM"),
        (ALL, ("sentiment-analysis", "onnxruntime"), ORT + "ORTModelForSequenceClassification"),
        (ALL, ("zero-shot-classification", "ort"), ORT + "ORTModelForSequenceClassification"),
        (ALL, (" NER ", " OpenVINO "), OV + "OVModelForTokenClassification"),
        (ALL, ("Translation_en_to_fr", "ort"), ORT + "ORTModelForSeq2SeqLM"),
        (ALL, ("summarization", "ov"), OV + "OVModelForSeq2SeqLM"),
        # optimum-intel 2 names it OVModelForImageTextToText; 1.x has only Vision2Seq.
        (ALL, ("image-to-text", "ov"), OV + "OVModelForVision2Seq"),
    ],
)
def test_class_for_task_and_accelerator(
    tmp_path: Path, accelerators: tuple[str, ...], args: tuple[str, ...], expected: str
) -> None:
    result = call(tmp_path, site(*accelerators), *args)
    assert result.get("error") is None
    assert result["class"] == expected
    chosen = expected.rsplit(".", 1)[0]
    loaded = {name for name in result["loaded"] if name.startswith("optimum.")}
    assert loaded == {chosen} | ({"optimum.intel"} if chosen.startswith("optimum.intel") else set())


def test_newer_class_name_wins(tmp_path: Path) -> None:
    ov = classes(*OV_CLASSES, "OVModelForImageTextToText")
    result = call(tmp_path, site("ov", ov=ov), "image-to-text")
    assert result["class"] == OV + "OVModelForImageTextToText"


def test_environment_variable_picks_the_accelerator(tmp_path: Path) -> None:
    env = {"ACCELPROBE_ACCELERATOR": "onnxruntime"}
    result = call(tmp_path, site(*ALL), "feature-extraction", env=env)
    assert result["class"] == ORT + "ORTModelForFeatureExtraction"
    assert "optimum.intel" not in result["loaded"]


OLD_ORT = "optimum.onnxruntime (optimum-onnx 0.0.1)"
ORT_COMMAND = 'pip install --upgrade "optimum-onnx[onnxruntime]"'
LAZY_FAILURE = (
    "def __getattr__(name):\n    raise ImportError(\"cannot import name '_attention_scale'\")\n"
)


@pytest.mark.parametrize(
    ("args", "ort", "message"),
    [
        (
            ("zero-shot-image-classification", "ort"),
            classes(*ORT_CLASSES),
            (
                f"{OLD_ORT} has no ORTModelForZeroShotImageClassification for the task "
                f"'zero-shot-image-classification'; upgrade with: {ORT_COMMAND}"
            ),
        ),
        (  # a name that is there but is not a class
            ("text-generation", "ort"),
            classes(*ORT_CLASSES),
            (
                f"{OLD_ORT} has no ORTModelForCausalLM for the task 'text-generation'; "
                f"upgrade with: {ORT_COMMAND}"
            ),
        ),
        (
            ("feature-extraction", "ort"),
            "raise ImportError('No module named transformers')\n",
            (
                f"{OLD_ORT} failed to import: No module named transformers; "
                f"reinstall with: {ORT_COMMAND}"
            ),
        ),
        (  # a lazy module imports the class's own module on first access, and that can fail
            ("feature-extraction", "ort"),
            LAZY_FAILURE,
            (
                f"{OLD_ORT} failed to import ORTModelForFeatureExtraction: cannot import name "
                f"'_attention_scale'; reinstall with: {ORT_COMMAND}"
            ),
        ),
    ],
)
def test_integration_lacks_the_class(
    tmp_path: Path, args: tuple[str, ...], ort: str, message: str
) -> None:
    result = call(tmp_path, site("ort", ort=ort, ort_version="0.0.1"), *args)
    assert result["error"] == ["ImportError", message]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("image-segmentation", "ov"), "optimum has no ov model class for the task "),
        (("text-to-speech", "ort"), "'text-to-audio' (it runs on: ov); tasks on ort: audio-"),
        (("automatic-speech-recognition", "ipex"), "(it runs on: ov, ort); tasks on ipex: "),
    ],
)
def test_task_without_a_class_on_that_accelerator(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = call(tmp_path, site(*ALL), *args)
    assert result["error"][0] == "ValueError"
    assert message in result["error"][1]
    assert not [name for name in result["loaded"] if name.startswith("optimum")]


@pytest.mark.parametrize("task", ["vqa", "feature extraction", "", "translation-en-fr", 3, None])
def test_unknown_task(task: object) -> None:
    with pytest.raises(ValueError, match=r"unknown task .*feature-extraction.*sentiment-analysis"):
        models.model_class(task)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("accelerators", "args", "error", "message"),
    [
        (("ort",), ("feature-extraction", "ov"), "ImportError", 'optimum-intel[openvino]"'),
        ((), ("feature-extraction",), "ImportError", "no accelerator is available"),
        (ALL, ("feature-extraction", "cuda"), "ValueError", "'cuda' is not a known accelerator"),
    ],
)
def test_accelerator_errors_come_from_select_accelerator(
    tmp_path: Path, accelerators: tuple[str, ...], args: tuple[str, ...], error: str, message: str
) -> None:
    result = call(tmp_path, site(*accelerators), *args)
    assert result["error"][0] == error
    assert message in result["error"][1]
    assert not [name for name in result["loaded"] if name.startswith("optimum")]


def test_importing_the_module_costs_nothing(tmp_path: Path) -> None:
    result = detect(build(tmp_path / "site", site(*ALL)), cwd=tmp_path, after=child.import_models)
    assert "accelprobe.models" not in result["imported"]  # import accelprobe leaves it alone
    assert result["loaded"] == ["accelprobe.models"]


def test_task_table() -> None:
    prefixes = {"ov": "OVModel", "ort": "ORTModel", "ipex": "IPEXModel"}
    assert models.__all__ == ["TASKS", "ModelClass", "model_class"]
    assert accelprobe.ModelClass is models.ModelClass  # what model_class() is typed to return
    assert list(models.TASKS) == sorted(models.TASKS)
    assert "feature-extraction" in models.TASKS
    for task in models.TASKS:
        table = models._CLASSES[task]
        assert table
        assert set(table) <= set(prefixes)
        for accelerator, names in table.items():
            assert names
            assert all(name.startswith(prefixes[accelerator]) for name in names)
