"""``python -m accelprobe``: every option and exit status, in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tests.fake import build, cli, detect, dist, installed

if TYPE_CHECKING:
    from pathlib import Path

KEYS = ["openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx"]
STATUSES = {"available", "missing", "disabled", "leftover", "shadowed", "unowned", "error"}
OPTIONAL_STR = (str, type(None))
# The --json schema, version 1: every key, and the types its value may have.
SCHEMA: dict[str, Any] = {
    "schema": int,
    "accelprobe": str,
    "backends": list,
    "warnings": list,
    "selected": OPTIONAL_STR,
    "selection_error": OPTIONAL_STR,
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
    "probe": (dict, type(None)),
}
PYTHON_SCHEMA = {"version": str, "implementation": str, "executable": str}


def check_schema(data: dict[str, Any]) -> None:
    assert set(data) == set(SCHEMA)
    for key, kind in SCHEMA.items():
        assert isinstance(data[key], kind), key
    assert data["schema"] == 2
    assert (data["selected"] is None) != (data["selection_error"] is None)
    assert set(data["python"]) == set(PYTHON_SCHEMA)
    assert all(isinstance(data["python"][k], t) for k, t in PYTHON_SCHEMA.items())
    assert [entry["name"] for entry in data["backends"]] == KEYS
    for entry in data["backends"]:
        assert set(entry) == set(BACKEND_SCHEMA)
        for key, kind in BACKEND_SCHEMA.items():
            assert isinstance(entry[key], kind), key
        assert entry["status"] in STATUSES
        assert entry["available"] is (entry["status"] == "available")
        assert (entry["remedy"] is None) is entry["available"]
        assert all(isinstance(name, str) for name in entry["conflicts"])
        assert entry["probe"] is None  # only with --probe or --verify
    assert all(isinstance(warning, str) for warning in data["warnings"])


def report(*path: Path | str, cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = cli(*path, args=[], cwd=cwd, env=env)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    return completed.stdout


def warnings(*path: Path | str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    completed = cli(*path, args=["--json"], cwd=cwd, env=env)
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    check_schema(data)
    found: list[str] = data["warnings"]
    return found


def test_help_through_the_real_entry_point(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "accelprobe", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    for option in ("--json", "--select", "--require", "--version", "examples:", "exit status"):
        assert option in completed.stdout
    assert "(schema 2)" in completed.stdout
    assert max(len(line) for line in completed.stdout.splitlines()) <= 80


def test_report_with_nothing_installed(tmp_path: Path) -> None:
    text = report(cwd=tmp_path)
    assert text.startswith("accelprobe ")
    assert "onnxruntime    no   -" in text
    assert "no module named 'onnxruntime'" in text
    assert "select_accelerator() fails: no accelerator is available:" in text
    assert '\n    pip install "optimum-intel[openvino]"\n' in text
    assert f"python      {sys.version_info.major}.{sys.version_info.minor}." in text
    assert "\033[" not in text  # not a terminal: no colour
    assert max(len(line) for line in text.splitlines()) <= 80


def test_report_with_everything_installed(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**installed(*KEYS), **dist("torch", "1.18.0", "torch")})
    text = report(site, cwd=tmp_path)  # every backend __init__.py raises: none is imported
    assert "select_accelerator() picks ov" in text
    assert "WARNINGS" not in text
    for key in KEYS:
        assert f"\n{key:<15}yes  " in text


def test_json_with_everything_installed(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    completed = cli(site, args=["--json"], cwd=tmp_path)
    data = json.loads(completed.stdout)
    check_schema(data)
    assert data["selected"] == "ov"
    assert data["backends"][1]["distribution"] == "onnxruntime"
    assert data["backends"][1]["location"] == str(site / "onnxruntime")


def test_json_with_nothing_installed(tmp_path: Path) -> None:
    completed = cli(args=["--json"], cwd=tmp_path)
    data = json.loads(completed.stdout)
    check_schema(data)
    assert data["selected"] is None
    assert data["selection_error"].startswith("no accelerator is available")
    assert data["backends"][0]["remedy"] == "install with: pip install openvino"


def test_warning_conflicting_distributions(tmp_path: Path) -> None:
    site = build(
        tmp_path / "site",
        {**dist("onnxruntime-gpu", "1.18.0", "onnxruntime"), **dist("onnxruntime", "1.18.0")},
    )
    assert warnings(site, cwd=tmp_path) == [
        (
            "onnxruntime and onnxruntime-gpu are installed together and overwrite each other's "
            "onnxruntime files; repair with: pip uninstall -y onnxruntime onnxruntime-gpu && "
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


@pytest.mark.parametrize(
    ("torch", "expected"),
    [
        ("2.8.0+cpu", None),
        ("2.13.0", "is built for torch 2.8.* but torch 2.13.0 is installed"),
        (None, "intel-extension-for-pytorch 2.8.0+cpu is installed but torch is not"),
    ],
)
def test_warning_ipex_and_torch(tmp_path: Path, torch: str | None, expected: str | None) -> None:
    tree = dist("intel-extension-for-pytorch", "2.8.0+cpu", "intel_extension_for_pytorch")
    if torch:
        tree.update(dist("torch", torch, "torch"))
    found = warnings(build(tmp_path / "site", tree), cwd=tmp_path)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert expected in found[0]


def test_warning_disabled(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    env = {"ACCELPROBE_DISABLE": "ipex,ov"}
    assert warnings(site, cwd=tmp_path, env=env) == [
        "openvino is turned off by ACCELPROBE_DISABLE=ipex,ov",
        "ipex is turned off by ACCELPROBE_DISABLE=ipex,ov",
    ]
    text = report(site, cwd=tmp_path, env=env)
    assert "select_accelerator() picks ort" in text
    assert "! openvino is turned off by ACCELPROBE_DISABLE=ipex,ov" in text


@pytest.mark.parametrize(
    ("args", "installed_keys", "status", "stdout", "stderr"),
    [
        (["--select"], KEYS, 0, "ov\n", ""),
        (["--select", "ORT"], KEYS, 0, "ort\n", ""),
        (["--select", "onnxruntime"], ["onnxruntime"], 1, "", "accelerator 'ort' is not available"),
        (["--select"], [], 1, "", "no accelerator is available:\n  ov needs"),
        (["--select", "cuda"], KEYS, 2, "", "usage: accelprobe"),
        (["--require", "onnxruntime,ov", "--select"], KEYS, 0, "ov\n", ""),
        (["--require", "ort, openvino"], ["onnxruntime"], 1, "", "openvino: no module named"),
        (["--require", "cuda"], KEYS, 2, "", "--require: unknown backend 'cuda'"),
        (["--require", ","], KEYS, 2, "", "name at least one backend"),
        (["--json", "--select"], KEYS, 2, "", "not allowed with argument"),
        (["--bogus"], KEYS, 2, "", "unrecognized arguments: --bogus"),
        (["--version"], [], 0, "accelprobe 0.1.0\n", ""),
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
    completed = cli(site, args=args, cwd=tmp_path)
    assert completed.returncode == status, completed.stderr
    assert stderr in completed.stderr
    if stdout or status:
        assert completed.stdout == stdout
    if status == 2:
        assert completed.stderr.startswith("usage: accelprobe")


def test_require_success_prints_the_report(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime"))
    completed = cli(site, args=["--require", "onnxruntime"], cwd=tmp_path)
    assert completed.returncode == 0
    assert "onnxruntime    yes  onnxruntime" in completed.stdout


def test_select_with_a_bad_environment_variable(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    completed = cli(site, args=["--select"], cwd=tmp_path, env={"ACCELPROBE_ACCELERATOR": "x"})
    assert completed.returncode == 1
    assert completed.stderr == (
        "ACCELPROBE_ACCELERATOR='x' is not a known accelerator; expected one of: ov, ort, ipex "
        "or the aliases openvino (ov), onnxruntime (ort)\n"
    )
    text = report(site, cwd=tmp_path, env={"ACCELPROBE_ACCELERATOR": "x"})
    assert "select_accelerator() fails: ACCELPROBE_ACCELERATOR='x' is not a known" in text


@pytest.mark.skipif(os.name == "nt", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_colour_only_on_a_terminal(tmp_path: Path, no_color: str, coloured: bool) -> None:
    import pty

    site = build(tmp_path / "site", installed("onnxruntime"))
    controller, terminal = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["NO_COLOR"] = no_color
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


def test_interpreter_and_platform_agree_with_the_platform_module() -> None:
    import platform

    from accelprobe.report import collect

    data = collect()
    assert data["python"] == {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    assert data["platform"] == f"{platform.system()} {platform.release()} {platform.machine()}"


def test_plain_report_skips_argparse(tmp_path: Path) -> None:
    after = (
        "import io, contextlib\n"
        "from accelprobe import report\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    result['status'] = report.main([])\n"
        "result['argparse'] = 'argparse' in sys.modules\n"
        "result['same'] = out.getvalue().startswith('accelprobe ')\n"
    )
    result = detect(cwd=tmp_path, after=after)
    assert result["status"] == 0
    assert result["same"] is True
    assert result["argparse"] is False
