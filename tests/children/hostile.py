"""The hostile worlds of tests/test_hostile.py, as the child runs them.

tests/hostile_support.py installs ``tests.children.audit`` first in every child.
"""

from __future__ import annotations

import functools
import importlib.machinery
import itertools
import os
import sys
from typing import Any, Callable

from tests.children import audit
from tests.children.common import infos

KEYS = ("openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx")


def exercise(result: dict[str, Any], *, select: bool = False) -> None:
    """Call every public function; record anything raised other than the documented errors.

    With ``select``, also record what ``select_accelerator()`` chose.
    """
    import accelprobe
    from accelprobe import backends

    problems: list[str] = []

    def call(name: str, function: Callable[[], object], *expected: type[Exception]) -> None:
        try:
            function()
        except expected:
            pass
        except Exception as error:  # noqa: BLE001 - recorded for the test to show, never raised
            problems.append(f"{name}: {type(error).__name__}")

    for key in KEYS:
        call(f"backend_info({key})", functools.partial(accelprobe.backend_info, key))
    call("all_backends", accelprobe.all_backends)
    call("installed_version", lambda: backends.installed_version("onnxruntime"))
    call("is_backend_version", lambda: accelprobe.is_backend_version("ort", ">=1"))
    call("available_accelerators", accelprobe.available_accelerators)
    call("select_accelerator", accelprobe.select_accelerator, ImportError)
    call("refresh", accelprobe.refresh)
    result["problems"] = problems
    result["infos"] = infos()
    result["grew"] = audit.grew()
    if select:
        result["selected"] = accelprobe.select_accelerator()


def unreadable(result: dict[str, Any], *, site: str) -> None:
    """Detect, as nobody where running as root, in ``site`` whose METADATA is mode 0."""
    import accelprobe

    accelprobe.all_backends()  # everything detection imports, loaded while still privileged
    import importlib.metadata  # noqa: F401

    import packaging.specifiers
    import packaging.version  # noqa: F401

    if os.geteuid() == 0:
        os.setegid(65534)
        os.seteuid(65534)  # nobody: the file modes count again (root's bypass is gone)
    try:
        open(site + "/onnxruntime-1.17.0.dist-info/METADATA", "rb").close()
    except PermissionError:
        result["readable"] = False
    else:
        result["readable"] = True
    sys.path.insert(0, site)
    accelprobe.refresh()
    result["infos"] = infos()
    if os.getuid() == 0:
        os.seteuid(0)  # so that coverage can write its data
        os.setegid(0)


# --- finders that raise unprintably or return junk ------------------------------------------


class Unprintable(Exception):  # noqa: N818 - the name the reasons show
    def __str__(self) -> str:
        msg = "__str__ raised"
        raise RuntimeError(msg)

    __repr__ = __str__


ROOTS = {"onnxruntime", "openvino", "intel_extension_for_pytorch", "optimum", "torch"}


def _junk(name: str, behaviour: str) -> object:
    """What the hostile finder does for a backend's ``name``: raise, or return junk."""
    if behaviour == "unprintable":
        raise Unprintable
    if behaviour == "unprintable-cause":
        raise Unprintable(Unprintable())
    if behaviour == "object":
        return object()
    if behaviour == "int":
        return 42
    if behaviour == "origin-int":
        return importlib.machinery.ModuleSpec(name, None, origin=42)  # type: ignore[arg-type]
    spec = importlib.machinery.ModuleSpec(name, None, origin="/nonexistent/x.py")
    if behaviour == "locations":
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = 42  # type: ignore[assignment]
        return spec
    if behaviour == "endless":  # a foreign iterable that never ends
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = itertools.count()  # type: ignore[assignment]
        return spec
    assert behaviour == "gone", behaviour
    spec.has_location = True
    return spec


def junk_finder(result: dict[str, Any], *, behaviour: str) -> None:
    """First on sys.meta_path, a finder that answers ``_junk(name, behaviour)`` for backends."""
    audit.start(result)

    class Hostile:
        @staticmethod
        def find_spec(name: str, path: object = None, target: object = None) -> object:  # noqa: ARG004
            if name.split(".", maxsplit=1)[0] not in ROOTS:
                return None
            return _junk(name, behaviour)

    sys.meta_path.insert(0, Hostile)  # type: ignore[arg-type]


def hostile_logging(result: dict[str, Any], *, hostile: str) -> None:
    """Logging at DEBUG to stderr, with the ``hostile`` handler or filter that raises."""
    import logging

    audit.start(result)

    class Raising(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:  # noqa: ARG002
            msg = "the handler raised"
            raise RuntimeError(msg)

    def raising(record: logging.LogRecord) -> bool:  # noqa: ARG001
        msg = "the filter raised"
        raise RuntimeError(msg)

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    if hostile == "root-handler":
        logging.getLogger().addHandler(Raising())
    elif hostile == "logger-filter":
        logging.getLogger("accelprobe").addFilter(raising)
    elif hostile == "handler-filter":
        logging.getLogger().handlers[0].addFilter(raising)
    else:
        assert hostile == "accelprobe-handler", hostile
        logging.getLogger("accelprobe").addHandler(Raising())


# --- fork ------------------------------------------------------------------------------------


def fork_while_busy(result: dict[str, Any], *, busy: str) -> None:
    """30 forks while another thread refreshes (or probes): how many children hung."""
    import threading
    import time
    import warnings

    import accelprobe
    from accelprobe import probe

    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
    stop = threading.Event()

    def work() -> None:
        if busy == "probe":
            probe.probe("onnxruntime")
        else:
            assert busy == "refresh", busy
        accelprobe.refresh()

    def loop() -> None:
        while not stop.is_set():
            work()

    work()  # once first, so that no import is under way in the thread when the process forks
    thread = threading.Thread(target=loop)
    thread.start()
    hung = 0
    for _ in range(30):
        time.sleep(0.005)
        pid = os.fork()
        if pid == 0:  # the child: the other thread is gone, maybe inside refresh()
            accelprobe.refresh()
            accelprobe.backend_info("ort")
            probe.probe("onnxruntime")
            os._exit(0)
        deadline = time.monotonic() + 60  # a hang, however slow the machine
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                break
            time.sleep(0.01)
        else:  # hung: one is enough to fail
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            hung += 1
            break
    stop.set()
    thread.join()
    result["hung"] = hung


# --- scale -----------------------------------------------------------------------------------


def _detection() -> None:
    import accelprobe

    accelprobe.refresh()
    accelprobe.backend_info("ort")
    accelprobe.all_backends()


def thousands(result: dict[str, Any], *, folders: str, count: int) -> None:
    """``count`` folders ``folders/f<i>`` on sys.path after the first: what detection reads."""
    sys.path[1:1] = [f"{folders}/f{i}" for i in range(count)]
    result["opened"], result["listed"] = audit.counted(_detection)
    result["infos"] = infos()


def huge(result: dict[str, Any], *, site: str) -> None:
    """100 of the ASCII names in ``site`` renamed to non-ASCII ones: what detection reads."""
    import accelprobe

    names = [
        (f"file{i}.txt", f"f\u00efl\u00e9-\u0444\u0430\u0439\u043b{i}.txt") for i in range(100)
    ]

    def rename(*, ascii_names: bool) -> None:
        for old, new in names:
            source, target = (new, old) if ascii_names else (old, new)
            os.rename(os.path.join(site, source), os.path.join(site, target))

    def detection() -> None:
        accelprobe.refresh()
        accelprobe.all_backends()

    try:
        rename(ascii_names=False)
        result["opened"], result["listed"] = audit.counted(detection)
    finally:
        rename(ascii_names=True)
    result["infos"] = infos()


def import_then_refresh(result: dict[str, Any]) -> None:
    """What importing accelprobe read, then what refresh() reads."""
    import accelprobe

    result["import"] = [dict(audit.opened), dict(audit.listed)]
    result["refresh"] = audit.counted(accelprobe.refresh)
    result["infos"] = infos()


# --- the probe -------------------------------------------------------------------------------


def probe_isolated(result: dict[str, Any], *, verify: bool, timeout: float) -> None:
    """Probe onnxruntime in a child: what it found, how long it took, how memory grew."""
    import dataclasses
    import time

    from accelprobe import probe

    audit.start(result)
    started = time.monotonic()
    found = probe.probe("onnxruntime", verify=verify, isolated=True, timeout=timeout)
    result["seconds"] = time.monotonic() - started
    result["found"] = dataclasses.asdict(found)
    result["grew"] = audit.grew()


def leave_on(_result: dict[str, Any], *, signal_name: str) -> None:
    """A handler of ``signal_name`` that raises ``SystemExit``, as a service's main loop has."""
    import signal

    def leave(number: int, _frame: object) -> None:
        raise SystemExit(128 + number)

    signal.signal(getattr(signal, signal_name), leave)


def extend_path(_result: dict[str, Any], *, prefix: str, count: int) -> None:
    """``count`` more sys.path entries, ``prefix`` and a number each."""
    sys.path.extend(prefix + str(i) for i in range(count))


def basic_logging(_result: dict[str, Any], *, level: str) -> None:
    """``logging.basicConfig(level=level)``."""
    import logging

    logging.basicConfig(level=level)


def probes_from_threads(result: dict[str, Any]) -> None:
    """Probes in 8 threads while another prints: are stdout, warnings and logging as they were?"""
    import logging
    import threading
    import warnings

    import accelprobe

    stdout = sys.stdout
    filters = list(warnings.filters)
    showwarning = warnings.showwarning
    root = logging.getLogger()
    state = (list(root.handlers), list(root.filters), root.level, root.manager.disable)
    accelprobe.select_accelerator(device="cpu")  # the runtime's import swaps sys.stdout
    accelprobe.refresh()
    assert sys.stdout is stdout

    def select() -> None:
        for _ in range(5):
            accelprobe.select_accelerator(device="cpu")
            accelprobe.refresh()  # forget the result: the next call probes again

    def host() -> None:
        for i in range(200):
            print(f"host line {i}")  # another thread's output is never captured

    threads = [threading.Thread(target=select) for _ in range(8)]
    threads.append(threading.Thread(target=host))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result["same_stdout"] = sys.stdout is stdout
    result["filters"] = warnings.filters == filters
    result["showwarning"] = warnings.showwarning is showwarning
    now = (list(root.handlers), list(root.filters), root.level, root.manager.disable)
    result["logging"] = now == state


def _host_state() -> dict[str, Any]:
    """What a probe must leave as it was: stdout, warnings, the root logger and its handlers."""
    import logging
    import warnings

    root = logging.getLogger()
    return {
        "stdout": id(sys.stdout),
        "showwarning": id(warnings.showwarning),
        "filters": repr(warnings.filters),
        "handlers": [id(handler) for handler in root.handlers],
        "filters_of_root": [id(found) for found in root.filters],
        "level": root.level,
        "disable": root.manager.disable,
        "open": [
            getattr(getattr(handler, "stream", None), "closed", None) is False
            for handler in root.handlers
        ],
    }


def log_to_a_file(_result: dict[str, Any], *, path: str) -> None:
    """The host logs to ``path`` (``mode="w"``) and to stderr, at INFO; it logs ``before``."""
    import logging

    logging.basicConfig(filename=path, filemode="w", level=logging.INFO, format="%(message)s")
    logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))
    logging.getLogger("host").info("before")


def probe_under_basic_config(result: dict[str, Any]) -> None:
    """An in-process probe of a runtime that calls ``basicConfig(force=True)``; then ``after``.

    ``same``: whether the host's state (``_host_state``) is as before; ``open``: whether its
    handlers' streams are open; ``ok``: the probe's.
    """
    import logging

    from accelprobe import probe

    before = _host_state()
    result["ok"] = probe.probe("onnxruntime").ok
    after = _host_state()
    result["same"] = before == after or {"before": before, "after": after}
    result["open"] = after["open"]
    logging.getLogger("host").info("after")
    for handler in logging.getLogger().handlers:
        handler.flush()


def fork_mid_probe(result: dict[str, Any], *, gate: str) -> None:
    """Another thread forks while an in-process probe waits at the runtime's gate.

    ``child``: whether the forked child found the host's state (``_host_state``) as it was
    before the probe; ``ok``: the probe's, in this process, after the fork.
    """
    import json
    import os
    import threading
    import time

    from accelprobe import probe

    before = _host_state()
    found: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: found.update(ok=probe.probe("onnxruntime").ok))
    thread.start()
    for _ in range(1200):  # a minute at most
        if os.path.exists(gate + ".in"):
            break
        time.sleep(0.05)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the probing thread is gone, the host's state must be back
        state = _host_state()
        os.write(write, json.dumps(state == before or {"child": state}).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as stream:
        result["child"] = json.loads(stream.read())
    os.waitpid(pid, 0)
    with open(gate + ".out", "w"):
        pass
    thread.join()
    result["ok"] = found.get("ok")
    result["parent"] = _host_state() == before


def raising_path_finder(result: dict[str, Any], *, folder: str) -> None:
    """A cached path-entry finder for ``folder`` whose every other attribute lookup raises.

    Its ``find_spec`` finds nothing (one that raises would break every import, beyond reach).
    """
    audit.start(result)

    class Raising:
        def find_spec(self, name: str, target: object = None) -> None:  # noqa: ARG002
            return None

        def __getattr__(self, name: str) -> object:
            msg = f"no {name} for you"
            raise RuntimeError(msg)

    sys.path_importer_cache[folder] = Raising()
