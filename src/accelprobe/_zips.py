"""The distribution inside a zip on ``sys.path`` (a wheel, ``.zip``, ``.pyz`` or ``.egg``).

Its metadata sits in the same archive as the module. Every entry is inflated only up to a
size cap, so that a deflate bomb costs no more than the cap. Loaded only when a module
was found inside a zip.
"""

from __future__ import annotations

import os

from accelprobe._metadata import (
    INFO_SUFFIXES,
    READ_LIMIT,
    RECORD_LIMIT,
    Dist,
    decode_metadata,
    parse_version,
    project,
    underscored,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    import zipfile

    from accelprobe._facts import BackendFacts

__all__ = ["carrying", "in_archive"]


def in_archive(archive: str, facts: BackendFacts) -> tuple[Dist | None, str]:
    """The distribution whose metadata sits in the zip ``archive`` beside the module.

    An accepted name comes first; for ONNX Runtime, any distribution whose ``RECORD``
    lists the module counts too. A zipped ``.egg`` keeps its metadata in ``EGG-INFO``,
    named by the egg's file name. Entries are inflated only up to the size caps.
    """
    import zipfile

    module = facts.module
    accepted = facts.accepted
    ranks = {underscored(name): rank for rank, name in enumerate(accepted)}
    egg = os.path.basename(archive)
    try:
        with zipfile.ZipFile(archive) as bundle:
            names = set(bundle.namelist())
            entries = sorted(
                (name.partition("/")[0] for name in names if name.count("/") == 1),
                key=lambda entry: (ranks.get(project(entry), len(ranks)), entry),
            )
            for entry in dict.fromkeys(entries):
                is_egg = entry == "EGG-INFO" and egg.lower().endswith(".egg")
                if not is_egg and not entry.endswith(INFO_SUFFIXES):
                    continue
                name = project(egg if is_egg else entry)
                if name not in ranks and not (
                    facts.any_provider and _zip_lists(bundle, entry, names, module)
                ):
                    continue
                version = _zip_version(bundle, entry, names)
                if version:
                    name = accepted[ranks[name]] if name in ranks else name
                    return Dist(name.replace("_", "-"), version, archive, entry), ""
    except Exception as error:  # noqa: BLE001 - a damaged archive: the reason says so
        from accelprobe._advice import error_text

        return None, f"{archive} cannot be read as a zip file ({error_text(error)})"
    return None, f"{module} in {archive} has no installed distribution's metadata beside it"


def _zip_read(bundle: zipfile.ZipFile, file: str, limit: int) -> bytes:
    """At most ``limit`` bytes of the entry ``file``: a deflate bomb inflates no further."""
    with bundle.open(file) as stream:
        return stream.read(limit)


def _zip_lists(bundle: zipfile.ZipFile, entry: str, names: set[str], module: str) -> bool:
    """Whether the metadata folder ``entry`` of a zip lists ``module``'s files.

    A wheel's ``RECORD`` lists its ``__init__.py``; an egg's ``top_level.txt`` its package.
    """
    record, top_level = f"{entry}/RECORD", f"{entry}/top_level.txt"
    if record in names:
        listed = _zip_read(bundle, record, RECORD_LIMIT).decode("utf-8", "replace")
        return f"\n{module.replace('.', '/')}/__init__.py," in f"\n{listed}"
    if entry == "EGG-INFO" and top_level in names:
        listed = _zip_read(bundle, top_level, READ_LIMIT).decode("utf-8", "replace")
        return module.partition(".")[0] in listed.split()
    return False


def _zip_version(bundle: zipfile.ZipFile, entry: str, names: set[str]) -> str | None:
    """The version in the metadata folder ``entry`` of a zip file, read under the size cap."""
    for file in (f"{entry}/METADATA", f"{entry}/PKG-INFO"):
        if file in names:
            text = decode_metadata(_zip_read(bundle, file, READ_LIMIT))
            return parse_version(text) if text is not None else None
    return None


def carrying(dirs: list[str], facts: BackendFacts) -> Dist | None:
    """The first distribution in a zip among ``dirs`` that carries its own ``facts.module``.

    A module found earlier on ``sys.path`` shadows it, as it would a folder install.
    """
    package = facts.module.replace(".", "/")
    for archive in dirs:
        if not os.path.isfile(archive):
            continue
        import zipfile

        try:
            with zipfile.ZipFile(archive) as bundle:
                names = set(bundle.namelist())
        except Exception:  # noqa: BLE001, S112 - not a zip file, or a damaged one: no install
            continue
        if f"{package}/__init__.py" in names or f"{package}.py" in names:
            dist, _ = in_archive(archive, facts)
            if dist is not None:
                return dist
    return None
