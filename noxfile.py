"""Nox sessions; each interpreter is used when present and never required.

- ``tests-3.9`` ... ``tests-3.14``: the unit tests on each CPython found on PATH
  (``python3.9`` ...), with 100% branch coverage of ``src/`` required.
- ``tests-3.13t``, ``tests-3.14t``: the same on a free-threaded CPython (``python3.13t`` on
  PATH; ``.ci/run`` also looks in each folder of ``ACCELPROBE_PYTHON_DIRS``, e.g. the ``bin``
  of one built by ``build-python.sh 3.13 --free-threaded``), run with ``PYTHON_GIL=0`` and the
  same 100% gate. Its pure-Python coverage tracer makes it about twice as slow.
- ``tests-pypy3.9`` ... ``tests-pypy3.11``: the same on PyPy (``pypy3.9`` on PATH, e.g. from
  ``apt-get install pypy3 pypy3-venv``). Coverage is measured and printed but NOT gated: PyPy
  reaches a few defensive lines by other paths than CPython (its import system's caches
  differ), and tracing makes the run about three times slower.
- ``integration``: detection against the real backend wheels (cached in ~/.cache/accelprobe).
- ``realenv``, ``e2e``: real pip/uv environments, and a real model through optimum, on 3.11.
- ``lint`` (ruff), ``typing`` (mypy --strict), ``bench`` (the budgets of SPEC.md).

``nox`` runs ``tests`` (every interpreter found), ``integration``, ``lint``, ``typing`` and
``bench``; ``.ci/run`` adds ``realenv`` and ``e2e``. Interpreters are looked up on PATH only
(``.ci/run`` puts pyenv's there); ``nox -l`` lists only those found, so
``nox --error-on-missing-interpreters -s tests`` never asks for an absent one.
``nox -s tests --force-python PATH`` runs the tests on any interpreter (as the workflow does).
Test dependencies are installed from wheels only, within ``tests/constraints.txt``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
# Never download an interpreter: a missing one is skipped (or, asked for, an error).
nox.options.download_python = "never"
nox.options.sessions = ["tests", "integration", "lint", "typing", "bench"]

ROOT = Path(__file__).parent
CONSTRAINTS = str(ROOT / "tests" / "constraints.txt")
# Downloads live outside the checkout, so that each fresh clone on one machine reuses them.
CACHE = Path(os.environ.get("ACCELPROBE_CACHE", Path("~/.cache/accelprobe").expanduser()))
CPYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]
FREE_THREADED = ["3.13t", "3.14t"]
PYPYS = ["pypy3.9", "pypy3.10", "pypy3.11"]
# Pinned so that a new release's rules cannot turn CI red on an unchanged tree.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"


# The interpreters of the default session list: only those found, in the order above.
FOUND = [version for version in CPYTHONS if shutil.which(f"python{version}")]
TEST_PYTHONS = [
    *FOUND,
    *(version for version in FREE_THREADED if shutil.which(f"python{version}")),
    *(name for name in PYPYS if shutil.which(name)),
]
NEWEST = FOUND[-1:] or None


def _interpreter(session: nox.Session) -> tuple[str, bool]:
    """The session's implementation name and whether it is a free-threaded build."""
    code = (
        "import sys, sysconfig; "
        "print(sys.implementation.name, bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    )
    output = session.run("python", "-c", code, silent=True, log=False)
    if not isinstance(output, str):  # --install-only: nothing runs, nothing to tell
        return "", False
    name, free_threaded = output.split()
    return name, free_threaded == "True"


def _coverage_env(session: nox.Session) -> dict[str, str]:
    # session.python may be a path (--force-python): keep the folder's name to one part.
    data = ROOT / ".cache" / "coverage" / re.sub(r"[^\w.-]+", "_", str(session.python))
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    return {
        "COVERAGE_PROCESS_START": str(ROOT / "pyproject.toml"),
        "COVERAGE_FILE": str(data / ".coverage"),
    }


def _install_test(session: nox.Session, *extra: str) -> None:
    """The project with its test extra, from wheels only, within the constraints."""
    session.install("--only-binary=:all:", "-c", CONSTRAINTS, ".[test]", *extra)


@nox.session(python=TEST_PYTHONS or None)
def tests(session: nox.Session) -> None:
    """Unit tests against the installed wheel, with branch coverage (100% required but on PyPy)."""
    _install_test(session)
    implementation, free_threaded = _interpreter(session)
    env = _coverage_env(session)
    if free_threaded:
        # Keep the GIL off even if an extension module without free-threading support loads.
        env["PYTHON_GIL"] = "0"
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=env)
    session.run("coverage", "combine", "--quiet", env=env)
    gate = [] if implementation == "cpython" else ["--fail-under=0"]
    session.run("coverage", "report", *gate, env=env)


def _marked(session: nox.Session, marker: str) -> None:
    """Run the tests that carry ``marker``; selecting none (exit 5) is not a failure."""
    session.run("pytest", "-m", marker, *session.posargs, success_codes=[0, 5])


@nox.session(python=NEWEST)
def integration(session: nox.Session) -> None:
    """Detect against the real backend wheels (downloaded once into ~/.cache/accelprobe)."""
    _install_test(session)
    session.env.setdefault("ACCELPROBE_INTEGRATION_CACHE", str(CACHE / "integration"))
    _marked(session, "integration")


# The real-environment layers run on 3.11: torch 2.13.0's CPU wheel is on this machine for it.
REAL_PYTHON = "3.11"


@nox.session(python=REAL_PYTHON)
def realenv(session: nox.Session) -> None:
    """Real pip/uv venvs from a cached wheelhouse, judged by an oracle that is not accelprobe."""
    _install_test(session)
    _marked(session, "realenv")


@nox.session(python=REAL_PYTHON)
def e2e(session: nox.Session) -> None:
    """From select_accelerator() to a running optimum model, on real wheels and a real model."""
    _install_test(session)
    _marked(session, "e2e")


@nox.session(python=NEWEST)
def lint(session: nox.Session) -> None:
    """Ruff's checks and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=NEWEST)
def typing(session: nox.Session) -> None:
    """mypy --strict on the package, the tests, the benchmarks and this file."""
    _install_test(session, MYPY, "nox")
    session.run("mypy", *session.posargs)


@nox.session(python=NEWEST)
def bench(session: nox.Session) -> None:
    """Time imports and calls in fresh processes and print the ratios to the budgets."""
    session.install(".")
    session.run("python", "benchmarks/run.py", *session.posargs)


# --- lowest: the lowest runtime dependencies that pyproject.toml allows -----------------------

LOWEST_PYTHON = "3.9"  # the oldest Python supported, whose pytest still allows packaging 22


def _lowest_pins() -> list[str]:
    """``NAME==X`` for each ``NAME>=X`` in pyproject.toml's ``[project] dependencies``."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r"^dependencies = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    if found is None:
        return []
    bounds = re.findall(r'"([A-Za-z0-9._-]+)\s*>=\s*([^",;\s]+)', found.group(1))
    return [f"{name}=={version}" for name, version in bounds]


def _release(version: str) -> list[int]:
    """A release's numbers without trailing zeros: 22 and 22.0 are the same release."""
    parts = [int(part) for part in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return parts


def _check_installed(session: nox.Session, pins: list[str]) -> None:
    """Fail the session unless each ``NAME==X`` of ``pins`` is what pip installed."""
    output = session.run("python", "-m", "pip", "freeze", silent=True, log=False)
    if not isinstance(output, str):  # --install-only: nothing ran, nothing to check
        return
    installed = dict(line.lower().split("==", 1) for line in output.splitlines() if "==" in line)
    wrong = [
        f"{name} {installed.get(name.lower())}"
        for name, low in (pin.split("==") for pin in pins)
        if _release(installed.get(name.lower(), "0")) != _release(low)
    ]
    if wrong:
        session.error(f"not the lowest allowed: {wrong}")


@nox.session(python=LOWEST_PYTHON)
def lowest(session: nox.Session) -> None:
    """The unit tests with the lowest allowed dependencies, every warning an error."""
    pins = _lowest_pins()
    session.install("--only-binary=:all:", "-c", CONSTRAINTS, ".[test]", *pins)
    _check_installed(session, pins)
    env = {"PYTHONWARNINGS": "error"}  # also in the children the tests start
    session.run("python", "-W", "error", "-m", "pytest", *session.posargs, env=env)
