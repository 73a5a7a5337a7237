"""The hostile-environment promises, one test (or table) each: never raises, hangs or leaks.

Each test builds its hostile world on disk and runs accelprobe in a fresh interpreter with
a timeout and an address-space cap (tests/hostile_support.py), so a regression fails here
instead of hanging the suite or the machine. The sections follow the contract's list:
special files, exceptions that fail to print and hostile logging, fork, scale, parsing,
the report's output streams, and the isolated and in-process runtime probe.
"""

from __future__ import annotations

import fcntl
import importlib
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pytest

import accelprobe
from accelprobe import _output, probe, report
from tests.children import audit, hostile, ownership
from tests.fake import (
    Hook,
    Hooks,
    Tree,
    as_tuple,
    build,
    config,
    dist,
    installed,
    metadata,
    needed,
    package,
    report_config,
)
from tests.hostile_support import (
    NEVER,
    TIMEOUT,
    detect,
    environment,
    kept,
    kill_group,
    make_fifo,
    run,
    start,
)
from tests.runtimes import runtimes

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.skipif(os.name == "nt", reason="FIFOs, fork and /dev files are POSIX")

ORT_INFO = "onnxruntime-1.17.0.dist-info"
MIB = 1 << 20

# --- special files where metadata is expected -----------------------------------------------


def _ort(site: Path, files: dict[str, str] | None = None) -> Path:
    """onnxruntime's package and a dist-info holding ``files`` (RECORD and top_level.txt)."""
    info = {"RECORD": "onnxruntime/__init__.py,,\n", "top_level.txt": "onnxruntime\n"}
    tree: Tree = {ORT_INFO: {**info, **(files or {})}, **package("onnxruntime")}
    build(site, {**tree, **needed("onnxruntime")})
    return site / ORT_INFO


def fifo_metadata(site: Path) -> None:
    make_fifo(_ort(site) / "METADATA")


def fifo_dist_info(site: Path) -> None:
    build(site, package("onnxruntime"))
    make_fifo(site / ORT_INFO)


def _leftover_beside(site: Path, name: str) -> None:
    """A leftover ``onnxruntime/`` folder, and another distribution whose ``name`` is a FIFO.

    The other has no ``top_level.txt`` beside a FIFO ``RECORD``: nothing rules it out unread.
    """
    build(site, {"onnxruntime": {"capi": {}}, **dist("other", "1.0", "other")})
    info = site / "other-1.0.dist-info"
    (info / "top_level.txt").unlink()
    (info / "RECORD").unlink()
    make_fifo(info / name)


def fifo_top_level_beside_leftover(site: Path) -> None:
    _leftover_beside(site, "top_level.txt")


def fifo_record_beside_leftover(site: Path) -> None:
    _leftover_beside(site, "RECORD")


def dev_zero_metadata(site: Path) -> None:
    (_ort(site) / "METADATA").symlink_to("/dev/zero")


def directory_metadata(site: Path) -> None:
    (_ort(site) / "METADATA").mkdir()


def huge_header(site: Path) -> None:
    """256 MiB of one header's value (a sparse file), the Version only after it."""
    with (_ort(site) / "METADATA").open("wb") as stream:
        stream.write(b"Metadata-Version: 2.1\nName: onnxruntime\nSummary: ")
        stream.seek(256 * MIB)
        stream.write(b"\nVersion: 1.17.0\n\n")


def huge_body(site: Path) -> None:
    """A usable header block, then a 256 MiB body that no reader needs."""
    with (_ort(site) / "METADATA").open("wb") as stream:
        stream.write(metadata("onnxruntime", "1.17.0").encode())
        stream.seek(256 * MIB)
        stream.write(b"end\n")


@pytest.mark.parametrize(
    ("world", "version"),
    [
        (fifo_metadata, None),
        (fifo_dist_info, None),
        (fifo_top_level_beside_leftover, None),
        (fifo_record_beside_leftover, None),
        (dev_zero_metadata, None),
        (directory_metadata, None),
        (huge_header, None),
        (huge_body, "1.17.0"),
    ],
)
def test_special_files_where_metadata_is_expected(
    tmp_path: Path, world: Callable[[Path], None], version: str | None
) -> None:
    """FIFOs, /dev/zero, directories and huge files: a reason, in bounded time and memory."""
    site = tmp_path / "site"
    site.mkdir()
    world(site)
    result = detect(site, cwd=tmp_path, before=audit.start, after=hostile.exercise)
    assert result["problems"] == []
    ort = result["infos"]["onnxruntime"]
    assert ort["available"] is (version is not None), ort
    assert ort["version"] == version or version is None
    assert ort["reason"]
    assert "MemoryError" not in ort["reason"]
    assert result["grew"] < 64 * MIB  # a 256 MiB file is never read whole


def _report(site: Path, tmp_path: Path, before: Hooks = None) -> dict[str, Any]:
    """``python -m accelprobe --json`` in a capped child: it exits 0 with one JSON object."""
    completed = run(report_config(site, args=["--json"], before=before), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    found: dict[str, Any] = json.loads(completed.stdout)
    return found


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs /proc/self/mem")
def test_a_metadata_file_whose_read_fails_midway(tmp_path: Path) -> None:
    """EIO (here: /proc/self/mem, which opens but cannot be read): the next dist-info counts."""
    site = build(tmp_path / "site", {**installed("onnxruntime"), "onnxruntime-1.0.dist-info": {}})
    (site / "onnxruntime-1.0.dist-info" / "METADATA").symlink_to("/proc/self/mem")
    after = (hostile.exercise, partial(ownership.installed_versions, names=["onnxruntime"]))
    result = detect(site, cwd=tmp_path, before=audit.start, after=after)
    assert result["problems"] == []
    assert result["v"] == ["1.18.0"]
    ort = result["infos"]["onnxruntime"]
    assert (ort["available"], ort["version"]) == (True, "1.18.0"), ort
    data = _report(site, tmp_path)
    assert data["backends"][1]["version"] == "1.18.0"


def _deflate_bomb(archive: Path, member: str, content: bytes) -> None:
    """A zip whose ``member`` inflates from about 1 MiB on disk to ``content`` + 1 GiB of zeros."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        bundle.writestr("onnxruntime/__init__.py", "")
        with bundle.open(member, "w", force_zip64=True) as stream:
            stream.write(content)
            zeros = bytes(MIB)
            for _ in range(1024):
                stream.write(zeros)


@pytest.mark.parametrize(
    ("member", "content"),
    [
        ("acme_ort-1.0.dist-info/RECORD", b""),
        ("onnxruntime-1.0.dist-info/METADATA", b"Name: onnxruntime\nVersion: 1.0\n"),
    ],
    ids=["record", "metadata"],
)
def test_a_deflate_bomb_in_a_zip_on_sys_path(tmp_path: Path, member: str, content: bytes) -> None:
    """1 MiB on disk, 1 GiB inflated: entries are inflated only up to the cap."""
    archive = tmp_path / "bomb.zip"
    _deflate_bomb(archive, member, content)
    if member.endswith("RECORD"):
        with zipfile.ZipFile(archive, "a") as bundle:
            bundle.writestr("acme_ort-1.0.dist-info/METADATA", metadata("acme-ort", "1.0"))
    numpy = build(tmp_path / "numpy", needed("onnxruntime"))
    result = detect(archive, numpy, cwd=tmp_path, before=audit.start, after=hostile.exercise)
    assert result["problems"] == []
    assert result["infos"]["onnxruntime"]["reason"]
    assert result["grew"] < 64 * MIB


def test_a_record_path_that_leaves_its_folder(tmp_path: Path) -> None:
    """onnxruntime + onnxruntime-gpu whose RECORDs name /proc/self/pagemap: never read."""
    site = tmp_path / "site"
    escape = "onnxruntime/" + "../" * len(site.parts) + "proc/self/pagemap"
    tree: Tree = {}
    for name, digest in (("onnxruntime", "A" * 43), ("onnxruntime-gpu", "B" * 43)):
        record = f"onnxruntime/__init__.py,,\n{escape},sha256={digest},100\n"
        info: Tree = {"METADATA": metadata(name, "1.18.0"), "RECORD": record}
        tree[f"{name.replace('-', '_')}-1.18.0.dist-info"] = info
    build(site, {**tree, **package("onnxruntime"), **needed("onnxruntime")})
    result = detect(site, cwd=tmp_path, before=audit.start, after=hostile.exercise)
    assert result["problems"] == []
    ort = result["infos"]["onnxruntime"]
    assert ort["available"], ort
    assert result["grew"] < 64 * MIB


def test_a_cached_path_entry_finder_that_raises(tmp_path: Path) -> None:
    """sys.path_importer_cache holds a finder whose __getattr__ raises: nothing escapes."""
    site = build(tmp_path / "site", installed("onnxruntime", "openvino"))
    before = partial(hostile.raising_path_finder, folder=str(site))
    after = (hostile.exercise, partial(ownership.installed_versions, names=["onnxruntime"]))
    result = detect(site, cwd=tmp_path, before=before, after=after)
    assert result["problems"] == []
    assert result["v"] == ["1.18.0"]
    for info in result["infos"].values():
        assert info["reason"]
    _report(site, tmp_path, before=before)


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder any user may enter (pytest's own tmp_path is the running user's alone)."""
    folder = tempfile.mkdtemp(prefix="accelprobe-hostile-")
    os.chmod(folder, 0o755)  # noqa: S103 - another user must read the site in it
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_metadata_as_a_non_root_user(shared_tmp: Path) -> None:
    """METADATA that the user may not read: an unusable distribution with a reason."""
    site = shared_tmp / "site"
    _ort(site, {"METADATA": metadata("onnxruntime", "1.17.0")})
    for folder in (site, site / ORT_INFO, site / "onnxruntime"):
        folder.chmod(0o755)
    (site / "onnxruntime" / "__init__.py").chmod(0o644)
    (site / ORT_INFO / "METADATA").chmod(0)
    try:
        result = detect(cwd=shared_tmp, after=partial(hostile.unreadable, site=os.fspath(site)))
    except AssertionError as error:
        if "PermissionError: [Errno 1]" in str(error):  # pragma: no cover - no seteuid here
            pytest.skip("cannot drop privileges to nobody here")
        raise
    assert result["readable"] is False
    ort = result["infos"]["onnxruntime"]
    assert not ort["available"]
    assert ort["reason"]


# --- exceptions that fail to print, finders that return junk, hostile logging -------------


@pytest.mark.parametrize(
    "behaviour",
    [
        "unprintable",
        "unprintable-cause",
        "object",
        "int",
        "origin-int",
        "locations",
        "endless",
        "gone",
    ],
)
def test_finders_that_raise_unprintably_or_return_junk(tmp_path: Path, behaviour: str) -> None:
    site = build(tmp_path / "site", installed("onnxruntime", "openvino", "optimum-onnx"))
    before = partial(hostile.junk_finder, behaviour=behaviour)
    result = detect(site, cwd=tmp_path, before=before, after=hostile.exercise)
    assert result["problems"] == []
    for info in result["infos"].values():
        assert not info["available"]
        assert info["reason"]


@pytest.mark.parametrize(
    "trouble", ["root-handler", "logger-filter", "handler-filter", "accelprobe-handler"]
)
def test_logging_handlers_and_filters_that_raise(tmp_path: Path, trouble: str) -> None:
    """accelprobe logs at DEBUG (an unknown ACCELPROBE_DISABLE token) and INFO (the choice)."""
    tree: Tree = {
        **installed("optimum-intel", "openvino"),
        **dist("onnxruntime", "1.0", copy=False),
    }
    site = build(tmp_path / "site", tree)
    (site / "onnxruntime-1.0.dist-info" / "METADATA").unlink()
    (site / "onnxruntime-1.0.dist-info" / "METADATA").mkdir()  # skipped, at DEBUG
    before = partial(hostile.hostile_logging, hostile=trouble)
    after = partial(hostile.exercise, select=True)
    env = {"ACCELPROBE_DISABLE": "no-such-backend,ipex"}
    result = detect(site, cwd=tmp_path, before=before, after=after, env=env)
    assert result["problems"] == []
    assert result["selected"] == "ov"


# --- fork --------------------------------------------------------------------------------


@pytest.mark.parametrize("busy", ["refresh", "probe"])
def test_fork_while_another_thread_is_inside_refresh(tmp_path: Path, busy: str) -> None:
    """30 forks while another thread detects (or probes): no child hangs."""
    tree: Tree = {**runtimes(), **{f"dist{i}-1.0.dist-info": {"METADATA": "x"} for i in range(100)}}
    site = build(tmp_path / "site", tree)
    # Under coverage, forked children of a busy multi-threaded process hang now and then in
    # coverage's own tracer, never without it: on PyPy and free-threaded CPython, and on
    # CPython 3.12 with both cores busy (3 runs of 13 hung traced, none of 24 untraced). So
    # this process runs without coverage, and the test checks accelprobe alone; the code it
    # runs is covered by the other tests.
    env = {"COVERAGE_PROCESS_START": ""}
    after = partial(hostile.fork_while_busy, busy=busy)
    result = detect(site, cwd=tmp_path, after=after, env=env, timeout=300)
    assert result["hung"] == 0


# --- scale: thousands of sys.path entries, huge folders, thousands of distributions --------


def _metadata_reads(opened: dict[str, int], root: Path) -> dict[str, int]:
    """The metadata files under ``root`` opened more than once."""
    names = ("METADATA", "PKG-INFO", "RECORD", "top_level.txt", "direct_url.json")
    return {
        path: count
        for path, count in opened.items()
        if path.startswith(os.fspath(root)) and path.endswith(names) and count > 1
    }


def test_thousands_of_sys_path_entries(tmp_path: Path) -> None:
    """5,000 sys.path folders: each listed and each metadata file read at most once.

    Counted, not timed: its time is measured by ``benchmarks/scale.py``.
    """
    folders = tmp_path / "folders"
    for i in range(5000):
        (folders / f"f{i}").mkdir(parents=True)
    site = build(tmp_path / "site", installed("onnxruntime", "openvino"))
    after = partial(hostile.thousands, folders=os.fspath(folders), count=5000)
    result = detect(site, cwd=tmp_path, after=after)
    assert result["infos"]["onnxruntime"]["available"]
    assert _metadata_reads(result["opened"], tmp_path) == {}
    # the import system lists each folder once after refresh(); accelprobe at most once more
    assert max(result["listed"].values(), default=0) <= 2  # PyPy audits no listdir


@pytest.fixture(scope="session")
def huge_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A site folder of 100,000 entries with ASCII names, three backends among them.

    In memory (``/dev/shm``) where there is one: 100,000 files on a disk take seconds.
    """
    shm = "/dev/shm"  # noqa: S108 - a private folder is made in it
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        root = Path(tempfile.mkdtemp(prefix="accelprobe-huge-", dir=shm))
    else:  # pragma: no cover - no shared memory folder: the disk
        root = tmp_path_factory.mktemp("huge")
    site = build(root / "site", installed("onnxruntime", "openvino", "optimum-onnx"))
    for i in range(100_000):
        os.close(os.open(site / f"file{i}.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    yield site
    shutil.rmtree(root, ignore_errors=True)


def test_a_folder_of_100000_entries_with_non_ascii_names(huge_folder: Path, tmp_path: Path) -> None:
    """100 non-ASCII names among 100,000: the folder listed and each file read at most once.

    Counted, not timed: ``benchmarks/scale.py`` measures what one non-ASCII name costs.
    """
    after = partial(hostile.huge, site=os.fspath(huge_folder))
    result = detect(huge_folder, cwd=tmp_path, after=after)
    assert result["infos"]["onnxruntime"]["version"] == "1.18.0"
    assert _metadata_reads(result["opened"], huge_folder) == {}
    # the import system lists it once after refresh(); accelprobe at most once more
    assert result["listed"].get(os.fspath(huge_folder), 0) <= 2


def test_a_leftover_among_2000_distributions(tmp_path: Path) -> None:
    """A leftover onnxruntime/ makes detection look for an owner: each file read once."""
    tree: Tree = {
        f"pkg{i}-1.0.dist-info": {
            "METADATA": metadata(f"pkg{i}", "1.0"),
            "RECORD": f"pkg{i}/__init__.py,,\n",
            "top_level.txt": f"pkg{i}\n",
        }
        for i in range(2000)
    }
    site = build(tmp_path / "site", {**tree, "onnxruntime": {"capi": {}}})
    result = detect(site, cwd=tmp_path, after=hostile.import_then_refresh)
    assert not result["infos"]["onnxruntime"]["available"]
    assert _metadata_reads(result["import"][0], site) == {}
    assert result["import"][1].get(os.fspath(site), 0) <= 2
    assert _metadata_reads(result["refresh"][0], site) == {}


# --- parsing: the Version as importlib.metadata reads it ------------------------------------

HEADERS = {
    "folded": "Summary: a\n Version: 9.9\nVersion: 1.17.0\n",
    "folded-tab": "Summary: a\n\tVersion: 9.9\nVersion: 1.17.0\n",
    "form-feed": "Summary: a\x0cVersion: 9.9\nVersion: 1.17.0\n",
    "file-separator": "Summary: a\x1cVersion: 9.9\nVersion: 1.17.0\n",
    "group-separator": "Summary: a\x1dVersion: 9.9\nVersion: 1.17.0\n",
    "record-separator": "Summary: a\x1eVersion: 9.9\nVersion: 1.17.0\n",
    "next-line": "Summary: a\x85Version: 9.9\nVersion: 1.17.0\n",
    "line-separator": "Summary: a\u2028Version: 9.9\nVersion: 1.17.0\n",
    "paragraph-separator": "Summary: a\u2029Version: 9.9\nVersion: 1.17.0\n",
    "vertical-tab": "Summary: a\x0bVersion: 9.9\nVersion: 1.17.0\n",
    "crlf": "Summary: a\r\nVersion: 1.17.0\r\n",
    "repeated": "Version: 1.17.0\nVersion: 9.9\n",
    "value-spaces": "Version:   1.17.0  \n",
    "version-in-body": "Summary: a\n\nVersion: 9.9\n",
}


def test_headers_parsed_as_importlib_metadata_parses_them(isolated: Path) -> None:
    """Folded lines and Unicode line breaks inside values: importlib.metadata's Version.

    In this process: each case's METADATA written over the last, then detected again.
    """
    metadata_file = _ort(isolated) / "METADATA"
    found = {}
    for name, text in HEADERS.items():
        with metadata_file.open("w", encoding="utf-8", newline="") as stream:
            stream.write("Metadata-Version: 2.1\nName: onnxruntime\n" + text + "\nbody\n")
        importlib.invalidate_caches()
        accelprobe.refresh()
        try:
            truth = importlib.metadata.version("onnxruntime")
        except Exception:  # noqa: BLE001 - no usable version
            truth = None
        seen = accelprobe.backend_info("ort").version
        found[name] = [truth, seen, accelprobe.installed_version("onnxruntime")]
    wrong = {name: seen for name, seen in found.items() if len(set(seen)) != 1}
    assert wrong == {}


def test_is_backend_version_without_a_specifier(isolated: Path) -> None:
    """In this process: the specifier is checked whatever detection found."""
    build(isolated, installed("onnxruntime"))
    accelprobe.refresh()
    for specifier in (None, 1.17, b">=1"):
        with pytest.raises(ValueError, match="invalid version specifier"):
            accelprobe.is_backend_version("ort", specifier)  # type: ignore[arg-type]


# --- the report's output streams ---------------------------------------------------------

NON_ASCII = "s\u00eft\u00e9-\u043f\u0430\u043a\u0435\u0442\u044b"


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@pytest.mark.parametrize("args", [[], ["--json"], ["--probe"], ["--verify"]])
def test_report_to_a_stream_that_cannot_encode_the_path(
    tmp_path: Path, args: list[str], encoding: str
) -> None:
    """PYTHONIOENCODING=ascii (or a Windows code page), a non-ASCII site and working folder."""
    site = build(tmp_path / NON_ASCII / "site", {**runtimes(), **installed("optimum-onnx")})
    cwd = tmp_path / NON_ASCII
    settings = report_config(site, args=args)
    completed = run(settings, cwd=cwd, env={"PYTHONIOENCODING": encoding})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    assert "onnxruntime" in completed.stdout
    if args == ["--json"]:
        data = json.loads(completed.stdout)
        assert any(NON_ASCII in (entry["location"] or "") for entry in data["backends"])


def _broken_pipe() -> int:
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: every write fails with EPIPE
    return write


def _dev_full() -> int:
    return os.open("/dev/full", os.O_WRONLY)


# The report's documented status when its output cannot be written (accelprobe.report's
# docstring): 120, the status Python itself exits with when it cannot flush stdout.
UNWRITABLE = 120


@pytest.mark.parametrize("sink", [_broken_pipe, _dev_full], ids=["broken-pipe", "dev-full"])
@pytest.mark.parametrize("args", [[], ["--json"], ["--select"]])
def test_report_to_a_broken_pipe_or_a_full_disk(
    tmp_path: Path, sink: Callable[[], int], args: list[str]
) -> None:
    """``accelprobe | head -c0``, ``accelprobe >/dev/full``: the documented exit, no traceback."""
    site = build(tmp_path / "site", installed("openvino", "optimum-intel"))
    fd = sink()
    try:
        completed = run(report_config(site, args=args), cwd=tmp_path, stdout=fd)
    finally:
        os.close(fd)
    assert completed.returncode == UNWRITABLE, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    assert "Exception ignored" not in completed.stderr


def _drain_slowly(fd: int) -> bytes:
    """Everything that arrives at ``fd`` until its writers are gone, a little at a time."""
    got = bytearray()
    while True:
        time.sleep(0.005)
        chunk = os.read(fd, 512)
        if not chunk:
            return bytes(got)
        got += chunk


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="Linux sizes pipes (3.10+)")
@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("args", [[], ["--json"], ["--markdown"]])
def test_report_to_a_non_blocking_pipe(tmp_path: Path, args: list[str], unbuffered: bool) -> None:
    """Standard output an ``O_NONBLOCK`` pipe of one page, drained slowly: every byte arrives.

    The site's long path makes each report longer than the pipe holds.
    """
    site = build(tmp_path / ("d" * 250) / ("e" * 250) / ("f" * 250) / "site", runtimes())
    build(site, installed("optimum-intel", "optimum-onnx"))
    settings = report_config(site, args=args)
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    expected = run(settings, cwd=tmp_path, env=env)
    assert expected.returncode == 0, expected.stderr[-3000:]
    assert len(expected.stdout.encode()) > 4096
    read, write = os.pipe()
    try:
        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 4096)
        os.set_blocking(write, False)
        with start(settings, cwd=tmp_path, env=env, stdout=write) as process:
            os.close(write)
            write = -1
            try:
                got = _drain_slowly(read)
                _, err = process.communicate(timeout=TIMEOUT)
            finally:
                kill_group(process.pid)
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
    assert process.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    assert got.decode() == expected.stdout


NOT_PLAIN_NUMBERS = ["\u00b2", "5" * 5000, "\u0663\u0660\u0660", "\uff11\uff12\uff10", "1e3", "-5"]


@pytest.mark.parametrize("columns", NOT_PLAIN_NUMBERS[:2], ids=["superscript-two", "5000-digits"])
def test_report_with_columns_that_is_not_a_plain_number(tmp_path: Path, columns: str) -> None:
    """``COLUMNS=\u00b2`` or 5,000 digits: ignored, the default width, no traceback."""
    site = build(tmp_path / "site", installed("openvino", "optimum-intel"))
    settings = report_config(site, args=[])
    completed = run(settings, cwd=tmp_path, env={"COLUMNS": columns})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr
    assert completed.stdout == run(settings, cwd=tmp_path, env={"COLUMNS": ""}).stdout


@pytest.mark.parametrize("columns", NOT_PLAIN_NUMBERS)
def test_width_ignores_columns_that_is_not_a_plain_number(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """In this process: each is ignored (Arabic-Indic and fullwidth digits too)."""
    monkeypatch.setenv("COLUMNS", columns)
    assert report._width(None) == report._WIDTH
    monkeypatch.setenv("COLUMNS", " 120 ")
    assert report._width(None) == 120


def test_report_gives_up_on_an_output_that_takes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In this process: a non-blocking pipe nobody reads, a short stall: OSError, then 120."""
    monkeypatch.setattr(_output, "STALL", 0.2)
    read, write = os.pipe()
    try:
        os.set_blocking(write, False)
        with pytest.raises(BlockingIOError):
            _output.write_all(write, b"x" * (1 << 20))  # more than any pipe holds
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize("args", [[], ["--json"], ["--select"]])
def test_report_with_stdout_closed(tmp_path: Path, args: list[str]) -> None:
    """``accelprobe >&-``: Python starts with no sys.stdout; the documented exit, no traceback."""
    site = build(tmp_path / "site", installed("openvino", "optimum-intel"))
    settings = report_config(site, args=args)
    completed = run(settings, cwd=tmp_path, stdout=None, close_stdout=True)
    assert completed.returncode == UNWRITABLE, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr


# --- the isolated probe ------------------------------------------------------------------


def probe_isolated(
    tmp_path: Path,
    mode: str,
    *,
    timeout: float = NEVER,
    verify: bool = False,
    env: dict[str, str] | None = None,
    before: Hook | None = None,
) -> dict[str, Any]:
    """Probe the fake onnxruntime in a child, its behaviour picked by ``mode``."""
    site = tmp_path / "site"
    if not site.exists():
        build(site, runtimes())
    after = partial(hostile.probe_isolated, verify=verify, timeout=timeout)
    env = {"FAKE_RUNTIME": mode, **(env or {})}
    return detect(site, cwd=tmp_path, before=before, after=after, env=env, timeout=3 * timeout)


def _dead(pid: int) -> bool:
    """Whether ``pid`` is gone (a zombie that nobody reaps counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:  # pragma: no cover - no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def test_isolated_output_flood_is_read_under_a_cap(tmp_path: Path) -> None:
    """A runtime that writes without end: bounded memory, the timeout kept."""
    result = probe_isolated(tmp_path, "flood", timeout=2)
    assert result["found"]["reason"] == "the onnxruntime probe did not finish within 2 s"
    assert kept(result["seconds"], 2)
    assert result["grew"] < 32 * MIB


def test_isolated_result_after_a_flood(tmp_path: Path) -> None:
    """3 MiB of noise before the result line: the result still counts."""
    result = probe_isolated(tmp_path, "flood-then-work")
    assert result["found"]["ok"], result["found"]["reason"]
    assert result["grew"] < 32 * MIB


@pytest.mark.parametrize(
    ("mode", "ok"),
    [("grandchild", False), ("daemon", True), ("escaped", True)],
    ids=["hangs", "finishes", "escapes-the-group"],
)
def test_isolated_grandchild_holding_the_pipe(tmp_path: Path, mode: str, ok: bool) -> None:
    """The child's whole process group is killed: no grandchild survives, the timeout holds.

    One that left the group (a session of its own) cannot be killed with it, but it does
    not keep the probe waiting once the child has exited: well inside a long timeout.
    """
    pidfile = tmp_path / "grandchild.pid"
    timeout = NEVER if ok else 3
    env = {"FAKE_PIDFILE": os.fspath(pidfile)}
    result = probe_isolated(tmp_path, mode, timeout=timeout, env=env)
    found = result["found"]
    assert found["ok"] is ok, found["reason"]
    if not ok:
        assert found["reason"] == "the onnxruntime probe did not finish within 3 s"
    assert kept(result["seconds"], timeout if not ok else timeout / 4)
    pid = int(pidfile.read_text(encoding="utf-8"))
    if mode == "escaped":
        os.kill(pid, signal.SIGKILL)
        return
    deadline = time.monotonic() + 2
    while not _dead(pid) and time.monotonic() < deadline:  # pragma: no cover - a slow kill
        time.sleep(0.05)
    if not _dead(pid):  # pragma: no cover - the failure: do not leave it behind
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the grandchild {pid} survived the probe")


def _pid_from(pidfile: Path, process: subprocess.Popen[str]) -> int:
    """The pid written to ``pidfile``, once it is there (None of it if ``process`` ended)."""
    while not pidfile.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        time.sleep(0.05)
    return int(pidfile.read_text(encoding="utf-8"))


GONE = 5.0
"""Seconds in which a probe's child must follow its killed caller (checked with ``kept``)."""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watcher polls elsewhere")
@pytest.mark.parametrize(
    ("signal_name", "handled"),
    [
        ("SIGTERM", False),
        ("SIGTERM", True),
        ("SIGHUP", False),
        ("SIGHUP", True),
        ("SIGINT", True),
        ("SIGKILL", False),
    ],
)
def test_isolated_child_dies_with_its_caller(
    tmp_path: Path, signal_name: str, handled: bool
) -> None:
    """A CI step timeout, ``timeout``, systemd or the OOM killer ends a caller mid-probe.

    The hanging runtime's child does not outlive its caller (even one killed by SIGKILL); a
    caller that handles the signal (SIGINT: Python's KeyboardInterrupt) removes the probe's
    temporary folder on its way out.
    """
    site = build(tmp_path / "site", runtimes())
    tmp, pidfile = tmp_path / "tmp", tmp_path / "child.pid"
    tmp.mkdir()
    leaves = handled and signal_name != "SIGINT"  # SIGINT: Python's own KeyboardInterrupt
    before = partial(hostile.leave_on, signal_name=signal_name) if leaves else None
    after = partial(hostile.probe_isolated, verify=False, timeout=NEVER)
    settings = config((site,), (audit.install, *as_tuple(before)), after)
    env = {"FAKE_RUNTIME": "hang", "FAKE_PIDFILE": os.fspath(pidfile), "TMPDIR": os.fspath(tmp)}
    with start(settings, cwd=tmp_path, env=env) as caller:
        try:
            pid = _pid_from(pidfile, caller)
            caller.send_signal(getattr(signal, signal_name))
            caller.communicate(timeout=TIMEOUT)
        finally:
            kill_group(caller.pid)
    killed = time.monotonic()
    while not _dead(pid) and kept(time.monotonic() - killed, GONE):
        time.sleep(0.05)
    if not _dead(pid):  # the failure: do not leave it behind
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"the probe's child {pid} outlived its caller ({signal_name})")
    if handled:
        assert os.listdir(tmp) == []
    assert caller.returncode != 0


DEVICE = {"name": "CPU", "words": ["cpu"], "description": "", "ran": None, "detail": ""}


@pytest.mark.parametrize(
    "line",
    [
        {"ok": True},
        [],
        None,
        {"ok": 1, "version": None, "devices": [], "reason": ""},
        {"ok": True, "version": 1, "devices": [], "reason": ""},
        {"ok": True, "version": None, "devices": {}, "reason": ""},
        {"ok": True, "version": None, "devices": [1], "reason": ""},
        {"ok": True, "version": None, "devices": [{**DEVICE, "words": [1]}], "reason": ""},
        {"ok": True, "version": None, "devices": [{**DEVICE, "ran": "yes"}], "reason": ""},
        {"ok": True, "version": None, "devices": [{"name": "CPU"}], "reason": ""},
    ],
)
def test_isolated_result_line_of_the_wrong_shape(tmp_path: Path, line: object) -> None:
    """A result line that is JSON of the wrong shape is a reason, never an exception."""
    result = probe_isolated(tmp_path, "result", env={"FAKE_RESULT": json.dumps(line)})
    found = result["found"]
    assert not found["ok"]
    assert found["reason"].startswith("the onnxruntime probe gave a result of the wrong shape: ")


def test_report_probe_json_with_a_result_of_the_wrong_shape(tmp_path: Path) -> None:
    site = build(tmp_path / "site", runtimes())
    env = {"FAKE_RUNTIME": "result", "FAKE_RESULT": '{"ok": true}'}
    completed = run(report_config(site, args=["--probe", "--json"]), cwd=tmp_path, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    probes = {entry["name"]: entry["probe"] for entry in json.loads(completed.stdout)["backends"]}
    assert "wrong shape" in probes["onnxruntime"]["reason"]


@pytest.mark.parametrize(
    ("mode", "ending"),
    [
        ("crash-after", "; then the probe was killed by SIGSEGV"),
        ("exit-after", "; then the probe exited with status 3"),
    ],
)
def test_isolated_crash_after_a_complete_result(tmp_path: Path, mode: str, ending: str) -> None:
    """The result is kept, and the reason names the signal (or the status)."""
    found = probe_isolated(tmp_path, mode)["found"]
    assert found["ok"]
    assert found["devices"][0]["name"] == "CPUExecutionProvider"
    assert found["reason"].endswith(ending)


def test_isolated_timeout_must_be_positive_and_finite(isolated: Path) -> None:
    """In this process: the timeout is checked before anything starts."""
    build(isolated, runtimes())
    accelprobe.refresh()
    for timeout in (
        float("inf"),
        float("-inf"),
        float("nan"),
        0,
        -1,
        0.0,
        True,
        "3",
        None,
        10**400,
    ):
        with pytest.raises(
            ValueError, match=r"^timeout must be a positive finite number of seconds, not "
        ):
            probe.probe("onnxruntime", isolated=True, timeout=timeout)  # type: ignore[arg-type]


def test_isolated_probe_with_a_huge_sys_path(tmp_path: Path) -> None:
    """A 200 KiB sys.path (over Linux's 128 KiB limit for one argument) reaches the child."""
    padding = "/nonexistent/" + "p" * 200
    before = partial(hostile.extend_path, prefix=padding, count=1000)
    found = probe_isolated(tmp_path, "", before=before)["found"]
    assert found["ok"], found["reason"]


def test_isolated_probe_leaves_no_temporary_folder(tmp_path: Path) -> None:
    """The verify profile's folder and the probe's own are removed, even when killed."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"TMPDIR": os.fspath(tmp)}
    found = probe_isolated(tmp_path, "hang-in-session", timeout=5, verify=True, env=env)["found"]
    assert found["reason"] == "the onnxruntime probe did not finish within 5 s"
    assert os.listdir(tmp) == []
    found = probe_isolated(tmp_path, "", verify=True, env=env)["found"]
    assert found["ok"]
    assert os.listdir(tmp) == []


# --- the in-process probe, from many threads -----------------------------------------------


def test_in_process_probes_from_many_threads(tmp_path: Path) -> None:
    """One at a time; the host's sys.stdout, warnings and logging are left as they were."""
    site = build(tmp_path / "site", {**runtimes(), **installed("optimum-onnx")})
    before = partial(hostile.basic_logging, level="WARNING")
    env = {"FAKE_RUNTIME": "noisy"}
    result = detect(site, cwd=tmp_path, before=before, after=hostile.probes_from_threads, env=env)
    assert {key: result[key] for key in ("same_stdout", "filters", "showwarning", "logging")} == {
        "same_stdout": True,
        "filters": True,
        "showwarning": True,
        "logging": True,
    }
    assert all(f"host line {i}\n" in result["stdout"] for i in range(200))
    assert "fake runtime: loading" not in result["stdout"]


def test_in_process_probe_of_a_runtime_that_forces_basic_config(tmp_path: Path) -> None:
    """``logging.basicConfig(force=True)`` at import: the host's handlers stay open and
    attached, its ``mode="w"`` log file keeps every line, its logging is as it was."""
    site = build(tmp_path / "site", runtimes())
    log = tmp_path / "host.log"
    before = partial(hostile.log_to_a_file, path=os.fspath(log))
    env = {"FAKE_RUNTIME": "basicconfig"}
    result = detect(
        site, cwd=tmp_path, before=before, after=hostile.probe_under_basic_config, env=env
    )
    assert result["ok"] is True
    assert result["same"] is True
    assert result["open"] == [True, True]
    assert log.read_text(encoding="utf-8") == "before\nafter\n"
    assert "fake runtime: after" not in result["stderr"]  # the runtime's handler is gone
    assert "\nafter\n" in result["stderr"]  # the host's own stderr handler is back


def test_a_child_forked_mid_probe_gets_the_host_state_back(tmp_path: Path) -> None:
    """Another thread forks while an in-process probe has swapped sys.stdout, the warnings
    hook and filters, and the runtime forced its logging: the child gets the host's back."""
    site = build(tmp_path / "site", runtimes())
    gate = os.fspath(tmp_path / "gate")
    before = partial(hostile.log_to_a_file, path=os.fspath(tmp_path / "host.log"))
    after = partial(hostile.fork_mid_probe, gate=gate)
    env = {"FAKE_RUNTIME": "basicconfig", "FAKE_GATE": gate}
    result = detect(site, cwd=tmp_path, before=before, after=after, env=env)
    assert result["child"] is True
    assert result["ok"] is True
    assert result["parent"] is True


# --- accelprobe's own version, from a wheel on sys.path ------------------------------------

WHEEL_VERSION = "99.1.0"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """accelprobe's wheel, as ``pip wheel --no-deps .`` builds it, at ``WHEEL_VERSION``."""
    root = Path(__file__).resolve().parent.parent
    project = tmp_path_factory.mktemp("project")
    for name in ("README.md", "LICENSE"):
        shutil.copy(root / name, project / name)
    shutil.copytree(root / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{accelprobe.__version__}"\n' in text
    text = text.replace(
        f'\nversion = "{accelprobe.__version__}"\n', f'\nversion = "{WHEEL_VERSION}"\n'
    )
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", os.fspath(out)]
    subprocess.run([*command, os.fspath(project)], check=True, timeout=TIMEOUT)
    (found,) = out.glob("accelprobe-*.whl")
    return found


def test_own_version_from_a_wheel_on_sys_path(wheel: Path, tmp_path: Path) -> None:
    """The wheel itself on PYTHONPATH, another accelprobe installed: the wheel's version.

    Not measured by coverage (the code runs from the wheel); test_version_in is.
    """
    assert accelprobe.__version__ != WHEEL_VERSION  # the other copy, installed
    env = environment({"PYTHONPATH": os.fspath(wheel), "COVERAGE_PROCESS_START": ""})
    code = "import accelprobe; print(accelprobe.__version__); print(accelprobe.__file__)"
    for command, expected in [
        (["-c", code], f"{WHEEL_VERSION}\n{wheel / 'accelprobe' / '__init__.py'}\n"),
        (["-m", "accelprobe", "--version"], f"accelprobe {WHEEL_VERSION}\n"),
    ]:
        completed = subprocess.run(
            [sys.executable, "-s", *command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        assert completed.stdout == expected


def test_version_in(wheel: Path, tmp_path: Path) -> None:
    """In this process: the version in a sys.path entry (a folder, a zip or wheel, inside one)."""
    import zipfile

    from accelprobe import _version

    assert _version.version_in(os.fspath(wheel)) == WHEEL_VERSION
    folder = tmp_path / "target"
    with zipfile.ZipFile(wheel) as bundle:
        bundle.extractall(folder)
    assert _version.version_in(os.fspath(folder)) == WHEEL_VERSION  # pip install --target
    assert _version.version_in(os.fspath(tmp_path)) is None  # a folder without it
    assert _version.version_in(os.fspath(wheel / "accelprobe")) is None  # inside: not beside
    assert _version.version_in(os.fspath(tmp_path / "missing" / "entry")) is None
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as bundle:
        bundle.writestr("sub/accel-1.0.dist-info/METADATA", "Version: 1.0\n\n")
        bundle.writestr("sub/accelprobe-0.dist-info/METADATA", b"Version: \xff\n\n")
        bundle.writestr("sub/accelprobe-1.dist-info/METADATA", "Name: accelprobe\n\n")
        bundle.writestr("sub/accelprobe-2.dist-info/RECORD", "")
        bundle.writestr("sub/accelprobe-3.dist-info/METADATA", "Version: 3.0\n\n")
        bundle.writestr("accelprobe-4.dist-info/METADATA", "Version: 4.0\n\n")
    assert _version.version_in(os.fspath(nested / "sub")) == "3.0"
    assert _version.version_in(os.fspath(nested)) == "4.0"
    damaged = tmp_path / "damaged.whl"
    damaged.write_bytes(b"PK\x03\x04 not a zip")
    assert _version.version_in(os.fspath(damaged)) is None
    # the suite's accelprobe: editable (src/ has no metadata) or installed (nox: a wheel's)
    assert _version.own_version() in {None, accelprobe.__version__}
