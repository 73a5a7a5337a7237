"""Fake runtimes, built on disk, that behave like ONNX Runtime, OpenVINO and IPEX for the
probe: each lists devices and runs (or fails to run) the test model as its config says.

``FAKE_RUNTIME`` in the environment picks a behaviour: ``hang`` (with ``FAKE_PIDFILE``, it
writes its pid there first), ``exit``, ``garbage``,
``bad-json``, ``raise`` (the import fails), ``unprintable`` (it fails with an exception
whose ``__str__`` raises), ``no-xpu``, ``xpu-off``; the hostile ones:

- ``flood`` (stdout without end), ``flood-then-work`` (3 MiB of stdout, then all is well);
- ``grandchild`` (starts a process that holds the pipes, then hangs), ``daemon`` (starts
  it, then all is well), ``escaped`` (as ``daemon``, the process in a session of its own);
  ``FAKE_PIDFILE`` is where they write that process's pid;
- ``result`` (prints ``FAKE_RESULT`` as the result line);
- ``crash-after`` and ``exit-after`` (die at exit, after the result);
- ``hang-in-session`` (ONNX Runtime's session hangs, the verify profile's folder made);
- ``noisy`` (prints, warns, and changes the warnings filters, the root logger and
  ``sys.stdout`` at import);
- ``basicconfig`` (``logging.basicConfig(force=True)`` at import, which closes the root
  logger's handlers; with ``FAKE_GATE``, it then waits at the gate: see ``_fake.py``).

Unset, all is well.
"""

from __future__ import annotations

from pathlib import Path

from tests.fake import Tree, dist

SOURCE = Path(__file__).with_name("fake_runtimes")
"""The fake runtimes' source files (see tests/fake_runtimes/__init__.py)."""


def _source(name: str) -> str:
    return (SOURCE / name).read_text(encoding="utf-8")


def _runtime(name: str) -> Tree:
    """The fake runtime ``name``'s package: its module as ``__init__.py``, ``_fake.py`` beside."""
    return {"__init__.py": _source(f"{name}.py"), "_fake.py": _source("_fake.py")}


def runtimes() -> Tree:
    """A site folder with the three fake runtimes installed, fake numpy and its metadata beside."""
    tree: Tree = {
        **dist("onnxruntime", "1.99.0"),
        **dist("openvino", "2099.1.0"),
        **dist("intel-extension-for-pytorch", "2.8.0+xpu"),
        **dist("torch", "2.8.0"),
        **dist("numpy", "2.4.6"),
        "onnxruntime": _runtime("onnxruntime"),
        "openvino": _runtime("openvino"),
        "torch": _runtime("torch"),
        "intel_extension_for_pytorch": _runtime("intel_extension_for_pytorch"),
        "numpy": {"__init__.py": _source("numpy.py")},
    }
    return tree
