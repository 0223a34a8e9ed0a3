"""Baobab's own JSON directory format, exactly as :mod:`baobab.directory.export` writes it.

``{"format": "baobab-directory", "version": 1, "teams": [...],
"organisations": [...]}``: teams and organisations with the model's field
names, each holding its ``contacts`` and ``claims``. Every team,
organisation, contact and claim is its own record (numbered in the order
teams, organisations, contacts, claims, with its JSON path), so a bad contact
does not hold back its team. A key that is absent leaves that field alone; a
key that is present sets it, ``null`` or ``""`` included — so an export
imported again changes nothing. The PGP fingerprint and expiry in the file
are read from the key itself, not from the file.

The builders here (:func:`team_item` …) take objects in this JSON shape;
the CSV importer turns its rows into that shape and uses them too.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from baobab.core.choices import TLP
from baobab.directory.export import FORMAT_NAME, FORMAT_VERSION
from baobab.directory.importers.common import (
    BadValueError,
    UnusableFileError,
    Where,
    as_text,
    load_json,
)
from baobab.directory.importers.records import (
    ORGANISATION,
    TEAM,
    ClaimItem,
    ContactItem,
    HolderRef,
    OrganisationItem,
    Record,
    TeamItem,
)

FORMAT = "json"


def text(value: Any, name: str) -> str:
    """A string field; ``null`` is ``""``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadValueError(_("%(field)s must be text.") % {"field": name})


def date(value: Any, name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` field; ``null`` or ``""`` is no date."""
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise BadValueError(
            _("%(field)s must be a date such as 2024-05-31, not %(value)s.")
            % {"field": name, "value": value}
        ) from exc


def boolean(value: Any, name: str) -> bool:
    """A true/false field."""
    if isinstance(value, bool):
        return value
    raise BadValueError(_("%(field)s must be true or false.") % {"field": name})


def text_list(value: Any, name: str) -> list[str]:
    """A list of strings; ``null`` is the empty list."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise BadValueError(_("%(field)s must be a list of texts.") % {"field": name})


def phones(value: Any, name: str) -> list[dict[str, str]]:
    """A list of ``{"number": …, "kind": "emergency"|"voice"}``."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadValueError(_("%(field)s must be a list of phone numbers.") % {"field": name})
    result = []
    for phone in value:
        if not isinstance(phone, dict) or not isinstance(phone.get("number"), str):
            raise BadValueError(
                _('Each of %(field)s must be {"number": …, "kind": …}.') % {"field": name}
            )
        kind = phone.get("kind") or "voice"
        if kind not in ("emergency", "voice"):
            raise BadValueError(
                _("Phone kind %(kind)s is neither emergency nor voice.") % {"kind": kind}
            )
        result.append({"number": phone["number"], "kind": kind})
    return result


def tlp(value: Any, name: str) -> str:
    """A TLP label in any usual spelling (``amber``, ``TLP:AMBER``)."""
    try:
        return str(TLP.from_label(text(value, name)))
    except ValueError as exc:
        raise BadValueError(str(exc)) from exc


Converter = Callable[[Any, str], Any]

TEAM_CONVERTERS: dict[str, Converter] = {
    "name": text,
    "team_type": text,
    "country": text,
    "vetting_level": text,
    "member_since": date,
    "website": text,
    "email": text,
    "phone_24x7": text,
    "timezone": text,
    "business_hours": text,
    "rfc2350": text,
}
ORGANISATION_CONVERTERS: dict[str, Converter] = {
    "name": text,
    "kind": text,
    "country": text,
    "website": text,
    "notes": text,
}
CONTACT_CONVERTERS: dict[str, Converter] = {
    "kind": text,
    "title": text,
    "emails": text_list,
    "phones": phones,
    "languages": text_list,
    "is_24x7": boolean,
    "pgp_key": text,
    "tlp": tlp,
    "distribution": text,
}
CLAIM_CONVERTERS: dict[str, Converter] = {"valid_from": date, "valid_until": date}


def _fields(data: dict[str, Any], converters: dict[str, Converter]) -> dict[str, Any]:
    return {name: convert(data[name], name) for name, convert in converters.items() if name in data}


def _required(data: dict[str, Any], name: str) -> str:
    value = text(data.get(name), name).strip()
    if not value:
        raise BadValueError(_("%(field)s is missing.") % {"field": name})
    return value


def team_item(data: dict[str, Any]) -> TeamItem:
    """A team from its JSON object."""
    return TeamItem(_required(data, "short_name"), _fields(data, TEAM_CONVERTERS))


def organisation_item(data: dict[str, Any]) -> OrganisationItem:
    """An organisation from its JSON object."""
    managed_by = text(data["managed_by"], "managed_by").strip() if "managed_by" in data else None
    return OrganisationItem(
        _required(data, "short_name"),
        _fields(data, ORGANISATION_CONVERTERS),
        managed_by=managed_by or None,
    )


def contact_item(holder: HolderRef, data: dict[str, Any]) -> ContactItem:
    """A contact of ``holder`` from its JSON object."""
    return ContactItem(
        holder,
        _required(data, "name"),
        _fields(data, CONTACT_CONVERTERS),
        sharing_group=(
            text(data["sharing_group"], "sharing_group") if "sharing_group" in data else None
        ),
        recipients=text_list(data["recipients"], "recipients") if "recipients" in data else None,
    )


def claim_item(holder: HolderRef, data: dict[str, Any]) -> ClaimItem:
    """A claim of ``holder`` from its JSON object."""
    return ClaimItem(
        holder,
        _required(data, "kind"),
        _required(data, "value"),
        _fields(data, CLAIM_CONVERTERS),
    )


def _objects(data: dict[str, Any], key: str, name: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise UnusableFileError(_("%(name)s: %(key)s must be a list.") % {"name": name, "key": key})
    return value


def parse(source_text: str, *, name: str) -> Iterator[Record]:
    """The records of a Baobab JSON directory file (raises UnusableFileError if it is not one)."""
    data = load_json(source_text, name=name)
    if not isinstance(data, dict) or not ({"teams", "organisations"} & data.keys()):
        raise UnusableFileError(
            _(
                '%(name)s is not a Baobab directory file (a JSON object with "teams" and '
                '"organisations").'
            )
            % {"name": name}
        )
    if data.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise UnusableFileError(
            _("%(name)s is a %(format)s file, not a Baobab directory file.")
            % {"name": name, "format": data.get("format")}
        )
    version = data.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UnusableFileError(
            _("%(name)s is version %(version)s of the format; this Baobab reads up to %(known)d.")
            % {"name": name, "version": version, "known": FORMAT_VERSION}
        )
    holders = [
        (TEAM, "teams", _objects(data, "teams", name)),
        (ORGANISATION, "organisations", _objects(data, "organisations", name)),
    ]
    nested: list[tuple[Where, HolderRef, dict[str, Any]]] = []
    number = 0
    for kind, key, objects in holders:
        for index, obj in enumerate(objects):
            number += 1
            where = Where("record", number, path=f"{key}[{index}]")
            if not isinstance(obj, dict):
                yield Record(where, refusal=_("This must be a JSON object."))
                continue
            short_name = as_text(obj.get("short_name"))
            where = Where("record", number, short_name, where.path)
            try:
                item = team_item(obj) if kind == TEAM else organisation_item(obj)
            except BadValueError as exc:
                yield Record(where, refusal=str(exc))
                continue
            yield Record(where, [item])
            nested.append((where, HolderRef(kind, short_name), obj))
    numbers = itertools.count(number + 1)
    yield from _nested(nested, "contacts", numbers)
    yield from _nested(nested, "claims", numbers)


def _nested(
    nested: list[tuple[Where, HolderRef, dict[str, Any]]], key: str, numbers: Iterator[int]
) -> Iterator[Record]:
    for parent, holder, obj in nested:
        children = obj.get(key, [])
        if not isinstance(children, list):
            where = Where("record", next(numbers), holder.short_name, f"{parent.path}.{key}")
            yield Record(where, refusal=_("%(key)s must be a list.") % {"key": key})
            continue
        for index, child in enumerate(children):
            path = f"{parent.path}.{key}[{index}]"
            where = Where("record", next(numbers), holder.short_name, path)
            if not isinstance(child, dict):
                yield Record(where, refusal=_("This must be a JSON object."))
                continue
            try:
                item = (
                    contact_item(holder, child) if key == "contacts" else claim_item(holder, child)
                )
            except BadValueError as exc:
                yield Record(where, refusal=str(exc))
                continue
            yield Record(where, [item])
