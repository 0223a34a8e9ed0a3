"""Baobab's shared objects as STIX 2.1 dictionaries.

What is rendered is the whole object with its own marking; what a given
viewer may see of the references inside it (a report's ``object_refs``, a
relationship's ends) is decided when it is served
(:mod:`baobab.sharing.stix.references`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.stix.markings import TLP2_IDS
from baobab.sharing.stix.patterns import pattern_of

# Namespace of the identities Baobab gives teams (uuid5 of their short name),
# so that the same team has the same identity in every export.
TEAM_NAMESPACE = uuid.UUID("6c1d7f43-7d0c-5b8e-9a55-0a4f4b1b5a0e")


def stix_time(value: dt.datetime) -> str:
    """A STIX timestamp: UTC, ``Z``, milliseconds (microseconds when set)."""
    utc = value.astimezone(dt.UTC)
    if utc.microsecond % 1000:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_stix_time(text: str) -> dt.datetime:
    """A STIX timestamp read back (sub-microsecond digits dropped)."""
    body = text.strip().removesuffix("Z").removesuffix("z")
    if "." in body:
        whole, fraction = body.split(".", 1)
        body = f"{whole}.{fraction[:6]:0<6}"
    return dt.datetime.fromisoformat(body).replace(tzinfo=dt.UTC)


def in_milliseconds(value: dt.datetime) -> dt.datetime:
    """``value`` cut to the millisecond STIX times are written with."""
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


def team_identity_id(team: Team) -> str:
    """The team's STIX identity id: the same in every export (derived from its
    short name), shaped as the version 4 UUID STIX asks of SDO ids."""
    derived = uuid.uuid5(TEAM_NAMESPACE, team.short_name.lower())
    return f"identity--{uuid.UUID(bytes=derived.bytes, version=4)}"


def team_identity(team: Team) -> dict[str, Any]:
    """A team as a STIX identity (an organisation), marked TLP:CLEAR: it is
    in every bundle that names the team, whoever receives it."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": team_identity_id(team),
        "created": stix_time(team.created_at),
        "modified": stix_time(team.created_at),
        "name": team.name or team.short_name,
        "identity_class": "organization",
        **({"contact_information": team.email} if team.email else {}),
        "object_marking_refs": [TLP2_IDS[TLP.CLEAR]],
    }


def _common(obj: SharedObject, stix_type: str) -> dict[str, Any]:
    common: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": obj.stix_id,
        "created_by_ref": obj.created_by_ref or team_identity_id(obj.owner_team),
        "created": stix_time(obj.created),
        "modified": stix_time(obj.modified),
    }
    if obj.revoked:
        common["revoked"] = True
    if obj.confidence is not None:
        common["confidence"] = obj.confidence
    common["object_marking_refs"] = [TLP2_IDS[TLP(obj.tlp)]]
    return common


def _indicator(obj: Indicator) -> dict[str, Any]:
    data = _common(obj, "indicator")
    data["name"] = obj.name or obj.value
    if obj.description:
        data["description"] = obj.description
    data["pattern"] = pattern_of(obj.kind, obj.value)
    data["pattern_type"] = "stix"
    data["valid_from"] = stix_time(obj.valid_from)
    if obj.valid_until is not None:
        data["valid_until"] = stix_time(obj.valid_until)
    if obj.labels:
        data["labels"] = list(obj.labels)
    return data


def _report(obj: Report) -> dict[str, Any]:
    data = _common(obj, "report")
    data["name"] = obj.title
    if obj.body:
        data["description"] = obj.body
    data["published"] = stix_time(obj.published)
    if obj.report_types:
        data["report_types"] = list(obj.report_types)
    if obj.labels:
        data["labels"] = list(obj.labels)
    # STIX wants at least one reference: a report about nothing names its author.
    data["object_refs"] = list(obj.object_refs) or [data["created_by_ref"]]
    return data


def _sighting(obj: Sighting) -> dict[str, Any]:
    data = _common(obj, "sighting")
    if obj.description:
        data["description"] = obj.description
    data["first_seen"] = stix_time(obj.first_seen)
    data["last_seen"] = stix_time(obj.last_seen)
    data["count"] = obj.count
    data["sighting_of_ref"] = obj.sighting_of_ref
    data["where_sighted_refs"] = [team_identity_id(obj.owner_team)]
    return data


def _relationship(obj: Relationship) -> dict[str, Any]:
    data = _common(obj, "relationship")
    data["relationship_type"] = obj.relationship_type
    if obj.description:
        data["description"] = obj.description
    data["source_ref"] = obj.source_ref
    data["target_ref"] = obj.target_ref
    return data


def render(obj: SharedObject) -> dict[str, Any]:
    """``obj`` as a STIX 2.1 object."""
    if isinstance(obj, Indicator):
        return _indicator(obj)
    if isinstance(obj, Report):
        return _report(obj)
    if isinstance(obj, Sighting):
        return _sighting(obj)
    if isinstance(obj, Relationship):
        return _relationship(obj)
    if isinstance(obj, KeptObject):
        return dict(obj.content)
    raise TypeError(f"not a shared object: {obj!r}")
