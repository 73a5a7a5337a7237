"""Property tests: versions against specifiers, and detection over broken metadata."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

import accelprobe
from tests.fake import Tree, build, needed, package

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
    tree: Tree = {"openvino-1.0.dist-info": {"METADATA": text}, **package("openvino")}
    build(site, {**tree, **needed("openvino")})
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


headers = st.sampled_from(
    ["Name", "Version", "version", "VERSION", " Version", "\tVersion", "Summary", "From ", ""]
)
values = st.text(
    alphabet=st.sampled_from(list(" \t:\x0c\x1c\x85\u2028\r19.a+\ufeff")) | st.characters(),
    max_size=12,
)
lines = st.builds(lambda header, value: f"{header}:{value}" if header else value, headers, values)
endings = st.sampled_from(["\n", "\r\n", "\r"])
texts = st.builds(
    lambda found, ending: ending.join(found), st.lists(lines, max_size=6), endings
).map(lambda text: text.encode("utf-8", "surrogatepass"))


def importlib_version(site: Path) -> str | None:
    """What ``importlib.metadata`` reads as the version: the answer accelprobe must give."""
    import importlib.metadata
    import warnings

    found = list(importlib.metadata.distributions(path=[str(site)]))
    try:
        with warnings.catch_warnings():  # 3.12+: "Implicit None on return values is deprecated"
            warnings.simplefilter("ignore", DeprecationWarning)
            version = found[0].version
    except (UnicodeDecodeError, KeyError):  # KeyError: a missing header, in later Pythons
        return None
    return version or None


@settings(SETTINGS, max_examples=300)
@given(metadata=st.one_of(texts, st.binary(max_size=64)))
@example(metadata=b"Name: openvino\nVersion: 1.0\n folded\n")  # a folded value, every run
def test_metadata_is_read_as_importlib_metadata_reads_it(isolated: Path, metadata: bytes) -> None:
    install(isolated, metadata)
    info = accelprobe.backend_info("openvino")
    assert info.available is accelprobe.is_openvino_available()
    expected = importlib_version(isolated)
    assert info.version == expected
    assert info.available is (expected is not None)
    if not info.available:
        assert "does not count" in info.reason
