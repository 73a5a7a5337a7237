"""Detection at import time, in fresh interpreters, against environments built on disk."""

from __future__ import annotations

import os
import zipfile
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from tests.children import common, detection
from tests.fake import (
    TRAP,
    Hook,
    Tree,
    build,
    detect,
    dist,
    info,
    installed,
    metadata,
    needed,
    package,
)

if TYPE_CHECKING:
    from pathlib import Path

KEYS = ["openvino", "onnxruntime", "ipex", "optimum-intel", "optimum-onnx"]
# What `import accelprobe` may add to sys.modules: itself and nothing costly.
# accelprobe's modules that detection always needs, and those it needs once a module is found
ALLOWED_IMPORTS = {"__future__", "accelprobe", "accelprobe.backends"}
ALLOWED_IMPORTS |= {"accelprobe._facts"}
FOUND_IMPORTS = {"accelprobe._metadata"}


def only(*keys: str) -> dict[str, bool]:
    return {key: key in keys for key in KEYS}


def test_nothing_installed_imports_nothing_costly(tmp_path: Path) -> None:
    result = detect(cwd=tmp_path)
    assert result["flags"] == only()
    assert "accelprobe.backends" in result["imported"]
    assert set(result["imported"]) <= ALLOWED_IMPORTS
    assert info(result, "onnxruntime")["reason"] == "no module named 'onnxruntime'"
    assert info(result, "optimum-intel")["reason"] == "no module named 'optimum'"
    assert info(result, "ipex") == {
        "name": "ipex",
        "module": "intel_extension_for_pytorch",
        "available": False,
        "distribution": None,
        "version": None,
        "location": None,
        "reason": "no module named 'intel_extension_for_pytorch'",
        "conflicts": [],
    }


@pytest.mark.parametrize("key", KEYS)
def test_each_backend_alone(tmp_path: Path, key: str) -> None:
    site = build(tmp_path / "site", installed(key))
    result = detect(site, cwd=tmp_path)
    assert result["flags"] == only(key)
    found = info(result, key)
    assert found["available"]
    assert found["version"] == "1.18.0"
    assert found["reason"] == f"{found['distribution']} 1.18.0 is installed"
    assert found["location"] == os.path.join(site, *found["module"].split("."))
    assert "importlib.metadata" not in result["imported"]


def test_everything_installed(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    result = detect(site, cwd=tmp_path, after=detection.selected)
    assert result["flags"] == only(*KEYS)
    assert result["selected"] == "ov"
    assert set(result["imported"]) <= ALLOWED_IMPORTS | FOUND_IMPORTS


@pytest.mark.parametrize(
    ("name", "module_dir"),
    [
        ("onnxruntime-gpu", "onnxruntime"),
        ("onnxruntime-directml", "onnxruntime"),
        ("ort-nightly", "onnxruntime"),
        ("onnxruntime-openvino", "onnxruntime"),
        ("openvino-nightly", "openvino"),
    ],
)
def test_variant_distributions(tmp_path: Path, name: str, module_dir: str) -> None:
    site = build(tmp_path / "site", dist(name, "1.19.0.dev20240101", module_dir))
    result = detect(site, cwd=tmp_path)
    found = info(result, module_dir)
    assert found["available"]
    assert found["distribution"] == name
    assert found["version"] == "1.19.0.dev20240101"
    assert found["conflicts"] == []


def test_two_onnxruntime_distributions_conflict(tmp_path: Path) -> None:
    site = build(
        tmp_path / "site",
        {
            **dist("onnxruntime-gpu", "1.18.0", "onnxruntime"),
            **dist("onnxruntime", "1.17.1", "onnxruntime"),
            "metadata_only-1.0.dist-info": {"METADATA": metadata("metadata-only", "1.0")},
        },
    )
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert found["available"]
    assert found["distribution"] == "onnxruntime"  # no hashes to tell: list order decides
    assert found["conflicts"] == ["onnxruntime-gpu"]


def test_an_accepted_distribution_without_the_files_is_no_conflict(tmp_path: Path) -> None:
    site = build(
        tmp_path / "site",
        {**dist("onnxruntime-gpu", "1.18.0", "onnxruntime"), **dist("onnxruntime", "1.17.1")},
    )
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["conflicts"]) == ("onnxruntime-gpu", [])


def test_distribution_in_a_later_folder_is_hidden_not_a_conflict(tmp_path: Path) -> None:
    first = build(tmp_path / "user", dist("onnxruntime-gpu", "1.18.0", "onnxruntime"))
    second = build(tmp_path / "site", dist("onnxruntime", "1.17.1", "onnxruntime"))
    result = detect(first, second, cwd=tmp_path, after=(common.hidden, common.all_infos))
    found = info(result, "onnxruntime")
    assert found["available"]
    assert found["distribution"] == "onnxruntime-gpu"  # it owns the copy that was found
    assert found["conflicts"] == []
    assert result["hidden"] == [f"onnxruntime 1.17.1 in {second}"]


def test_unlisted_distribution_found_by_fallback(tmp_path: Path) -> None:
    site = build(tmp_path / "site", dist("onnxruntime-silicon", "1.16.3", "onnxruntime"))
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert found["available"]
    assert (found["distribution"], found["version"]) == ("onnxruntime-silicon", "1.16.3")


def test_unlisted_distribution_in_another_folder(tmp_path: Path) -> None:
    code = build(tmp_path / "code", package("onnxruntime"))
    other = dist("unrelated", "1.0", "unrelated")
    site = build(
        tmp_path / "site",
        {**other, **dist("onnxruntime-silicon", "1.16.3", "onnxruntime", copy=False)},
    )
    found = info(detect(code, site, cwd=tmp_path), "onnxruntime")
    assert not found["available"]  # no editable mapping names it the owner of that copy
    assert found["reason"].startswith(f"onnxruntime at {code / 'onnxruntime'} does not come")


@pytest.mark.parametrize(
    "info_files",
    [
        {"METADATA": metadata("onnxruntime-plugin", "1.0"), "top_level.txt": "onnxruntime\n"},
        {"METADATA": metadata("onnxruntime-plugin", "1.0"), "RECORD": "onnxruntime/x.so,,\n"},
        {"METADATA": metadata("onnxruntime-plugin", "1.0"), "top_level.txt": "other\n"},
        {"METADATA": "Name: onnxruntime-plugin\n", "top_level.txt": "onnxruntime\n"},
    ],
    ids=["top-level-only", "record-without-init", "other-top-level", "no-version"],
)
def test_fallback_needs_a_valid_provider_of_the_package(
    tmp_path: Path, info_files: dict[str, str]
) -> None:
    plugin: dict[str, Any] = {"onnxruntime_plugin-1.0.dist-info": info_files}
    site = build(tmp_path / "site", {**plugin, **package("onnxruntime"), **needed("onnxruntime")})
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    accepted = "top_level.txt" in info_files and "onnxruntime" in info_files["top_level.txt"]
    accepted = accepted and "Version" in info_files["METADATA"]
    assert found["available"] is accepted
    if not accepted:
        assert "does not come from an installed distribution" in found["reason"]


def test_empty_folder_in_working_directory(tmp_path: Path) -> None:
    (tmp_path / "onnxruntime").mkdir()
    found = info(detect("", cwd=tmp_path), "onnxruntime")
    assert not found["available"]
    assert found["location"] == str(tmp_path / "onnxruntime")
    assert found["reason"] == (
        f"{tmp_path / 'onnxruntime'} is a folder without __init__.py, not an installed package"
    )
    assert found["distribution"] is None


def test_empty_folder_does_not_hide_a_real_install(tmp_path: Path) -> None:
    (tmp_path / "onnxruntime").mkdir()
    site = build(tmp_path / "site", installed("onnxruntime"))
    assert detect("", site, cwd=tmp_path)["flags"]["onnxruntime"]


def test_leftover_of_uninstalling_one_of_two_distributions(tmp_path: Path) -> None:
    # onnxruntime and onnxruntime-gpu share one folder; uninstalling one removes the files
    # of both and leaves the other's metadata beside a folder with no __init__.py.
    leftover: Tree = {"onnxruntime": {"capi": {"libonnxruntime.so.1": b"\x7fELF"}}}
    site = build(tmp_path / "site", {**dist("onnxruntime-gpu", "1.18.0"), **leftover})
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert not found["available"]
    assert (found["distribution"], found["version"]) == ("onnxruntime-gpu", "1.18.0")
    assert found["reason"] == (
        f"onnxruntime-gpu 1.18.0 is installed but {site / 'onnxruntime'} is a folder "
        "without __init__.py"
    )


@pytest.mark.parametrize(
    ("shadow", "kind"),
    [({"onnxruntime.py": ""}, "file"), (package("onnxruntime", ""), "folder")],
)
def test_same_name_in_working_directory_shadows_install(
    tmp_path: Path, shadow: dict[str, Any], kind: str
) -> None:
    work = build(tmp_path / "work", shadow)
    site = build(tmp_path / "site", installed("onnxruntime"))
    found = info(detect("", site, cwd=work), "onnxruntime")
    shadowing = work / next(iter(shadow))
    assert not found["available"]
    assert found["location"] == str(shadowing)
    assert (found["distribution"], found["version"]) == ("onnxruntime", "1.18.0")
    assert found["reason"] == (
        f"a {kind} {shadowing} shadows onnxruntime 1.18.0 installed in {site}"
    )


def test_script_named_like_backend_without_install(tmp_path: Path) -> None:
    build(tmp_path, {"openvino.py": "", "onnxruntime.py": ""})
    result = detect("", cwd=tmp_path)
    assert result["flags"] == only()
    assert info(result, "openvino")["reason"] == (
        f"openvino at {tmp_path / 'openvino.py'} does not come from an installed "
        "distribution (openvino or openvino-nightly is not installed)"
    )
    assert (
        "onnxruntime, onnxruntime-gpu or 26 other distributions"
        in (info(result, "onnxruntime")["reason"])
    )


def test_editable_install_stays_available(tmp_path: Path) -> None:
    source = build(tmp_path / "src", package("onnxruntime"))
    site = build(tmp_path / "site", dist("onnxruntime", "1.19.0.dev0", "onnxruntime", copy=False))
    found = info(detect(site, source, cwd=tmp_path), "onnxruntime")
    assert found["available"]
    assert found["location"] == str(source / "onnxruntime")
    assert found["version"] == "1.19.0.dev0"


def test_editable_install_through_a_symlinked_folder(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("openvino"))
    link = tmp_path / "link"
    try:
        link.symlink_to(site, target_is_directory=True)
    except OSError:  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("cannot create symlinks here")
    # The module is found through the link, the metadata through the real folder.
    found = info(detect(link / "openvino" / "..", site, cwd=tmp_path), "openvino")
    assert found["available"]


@pytest.mark.parametrize(
    ("tree", "reason"),
    [
        ({}, "no module named 'optimum'"),
        ({"optimum.py": ""}, "optimum is a module, not a package, so it has no optimum.intel"),
    ],
    ids=["absent", "plain-module"],
)
def test_optimum_parent_missing_or_not_a_package(
    tmp_path: Path, tree: dict[str, Any], reason: str
) -> None:
    site = build(tmp_path / "site", {**tree, **dist("optimum-intel", "1.20.0")})
    found = info(detect(site, cwd=tmp_path), "optimum-intel")
    assert not found["available"]
    assert found["reason"] == reason


def test_parent_init_is_never_run(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("optimum-intel", "optimum-onnx"))
    (site / "optimum" / "__init__.py").write_text(TRAP, encoding="utf-8")
    result = detect(site, cwd=tmp_path)
    assert result["flags"] == only("optimum-intel", "optimum-onnx")
    assert "optimum" not in result["imported"]


HOSTILE: dict[str, tuple[Hook, str]] = {
    "blocked": (
        detection.block_onnxruntime,
        "importing onnxruntime is blocked: sys.modules['onnxruntime'] is None",
    ),
    "blocked-parent": (
        detection.block_optimum,
        "importing optimum is blocked: sys.modules['optimum'] is None",
    ),
    "no-spec": (
        detection.module_without_spec,
        "sys.modules['onnxruntime'] has no __spec__, so its origin is unknown",
    ),
    "raising-finder": (
        detection.raising_finder,
        "looking for onnxruntime raised RuntimeError: broken finder",
    ),
    "spec-without-origin": (detection.spec_without_origin, "onnxruntime has no location on disk"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_import_system(tmp_path: Path, case: str) -> None:
    before, reason = HOSTILE[case]
    site = build(tmp_path / "site", installed(*KEYS))
    result = detect(site, cwd=tmp_path, before=before, env={"ACCELPROBE_DISABLE": "ov"})
    key = "optimum-intel" if case == "blocked-parent" else "onnxruntime"
    assert not result["flags"][key]
    assert info(result, key)["reason"] == reason


def test_module_found_under_another_name_through_a_link(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime", "openvino"))
    alias = tmp_path / "alias"
    try:
        alias.symlink_to(site / "onnxruntime", target_is_directory=True)
    except OSError:  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("cannot create symlinks here")
    before = partial(detection.loaded_from_elsewhere, root=str(tmp_path))
    result = detect(site, cwd=tmp_path, before=before)
    assert info(result, "onnxruntime")["available"]  # the same folder, by another name
    assert info(result, "openvino")["reason"] == (
        f"a file {tmp_path / 'impl.py'} shadows openvino 1.18.0 installed in {site}"
    )


def test_legacy_finder_without_find_spec_is_skipped(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime"))
    before, after = detection.legacy_finder, detection.pop_meta_path
    result = detect(site, cwd=tmp_path, before=before, after=after)
    assert result["flags"]["onnxruntime"]


def test_modules_already_imported_are_used(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime", "optimum-intel", "optimum-onnx"))
    before = partial(detection.preloaded, site=str(site))
    result = detect(site, cwd=tmp_path, before=before)
    assert result["flags"] == only("onnxruntime", "optimum-intel", "optimum-onnx")


@pytest.mark.parametrize(
    ("info_files", "problem"),
    [
        ({"METADATA": ""}, "its METADATA is empty"),
        ({"METADATA": "", "PKG-INFO": ""}, "its METADATA is empty"),
        ({"METADATA": " Version: 9\nName: x\n"}, "has no Version"),
        ({}, "it has no METADATA file"),
        ({"METADATA": "Metadata-Version: 2.1\nName: onnxruntime\n"}, "has no Version"),
        ({"METADATA": "Name: onnxruntime\nVersion:   \n"}, "has an empty Version"),
        ({"METADATA": b"Name: onnxruntime\nVersion: 1.0\nSummary: \xff\xfe\n"}, "not valid UTF-8"),
        ({"METADATA": {}}, "its METADATA is not a regular file"),
        ({"METADATA": "Name: x\n\nVersion: 1.0\n"}, "has no Version"),
        ({"METADATA": "Name: x\r\n\r\nVersion: 1.0\r\n"}, "has no Version"),
    ],
    ids=[
        "empty",
        "both-empty",
        "first-line-continues",
        "missing",
        "no-version",
        "blank-version",
        "not-utf8",
        "unreadable",
        "in-body",
        "crlf-in-body",
    ],
)
def test_unusable_metadata_does_not_count(
    tmp_path: Path, info_files: dict[str, Any], problem: str
) -> None:
    site = build(tmp_path / "site", dist("onnxruntime", "1.18.0", "onnxruntime", info=info_files))
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert not found["available"]
    assert found["distribution"] is None
    assert found["reason"].startswith("onnxruntime-1.18.0.dist-info in ")
    assert problem in found["reason"]


def test_stale_dist_info_beside_a_valid_one(tmp_path: Path) -> None:
    stale = dist("onnxruntime", "1.0.0", info={"METADATA": ""})
    site = build(tmp_path / "site", {**stale, **dist("onnxruntime", "1.18.0", "onnxruntime")})
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert found["available"]
    assert found["version"] == "1.18.0"


@pytest.mark.parametrize(
    "info_tree",
    [
        {"onnxruntime-1.18.0-py3.9.egg-info": {"PKG-INFO": metadata("onnxruntime", "1.18.0")}},
        {"onnxruntime-1.18.0.egg-info": metadata("onnxruntime", "1.18.0")},
        {"onnxruntime-1.18.0.dist-info": {"METADATA": "Name: onnxruntime\r\nVersion: 1.18.0\r\n"}},
    ],
    ids=["egg-info-folder", "egg-info-file", "crlf"],
)
def test_egg_info(tmp_path: Path, info_tree: dict[str, Any]) -> None:
    site = build(
        tmp_path / "site", {**info_tree, **package("onnxruntime"), **needed("onnxruntime")}
    )
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert found["available"]
    assert found["version"] == "1.18.0"


def test_odd_sys_path_entries(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    (tmp_path / "not-a-folder.txt").write_text("x", encoding="utf-8")
    before = partial(
        detection.odd_entries,
        site=str(site),
        missing=str(tmp_path / "missing"),
        not_a_folder=str(tmp_path / "not-a-folder.txt"),
    )
    result = detect(site, cwd=tmp_path, before=before)
    assert result["flags"] == only(*KEYS)


def test_distribution_inside_a_zip_file(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("onnxruntime/__init__.py", "")
        bundle.writestr("onnxruntime-1.18.0.dist-info/METADATA", metadata("onnxruntime", "1.18"))
        bundle.writestr("openvino/__init__.py", "")
    numpy = build(tmp_path / "numpy", needed("onnxruntime"))
    result = detect(archive, numpy, cwd=tmp_path)
    found = info(result, "onnxruntime")
    assert found["available"]
    assert found["version"] == "1.18"
    assert not info(result, "openvino")["available"]


def test_third_party_distribution_finder(tmp_path: Path) -> None:
    code = build(tmp_path / "code", {**package("openvino"), **needed("openvino")})
    site = build(tmp_path / "site", dist("openvino", "2024.1", info={"METADATA": ""}))
    before = detection.distribution_finder
    found = info(detect(code, site, cwd=tmp_path, before=before), "openvino")
    assert found["available"]
    assert found["version"] == "2024.1"


def test_what_an_import_needs_counts_on_sys_path_only(tmp_path: Path) -> None:
    """numpy beside a distribution that a finder gives from off sys.path cannot be imported."""
    code = build(tmp_path / "code", package("openvino"))
    elsewhere = build(tmp_path / "elsewhere", {**dist("openvino", "2024.1"), **needed("openvino")})
    before = partial(detection.distribution_finder_of, folder=str(elsewhere))
    found = info(detect(code, cwd=tmp_path, before=before), "openvino")
    assert not found["available"]
    assert "openvino 2024.1 needs numpy, not installed" in found["reason"]


def test_a_parent_located_once_serves_each_of_its_submodules(tmp_path: Path) -> None:
    """A finder gives optimum's folders as an iterator, read once: both integrations see them."""
    site = build(tmp_path / "site", installed("optimum-intel", "optimum-onnx"))
    before = partial(detection.one_shot_optimum_path, site=str(site))
    result = detect(site, cwd=tmp_path, before=before)
    assert info(result, "optimum-intel")["available"]
    assert info(result, "optimum-onnx")["available"]
    assert result["asked"] == 1


def test_removed_working_directory(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("openvino"))
    gone = tmp_path / "gone"
    gone.mkdir()
    before = partial(detection.remove_working_directory, folder=str(gone))
    if os.name == "nt":  # pragma: no cover - Windows cannot remove the working directory
        pytest.skip("Windows cannot remove the working directory")
    result = detect(site, cwd=tmp_path, before=before, after=detection.openvino_version)
    assert result["flags"] == only("openvino")
    assert result["v"] == ["1.18.0", ""]


@pytest.mark.parametrize(
    ("value", "disabled"),
    [
        ("ov", {"openvino"}),
        ("ort, IPEX", {"onnxruntime", "ipex"}),
        ("onnxruntime,optimum_intel,,", {"onnxruntime", "optimum-intel"}),
        ("nonsense", set()),
    ],
)
def test_disable_variable(tmp_path: Path, value: str, disabled: set[str]) -> None:
    site = build(tmp_path / "site", installed(*KEYS))
    env = {"ACCELPROBE_DISABLE": value}
    result = detect(site, cwd=tmp_path, env=env, before=detection.import_logging)
    assert result["flags"] == {key: key not in disabled for key in KEYS}
    for key in disabled:
        assert info(result, key)["reason"] == "disabled by ACCELPROBE_DISABLE"


def test_debug_log_names_what_was_caught(tmp_path: Path) -> None:
    before = detection.debug_log_and_a_broken_finder
    site = build(tmp_path / "site", dist("onnxruntime", "1.0", info={"METADATA": ""}))
    result = detect(site, cwd=tmp_path, before=before, env={"ACCELPROBE_DISABLE": "bogus"})
    assert "DEBUG:accelprobe:detecting openvino failed" in result["stderr"]
    assert "OSError: disk on fire" in result["stderr"]
    assert "ignoring unknown backend 'bogus' in ACCELPROBE_DISABLE" in result["stderr"]
