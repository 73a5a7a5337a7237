"""The opt-in pytest plugin, run with pytester against a detection set up on disk.

Every test uses the ``isolated`` fixture: the plugin detects again inside the inner run,
and the fixture restores this process's detection afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.fake import build, installed

if TYPE_CHECKING:
    from pathlib import Path

PLUGIN = "accelprobe.pytest_plugin"
CONFTEST = f"pytest_plugins = [{PLUGIN!r}]"
# The two ways to enable the plugin: from conftest.py, or with -p.
ENABLE = [pytest.param("conftest", id="conftest"), pytest.param("-p", id="-p")]

TESTS = """
import pytest

@pytest.mark.requires_backend("onnxruntime")
def test_ort():
    pass

@pytest.mark.requires_backend("ort", "ipex", "openvino", "ipex")
def test_ort_ipex_and_openvino():
    pass

@pytest.mark.requires_backend("ort")
class TestClass:
    @pytest.mark.requires_backend("optimum-onnx")
    def test_method(self):
        pass

@pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.requires_backend("ov"))])
def test_param(x):
    pass

def test_plain():
    pass
"""
NO_IPEX = "no module named 'intel_extension_for_pytorch'"


def run(pytester: pytest.Pytester, enable: str, *args: str) -> pytest.RunResult:
    """Run pytest in this process with the plugin enabled the way ``enable`` says."""
    if enable == "conftest":
        pytester.makeconftest(CONFTEST)
        return pytester.runpytest_inprocess("--strict-markers", *args)
    return pytester.runpytest_inprocess("-p", PLUGIN, "--strict-markers", *args)


@pytest.mark.parametrize("enable", ENABLE)
def test_marker_skips_naming_every_missing_backend_at_the_test(
    pytester: pytest.Pytester, isolated: Path, enable: str
) -> None:
    build(isolated, installed("onnxruntime"))
    pytester.makepyfile(test_marks=TESTS)
    result = run(pytester, enable, "-rs")
    result.assert_outcomes(passed=3, skipped=3)
    result.stdout.fnmatch_lines(
        [
            (
                "accelprobe: openvino missing, onnxruntime 1.18.0, ipex missing, "
                "optimum-intel missing, optimum-onnx missing; accelerators: none"
            ),
            (
                f"SKIPPED [[]1[]] test_marks.py:7: requires ipex: {NO_IPEX}; "
                "requires openvino: no module named 'openvino'"
            ),
            "SKIPPED [[]1[]] test_marks.py:13: requires optimum-onnx: no module named 'optimum'",
            "SKIPPED [[]1[]] test_marks.py:17: requires openvino: no module named 'openvino'",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str()
    assert "detected again after collection" not in result.stdout.str()


@pytest.mark.parametrize("enable", ENABLE)
@pytest.mark.usefixtures("isolated")
def test_class_and_module_markers_skip_with_the_line(
    pytester: pytest.Pytester, enable: str
) -> None:
    """As pytest's own ``skipif`` on a class or in ``pytestmark``: file and line of the test."""
    pytester.makepyfile(
        test_module="""
            import pytest

            pytestmark = pytest.mark.requires_backend("ov")

            def test_a():
                pass
        """,
        test_class="""
            import pytest

            @pytest.mark.requires_backend("ov")
            class TestC:
                def test_b(self):
                    pass
        """,
    )
    result = run(pytester, enable, "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED [[]1[]] test_class.py:5: requires openvino: no module named 'openvino'",
            "SKIPPED [[]1[]] test_module.py:5: requires openvino: no module named 'openvino'",
        ]
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "@pytest.mark.requires_backend()\ndef test_x():\n    pass\n",
            "test_bad.py::test_x: requires_backend takes one or more backend names, "
            "e.g. @pytest.mark.requires_backend('onnxruntime')",
            id="empty",
        ),
        pytest.param(
            "@pytest.mark.requires_backend(name='ort')\ndef test_x():\n    pass\n",
            "test_bad.py::test_x: requires_backend takes one or more backend names*",
            id="keyword",
        ),
        pytest.param(
            "@pytest.mark.requires_backend('ort', 'cuda')\ndef test_x():\n    pass\n",
            "test_bad.py::test_x: requires_backend: unknown backend 'cuda'; expected a backend *",
            id="unknown",
        ),
        pytest.param(
            "@pytest.mark.requires_backend(None)\nclass TestX:\n"
            "    def test_x(self):\n        pass\n",
            "test_bad.py::TestX::test_x: requires_backend: unknown backend None*",
            id="class",
        ),
        pytest.param(
            "@pytest.mark.parametrize('x', [pytest.param(1, "
            "marks=pytest.mark.requires_backend('gpu'))])\ndef test_x(x):\n    pass\n",
            "test_bad.py::test_x[[]1[]]: requires_backend: unknown backend 'gpu'*",
            id="param",
        ),
    ],
)
@pytest.mark.parametrize("enable", ENABLE)
@pytest.mark.usefixtures("isolated")
def test_bad_marker_is_a_collection_error(
    pytester: pytest.Pytester, enable: str, source: str, message: str
) -> None:
    pytester.makepyfile(test_bad="import pytest\n\n" + source, test_good="def test_y(): pass\n")
    result = run(pytester, enable, "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting test_bad.py*", message])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.usefixtures("isolated")
def test_bad_marker_added_after_collection_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        CONFTEST
        + "\nimport pytest\n\n"
        + "def pytest_collection_modifyitems(items):\n"
        + "    items[0].add_marker(pytest.mark.requires_backend('cuda'))\n"
    )
    pytester.makepyfile("def test_y(): pass\n")
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*requires_backend: unknown backend 'cuda'*"])


@pytest.mark.parametrize("enable", ENABLE)
def test_a_shadow_in_the_rootdir_is_seen_either_way(
    pytester: pytest.Pytester, isolated: Path, enable: str
) -> None:
    """detection ran before pytest put the rootdir on sys.path: the plugin detects again."""
    build(isolated, installed("openvino"))
    pytester.makepyfile(
        openvino="",
        test_shadow="""
            import pytest

            @pytest.mark.requires_backend("openvino")
            def test_ov():
                pass
        """,
    )
    shadow = pytester.path / "openvino.py"
    result = run(pytester, enable, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [f"SKIPPED [[]1[]] test_shadow.py:3: requires openvino: a file {shadow} shadows*"]
    )
    # conftest.py put the rootdir on sys.path before the header; -p only at collection.
    changed = "*openvino shadowed*(detected again after collection)"
    if enable == "-p":
        result.stdout.fnmatch_lines(["accelprobe: openvino 1.18.0, *", changed])
    else:
        result.stdout.fnmatch_lines(["accelprobe: openvino shadowed, *"])
        result.stdout.no_fnmatch_line(changed)


def test_header_names_why_a_backend_is_not_available(
    pytester: pytest.Pytester, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(isolated, installed("openvino", "optimum-intel"))
    monkeypatch.setenv("ACCELPROBE_DISABLE", "ipex")
    result = run(pytester, "-p")
    result.stdout.fnmatch_lines(
        [
            (
                "accelprobe: openvino 1.18.0, onnxruntime missing, ipex disabled, "
                "optimum-intel 1.18.0, optimum-onnx missing; accelerators: ov"
            )
        ]
    )
