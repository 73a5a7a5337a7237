"""From ``import accelprobe`` to a running optimum model, on real wheels and a real model.

Each integration gets a cached venv (tests/e2e_support.py): optimum-onnx + ONNX Runtime,
optimum-intel + OpenVINO, and optimum 1.x + ONNX Runtime. In each, accelprobe picks the
accelerator, ``model_class("feature-extraction")`` names the class, the README's model sample
exports all-MiniLM-L6-v2 and runs it through ``transformers.pipeline``, and the embeddings
must equal sentence-transformers' (PyTorch) within 1e-3 cosine. The other samples of the
README and docs/ run there too, beside real backends. Run with ``nox -s e2e``.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING, Any

import pytest

from accelprobe import models
from tests import e2e_support as e2e
from tests.test_samples import Block, samples
from tests.test_samples import run as run_sample

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e

TOLERANCE = 1e-3
(MODEL_SAMPLE,) = samples(e2e=True)
CLASSES = {
    "ort": "optimum.onnxruntime.modeling.ORTModelForFeatureExtraction",
    "ov": "optimum.intel.openvino.modeling.OVModelForFeatureExtraction",
    "optimum1": "optimum.onnxruntime.modeling_ort.ORTModelForFeatureExtraction",
}
# Tasks whose class the pinned integration lacks, and must say so: optimum 1.26 predates
# ORTModelForZeroShotImageClassification.
LACKING = {"optimum1": {"zero-shot-image-classification"}}


@pytest.fixture(scope="session")
def venvs() -> dict[str, str]:
    try:
        return {name: e2e.environment(name) for name in e2e.ENVIRONMENTS}
    except e2e.Unavailable as reason:
        pytest.skip(f"cannot build the e2e venvs here: {reason}")


@pytest.fixture(scope="session")
def installed(venvs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The venvs, each with the accelprobe under test installed (one wheel for all)."""
    wheel = e2e.build_wheel(venvs["ort"], str(tmp_path_factory.mktemp("wheel")))
    for venv in venvs.values():
        e2e.install_accelprobe(venv, wheel)
    return venvs


@pytest.fixture(scope="session")
def exported(installed: dict[str, str]) -> str:
    """all-MiniLM-L6-v2 exported to ONNX by optimum-onnx, cached beside the venvs."""
    folder = os.path.join(e2e.CACHE, "exported", e2e.key("ort"), "feature-extraction")
    if not os.path.isfile(os.path.join(folder, "model.onnx")):
        partial = folder + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        e2e.run_child(installed["ort"], {"sample": MODEL_SAMPLE.code, "save": partial})
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(partial, folder)
    return folder


def report(name: str, result: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Keep the figures beside the venvs and show them in the test output."""
    figures = {key: value for key, value in result.items() if key != "tasks"}
    with open(os.path.join(e2e.CACHE, f"figures-{name}.json"), "w", encoding="utf-8") as file:
        json.dump(figures, file, indent=1)
    with capsys.disabled():
        print(f"\ne2e {name}: {json.dumps(figures)}")


def check(name: str, result: dict[str, Any]) -> None:
    assert result["accelerator"] == e2e.ACCELERATOR[name]
    assert result["imported_by_accelprobe"] == []  # import accelprobe imports no backend
    assert result["class"] == CLASSES[name]
    assert result["same_class"]
    assert min(result["cosine"]) >= 1 - TOLERANCE, result["cosine"]
    assert min(result["pipeline_cosine"]) >= 1 - TOLERANCE, result["pipeline_cosine"]
    lacking = LACKING.get(name, set())
    for task, found in result["tasks"].items():
        if task in lacking:
            assert found.startswith("ImportError: optimum.onnxruntime (optimum 1.26.1) has no")
        else:
            assert not found.startswith("ImportError"), (task, found)


@pytest.mark.parametrize("name", ["ort", "ov"])
def test_readme_path_exports_and_matches_pytorch(
    installed: dict[str, str], name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = e2e.run_child(installed[name], {"sample": MODEL_SAMPLE.code})
    report(name, result, capsys)
    check(name, result)


def test_optimum_1x_runs_the_exported_model(
    installed: dict[str, str], exported: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"sample": MODEL_SAMPLE.code, "model": exported, "export": False}
    result = e2e.run_child(installed["optimum1"], config)
    report("optimum1", result, capsys)
    check("optimum1", result)
    assert result["versions"]["optimum"] == "1.26.1"
    assert "optimum-onnx" not in result["versions"]


def test_the_model_sample_runs_on_a_local_model() -> None:
    # What the children run: the README's sample with the model folder for its Hub id.
    code = e2e.sample(MODEL_SAMPLE.code, "/models/minilm")
    assert "path = '/models/minilm'" in code
    assert "from_pretrained(path, export=True)" in code
    assert "export=True" not in e2e.sample(MODEL_SAMPLE.code, "/models/minilm", export=False)


# The plugin's samples need pytest, which the e2e venvs do not have; they meet no backend.
BESIDE_BACKENDS = [block for block in samples(e2e=False) if "import pytest" not in block.code]


@pytest.mark.parametrize("name", ["ort", "ov"])
@pytest.mark.parametrize("sample", BESIDE_BACKENDS, ids=str)
def test_samples_run_beside_real_backends(
    installed: dict[str, str], name: str, sample: Block, tmp_path: Path
) -> None:
    environ = {**os.environ, **e2e.OFFLINE, "HF_HOME": os.path.join(e2e.CACHE, "hf-home")}
    interpreter = os.path.join(installed[name], "bin", "python")
    run_sample(interpreter, sample.code, tmp_path, environ, strict=False)


@pytest.mark.parametrize(
    ("requirement", "module", "accelerator", "lacking"),
    [
        # IPEX cannot run beside torch 2.13 (it needs its own torch), so its names are read
        # from the last optimum-intel that ships optimum.intel.ipex.
        ("optimum-intel==1.27.0", "optimum.intel.ipex", "ipex", set()),
        ("optimum-intel==1.27.0", "optimum.intel.openvino", "ov", set()),
        ("optimum-intel==2.2.0", "optimum.intel.openvino", "ov", set()),
        ("optimum==1.27.0", "optimum.onnxruntime", "ort", {"zero-shot-image-classification"}),
    ],
)
def test_class_names_exist_in_other_releases(
    requirement: str, module: str, accelerator: str, lacking: set[str]
) -> None:
    try:
        names = e2e.exported_names(requirement, module)
    except e2e.Unavailable as reason:
        pytest.skip(str(reason))
    missing = {
        task
        for task, classes in models._CLASSES.items()
        if accelerator in classes and not names & set(classes[accelerator])
    }
    assert missing == lacking
