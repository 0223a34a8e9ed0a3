"""A MISP event as STIX 2.1 objects, for the STIX importer (the one import
path), and the marking each object gets.

- The event is a ``report`` (its title, publication time, non-TLP tags as
  labels, every object below in ``object_refs``) and an ``x-misp-event``
  keeping what a report does not hold (date, threat level, analysis, the
  creating organisation, galaxies, event reports).
- An attribute whose type holds an indicator value (addresses, names, URLs,
  e-mail addresses, hashes, AS numbers, file names …) is an ``indicator``
  with a single-comparison pattern; what its MISP form says beyond the value
  (a more precise type, a category, the IDS flag) is kept in labels.
- Any other attribute is an ``x-misp-attribute`` and each MISP object an
  ``x-misp-object``, carrying the MISP data as it is; an object's members
  that hold indicator values are indicators too, related to the object.

STIX ids are the MISP uuids (``indicator--<attribute uuid>``), and
``modified`` is the MISP timestamp, so the same event imported again changes
nothing and a changed attribute is a new version. TLP comes from ``tlp:``
tags (an attribute's own override its event's), distribution from MISP's
levels; an element never reaches further than what contains it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from pymisp import MISPAttribute, MISPEvent, MISPObject

from baobab.core.choices import TLP, Distribution
from baobab.sharing.misp.mapping import (
    INDICATOR_TYPES,
    INHERIT,
    PREFIX,
    SHARING_GROUP,
    IndicatorType,
    Marking,
    derived_uuid,
    distribution_of_level,
    hint_labels,
    narrower,
    narrowest,
    split_tags,
    stix_uuid,
)
from baobab.sharing.misp.read import MispError, capped
from baobab.sharing.stix.markings import TLP2_IDS, marking_definition
from baobab.sharing.stix.patterns import pattern_of
from baobab.sharing.stix.render import stix_time
from baobab.sharing.values import InvalidValueError, normalise

_T = TypeVar("_T")

# What an x-misp-event keeps of the event (the rest is in the report or the markings).
EVENT_FIELDS = ("uuid", "date", "threat_level_id", "analysis", "Orgc", "extends_uuid", "Galaxy")
EVENT_REPORTS = "EventReport"


@dataclass
class Converted:
    """One MISP event as a STIX bundle, with each object's marking."""

    event_uuid: str
    info: str
    report_id: str
    bundle: dict[str, Any]
    markings: dict[str, Marking]
    event_marking: Marking
    notes: list[str] = field(default_factory=list)


def _tag_names(item: Any) -> list[str]:
    return [str(tag.name) for tag in getattr(item, "tags", None) or []]


def _level(item: Any) -> int | None:
    value = getattr(item, "distribution", None)
    return None if value in (None, "") else int(value)


def _present(items: Iterable[_T]) -> list[_T]:
    """``items`` without those MISP marks as deleted."""
    return [item for item in items if not getattr(item, "deleted", False)]


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return None


class _Converter:
    """Builds the STIX objects of one event."""

    def __init__(
        self,
        event: MISPEvent,
        *,
        default_tlp: TLP,
        default_distribution: Distribution,
        known_groups: Collection[str],
    ) -> None:
        self.event = event
        self.default_distribution = default_distribution
        self.groups = {name.casefold(): name for name in known_groups}
        self.groups.update({name: name for name in known_groups})
        self.objects: list[dict[str, Any]] = []
        self.markings: dict[str, Marking] = {}
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.seen_uuids: set[str] = set()
        self.event_uuid = str(event.uuid).lower()
        self.timestamp = self._event_timestamp()
        day = getattr(event, "date", None)
        self.created = (
            dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            if isinstance(day, dt.date)
            else self.timestamp
        )
        orgc = getattr(event, "Orgc", None)
        orgc_uuid = getattr(orgc, "uuid", None)
        self.created_by_ref = f"identity--{stix_uuid(str(orgc_uuid))}" if orgc_uuid else None
        self.event_group_name = self._group_name(event)
        self.event_group_id = str(getattr(event, "sharing_group_id", "") or "")
        self.event_marking = self._marking(
            event,
            Marking(tlp=default_tlp, distribution=default_distribution),
            _("the event"),
            top=True,
        )

    # --- markings -----------------------------------------------------------

    def _event_timestamp(self) -> dt.datetime:
        stamp = _time(getattr(self.event, "timestamp", None))
        if stamp is not None:
            return stamp
        day = getattr(self.event, "date", None)
        if not isinstance(day, dt.date):
            raise MispError([_("The event has neither a timestamp nor a date.")])
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)

    @staticmethod
    def _group_name(item: Any) -> str | None:
        group = getattr(item, "SharingGroup", None)
        name = getattr(group, "name", None)
        return str(name) if name else None

    def _marking(self, item: Any, parent: Marking, what: str, *, top: bool = False) -> Marking:
        """The marking of ``item``: its own TLP tag or its parent's; its own
        distribution (5: the parent's), never wider than the parent's."""
        tlp, _others = split_tags(_tag_names(item))
        level = _level(item)
        if top and level in (None, INHERIT):
            own: tuple[Distribution, str | None] = (self.default_distribution, None)
        elif level is None or level == INHERIT:
            own = (parent.distribution, parent.group)
        elif level == SHARING_GROUP:
            own = self._group(item, what)
        else:
            own = (distribution_of_level(level) or Distribution.TEAM, None)
        scope = own if top else narrower(own, (parent.distribution, parent.group))
        return Marking(tlp=tlp or parent.tlp, distribution=scope[0], group=scope[1])

    def _group(self, item: Any, what: str) -> tuple[Distribution, str | None]:
        name = self._group_name(item)
        if name is None and str(getattr(item, "sharing_group_id", "") or "") == (
            self.event_group_id
        ):
            name = self.event_group_name
        known = None
        if name is not None:
            known = self.groups.get(name) or self.groups.get(name.casefold())
        if known is None:
            self.notes.append(
                _(
                    "The sharing group %(group)s of %(what)s is not one of the team's: "
                    "it is shared with the team only."
                )
                % {"group": name or _("(unnamed)"), "what": what}
            )
            return Distribution.TEAM, None
        return Distribution.GROUP, known

    # --- common parts ---------------------------------------------------------

    def _common(
        self, stix_type: str, stix_id: str, modified: dt.datetime, marking: Marking
    ) -> dict[str, Any]:
        created = min(self.created, modified)
        common: dict[str, Any] = {
            "type": stix_type,
            "spec_version": "2.1",
            "id": stix_id,
            "created": stix_time(created),
            "modified": stix_time(modified),
        }
        if self.created_by_ref:
            common["created_by_ref"] = self.created_by_ref
        common["object_marking_refs"] = [TLP2_IDS[marking.tlp]]
        self.markings[stix_id] = marking
        return common

    def _check_uuid(self, misp_uuid: str, what: str) -> None:
        key = misp_uuid.lower()
        if key in self.seen_uuids:
            self.errors.append(
                _("%(what)s: this uuid appears twice in the event.") % {"what": what}
            )
        self.seen_uuids.add(key)

    # --- attributes ---------------------------------------------------------

    def indicator_value(
        self, attribute: MISPAttribute, what: str
    ) -> tuple[IndicatorType, str] | None:
        """The indicator type and canonical value an attribute holds, or
        None when it is not an indicator (kept as it is)."""
        mapping = INDICATOR_TYPES.get(str(attribute.type))
        if mapping is None:
            return None
        raw = str(attribute.value)
        if mapping.part is not None:
            parts = raw.split("|", 1)
            if len(parts) != 2:
                self.errors.append(
                    _("%(what)s (%(type)s): %(value)r is not two values joined by |.")
                    % {"what": what, "type": attribute.type, "value": raw[:200]}
                )
                return None
            raw = parts[mapping.part]
        kind = mapping.kind
        if kind is IndicatorType.IP and "/" in raw:
            kind = PREFIX
        try:
            return kind, normalise(kind, raw)
        except InvalidValueError as exc:
            if mapping.lenient:
                return None
            self.errors.append(
                _("%(what)s (%(type)s): %(error)s")
                % {"what": what, "type": attribute.type, "error": exc}
            )
            return None

    def attribute(self, attribute: MISPAttribute, parent: Marking) -> tuple[str, Marking, bool]:
        """Convert one attribute; its STIX id, its marking and whether it is
        an indicator."""
        misp_uuid = str(attribute.uuid)
        what = _("Attribute %(uuid)s") % {"uuid": misp_uuid}
        self._check_uuid(misp_uuid, what)
        marking = self._marking(attribute, parent, what)
        modified = _time(getattr(attribute, "timestamp", None)) or self.timestamp
        found = self.indicator_value(attribute, what)
        ident = stix_uuid(misp_uuid)
        if found is None:
            stix_id = f"x-misp-attribute--{ident}"
            content = self._common("x-misp-attribute", stix_id, modified, marking)
            content["name"] = f"{attribute.type}: {attribute.value}"[:250]
            content["x_misp_attribute"] = json.loads(attribute.to_json())
            self.objects.append(content)
            return stix_id, marking, False
        kind, value = found
        stix_id = f"indicator--{ident}"
        indicator = self._common("indicator", stix_id, modified, marking)
        if "|" in str(attribute.type):
            indicator["name"] = str(attribute.value)[:250]
        comment = str(getattr(attribute, "comment", "") or "")
        if comment:
            indicator["description"] = comment
        indicator["pattern"] = pattern_of(kind, value)
        indicator["pattern_type"] = "stix"
        first_seen = _time(getattr(attribute, "first_seen", None))
        valid_from = first_seen or modified
        indicator["valid_from"] = stix_time(valid_from)
        last_seen = _time(getattr(attribute, "last_seen", None))
        if last_seen is not None and last_seen > valid_from:
            indicator["valid_until"] = stix_time(last_seen)
        _tlp, tags = split_tags(_tag_names(attribute))
        labels = tags + hint_labels(
            str(attribute.type),
            kind,
            str(getattr(attribute, "category", "") or ""),
            bool(getattr(attribute, "to_ids", False)),
        )
        if labels:
            indicator["labels"] = labels
        self.objects.append(indicator)
        return stix_id, marking, True

    # --- objects ------------------------------------------------------------

    def misp_object(self, obj: MISPObject) -> list[str]:
        """Convert one MISP object: the kept object, its members that are
        indicators and the relationships between them; their STIX ids."""
        misp_uuid = str(obj.uuid)
        what = _("Object %(uuid)s") % {"uuid": misp_uuid}
        self._check_uuid(misp_uuid, what)
        own = self._marking(obj, self.event_marking, what)
        object_id = f"x-misp-object--{stix_uuid(misp_uuid)}"
        stamps = [_time(getattr(obj, "timestamp", None)) or self.timestamp]
        members: list[tuple[str, dt.datetime, str]] = []
        member_markings = [own]
        for attribute in _present(obj.attributes):
            stix_id, marking, is_indicator = self._member(attribute, own)
            modified = _time(getattr(attribute, "timestamp", None)) or self.timestamp
            stamps.append(modified)
            member_markings.append(marking)
            if is_indicator:
                members.append((stix_id, modified, str(attribute.object_relation)))
        # The kept object carries every member's value: seen only by whoever may see all.
        marking = narrowest(member_markings)
        modified = max(stamps)
        content = self._common("x-misp-object", object_id, modified, marking)
        content["name"] = str(obj.name)[:250]
        data = json.loads(obj.to_json())
        stored = data.get("Attribute") or []
        data["Attribute"] = [item for item in stored if not item.get("deleted")]
        content["x_misp_object"] = data
        self.objects.append(content)
        ids = [object_id]
        for stix_id, member_modified, relation in members:
            relationship_id = f"relationship--{derived_uuid('member', object_id, stix_id)}"
            relationship = self._common(
                "relationship", relationship_id, max(modified, member_modified), marking
            )
            relationship["relationship_type"] = "related-to"
            relationship["source_ref"] = stix_id
            relationship["target_ref"] = object_id
            relationship["description"] = f"{obj.name}: {relation}"
            self.objects.append(relationship)
            ids.extend([stix_id, relationship_id])
        return ids

    def _member(self, attribute: MISPAttribute, parent: Marking) -> tuple[str, Marking, bool]:
        stix_id, marking, is_indicator = self.attribute(attribute, parent)
        if not is_indicator:
            # A member that is not an indicator lives only inside its object.
            self.objects.pop()
            del self.markings[stix_id]
        return stix_id, marking, is_indicator

    # --- the event ----------------------------------------------------------

    def event_objects(self) -> tuple[str, list[str]]:
        """Convert the event's contents; the report's id and ``object_refs``."""
        refs: list[str] = []
        for attribute in _present(self.event.attributes):
            stix_id, _marking, _is_indicator = self.attribute(attribute, self.event_marking)
            refs.append(stix_id)
        for obj in _present(self.event.objects):
            refs.extend(self.misp_object(obj))
        ident = stix_uuid(self.event_uuid)
        keep_id = f"x-misp-event--{ident}"
        keep = self._common("x-misp-event", keep_id, self.timestamp, self.event_marking)
        keep["name"] = str(self.event.info)[:250]
        data = json.loads(self.event.to_json())
        keep["x_misp_event"] = {
            name: data[name] for name in (*EVENT_FIELDS, EVENT_REPORTS) if name in data
        }
        self.objects.append(keep)
        refs.append(keep_id)
        report_id = f"report--{ident}"
        report = self._common("report", report_id, self.timestamp, self.event_marking)
        report["name"] = str(self.event.info)[:250]
        published = _time(getattr(self.event, "publish_timestamp", None))
        if published is None or published.timestamp() <= 0:
            published = self.timestamp
        report["published"] = stix_time(published)
        _tlp, labels = split_tags(_tag_names(self.event))
        if labels:
            report["labels"] = labels
        report["object_refs"] = refs
        self.objects.append(report)
        return report_id, refs


def convert(
    event: MISPEvent,
    *,
    default_tlp: TLP = TLP.AMBER,
    default_distribution: Distribution = Distribution.TEAM,
    known_groups: Collection[str] = (),
) -> Converted:
    """``event`` as a STIX bundle and the marking of each object in it.

    ``default_tlp`` marks what no ``tlp:`` tag marks; ``default_distribution``
    is the event's when it states none; ``known_groups`` are the names of
    the sharing groups the importing team is in. :class:`MispError` names
    every attribute whose value is not of its type.
    """
    converter = _Converter(
        event,
        default_tlp=default_tlp,
        default_distribution=default_distribution,
        known_groups=known_groups,
    )
    report_id, _refs = converter.event_objects()
    if converter.errors:
        raise MispError(capped(converter.errors))
    used = sorted({marking.tlp for marking in converter.markings.values()}, key=list(TLP).index)
    version = stix_time(converter.timestamp)
    bundle = {
        "type": "bundle",
        "id": f"bundle--{derived_uuid('bundle', converter.event_uuid, version)}",
        "objects": [marking_definition(tlp) for tlp in used] + converter.objects,
    }
    return Converted(
        event_uuid=converter.event_uuid,
        info=str(event.info),
        report_id=report_id,
        bundle=bundle,
        markings=converter.markings,
        event_marking=converter.event_marking,
        notes=_unique(converter.notes),
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
