"""Sessions: tests on every Python 3.9-3.13 found, integration, lint, typing, bench.

Run ``nox`` for the default set, ``nox -s tests-3.12`` for one. Interpreters come from
PATH or, if pyenv is installed, from ``$(pyenv root)/versions``.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "integration", "lint", "typing", "bench"]

ROOT = Path(__file__).parent
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
# Pinned so that a new release's rules cannot turn CI red on an unchanged tree.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
PYENV_ROOT = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))  # noqa: PTH111
for _bin in sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", "3.*", "bin"))):  # noqa: PTH118, PTH207
    os.environ["PATH"] = _bin + os.pathsep + os.environ["PATH"]
FOUND = [version for version in PYTHONS if shutil.which(f"python{version}")]


def _coverage_env(session: nox.Session) -> dict[str, str]:
    data = ROOT / ".cache" / "coverage" / str(session.python)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    return {
        "COVERAGE_PROCESS_START": str(ROOT / "pyproject.toml"),
        "COVERAGE_FILE": str(data / ".coverage"),
    }


@nox.session(python=FOUND)
def tests(session: nox.Session) -> None:
    """Unit tests against the installed wheel, with 100% branch coverage required."""
    session.install(".[test]")
    env = _coverage_env(session)
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=env)
    session.run("coverage", "combine", "--quiet", env=env)
    session.run("coverage", "report", env=env)


@nox.session(python=FOUND[-1:])
def integration(session: nox.Session) -> None:
    """Detect against the real backend wheels (downloaded once into .cache/)."""
    session.install(".[test]")
    session.run("pytest", "-m", "integration", *session.posargs)


# The real-environment layers run on 3.11: torch 2.13.0's CPU wheel is on this machine for it.
REAL_PYTHON = "3.11"


@nox.session(python=REAL_PYTHON)
def realenv(session: nox.Session) -> None:
    """Real pip/uv venvs from a cached wheelhouse, judged by an oracle that is not accelprobe."""
    session.install(".[test]")
    session.run("pytest", "-m", "realenv", *session.posargs)


@nox.session(python=REAL_PYTHON)
def e2e(session: nox.Session) -> None:
    """From select_accelerator() to a running optimum model, on real wheels and a real model."""
    session.install(".[test]")
    session.run("pytest", "-m", "e2e", *session.posargs)


@nox.session(python=FOUND[-1:])
def lint(session: nox.Session) -> None:
    """Ruff's checks and formatting."""
    session.install(RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=FOUND[-1:])
def typing(session: nox.Session) -> None:
    """mypy --strict on the package, the tests, the benchmarks and this file."""
    session.install(".[test]", MYPY, "nox")
    session.run("mypy", *session.posargs)


@nox.session(python=FOUND[-1:])
def bench(session: nox.Session) -> None:
    """Time imports and calls in fresh processes and print the ratios to the budgets."""
    session.install(".")
    session.run("python", "benchmarks/run.py", *session.posargs)
