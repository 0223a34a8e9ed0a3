"""Reading MISP event JSON: the events a document holds, each checked and
loaded with PyMISP.

A document is one event (``{"Event": {…}}`` or the bare event), a search
answer (``{"response": [{"Event": …}, …]}``) or a list of events. Before
PyMISP sees an event, its structure is checked so that each problem is named
with the attribute, object or tag it is in (PyMISP would say only that
something failed); uuids are required, because they are how the same
event and attribute are recognised when they come again.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pymisp import MISPEvent

# More problems than this in one event are not listed one by one.
MAX_MESSAGES = 20


class MispError(ValueError):
    """MISP input that cannot be imported; ``messages`` says every reason."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def parse_json(data: bytes | str) -> Any:
    """The JSON document ``data``, or :class:`MispError`."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise MispError([_("This is not JSON: %(error)s") % {"error": exc}]) from None


def events_of(document: Any) -> list[dict[str, Any]]:
    """The raw events a MISP JSON document holds (at least one)."""
    if isinstance(document, Mapping) and isinstance(document.get("response"), list):
        document = document["response"]
    items = document if isinstance(document, list) else [document]
    events: list[dict[str, Any]] = []
    for item in items:
        event = item.get("Event", item) if isinstance(item, Mapping) else None
        if not isinstance(event, Mapping) or "info" not in event:
            raise MispError(
                [_("This is not a MISP event: expected an object with an Event (info, uuid…).")]
            )
        events.append(dict(event))
    if not events:
        raise MispError([_("The document holds no MISP event.")])
    return events


def _valid_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _valid_timestamp(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    if isinstance(value, str):
        if value.isdigit():
            return True
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


class _Checker:
    """Collects the structural problems of one raw event."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        from pymisp import MISPAttribute  # noqa: PLC0415 - the type table is read once here

        self.types: set[str] = set(MISPAttribute().describe_types["types"])

    def add(self, message: str) -> None:
        self.messages.append(message)

    def tags(self, where: str, tags: Any) -> None:
        if tags is None:
            return
        if not isinstance(tags, list) or not all(
            isinstance(tag, Mapping) and isinstance(tag.get("name"), str) for tag in tags
        ):
            self.add(_("%(where)s: Tag must be a list of tags with a name.") % {"where": where})

    def common(self, where: str, item: Mapping[str, Any]) -> None:
        distribution = item.get("distribution")
        if distribution is not None and str(distribution) not in {"0", "1", "2", "3", "4", "5"}:
            self.add(
                _("%(where)s: distribution %(value)r is not a MISP level (0 to 5).")
                % {"where": where, "value": distribution}
            )
        if str(distribution) == "4" and not (
            item.get("sharing_group_id") not in (None, "", "0", 0) or item.get("SharingGroup")
        ):
            self.add(
                _("%(where)s: distribution 4 (a sharing group) names no sharing group.")
                % {"where": where}
            )
        for name in ("timestamp", "first_seen", "last_seen", "publish_timestamp"):
            value = item.get(name)
            if value not in (None, "") and not _valid_timestamp(value):
                self.add(
                    _("%(where)s: %(name)s %(value)r is not a time.")
                    % {"where": where, "name": name, "value": value}
                )

    def attribute(self, where: str, item: Any, *, in_object: bool) -> None:
        if not isinstance(item, Mapping):
            self.add(_("%(where)s is not an attribute (an object).") % {"where": where})
            return
        ident = item.get("uuid")
        if not _valid_uuid(ident):
            self.add(_("%(where)s has no valid uuid.") % {"where": where})
        else:
            where = _("attribute %(uuid)s") % {"uuid": ident}
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in self.types:
            self.add(
                _("%(where)s: %(type)r is not a MISP attribute type.")
                % {"where": where, "type": kind}
            )
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, str | int | float) or str(value) == "":
            self.add(_("%(where)s has no value (text).") % {"where": where})
        if in_object and not isinstance(item.get("object_relation"), str):
            self.add(_("%(where)s has no object_relation.") % {"where": where})
        self.common(where, item)
        self.tags(where, item.get("Tag"))

    def object(self, where: str, item: Any) -> None:
        if not isinstance(item, Mapping):
            self.add(_("%(where)s is not a MISP object.") % {"where": where})
            return
        ident = item.get("uuid")
        if not _valid_uuid(ident):
            self.add(_("%(where)s has no valid uuid.") % {"where": where})
        else:
            where = _("object %(uuid)s") % {"uuid": ident}
        if not isinstance(item.get("name"), str) or not item.get("name"):
            self.add(_("%(where)s has no name.") % {"where": where})
        self.common(where, item)
        attributes = item.get("Attribute", [])
        if not isinstance(attributes, list):
            self.add(_("%(where)s: Attribute must be a list.") % {"where": where})
            return
        for index, attribute in enumerate(attributes):
            self.attribute(
                _("attribute %(index)s of %(where)s") % {"index": index + 1, "where": where},
                attribute,
                in_object=True,
            )

    def event(self, event: Mapping[str, Any]) -> None:
        ident = event.get("uuid")
        where = _("The event")
        if not _valid_uuid(ident):
            self.add(_("The event has no valid uuid."))
        else:
            where = _("Event %(uuid)s") % {"uuid": ident}
        if not isinstance(event.get("info"), str) or not event["info"].strip():
            self.add(_("%(where)s has no info (its title).") % {"where": where})
        if event.get("timestamp") in (None, "") and event.get("date") in (None, ""):
            self.add(_("%(where)s has neither a timestamp nor a date.") % {"where": where})
        self.common(where, event)
        self.tags(where, event.get("Tag"))
        for index, item in enumerate(self._list(where, event, "Attribute")):
            self.attribute(_("attribute %(index)s") % {"index": index + 1}, item, in_object=False)
        for index, item in enumerate(self._list(where, event, "Object")):
            self.object(_("object %(index)s") % {"index": index + 1}, item)

    def _list(self, where: str, event: Mapping[str, Any], name: str) -> list[Any]:
        items = event.get(name)
        if items is None:
            return []
        if not isinstance(items, list):
            self.add(_("%(where)s: %(name)s must be a list.") % {"where": where, "name": name})
            return []
        return items


def _with_text_values(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``event`` whose attribute values are text (some tools write
    numbers), which PyMISP may change freely."""
    event = copy.deepcopy(event)
    attributes = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        attributes.extend(obj.get("Attribute") or [])
    for attribute in attributes:
        if isinstance(attribute.get("value"), int | float):
            attribute["value"] = str(attribute["value"])
    return event


def capped(messages: list[str]) -> list[str]:
    """The first ``MAX_MESSAGES`` problems, and how many more there are."""
    more = len(messages) - MAX_MESSAGES
    if more <= 0:
        return list(messages)
    return [
        *messages[:MAX_MESSAGES],
        ngettext("… and %(count)s more problem.", "… and %(count)s more problems.", more)
        % {"count": more},
    ]


def load_event(raw: Mapping[str, Any]) -> MISPEvent:
    """A raw event checked and loaded with PyMISP; :class:`MispError` naming
    each problem otherwise."""
    checker = _Checker()
    checker.event(raw)
    if checker.messages:
        raise MispError(capped(checker.messages))
    event = MISPEvent()
    try:
        event.load(_with_text_values(dict(raw)))
    except Exception as exc:  # PyMISP raises what its parts raise
        raise MispError(
            [
                _("Event %(uuid)s is not a valid MISP event: %(error)s")
                % {"uuid": raw.get("uuid"), "error": str(exc)[:500]}
            ]
        ) from None
    return event


def read_events(data: bytes | str | Mapping[str, Any] | list[Any]) -> list[MISPEvent]:
    """Every event of a MISP JSON document, loaded; :class:`MispError` if
    any of them is not valid (nothing is returned then)."""
    document = parse_json(data) if isinstance(data, bytes | str) else data
    return [load_event(raw) for raw in events_of(document)]
