"""How MISP's vocabulary maps onto Baobab's: attribute types onto indicator
types, ``tlp:`` tags onto TLP, distribution levels onto distribution.

Pure: no Django model, no I/O. Both directions read these tables, so that an
event imported and exported again says the same thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from baobab.core.choices import TLP, Distribution
from baobab.sharing.values import IndicatorType

# Namespace of the ids Baobab derives from MISP uuids (a relationship between
# an object and one of its attributes, an id that is not an RFC 4122 UUID…).
MISP_NAMESPACE = uuid.UUID("3f0b6d2e-9a57-5c1e-8d0a-6a1c4e2b7f90")

IP, PREFIX = IndicatorType.IP, IndicatorType.PREFIX


@dataclass(frozen=True)
class TypeMapping:
    """Where a MISP attribute type's indicator value is: its type, and which
    part of a composite value (``a|b``) it is, if the type is composite."""

    kind: IndicatorType
    part: int | None = None
    # A value not of its type is kept whole rather than refused (a MISP
    # ``uri`` is often a bare path, a ``filename`` often a full path).
    lenient: bool = False


_HASHES = {
    "md5": IndicatorType.MD5,
    "sha1": IndicatorType.SHA1,
    "sha256": IndicatorType.SHA256,
    "sha512": IndicatorType.SHA512,
}

INDICATOR_TYPES: dict[str, TypeMapping] = {
    "ip-src": TypeMapping(IP),
    "ip-dst": TypeMapping(IP),
    "ip-src|port": TypeMapping(IP, 0),
    "ip-dst|port": TypeMapping(IP, 0),
    "domain": TypeMapping(IndicatorType.DOMAIN),
    "hostname": TypeMapping(IndicatorType.DOMAIN),
    "domain|ip": TypeMapping(IndicatorType.DOMAIN, 0),
    "hostname|port": TypeMapping(IndicatorType.DOMAIN, 0),
    "url": TypeMapping(IndicatorType.URL),
    "uri": TypeMapping(IndicatorType.URL, lenient=True),
    "email": TypeMapping(IndicatorType.EMAIL),
    "email-src": TypeMapping(IndicatorType.EMAIL),
    "email-dst": TypeMapping(IndicatorType.EMAIL),
    "email-reply-to": TypeMapping(IndicatorType.EMAIL),
    "whois-registrant-email": TypeMapping(IndicatorType.EMAIL),
    "dns-soa-email": TypeMapping(IndicatorType.EMAIL),
    **{name: TypeMapping(kind) for name, kind in _HASHES.items()},
    **{f"filename|{name}": TypeMapping(kind, 1) for name, kind in _HASHES.items()},
    "AS": TypeMapping(IndicatorType.ASN),
    "filename": TypeMapping(IndicatorType.FILE_NAME, lenient=True),
}

# The MISP type an indicator is written as when nothing says otherwise.
DEFAULT_TYPES: dict[IndicatorType, str] = {
    IP: "ip-dst",
    PREFIX: "ip-dst",
    IndicatorType.DOMAIN: "domain",
    IndicatorType.URL: "url",
    IndicatorType.EMAIL: "email-src",
    **{kind: name for name, kind in _HASHES.items()},
    IndicatorType.ASN: "AS",
    IndicatorType.FILE_NAME: "filename",
}

# Labels keeping what a MISP attribute says beyond its indicator value, when
# it differs from what the type implies (written back on export).
TYPE_LABEL = "misp-type:"
CATEGORY_LABEL = "misp-category:"
TO_IDS_LABEL = "misp-to-ids:"
HINT_LABELS = (TYPE_LABEL, CATEGORY_LABEL, TO_IDS_LABEL)


def same_kind(misp_type: str, kind: IndicatorType | str) -> bool:
    """Whether a MISP type names values of indicator type ``kind``."""
    mapping = INDICATOR_TYPES.get(misp_type)
    if mapping is None:
        return False
    wanted = IndicatorType(kind)
    return mapping.kind == wanted or (mapping.kind is IP and wanted is PREFIX)


@cache
def _sane_defaults() -> dict[str, dict[str, Any]]:
    from pymisp import MISPAttribute  # noqa: PLC0415 - pymisp reads its type table on first use

    defaults: dict[str, dict[str, Any]] = MISPAttribute().describe_types["sane_defaults"]
    return defaults


def default_category(misp_type: str) -> str:
    """The category MISP gives an attribute of ``misp_type`` by default."""
    return str(_sane_defaults().get(misp_type, {}).get("default_category", "Other"))


def default_to_ids(misp_type: str) -> bool:
    """Whether MISP marks an attribute of ``misp_type`` for detection by default."""
    return bool(_sane_defaults().get(misp_type, {}).get("to_ids", 0))


def hint_labels(misp_type: str, kind: IndicatorType, category: str, to_ids: bool) -> list[str]:
    """The labels an indicator keeps for what its MISP attribute says beyond
    its value (only what differs from the defaults)."""
    labels: list[str] = []
    if misp_type != DEFAULT_TYPES[kind]:
        labels.append(TYPE_LABEL + misp_type)
    if category and category != default_category(misp_type):
        labels.append(CATEGORY_LABEL + category)
    if to_ids != default_to_ids(misp_type):
        labels.append(TO_IDS_LABEL + ("true" if to_ids else "false"))
    return labels


@dataclass(frozen=True)
class Hints:
    """What an indicator's hint labels say (None: the default)."""

    misp_type: str | None
    category: str | None
    to_ids: bool | None
    other_labels: list[str]


def read_hints(labels: Iterable[str]) -> Hints:
    """Split an indicator's labels into its MISP hints and the others."""
    misp_type = category = None
    to_ids: bool | None = None
    others: list[str] = []
    for label in labels:
        text = str(label)
        if text.startswith(TYPE_LABEL):
            misp_type = text.removeprefix(TYPE_LABEL)
        elif text.startswith(CATEGORY_LABEL):
            category = text.removeprefix(CATEGORY_LABEL)
        elif text.startswith(TO_IDS_LABEL):
            to_ids = text.removeprefix(TO_IDS_LABEL) == "true"
        else:
            others.append(text)
    return Hints(misp_type, category, to_ids, others)


# --- TLP ---------------------------------------------------------------------

_TLP_TAGS = {"white", "clear", "green", "amber", "amber+strict", "red"}


def tlp_of_tag(name: str) -> TLP | None:
    """The TLP a MISP tag names (``tlp:white`` is TLP 2.0's CLEAR), or None."""
    text = name.strip().lower()
    if not text.startswith("tlp:") or text.removeprefix("tlp:").strip() not in _TLP_TAGS:
        return None
    return TLP.from_label(text)


def tlp_tag(tlp: TLP | str) -> str:
    """The MISP tag of ``tlp`` (``tlp:clear``, ``tlp:amber+strict`` …)."""
    return f"tlp:{TLP(tlp).value}"


_TLP_ORDER = list(TLP)


def stricter(first: TLP, second: TLP) -> TLP:
    """The more restricted of two TLP labels."""
    return max(TLP(first), TLP(second), key=_TLP_ORDER.index)


def split_tags(names: Iterable[str]) -> tuple[TLP | None, list[str]]:
    """The strictest TLP named by ``names`` and the other tags, in order."""
    tlp: TLP | None = None
    others: list[str] = []
    for name in names:
        found = tlp_of_tag(name)
        if found is None:
            if name.strip() and name.strip() not in others:
                others.append(name.strip())
        else:
            tlp = found if tlp is None else stricter(tlp, found)
    return tlp, others


# --- distribution -------------------------------------------------------------

INHERIT = 5
SHARING_GROUP = 4

_FROM_MISP = {
    0: Distribution.TEAM,
    1: Distribution.COMMUNITY,
    2: Distribution.COMMUNITY,
    3: Distribution.PUBLIC,
    SHARING_GROUP: Distribution.GROUP,
}
_TO_MISP = {
    Distribution.TEAM: 0,
    Distribution.COMMUNITY: 1,
    Distribution.PUBLIC: 3,
    Distribution.GROUP: SHARING_GROUP,
}


def distribution_of_level(level: int) -> Distribution | None:
    """Baobab's distribution for a MISP level 0–4; None for 5 (inherit)."""
    return _FROM_MISP.get(level)


def level_of_distribution(distribution: Distribution | str) -> int:
    """MISP's level for a Baobab distribution."""
    return _TO_MISP[Distribution(distribution)]


@dataclass(frozen=True)
class Marking:
    """Who may see one object: TLP, distribution and (for group
    distribution) the name of the Baobab sharing group."""

    tlp: TLP
    distribution: Distribution
    group: str | None = None


_WIDTH = [Distribution.TEAM, Distribution.GROUP, Distribution.COMMUNITY, Distribution.PUBLIC]


def narrower(
    first: tuple[Distribution, str | None], second: tuple[Distribution, str | None]
) -> tuple[Distribution, str | None]:
    """The narrower of two distributions: in MISP an attribute never reaches
    further than its event; two different sharing groups leave only the team."""
    if first[0] is Distribution.GROUP and second[0] is Distribution.GROUP:
        return first if first[1] == second[1] else (Distribution.TEAM, None)
    return min(first, second, key=lambda pair: _WIDTH.index(pair[0]))


def narrowest(markings: Iterable[Marking]) -> Marking:
    """One marking no wider than any of ``markings`` (strictest TLP,
    narrowest distribution)."""
    items = list(markings)
    tlp = items[0].tlp
    scope: tuple[Distribution, str | None] = (items[0].distribution, items[0].group)
    for item in items[1:]:
        tlp = stricter(tlp, item.tlp)
        scope = narrower(scope, (item.distribution, item.group))
    return Marking(tlp=tlp, distribution=scope[0], group=scope[1])


def derived_uuid(*parts: str) -> str:
    """A stable uuid (version 5) for something MISP gives no uuid of its own."""
    return str(uuid.uuid5(MISP_NAMESPACE, "/".join(parts)))


def stix_uuid(misp_uuid: str) -> str:
    """The uuid a STIX id is made of for a MISP uuid: the same uuid (lower
    case) when it is an RFC 4122 UUID, as STIX requires, else one derived
    from it."""
    try:
        parsed = uuid.UUID(misp_uuid)
    except ValueError:
        return derived_uuid("uuid", misp_uuid)
    if parsed.variant != uuid.RFC_4122:
        return derived_uuid("uuid", str(parsed))
    return str(parsed)
