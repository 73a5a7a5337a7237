"""Who owns the module found: files on disk, optimum 1.x, editable installs, zips, IPEX's torch.

Each test builds the environment on disk and detects in a fresh interpreter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from functools import partial
from typing import TYPE_CHECKING

import pytest

from tests.children import common, ownership
from tests.fake import (
    BACKEND_DISTS,
    NEEDS,
    TRAP,
    Hook,
    Tree,
    build,
    detect,
    dist,
    info,
    installed,
    merge,
    metadata,
    needed,
    package,
)

if TYPE_CHECKING:
    from pathlib import Path


def folder(tree: Tree, *names: str) -> Tree:
    """The nested folder ``names`` of ``tree``."""
    for name in names:
        found = tree[name]
        assert isinstance(found, dict)
        tree = found
    return tree


def digest(content: str) -> str:
    raw = hashlib.sha256(content.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def wheel(name: str, version: str, files: dict[str, str], *, on_disk: bool = True) -> Tree:
    """A wheel-style install whose RECORD lists ``files`` (path -> content) with hashes.

    With the metadata of what the module it ships needs to import (``fake.NEEDS``).
    """
    record = "".join(f"{path},{digest(text)},{len(text)}\n" for path, text in files.items())
    entry = f"{name.replace('-', '_')}-{version}.dist-info"
    tree: Tree = {entry: {"METADATA": metadata(name, version), "RECORD": record}}
    for module in NEEDS:  # and what the import of the module it ships needs
        if f"{module.replace('.', '/')}/__init__.py" in files:
            tree = merge(tree, needed(module, but=name))
    if on_disk:
        for path, text in files.items():
            *folders, file = path.split("/")
            leaf: Tree = {file: text}
            for folder in reversed(folders):
                leaf = {folder: leaf}
            tree = merge(tree, leaf)
    return tree


def ort_files(package_name: str, version: str, big: str = "") -> dict[str, str]:
    return {
        "onnxruntime/__init__.py": f"__version__ = {version!r}\n",
        "onnxruntime/capi/build_and_package_info.py": f"package_name = {package_name!r}\n",
        "onnxruntime/capi/_pybind_state.so": big or f"binary of {package_name}" * 100,
    }


@pytest.mark.parametrize("last", ["onnxruntime", "onnxruntime-gpu"])
def test_the_last_installed_owns_the_shared_files(tmp_path: Path, last: str) -> None:
    """pip install onnxruntime, then onnxruntime-gpu (or the reverse): the files decide."""
    cpu = ort_files("onnxruntime", "1.32.0")
    gpu = ort_files("onnxruntime-gpu", "1.31.1")
    first, second = (("onnxruntime-gpu", gpu), ("onnxruntime", cpu))
    if last == "onnxruntime-gpu":
        first, second = second, first
    tree = merge(
        wheel(first[0], "1.31.1" if first[0].endswith("gpu") else "1.32.0", first[1]),
        wheel(second[0], "1.31.1" if second[0].endswith("gpu") else "1.32.0", second[1]),
    )
    site = build(tmp_path / "site", tree)
    result = detect(site, cwd=tmp_path, after=ownership.owner_after_refresh)
    found = result["info"]
    assert (found["distribution"], found["available"]) == (last, True)
    assert found["version"] == ("1.31.1" if last.endswith("gpu") else "1.32.0")
    assert found["conflicts"] == [second[0] if last == first[0] else first[0]]
    assert result["ok"] is (last == "onnxruntime")
    # Only the smallest file whose recorded hashes differ was hashed, not the big binary.
    assert [path.rsplit("/", 2)[-1] for path in result["opened"]] == ["__init__.py"]


def test_the_same_version_of_two_distributions_is_told_by_a_small_file(tmp_path: Path) -> None:
    cpu = ort_files("onnxruntime", "1.32.0", big="x" * 5000)
    gpu = ort_files("onnxruntime-gpu", "1.32.0", big="y" * 5000)
    tree = merge(wheel("onnxruntime-gpu", "1.32.0", gpu), wheel("onnxruntime", "1.32.0", cpu))
    site = build(tmp_path / "site", tree)
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["conflicts"]) == ("onnxruntime", ["onnxruntime-gpu"])


def test_a_file_longer_than_its_record_says_is_hashed_no_further(tmp_path: Path) -> None:
    """The smallest telling file grew past its recorded size: it tells nothing; others do."""
    tree = merge(
        wheel("onnxruntime-gpu", "1.31.1", ort_files("onnxruntime-gpu", "1.31.1")),
        wheel("onnxruntime", "1.32.0", ort_files("onnxruntime", "1.32.0")),
        {"onnxruntime": {"__init__.py": "# grown by hand\n" * 100}},
    )
    found = info(detect(build(tmp_path / "site", tree), cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["conflicts"]) == ("onnxruntime", ["onnxruntime-gpu"])


def test_no_hashing_without_a_second_distribution(tmp_path: Path) -> None:
    site = build(tmp_path / "site", wheel("onnxruntime", "1.32.0", ort_files("onnxruntime", "1")))
    before, after = ownership.count_opens, ownership.opened_records
    result = detect(site, cwd=tmp_path, before=before, after=after)
    assert result["flags"]["onnxruntime"]
    assert result["opened"] == []


def test_files_that_match_no_record_fall_back_to_list_order(tmp_path: Path) -> None:
    tree = merge(
        wheel("onnxruntime-gpu", "1.31.1", ort_files("onnxruntime-gpu", "1.31.1"), on_disk=False),
        wheel("onnxruntime", "1.32.0", ort_files("onnxruntime", "1.32.0"), on_disk=False),
    )
    tree = merge(tree, {"onnxruntime": {"__init__.py": "# edited by hand\n"}})
    site = build(tmp_path / "site", tree)
    found = info(detect(site, cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["conflicts"]) == ("onnxruntime", ["onnxruntime-gpu"])


# --- optimum 1.x ---------------------------------------------------------------------------

OPTIMUM_1 = {
    "optimum/onnxruntime/__init__.py": "from optimum.onnxruntime.modeling import *\n",
    "optimum/onnxruntime/modeling.py": "",
    "optimum/exporters/__init__.py": "",
}


def test_optimum_1_ships_optimum_onnxruntime(tmp_path: Path) -> None:
    site = build(tmp_path / "site", merge(wheel("optimum", "1.27.0", OPTIMUM_1), installed()))
    result = detect(site, cwd=tmp_path)
    found = info(result, "optimum-onnx")
    assert found["available"]
    assert (found["distribution"], found["version"]) == ("optimum", "1.27.0")


def test_optimum_onnx_comes_before_optimum(tmp_path: Path) -> None:
    tree = merge(
        wheel("optimum", "1.27.0", OPTIMUM_1),
        wheel("optimum-onnx", "0.1.0", {"optimum/onnxruntime/__init__.py": "# onnx\n"}),
    )
    found = info(detect(build(tmp_path / "site", tree), cwd=tmp_path), "optimum-onnx")
    assert (found["distribution"], found["conflicts"]) == ("optimum-onnx", ["optimum"])


def test_optimum_2_does_not_own_a_stray_optimum_onnxruntime(tmp_path: Path) -> None:
    tree = merge(
        wheel("optimum", "2.3.0", {"optimum/exporters/__init__.py": ""}),
        {"optimum": {"onnxruntime": {"__init__.py": ""}}},
    )
    found = info(detect(build(tmp_path / "site", tree), cwd=tmp_path), "optimum-onnx")
    assert not found["available"]
    assert "does not come from an installed distribution" in found["reason"]


def test_a_nested_leftover_is_a_leftover_not_an_error(tmp_path: Path) -> None:
    """optimum 1.27, optimum-onnx installed over it, then uninstalled: pycache stays."""
    tree = merge(
        wheel("optimum", "1.27.0", OPTIMUM_1, on_disk=False),
        {"optimum": {"onnxruntime": {"__pycache__": {"modeling.cpython-311.pyc": "x"}}}},
    )
    site = build(tmp_path / "site", tree)
    after = partial(ownership.status_and_remedy, key="optimum-onnx")
    result = detect(site, cwd=tmp_path, after=after)
    status, remedy = result["d"]
    assert status == "leftover"
    assert remedy == "reinstall with: pip install --force-reinstall optimum"


# --- editable installs under any name ------------------------------------------------------

FINDER = """\
import importlib.util, sys
MAPPING: dict[str, str] = {mapping!r}
class _Finder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname in MAPPING:
            init = MAPPING[fullname] + '/__init__.py'
            return importlib.util.spec_from_file_location(fullname, init)
        return None
def install():
    sys.meta_path.append(_Finder)
"""


def editable(tmp_path: Path, style: str) -> tuple[Path, Hook]:
    """An editable install of ``my-ort`` (it provides ``onnxruntime``) in the style given."""
    project = build(tmp_path / "project", {"src": package("onnxruntime")})
    source = project / "src"
    direct_url = json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}})
    if style == "setuptools-finder":
        mapping = {"onnxruntime": str(source / "onnxruntime")}
        files = {
            "__editable__.my_ort-0.1.pth": "import __editable___my_ort_0_1_finder; "
            "__editable___my_ort_0_1_finder.install()\n",
            "__editable___my_ort_0_1_finder.py": FINDER.format(mapping=mapping),
        }
    elif style == "setuptools-path":
        files = {"__editable__.my_ort-0.1.pth": f"{source}\n"}
    elif style == "hatchling":  # editables 0.6 (hatchling 1.33), what ``pip install -e`` gets
        files = {"_editable_impl_my_ort.pth": f"{source}\n"}
    else:  # hatchling with editables 0.5
        files = {"_my_ort.pth": f"{source}\n"}
    record = "".join(f"{name},,\n" for name in files)
    site = build(
        tmp_path / "site",
        {
            **files,
            "my_ort-0.1.dist-info": {
                "METADATA": metadata("my-ort", "0.1"),
                "RECORD": record,
                "direct_url.json": direct_url,
            },
            # another editable install, first in the folder, whose RECORD lists other files
            "acme_tool-2.0.dist-info": {
                "METADATA": metadata("acme-tool", "2.0"),
                "RECORD": "_editable_impl_acme_tool.pth,,\n",
                "direct_url.json": direct_url,
            },
            **needed("onnxruntime"),
        },
    )
    return site, partial(common.add_site_dir, folder=str(site))


@pytest.mark.parametrize(
    "style", ["setuptools-finder", "setuptools-path", "hatchling", "hatchling-editables-0.5"]
)
def test_editable_install_under_an_unlisted_name(tmp_path: Path, style: str) -> None:
    site, before = editable(tmp_path, style)
    found = info(detect(site, cwd=tmp_path, before=before), "onnxruntime")
    assert found["available"], found["reason"]
    assert (found["distribution"], found["version"]) == ("my-ort", "0.1")
    assert found["location"] == str(tmp_path / "project" / "src" / "onnxruntime")


# --- zips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".whl", ".pyz"])
def test_a_zip_ahead_of_the_venv_owns_what_it_carries(tmp_path: Path, suffix: str) -> None:
    archive = tmp_path / f"onnxruntime_gpu-1.31.1-py3-none-any{suffix}"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("__main__.py", "")
        bundle.writestr("onnxruntime/__init__.py", "")
        bundle.writestr(
            "onnxruntime_gpu-1.31.1.dist-info/METADATA", metadata("onnxruntime-gpu", "1.31.1")
        )
        bundle.writestr("onnxruntime_gpu-1.31.1.dist-info/RECORD", "onnxruntime/__init__.py,,\n")
    site = build(tmp_path / "site", installed("onnxruntime"))
    found = info(detect(archive, site, cwd=tmp_path), "onnxruntime")
    assert found["available"], found["reason"]
    assert (found["distribution"], found["version"]) == ("onnxruntime-gpu", "1.31.1")


def test_an_unlisted_distribution_in_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("onnxruntime/__init__.py", "")
        bundle.writestr("aab-1.0.dist-info/METADATA", metadata("aab", "1.0"))
        bundle.writestr("aaa-1.0.dist-info/METADATA", metadata("aaa", "1.0"))
        bundle.writestr("aaa-1.0.dist-info/RECORD", "aaa/__init__.py,,\n")
        bundle.writestr("my_ort-2.0.dist-info/METADATA", metadata("my-ort", "2.0"))
        bundle.writestr("my_ort-2.0.dist-info/RECORD", "onnxruntime/__init__.py,,\n")
    found = info(detect(archive, cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["version"]) == ("my-ort", "2.0")


def test_a_zip_without_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("openvino/__init__.py", "")
    found = info(detect(archive, cwd=tmp_path), "openvino")
    assert not found["available"]
    assert "has no installed distribution's metadata beside it" in found["reason"]


# --- IPEX and its torch --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("torch", "reason"),
    [
        (None, "intel-extension-for-pytorch 2.8.0 needs torch 2.8, but torch is not installed"),
        ("2.13.0", "intel-extension-for-pytorch 2.8.0 needs torch 2.8, but torch 2.13.0 is"),
    ],
)
def test_ipex_needs_the_torch_it_was_built_for(
    tmp_path: Path, torch: str | None, reason: str
) -> None:
    tree = dist("intel-extension-for-pytorch", "2.8.0", "intel_extension_for_pytorch")
    if torch:
        tree = merge(tree, dist("torch", torch, "torch"))
    site = build(tmp_path / "site", tree)
    result = detect(site, cwd=tmp_path, after=ownership.ipex_without_its_torch)
    status, available, distribution, said, remedy = result["d"]
    assert (status, available, distribution) == ("unusable", False, "intel-extension-for-pytorch")
    assert said.startswith(reason)
    assert said.endswith(", so it cannot be imported")
    assert remedy == 'install the torch it needs: pip install "torch==2.8.*"'
    assert result["error"].endswith(f"(ipex: {said}); {remedy}")


def test_ipex_with_its_torch_is_available(tmp_path: Path) -> None:
    tree = merge(
        dist("intel-extension-for-pytorch", "2.8.0+cpu", "intel_extension_for_pytorch"),
        dist("torch", "2.8.1", "torch"),
    )
    result = detect(build(tmp_path / "site", tree), cwd=tmp_path)
    assert result["flags"]["ipex"]


def test_pips_stash_of_an_interrupted_install_is_no_distribution(tmp_path: Path) -> None:
    """pip killed midway through an upgrade: its stash (``~nnxruntime``) lists the files."""
    old = wheel("onnxruntime", "1.31.1", ort_files("onnxruntime", "1.31.1"))
    stash = {
        name.replace("onnxruntime", "~nnxruntime", 1): content for name, content in old.items()
    }
    # the new version's first files, and no dist-info
    new: Tree = {"onnxruntime": {"__init__.py": TRAP}}
    site = build(tmp_path / "site", {**stash, **new, **needed("onnxruntime")})
    result = detect(site, cwd=tmp_path, after=ownership.statuses)
    status, reason, remedy = result["d"]["onnxruntime"]
    assert result["flags"]["onnxruntime"] is False
    assert status == "unowned"
    assert "~nnxruntime" not in reason
    assert remedy == "reinstall with: pip install --force-reinstall onnxruntime"


EGG_INFO = {"PKG-INFO": metadata("acme-ort", "1.0"), "top_level.txt": "onnxruntime\n"}


@pytest.mark.parametrize(
    ("egg", "info_files", "owner"),
    [
        ("acme_ort-1.0-py3.11.egg", EGG_INFO, "acme-ort 1.0"),
        (
            "onnxruntime-1.0-py3.11.egg",
            {"PKG-INFO": metadata("onnxruntime", "1.0")},
            "onnxruntime 1.0",
        ),
        ("acme_ort-1.0-py3.11.egg", {**EGG_INFO, "top_level.txt": "other\n"}, None),
        ("acme_ort-1.0-py3.11.egg", {"PKG-INFO": metadata("acme-ort", "1.0")}, None),
        ("acme_ort-1.0-py3.11.egg", {"top_level.txt": "onnxruntime\n"}, None),
    ],
    ids=["unlisted-name", "accepted-name", "other-top-level", "no-top-level", "no-version"],
)
@pytest.mark.parametrize("zipped", [True, False], ids=["zipped", "folder"])
def test_a_module_inside_an_egg_is_owned_by_its_egg_info(
    tmp_path: Path, egg: str, info_files: dict[str, str], owner: str | None, *, zipped: bool
) -> None:
    """easy_install's eggs, put on sys.path by easy-install.pth: EGG-INFO is the metadata."""
    tree: Tree = {"EGG-INFO": dict(info_files), "onnxruntime": {"__init__.py": TRAP}}
    if zipped:
        path = tmp_path / egg
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("onnxruntime/__init__.py", TRAP)
            for name, content in info_files.items():
                bundle.writestr(f"EGG-INFO/{name}", content)
    else:
        path = build(tmp_path / egg, tree)
    numpy = build(tmp_path / "numpy", needed("onnxruntime"))
    found = info(detect(path, numpy, cwd=tmp_path), "onnxruntime")
    assert found["available"] is (owner is not None), found["reason"]
    if owner is not None:
        assert f"{found['distribution']} {found['version']}" == owner


@pytest.mark.parametrize("name", ["acme-ort-zipped", "onnxruntime"])
def test_a_zipped_install_behind_a_same_named_folder_is_shadowed(tmp_path: Path, name: str) -> None:
    """As a folder install is: the status says shadowed, the reason names both paths."""
    shadow = build(tmp_path / "shadow", {"onnxruntime": {"__init__.py": ""}})
    (tmp_path / "notes.txt").write_text("not a zip\n", encoding="utf-8")
    bare = tmp_path / "bare.zip"  # carries onnxruntime without any metadata: no install
    with zipfile.ZipFile(bare, "w") as bundle:
        bundle.writestr("onnxruntime/__init__.py", "")
    other = tmp_path / "other.zip"  # metadata, but no onnxruntime
    with zipfile.ZipFile(other, "w") as bundle:
        bundle.writestr("acme_ort_zipped-0.0.2.dist-info/METADATA", metadata(name, "0.0.2"))
    archive = tmp_path / f"{name.replace('-', '_')}-0.0.2-py3-none-any.whl"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("onnxruntime/__init__.py", "")
        info_folder = f"{name.replace('-', '_')}-0.0.2.dist-info"
        bundle.writestr(f"{info_folder}/METADATA", metadata(name, "0.0.2"))
        bundle.writestr(f"{info_folder}/RECORD", "onnxruntime/__init__.py,,\n")
    numpy = build(tmp_path / "numpy", needed("onnxruntime"))
    entries = (shadow, tmp_path / "notes.txt", bare, other, archive, numpy)
    result = detect(*entries, cwd=tmp_path, after=ownership.statuses)
    status, reason, remedy = result["d"]["onnxruntime"]
    assert status == "shadowed"
    assert reason == (
        f"a folder {shadow / 'onnxruntime'} shadows {name} 0.0.2 installed in {archive}"
    )
    assert remedy == f"rename or remove {shadow / 'onnxruntime'}, which hides the installed package"


# --- what an import needs, as far as metadata can tell ---------------------------------------

INTEL = ("optimum-intel", "2.2.0", "optimum.intel")
ONNX = ("optimum-onnx", "0.1.0", "optimum.onnxruntime")


@pytest.mark.parametrize(
    ("tree", "key", "lacking"),
    [
        (dist("openvino", "2026.4.1", "openvino", needs=False), "openvino", "numpy"),
        (dist("onnxruntime", "1.32.0", "onnxruntime", needs=False), "onnxruntime", "numpy"),
        # a namespace optimum/ with no optimum distribution is a missing parent
        (dist(*INTEL, needs=False), "optimum-intel", "optimum and transformers"),
        (merge(dist(*ONNX, needs=False), dist("optimum", "2.3.0")), "optimum-onnx", "transformers"),
        # optimum 1.x ships optimum.onnxruntime itself, and needs transformers all the same
        (
            dist("optimum", "1.27.0", "optimum.onnxruntime", needs=False),
            "optimum-onnx",
            "transformers",
        ),
    ],
    ids=["openvino", "onnxruntime", "optimum-intel", "optimum-onnx", "optimum-1"],
)
def test_a_backend_whose_import_needs_what_is_not_installed(
    tmp_path: Path, tree: Tree, key: str, lacking: str
) -> None:
    """pip install --no-deps: found and owned, but its import would fail; metadata says so."""
    site = build(tmp_path / "site", tree)
    result = detect(site, cwd=tmp_path, after=ownership.statuses)
    status, reason, remedy = result["d"][key]
    assert result["flags"][key] is False
    assert status == "unusable"
    command = "pip install " + lacking.replace(" and ", " ")
    assert f"needs {lacking}, not installed, so it cannot be imported ({command})" in reason
    assert remedy == f"install what it needs: {command}"


# --- accelerators need their optimum integration -------------------------------------------


def test_optimum_intel_2_has_no_ipex_integration(tmp_path: Path) -> None:
    tree = installed("openvino", "ipex", "optimum-intel")
    del folder(tree, "optimum", "intel")["ipex"]
    result = detect(build(tmp_path / "site", tree), cwd=tmp_path, after=ownership.ready_then_ipex)
    assert result["ready"] == ["ov"]
    assert "optimum-intel 1.18.0 has no optimum.intel.ipex" in result["error"]
    assert result["error"].endswith('install with: pip install "optimum-intel[ipex]<2"')


def test_a_disabled_backend_points_at_the_variable(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("openvino", "optimum-intel"))
    after = partial(common.select_error, accelerator="ov")
    result = detect(site, cwd=tmp_path, after=after, env={"ACCELPROBE_DISABLE": "ov"})
    assert result["error"].endswith("remove openvino from ACCELPROBE_DISABLE to enable it")
    assert "pip install" not in result["error"]


# --- a module loaded at another version ----------------------------------------------------


def test_a_module_upgraded_while_loaded(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime", version="1.32.0"))
    init = str(site / "onnxruntime" / "__init__.py")
    before = partial(common.loaded, module="onnxruntime", init=init, version="1.31.1")
    found = info(detect(site, cwd=tmp_path, before=before), "onnxruntime")
    assert found["available"]
    assert found["version"] == "1.31.1"
    assert found["reason"] == (
        "onnxruntime 1.31.1 is loaded in this process, but 1.32.0 is installed: "
        "a restart uses 1.32.0"
    )


def test_a_module_uninstalled_while_loaded(tmp_path: Path) -> None:
    """Still running in this process at the loaded version; a restart will not find it."""
    init = str(tmp_path / "gone" / "onnxruntime" / "__init__.py")
    before = partial(common.loaded, module="onnxruntime", init=init, version="1.31.1")
    found = info(detect(tmp_path, cwd=tmp_path, before=before), "onnxruntime")
    assert found["available"]
    assert (found["distribution"], found["version"]) == (None, "1.31.1")
    assert found["reason"] == (
        "onnxruntime 1.31.1 is loaded in this process, but is no longer installed: "
        "a restart will not find it"
    )


def test_a_module_replaced_after_detection_saw_it_loaded(tmp_path: Path) -> None:
    """A nightly upgraded to the next nightly of one release: only its files can tell."""
    tree = installed("openvino", version="2024.5.0.dev20241105")
    site = build(tmp_path / "site", tree)
    init = str(site / "openvino" / "__init__.py")
    before = partial(common.loaded, module="openvino", init=init, version="2024.5.0-17277-8")
    after = partial(ownership.replaced_while_loaded, init=init, version="2024.5.0.dev20241106")
    result = detect(site, cwd=tmp_path, before=before, after=after)
    assert result["before"] == [
        "2024.5.0.dev20241105",
        "openvino 2024.5.0.dev20241105 is installed",
    ]
    reason = (
        "openvino 2024.5.0 is loaded in this process, but 2024.5.0.dev20241106 is installed: "
        "a restart uses 2024.5.0.dev20241106"
    )
    assert result["after"] == ["2024.5.0", reason]


def test_installed_version_of_any_distribution(tmp_path: Path) -> None:
    site = build(tmp_path / "site", {**dist("numpy", "2.3.1", "numpy"), **dist("bad", "", "bad")})
    after = partial(ownership.installed_versions, names=["numpy", "NumPy", "bad"])
    assert detect(site, cwd=tmp_path, after=after)["v"] == ["2.3.1", "2.3.1", None]


def test_folded_values_are_reindented_as_importlib_metadata_does() -> None:
    from accelprobe import _metadata

    assert _metadata.reindent("1.0\n  .1") == "      1.0\n.1"  # what email + dedent give


def test_package_without_init_in_its_parent(tmp_path: Path) -> None:
    tree = merge(installed("optimum-intel"), {"optimum": {"intel": {"__init__.py": TRAP}}})
    result = detect(build(tmp_path / "site", tree), cwd=tmp_path)
    assert result["flags"]["optimum-intel"]


# --- odd files and odd finders: each a reason, never an exception -------------------------


def test_detection_record_and_hidden(tmp_path: Path) -> None:
    result = detect(cwd=tmp_path, after=ownership.openvino_record)
    assert result["d"] == [
        "<Detection openvino: missing, no module named 'openvino'>",
        [],
        [],
        "install with: pip install openvino",
        "openvino",
    ]
    assert result["bad"] is False
    assert result["error"] == "invalid version specifier None (expected e.g. '>=1.17,<2')"


def test_files_that_are_not_utf8_or_not_files(tmp_path: Path) -> None:
    """A RECORD that cannot be decoded tells nothing; a folder as a telling file is skipped."""
    gpu = {**ort_files("onnxruntime-gpu", "1.31.1"), "onnxruntime/tag": "g"}
    cpu = {**ort_files("onnxruntime", "1.32.0"), "onnxruntime/tag": "c"}
    rocm = ort_files("onnxruntime-rocm", "1.30.0")
    tree = merge(wheel("onnxruntime-gpu", "1.31.1", gpu), wheel("onnxruntime-rocm", "1.30", rocm))
    tree = merge(tree, wheel("onnxruntime", "1.32.0", cpu))
    tree = merge(tree, {"onnxruntime_rocm-1.30.dist-info": {"RECORD": b"\xff\xfe"}})
    folder(tree, "onnxruntime")["tag"] = {}
    found = info(detect(build(tmp_path / "site", tree), cwd=tmp_path), "onnxruntime")
    assert (found["distribution"], found["conflicts"]) == ("onnxruntime", ["onnxruntime-gpu"])


def test_egg_info_file_lists(tmp_path: Path) -> None:
    """Eggs list their files in installed-files.txt, relative to the egg-info folder."""
    tree: Tree = {
        "optimum-1.20.0-py3.11.egg-info": {
            "PKG-INFO": metadata("optimum", "1.20.0"),
            "installed-files.txt": "../optimum/onnxruntime/__init__.py\n../optimum/x.py\n",
        },
        "optimum_intel-1.0-py3.11.egg-info": {"PKG-INFO": metadata("optimum-intel", "1.0")},
        **package("optimum.onnxruntime"),
    }
    tree = merge(tree, package("optimum.intel"))
    result = detect(build(tmp_path / "site", tree), cwd=tmp_path)
    assert info(result, "optimum-onnx")["distribution"] == "optimum"
    assert info(result, "optimum-intel")["distribution"] == "optimum-intel"


def test_optimum_without_file_lists_counts(tmp_path: Path) -> None:
    tree = merge(
        {"optimum-1.2.dist-info": {"METADATA": metadata("optimum", "1.2")}},
        package("optimum.onnxruntime"),
        needed("optimum.onnxruntime", but="optimum"),
    )
    found = info(detect(build(tmp_path / "site", tree), cwd=tmp_path), "optimum-onnx")
    assert (found["available"], found["distribution"]) == (True, "optimum")


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"openvino-1.0.dist-info/PKG-INFO": metadata("openvino", "1.0")}, None),
        ({"openvino-1.0.dist-info/METADATA": b"Version: 1\xff"}, "has no installed"),
        ({"openvino-1.0.dist-info/RECORD": ""}, "has no installed"),
    ],
)
def test_metadata_in_a_zip(tmp_path: Path, members: dict[str, str], reason: str | None) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("openvino/__init__.py", "")
        for name, content in members.items():
            bundle.writestr(name, content)
    numpy = build(tmp_path / "numpy", needed("openvino"))
    found = info(detect(archive, numpy, cwd=tmp_path), "openvino")
    assert found["available"] is (reason is None)
    if reason:
        assert reason in found["reason"]


def test_a_zip_that_cannot_be_read_again(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("openvino/__init__.py", "")
    found = info(detect(archive, cwd=tmp_path, before=ownership.damaged_zips), "openvino")
    assert found["reason"] == f"{archive} cannot be read as a zip file (OSError: damaged)"


@pytest.mark.parametrize(
    "finder",
    [
        "MAPPING = {'onnxruntime': [1]}\n",
        "MAPPING = {'onnxruntime': \n",
        "# no mapping here\n",
    ],
)
def test_editable_finders_that_map_nothing(tmp_path: Path, finder: str) -> None:
    site = build(
        tmp_path / "site",
        {
            "__editable___my_ort_0_1_finder.py": finder,
            "broken.pth": b"\xff\xfe",
            "plain.pth": "# a comment\nimport os\n\nrelative/folder\n",
            "my_ort-0.1.dist-info": {"METADATA": metadata("my-ort", "0.1"), "RECORD": ""},
        },
    )
    code = build(tmp_path / "code", package("onnxruntime"))
    found = info(detect(code, site, cwd=tmp_path), "onnxruntime")
    assert found["reason"].startswith("onnxruntime at ")


EDITABLE = json.dumps({"url": "file:///x", "dir_info": {"editable": True}})


@pytest.mark.parametrize(
    ("meta", "direct_url"),
    [
        ("Name: my-ort\n", EDITABLE),
        (metadata("my-ort", "0.1"), "{not json"),
        (metadata("my-ort", "0.1"), "[]"),
        (metadata("my-ort", "0.1"), json.dumps({"dir_info": {}})),
    ],
    ids=["no-version", "bad-json", "not-an-object", "not-editable"],
)
def test_a_pth_that_does_not_make_an_owner(tmp_path: Path, meta: str, direct_url: str) -> None:
    code = build(tmp_path / "code", package("onnxruntime"))
    site = build(
        tmp_path / "site",
        {
            "_my_ort.pth": f"{code}\n",
            "my_ort-0.1.dist-info": {
                "METADATA": meta,
                "RECORD": "_my_ort.pth,,\n",
                "direct_url.json": direct_url,
            },
            "other-0.1.dist-info": {"METADATA": metadata("other", "0.1"), "RECORD": ""},
        },
    )
    found = info(detect(code, site, cwd=tmp_path), "onnxruntime")
    assert not found["available"]


def test_a_path_that_cannot_be_resolved(tmp_path: Path) -> None:
    code = build(tmp_path / "code", package("onnxruntime"))
    site = build(tmp_path / "site", {"_my_ort.pth": f"{code}\n"})
    before = ownership.unresolvable_paths
    found = info(detect(code, site, cwd=tmp_path, before=before), "onnxruntime")
    assert found["reason"].startswith("onnxruntime at ")


def test_a_leftover_whose_distribution_is_in_another_folder(tmp_path: Path) -> None:
    code = build(tmp_path / "code", {"openvino": {"__pycache__": {}}})
    site = build(tmp_path / "site", dist("openvino", "2025.1", "openvino", copy=False))
    found = info(detect(code, site, cwd=tmp_path), "openvino")
    assert found["reason"].startswith("openvino 2025.1 is installed but ")


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        (ownership.unlocatable_openvino, "openvino has no location on disk"),
        (
            partial(ownership.raising_finder, module="openvino", error="KeyError"),
            "looking for openvino raised KeyError: 'openvino'",
        ),
    ],
)
def test_finders_that_misbehave(tmp_path: Path, before: Hook, reason: str) -> None:
    found = info(detect(cwd=tmp_path, before=before), "openvino")
    assert found["reason"] == reason


@pytest.mark.parametrize(
    ("ipex", "before", "reason"),
    [
        ({"__pycache__": {}}, None, "optimum.intel.ipex is a folder without __init__.py"),
        (
            {"__init__.py": TRAP},
            partial(ownership.raising_finder, module="optimum.intel.ipex", error="RuntimeError"),
            "looking for optimum.intel.ipex raised RuntimeError: no",
        ),
    ],
)
def test_an_integration_that_is_not_there(
    tmp_path: Path, ipex: Tree, before: Hook | None, reason: str
) -> None:
    tree = installed("ipex", "optimum-intel")
    folder(tree, "optimum", "intel")["ipex"] = ipex
    after = partial(common.select_error, accelerator="ipex")
    result = detect(build(tmp_path / "site", tree), cwd=tmp_path, before=before, after=after)
    assert reason in result["error"]


@pytest.mark.parametrize(
    ("content", "version"),
    [
        ("Version: 1.0\nSummary: x" + "é" * (1 << 20), "1.0"),
        ("Name: x\nSummary: a\n" + " b\n" * (1 << 19) + "Version: 1.0\n", None),
    ],
    ids=["cut-in-a-character", "headers-over-the-cap"],
)
def test_metadata_over_the_size_cap(tmp_path: Path, content: str, version: str | None) -> None:
    site = build(
        tmp_path / "site", merge(dist("openvino", "1", "openvino"), {"openvino-1.dist-info": {}})
    )
    (site / "openvino-1.dist-info" / "METADATA").write_text(content, encoding="utf-8")
    found = info(detect(site, cwd=tmp_path), "openvino")
    assert found["version"] == version
    if version is None:
        assert "its metadata headers are larger than 1 MiB" in found["reason"]


# --- what a hostile review found ------------------------------------------------------------


def test_a_stray_file_in_an_editable_project_shadows_the_install(tmp_path: Path) -> None:
    """A flat-layout editable install puts its project folder on sys.path; an onnxruntime.py
    someone left there hides the real install, and the project does not own it."""
    project = build(tmp_path / "project", {"myapp": {"__init__.py": ""}, "onnxruntime.py": ""})
    direct_url = json.dumps({"url": project.as_uri(), "dir_info": {"editable": True}})
    site = build(
        tmp_path / "site",
        {
            **installed("onnxruntime"),
            "_myapp.pth": f"{project}\n",
            "foo.pth": ".\n",
            "myapp-0.1.dist-info": {
                "METADATA": metadata("myapp", "0.1"),
                "RECORD": "_myapp.pth,,\n",
                "direct_url.json": direct_url,
            },
            "foo-1.0.dist-info": {"METADATA": metadata("foo", "1.0"), "RECORD": "foo.pth,,\n"},
        },
    )
    before = partial(common.add_site_dir, folder=str(site))
    found = info(detect(project, site, cwd=tmp_path, before=before), "onnxruntime")
    assert not found["available"]
    assert found["reason"].startswith(f"a file {project / 'onnxruntime.py'} shadows onnxruntime")


def test_a_pth_without_an_editable_install_owns_nothing(tmp_path: Path) -> None:
    code = build(tmp_path / "code", package("openvino"))
    site = build(
        tmp_path / "site",
        {
            "foo.pth": f"{code}\n",
            "foo-1.0.dist-info": {"METADATA": metadata("foo", "1.0"), "RECORD": "foo.pth,,\n"},
        },
    )
    found = info(detect(code, site, cwd=tmp_path), "openvino")
    assert not found["available"]
    assert "does not come from an installed distribution" in found["reason"]


@pytest.mark.parametrize(
    ("key", "loaded", "installed_as", "version"),
    [
        ("openvino", "2026.4.1-22982-e213a147257-releases/2026/4", "2026.4.1", "2026.4.1"),
        ("ipex", "2.8.0+cpu", "2.8.0", "2.8.0"),
        ("onnxruntime", "1.31.1+cu12", "1.32.0", "1.31.1+cu12"),
        ("onnxruntime", 131, "1.32.0", "1.32.0"),
        # the loaded module is the installed one, however its __version__ is spelled
        ("openvino", "2024.5.0-17277-84e68373791", "2024.5.0.dev20241105", "2024.5.0.dev20241105"),
        ("onnxruntime", "1.32", "1.32.0.post1", "1.32.0.post1"),
    ],
)
def test_loaded_versions_as_runtimes_spell_them(
    tmp_path: Path, key: str, loaded: object, installed_as: str, version: str
) -> None:
    _, module = BACKEND_DISTS[key]
    site = build(tmp_path / "site", installed(key, version=installed_as))
    init = str(site / module / "__init__.py")
    before = partial(common.loaded, module=module, init=init, version=loaded)
    after = partial(ownership.loaded_version, key=key)
    found, reason = detect(site, cwd=tmp_path, before=before, after=after)["v"]
    assert found == version
    assert ("restart" in reason) is (version != installed_as)


def test_file_contents_are_not_kept_after_detection(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime", "openvino"))
    after = (
        "import gc\n"
        "from accelprobe._metadata import Scan\n"
        "result['kept'] = sum(isinstance(o, Scan) for o in gc.get_objects())"
    )
    assert detect(site, cwd=tmp_path, after=after)["kept"] == 0


def test_a_namespace_parent_imported_then_sys_path_grows(tmp_path: Path) -> None:
    first = build(tmp_path / "first", installed("optimum-intel"))
    later = build(tmp_path / "later", installed("optimum-onnx"))
    after = partial(ownership.import_optimum_then_grow_path, later=str(later))
    assert detect(first, cwd=tmp_path, after=after)["ok"] is True


def test_the_size_cap_never_cuts_a_version_short(tmp_path: Path) -> None:
    head = "Metadata-Version: 2.1\nName: openvino\nSummary: "
    summary = "x" * ((1 << 20) - len(head) - 6)
    site = build(tmp_path / "site", dist("openvino", "1", "openvino"))
    metadata_file = next(site.glob("openvino-*.dist-info")) / "METADATA"
    metadata_file.write_text(f"{head}{summary}\nVersion: 1.23.4\n", encoding="utf-8")
    found = info(detect(site, cwd=tmp_path), "openvino")
    assert found["version"] is None


def test_records_with_other_algorithms_and_odd_sizes(tmp_path: Path) -> None:
    gpu = ort_files("onnxruntime-gpu", "1.31.1")
    cpu = ort_files("onnxruntime", "1.32.0")
    tree = merge(
        wheel("onnxruntime", "1.32.0", cpu, on_disk=False), wheel("onnxruntime-gpu", "1.31.1", gpu)
    )
    record = "".join(
        f"{path},sha512="
        + base64.urlsafe_b64encode(hashlib.sha512(text.encode()).digest()).rstrip(b"=").decode()
        + ",\u00b2\n"
        for path, text in gpu.items()
    )
    tree = merge(tree, {"onnxruntime_gpu-1.31.1.dist-info": {"RECORD": record}})
    site = build(tmp_path / "site", tree)
    for seed in ("1", "2", "3"):
        found = info(detect(site, cwd=tmp_path, env={"PYTHONHASHSEED": seed}), "onnxruntime")
        assert (found["distribution"], found["conflicts"]) == ("onnxruntime-gpu", ["onnxruntime"])


def test_hidden_ignores_the_same_folder_reached_through_a_link(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("onnxruntime"))
    link = tmp_path / "link"
    link.symlink_to(site, target_is_directory=True)
    assert detect(site, link, cwd=tmp_path, after=common.hidden)["hidden"] == []


def test_refresh_survives_a_finder_whose_invalidate_caches_raises(tmp_path: Path) -> None:
    site = build(tmp_path / "site", installed("openvino"))
    before, after = ownership.finders_without_caches, ownership.refreshed
    result = detect(site, cwd=tmp_path, before=before, after=after)
    assert result["ok"] == [True, False, False, False, False]
