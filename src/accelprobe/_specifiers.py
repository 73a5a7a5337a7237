"""Whether a version is inside a PEP 440 specifier: ``packaging`` is imported here only."""

__all__ = ["in_specifier"]


def in_specifier(version: "str | None", specifier: object) -> bool:
    """Whether ``version`` is inside the PEP 440 ``specifier``, pre-releases and local too.

    None or an unparsable version gives False; an invalid specifier raises ``ValueError``.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        if not isinstance(specifier, str):
            raise InvalidSpecifier(repr(specifier))  # noqa: TRY301 - one message for both
        specifiers = SpecifierSet(specifier)
    except InvalidSpecifier:
        msg = f"invalid version specifier {specifier!r} (expected e.g. '>=1.17,<2')"
        raise ValueError(msg) from None
    if version is None:
        return False
    try:
        return specifiers.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False
