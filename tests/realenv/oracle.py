"""The oracle, run in a child of the venv's interpreter: what Python really imports, and whose.

It shares no code with accelprobe. For each backend it imports the module (a backend whose
import fails — a missing ``transformers`` or ``optimum``, a namespace leftover — is not
available), then finds the owner of the module's file with importlib.metadata: the
distributions in the same sys.path folder whose RECORD (or an egg's SOURCES.txt) lists the file
and that importlib.metadata finds by name (pip's stash of an interrupted upgrade,
``~nnxruntime-1.31.1.dist-info``, is no distribution), and among several the one whose RECORD
sizes and sha256 hashes match the files on disk; an editable install by its
``direct_url.json`` (``dir_info.editable``) mapping the project folder; a zip by the
dist-info inside the same archive. The accelerators' integrations (``optimum.intel.openvino``
...) need torch to import, which these venvs leave out: they are only located, parent by
parent, without running any package code. Prints one JSON object on its last line.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import sys
import zipfile
from typing import Any
from urllib.parse import unquote, urlparse

MODULES = {
    "openvino": "openvino",
    "onnxruntime": "onnxruntime",
    "ipex": "intel_extension_for_pytorch",
    "optimum-intel": "optimum.intel",
    "optimum-onnx": "optimum.onnxruntime",
}
INTEGRATIONS = {
    "ov": "optimum.intel.openvino",
    "ort": "optimum.onnxruntime",
    "ipex": "optimum.intel.ipex",
}
RUNTIMES = {"ov": "openvino", "ort": "onnxruntime", "ipex": "ipex"}
OPTIMUM = {"ov": "optimum-intel", "ort": "optimum-onnx", "ipex": "optimum-intel"}
# Files larger than this are compared by size only (a RECORD also gives the size).
HASH_LIMIT = 4 << 20


def locate(name: str) -> str | None:
    """The origin of ``name``'s spec, found parent by parent without running package code."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level find_spec runs no package code
        for index in range(1, len(parts)):
            if spec is None or spec.submodule_search_locations is None:
                return None
            locations = list(spec.submodule_search_locations)
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: index + 1]), locations)
    except (ImportError, ValueError):
        return None
    except KeyError:  # PathFinder builds a namespace path from sys.modules: a namespace leftover
        return None
    return None if spec is None else spec.origin


def load(module: str) -> tuple[str | None, str | None, str | None]:
    """Import ``module``: its ``__file__``, its ``__version__`` and the error, if any."""
    try:
        loaded = importlib.import_module(module)
    except SystemExit as error:  # some runtimes call exit() on a bad environment
        return None, None, f"SystemExit({error.code})"
    except Exception as error:  # noqa: BLE001 - any failure to import is the truth we want
        return None, None, f"{type(error).__name__}: {error}"[:300]
    file = getattr(loaded, "__file__", None)
    version = getattr(loaded, "__version__", None)
    return file, None if version is None else str(version), None


def folder_of(file: str) -> str | None:
    """The sys.path entry (folder or archive) that holds ``file``."""
    best = ""
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        if file.startswith(folder + os.sep) and len(folder) > len(best):
            best = folder
    return best or None


def read(entry: str, relative: str) -> bytes | None:
    """A file's bytes from a folder or from an archive; None when it is not there."""
    try:
        if os.path.isdir(entry):
            with open(os.path.join(entry, relative), "rb") as stream:
                return stream.read()
        with zipfile.ZipFile(entry) as archive:
            return archive.read(relative)
    except (OSError, KeyError):
        return None


def matches(dist: importlib.metadata.Distribution, entry: str, package: str) -> tuple[bool, int]:
    """Whether each file ``dist`` lists under ``package`` is on disk as RECORD says; how many."""
    good = 0
    every = True
    for path in dist.files or []:
        relative = os.path.normpath(str(path)).replace(os.sep, "/")
        if not (relative == package or relative.startswith(package + "/")) or path.hash is None:
            continue
        size = path.size
        full = os.path.join(entry, relative)
        if os.path.isdir(entry) and size is not None and size > HASH_LIMIT:
            ok = os.path.isfile(full) and os.path.getsize(full) == size
        else:
            data = read(entry, relative)
            digest = hashlib.new(path.hash.mode, data or b"").digest()
            value = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            ok = data is not None and value == path.hash.value
        good += ok
        every = every and ok
    return every, good


def name_of(dist: importlib.metadata.Distribution) -> str:
    return str(dist.metadata["Name"])


def owner(file: str) -> dict[str, Any]:
    """Who owns ``file``: RECORD (and hashes) in its own folder, else an editable install."""
    entry = folder_of(file)
    result: dict[str, Any] = {"folder": entry, "distribution": None, "version": None}
    result.update(conflicts=[], ambiguous=[], how=None)
    if entry is not None and owned(file, entry, result):
        return result
    real = os.path.realpath(file)
    for dist in importlib.metadata.distributions():
        text = dist.read_text("direct_url.json")
        if not text:
            continue
        data = json.loads(text)
        if not data.get("dir_info", {}).get("editable"):
            continue
        project = os.path.realpath(unquote(urlparse(data["url"]).path))
        if real.startswith(project + os.sep):
            result.update(distribution=name_of(dist), version=dist.version, how="editable")
            return result
    return result


def owned(file: str, entry: str, result: dict[str, Any]) -> bool:
    """Fill ``result`` from the RECORDs in ``entry`` that list ``file``; False if none does."""
    relative = os.path.relpath(file, entry).replace(os.sep, "/")
    base = os.path.basename(relative)
    package = os.path.dirname(relative) if base.startswith("__init__.") else relative
    listing = []
    for dist in importlib.metadata.distributions(path=[entry]):
        names = {os.path.normpath(str(path)).replace(os.sep, "/") for path in dist.files or []}
        if relative in names and known(dist, entry):
            listing.append(dist)
    if listing:
        scored = sorted(
            ((matches(dist, entry, package), name_of(dist), dist) for dist in listing),
            key=lambda item: (item[0][0], item[0][1]),
            reverse=True,
        )
        best = scored[0][2]
        result["ambiguous"] = [name for (every, _), name, _ in scored if every][1:]
        result.update(distribution=name_of(best), version=best.version, how="record")
        result["conflicts"] = sorted(name_of(dist) for dist in listing if dist is not best)
    return bool(listing)


def known(dist: importlib.metadata.Distribution, entry: str) -> bool:
    """Whether importlib.metadata finds ``dist`` in ``entry`` by its own name, as pip does."""
    name = name_of(dist)
    return any(
        other.version == dist.version
        for other in importlib.metadata.distributions(name=name, path=[entry])
    )


def judge(key: str, module: str) -> dict[str, Any]:
    file, loaded_version, error = load(module)
    origin = file
    if origin is None:  # import failed, or a namespace leftover: locate it for its owner
        origin = locate(module)
    found = owner(origin) if origin else {"distribution": None, "version": None, "conflicts": []}
    available = file is not None and error is None and found["distribution"] is not None
    return {
        "key": key,
        "module": module,
        "origin": origin,
        "error": error,
        "available": available,
        "loaded_version": loaded_version,
        **found,
        "conflicts": found["conflicts"] if available else [],
    }


def main() -> None:
    backends = {key: judge(key, module) for key, module in MODULES.items()}
    integrations = {name: locate(module) for name, module in INTEGRATIONS.items()}
    runtimes = [name for name in RUNTIMES if backends[RUNTIMES[name]]["available"]]
    ready = [
        name
        for name in runtimes
        if integrations[name] is not None and backends[OPTIMUM[name]]["available"]
    ]
    result = {"backends": backends, "integrations": integrations}
    result.update(runtimes=runtimes, ready=ready)
    print("\n" + json.dumps(result))


if __name__ == "__main__":
    main()
