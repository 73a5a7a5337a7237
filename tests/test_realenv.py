"""accelprobe against environments built the way users build them: real pip and uv, offline.

Each case copies a base venv (Python 3.11, accelprobe from this checkout), runs real pip/uv
steps from the cached wheelhouse (tests/realenv/support.py), and after each step compares
what accelprobe says — in a fresh interpreter, and from ``refresh()`` in a long-running one
that stays alive across the steps — with the oracle's truth (tests/realenv/oracle.py), which
shares no code with accelprobe. Every comparison becomes a row of ``.cache/realenv/table.md``.
Run with ``nox -s realenv`` or ``pytest -m realenv``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.realenv.support import (
    ROOT,
    TORCH,
    TRANSFORMERS,
    Lab,
    Server,
    Venv,
    interpreter,
    project,
    pyz,
    run,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.realenv

# (tool, arguments, label): a step; with a label the environment is judged after it.
Step = tuple[str, str, "str | None"]
ORT = "onnxruntime==1.32.0"
GPU = "onnxruntime-gpu==1.31.1"
OV_ORT = "onnxruntime-openvino==1.24.1"
OPENVINO = "openvino==2026.4.1"
EDITABLE = "acme-ort-fork"  # not in ONNXRUNTIME_DISTRIBUTIONS; ships an `onnxruntime` package
ZIPPED = "acme-ort-zipped"
EGG = "acme-ort-egg"
NIGHTLY = "openvino-nightly==2024.5.0.dev20241105"  # its __version__: 2024.5.0-17277-84e68373791
WITH_TRANSFORMERS = "install " + " ".join(TRANSFORMERS)
IPEX_HINT = 'pip install "optimum-intel[ipex]<2"'
LINK = {mode: {"UV_LINK_MODE": mode} for mode in ("copy", "hardlink", "symlink")}


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    show: tuple[str, ...] = ("onnxruntime",)  # the backends the table shows
    serve: bool = True  # a long-running child refreshes after each step
    system_site: bool = False
    env: dict[str, str] = field(default_factory=dict)  # for every process, {tmp} expanded
    folders: tuple[str, ...] = ()  # made before the long-running child starts, {tmp} expanded


def orders(tool: str, *, gpu_first: bool, title: str = "") -> Case:
    """onnxruntime and onnxruntime-gpu in one order, with an uninstall and a reinstall."""
    again = "--force-reinstall" if tool == "pip" else "--reinstall"
    first, then = (GPU, ORT) if gpu_first else (ORT, GPU)
    gone = then.partition("==")[0]
    steps: tuple[Step, ...] = (
        (tool, f"install {first}", f"install {first}"),
        (tool, f"install {then}", f"then {then}"),
        (tool, f"uninstall {gone}", f"uninstall {gone}"),
        (tool, f"install {again} {first}", f"reinstall {first}"),
    )
    return Case(title or f"{tool}: {'gpu then ort' if gpu_first else 'ort then gpu'}", steps)


def no_deps(integration: str, runtime: str, *, show: tuple[str, ...]) -> Case:
    """An integration installed with --no-deps by its runtime, then optimum, then transformers."""
    name, _, version = integration.partition("==")
    steps: tuple[Step, ...] = (
        ("pip", f"install {integration} {runtime}", f"{name} {version} alone"),
        ("pip", "install optimum==2.3.0", "+ optimum 2.3.0, no transformers"),
        ("pip", WITH_TRANSFORMERS, "+ transformers"),
    )
    return Case(f"--no-deps {name}", steps, show=show)


CASES = (
    Case(
        "optimum 1.x",
        (
            ("pip", "install optimum==1.23.3", "optimum 1.23.3 alone"),
            ("pip", f"install {ORT}", f"+ {ORT}"),
        ),
        show=("onnxruntime", "optimum-onnx"),
    ),
    Case(
        "optimum 1.x + optimum-intel 1.x + openvino",
        (("pip", f"install optimum==1.23.3 optimum-intel==1.21.0 {OPENVINO}", "installed"),),
        show=("openvino", "optimum-intel", "optimum-onnx"),
    ),
    orders("pip", gpu_first=False),
    orders("pip", gpu_first=True),
    Case(
        "pip: same version, ort 1.31.1 then gpu 1.31.1",
        (
            ("pip", "install onnxruntime==1.31.1", "install onnxruntime==1.31.1"),
            ("pip", f"install {GPU}", f"then {GPU}"),
            ("pip", "install --force-reinstall onnxruntime==1.31.1", "reinstall onnxruntime"),
        ),
    ),
    replace(orders("uv", gpu_first=False, title="uv copy: ort then gpu"), env=LINK["copy"]),
    replace(orders("uv", gpu_first=True, title="uv hardlink: gpu then ort"), env=LINK["hardlink"]),
    replace(orders("uv", gpu_first=False, title="uv symlink: ort then gpu"), env=LINK["symlink"]),
    Case(
        "--user, --system-site-packages",
        (
            ("pip", f"install --user {ORT}", f"--user {ORT}"),
            ("pip", f"install {OV_ORT}", f"+ venv {OV_ORT} (ahead of the user site)"),
            ("pip", "uninstall onnxruntime-openvino", "uninstall the venv's"),
        ),
        system_site=True,
        env={"PYTHONUSERBASE": "{tmp}/userbase"},
        # site adds the user site only if it exists when the interpreter starts
        folders=("{tmp}/userbase/lib/python3.11/site-packages",),
    ),
    Case(
        "base layer (--prefix, .pth)",
        (
            ("pip", f"install --prefix {{tmp}}/layer {ORT}", None),
            ("pth", "{tmp}/layer/lib/python3.11/site-packages", f"layer: {ORT}"),
            ("pip", f"install {OV_ORT}", f"+ venv: {OV_ORT}"),
        ),
        serve=False,
    ),
    Case(
        "PYTHONPATH --target",
        (
            ("pip", f"install --target {{tmp}}/target {ORT}", None),
            ("pip", f"install {OV_ORT}", f"PYTHONPATH {ORT}, venv {OV_ORT}"),
        ),
        serve=False,
        env={"PYTHONPATH": "{tmp}/target"},
    ),
    Case(
        "editable, unlisted name",
        (
            ("editable", "setuptools-src", "setuptools -e (src, .pth)"),
            ("pip", f"uninstall {EDITABLE}", None),
            ("editable", "setuptools-flat", "setuptools -e (flat, finder)"),
            ("pip", f"uninstall {EDITABLE}", None),
            ("editable", "setuptools-strict", "setuptools -e strict"),
            ("pip", f"uninstall {EDITABLE}", None),
            ("editable", "hatchling", "hatchling -e (_editable_impl_NAME.pth)"),
            ("pip", f"uninstall {EDITABLE}", None),
            ("editable", "hatchling-editables-0.5", "hatchling -e (editables 0.5: _NAME.pth)"),
        ),
        serve=False,
    ),
    Case(
        "legacy .egg (easy-install.pth)",
        (
            ("egg", "zipped", "a zipped .egg"),
            ("egg", "folder", "an .egg folder"),
        ),
        serve=False,
    ),
    Case(
        "wheel and .pyz on sys.path",
        (
            ("pip", f"install {ORT}", None),
            ("wheel", "", "a .whl ahead of the venv"),
            ("pyz", "", "a .pyz ahead of the venv"),
        ),
        serve=False,
    ),
    Case(
        "a .whl behind a same-named folder",
        (("shadowed-wheel", "", "a .whl behind a same-named folder"),),
        serve=False,
    ),
    Case(
        "IPEX 2.8.0",
        (
            ("pip", "install intel-extension-for-pytorch==2.8.0", "without torch"),
            ("pip", "install " + " ".join(TORCH), "with torch 2.13.0"),
        ),
        show=("ipex",),
    ),
    Case(
        "optimum-intel 2.x",
        (("pip", f"install optimum==2.3.0 optimum-intel==2.2.0 {OPENVINO}", "installed"),),
        show=("openvino", "optimum-intel"),
    ),
    no_deps("optimum-intel==2.2.0", OPENVINO, show=("openvino", "optimum-intel")),
    no_deps("optimum-onnx==0.1.0", ORT, show=("onnxruntime", "optimum-onnx")),
    Case(
        "optimum 1.27 -> optimum-onnx -> back",
        (
            ("pip", "install optimum==1.27.0", "optimum 1.27.0"),
            ("pip", "install optimum-onnx==0.1.0", "+ optimum-onnx 0.1.0"),
            ("pip", "uninstall optimum-onnx", "uninstall optimum-onnx"),
            ("pip", "install --force-reinstall optimum==1.27.0", "reinstall optimum 1.27.0"),
        ),
        show=("optimum-onnx",),
    ),
    Case(
        "upgraded while loaded",
        (
            ("pip", "install onnxruntime==1.31.1", "onnxruntime 1.31.1"),
            ("import", "onnxruntime", None),
            ("pip", f"install --upgrade {ORT}", f"upgraded to {ORT} while loaded"),
        ),
    ),
    Case(
        "uninstalled while loaded",
        (
            ("pip", "install onnxruntime==1.31.1", "onnxruntime 1.31.1"),
            ("import", "onnxruntime", None),
            ("pip", "uninstall onnxruntime", "uninstalled while loaded"),
        ),
    ),
    Case(
        "openvino-nightly imported first",
        (
            ("pip", f"install {NIGHTLY}", NIGHTLY),
            ("import", "openvino", "imported, then asked"),
        ),
        show=("openvino",),
    ),
    Case(
        "pip killed midway",
        (
            ("pip", "install onnxruntime==1.31.1", "onnxruntime 1.31.1"),
            ("killed-pip", f"install --upgrade {ORT}", f"pip killed upgrading to {ORT}"),
        ),
    ),
)


@dataclass
class Row:
    case: str
    step: str
    mode: str
    truth: str
    accelprobe: str
    problems: list[str]


ROWS: list[Row] = []


def canonical(name: str | None) -> str | None:
    return None if name is None else re.sub(r"[-_.]+", "-", name).lower()


def describe(entry: dict[str, Any], *, ours: bool) -> str:
    owner = f"{entry['distribution']} {entry['version']}" if entry["distribution"] else ""
    if entry.get("installed"):
        owner += f" loaded ({entry['installed']} installed)"
    if entry.get("ambiguous"):
        owner += " (files match " + ",".join(entry["ambiguous"]) + " too)"
    if entry["available"]:
        text = owner
        if entry["conflicts"]:
            text += " conflicts=" + ",".join(entry["conflicts"])
    else:
        status = f"[{entry['status']}]" if ours and entry.get("status") else ""
        text = f"no{status}" + (f" ({owner})" if owner else "")
    return text


def expectation(truth: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """The truth as a process that loaded ``loaded`` must report it.

    ``loaded`` maps a module to its ``__version__`` and whether its file is still the one it
    was imported from. Where it is, the loaded module is the installed one, whatever its
    ``__version__`` says. Where pip replaced it, the process runs the loaded version; where
    pip removed it, the process still runs it, though a restart will not find it.
    """
    expected = {**truth, "backends": {}}
    for key, real in truth["backends"].items():
        running = loaded.get(real["module"])
        if running is None or running["same"]:
            expected["backends"][key] = real
        elif real["available"]:
            version = running["version"]
            expected["backends"][key] = {**real, "version": version, "installed": real["version"]}
        else:
            gone = {"available": True, "distribution": None, "version": running["version"]}
            expected["backends"][key] = {**real, **gone, "conflicts": [], "gone": True}
    # a runtime this process still runs is one it can use (the oracle, a fresh process, cannot)
    runtimes = {"ov": "openvino", "ort": "onnxruntime", "ipex": "ipex"}
    expected["runtimes"] = [
        name
        for name, key in runtimes.items()
        if name in truth["runtimes"] or expected["backends"][key].get("gone")
    ]
    return expected


def restart_problems(key: str, real: dict[str, Any], reason: str) -> list[str]:
    """Where the loaded runtime is not the installed one, the reason says what a restart does."""
    if real.get("installed") and (
        real["installed"] not in reason or "restart" not in reason.lower()
    ):
        return [f"{key}: reason {reason!r} lacks installed {real['installed']}/restart"]
    if real.get("gone") and "restart" not in reason.lower():
        return [f"{key}: reason {reason!r} does not say a restart loses it"]
    return []


def differences(key: str, real: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    """How accelprobe's answer for one backend differs from the expected one."""
    problems = restart_problems(key, real, ours["reason"])
    if ours["available"] != real["available"]:
        problems.append(f"{key}: available {ours['available']} != {real['available']}")
    if real["distribution"] is not None:
        if canonical(ours["distribution"]) != canonical(real["distribution"]):
            problems.append(f"{key}: distribution {ours['distribution']} != {real['distribution']}")
        if ours["version"] != real["version"]:
            problems.append(f"{key}: version {ours['version']} != {real['version']}")
    if real["available"]:
        expected = sorted(canonical(name) or "" for name in real["conflicts"])
        if sorted(canonical(name) or "" for name in ours["conflicts"]) != expected:
            problems.append(f"{key}: conflicts {ours['conflicts']} != {real['conflicts']}")
    if ours["status"] == "error":
        problems.append(f"{key}: status error: {ours['reason']}")
    return problems


def compare(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every way in which accelprobe's answer differs from the expected truth."""
    problems = []
    for key, real in expected["backends"].items():
        problems += differences(key, real, got["backends"][key])
    problems += [
        f"{which}: {got[which]} != {expected[which]}"
        for which in ("ready", "runtimes")
        if got[which] != expected[which]
    ]
    choice = "ok:" + expected["ready"][0] if expected["ready"] else "ImportError"
    if not got["select"]["default"].startswith(choice):
        problems.append(f"select_accelerator(): {got['select']['default']!r}, not {choice}")
    return problems


# step -> (backend, the status accelprobe must give, and a text its reason or remedy holds)
STATUSES = {
    # optimum 1.27's RECORD still lists the files optimum-onnx's uninstall removed: reinstalling
    # it (the case's next step) is the fix, not removing the folder
    "uninstall optimum-onnx": ("optimum-onnx", "leftover", "--force-reinstall optimum"),
    f"pip killed upgrading to {ORT}": ("onnxruntime", "unowned", "--force-reinstall onnxruntime"),
    "a .whl behind a same-named folder": ("onnxruntime", "shadowed", ".whl"),
}


def extra_checks(case: str, step: str, truth: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """The case-specific promises: IPEX's torch reason, the <2 hint, statuses with their fix."""
    problems = []
    if case == "IPEX 2.8.0" and step == "with torch 2.13.0":
        reason = got["backends"]["ipex"]["reason"]
        if "2.8" not in reason or "2.13" not in reason:
            problems.append(f"ipex: reason {reason!r} does not name torch 2.8 and 2.13")
    if case == "optimum-intel 2.x":
        assert truth["integrations"]["ipex"] is None, truth["integrations"]
        if IPEX_HINT not in got["select"]["ipex"]:
            problems.append(f"select('ipex'): {got['select']['ipex']!r} lacks {IPEX_HINT}")
    if step in STATUSES:
        key, status, text = STATUSES[step]
        assert not truth["backends"][key]["available"]
        found = got["backends"][key]
        said = f"{found['reason']} {found['remedy'] or ''}"
        if found["status"] != status or text not in said:
            problems.append(f"{key}: {found['status']} ({said}) is not {status} with {text!r}")
    return problems


def record(case: Case, step: str, mode: str, truth: dict[str, Any], got: dict[str, Any]) -> Row:
    truth = expectation(truth, got["loaded"])
    problems = compare(truth, got)
    problems += extra_checks(case.name, step, truth, got)
    keys = [
        *case.show,
        *(k for k in truth["backends"] if k not in case.show and k in str(problems)),
    ]
    if case.show == ("optimum-onnx",) or "ready" in str(problems):
        keys.append("ready")

    def summary(result: dict[str, Any], *, ours: bool) -> str:
        parts = [
            f"{key}: {describe(result['backends'][key], ours=ours)}"
            for key in keys
            if key != "ready"
        ]
        if "ready" in keys:
            parts.append(f"ready: {','.join(result['ready']) or '-'}")
        return "; ".join(parts)

    row = Row(case.name, step, mode, summary(truth, ours=False), summary(got, ours=True), problems)
    ROWS.append(row)
    return row


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Lab]:
    python = interpreter()
    if python is None:
        pytest.skip("no Python 3.11 to build the real environments with")
    start = time.monotonic()
    root = tmp_path_factory.mktemp("realenv")
    built = Lab(python, root)
    setup = time.monotonic() - start
    yield built
    write_table(request, setup, time.monotonic() - start)
    shutil.rmtree(root, ignore_errors=True)


def write_table(request: pytest.FixtureRequest, setup: float, total: float) -> None:
    right = sum(not row.problems for row in ROWS)
    timing = f"setup {setup:.0f} s, total {total:.0f} s"
    lines = [
        f"# realenv: {len(ROWS)} judgements, {right} right; {timing}",
        "",
        "| case | step | mode | truth | accelprobe | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in ROWS:
        verdict = "ok" if not row.problems else "WRONG: " + "; ".join(row.problems)
        cells = (row.case, row.step, row.mode, row.truth, row.accelprobe, verdict)
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    folder = ROOT / ".cache" / "realenv"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "table.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # print past the teardown's capture
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
            reporter.write_line(f"(written to {folder / 'table.md'})")


def expand(text: str, tmp: Path) -> str:
    return text.replace("{tmp}", str(tmp))


def perform(venv: Venv, step: Step, tmp: Path, server: Server | None) -> None:
    """One step, as a user would take it."""
    tool, args, _ = step
    words = shlex.split(expand(args, tmp))
    if tool == "pip":
        venv.pip(*words)
    elif tool == "uv":
        venv.uv(*words)
    elif tool == "pth":
        (venv.site / "base-layer.pth").write_text(words[0] + "\n", encoding="utf-8")
    elif tool == "import":
        assert server is not None
        server.ask(f"import {words[0]}")
    elif tool == "editable":
        editable(venv, words[0], tmp)
    elif tool == "egg":
        egg(venv, tmp, zipped=words[0] == "zipped")
    elif tool == "killed-pip":
        killed_pip(venv, words)
    else:  # wheel, pyz: an archive with its own onnxruntime and dist-info, first on sys.path
        wheel = build_wheel(venv, tmp)
        if tool == "wheel":
            venv.extra["PYTHONPATH"] = str(wheel)
        elif tool == "shadowed-wheel":  # a same-named folder earlier on sys.path hides it
            shadow = tmp / "shadow"
            (shadow / "onnxruntime").mkdir(parents=True)
            (shadow / "onnxruntime" / "__init__.py").write_text("", encoding="utf-8")
            venv.extra["PYTHONPATH"] = os.pathsep.join((str(shadow), str(wheel)))
        else:
            source = tmp / "pyz-source"
            venv.pip("install", "--target", str(source), str(wheel))
            venv.extra["PYTHONPATH"] = str(pyz(source, tmp / "app.pyz"))


def build_env(venv: Venv) -> dict[str, str]:
    """The build backends come from the lab's tools folder, offline (no build isolation)."""
    return {"PYTHONPATH": str(venv.lab.tools)}


def editable(venv: Venv, style: str, tmp: Path) -> None:
    backend = style.partition("-")[0]
    source = project(
        tmp / f"project-{style}", EDITABLE, "0.0.1", backend, src=style != "setuptools-flat"
    )
    options = ["--config-settings", "editable_mode=strict"] if style == "setuptools-strict" else []
    env = build_env(venv)
    if style == "hatchling-editables-0.5":  # the layout hatchling wrote before editables 0.6
        older = tmp / "editables-0.5"
        venv.pip("install", "--target", str(older), "editables==0.5")
        env["PYTHONPATH"] = os.pathsep.join((str(older), env["PYTHONPATH"]))
    venv.pip("install", "--no-build-isolation", *options, "--editable", str(source), env=env)


def egg(venv: Venv, tmp: Path, *, zipped: bool) -> None:
    """A legacy egg of a project that ships ``onnxruntime``, put on sys.path by easy-install.pth."""
    eggs = tmp / "eggs"
    if not eggs.exists():
        source = project(tmp / "project-egg", EGG, "0.0.3", "setuptools", src=False)
        (source / "setup.py").write_text("from setuptools import setup\nsetup()\n", "utf-8")
        command = [venv.python, "setup.py", "--quiet", "bdist_egg", "--dist-dir", str(eggs)]
        run(command, env=venv.environment(**build_env(venv)), cwd=source)
    (built,) = eggs.glob("*.egg")
    for old in venv.site.glob("*.egg"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    target = venv.site / built.name
    if zipped:
        shutil.copy(built, target)
    else:
        shutil.unpack_archive(built, target, "zip")
    (venv.site / "easy-install.pth").write_text(f"./{built.name}\n", encoding="utf-8")


def killed_pip(venv: Venv, words: list[str]) -> None:
    """pip killed (SIGKILL) once it has stashed the old files and written the new ``__init__.py``.

    It leaves pip's stash (``~nnxruntime``, ``~nnxruntime-1.31.1.dist-info``) beside some of
    the new version's files, and no dist-info of either version under its own name.
    """
    command = [venv.python, "-m", "pip", *words[:1], "--no-index", "--no-deps"]
    command += ["--find-links", str(venv.lab.wheels), *words[1:]]
    environment = venv.environment(PIP_CONFIG_FILE=os.devnull)
    package = venv.site / "onnxruntime"
    with subprocess.Popen(command, env=environment, cwd=venv.work) as process:
        while process.poll() is None:
            # the old package and dist-info stashed (pip stashes before it installs) and the
            # new __init__.py written: pip is installing the new version's files
            stashed = (venv.site / "~nnxruntime").is_dir()
            old = any(venv.site.glob("onnxruntime-*.dist-info"))
            if stashed and not old and (package / "__init__.py").is_file():
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        process.wait()
    infos = sorted(path.name for path in venv.site.glob("*nnxruntime*.dist-info"))
    assert process.returncode == -signal.SIGKILL, f"pip finished before it was killed: {infos}"
    assert infos == ["~nnxruntime-1.31.1.dist-info"], infos


def build_wheel(venv: Venv, tmp: Path) -> Path:
    dist = tmp / "dist"
    if not dist.exists():
        source = project(tmp / "project-zipped", ZIPPED, "0.0.2", "hatchling")
        command = [venv.python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"]
        command += ["--no-build-isolation", "--wheel-dir", str(dist), str(source)]
        run(command, env=venv.environment(**build_env(venv)), cwd=venv.work)
    (wheel,) = dist.glob("*.whl")
    return wheel


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_real_environment(lab: Lab, case: Case) -> None:
    slug = re.sub(r"[^a-z0-9]+", "-", case.name.lower()).strip("-")
    venv = lab.venv(slug)
    tmp = venv.path.parent / f"{slug}-tmp"
    tmp.mkdir()
    venv.extra.update({key: expand(value, tmp) for key, value in case.env.items()})
    if case.system_site:  # what `python -m venv --system-site-packages` writes
        config = venv.path / "pyvenv.cfg"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("= false", "= true"), encoding="utf-8")
    for folder in case.folders:
        Path(expand(folder, tmp)).mkdir(parents=True)
    server = venv.serve() if case.serve else None
    wrong: list[Row] = []
    try:
        for step in case.steps:
            perform(venv, step, tmp, server)
            label = step[2]
            if label is None:
                continue
            truth = venv.oracle()
            rows = [record(case, label, "fresh", truth, venv.accelprobe())]
            if step[0] == "import":  # a fresh process that loads the runtime before asking
                rows.append(record(case, label, "preloaded", truth, venv.accelprobe(step[1])))
            if server is not None:
                rows.append(record(case, label, "refresh", truth, server.ask("refresh")))
            wrong += [row for row in rows if row.problems]
    finally:
        if server is not None:
            server.close()
        for path in (venv.path, tmp):
            shutil.rmtree(path, ignore_errors=True)
    assert not wrong, "\n".join(f"{row.step} ({row.mode}): {row.problems}" for row in wrong)
