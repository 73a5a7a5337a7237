"""Every ``python`` block of the README and of ``docs/`` runs as pasted.

Each block runs in a fresh ``sys.executable -I -W error`` started in an empty folder, with
no ``ACCELPROBE_*`` variable set: there only accelprobe and the test dependencies are
installed, so a sample that meets an absent backend must handle it. A block right after an
``<!-- e2e -->`` line needs a real backend and a model: it is skipped here, and
tests/test_e2e.py runs it in the e2e venvs (``nox -s e2e``), where the other samples run
too, beside real backends. Blocks that are not Python say what they are (``console``,
``json``, ``text``); a fence without a language is an error, so no sample hides from this.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
E2E_MARK = "<!-- e2e -->"
LANGUAGES = {"python", "console", "json", "text", "toml", "yaml"}
TIMEOUT = 120
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    path: str  # relative to the repository root
    line: int  # of the opening fence, counting from 1
    language: str
    code: str
    e2e: bool  # right after an <!-- e2e --> line

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


def documents() -> list[Path]:
    """The Markdown files whose samples a reader may paste."""
    docs = sorted((ROOT / "docs").glob("*.md"))
    return [ROOT / "README.md", *docs, ROOT / "benchmarks" / "README.md"]


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The fenced code blocks of ``path``, in order, named relative to ``root``."""
    found = []
    lines = path.read_text(encoding="utf-8").splitlines()
    relative = path.relative_to(root).as_posix()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        previous = next((text.strip() for text in reversed(lines[:index]) if text.strip()), "")
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        code = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(relative, index + 1, opening["info"], code, previous == E2E_MARK))
        index = end + 1
    return found


def samples(*, e2e: bool) -> list[Block]:
    """The ``python`` blocks of every document, those marked e2e or the others."""
    every = [block for path in documents() for block in blocks(path)]
    return [block for block in every if block.language == "python" and block.e2e is e2e]


def run(
    interpreter: str,
    code: str,
    folder: Path,
    env: dict[str, str] | None = None,
    *,
    strict: bool = True,
) -> str:
    """Run ``code`` as a fresh, isolated program; its output, or a failure with all of it.

    ``strict``: every warning is an error (the real runtimes of the e2e venvs warn on their
    own, so there it is off).
    """
    environ = {
        key: value
        for key, value in (os.environ if env is None else env).items()
        if not key.startswith(("ACCELPROBE_", "PYTHON", "COVERAGE_"))
    }
    completed = subprocess.run(
        [interpreter, "-I", *(["-W", "error"] if strict else []), "-c", code],
        cwd=folder,
        env=environ,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"exit {completed.returncode}:\n{output}"
    return output


@pytest.mark.parametrize("sample", samples(e2e=False), ids=str)
def test_sample_runs_as_pasted(sample: Block, tmp_path: Path) -> None:
    run(sys.executable, sample.code, tmp_path)


def test_every_document_has_samples() -> None:
    # A renamed file or a broken fence must not leave this test with nothing to run.
    assert {block.path for block in samples(e2e=False)} >= {
        "README.md",
        "docs/api.md",
        "docs/probe.md",
        "docs/pytest-plugin.md",
    }
    assert [str(block) for block in samples(e2e=True)] == [
        f"README.md:{_line_of('README.md', E2E_MARK) + 1}"
    ]


def _line_of(name: str, text: str) -> int:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return lines.index(text) + 1


def test_every_block_names_its_language() -> None:
    unnamed = [
        f"{block} ({block.language or 'no language'})"
        for path in documents()
        for block in blocks(path)
        if block.language not in LANGUAGES
    ]
    assert unnamed == []


def test_the_e2e_sample_handles_absence(tmp_path: Path) -> None:
    # Where no accelerator is installed, the model sample says so instead of failing: it
    # takes its except branch and never reaches transformers or the Hub.
    import accelprobe

    if accelprobe.available_accelerators():  # pragma: no cover - a developer's own venv
        pytest.skip("an accelerator is installed here: the sample would download a model")
    (sample,) = samples(e2e=True)
    output = run(sys.executable, sample.code, tmp_path)
    assert "no accelerated model class:" in output


def test_blocks_are_parsed(tmp_path: Path) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "text\n\n```python\nprint(1)\n```\n\n<!-- e2e -->\n````python\n```\nx = 2\n````\n"
        "~~~console\n$ ls\n~~~\n",
        encoding="utf-8",
    )
    found = [
        (block.line, block.language, block.code, block.e2e) for block in blocks(document, tmp_path)
    ]
    assert found == [
        (3, "python", "print(1)\n", False),
        (8, "python", "```\nx = 2\n", True),
        (12, "console", "$ ls\n", False),
    ]


def test_the_typed_sample_is_the_readmes() -> None:
    """tests/typing_samples.py, which mypy --strict checks, is the README's sample verbatim."""
    sample = (ROOT / "tests" / "typing_samples.py").read_text(encoding="utf-8")
    _, _, code = sample.partition('"""\n\n')
    readme = [block.code for block in blocks(ROOT / "README.md") if "model_class(" in block.code]
    assert readme == [code]
