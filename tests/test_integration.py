"""Detection against the real wheels, installed with ``pip --no-deps --target``.

The wheels are downloaded on first use into ``.cache/integration/`` (or
``$ACCELPROBE_INTEGRATION_CACHE``) and reused afterwards. Run with ``pytest -m integration``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.children import common, integration
from tests.fake import detect

pytestmark = pytest.mark.integration

# name -> (requirement, pip platform options). Versions are pinned so the cache stays valid;
# the platform is fixed so one cache serves every interpreter (nothing is imported).
LINUX = ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"]
WINDOWS = ["--platform", "win_amd64"]
WHEELS = {
    "onnxruntime": ("onnxruntime==1.32.0", LINUX),
    "openvino": ("openvino==2026.4.1", LINUX),
    "optimum": ("optimum==2.3.0", LINUX),
    "optimum-onnx": ("optimum-onnx==0.1.0", LINUX),
    "optimum-intel": ("optimum-intel==2.2.0", LINUX),
    "ipex": ("intel-extension-for-pytorch==2.8.0", LINUX),
    "onnxruntime-directml": ("onnxruntime-directml==1.24.4", WINDOWS),
    # what the imports need (numpy for the runtimes, transformers for the integrations); in
    # every run, as the backends' own dependencies would be
    "numpy": ("numpy==2.4.6", LINUX),
    "transformers": ("transformers==4.57.6", LINUX),
}
VERSIONS = {name: requirement.partition("==")[2] for name, (requirement, _) in WHEELS.items()}


def _install(target: Path, requirements: list[str], platform: list[str]) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--python-version", "3.11", *platform]
    command += ["--target", str(target), *requirements]
    subprocess.run(command, check=True, timeout=1800)


@pytest.fixture(scope="session")
def wheels() -> dict[str, Path]:
    """One folder per wheel (plus ``both``: onnxruntime and -directml in one folder)."""
    key = hashlib.sha256(repr(sorted(WHEELS.items())).encode()).hexdigest()[:12]
    default = Path.home() / ".cache" / "accelprobe" / "integration"
    cache = Path(os.environ.get("ACCELPROBE_INTEGRATION_CACHE", default)) / key
    folders: dict[str, Path] = {}
    jobs = {name: ([requirement], platform) for name, (requirement, platform) in WHEELS.items()}
    jobs["both"] = ([WHEELS["onnxruntime"][0]], LINUX)
    for name, (requirements, platform) in jobs.items():
        folder = cache / name
        if not (folder / ".complete").exists():
            _install(folder, requirements, platform)
            if name == "both":  # a second install into the same folder, as people do
                _install(folder, [WHEELS["onnxruntime-directml"][0]], WINDOWS)
            (folder / ".complete").write_text("", encoding="utf-8")
        folders[name] = folder
    return folders


def run(wheels: dict[str, Path], *names: str, cwd: Path) -> dict[str, Any]:
    after = (common.all_infos, integration.selected)
    names = tuple(dict.fromkeys((*names, "numpy", "transformers")))
    return detect(*(wheels[name] for name in names), cwd=cwd, after=after)


def test_everything_installed(wheels: dict[str, Path], tmp_path: Path) -> None:
    result = run(wheels, *WHEELS.keys() - {"onnxruntime-directml"}, cwd=tmp_path)
    assert result["flags"] == {**dict.fromkeys(result["flags"], True), "ipex": False}
    assert result["selected"] == "ov"
    infos = result["infos"]
    assert infos["onnxruntime"]["version"] == VERSIONS["onnxruntime"]
    assert infos["openvino"]["version"] == VERSIONS["openvino"]
    assert infos["ipex"]["distribution"] == "intel-extension-for-pytorch"
    # IPEX declares no torch, and imports only beside its own major.minor.
    assert infos["ipex"]["reason"] == (
        "intel-extension-for-pytorch 2.8.0 needs torch 2.8, but torch is not installed, "
        "so it cannot be imported"
    )
    assert infos["optimum-intel"]["version"] == VERSIONS["optimum-intel"]
    assert infos["optimum-onnx"]["version"] == VERSIONS["optimum-onnx"]
    assert "importlib.metadata" not in result["imported"]


@pytest.mark.parametrize(
    ("names", "selected"),
    [
        (("onnxruntime", "optimum", "optimum-onnx", "optimum-intel", "ipex"), "ort"),
        # optimum-intel 2 has no optimum.intel.ipex, and IPEX has no torch here.
        (("optimum", "optimum-intel", "ipex"), "no accelerator is available"),
        (("openvino", "onnxruntime", "ipex"), "no accelerator is available"),
        (("optimum", "optimum-onnx", "onnxruntime-directml"), "ort"),
        # optimum-onnx imports optimum, which --no-deps left out
        (("optimum-onnx", "onnxruntime-directml"), "no accelerator is available"),
    ],
)
def test_selection(
    wheels: dict[str, Path], tmp_path: Path, names: tuple[str, ...], selected: str
) -> None:
    assert run(wheels, *names, cwd=tmp_path)["selected"].startswith(selected)


def test_directml_variant(wheels: dict[str, Path], tmp_path: Path) -> None:
    found = run(wheels, "onnxruntime-directml", cwd=tmp_path)["infos"]["onnxruntime"]
    assert found["available"]
    assert found["distribution"] == "onnxruntime-directml"
    assert found["version"] == VERSIONS["onnxruntime-directml"]


def test_two_onnxruntime_distributions_in_one_folder(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    found = run(wheels, "both", cwd=tmp_path)["infos"]["onnxruntime"]
    assert found["available"]
    assert found["distribution"] == "onnxruntime"
    assert found["conflicts"] == ["onnxruntime-directml"]


def test_script_in_working_directory_shadows_the_wheel(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "openvino.py").write_text("", encoding="utf-8")
    found = detect("", wheels["openvino"], cwd=tmp_path)
    openvino = found["flags"]["openvino"]
    assert openvino is False


@pytest.fixture(scope="session")
def runtimes() -> Path:
    """ONNX Runtime and OpenVINO with their dependencies, for this interpreter (cached)."""
    requirements = [WHEELS["onnxruntime"][0], WHEELS["openvino"][0]]
    tag = f"runtimes-py{sys.version_info.major}.{sys.version_info.minor}"
    key = hashlib.sha256(repr(requirements).encode()).hexdigest()[:12]
    default = Path.home() / ".cache" / "accelprobe" / "integration"
    folder = Path(os.environ.get("ACCELPROBE_INTEGRATION_CACHE", default)) / key / tag
    if not (folder / ".complete").exists():
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--only-binary=:all:"]
        subprocess.run([*command, "--target", str(folder), *requirements], check=True)
        (folder / ".complete").write_text("", encoding="utf-8")
    return folder


def test_probe_real_runtimes_on_the_cpu(runtimes: Path, tmp_path: Path) -> None:
    result = detect(runtimes, cwd=tmp_path, after=integration.probe_real_runtimes)
    for isolated in (False, True):
        ort = result[f"onnxruntime {isolated}"]
        assert ort["ok"], ort["reason"]
        assert ort["version"] == VERSIONS["onnxruntime"]
        cpu = {device["name"]: device for device in ort["devices"]}["CPUExecutionProvider"]
        assert (cpu["ran"], cpu["detail"]) == (True, "ran on CPUExecutionProvider")
        ov = result[f"openvino {isolated}"]
        assert ov["ok"], ov["reason"]
        assert ov["version"].startswith(VERSIONS["openvino"])
        cpu = {device["name"]: device for device in ov["devices"]}["CPU"]
        assert cpu["ran"] is True
        assert cpu["description"]  # the processor's full name
    assert result["cpu"] == "ov"
    assert result["cpu ort"] == "ort"
    assert result["cuda"].startswith("no accelerator is available with a cuda device:")
