"""Shared objects as MISP events, built from what a viewer may see.

A report is one event: its visible indicators are attributes (their MISP
type, category and IDS flag read back from their labels), the MISP
attributes it keeps (``x-misp-attribute``) are written back marked as Baobab
holds them now, the MISP objects (``x-misp-object``) as they came (their
marking in Baobab is derived from theirs: the strictest of their members'),
and what the ``x-misp-event`` kept (date, threat level, analysis, creating
organisation, galaxies) is restored. The members of a visible object are
not repeated as attributes; those of a hidden one that the viewer may see
are. The
indicators of a team that no visible report of that team holds are one
event of their own. TLP is a ``tlp:`` tag (an attribute's only when it
differs from its event's), distribution MISP's level (5, inherit, when it is
the event's).

Every object is read through :func:`baobab.sharing.queries.visible`, so an
export never holds what its viewer may not see.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from pymisp import MISPEvent

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team
from baobab.sharing.misp.mapping import (
    DEFAULT_TYPES,
    INDICATOR_TYPES,
    INHERIT,
    SHARING_GROUP,
    IndicatorType,
    Marking,
    default_category,
    default_to_ids,
    derived_uuid,
    level_of_distribution,
    read_hints,
    same_kind,
    stix_uuid,
    stricter,
    tlp_of_tag,
    tlp_tag,
)
from baobab.sharing.models import Indicator, KeptObject, Report, SharedObject
from baobab.sharing.queries import Who, visible
from baobab.sharing.stix.render import team_identity_id
from baobab.sharing.values import InvalidValueError, normalise

_S = TypeVar("_S", bound=SharedObject)

KEPT_TYPES = ("x-misp-attribute", "x-misp-object", "x-misp-event")
_CHUNK = 500
_WIDTH = [Distribution.TEAM, Distribution.GROUP, Distribution.COMMUNITY, Distribution.PUBLIC]


def uuid_of(stix_id: str) -> str:
    """The uuid part of a STIX id (a MISP uuid)."""
    return stix_id.partition("--")[2]


def _timestamp(value: dt.datetime) -> str:
    return str(int(value.timestamp()))


def _marking(obj: SharedObject, groups: dict[int, str]) -> Marking:
    group = groups.get(obj.sharing_group_id) if obj.sharing_group_id else None
    return Marking(tlp=TLP(obj.tlp), distribution=Distribution(obj.distribution), group=group)


def _distribution(
    marking: Marking, event: Marking | None, groups: dict[int, str]
) -> dict[str, Any]:
    """MISP's distribution fields for ``marking`` (5 when it is the event's)."""
    if event is not None and (marking.distribution, marking.group) == (
        event.distribution,
        event.group,
    ):
        return {"distribution": str(INHERIT)}
    fields: dict[str, Any] = {"distribution": str(level_of_distribution(marking.distribution))}
    if marking.distribution == Distribution.GROUP and marking.group:
        fields["distribution"] = str(SHARING_GROUP)
        # MISP's number for the group is its own; Baobab's is as good a number.
        fields["sharing_group_id"] = str(
            next((pk for pk, name in groups.items() if name == marking.group), 0)
        )
        fields["SharingGroup"] = {
            "name": marking.group,
            "uuid": derived_uuid("sharing-group", marking.group),
        }
    return fields


def _tags(tlp: TLP | None, labels: Iterable[str]) -> list[dict[str, str]]:
    tags = [{"name": tlp_tag(tlp)}] if tlp is not None else []
    tags.extend({"name": str(label)} for label in labels if tlp_of_tag(str(label)) is None)
    return tags


def _held(model: type[_S], who: Who, ids: Sequence[str], owner_team_id: int) -> dict[str, _S]:
    """The visible objects of ``model`` named by ``ids``; where two teams
    hold the same id, the one of ``owner_team_id``."""
    found: dict[str, _S] = {}
    for start in range(0, len(ids), _CHUNK):
        part = ids[start : start + _CHUNK]
        for obj in visible(model, who).filter(stix_id__in=part).order_by("pk"):
            current = found.get(obj.stix_id)
            if current is None or (
                obj.owner_team_id == owner_team_id and current.owner_team_id != owner_team_id
            ):
                found[obj.stix_id] = obj
    return found


# --- attributes -----------------------------------------------------------------


def _composite_value(indicator: Indicator, misp_type: str) -> str | None:
    """The composite MISP value (``a|b``) an indicator's name keeps, if it
    still agrees with the indicator's value."""
    mapping = INDICATOR_TYPES[misp_type]
    parts = indicator.name.split("|", 1)
    if mapping.part is None or len(parts) != 2:
        return None
    try:
        agrees = normalise(indicator.kind, parts[mapping.part]) == indicator.value
    except InvalidValueError:
        return None
    return indicator.name if agrees else None


def indicator_attribute(
    indicator: Indicator, event: Marking | None, groups: dict[int, str]
) -> dict[str, Any]:
    """An indicator as a MISP attribute (in an event marked ``event``)."""
    kind = IndicatorType(indicator.kind)
    hints = read_hints(indicator.labels or [])
    misp_type = DEFAULT_TYPES[kind]
    if hints.misp_type and same_kind(hints.misp_type, kind):
        misp_type = hints.misp_type
    value = indicator.value
    if "|" in misp_type:
        composite = _composite_value(indicator, misp_type)
        if composite is None:
            misp_type = DEFAULT_TYPES[kind]
        else:
            value = composite
    marking = _marking(indicator, groups)
    attribute: dict[str, Any] = {
        "uuid": uuid_of(indicator.stix_id),
        "type": misp_type,
        "category": hints.category or default_category(misp_type),
        "value": value,
        "to_ids": hints.to_ids if hints.to_ids is not None else default_to_ids(misp_type),
        "comment": indicator.description,
        "timestamp": _timestamp(indicator.modified),
        "disable_correlation": False,
        **_distribution(marking, event, groups),
    }
    if int(indicator.valid_from.timestamp()) != int(indicator.modified.timestamp()):
        attribute["first_seen"] = indicator.valid_from.astimezone(dt.UTC).isoformat()
    if indicator.valid_until is not None:
        attribute["last_seen"] = indicator.valid_until.astimezone(dt.UTC).isoformat()
    tlp = marking.tlp if event is None or marking.tlp != event.tlp else None
    tags = _tags(tlp, hints.other_labels)
    if tags:
        attribute["Tag"] = tags
    return attribute


def _kept_tags(stored: list[Any] | None, tlp: TLP | None) -> list[dict[str, Any]]:
    """A kept attribute's tags with its TLP tag replaced by ``tlp``."""
    tags = [{"name": tlp_tag(tlp)}] if tlp is not None else []
    for tag in stored or []:
        if isinstance(tag, dict) and tlp_of_tag(str(tag.get("name", ""))) is None:
            tags.append(tag)
    return tags


def _without_distribution(item: dict[str, Any]) -> dict[str, Any]:
    for name in ("distribution", "sharing_group_id", "SharingGroup"):
        item.pop(name, None)
    return item


def kept_attribute(
    kept: KeptObject, event: Marking | None, groups: dict[int, str]
) -> dict[str, Any]:
    """A kept MISP attribute, marked as Baobab holds it now."""
    attribute = _without_distribution(copy.deepcopy(kept.content.get("x_misp_attribute") or {}))
    marking = _marking(kept, groups)
    attribute.update(_distribution(marking, event, groups))
    tlp = marking.tlp if event is None or marking.tlp != event.tlp else None
    tags = _kept_tags(attribute.pop("Tag", None), tlp)
    if tags:
        attribute["Tag"] = tags
    return attribute


def kept_object(kept: KeptObject) -> dict[str, Any]:
    """A kept MISP object as it came: its marking in Baobab is derived from
    its own and its members' (the strictest), which it still carries."""
    return copy.deepcopy(kept.content.get("x_misp_object") or {})


def _member_ids(kept: KeptObject) -> set[str]:
    members = (kept.content.get("x_misp_object") or {}).get("Attribute") or []
    return {f"indicator--{stix_uuid(str(member.get('uuid', '')))}" for member in members}


# --- events -------------------------------------------------------------------


def _groups(objects: Iterable[SharedObject]) -> dict[int, str]:
    ids = {obj.sharing_group_id for obj in objects if obj.sharing_group_id}
    return dict(SharingGroup.objects.filter(pk__in=ids).values_list("pk", "name"))


def _orgc(team: Team) -> dict[str, str]:
    return {"name": team.name or team.short_name, "uuid": uuid_of(team_identity_id(team))}


def _event(
    *,
    event_uuid: str,
    info: str,
    marking: Marking,
    groups: dict[int, str],
    labels: Iterable[str],
    published: dt.datetime,
    indicators: Sequence[Indicator],
    kept: Sequence[KeptObject],
    owner: Team,
    modified: dt.datetime,
) -> MISPEvent:
    keep = next((obj for obj in kept if obj.stix_type == "x-misp-event"), None)
    objects = [obj for obj in kept if obj.stix_type == "x-misp-object"]
    in_objects = set().union(*(_member_ids(obj) for obj in objects)) if objects else set()
    stamps = [modified, *(obj.modified for obj in indicators), *(obj.modified for obj in kept)]
    data: dict[str, Any] = {
        "uuid": event_uuid,
        "info": info,
        "date": published.astimezone(dt.UTC).date().isoformat(),
        "threat_level_id": "4",
        "analysis": "2",
        "timestamp": _timestamp(max(stamps)),
        "published": True,
        "publish_timestamp": _timestamp(published),
        "Orgc": _orgc(owner),
        **_distribution(marking, None, groups),
        "Tag": _tags(marking.tlp, labels),
    }
    if keep is not None:
        data.update(dict(keep.content.get("x_misp_event") or {}))
        data["uuid"] = event_uuid
    data["Attribute"] = [
        indicator_attribute(obj, marking, groups)
        for obj in indicators
        if obj.stix_id not in in_objects
    ] + [kept_attribute(obj, marking, groups) for obj in kept if obj.stix_type == KEPT_TYPES[0]]
    data["Object"] = [kept_object(obj) for obj in objects]
    event = MISPEvent()
    event.load({"Event": data})
    return event


def _report_event(report: Report, who: Who) -> MISPEvent:
    refs = [str(ref) for ref in report.object_refs or []]
    indicators = list(_held(Indicator, who, refs, report.owner_team_id).values())
    kept = [
        obj
        for obj in _held(KeptObject, who, refs, report.owner_team_id).values()
        if obj.stix_type in KEPT_TYPES
    ]
    order = {ref: index for index, ref in enumerate(refs)}
    indicators.sort(key=lambda obj: order.get(obj.stix_id, 0))
    kept.sort(key=lambda obj: order.get(obj.stix_id, 0))
    groups = _groups([report, *indicators, *kept])
    return _event(
        event_uuid=uuid_of(report.stix_id),
        info=report.title,
        marking=_marking(report, groups),
        groups=groups,
        labels=report.labels or [],
        published=report.published,
        indicators=indicators,
        kept=kept,
        owner=report.owner_team,
        modified=report.modified,
    )


def report_event(stix_id: str, who: Who) -> MISPEvent | None:
    """The report ``stix_id`` as a MISP event, as ``who`` may see it; None
    if ``who`` may see no such report."""
    report = (
        visible(Report, who)
        .filter(stix_id=stix_id)
        .select_related("owner_team")
        .order_by("pk")
        .first()
    )
    return None if report is None else _report_event(report, who)


def loose_indicators(team: Team, who: Who) -> list[Indicator]:
    """The indicators of ``team`` that ``who`` may see and that no report of
    ``team`` visible to ``who`` holds."""
    in_reports: set[str] = set()
    for refs in visible(Report, who).filter(owner_team=team).values_list("object_refs", flat=True):
        in_reports.update(str(ref) for ref in refs or [])
    indicators = visible(Indicator, who).filter(owner_team=team).order_by("modified", "pk")
    return [obj for obj in indicators if obj.stix_id not in in_reports]


def team_event_uuid(team: Team) -> str:
    """The uuid of the event holding a team's loose indicators."""
    return derived_uuid("team-indicators", team.short_name.lower())


def team_event(team: Team, who: Who) -> MISPEvent | None:
    """The loose indicators of ``team`` that ``who`` may see as one event;
    None when there are none. The event is marked with the strictest TLP
    and widest distribution of its indicators (each attribute says its own)."""
    indicators = loose_indicators(team, who)
    if not indicators:
        return None
    groups = _groups(indicators)
    markings = [_marking(obj, groups) for obj in indicators]
    tlp = markings[0].tlp
    for item in markings[1:]:
        tlp = stricter(tlp, item.tlp)
    widest = max(markings, key=lambda item: _WIDTH.index(item.distribution))
    modified = max(obj.modified for obj in indicators)
    return _event(
        event_uuid=team_event_uuid(team),
        info=_("Indicators shared by %(team)s") % {"team": team.name or team.short_name},
        marking=Marking(tlp=tlp, distribution=widest.distribution, group=widest.group),
        groups=groups,
        labels=[],
        published=modified,
        indicators=indicators,
        kept=[],
        owner=team,
        modified=modified,
    )


def visible_events(who: Who) -> list[MISPEvent]:
    """Every event ``who`` may see: one per visible report, one per team
    for its loose indicators (a feed's content)."""
    events = [
        _report_event(report, who)
        for report in visible(Report, who).select_related("owner_team").order_by("pk")
    ]
    team_ids = visible(Indicator, who).values_list("owner_team_id", flat=True).distinct()
    for team in Team.objects.filter(pk__in=list(team_ids)).order_by("short_name"):
        event = team_event(team, who)
        if event is not None:
            events.append(event)
    return events


def event_json(event: MISPEvent) -> dict[str, Any]:
    """An event as MISP's JSON (``{"Event": {…}}``)."""
    return {"Event": json.loads(event.to_json())}


def document(events: Sequence[MISPEvent]) -> dict[str, Any]:
    """The JSON document of ``events``: one event as ``{"Event": …}``,
    several as a search answer (``{"response": [...]}``)."""
    if len(events) == 1:
        return event_json(events[0])
    return {"response": [event_json(event) for event in events]}


def is_uuid(text: str) -> bool:
    """Whether ``text`` is a uuid (as an event file is named)."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
