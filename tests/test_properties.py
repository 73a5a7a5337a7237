"""Property tests: versions against specifiers, and detection over broken metadata."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

import accelprobe
from tests.fake import build, package

if TYPE_CHECKING:
    from pathlib import Path

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
numbers = st.integers(min_value=0, max_value=30).map(str)
releases = st.lists(numbers, min_size=1, max_size=4).map(".".join)
versions = st.builds(
    lambda release, pre, post, dev, local: release + pre + post + dev + local,
    releases,
    st.sampled_from(["", "a1", "b2", "rc1"]),
    st.sampled_from(["", ".post1"]),
    st.sampled_from(["", ".dev20240101"]),
    st.sampled_from(["", "+xpu", "+cu121.1"]),
)
operators = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])
clauses = st.builds(lambda op, v: op + v, operators, versions).filter(
    lambda clause: not (clause.startswith("~=") and "." not in clause.split("+")[0])
)
specifiers = st.lists(clauses, min_size=1, max_size=3).map(",".join)


def valid_specifier(text: str) -> bool:
    try:
        SpecifierSet(text)
    except ValueError:
        return False
    return True


def install(site: Path, version: str | bytes) -> None:
    shutil.rmtree(site)
    text = version if isinstance(version, bytes) else f"Name: openvino\nVersion: {version}\n"
    build(site, {"openvino-1.0.dist-info": {"METADATA": text}, **package("openvino")})
    accelprobe.refresh()


@SETTINGS
@given(version=versions, specifier=specifiers.filter(valid_specifier))
def test_is_backend_version_agrees_with_packaging(
    isolated: Path, version: str, specifier: str
) -> None:
    install(isolated, version)
    try:
        expected = SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except InvalidVersion:  # pragma: no cover - the strategy builds valid versions
        expected = False
    assert accelprobe.is_backend_version("openvino", specifier) is expected


headers = st.sampled_from(["Name", "Version", "version", "VERSION", " Version", "Summary", ""])
lines = st.builds(
    lambda header, value: f"{header}:{value}" if header else value,
    headers,
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
)
texts = st.lists(lines, max_size=6).map("\n".join).map(str.encode)


@SETTINGS
@given(metadata=st.one_of(texts, st.binary(max_size=64)))
def test_broken_metadata_never_raises_nor_claims_a_version(isolated: Path, metadata: bytes) -> None:
    install(isolated, metadata)
    info = accelprobe.backend_info("openvino")
    assert info.available is accelprobe.is_openvino_available()
    if info.available:
        assert info.version
        assert info.version.strip() == info.version
        assert info.version in metadata.decode("utf-8")
    else:
        assert info.version is None
        assert "does not count" in info.reason
