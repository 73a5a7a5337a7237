"""Build real environments on disk and run detection against them in fresh interpreters."""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Callable, Union

from tests.children import common

Tree = dict[str, Union[str, bytes, "Tree"]]
Hook = Callable[[dict[str, Any]], None]
"""A function of tests/children (or a ``functools.partial`` of one with keywords) that a
fresh interpreter calls with its ``result``: see tests/_driver.py."""
Hooks = Union[Hook, tuple[Hook, ...], None]
"""What a child runs before or after ``import accelprobe``: one hook, several in order, none."""

# The version under test, as pip recorded it (the tests compare accelprobe's own reading).
VERSION = importlib.metadata.version("accelprobe")
DRIVER = Path(__file__).with_name("_driver.py").read_text(encoding="utf-8")
ROOT = Path(__file__).resolve().parent.parent  # the driver imports ``tests`` from here
# Children of a free-threaded interpreter run without the GIL too (-I drops PYTHON_GIL).
GIL = ["-X", "gil=0"] if sysconfig.get_config_var("Py_GIL_DISABLED") else []
# A backend's __init__.py: importing it during detection would fail the test loudly.
TRAP = "raise RuntimeError('accelprobe imported a backend while detecting it')\n"


def build(root: Path, tree: Tree) -> Path:
    """Write ``tree`` (name -> text, bytes or a nested tree) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in tree.items():
        target = root / name
        if isinstance(content, dict):
            build(target, content)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: fake\n\nBody\n"


def dist(
    name: str,
    version: str,
    module: str | None = None,
    *,
    copy: bool = True,
    info: Tree | None = None,
    needs: bool = True,
) -> Tree:
    """A wheel-style install of ``name``: its dist-info and, if ``copy``, its package.

    ``module`` is the dotted module the distribution ships (its package gets a trap
    ``__init__.py``); ``info`` replaces the dist-info's files. A backend's module brings,
    unless not ``needs``, the metadata of the distributions its import needs (``NEEDS``).
    """
    folder = f"{name.replace('-', '_')}-{version}.dist-info"
    tree: Tree = {}
    top = module.split(".")[0] if module else ""
    record = f"{module.replace('.', '/')}/__init__.py,,\n" if module else ""
    tree[folder] = (
        info
        if info is not None
        else {"METADATA": metadata(name, version), "RECORD": record, "top_level.txt": top + "\n"}
    )
    if module and copy:
        tree.update(package(module))
    if module and needs:
        tree.update(needed(module, but=name))
    return tree


def needed(module: str, *, but: str = "") -> Tree:
    """The metadata of the distributions that ``module``'s import needs (but ``but``)."""
    tree: Tree = {}
    for name, version in NEEDS.get(module, ()):
        if name != but:
            tree.update(dist(name, version))
    return tree


# What a backend's import needs, as the real wheels showed (accelprobe's facts say the same):
# numpy for the runtimes, the optimum distribution and transformers for the integrations.
_INTEGRATION_NEEDS = (("optimum", "2.3.0"), ("transformers", "4.57.6"))
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "onnxruntime": (("numpy", "2.4.6"),),
    "openvino": (("numpy", "2.4.6"),),
    "optimum.intel": _INTEGRATION_NEEDS,
    "optimum.onnxruntime": _INTEGRATION_NEEDS,
}


def package(module: str, init: str = TRAP) -> Tree:
    """Folders for the dotted ``module``, each with ``init`` as its ``__init__.py``."""
    parts = module.split(".")
    tree: Tree = {"__init__.py": init}
    for part in reversed(parts[1:]):
        tree = {part: tree}
    # optimum is a namespace package in the real wheels: no __init__.py in the parent.
    return {parts[0]: tree}


BACKEND_DISTS = {
    "openvino": ("openvino", "openvino"),
    "onnxruntime": ("onnxruntime", "onnxruntime"),
    "ipex": ("intel-extension-for-pytorch", "intel_extension_for_pytorch"),
    "optimum-intel": ("optimum-intel", "optimum.intel"),
    "optimum-onnx": ("optimum-onnx", "optimum.onnxruntime"),
}


# What a backend's distribution ships beside its module, as the real wheels do: optimum-intel
# 1.x its OpenVINO and IPEX integrations; IPEX needs torch of its own major.minor.
EXTRAS: dict[str, Tree] = {
    "optimum-intel": {
        "optimum": {"intel": {"openvino": {"__init__.py": TRAP}, "ipex": {"__init__.py": TRAP}}}
    },
}


def merge(*trees: Tree) -> Tree:
    """One tree from several: later files win, folders that several have are merged."""
    merged: Tree = {}
    for tree in trees:
        for name, content in tree.items():
            present = merged.get(name)
            if isinstance(content, dict) and isinstance(present, dict):
                merged[name] = merge(present, content)
            else:
                merged[name] = content
    return merged


def info(result: dict[str, Any], key: str) -> dict[str, Any]:
    """One backend's ``backend_info()``, as ``detect()`` recorded it by default."""
    found: dict[str, Any] = result["infos"][key]
    return found


def installed(*keys: str, version: str = "1.18.0") -> Tree:
    """A site folder with the given backends installed (and what each needs to work)."""
    tree: Tree = {}
    for key in keys:
        name, module = BACKEND_DISTS[key]
        tree = merge(tree, dist(name, version, module))
        tree = merge(tree, EXTRAS.get(key, {}))
        if key == "ipex":
            tree = merge(tree, dist("torch", version, "torch"))
    return tree


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without accelprobe's or Python's variables, plus ``env``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ACCELPROBE_", "PYTHON")) and key != "NO_COLOR"
    }
    environment.update(env or {})
    return environment


def _run_driver(
    settings: dict[str, Any], cwd: Path, env: dict[str, str] | None
) -> subprocess.CompletedProcess[str]:
    """Run tests/_driver.py with ``settings`` in a fresh interpreter, warnings as errors."""
    return subprocess.run(
        [sys.executable, "-I", *GIL, "-W", "error", "-c", DRIVER, json.dumps(settings)],
        cwd=cwd,
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_tuple(hooks: Hooks) -> tuple[Hook, ...]:
    """One hook, several or none, as a tuple."""
    if hooks is None:
        return ()
    return hooks if isinstance(hooks, tuple) else (hooks,)


def steps(hooks: Hooks) -> list[tuple[str, str, dict[str, Any]]]:
    """The driver's ``before`` or ``after``: each hook as ``[module, function, arguments]``."""
    found = []
    for hook in as_tuple(hooks):
        function, arguments = hook, {}
        if isinstance(hook, functools.partial):
            assert not hook.args, "a hook's arguments are keywords"
            function, arguments = hook.func, hook.keywords
        module, name = function.__module__, function.__qualname__
        assert module.startswith("tests."), f"{module}.{name} is not in the package tests"
        assert "." not in name, f"{module}.{name} is not a module's own function"
        found.append((module, name, arguments))
    return found


def config(path: tuple[str | Path, ...], before: Hooks, after: Hooks | str) -> dict[str, Any]:
    """The driver's configuration: ``path`` first on sys.path, the hooks to call.

    ``after`` as code (a string) is for test_ownership's ``_reads`` check alone, until the
    refactor of ``src`` changes it: every other test names functions.
    """
    return {
        "root": os.fspath(ROOT),
        "path": [os.fspath(entry) for entry in path],
        "before": steps(before),
        "after": after if isinstance(after, str) else steps(after),
    }


def report_config(*path: str | Path, args: list[str], before: Hooks = None) -> dict[str, Any]:
    """The driver's configuration to run ``python -m accelprobe ARGS`` after ``before``."""
    return {**config(path, before, None), "argv": args}


def cli(
    *path: str | Path,
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m accelprobe ARGS`` in a fresh interpreter whose sys.path starts with path."""
    return _run_driver(report_config(*path, args=args), cwd, env)


def detect(
    *path: str | Path,
    cwd: Path,
    before: Hooks = None,
    after: Hooks | str = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Import accelprobe in a fresh interpreter whose ``sys.path`` starts with ``path``.

    ``before`` runs before ``import accelprobe``, ``after`` after it (see tests/_driver.py).
    Returns what the driver recorded: ``flags``, ``imported``, and whatever ``after`` adds.
    By default ``after`` records every backend_info() as ``infos``.
    """
    completed = _run_driver(config(path, before, after or common.all_infos), cwd, env)
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout.strip().rsplit("\n", 1)[-1])
    result["stderr"] = completed.stderr
    return result
