"""The opt-in pytest plugin, run with pytester against a detection set up on disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import accelprobe
from tests.fake import build, installed

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

TESTS = """
import pytest

@pytest.mark.requires_backend("onnxruntime")
def test_ort():
    pass

@pytest.mark.requires_backend("ort", "ipex")
def test_ort_and_ipex():
    pass

def test_plain():
    pass
"""


def test_marker_skips_with_the_reason(pytester: pytest.Pytester, isolated: Path) -> None:
    build(isolated, installed("onnxruntime"))
    accelprobe.refresh()
    pytester.makeconftest('pytest_plugins = ["accelprobe.pytest_plugin"]')
    pytester.makepyfile(TESTS)
    result = pytester.runpytest_inprocess("--strict-markers", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            (
                "accelprobe: openvino no, onnxruntime 1.18.0, ipex no, optimum-intel no, "
                "optimum-onnx no; accelerators: none"
            ),
            "*SKIPPED*requires ipex: no module named 'intel_extension_for_pytorch'",
        ]
    )


def test_marker_with_bad_arguments(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requires_backend()
        def test_nothing():
            pass

        @pytest.mark.requires_backend("cuda")
        def test_unknown():
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "accelprobe.pytest_plugin", "--strict-markers")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*requires_backend needs at least one backend name*",
            "*unknown backend 'cuda'*",
        ]
    )
