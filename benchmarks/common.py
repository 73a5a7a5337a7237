"""Shared by the benchmarks: build environments and time fresh interpreters side by side."""

from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
# The release that import_time.py compares with: 0.2.0's commit, or any git revision
# named by ACCELPROBE_BENCH_BASELINE.
BASELINE = os.environ.get("ACCELPROBE_BENCH_BASELINE") or "bc54bfd756366e54f2d1457adf54b1442a9cb7a8"
BACKENDS = {
    "openvino": "openvino",
    "onnxruntime": "onnxruntime",
    "intel-extension-for-pytorch": "intel_extension_for_pytorch",
    "optimum-intel": "optimum/intel",
    "optimum-onnx": "optimum/onnxruntime",
}
# What the backends' imports need, installed beside them (metadata only), so that each one is
# available: numpy for the runtimes, optimum and transformers for the integrations, and the
# torch of IPEX's major.minor.
NEEDED = ("numpy", "optimum", "transformers", "torch")
# Real METADATA files carry a long description; 20 kB keeps reading them honest.
BODY = "A long project description.\n" * 700
EMPTY_SHA256 = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"  # RECORD's digest of an empty file


def write_dist(site: Path, name: str, module: str | None, version: str = "1.18.0") -> None:
    """Install a fake distribution of ``name`` (shipping ``module``) into ``site``.

    As a wheel installs it: its ``RECORD`` lists the module's files and its own.
    """
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n{BODY}", encoding="utf-8"
    )
    files = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    if module:
        package = site / module
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        files.insert(0, f"{module}/__init__.py,sha256={EMPTY_SHA256},0")
    (info / "RECORD").write_text("\n".join(files) + "\n", encoding="utf-8")


def environment(name: str, *, backends: bool, padding: int = 0) -> Path:
    """A site folder with every backend (or none) and ``padding`` unrelated distributions."""
    site = CACHE / name
    marker = site / ".complete-with-records"
    if not marker.exists():
        for index in range(padding):
            write_dist(site, f"padding-{index:04d}", f"padding_{index:04d}")
        if backends:
            for dist, module in BACKENDS.items():
                write_dist(site, dist, module)
            for dist in NEEDED:
                write_dist(site, dist, None)
        site.mkdir(parents=True, exist_ok=True)
        marker.write_text("", encoding="utf-8")
    return site


def optimum() -> tuple[Path, str]:
    """optimum 2.3.0 and packaging (downloaded once): their folder, and code to load the helpers.

    ``optimum/utils/import_utils.py`` is loaded as a file: the package's ``__init__`` needs
    torch and transformers. It only runs where optimum is installed, so every environment
    timed here has optimum's folder on sys.path too, for accelprobe as well.
    """
    folder = CACHE / "optimum"
    source = folder / "optimum" / "utils" / "import_utils.py"
    if not source.exists() or not (folder / "packaging").is_dir():  # the helpers import it
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade"]
        command += ["--target", str(folder), "optimum==2.3.0", "packaging==25.0"]
        subprocess.run(command, check=True, timeout=600)
    load = (
        "import importlib.util as u; "
        f"s = u.spec_from_file_location('optimum_import_utils', {str(source)!r}); "
        "s.loader.exec_module(u.module_from_spec(s))"
    )
    return folder, load


def current_code() -> Path:
    """A fresh copy of this checkout's ``src/accelprobe``: the folder to put on sys.path."""
    folder = CACHE / "code" / "current"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT / "src" / "accelprobe", folder / "accelprobe")
    return folder


def baseline_code(revision: str = BASELINE) -> Path | None:
    """``src/accelprobe`` at ``revision``, from ``git archive``: the folder for sys.path.

    None, with the reason printed, where git or the revision is not there (an sdist).
    """
    folder = CACHE / "code" / revision.replace("/", "_")
    if (folder / "accelprobe" / "__init__.py").exists():
        return folder
    command = ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src/accelprobe"]
    try:
        archive = subprocess.run(command, check=True, capture_output=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        print(f"(no baseline: git archive {revision} failed: {error})")
        return None
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(staging)  # noqa: S202 - this repository's own tree
    shutil.rmtree(folder, ignore_errors=True)
    (staging / "src").rename(folder)
    shutil.rmtree(staging)
    return folder


def zipped(folder: Path, name: str) -> Path:
    """The package in ``folder`` as a zip of sources only: importing it compiles every module."""
    target = CACHE / "code" / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as bundle:
        for source in sorted((folder / "accelprobe").glob("*.py")):
            bundle.write(source, f"accelprobe/{source.name}")
    return target


def on_path(folder: Path) -> str:
    """Code that puts ``folder`` (or a zip) first on sys.path, as an installed package is found."""
    return f"import sys; sys.path.insert(0, {str(folder)!r}); "


def prelude(*sites: Path) -> str:
    """Code that puts ``sites`` on sys.path the way site-packages gets there."""
    return "import site; " + "".join(f"site.addsitedir({str(site)!r}); " for site in sites)


def time_processes(
    variants: dict[str, str], runs: int, *, paired: str | None = None
) -> dict[str, float]:
    """Median wall time, in ms, of ``python -I -c CODE`` per variant, runs interleaved.

    With ``paired`` (a variant's name), each other variant's figure is that variant's median
    plus the median of the differences within each round: a machine that slows down or
    speeds up during the run moves both sides of each difference alike.
    """
    samples: dict[str, list[float]] = {name: [] for name in variants}
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ACCELPROBE_", "PYTHON"))}

    def run(code: str) -> None:
        command = [sys.executable, "-I", "-c", code]
        subprocess.run(command, check=True, env=environ, stdout=subprocess.DEVNULL)

    for code in variants.values():  # warm up: compile bytecode, fill the disk cache
        run(code)
    for _ in range(runs):
        for name, code in variants.items():
            start = time.perf_counter()
            run(code)
            samples[name].append((time.perf_counter() - start) * 1000)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    if paired is None:
        return medians
    reference = samples[paired]
    return {
        name: medians[paired]
        + statistics.median(value - base for value, base in zip(values, reference))
        for name, values in samples.items()
    }


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
