"""Import cost of accelprobe in a real environment of about 300 distributions.

A venv (Python 3.11) built with real pip from a cached wheelhouse: the dependency tree that pip
resolves for torch 2.13.0 (CPU), transformers, optimum 2.3.0, onnxruntime 1.32.0, openvino
2026.4.1 and optimum-intel 2.2.0, pinned below (61 distributions), plus optimum-onnx 0.1.0
(``--no-deps``: it pins optimum~=2.1), hatchling to build accelprobe offline, and accelprobe
from this checkout. It is padded to about 300 with real small distributions: the smallest
pure-Python wheels of the folder of wheels named by ``$ACCELPROBE_REALENV_PADDING`` (a local
package index's files), installed with pip ``--no-deps``; where it is unset (the default) the
venv is not padded and the count says so. Timed as fresh processes, interleaved:
- bare interpreter, ``import accelprobe``, and optimum's ``optimum/utils/import_utils.py``
  loaded alone (as benchmarks/common.py does), all in that venv;
- two-owner hashing: ``import accelprobe`` (and ``backend_info("onnxruntime")``) with
  onnxruntime alone in a folder, and with onnxruntime then onnxruntime-gpu in the same folder.
Budgets: <= 3 ms over bare at ~300 distributions; hashing only where two accepted
distributions share a folder. Everything large lives in ``~/.cache/accelprobe/realenv``
(``$ACCELPROBE_REALENV_CACHE``): the wheelhouse the realenv tests share, and the venvs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from common import verdict

ROOT = Path(__file__).resolve().parent.parent
TARGET = 300
# `pip install --dry-run --report` for the six requirements named in the docstring, pinned.
TREE = (
    "annotated-doc==0.0.7",
    "anyio==4.16.0",
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "click==8.5.1",
    "cloudpickle==3.1.3",
    "filelock==4.3.1",
    "flatbuffers==25.12.19",
    "fsspec==2026.9.0",
    "h11==0.16.0",
    "hf-xet==1.8.0",
    "httpcore==1.0.9",
    "httpx==0.28.1",
    "huggingface-hub==1.21.0",
    "idna==3.20",
    "jinja2==3.1.6",
    "joblib==1.6.0",
    "markdown-it-py==4.3.0",
    "markupsafe==3.0.4",
    "mdurl==0.1.2",
    "ml-dtypes==0.6.0",
    "mpmath==1.3.0",
    "narwhals==2.29.0",
    "networkx==3.6.1",
    "ninja==1.13.2",
    "nncf==3.4.0",
    "numpy==2.4.6",
    "onnx==1.23.2",
    "onnxruntime==1.32.0",
    "openvino==2026.4.1",
    "openvino-telemetry==2025.2.0",
    "openvino-tokenizers==2026.4.1.0",
    "optimum==2.3.0",
    "optimum-intel==2.2.0",
    "packaging==26.4",
    "pillow==13.0.0",
    "protobuf==7.36.2",
    "psutil==7.2.2",
    "pydot==4.0.1",
    "pygments==2.21.0",
    "pyparsing==3.3.3",
    "pyyaml==6.0.4",
    "regex==2026.11.19",
    "requests==2.34.2",
    "rich==15.0.0",
    "safetensors==0.8.0",
    "scikit-learn==1.9.1",
    "scipy==1.17.1",
    "setuptools==84.2.1",
    "shellingham==1.5.4",
    "sympy==1.14.0",
    "tabulate==0.10.0",
    "threadpoolctl==3.8.0",
    "tokenizers==0.22.2",
    "torch==2.13.0",
    "torchvision==0.28.0",
    "tqdm==4.70.1",
    "transformers==5.5.4",
    "typer==0.25.1",
    "typing-extensions==4.16.0",
    "urllib3==2.8.0",
)
EXTRA = (
    "optimum-onnx==0.1.0",
    "hatchling==1.33.0",
    "pathspec==1.1.1",
    "pluggy==1.7.0",
    "trove-classifiers==2026.9.21.13",
)
GPU = "onnxruntime-gpu==1.31.1"
ORT = "onnxruntime==1.32.0"
ENVIRON = {
    k: v for k, v in os.environ.items() if not k.startswith(("ACCELPROBE_", "PYTHON", "PIP_"))
}


def cache_root() -> Path:
    default = Path.home() / ".cache" / "accelprobe" / "realenv"
    return Path(os.environ.get("ACCELPROBE_REALENV_CACHE") or default)


def interpreter() -> str:
    """A Python 3.11: $ACCELPROBE_REALENV_PYTHON, this one, or ``python3.11`` on PATH."""
    chosen = os.environ.get("ACCELPROBE_REALENV_PYTHON")
    if chosen:
        return chosen
    if sys.version.startswith("3.11."):
        return sys.executable
    found = shutil.which("python3.11")
    if found:
        return found
    msg = "no Python 3.11 found: set ACCELPROBE_REALENV_PYTHON"
    raise SystemExit(msg)


def call(*command: str, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(
        command,
        check=True,
        timeout=1800,
        capture_output=True,
        text=True,
        env={**ENVIRON, **(env or {})},
    )
    return completed.stdout


def wheelhouse(python: str) -> Path:
    """The shared wheelhouse with every pin above (downloaded once; pip skips what is there)."""
    folder = cache_root() / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    pins = (*TREE, *EXTRA, GPU)
    marker = folder / f".bench-{hashlib.sha256(repr(pins).encode()).hexdigest()[:12]}"
    if not marker.exists():
        call(python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--dest", str(folder), *pins)  # fmt: skip
        marker.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return folder


def install(python: str, wheels: Path, *requirements: str, target: Path | None = None) -> None:
    command = [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    command += ["--find-links", str(wheels)]
    command += ["--target", str(target)] if target else []
    call(*command, *requirements, env={"PIP_CONFIG_FILE": os.devnull})


def canonical(name: str) -> str:
    return name.replace("_", "-").replace(".", "-").lower()


def padding(have: set[str], count: int) -> list[str]:
    """The ``count`` smallest pure-Python wheels of $ACCELPROBE_REALENV_PADDING not installed."""
    index = os.environ.get("ACCELPROBE_REALENV_PADDING")
    chosen: list[str] = []
    if not index:
        return chosen
    wheels = sorted(Path(index).glob("*-none-any.whl"), key=lambda path: path.stat().st_size)
    for wheel in wheels:
        name = canonical(wheel.name.split("-")[0])
        if len(chosen) == count:
            break
        if name in have:
            continue
        with zipfile.ZipFile(wheel) as archive:  # no .pth: it would run code at every start
            if any(member.endswith(".pth") for member in archive.namelist()):
                continue
        have.add(name)
        chosen.append(str(wheel))
    return chosen


def distributions(python: str) -> list[str]:
    code = "import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata['Name'])"
    return call(python, "-I", "-c", code).split()


def venv(base: str, path: Path) -> str:
    python = str(path / "bin" / "python")
    if not Path(python).exists():
        call(base, "-m", "venv", str(path))
    return python


def big_venv(base: str, wheels: Path) -> str:
    """The ~300-distribution venv, built once (accelprobe is installed on each run)."""
    path = cache_root() / "bench" / "venv-300"
    python = venv(base, path)
    marker = path / ".complete"
    if not marker.exists():
        install(python, wheels, *TREE, *EXTRA)
        have = {canonical(name) for name in distributions(python)} | {"accelprobe"}
        extra = padding(have, TARGET - len(have))
        if extra:
            install(python, wheels, *extra)
        marker.write_text("", encoding="utf-8")
    return python


def owner_venvs(base: str, wheels: Path) -> tuple[str, str]:
    """Two small venvs: onnxruntime alone; onnxruntime then onnxruntime-gpu (one folder)."""
    folder = cache_root() / "bench"
    one = venv(base, folder / "venv-one-owner")
    two = venv(base, folder / "venv-two-owners")
    for python, steps in ((one, [[ORT]]), (two, [[ORT], [GPU]])):
        marker = Path(python).parent.parent / ".complete"
        if not marker.exists():
            install(python, wheels, "packaging")
            for step in steps:  # pip overwrites onnxruntime's files with onnxruntime-gpu's
                install(python, wheels, *step)
            marker.write_text("", encoding="utf-8")
    return one, two


def install_accelprobe(builder: str, *pythons: str) -> None:
    """Build accelprobe from this checkout (hatchling from the big venv, offline); install it."""
    dist = cache_root() / "bench" / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    command = [builder, "-m", "pip", "wheel", "--quiet", "--no-index", "--no-deps"]
    call(*command, "--no-build-isolation", "--wheel-dir", str(dist), str(ROOT))
    (wheel,) = dist.glob("accelprobe-*.whl")
    for python in pythons:
        command = [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        call(*command, "--force-reinstall", str(wheel), env={"PIP_CONFIG_FILE": os.devnull})


def time_processes(variants: dict[str, tuple[str, str]], runs: int) -> dict[str, float]:
    """Median wall time, in ms, of ``PYTHON -I -c CODE`` per variant, runs interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in variants}

    def run(python: str, code: str) -> None:
        command = [python, "-I", "-c", code]
        subprocess.run(command, check=True, env=ENVIRON, stdout=subprocess.DEVNULL, timeout=120)

    for python, code in variants.values():  # warm up: compile bytecode, fill the disk cache
        run(python, code)
    for _ in range(runs):
        for name, (python, code) in variants.items():
            start = time.perf_counter()
            run(python, code)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def show(title: str, times: dict[str, float]) -> None:
    print(f"\n{title}")
    for name, value in times.items():
        print(f"  {name:<26} {value:8.2f}")


def scale(python: str, runs: int) -> bool:
    names = distributions(python)
    site = Path(python).parent.parent / "lib" / "python3.11" / "site-packages"
    source = site / "optimum" / "utils" / "import_utils.py"
    load_optimum = (
        "import importlib.util as u; "
        f"s = u.spec_from_file_location('optimum_import_utils', {str(source)!r}); "
        "s.loader.exec_module(u.module_from_spec(s))"
    )
    variants = {
        "bare": "pass",
        "bare+importlib.metadata": "import importlib.metadata",
        "accelprobe": "import accelprobe",
        "optimum import_utils": load_optimum,
    }
    times = time_processes({name: (python, code) for name, code in variants.items()}, runs)
    show(f"real venv, {len(names)} distributions (median of {runs} fresh processes, ms)", times)
    ours = times["accelprobe"] - times["bare"]
    theirs = times["optimum import_utils"] - times["bare"]
    met = ours <= 3.0
    print(
        f"  accelprobe over bare: {ours:.2f} ms (budget 3 ms) -> {verdict(met)};"
        f" optimum's helpers over bare: {theirs:.2f} ms ({theirs / max(ours, 0.01):.1f}x ours)"
    )
    report = "import accelprobe, json; print(json.dumps([(i.name, i.available, i.distribution, i.version) for i in accelprobe.all_backends()]))"  # noqa: E501
    print(
        "  detected: "
        + ", ".join(
            f"{n}={d} {v}" if a else f"{n}=no"
            for n, a, d, v in json.loads(call(python, "-I", "-c", report))
        )
    )
    return met


def hashing(one: str, two: str, runs: int) -> bool:
    info = "import accelprobe; accelprobe.backend_info('onnxruntime')"
    variants = {
        "bare, one owner": (one, "pass"),
        "bare, two owners": (two, "pass"),
        "import, one owner": (one, "import accelprobe"),
        "import, two owners": (two, "import accelprobe"),
        "backend_info, one owner": (one, info),
        "backend_info, two owners": (two, info),
    }
    times = time_processes(variants, runs)
    show(f"two-owner hashing (median of {runs} fresh processes, ms)", times)
    probe = (
        "import sys; import accelprobe; flag = 'hashlib' in sys.modules; "
        "i = accelprobe.backend_info('onnxruntime'); "
        "print(flag, 'hashlib' in sys.modules, i.distribution, i.version, list(i.conflicts))"
    )
    seen = {}
    for label, python in (("one owner", one), ("two owners", two)):
        seen[label] = call(python, "-I", "-c", probe).split(maxsplit=4)
        flag, after, dist, version, conflicts = seen[label]
        print(
            f"  {label}: hashlib imported by the import: {flag}, after backend_info: {after};"
            f" owner {dist} {version}, conflicts {conflicts}"
        )
    extra_import = (times["import, two owners"] - times["bare, two owners"]) - (
        times["import, one owner"] - times["bare, one owner"]
    )
    extra_info = (times["backend_info, two owners"] - times["bare, two owners"]) - (
        times["backend_info, one owner"] - times["bare, one owner"]
    )
    print(f"  two owners cost {extra_import:.2f} ms more at import, {extra_info:.2f} ms with info")
    met = seen["one owner"][:2] == ["False", "False"]
    print(f"  no hashing with one owner (hashlib never imported): {verdict(met)}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="fresh processes per variant")
    runs = parser.parse_args().runs
    base = interpreter()
    wheels = wheelhouse(base)
    python = big_venv(base, wheels)
    one, two = owner_venvs(base, wheels)
    install_accelprobe(python, python, one, two)
    ok = scale(python, runs)
    ok = hashing(one, two, runs) and ok
    print(f"\nreal-scale budgets: {verdict(ok)}")


if __name__ == "__main__":
    main()
