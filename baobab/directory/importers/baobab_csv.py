"""Baobab's own CSV directory format, exactly as :mod:`baobab.directory.export` writes it.

One row per team, organisation, contact or claim (the ``record`` column),
with the header of :data:`~baobab.directory.export.CSV_COLUMNS` (any order;
``record``, ``holder``, ``short_name``, ``name``, ``type`` and ``value`` are
required, an unknown column makes the file unusable). Each row is its own
record, reported by the line it starts on; rows are written in file order,
so a contact must come after its team (as in an export).

A cell that is present sets its field, an empty cell included — except the
choice columns (``type``, ``vetting_level``, ``tlp``, ``distribution``,
``is_24x7``), where an empty cell leaves the field alone. ``pgp_fingerprint``
and ``source``/``source_detail`` are for reading only. Rows are turned into
the JSON shape and built by :mod:`baobab.directory.importers.baobab_json`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from baobab.directory.export import CSV_COLUMNS, LIST_SEPARATOR, unprotect_cell
from baobab.directory.importers.baobab_json import (
    claim_item,
    contact_item,
    organisation_item,
    team_item,
)
from baobab.directory.importers.common import BadValueError, UnusableFileError, Where
from baobab.directory.importers.records import ORGANISATION, TEAM, HolderRef, Item, Record

FORMAT = "csv"
REQUIRED_COLUMNS = frozenset({"record", "holder", "short_name", "name", "type", "value"})
_CHOICE_COLUMNS = frozenset({"type", "vetting_level", "tlp", "distribution", "is_24x7"})
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

# CSV column → JSON key, for each kind of record (columns not listed are ignored).
TEAM_COLUMNS = {
    "short_name": "short_name",
    "name": "name",
    "type": "team_type",
    "country": "country",
    "vetting_level": "vetting_level",
    "member_since": "member_since",
    "website": "website",
    "email": "email",
    "phone_24x7": "phone_24x7",
    "timezone": "timezone",
    "business_hours": "business_hours",
    "description": "rfc2350",
}
ORGANISATION_COLUMNS = {
    "short_name": "short_name",
    "name": "name",
    "type": "kind",
    "country": "country",
    "website": "website",
    "managed_by": "managed_by",
    "description": "notes",
}
CONTACT_COLUMNS = {
    "name": "name",
    "type": "kind",
    "title": "title",
    "emails": "emails",
    "phones": "phones",
    "languages": "languages",
    "is_24x7": "is_24x7",
    "pgp_key": "pgp_key",
    "tlp": "tlp",
    "distribution": "distribution",
    "sharing_group": "sharing_group",
    "recipients": "recipients",
}
CLAIM_COLUMNS = {
    "type": "kind",
    "value": "value",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
}


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _phones(cell: str) -> list[dict[str, str]]:
    result = []
    for part in _split(cell):
        kind, sep, number = part.partition(":")
        if not sep:
            kind, number = "voice", part
        result.append({"kind": kind.strip(), "number": number.strip()})
    return result


def _boolean(cell: str) -> bool:
    value = cell.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadValueError(_("is_24x7 must be true or false, not %(value)s.") % {"value": cell})


def _json_shape(values: dict[str, str], columns: dict[str, str]) -> dict[str, Any]:
    """The row's cells for this kind of record, under their JSON keys and types."""
    data: dict[str, Any] = {}
    for column, key in columns.items():
        if column not in values:
            continue
        cell = values[column]
        if column in _CHOICE_COLUMNS and not cell.strip():
            continue
        if key in ("emails", "languages", "recipients"):
            data[key] = _split(cell)
        elif key == "phones":
            data[key] = _phones(cell)
        elif key == "is_24x7":
            data[key] = _boolean(cell)
        elif key in ("short_name", "managed_by", "sharing_group"):
            data[key] = cell.strip()
        else:
            data[key] = cell
    return data


def _holder(cell: str) -> HolderRef:
    kind, sep, short_name = cell.strip().partition(":")
    if not sep or kind not in (TEAM, ORGANISATION) or not short_name.strip():
        raise BadValueError(
            _("holder must be team:SHORT-NAME or organisation:SHORT-NAME, not %(value)s.")
            % {"value": cell}
        )
    return HolderRef(kind, short_name.strip())


def row_record(values: dict[str, str], line: int) -> Record:
    """One CSV row (cells keyed by column) as a record."""
    kind = values.get("record", "").strip().lower()
    label = values.get("short_name", "").strip() or values.get("holder", "").strip()
    where = Where("line", line, label)
    item: Item
    try:
        if kind == TEAM:
            item = team_item(_json_shape(values, TEAM_COLUMNS))
        elif kind == ORGANISATION:
            item = organisation_item(_json_shape(values, ORGANISATION_COLUMNS))
        elif kind == "contact":
            item = contact_item(_holder(values["holder"]), _json_shape(values, CONTACT_COLUMNS))
        elif kind == "claim":
            item = claim_item(_holder(values["holder"]), _json_shape(values, CLAIM_COLUMNS))
        else:
            return Record(
                where,
                refusal=_("record must be team, organisation, contact or claim, not %(value)s.")
                % {"value": values.get("record", "")},
            )
    except BadValueError as exc:
        return Record(where, refusal=str(exc))
    return Record(where, [item])


def _header(reader: Any, name: str) -> list[str]:
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration as exc:
        raise UnusableFileError(_("%(name)s is empty.") % {"name": name}) from exc
    except csv.Error as exc:
        raise UnusableFileError(
            _("%(name)s line 1: %(error)s") % {"name": name, "error": exc}
        ) from exc
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if unknown or missing or len(set(header)) != len(header):
        raise UnusableFileError(
            _(
                "%(name)s does not have Baobab's directory columns (unknown: %(unknown)s; "
                "missing: %(missing)s). Its first line must name columns among: %(columns)s."
            )
            % {
                "name": name,
                "unknown": ", ".join(unknown) or "-",
                "missing": ", ".join(missing) or "-",
                "columns": ", ".join(CSV_COLUMNS),
            }
        )
    return header


def parse(text: str, *, name: str) -> Iterator[Record]:
    """The records of a Baobab CSV directory file (UnusableFileError if its header is wrong)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = _header(reader, name)
    end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnusableFileError(
                _("%(name)s line %(line)d: %(error)s")
                % {"name": name, "line": end + 1, "error": exc}
            ) from exc
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield Record(
                Where("line", start),
                refusal=_("This line has %(count)d fields; the header has %(expected)d.")
                % {"count": len(row), "expected": len(header)},
            )
            continue
        yield row_record(
            {column: unprotect_cell(cell) for column, cell in zip(header, row, strict=True)},
            start,
        )
