"""The runtime probe, against fake runtimes built on disk, in fresh interpreters."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from accelprobe import _host, probe
from tests.children import probe as child
from tests.fake import build, cli, detect, installed
from tests.hostile_support import NEVER
from tests.runtimes import runtimes

if TYPE_CHECKING:
    from pathlib import Path


def probe_all(
    site: Path, cwd: Path, *, verify: bool, isolated: bool, mode: str = ""
) -> dict[str, Any]:
    after = partial(child.probe_all, verify=verify, isolated=isolated, timeout=NEVER)
    result = detect(site, cwd=cwd, after=after, env={"FAKE_RUNTIME": mode} if mode else None)
    probes: dict[str, Any] = result["probes"]
    return probes


# ONNX Runtime's four-line "*** EP Error ***" banner, then its warning, as one line.
EP_ERROR = (
    "EP Error libcudnn.so.9 missing when using ['CUDAExecutionProvider'] Falling back to "
    "['CPUExecutionProvider'] and retrying. CUDA provider is not usable"
)


def devices(found: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    return {device["name"]: (device["ran"], device["detail"]) for device in found["devices"]}


@pytest.mark.parametrize("isolated", [False, True])
def test_lists_devices_without_running_them(tmp_path: Path, isolated: bool) -> None:
    site = build(tmp_path / "site", runtimes())
    probes = probe_all(site, tmp_path, verify=False, isolated=isolated)
    ort = probes["onnxruntime"]
    assert ort["ok"]
    assert ort["version"] == "1.99.0"
    assert ort["isolated"] is isolated
    assert ort["reason"].startswith("onnxruntime offers CPUExecutionProvider, CUDA")
    assert ort["devices"][1] == {
        "name": "CUDAExecutionProvider",
        "words": ["gpu", "cuda"],
        "description": "",
        "ran": None,
        "detail": "",
    }
    ov = probes["openvino"]
    assert ov["version"] == "2099.1.0-fake"
    assert [(d["name"], d["words"], d["description"]) for d in ov["devices"]] == [
        ("CPU", ["cpu"], "Fake CPU"),
        ("GPU.1", ["gpu"], "Fake GPU"),
        ("NPU", ["npu"], "(no name: device property failed)"),
        ("GNA", [], "Fake GNA"),
    ]
    ipex = probes["ipex"]
    assert ipex["version"] == "2.8.0+xpu"
    assert [(d["name"], d["words"], d["description"]) for d in ipex["devices"]] == [
        ("cpu", ["cpu"], ""),
        ("xpu:0", ["gpu", "xpu"], "Fake Arc 0"),
        ("xpu:1", ["gpu", "xpu"], "Fake Arc 1"),
        ("xpu:2", ["gpu", "xpu"], "Fake Arc 2"),
    ]


def test_verify_says_where_the_model_really_ran(tmp_path: Path) -> None:
    site = build(tmp_path / "site", runtimes())
    probes = probe_all(site, tmp_path, verify=True, isolated=False)
    assert devices(probes["onnxruntime"]) == {
        "CPUExecutionProvider": (True, "ran on CPUExecutionProvider"),
        "CUDAExecutionProvider": (False, f"fell back to CPUExecutionProvider: {EP_ERROR}"),
        "DmlExecutionProvider": (False, "fell back to CPUExecutionProvider"),
        "QNNExecutionProvider": (False, "fell back to an unknown provider"),
        "WrongExecutionProvider": (False, "computed 4.0 instead of 3.0"),
        "BrokenExecutionProvider": (False, "RuntimeError: provider failed to initialise"),
    }
    assert devices(probes["openvino"]) == {
        "CPU": (True, "ran on CPU"),
        "GPU.1": (True, "ran on GPU"),
        "NPU": (False, "ran on CPU instead"),
        "GNA": (False, "computed 5.0 instead of 3.0"),
    }
    assert devices(probes["ipex"]) == {
        "cpu": (True, "ran on cpu"),
        "xpu:0": (True, "ran on xpu:0"),
        "xpu:1": (False, "computed 4.0 instead of 3.0"),
        "xpu:2": (False, "ran on cpu instead"),
    }


@pytest.mark.parametrize(
    ("mode", "names"),
    [("no-xpu", ["cpu"]), ("xpu-off", ["cpu"])],
)
def test_ipex_without_an_xpu(tmp_path: Path, mode: str, names: list[str]) -> None:
    site = build(tmp_path / "site", runtimes())
    ipex = probe_all(site, tmp_path, verify=False, isolated=False, mode=mode)["ipex"]
    assert [device["name"] for device in ipex["devices"]] == names


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("raise", "importing or asking onnxruntime failed: ImportError: libonnxruntime.so"),
        (
            "unprintable",
            "importing or asking onnxruntime failed: Unprintable: <unprintable Unprintable>",
        ),
        ("exit", "the onnxruntime probe exited with status 3 and no result"),
        ("garbage", "the onnxruntime probe exited with status 0 and no result"),
        ("bad-json", "the onnxruntime probe gave a result of the wrong shape: not JSON ("),
        ("hang", "the onnxruntime probe did not finish within 3 s"),
    ],
)
def test_isolated_survives_hostile_runtimes(tmp_path: Path, mode: str, reason: str) -> None:
    site = build(tmp_path / "site", runtimes())
    timeout = 3 if mode == "hang" else NEVER  # a probe that ends must never meet its timeout
    after = partial(child.probe_isolated, timeout=timeout)
    result = detect(site, cwd=tmp_path, after=after, env={"FAKE_RUNTIME": mode})
    found = result["found"]
    assert not found["ok"]
    assert found["devices"] == []
    assert found["reason"].startswith(reason)


@pytest.mark.parametrize("how", ["no-interpreter", "none", "nul", "no-temporary-folder"])
def test_isolated_probe_that_cannot_start(tmp_path: Path, how: str) -> None:
    site = build(tmp_path / "site", runtimes())
    result = detect(site, cwd=tmp_path, after=partial(child.unstartable, how=how))
    assert result["reason"].startswith("the onnxruntime probe could not start: ")


def test_isolated_probe_where_no_process_can_start(tmp_path: Path) -> None:
    """In a subinterpreter subprocess raises RuntimeError: a result with the reason."""
    site = build(tmp_path / "site", runtimes())
    after = partial(child.probe_where_no_child_starts, folder=os.fspath(tmp_path))
    result = detect(site, cwd=tmp_path, after=after)
    assert result["reason"] == (
        "the onnxruntime probe could not start: "
        "subprocess not supported for isolated subinterpreters"
    )
    subinterpreters = sys.implementation.name == "cpython" and sys.version_info < (3, 12)
    assert result["how"] == ("subinterpreter" if subinterpreters else "patched")


def test_in_process_probe_without_stdout(tmp_path: Path) -> None:
    """pythonw has no sys.stdout: the probe neither needs one nor leaves one behind."""
    site = build(tmp_path / "site", runtimes())
    result = detect(site, cwd=tmp_path, after=child.without_stdout)
    assert result["none"] is True
    assert result["ok"] is True
    assert result["cuda"] == "fell back to CPUExecutionProvider: CUDA provider is not usable"


@pytest.mark.usefixtures("isolated")
def test_probe_of_a_missing_runtime_and_bad_names() -> None:
    """In this process: nothing is imported to tell that a runtime is missing."""
    found = probe.probe("ov")
    assert found.reason == "not installed: no module named 'openvino'"
    assert probe.probe("openvino") is found  # cached
    with pytest.raises(ValueError, match="knows the runtimes") as error:
        probe.probe("optimum-intel")
    assert str(error.value) == (
        "probe() knows the runtimes openvino, onnxruntime, ipex, not 'optimum-intel'"
    )
    with pytest.raises(ValueError, match=r"^unknown backend 'cuda'"):
        probe.probe("cuda")


def test_select_by_device(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**runtimes(), **installed("optimum-intel", "optimum-onnx")})
    cases: list[dict[str, Any]] = [
        {"device": "cpu"},
        {"device": " GPU "},
        {"device": "cuda"},
        {"device": "xpu"},
        {"device": "npu", "candidates": ["ort", "ipex"]},
        {"accelerator": "ort", "device": "cuda"},
        {"accelerator": "ort", "device": "cpu"},
        {"device": "tpu"},
        {"device": "gpu", "candidates": ["ort"]},
    ]
    after = partial(child.select_cases, cases=cases)
    result = detect(site, cwd=tmp_path, after=after, env={"ACCELPROBE_DISABLE": "ipex"})
    cuda = f"CUDAExecutionProvider did not run: fell back to CPUExecutionProvider: {EP_ERROR}"
    dml = "DmlExecutionProvider did not run: fell back to CPUExecutionProvider"
    ort = (
        "onnxruntime offers CPUExecutionProvider, CUDAExecutionProvider, DmlExecutionProvider, "
        "QNNExecutionProvider, WrongExecutionProvider, BrokenExecutionProvider"
    )
    got = result["cases"]
    assert got[:2] == ["ov", "ov"]
    # backends words the first line and the ipex line; the probe says what each runtime showed
    assert got[2].startswith("ImportError: no accelerator is available with a cuda device:\n")
    assert "\n  ov shows no cuda device (openvino offers CPU, GPU.1, NPU, GNA)\n" in got[2]
    assert f"\n  ort shows no cuda device ({cuda})\n" in got[2]
    assert "\n  ipex needs optimum-intel and ipex (ipex: disabled by ACCELPROBE_DISABLE)" in got[2]
    assert f"\n  ort shows no xpu device ({ort})\n" in got[3]
    assert (
        "\n  ort shows no npu device (QNNExecutionProvider did not run: fell back to an " in got[4]
    )
    assert "\n  ov " not in got[4]
    assert got[5] == (
        f"ImportError: accelerator 'ort' is not available: ort shows no cuda device ({cuda})"
    )
    assert got[6] == "ort"
    assert got[7] == (
        "ValueError: unknown device 'tpu'; expected one of: cpu, gpu, npu, cuda, rocm, "
        "directml, xpu, coreml, qnn"
    )
    assert got[8] == (
        "ImportError: no accelerator is available with a gpu device:\n"
        f"  ort shows no gpu device ({cuda}; {dml})"
    )


def test_select_by_device_skips_a_runtime_that_fails(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**runtimes(), **installed("optimum-onnx")})
    cases: list[dict[str, Any]] = [{"device": "cpu"}, {"accelerator": "ort", "device": "cpu"}]
    after = partial(child.select_cases, cases=cases)
    result = detect(site, cwd=tmp_path, after=after, env={"FAKE_RUNTIME": "raise"})
    failed = (
        "importing or asking onnxruntime failed: ImportError: libonnxruntime.so: cannot open "
        "shared object file"
    )
    anything, ort = result["cases"]
    assert anything.startswith("ImportError: no accelerator is available with a cpu device:\n")
    assert f"\n  ort shows no cpu device ({failed})\n" in anything
    assert ort == (
        f"ImportError: accelerator 'ort' is not available: ort shows no cpu device ({failed})"
    )


def test_refresh_forgets_probe_results(tmp_path: Path) -> None:
    site = build(tmp_path / "site", runtimes())
    assert detect(site, cwd=tmp_path, after=child.probe_after_refresh)["new"] is True
    assert detect(cwd=tmp_path, after=child.refresh)["flags"]["onnxruntime"] is False


@pytest.mark.parametrize("option", ["--probe", "--verify"])
def test_report_probe_options(tmp_path: Path, option: str) -> None:
    site = build(tmp_path / "site", runtimes())
    data = json.loads(cli(site, args=["--json", option], cwd=tmp_path).stdout)
    assert data["schema"] >= 2
    probes = {entry["name"]: entry["probe"] for entry in data["backends"]}
    assert probes["optimum-intel"] is None
    assert probes["onnxruntime"]["ok"]
    assert probes["onnxruntime"]["verified"] is (option == "--verify")
    assert probes["onnxruntime"]["devices"][0]["ran"] is (True if option == "--verify" else None)
    text = cli(site, args=[option], cwd=tmp_path, env={"FAKE_RUNTIME": ""}).stdout
    assert "  probe: onnxruntime offers CPUExecutionProvider, CUDAExecutionProvider" in text
    assert "    CPU [cpu] Fake CPU" in text
    if option == "--verify":
        assert "    CPUExecutionProvider [cpu]; ran on CPUExecutionProvider" in text
        assert "    NPU [npu] (no name: device property failed); did not run: ran on CPU" in text


def test_report_probe_of_a_failing_runtime(tmp_path: Path) -> None:
    site = build(tmp_path / "site", runtimes())
    text = cli(site, args=["--probe"], cwd=tmp_path, env={"FAKE_RUNTIME": "exit"}).stdout
    assert "  probe: the onnxruntime probe exited with status 3 and no result" in text


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")],
)
def test_protobuf_varint(value: int, encoded: bytes) -> None:
    assert probe._varint(value) == encoded


def test_test_model_bytes() -> None:
    model = probe._add_model()
    assert model.startswith(b"\x08\x07:")  # ir_version 7, then the graph (field 7)
    assert model.endswith(b"B\x02\x10\x0d")  # opset_import { version: 13 }
    for text in (b"Add", b"accelprobe", b"x", b"y"):
        assert text in model


def test_capture_keeps_the_probing_threads_output_only() -> None:
    """While a probe runs, what other threads print or warn goes where it always went."""
    stream = io.StringIO()
    shown: list[object] = []
    capture = _host.Capture(stream, lambda message, *_: shown.append(message))

    def other() -> None:
        capture.write("theirs")
        capture.flush()
        capture.warn("their warning", UserWarning, "file.py", 1)

    capture.write("*** banner ***\nmine\n")
    capture.flush()
    capture.warn("my warning", UserWarning, "file.py", 1)
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert stream.getvalue() == "theirs"
    assert shown == ["their warning"]
    assert capture.since(0) == "mine my warning"
    assert capture.getvalue() == "theirs"  # anything else is the host stream's
    capture.keep("x" * (1 << 17))
    capture.keep("more")
    assert capture.size == 1 << 16


def test_ending_names_unknown_signals() -> None:
    assert probe._ending(-11, 1) == "was killed by SIGSEGV"
    assert probe._ending(-1000, 1) == "was killed by signal 1000"
    assert probe._ending(None, 2.5) == "did not finish within 2.5 s"


def test_after_fork_makes_a_new_lock() -> None:
    old = probe._lock
    probe._after_fork()
    assert probe._lock is not old


def test_in_process_probe_of_a_failure_that_cannot_print_itself(tmp_path: Path) -> None:
    site = build(tmp_path / "site", runtimes())
    found = probe_all(site, tmp_path, verify=False, isolated=False, mode="unprintable")
    assert found["onnxruntime"]["reason"] == (
        "importing or asking onnxruntime failed: Unprintable: <unprintable Unprintable>"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_death_signal_is_set_on_linux(tmp_path: Path) -> None:
    """In a child of its own (this one keeps no death signal): prctl(PR_SET_PDEATHSIG)."""
    assert detect(cwd=tmp_path, after=child.death_signal)["set"] is True


def test_a_child_whose_caller_is_already_gone_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """die_with's race: the caller died before the death signal was set; the child ends."""
    from accelprobe import _child

    ended: list[bool] = []
    monkeypatch.setattr(_child, "_death_signal", lambda: True)  # not on this test process
    monkeypatch.setattr(_child, "_exit_group", lambda: ended.append(True))
    _child.die_with(os.getppid())
    assert ended == []
    _child.die_with(-1)  # no process has that parent
    assert ended == [True]


def test_host_state_goes_back_once_also_in_a_forked_child() -> None:
    """In this process: what _host's after-fork hook does in a child forked mid-probe."""
    import logging
    import warnings

    root = logging.getLogger()
    plain, patched = logging.NullHandler(), logging.NullHandler()
    own_close = patched.close
    setattr(patched, "close", own_close)  # noqa: B010 - a handler with its own close
    root.addHandler(plain)
    root.addHandler(patched)
    junk = object()  # anything can be appended to root.handlers: it is left alone
    root.handlers.append(junk)  # type: ignore[arg-type]
    stdout, filters = sys.stdout, list(warnings.filters)
    try:
        host = _host.Host(_host.Capture(sys.stdout, warnings.showwarning))
        host.__enter__()
        assert sys.stdout is host.capture
        assert "close" in vars(plain)
        _host._after_fork()  # as in a child forked now: the probing thread is gone
        assert sys.stdout is stdout
        assert warnings.filters == filters
        assert "close" not in vars(plain)
        assert vars(patched)["close"] == own_close
        host.__exit__(None, None, None)  # given back already: nothing more to do
        assert sys.stdout is stdout
        assert root.handlers[-1] is junk
    finally:
        root.handlers.remove(junk)  # type: ignore[arg-type]
        root.removeHandler(plain)
        root.removeHandler(patched)
