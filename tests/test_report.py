"""``python -m accelprobe``: every option, exit status and output, in fresh interpreters.

Hostile outputs (an encoding that cannot carry a path, a broken pipe, ``/dev/full``, a
closed stdout) run the driver with the stream that the test hands it; the small pieces
(colour, width, wrapping, banners, the flush at exit) are checked in this process.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from accelprobe import _output, report
from tests.children import report as child
from tests.fake import (
    DRIVER,
    VERSION,
    Hook,
    Tree,
    build,
    cli,
    detect,
    dist,
    installed,
    merge,
    report_config,
)
from tests.runtimes import runtimes

KEYS = ["openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx"]
STATUSES = {
    "available",
    "missing",
    "disabled",
    "leftover",
    "shadowed",
    "unowned",
    "unusable",
    "error",
}
OPTIONAL_STR = (str, type(None))
# The --json schema, version 3: every key, and the types its value may have.
SCHEMA: dict[str, Any] = {
    "schema": int,
    "accelprobe": str,
    "status": int,
    "error": OPTIONAL_STR,
    "required": list,
    "requested": OPTIONAL_STR,
    "device": OPTIONAL_STR,
    "backends": list,
    "warnings": list,
    "selected": OPTIONAL_STR,
    "selection_error": OPTIONAL_STR,
    "packages": dict,
    "python": dict,
    "platform": str,
}
BACKEND_SCHEMA: dict[str, Any] = {
    "name": str,
    "module": str,
    "available": bool,
    "status": str,
    "distribution": OPTIONAL_STR,
    "version": OPTIONAL_STR,
    "location": OPTIONAL_STR,
    "reason": str,
    "remedy": OPTIONAL_STR,
    "conflicts": list,
    "hidden": list,
    "probe": (dict, type(None)),
}
PYTHON_SCHEMA = {"version": str, "implementation": str, "executable": str}
PACKAGES = ["optimum", "transformers", "torch", "numpy"]
NO_ACCELERATOR = "no accelerator is available:\n  ov needs"
# The environment every run starts from: no width or colour wishes of the caller's.
PLAIN = {"COLUMNS": "", "NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm"}


def check_schema(data: dict[str, Any], *, probed: bool = False) -> None:
    assert set(data) == set(SCHEMA)
    for key, kind in SCHEMA.items():
        assert isinstance(data[key], kind), key
    assert data["schema"] == report.SCHEMA == 3
    assert (data["status"] == 0) is (data["error"] is None)
    assert (data["selected"] is None) != (data["selection_error"] is None)
    assert set(data["python"]) == set(PYTHON_SCHEMA)
    assert all(isinstance(data["python"][k], t) for k, t in PYTHON_SCHEMA.items())
    assert list(data["packages"]) == PACKAGES
    assert all(isinstance(version, OPTIONAL_STR) for version in data["packages"].values())
    assert [entry["name"] for entry in data["backends"]] == KEYS
    for entry in data["backends"]:
        assert set(entry) == set(BACKEND_SCHEMA)
        for key, kind in BACKEND_SCHEMA.items():
            assert isinstance(entry[key], kind), key
        assert entry["status"] in STATUSES
        assert entry["available"] is (entry["status"] == "available")
        assert (entry["remedy"] is None) is entry["available"]
        assert all(isinstance(name, str) for name in entry["conflicts"] + entry["hidden"])
        if not probed:
            assert entry["probe"] is None  # only with --probe or --verify
    assert all(isinstance(warning, str) for warning in data["warnings"])


def run(
    *path: Path | str,
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return cli(*path, args=args, cwd=cwd, env={**PLAIN, **(env or {})})


def text_report(*path: Path | str, cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = run(*path, args=[], cwd=cwd, env=env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout


def json_report(
    *path: Path | str, cwd: Path, args: list[str] | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    completed = run(*path, args=["--json", *(args or [])], cwd=cwd, env=env)
    data: dict[str, Any] = json.loads(completed.stdout)
    check_schema(data, probed="--probe" in (args or []))
    assert data["status"] == completed.returncode
    return data


def warnings(*path: Path | str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    found: list[str] = json_report(*path, cwd=cwd, env=env)["warnings"]
    return found


def launch(
    *path: Path | str,
    args: list[str],
    cwd: Path,
    before: Hook | None = None,
    stdout: Any = subprocess.PIPE,
    stderr: Any = subprocess.PIPE,
    env: dict[str, str] | None = None,
    redirect: str = "",
) -> tuple[int, bytes, str]:
    """Run the report in the driver with the given streams; return status, stdout, stderr.

    Not isolated (``-I``), so that ``PYTHONIOENCODING`` applies; ``redirect`` wraps the
    command in ``sh -c`` for redirections such as ``>&-``.
    """
    config = report_config(*path, args=args, before=before)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ACCELPROBE_", "PYTHON"))}
    environ.update({**PLAIN, **(env or {})})
    command = [sys.executable, "-W", "error", "-c", DRIVER, json.dumps(config)]
    if redirect:
        command = ["/bin/sh", "-c", f'exec "$0" "$@" {redirect}', *command]
    completed = subprocess.run(
        command, cwd=cwd, env=environ, stdout=stdout, stderr=stderr, timeout=120, check=False
    )
    error = completed.stderr.decode("utf-8", "replace") if completed.stderr else ""
    return completed.returncode, completed.stdout or b"", error


# --- the report and its JSON ---------------------------------------------------------------


def test_help_through_the_real_entry_point(tmp_path: Path) -> None:
    for option in ("--help", "-h"):
        completed = subprocess.run(
            [sys.executable, "-m", "accelprobe", option],
            cwd=tmp_path,
            env={**os.environ, "COLUMNS": "80"},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert completed.returncode == 0
        assert completed.stdout.startswith("usage: python -m accelprobe [")
        for word in ("--json", "--markdown", "--select", "--device", "--require", "-V, --version"):
            assert word in completed.stdout
        assert "examples:" in completed.stdout
        assert "(schema 3)" in completed.stdout
        assert "120 the output could not be written" in completed.stdout
        assert max(len(line) for line in completed.stdout.splitlines()) <= 80


def test_report_with_nothing_installed(tmp_path: Path) -> None:
    text = text_report(cwd=tmp_path)
    assert text.startswith("accelprobe ")
    assert "onnxruntime    no   -" in text
    assert "no module named 'onnxruntime'" in text
    assert "select_accelerator() fails: no accelerator is available:" in text
    assert '\n    pip install "optimum-intel[openvino]"\n' in text
    assert f"\npython      {sys.version.split()[0]} (" in text
    assert "\npackages    optimum -, transformers -, torch -, numpy -\n" in text
    assert "\033[" not in text  # not a terminal: no colour
    assert max(len(line) for line in text.splitlines()) <= 80


def test_report_with_everything_installed(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**installed(*KEYS), **dist("numpy", "2.1.0", "numpy")})
    text = text_report(site, cwd=tmp_path)  # every backend __init__.py raises: none is imported
    assert "select_accelerator() picks ov" in text
    assert "WARNINGS" not in text
    assert "\npackages    optimum 2.3.0, transformers 4.57.6, torch 1.18.0, numpy 2.1.0\n" in text
    for key in KEYS:
        assert f"\n{key:<15}yes  " in text


def test_json_with_everything_installed(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    data = json_report(site, cwd=tmp_path)
    assert data["selected"] == "ov"
    assert data["backends"][1]["distribution"] == "onnxruntime"
    assert data["backends"][1]["location"] == str(site / "onnxruntime")
    assert data["packages"] == {  # each installed beside the backends that need it
        "optimum": "2.3.0",
        "transformers": "4.57.6",
        "torch": "1.18.0",
        "numpy": "2.4.6",
    }


def test_json_with_nothing_installed(tmp_path: Path) -> None:
    data = json_report(cwd=tmp_path)
    assert data["status"] == 0
    assert data["required"] == []
    assert data["requested"] is None
    assert data["device"] is None
    assert data["selected"] is None
    assert data["selection_error"].startswith("no accelerator is available")
    assert data["backends"][0]["remedy"] == "install with: pip install openvino"
    assert data["python"]["version"] == sys.version.split()[0]


def test_python_version_as_sys_version_says_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "version", "3.15.0rc1 (main, Oct  1 2026) [GCC 14.2.0]")
    data = report.collect()
    assert data["python"]["version"] == "3.15.0rc1"
    text = report._render(data, report._Style(None, plain=True), 80)
    assert "\npython      3.15.0rc1 (" in text


def test_interpreter_and_platform_agree_with_the_platform_module() -> None:
    import platform

    data = report.collect()
    assert data["python"] == {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    assert data["platform"] == f"{platform.system()} {platform.release()} {platform.machine()}"


# torch/version.py as PyPI's CUDA wheel of torch 2.14.1 writes it (its METADATA says 2.14.1).
TORCH_VERSION_PY = """\
from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'xpu']
__version__ = '2.14.1+cu130'
debug = False
cuda: Optional[str] = '13.0'
"""


@pytest.mark.parametrize(
    ("metadata", "version_py", "reported"),
    [
        ("2.14.1", TORCH_VERSION_PY, "2.14.1+cu130"),
        ("2.14.1", '__version__: str = "2.14.1+cpu"\n', "2.14.1+cpu"),
        ("2.14.1", "__version__ = '2.13.0+cu128'\n", "2.14.1"),  # another build's leftover
        ("2.14.1", "__version__ = '2.14.1+cu130; import os'\n", "2.14.1"),
        ("2.14.1", "cuda = '13.0'\n", "2.14.1"),  # no __version__ in it
        ("2.14.1", {"x.py": ""}, "2.14.1"),  # a folder named version.py is never read
        ("2.14.1", None, "2.14.1"),  # no version.py
        ("2.14.1", "", "2.14.1"),  # no torch package at all: its dist-info alone
        ("2.14.1+cpu", "__version__ = '2.14.1+cu130'\n", "2.14.1+cpu"),  # metadata says it
    ],
)
def test_torch_with_its_build_tag_read_as_text(
    tmp_path: Path, metadata: str, version_py: str | Tree | None, reported: str
) -> None:
    """What ``optimum-cli env`` shows (``torch.__version__``), from torch/version.py unimported."""
    tree = dist("torch", metadata, "torch", copy=version_py != "")  # imported, it raises
    if isinstance(version_py, str) and version_py:
        version_py += "raise RuntimeError\n"
    if version_py:
        tree = merge(tree, {"torch": {"version.py": version_py}})
    site = build(tmp_path / "site", tree)
    data = json_report(tmp_path / "empty", site, cwd=tmp_path)
    assert data["packages"]["torch"] == reported
    assert f", torch {reported}, " in text_report(site, cwd=tmp_path)


def test_markdown_is_a_block_to_paste(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime"))
    completed = run(site, args=["--markdown"], cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == "```text"
    assert lines[1].startswith("accelprobe ")
    assert lines[-1] == "```"
    assert "\033[" not in completed.stdout  # never coloured, even when forced
    assert "onnxruntime    yes  onnxruntime" in completed.stdout


@pytest.mark.parametrize(
    ("text", "fence"),
    [("plain", "```"), ("a `path`", "```"), ("a ```` fence", "`````")],
)
def test_markdown_fence_is_longer_than_any_backticks_inside(text: str, fence: str) -> None:
    assert report._markdown(text) == f"{fence}text\n{text}\n{fence}"


# --- warnings ------------------------------------------------------------------------------


def test_warning_conflicting_distributions(tmp_path: Path) -> None:
    site = build(
        tmp_path / "site",
        {
            **dist("onnxruntime-gpu", "1.18.0", "onnxruntime"),
            **dist("onnxruntime", "1.18.0", "onnxruntime"),
        },
    )
    data = json_report(site, cwd=tmp_path)
    entry = data["backends"][1]
    names = [entry["distribution"], *entry["conflicts"]]
    assert sorted(names) == ["onnxruntime", "onnxruntime-gpu"]
    assert data["warnings"] == [
        (
            f"{names[0]} and {names[1]} are installed together and overwrite each other's "
            f"onnxruntime files; repair with: pip uninstall -y {names[0]} {names[1]} && "
            "pip install onnxruntime-gpu (or whichever one you want)"
        )
    ]


def test_warning_shadowing_script(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("openvino"))
    work = build(tmp_path / "work", {"openvino.py": ""})
    shadow = work / "openvino.py"
    assert warnings("", site, cwd=work) == [
        (
            f"a file {shadow} shadows openvino 1.18.0 installed in {site}; "
            f"rename or remove {shadow}, which hides the installed package"
        )
    ]


def test_warning_leftover_with_and_without_metadata(tmp_path: Path) -> None:
    site = build(
        tmp_path / "site",
        {**dist("onnxruntime-gpu", "1.18.0"), "onnxruntime": {}, "openvino": {"a": ""}},
    )
    found = warnings(site, cwd=tmp_path)
    assert found == [
        (
            f"{site / 'openvino'} is a folder without __init__.py, not an installed package; "
            f"remove {site / 'openvino'}, then install with: pip install openvino"
        ),
        (
            f"onnxruntime-gpu 1.18.0 is installed but {site / 'onnxruntime'} is a folder "
            "without __init__.py; reinstall with: pip install --force-reinstall onnxruntime-gpu"
        ),
    ]


@pytest.mark.parametrize("torch", ["2.8.0+cpu", "2.13.0", None])
def test_warning_ipex_and_torch_once(tmp_path: Path, torch: str | None) -> None:
    """Detection calls IPEX without its torch ``unusable``; the report says it once."""
    tree = dist("intel-extension-for-pytorch", "2.8.0+cpu", "intel_extension_for_pytorch")
    if torch:
        tree.update(dist("torch", torch, "torch"))
    data = json_report(build(tmp_path / "site", tree), cwd=tmp_path)
    ipex = data["backends"][2]
    if torch == "2.8.0+cpu":
        assert ipex["status"] == "available"
        assert data["warnings"] == []
    else:
        assert ipex["status"] == "unusable"
        assert data["warnings"] == [f"{ipex['reason']}; {ipex['remedy']}"]
        assert "torch" in ipex["reason"]


def test_warning_disabled_and_unknown_tokens(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    value = "ipex, cuda,ov,,Open VINO,tpu"
    env = {"ACCELPROBE_DISABLE": value}
    found = warnings(site, cwd=tmp_path, env=env)
    assert found[0].startswith(
        f"ignoring 'cuda' in ACCELPROBE_DISABLE={value}: unknown backend 'cuda'; expected a backend"
    )
    assert found[1].startswith(f"ignoring 'tpu' in ACCELPROBE_DISABLE={value}: unknown backend")
    assert found[2:] == [
        f"openvino is turned off by ACCELPROBE_DISABLE={value}",
        f"ipex is turned off by ACCELPROBE_DISABLE={value}",
    ]
    text = text_report(site, cwd=tmp_path, env=env)
    assert "select_accelerator() picks ort" in text
    assert f"! openvino is turned off by ACCELPROBE_DISABLE={value}" in text


ENTRY = {
    "name": "onnxruntime",
    "module": "onnxruntime",
    "available": True,
    "status": "available",
    "distribution": "onnxruntime",
    "version": "1.18.0",
    "location": "/site/onnxruntime",
    "reason": "onnxruntime 1.18.0 is installed",
    "remedy": None,
    "conflicts": [],
    "hidden": [],
    "probe": None,
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        (
            {"hidden": ["onnxruntime-gpu"]},
            [
                (
                    "onnxruntime-gpu is installed too, later on sys.path, hidden by onnxruntime "
                    "1.18.0; uninstall the one you do not use"
                )
            ],
        ),
        (
            {"hidden": ["onnxruntime-gpu 1.17.0", "ort-nightly 1.19.0"]},
            [
                (
                    "onnxruntime-gpu 1.17.0 and ort-nightly 1.19.0 are installed too, later on "
                    "sys.path, hidden by onnxruntime 1.18.0; uninstall the one you do not use"
                )
            ],
        ),
        (
            {"version": "1.17.0", "reason": "1.17.0 is loaded; a restart uses 1.18.0"},
            ["1.17.0 is loaded; a restart uses 1.18.0"],
        ),
    ],
)
def test_warning_hidden_and_loaded(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any], expected: list[str]
) -> None:
    monkeypatch.delenv("ACCELPROBE_DISABLE", raising=False)
    assert report._warnings([{**ENTRY, **changes}]) == expected


def test_warning_hidden_and_loaded_end_to_end(tmp_path: Path) -> None:
    first = build(tmp_path / "first", installed("onnxruntime"))
    second = build(tmp_path / "second", dist("onnxruntime-gpu", "1.17.0", "onnxruntime"))
    package = first / "onnxruntime"
    # an older onnxruntime loaded before it was upgraded: its spec, not its code
    init = str(package / "__init__.py")
    before = partial(child.old_onnxruntime, package=str(package), init=init)
    code, stdout, stderr = launch(first, second, args=["--json"], cwd=tmp_path, before=before)
    assert code == 0, stderr
    data = json.loads(stdout)
    check_schema(data)
    entry = data["backends"][1]
    assert entry["hidden"] == [f"onnxruntime-gpu 1.17.0 in {second}"]
    assert data["warnings"] == [
        (
            f"onnxruntime-gpu 1.17.0 in {second} is installed too, later on sys.path, hidden "
            f"by onnxruntime {entry['version']}; uninstall the one you do not use"
        ),
        entry["reason"],
    ]
    assert "1.16.0" in entry["reason"]


# --- options and exit statuses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "installed_keys", "status", "stdout", "stderr"),
    [
        (["--select"], KEYS, 0, "ov\n", ""),
        (["--select", "ORT"], KEYS, 0, "ort\n", ""),
        (["--select", "onnxruntime"], ["onnxruntime"], 1, "", "accelerator 'ort' is not available"),
        (["--select"], [], 1, "", NO_ACCELERATOR),
        (["--select", "cuda"], KEYS, 2, "", "--select: 'cuda' is not a known accelerator"),
        (["--select", "--device", "tpu"], KEYS, 2, "", "--device: unknown device 'tpu'"),
        (["--select", "--device", "cpu"], [], 1, "", "available with a"),
        (["--device", "cpu"], [], 1, "", "no accelerator is available with a cpu device"),
        (["--require", "onnxruntime,ov", "--select"], KEYS, 0, "ov\n", ""),
        (["--require", "onnxruntime,ov"], KEYS, 0, "", ""),
        (["--require", "ort, openvino"], ["onnxruntime"], 1, "", "openvino: no module named"),
        (["--require", "ort", "--select"], [], 1, "", "onnxruntime: no module named"),
        (["--require", "cuda"], KEYS, 2, "", "--require: unknown backend 'cuda'"),
        (["--require", ","], KEYS, 2, "", "name at least one backend"),
        (["--markdown", "--select"], KEYS, 2, "", "--markdown: not allowed with argument"),
        (["--bogus"], KEYS, 2, "", "unrecognized arguments: --bogus"),
        (["--version"], [], 0, f"accelprobe {VERSION}\n", ""),
        (["-V"], [], 0, f"accelprobe {VERSION}\n", ""),
    ],
)
def test_options_and_exit_status(
    tmp_path: Path,
    *,
    args: list[str],
    installed_keys: list[str],
    status: int,
    stdout: str,
    stderr: str,
) -> None:
    site = build(tmp_path / "site", installed(*installed_keys))
    completed = run(site, args=args, cwd=tmp_path)
    assert completed.returncode == status, completed.stderr
    assert stderr in completed.stderr
    assert completed.stdout == stdout
    if not stderr:
        assert completed.stderr == ""
    if status == 2:
        assert completed.stderr.startswith("usage: python -m accelprobe")
        assert "\npython -m accelprobe: error: " in completed.stderr
        assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("args", "installed_keys", "status", "error"),
    [
        ([], KEYS, 0, None),
        (["--require", "ort,ov"], KEYS, 0, None),
        (["--require", "ort,ov"], ["onnxruntime"], 1, "required backends are not available:"),
        (["--select"], KEYS, 0, None),
        (["--select", "ort"], ["onnxruntime"], 1, "accelerator 'ort' is not available"),
        (["--select"], [], 1, "no accelerator is available:"),
        (["--select", "--device", "cpu"], [], 1, "no accelerator is available with a"),
        (["--device", "cpu"], [], 1, "no accelerator is available with a cpu device"),
        (["--require", "ipex", "--select", "ov"], ["onnxruntime"], 1, "required backends"),
        (["--select", "cuda"], KEYS, 2, "--select: 'cuda' is not a known accelerator"),
        (["--require", "cuda"], KEYS, 2, "--require: unknown backend 'cuda'"),
        (["--device", "tpu"], KEYS, 2, "--device: unknown device 'tpu'"),
        (["--bogus"], KEYS, 2, "unrecognized arguments: --bogus"),
        (["--markdown"], KEYS, 2, "argument --markdown: not allowed with argument --json"),
    ],
)
def test_json_on_every_outcome(
    tmp_path: Path, args: list[str], installed_keys: list[str], status: int, error: str | None
) -> None:
    site = build(tmp_path / "site", installed(*installed_keys))
    completed = run(site, args=["--json", *args], cwd=tmp_path)
    assert completed.returncode == status
    data = json.loads(completed.stdout)  # one object, and nothing else
    check_schema(data)
    assert data["status"] == status
    if error is None:
        assert data["error"] is None
        assert completed.stderr == ""
    else:
        assert error in data["error"]
    if status == 2:  # bad usage: the usage on stderr too
        assert completed.stderr.startswith("usage: python -m accelprobe")
    else:
        assert completed.stderr == ""


def test_json_names_the_request(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    data = json_report(site, cwd=tmp_path, args=["--select", "ORT", "--require", "ov,ort"])
    assert data["requested"] == "ORT"
    assert data["selected"] == "ort"
    assert data["required"] == ["openvino", "onnxruntime"]
    data = json_report(site, cwd=tmp_path, args=["--js", "--device", " CPU "])
    assert data["device"] == "cpu"
    assert data["selection_error"].startswith("no accelerator is available with a")


def test_device_in_the_report(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**runtimes(), **installed("optimum-intel", "optimum-onnx")})
    completed = run(site, args=["--device", "gpu"], cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "select_accelerator(device='gpu') picks ov" in completed.stdout
    completed = run(site, args=["--select", "ort", "--device", "cuda"], cwd=tmp_path)
    assert completed.returncode == 1
    assert "*" not in completed.stderr  # the EP Error banner, tidied to one line
    assert completed.stderr.startswith("accelerator 'ort' is not available: ort shows no cuda")
    completed = run(site, args=["--device", "cuda"], cwd=tmp_path)  # as --select: exit 1
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.startswith("no accelerator is available with a cuda device:")


def test_require_success_prints_nothing_unless_asked(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime"))
    completed = run(site, args=["--require", "onnxruntime"], cwd=tmp_path)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")
    completed = run(site, args=["--require", "onnxruntime", "--markdown"], cwd=tmp_path)
    assert completed.returncode == 0
    assert "onnxruntime    yes  onnxruntime" in completed.stdout


def test_one_list_of_names_for_select_require_and_the_docs(tmp_path: Path) -> None:
    """--select's and --require's errors list the same names, from the facts; so does cli.md."""
    from accelprobe._facts import ACCELERATOR_NAMES, BACKEND_NAMES

    errors = [
        run(args=[option, "cuda"], cwd=tmp_path).stderr.splitlines()[-1]
        for option in ("--select", "--require")
    ]
    lists = [error.rpartition("; names: ")[2] for error in errors]
    assert lists[0] == lists[1]
    assert set(re.findall(r"[\w-]+", lists[0])) - {"accelerators", "backends", "or"} == {
        *ACCELERATOR_NAMES,
        *BACKEND_NAMES,
    }
    cli_md = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"Names: {lists[0]}." in " ".join(cli_md.split())


def test_select_with_a_bad_environment_variable(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    env = {"ACCELPROBE_ACCELERATOR": "x"}
    completed = run(site, args=["--select"], cwd=tmp_path, env=env)
    assert completed.returncode == 1
    assert completed.stderr == (
        "ACCELPROBE_ACCELERATOR='x' is not a known accelerator; expected an accelerator; "
        "names: accelerators ov (or openvino), ort (or onnxruntime), ipex; backends openvino "
        "(or ov), onnxruntime (or ort), ipex (or intel-extension-for-pytorch), optimum-intel, "
        "optimum-onnx (or optimum-onnxruntime)\n"
    )
    text = text_report(site, cwd=tmp_path, env=env)
    assert "select_accelerator() fails: ACCELPROBE_ACCELERATOR='x' is not a known" in text


# --- the probe in the report ---------------------------------------------------------------


def test_probe_says_a_missing_backend_once_and_tidies_banners(tmp_path: Path) -> None:
    tree = {name: item for name, item in runtimes().items() if not name.startswith("openvino")}
    site = build(tmp_path / "site", tree)
    text = run(site, args=["--verify"], cwd=tmp_path).stdout
    assert (
        "\nopenvino       no   -                           -\n  no module named 'openvino'\n"
        in (text)
    )
    assert "probe: not installed" not in text
    assert "    CUDAExecutionProvider [gpu, cuda]; did not run: fell back to\n" in text
    assert "EP Error libcudnn.so.9 missing" in text
    assert "*" not in text
    data = json_report(site, cwd=tmp_path, args=["--probe"])
    assert data["backends"][0]["probe"]["reason"].startswith("not installed: no module named")
    assert data["backends"][1]["probe"]["ok"] is True
    assert data["backends"][3]["probe"] is None  # optimum-intel: not a runtime


@pytest.mark.parametrize(
    ("message", "tidy"),
    [
        ("", ""),
        ("plain  words\n here", "plain words here"),
        (
            (
                "fell back: *************** EP Error ***************\nEP Error x when using "
                "['CUDA']\nFalling back.\n****************************************"
            ),
            "fell back: EP Error x when using ['CUDA'] Falling back.",
        ),
        ("a ** b", "a b"),
        ("** one two three four five six", "one two three four five six"),
        ("a * b c * f", "a f"),
        ("a * b c d e * f", "a b c d e f"),
    ],
)
def test_tidy(message: str, tidy: str) -> None:
    assert report._tidy(message) == tidy


# --- colour and width ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def isatty(self) -> bool:
        msg = "I/O operation on closed file"
        raise ValueError(msg)


@pytest.mark.parametrize(
    ("environ", "stream", "coloured"),
    [
        ({}, Terminal(), True),
        ({}, io.StringIO(), False),
        ({}, None, False),
        ({}, Closed(), False),
        ({"NO_COLOR": "1"}, Terminal(), False),
        ({"NO_COLOR": ""}, Terminal(), True),
        ({"FORCE_COLOR": "1"}, io.StringIO(), True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, io.StringIO(), False),
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, io.StringIO(), True),
        ({"TERM": "dumb"}, Terminal(), False),
    ],
)
def test_colour(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], stream: Any, coloured: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    style = report._Style(stream)
    assert style.enabled is coloured
    assert (style("yes", "32") == "\033[32myes\033[0m") is coloured


@pytest.mark.parametrize(
    ("columns", "tty", "width"),
    [("", False, 80), ("", True, 123), ("100", False, 100), ("10", True, 40), ("x", False, 80)],
)
@pytest.mark.skipif(os.name == "nt", reason="needs a POSIX pseudo-terminal")
def test_width(monkeypatch: pytest.MonkeyPatch, columns: str, tty: bool, width: int) -> None:
    import fcntl
    import pty
    import struct
    import termios

    monkeypatch.setenv("COLUMNS", columns)
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 123, 0, 0))
    try:
        with open(terminal, "w", closefd=False) as stream:
            assert report._width(stream if tty else io.StringIO()) == width
    finally:
        os.close(terminal)
        os.close(controller)


def test_a_selection_error_without_a_command() -> None:
    """--device's error says what each runtime showed; there is nothing to install."""
    data = report.collect()
    data["selected"], data["device"] = None, "cuda"
    data["selection_error"] = (
        "no accelerator is available with a cuda device:\n"
        "  ort shows no cuda device (CPUExecutionProvider ran)\n"
        "  ipex needs optimum-intel and ipex (...); install with: pip install x"
    )
    text = report._render(data, report._Style(None, plain=True), 80).splitlines()
    start = text.index("ACCELERATOR")
    assert text[start + 1 : start + 5] == [
        "select_accelerator(device='cuda') fails: no accelerator is available with a cuda",
        "  device:",
        "  ort shows no cuda device (CPUExecutionProvider ran)",
        "  ipex needs optimum-intel and ipex (...)",
    ]
    assert text[start + 5] == "    pip install x"


def test_lines_fill_the_width() -> None:
    data = report.collect()
    data["backends"] = [{**ENTRY, "available": False, "reason": "word " * 40}]
    for width in (60, 100):
        text = report._render(data, report._Style(None, plain=True), width)
        reason = [line for line in text.splitlines() if line.strip().startswith("word")]
        assert max(len(line) for line in reason) <= width
        assert len(reason[0]) > width - 6


LONG_PATH = "/srv/someone/.local/share/virtualenvs/project-x1y2z3/lib/python3.11/site-packages"


@pytest.mark.parametrize("width", [60, 72, 80])
@pytest.mark.parametrize("separator", ["/", "\\"])
def test_a_long_path_breaks_after_a_separator(width: int, separator: str) -> None:
    """No line over the width where a break is possible, and "at" never alone on a line."""
    location = (LONG_PATH + "/onnxruntime").replace("/", separator)
    data = report.collect()
    data["backends"] = [{**ENTRY, "location": location}]
    data["warnings"] = [f"a file {location} shadows the installed package; rename it"]
    data["python"] = {**data["python"], "executable": location + separator + "python"}
    text = report._render(data, report._Style(None, plain=True), width).splitlines()
    assert max(len(line) for line in text) <= width
    assert "  at" not in text
    start = next(index for index, line in enumerate(text) if line.startswith("  at "))
    pieces = [text[start][5:]]
    for line in text[start + 1 :]:
        if not line.startswith("    "):
            break
        pieces.append(line.strip())
    assert "".join(pieces) == location
    assert all(piece.endswith(separator) for piece in pieces[:-1])


def test_a_word_without_a_separator_overflows_alone() -> None:
    text = report._Text(40)
    text.fill("short " + "x" * 50 + " a/b")
    assert text.lines == ["  short", "    " + "x" * 50, "    a/b"]


@pytest.mark.skipif(os.name == "nt", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(
    ("environ", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)]
)
def test_colour_on_a_real_terminal(tmp_path: Path, environ: dict[str, str], coloured: bool) -> None:
    import pty

    site = build(tmp_path / "site", installed("onnxruntime"))
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update({**PLAIN, **environ})
    code = "import sys; sys.path.insert(0, sys.argv[1]); import runpy; sys.argv[1:] = []; "
    code += "runpy.run_module('accelprobe', run_name='__main__')"
    process = subprocess.Popen(
        [sys.executable, "-I", "-c", code, str(site)], stdout=terminal, cwd=tmp_path, env=env
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the child exits
            break
        if not chunk:  # pragma: no cover - BSD reports the end this way
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert (b"\033[32myes\033[0m" in output) is coloured
    assert (b"\033[" in output) is coloured


# --- hostile outputs -----------------------------------------------------------------------


ESCAPED = "\\u6a21\\u578b"  # 模型, in neither ASCII nor cp1252


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize(
    ("args", "status"),
    [([], 0), (["--json"], 0), (["--probe"], 0), (["--markdown"], 0), (["--require", "ov"], 1)],
)
def test_an_output_encoding_that_cannot_carry_the_paths(
    tmp_path: Path, encoding: str, args: list[str], status: int
) -> None:
    site = build(tmp_path / "sité 模型", installed("onnxruntime", "openvino"))
    work = build(tmp_path / "wörk 模型", {"openvino.py": ""})  # shadows, naming both paths
    code, stdout, stderr = launch("", site, args=args, cwd=work, env={"PYTHONIOENCODING": encoding})
    assert code == status, stderr
    assert "Traceback" not in stderr
    output = stdout.decode(encoding)
    if args == ["--json"]:
        assert json.loads(output)["backends"][1]["location"] == str(site / "onnxruntime")
    elif status:
        assert f"a file {tmp_path}" in stderr
        assert ESCAPED in stderr
    else:
        assert f"at {tmp_path}" in output
        assert ESCAPED in output


UNWRITABLE_ARGS = [[], ["--json"], ["--select"], ["--help"], ["--version"], ["--bogus", "--json"]]


@pytest.mark.parametrize("args", UNWRITABLE_ARGS)
def test_a_broken_pipe(tmp_path: Path, args: list[str]) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    reader, writer = os.pipe()
    os.close(reader)  # as `| head -c0` does: whatever is written meets EPIPE
    try:
        status, _, stderr = launch(site, args=args, cwd=tmp_path, stdout=writer)
    finally:
        os.close(writer)
    assert status == 120
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", UNWRITABLE_ARGS)
def test_a_full_disk(tmp_path: Path, args: list[str]) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    with open("/dev/full", "wb") as full:
        status, _, stderr = launch(site, args=args, cwd=tmp_path, stdout=full)
    assert status == 120
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


@pytest.mark.parametrize(
    ("args", "status"),
    [([], 120), (["--select"], 120), (["--require", "ort"], 1), (["--require", "ov"], 0)],
)
def test_a_closed_stdout(tmp_path: Path, args: list[str], status: int) -> None:
    site = build(tmp_path / "site", installed("openvino", "optimum-intel"))
    code, _, stderr = launch(site, args=args, cwd=tmp_path, redirect=">&-")
    assert code == status
    assert "Traceback" not in stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_unwritable_stderr_keeps_the_status(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        status, _, _ = launch(args=["--require", "ort"], cwd=tmp_path, stderr=full)
    assert status == 1
    status, _, _ = launch(args=["--bogus"], cwd=tmp_path, redirect="2>&-")
    assert status == 2


class Failing(io.StringIO):
    """A stream whose every write or flush fails as a broken pipe does."""

    def write(self, _: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError


class Ascii(io.StringIO):
    encoding = "ascii"

    def write(self, text: str) -> int:
        text.encode(self.encoding)
        return super().write(text)


class FlushOnce(io.StringIO):
    """A stream whose first flush works and every later one fails."""

    flushed = False

    def flush(self) -> None:
        if self.flushed:
            raise BrokenPipeError
        self.flushed = True


def test_main_in_this_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ACCELPROBE_DISABLE", raising=False)
    monkeypatch.delenv("ACCELPROBE_ACCELERATOR", raising=False)
    monkeypatch.setattr(sys, "stdout", None)
    assert report.main([]) == 120
    assert report.main(["--require", "ort,ov"]) == 1  # nothing is installed in this process
    output = Ascii()
    monkeypatch.setattr(sys, "stdout", output)
    monkeypatch.setattr(sys, "stderr", Failing())
    assert report.main(["--bogus"]) == 2
    monkeypatch.setattr(sys, "executable", str(tmp_path / "模型"))
    assert report.main([]) == 0
    assert ESCAPED in output.getvalue()
    monkeypatch.setattr(sys, "stdout", FlushOnce())
    assert report.main(["-V"]) == 120  # written, but the final flush fails


def test_silence(tmp_path: Path) -> None:
    _output.silence(None)
    _output.silence(io.StringIO())  # no file descriptor
    with open(tmp_path / "out", "w", encoding="utf-8") as stream:
        _output.silence(stream)
        os.write(stream.fileno(), b"gone")
    assert (tmp_path / "out").read_bytes() == b""
    free = os.open(os.devnull, os.O_RDONLY)
    os.close(free)  # the next descriptor opened is this one

    class Stale(io.StringIO):
        def fileno(self) -> int:
            return free

    _output.silence(Stale())
    os.close(free)  # silence() left os.devnull open on it


# --- speed ---------------------------------------------------------------------------------


def test_plain_report_imports_nothing_costly(tmp_path: Path) -> None:
    code = (
        "import sys; before = set(sys.modules)\n"
        "from accelprobe.report import main\n"
        "status = main([])\n"
        "print(' '.join(sorted(set(sys.modules) - before)), file=sys.stderr)\n"
        "raise SystemExit(status)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=tmp_path,
        env={**os.environ, **PLAIN},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("accelprobe ")
    assert set(completed.stderr.split()) <= {
        "__future__",
        "accelprobe",
        "accelprobe._advice",
        "accelprobe._facts",
        "accelprobe._metadata",
        "accelprobe._output",  # writes every byte or exits 120: a file, no import
        "accelprobe._version",  # the report says accelprobe's version: a file, no import
        "accelprobe.backends",
        "accelprobe.report",
    }


def test_plain_report_skips_argparse(tmp_path: Path) -> None:
    result = detect(cwd=tmp_path, after=child.plain_report)
    assert result["status"] == 0
    assert result["same"] is True
    assert result["argparse"] is False


def test_help_goes_to_standard_output(tmp_path: Path) -> None:
    completed = cli(args=["--help"], cwd=tmp_path, env={"COLUMNS": "80"})
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: python -m accelprobe")


@pytest.mark.parametrize("prog", ["accelprobe", "python -m accelprobe"])
def test_usage_names_the_command_as_it_was_run(
    capsys: pytest.CaptureFixture[str], prog: str
) -> None:
    """The console script says ``accelprobe``; ``python -m accelprobe`` says so (__main__.py)."""
    keywords = {} if prog == "accelprobe" else {"prog": prog}
    assert report.main(["--help"], **keywords) == 0
    assert capsys.readouterr().out.startswith(f"usage: {prog} [")
    assert report.main(["--bogus"], **keywords) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"usage: {prog} [")
    assert f"\n{prog}: error: unrecognized arguments: --bogus" in error
