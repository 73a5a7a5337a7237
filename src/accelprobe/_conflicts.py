"""Of several distributions that installed one module into one folder, which owns it.

The last one installed overwrote the others' files: the one whose ``RECORD`` hashes match
the files on disk owns them. Loaded only where two accepted distributions share a folder.
"""

import os
import sys
from stat import S_ISREG

from accelprobe._metadata import Dist, Scan, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    from typing import Protocol

    class _Digest(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...


__all__ = ["by_files_on_disk"]

_SHA256_MODULE = "_sha2" if sys.version_info >= (3, 12) else "_sha256"


def by_files_on_disk(
    scan: "Scan", dists: "list[Dist]", module: str
) -> "tuple[Dist, tuple[str, ...]]":
    """Of several distributions that installed ``module`` into one folder, the owner.

    The last one installed overwrote the others' files, so the owner is the one whose
    ``RECORD`` hashes match the files on disk. Only files whose recorded hashes differ can
    tell them apart; the smallest of those are hashed first, and hashing stops as soon as
    one distribution is left. Returns the owner and the others, which are its conflicts.
    """
    records = {id(dist): record(scan, dist, module) or {} for dist in dists}
    shipping = [dist for dist in dists if records[id(dist)]] or dists
    if len(shipping) < 2:  # noqa: PLR2004 - one distribution ships it
        return shipping[0], ()
    telling: dict[str, int] = {}
    for dist in shipping:
        for path, (digest, size) in records[id(dist)].items():
            if digest:
                telling[path] = max(telling.get(path, 0), size)
    alive = shipping
    for path in sorted(telling, key=lambda path: (telling[path], path)):
        listed = {id(dist): records[id(dist)].get(path, ("", 0))[0] for dist in alive}
        recorded = set(listed.values()) - {""}
        if len(recorded) < 2:  # noqa: PLR2004 - every one that lists it agrees
            continue
        on_disk = os.path.join(shipping[0].site, *path.split("/"))
        algorithms = {digest.partition("=")[0] for digest in recorded}
        actual = {f"{name}={_hash(on_disk, name, telling[path])}" for name in sorted(algorithms)}
        if recorded & actual:  # else the file was changed since: it tells nothing
            alive = [dist for dist in alive if listed[id(dist)] in actual | {""}]
        if len(alive) == 1:
            break
    chosen = alive[0]
    return chosen, tuple(dist.name for dist in shipping if dist is not chosen)


def _hash(path: str, algorithm: str, size: int) -> "str | None":
    """The ``RECORD``-style digest (urlsafe base64, no padding) of the file at ``path``.

    A regular file only, and at most the ``size`` its ``RECORD`` gives (or its own): a
    longer one does not match, and is not read further. ``binascii`` rather than
    ``base64``, whose import (it brings ``re``) costs milliseconds.
    """
    import binascii

    try:
        digest = _hasher(algorithm)
        status = os.stat(path)
        if not S_ISREG(status.st_mode):
            return None
        left = (size or status.st_size) + 1
        with open(path, "rb") as stream:
            while left > 0:
                chunk = stream.read(min(left, 1 << 20))
                if not chunk:
                    break
                digest.update(chunk)
                left -= len(chunk)
    except (OSError, ValueError):
        return None
    if left <= 0:  # longer than its RECORD says
        return None
    encoded = binascii.b2a_base64(digest.digest(), newline=False).decode("ascii")
    return encoded.rstrip("=").replace("+", "-").replace("/", "_")


def _hasher(algorithm: str) -> "_Digest":
    """A new hash object; sha256, as wheels record, from CPython's built-in module.

    ``hashlib`` costs 2 ms to import (it loads OpenSSL); it serves the other algorithms,
    and sha256 where the built-in module (a CPython internal) is missing.
    """
    if algorithm == "sha256":
        try:
            return __import__(_SHA256_MODULE).sha256()  # type: ignore[no-any-return]
        except ImportError:  # pragma: no cover - a Python built without it
            pass
    import hashlib

    return hashlib.new(algorithm)
