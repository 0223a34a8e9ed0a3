"""One ShadowServer report type as data: which column becomes which event
field (with an optional conversion), which columns it must have, and the
constant fields of its events.

The shape is the one of ShadowServer's published report schema (the file
IntelMQ consumes), so the built-in reports, an operator's schema file and the
copy stored with a run all read the same way::

    {"feed_name": "Accessible-Telnet", "file_name": "scan_telnet",
     "constant_fields": {"classification.taxonomy": "vulnerable", ...},
     "required_fields": [["source.ip", "ip", "validate_ip"], ...],
     "optional_fields": [["extra.", "banner", "validate_to_none"], ...]}

A rule's field is an event field, ``extra.`` (``extra.<column>``), an
``extra.*`` name, or false/empty to ignore the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from baobab.pipeline.parsers.base import ReportError


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One column to one event field."""

    field: str  # "" ignores the column; "extra." means extra.<column>
    column: str
    conversion: str = ""
    with_row: bool = False  # the conversion also reads other columns

    def as_json(self) -> list[Any]:
        """The rule in the schema's shape: ``[field, column, conversion?, with_row?]``."""
        rule: list[Any] = [self.field or False, self.column]
        if self.conversion:
            rule.append(self.conversion)
            if self.with_row:
                rule.append(True)
        return rule


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """A report type: its name (ShadowServer's file-name part, ``scan_telnet``),
    ShadowServer's feed name, its rules and its constants."""

    name: str
    feed_name: str
    constants: tuple[tuple[str, str], ...]  # (field, value) pairs
    required: tuple[FieldRule, ...]
    optional: tuple[FieldRule, ...] = ()
    key: str = ""  # the entry's key in the schema file, when not the name
    url: str = ""

    @property
    def required_columns(self) -> tuple[str, ...]:
        """The columns a file of this report type must have."""
        return tuple(dict.fromkeys(rule.column for rule in self.required))

    def as_json(self) -> dict[str, Any]:
        """The report in ShadowServer's schema shape (JSON-serialisable)."""
        return {
            "feed_name": self.feed_name,
            "file_name": self.name,
            "constant_fields": dict(self.constants),
            "required_fields": [rule.as_json() for rule in self.required],
            "optional_fields": [rule.as_json() for rule in self.optional],
            "url": self.url,
        }


def spec_from_entry(key: str, entry: Any) -> ReportSpec:
    """A :class:`ReportSpec` from one entry of a schema file; :class:`ReportError`
    says what is wrong with a malformed one."""
    if not isinstance(entry, Mapping):
        raise ReportError(f"ShadowServer schema entry {key!r} is not an object")
    name = _text(entry.get("file_name") or key, key, "file_name")
    constants = entry.get("constant_fields")
    if constants is None:
        constants = {}
    elif not isinstance(constants, Mapping):
        raise ReportError(f"ShadowServer schema entry {key!r}: constant_fields is not an object")
    return ReportSpec(
        name=name.strip().lower(),
        feed_name=_text(entry.get("feed_name") or name, key, "feed_name"),
        constants=tuple((str(field), str(value)) for field, value in constants.items()),
        required=_rules(entry.get("required_fields"), key, "required_fields"),
        optional=_rules(entry.get("optional_fields"), key, "optional_fields"),
        key=key if key != name else "",
        url=str(entry.get("url") or ""),
    )


def _text(value: Any, key: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReportError(f"ShadowServer schema entry {key!r}: {what} is not a name")
    return value


def _rules(value: Any, key: str, what: str) -> tuple[FieldRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ReportError(f"ShadowServer schema entry {key!r}: {what} is not a list")
    return tuple(_rule(item, key, what) for item in value)


def _rule(item: Any, key: str, what: str) -> FieldRule:
    if (
        not isinstance(item, Sequence)
        or isinstance(item, str)
        or not 2 <= len(item) <= 4  # field, column, conversion?, with_row?
        or not isinstance(item[1], str)
        or not (item[0] is False or item[0] is None or isinstance(item[0], str))
        or (len(item) > 2 and not (item[2] is None or isinstance(item[2], str)))
    ):
        raise ReportError(
            f"ShadowServer schema entry {key!r}: {what} has a malformed rule {item!r} "
            "(expected [field, column, conversion?, with_row?])"
        )
    return FieldRule(
        field=item[0] or "",
        column=item[1],
        conversion=(item[2] or "") if len(item) > 2 else "",
        with_row=bool(item[3]) if len(item) > 3 else False,
    )
