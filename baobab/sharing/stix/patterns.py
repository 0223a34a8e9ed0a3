"""Indicator values as STIX patterns and back.

Baobab writes one comparison per indicator (``[domain-name:value =
'example.org']``) and reads those back without a full parser; a pattern of
another shape (several comparisons, qualifiers) is not one value and
:func:`value_of` returns None for it, so the object is kept as it is.
"""

from __future__ import annotations

import re

from baobab.sharing.values import IndicatorType, InvalidValueError, normalise

# (STIX object type, property path) for each indicator type; IP addresses
# and prefixes are written as ipv4-addr or ipv6-addr by their family.
_PATHS: dict[IndicatorType, tuple[str, str]] = {
    IndicatorType.DOMAIN: ("domain-name", "value"),
    IndicatorType.URL: ("url", "value"),
    IndicatorType.EMAIL: ("email-addr", "value"),
    IndicatorType.MD5: ("file", "hashes.MD5"),
    IndicatorType.SHA1: ("file", "hashes.'SHA-1'"),
    IndicatorType.SHA256: ("file", "hashes.'SHA-256'"),
    IndicatorType.SHA512: ("file", "hashes.'SHA-512'"),
    IndicatorType.ASN: ("autonomous-system", "number"),
    IndicatorType.FILE_NAME: ("file", "name"),
}

_READ: dict[tuple[str, str], IndicatorType] = {
    ("ipv4-addr", "value"): IndicatorType.IP,
    ("ipv6-addr", "value"): IndicatorType.IP,
    **{path: kind for kind, path in _PATHS.items()},
    # Spellings other tools write for the same hashes.
    ("file", "hashes.md5"): IndicatorType.MD5,
    ("file", "hashes.'MD5'"): IndicatorType.MD5,
    ("file", "hashes.SHA1"): IndicatorType.SHA1,
    ("file", "hashes.'SHA1'"): IndicatorType.SHA1,
    ("file", "hashes.SHA256"): IndicatorType.SHA256,
    ("file", "hashes.'SHA256'"): IndicatorType.SHA256,
    ("file", "hashes.SHA512"): IndicatorType.SHA512,
    ("file", "hashes.'SHA512'"): IndicatorType.SHA512,
}

_ONE_COMPARISON = re.compile(
    r"""^\[\s*(?P<type>[a-z0-9-]+):(?P<path>[A-Za-z0-9_.'-]+)\s*=\s*
        (?:'(?P<text>(?:[^'\\]|\\.)*)'|(?P<number>-?\d+))\s*\]$""",
    re.VERBOSE,
)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_of(kind: IndicatorType | str, value: str) -> str:
    """The STIX pattern that matches ``value`` (canonical) of type ``kind``."""
    indicator_type = IndicatorType(kind)
    if indicator_type in (IndicatorType.IP, IndicatorType.PREFIX):
        family = "ipv6-addr" if ":" in value else "ipv4-addr"
        return f"[{family}:value = {_quoted(value)}]"
    object_type, path = _PATHS[indicator_type]
    if indicator_type is IndicatorType.ASN:
        return f"[{object_type}:{path} = {value.removeprefix('AS')}]"
    return f"[{object_type}:{path} = {_quoted(value)}]"


def value_of(pattern: str) -> tuple[IndicatorType, str] | None:
    """The one (type, canonical value) a single-comparison pattern matches,
    or None if the pattern is not of that shape or its value not of its type."""
    match = _ONE_COMPARISON.match(pattern.strip())
    if match is None:
        return None
    kind = _READ.get((match["type"], match["path"]))
    if kind is None:
        return None
    if match["number"] is not None:
        raw = match["number"]
        if kind is not IndicatorType.ASN:
            return None
    else:
        raw = re.sub(r"\\(.)", r"\1", match["text"])
    if kind is IndicatorType.IP and "/" in raw:
        kind = IndicatorType.PREFIX
    try:
        return kind, normalise(kind, raw)
    except InvalidValueError:
        return None
