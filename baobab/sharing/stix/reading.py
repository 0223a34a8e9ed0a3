"""How a STIX object received from elsewhere becomes a Baobab shared object.

An indicator whose pattern is one comparison with a value of a known type
(:func:`~baobab.sharing.stix.patterns.value_of`) becomes an
:class:`~baobab.sharing.models.Indicator`, a report a
:class:`~baobab.sharing.models.Report`, a sighting a
:class:`~baobab.sharing.models.Sighting`, a relationship a
:class:`~baobab.sharing.models.Relationship`; every other object (and one of
these that does not fit the model: a longer name than it holds, say) is a
:class:`~baobab.sharing.models.KeptObject`. The version stored is the object
as received, its TLP marking written as TLP 2.0 (:func:`marked_content`).
Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from baobab.core.choices import TLP
from baobab.sharing.models import (
    STIX_ID_LENGTH,
    Indicator,
    KeptObject,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.stix.markings import KNOWN_IDS, TLP2_IDS, tlp_of_definition
from baobab.sharing.stix.patterns import value_of
from baobab.sharing.stix.render import parse_stix_time

# What a STIX object without a creation or modification time (a cyber
# observable) is dated: its versions are then told apart by nothing else.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Fields = dict[str, Any]


class DoesNotFitError(ValueError):
    """The object does not fit its model; it is kept as received."""


def tlp_ids_of(objects: Iterable[Mapping[str, Any]]) -> dict[str, TLP]:
    """Every marking-definition id naming a TLP: the well-known ones and the
    bundle's own marking definitions that state a TLP."""
    found: dict[str, TLP] = dict(KNOWN_IDS)
    for obj in objects:
        if obj.get("type") == "marking-definition" and isinstance(obj.get("id"), str):
            tlp = tlp_of_definition(obj)
            if tlp is not None:
                found[obj["id"]] = tlp
    return found


def _marking_refs(obj: Mapping[str, Any]) -> list[str]:
    refs = [str(ref) for ref in obj.get("object_marking_refs") or ()]
    for granular in obj.get("granular_markings") or ():
        if isinstance(granular, Mapping) and granular.get("marking_ref"):
            refs.append(str(granular["marking_ref"]))
    return refs


_RANK = {tlp: rank for rank, tlp in enumerate(TLP)}  # least to most restricted


def tlp_of(obj: Mapping[str, Any], tlp_ids: Mapping[str, TLP], default: TLP) -> TLP:
    """The strictest TLP an object is marked with (object or granular
    markings, in any spelling), or ``default`` when it names none."""
    found = [tlp_ids[ref] for ref in _marking_refs(obj) if ref in tlp_ids]
    return max(found, key=_RANK.__getitem__) if found else default


def marked_content(obj: Mapping[str, Any], tlp: TLP, tlp_ids: Mapping[str, TLP]) -> dict[str, Any]:
    """The object as received, its TLP markings replaced by the TLP 2.0
    marking of ``tlp`` (other markings kept)."""
    others = [ref for ref in obj.get("object_marking_refs") or () if ref not in tlp_ids]
    return {**obj, "object_marking_refs": [TLP2_IDS[tlp], *others]}


# An object's times are often the same text (created, modified, valid_from).
_parse_time = functools.lru_cache(maxsize=4096)(parse_stix_time)


def stix_moment(obj: Mapping[str, Any], name: str) -> dt.datetime | None:
    """A timestamp property, read; None when absent."""
    value = obj.get(name)
    return _parse_time(value) if isinstance(value, str) else None


def version_of(obj: Mapping[str, Any]) -> dt.datetime:
    """What tells this version of the object from others: ``modified``,
    else ``created``, else :data:`EPOCH`."""
    return stix_moment(obj, "modified") or stix_moment(obj, "created") or EPOCH


def _text(obj: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise DoesNotFitError(name)
    return value


def _ref(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or len(value) > STIX_ID_LENGTH:
        raise DoesNotFitError(name)
    return value


def _strings(obj: Mapping[str, Any], name: str) -> list[str]:
    value = obj.get(name) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DoesNotFitError(name)
    return list(value)


def common_fields(obj: Mapping[str, Any], own_identity: str) -> Fields:
    """What every shared object holds, read from any STIX object."""
    created = stix_moment(obj, "created") or EPOCH
    confidence: Any = obj.get("confidence")
    creator = obj.get("created_by_ref")
    if not isinstance(creator, str) or creator == own_identity or len(creator) > STIX_ID_LENGTH:
        creator = ""
    valid = isinstance(confidence, int) and not isinstance(confidence, bool) and confidence >= 0
    return {
        "created": created,
        "modified": version_of(obj),
        "confidence": confidence if valid and confidence <= 100 else None,
        "revoked": obj.get("revoked") is True,
        "created_by_ref": creator,
        "valid_from": created,
    }


def _indicator(obj: Mapping[str, Any]) -> Fields:
    pattern = obj.get("pattern")
    found = (
        value_of(pattern)
        if obj.get("pattern_type") == "stix" and isinstance(pattern, str)
        else None
    )
    valid_from = stix_moment(obj, "valid_from")
    if found is None or valid_from is None:
        raise DoesNotFitError("pattern")
    kind, value = found
    name = _text(obj, "name", 250)
    return {
        "kind": kind.value,
        "value": value,
        "name": "" if name == value else name,  # Baobab names an unnamed one by its value
        "description": _text(obj, "description", 20_000),
        "labels": _strings(obj, "labels"),
        "valid_from": valid_from,
        "valid_until": stix_moment(obj, "valid_until"),
    }


def _report(obj: Mapping[str, Any]) -> Fields:
    published = stix_moment(obj, "published")
    if published is None:
        raise DoesNotFitError("published")
    refs = _strings(obj, "object_refs")
    if any(len(ref) > STIX_ID_LENGTH for ref in refs):
        raise DoesNotFitError("object_refs")
    if refs == [obj.get("created_by_ref")]:  # Baobab's report about nothing names its author
        refs = []
    return {
        "title": _text(obj, "name", 250, required=True),
        "body": _text(obj, "description", 200_000),
        "published": published,
        "report_types": _strings(obj, "report_types"),
        "labels": _strings(obj, "labels"),
        "object_refs": refs,
    }


def _sighting(obj: Mapping[str, Any]) -> Fields:
    first, last = stix_moment(obj, "first_seen"), stix_moment(obj, "last_seen")
    first = first or last or stix_moment(obj, "created") or EPOCH
    count = obj.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count < 2**31:
        raise DoesNotFitError("count")
    return {
        "sighting_of_ref": _ref(obj, "sighting_of_ref"),
        "first_seen": first,
        "last_seen": last or first,
        "count": count,
        "description": _text(obj, "description", 20_000),
    }


def _relationship(obj: Mapping[str, Any]) -> Fields:
    return {
        "relationship_type": _text(obj, "relationship_type", 100, required=True),
        "source_ref": _ref(obj, "source_ref"),
        "target_ref": _ref(obj, "target_ref"),
        "description": _text(obj, "description", 20_000),
    }


_READERS: dict[str, tuple[type[SharedObject], Callable[[Mapping[str, Any]], Fields]]] = {
    "indicator": (Indicator, _indicator),
    "report": (Report, _report),
    "sighting": (Sighting, _sighting),
    "relationship": (Relationship, _relationship),
}


def read(
    obj: Mapping[str, Any], content: dict[str, Any], own_identity: str
) -> tuple[type[SharedObject], Fields]:
    """The model a STIX object is held in and its fields (``content`` is the
    version stored, kept whole by a :class:`KeptObject`)."""
    fields = common_fields(obj, own_identity)
    reader = _READERS.get(str(obj.get("type")))
    if reader is not None:
        model, read_fields = reader
        try:
            return model, {**fields, **read_fields(obj)}
        except DoesNotFitError:
            pass
    return KeptObject, {**fields, "stix_type": str(obj["type"]), "content": content}
