"""Build real environments with real pip and uv from a cached wheelhouse.

The wheelhouse lives outside the repository, in ``~/.cache/accelprobe/realenv/wheels`` (the
folder ``$ACCELPROBE_REALENV_CACHE`` replaces ``~/.cache/accelprobe/realenv``). It is filled
on first use with ``pip download --no-deps`` of the exact versions below, under a file lock so
that parallel runs download once; afterwards every install is ``--no-index`` (no network).
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
import zipapp
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
ORACLE = (HERE / "oracle.py").read_text(encoding="utf-8")
CHILD = (HERE / "child.py").read_text(encoding="utf-8")
MARK = "@@realenv "

# The wheels the cases install, pinned so that the cache stays valid. torch 2.13.0 comes from
# pip's configured find-links or index (a CPU build for Python 3.11) where pip is set up so.
PINS = (
    "onnxruntime==1.32.0",
    "onnxruntime==1.31.1",
    "onnxruntime-gpu==1.31.1",
    "onnxruntime-openvino==1.24.1",
    "openvino==2026.4.1",
    "openvino-nightly==2024.5.0.dev20241105",
    "optimum==1.23.3",
    "optimum==1.27.0",
    "optimum==2.3.0",
    "optimum-intel==1.21.0",
    "optimum-intel==2.2.0",
    "optimum-onnx==0.1.0",
    "intel-extension-for-pytorch==2.8.0",
    "torch==2.13.0",
    # what `import torch` needs
    "typing-extensions==4.16.0",
    "filelock==4.3.1",
    "sympy==1.14.0",
    "mpmath==1.3.0",
    "networkx==3.6.1",
    "jinja2==3.1.6",
    "markupsafe==3.0.4",
    "fsspec==2026.9.0",
    # what `import transformers` needs (it checks each one's metadata), for the integrations
    "transformers==4.57.6",
    "huggingface-hub==0.36.2",
    "tokenizers==0.22.2",
    "safetensors==0.8.0",
    "regex==2026.11.19",
    "pyyaml==6.0.4",
    "requests==2.34.2",
    "tqdm==4.70.1",
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "idna==3.20",
    "urllib3==2.8.0",
    # every venv: accelprobe's dependency, and numpy, which onnxruntime and openvino import
    "packaging==26.4",
    "numpy==2.4.6",
    # tools: uv, and the build backends for the editable and wheel cases
    "uv==0.13.9",
    "setuptools==84.2.1",
    "hatchling==1.33.0",
    "pathspec==1.1.1",
    "pluggy==1.7.0",
    "trove-classifiers==2026.9.21.13",
    # hatchling's editable .pth is named by editables: `_NAME.pth` (0.5), `_editable_impl_NAME.pth`
    # (0.6, the current release, which pip's build isolation gets)
    "editables==0.6",
    "editables==0.5",
)
TORCH = (
    "torch==2.13.0",
    "typing-extensions",
    "filelock",
    "sympy",
    "mpmath",
    "networkx",
    "jinja2",
    "markupsafe",
    "fsspec",
)
TRANSFORMERS = (
    "transformers",
    "huggingface-hub",
    "tokenizers",
    "safetensors",
    "regex",
    "pyyaml",
    "requests",
    "tqdm",
    "certifi",
    "charset-normalizer",
    "idna",
    "urllib3",
    "filelock",
    "fsspec",
    "typing-extensions",
)
TOOLS = (
    "uv",
    "setuptools",
    "hatchling",
    "pathspec",
    "pluggy",
    "trove-classifiers",
    "editables==0.6",
)
BUILD = (*TOOLS, "packaging")
# Variables of the outer process that must not leak into the venvs' processes.
FOREIGN = ("PYTHON", "ACCELPROBE_", "PIP_", "UV_", "VIRTUAL_ENV", "CONDA", "COVERAGE_")


def cache_root() -> Path:
    default = os.path.join(os.path.expanduser("~"), ".cache", "accelprobe", "realenv")
    return Path(os.environ.get("ACCELPROBE_REALENV_CACHE") or default)


def interpreter() -> str | None:
    """A Python 3.11 to build the venvs with (torch 2.13.0's CPU wheel is for 3.11)."""
    chosen = os.environ.get("ACCELPROBE_REALENV_PYTHON")
    if chosen:
        return chosen
    if sys.version.startswith("3.11."):
        return sys.executable
    return shutil.which("python3.11")


def source() -> Path:
    """The accelprobe source tree to judge: this checkout, or $ACCELPROBE_REALENV_SOURCE."""
    return Path(os.environ.get("ACCELPROBE_REALENV_SOURCE") or ROOT)


def clean_environment(**extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    environment.update(extra)
    return environment


def _batches(pins: tuple[str, ...]) -> list[list[str]]:
    """Split pins so that no batch names a project twice (pip download refuses that)."""
    batches: list[list[str]] = []
    for pin in pins:
        name = pin.partition("==")[0]
        for batch in batches:
            if all(other.partition("==")[0] != name for other in batch):
                batch.append(pin)
                break
        else:
            batches.append([pin])
    return batches


def wheelhouse(python: str) -> Path:
    """The folder of pinned wheels, downloaded once (under a lock) and reused after."""
    folder = cache_root() / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256("\n".join(PINS).encode()).hexdigest()[:12]
    marker = folder / f".complete-{key}"
    if marker.exists():
        return folder
    import fcntl  # POSIX only, like this layer; imported here so that collection works anywhere

    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            for batch in _batches(PINS):
                command = [python, "-m", "pip", "download", "--quiet", "--no-deps"]
                command += ["--only-binary=:all:", "--dest", str(folder), *batch]
                subprocess.run(command, check=True, timeout=1800)
            marker.write_text("\n".join(PINS) + "\n", encoding="utf-8")
    return folder


def run(
    command: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; a failure raises with its output, so a broken step is loud."""
    completed = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        msg = f"{command} failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        raise RuntimeError(msg)
    return completed


def last_json(text: str) -> Any:
    for line in reversed(text.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
        if line.startswith("{"):
            return json.loads(line)
    msg = f"no result in {text[-2000:]!r}"
    raise RuntimeError(msg)


class Lab:
    """One per session: the wheelhouse, a tools folder (uv, build backends), a base venv."""

    def __init__(self, python: str, root: Path) -> None:
        self.python = python
        self.root = root
        self.wheels = wheelhouse(python)
        self.scratch = root / "scratch"
        self.scratch.mkdir(parents=True)
        self.uv_cache = root / "uv-cache"  # per session: uv's links point into it
        self.tools = root / "tools"
        self.base = root / "base"
        environment = clean_environment(PIP_CONFIG_FILE=os.devnull, HOME=str(root / "home"))
        run([python, "-m", "venv", str(self.base)], env=environment, cwd=root)
        base_python = str(self.base / "bin" / "python")
        install = [base_python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        install += ["--find-links", str(self.wheels)]
        run([*install, "--target", str(self.tools), *BUILD], env=environment, cwd=root)
        # accelprobe from this checkout (or another tree, to judge the judge against an old
        # release), built with hatchling from the tools folder, offline
        dist = root / "dist"
        build = [base_python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"]
        build += ["--no-build-isolation", "--wheel-dir", str(dist), str(source())]
        run(build, env={**environment, "PYTHONPATH": str(self.tools)}, cwd=root)
        (wheel,) = dist.glob("accelprobe-*.whl")
        run([*install, str(wheel), "packaging", "numpy"], env=environment, cwd=root)

    @property
    def uv(self) -> str:
        return str(self.tools / "bin" / "uv")

    def venv(self, name: str) -> Venv:
        """A copy of the base venv (as ``python -m venv`` plus pip would make, but fast)."""
        path = self.root / name
        shutil.copytree(self.base, path, symlinks=True)
        return Venv(self, path)


class Venv:
    """A venv built from the lab's base, with the environment its processes run in."""

    def __init__(self, lab: Lab, path: Path) -> None:
        self.lab = lab
        self.path = path
        self.python = str(path / "bin" / "python")
        self.home = path.parent / f"{path.name}-home"
        self.home.mkdir()
        self.work = path.parent / f"{path.name}-cwd"  # an empty working directory
        self.work.mkdir()
        self.extra: dict[str, str] = {}
        self.site = path / "lib" / "python3.11" / "site-packages"

    def environment(self, **more: str) -> dict[str, str]:
        return clean_environment(**{"HOME": str(self.home), **self.extra, **more})

    def pip(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Real pip, offline: ``install`` gets --no-index, the wheelhouse and --no-deps."""
        command = [self.python, "-m", "pip", args[0], "--quiet"]
        if args[0] == "install":
            command += ["--no-index", "--no-deps", "--find-links", str(self.lab.wheels)]
        if args[0] == "uninstall":
            command.append("--yes")
        environment = self.environment(PIP_CONFIG_FILE=os.devnull, **(env or {}))
        run([*command, *args[1:]], env=environment, cwd=self.work)

    def uv(self, *args: str) -> None:
        """Real uv (``uv pip ...``) against this venv, offline."""
        command = [self.lab.uv, "pip", args[0], "--python", self.python, "--quiet"]
        if args[0] == "install":
            command += [
                "--offline",
                "--no-index",
                "--no-deps",
                "--find-links",
                str(self.lab.wheels),
            ]
        uv_env = {"UV_CACHE_DIR": str(self.lab.uv_cache), "UV_NO_CONFIG": "1"}
        run([*command, *args[1:]], env=self.environment(**uv_env), cwd=self.work)

    def oracle(self) -> dict[str, Any]:
        completed = run([self.python, "-c", ORACLE], env=self.environment(), cwd=self.work)
        result: dict[str, Any] = last_json(completed.stdout)
        return result

    def accelprobe(self, *preload: str) -> dict[str, Any]:
        """What accelprobe says in a fresh process that first imports each of ``preload``."""
        command = [self.python, "-c", CHILD, *(("fresh", *preload) if preload else ())]
        completed = run(command, env=self.environment(), cwd=self.work)
        result: dict[str, Any] = last_json(completed.stdout)
        return result

    def serve(self) -> Server:
        return Server(self)


class Server:
    """The long-running child: alive across the pip steps, asked to refresh() after each."""

    def __init__(self, venv: Venv, timeout: float = 120) -> None:
        self.timeout = timeout
        self.log = (venv.path.parent / f"{venv.path.name}-serve.log").open("w")
        self.process = subprocess.Popen(
            [venv.python, "-c", CHILD, "serve"],
            env=venv.environment(),
            cwd=venv.work,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.read()

    def read(self) -> Any:
        stream: IO[str] | None = self.process.stdout
        assert stream is not None
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([stream], [], [], max(left, 0))
            if not ready:
                self.close()
                msg = "the long-running child did not answer in time"
                raise TimeoutError(msg)
            line = stream.readline()
            if not line:
                msg = f"the long-running child exited ({self.process.wait(10)})"
                raise RuntimeError(msg)
            if line.startswith(MARK):
                return json.loads(line[len(MARK) :])

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def project(root: Path, name: str, version: str, backend: str, *, src: bool = True) -> Path:
    """A tiny local project named ``name`` that provides an ``onnxruntime`` package."""
    root.mkdir(parents=True)
    package = (root / "src" / "onnxruntime") if src else (root / "onnxruntime")
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'__version__ = "{version}"\n', encoding="utf-8")
    if backend == "hatchling":
        build = 'requires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        where = "src/onnxruntime" if src else "onnxruntime"
        tool = f'[tool.hatch.build.targets.wheel]\npackages = ["{where}"]\n'
    else:
        build = 'requires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        tool = '[tool.setuptools.packages.find]\nwhere = ["src"]\n' if src else ""
        tool += "" if src else '[tool.setuptools]\npackages = ["onnxruntime"]\n'
    text = f'[build-system]\n{build}\n[project]\nname = "{name}"\nversion = "{version}"\n\n{tool}'
    (root / "pyproject.toml").write_text(text, encoding="utf-8")
    return root


def pyz(source: Path, target: Path) -> Path:
    """A zip application of the folder ``source`` (as shiv or pex would ship one)."""
    (source / "__main__.py").write_text("import onnxruntime\n", encoding="utf-8")
    zipapp.create_archive(source, target)
    return target
