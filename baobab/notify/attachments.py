"""The events of a digest as the recipient gets them: a CSV or JSON file to
attach, the rows a template lists, and a fixed-width table for the body.

Only the fields a recipient can use are written (:data:`EVENT_COLUMNS`, those
the events have): never ``raw`` nor Baobab's own ``baobab.*`` fields. Pure:
no Django, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from baobab.notify.event_columns import utc_moments
from baobab.notify.mime import Attachment
from baobab.pipeline.fields import MOMENT_FORMAT

__all__ = [
    "EVENT_COLUMNS",
    "attachment_for",
    "csv_attachment",
    "event_rows",
    "inline_table",
    "json_attachment",
    "printable",
]

# The fields a recipient gets, in this order.
EVENT_COLUMNS: tuple[str, ...] = (
    "time.source",
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "source.ip",
    "source.port",
    "source.network",
    "source.asn",
    "source.as_name",
    "source.geolocation.cc",
    "source.fqdn",
    "source.url",
    "source.reverse_dns",
    "protocol.transport",
    "protocol.application",
    "destination.ip",
    "destination.port",
    "destination.fqdn",
    "malware.name",
    "extra.severity",
    "event_description.text",
    "feed.name",
    "tlp",
)

# The body's table: (heading, the fields it shows, first one set wins, right-aligned).
INLINE_COLUMNS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("time (UTC)", ("time.source",), False),
    ("type", ("classification.type",), False),
    ("ip", ("source.ip",), False),
    ("port", ("source.port",), True),
    ("asn", ("source.asn",), True),
    ("host", ("source.fqdn", "source.reverse_dns"), False),
)
_SHRINKABLE = ("host", "type")  # narrowed, in this order, when the table is too wide
_MIN_WIDTH = 12
_GAP = "  "

# A spreadsheet reads a cell starting with one of these as a formula …
_FORMULA = r"^[=+\-@\t\r]"
# … unless it is a plain number.
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# Line breaks, other control characters and invisible or direction-changing
# marks that could disguise a host name in a message.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_NOT_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _columns(events: pl.DataFrame) -> list[str]:
    return [name for name in EVENT_COLUMNS if name in events.columns]


def _plain(events: pl.DataFrame) -> pl.DataFrame:
    """The recipient's columns with plain values: moments as ISO 8601 UTC
    text, numbers and booleans as they are, the rest as text; empty text,
    NaN and infinities become null."""
    columns = []
    for name in _columns(events):
        values = events.get_column(name)
        dtype = values.dtype
        if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
            values = utc_moments(values).dt.to_string(MOMENT_FORMAT)
        elif dtype.is_float():
            values = values.set(~values.is_finite().fill_null(value=True), None)
        elif dtype != pl.Boolean and not dtype.is_numeric():
            if dtype not in (pl.String, pl.Null):
                values = values.map_elements(str, return_dtype=pl.String, skip_nulls=True)
            values = values.cast(pl.String)
            values = values.set(values == "", None)
        columns.append(values.alias(name))
    return pl.DataFrame(columns)


def plain_events(events: pl.DataFrame) -> pl.DataFrame:
    """The recipient's columns of a whole batch with plain values, made once:
    the functions below take slices of it with ``plain=True`` (making it for
    each digest cost more than the rest of a message)."""
    return _plain(events)


def _file_name(reference: str, extension: str) -> str:
    safe = _NOT_IN_FILE_NAME.sub("-", reference).strip(".-") or "events"
    return f"baobab-{safe}.{extension}"


def csv_attachment(events: pl.DataFrame, *, reference: str, plain: bool = False) -> Attachment:
    """The events as a UTF-8 CSV file with a header row.

    Text a spreadsheet would run as a formula gets a leading apostrophe;
    numbers (``-1`` too) stay numbers."""
    frame = events if plain else _plain(events)
    frame = frame.with_columns(
        pl.when(pl.col(name).str.contains(_FORMULA) & ~pl.col(name).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
    text = frame.write_csv(line_terminator="\r\n")
    return Attachment(_file_name(reference, "csv"), text.encode(), "text/csv")


def _records(events: pl.DataFrame, plain: bool = False) -> list[dict[str, Any]]:
    """The events as objects in :data:`EVENT_COLUMNS` order, without nulls."""
    frame = events if plain else _plain(events)
    if not frame.width:
        return [{} for _ in range(events.height)]
    return [
        {name: value for name, value in row.items() if value is not None}
        for row in frame.iter_rows(named=True)
    ]


def json_attachment(events: pl.DataFrame, *, reference: str, plain: bool = False) -> Attachment:
    """The events as a JSON list of objects, one a line; fields without a
    value are left out."""
    lines = [json.dumps(record, ensure_ascii=False) for record in _records(events, plain)]
    text = "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"
    return Attachment(_file_name(reference, "json"), text.encode(), "application/json")


def attachment_for(
    format: str, events: pl.DataFrame, *, reference: str, plain: bool = False
) -> Attachment | None:
    """The file a policy's ``format`` asks for (None for ``inline``)."""
    if format == "csv":
        return csv_attachment(events, reference=reference, plain=plain)
    if format == "json":
        return json_attachment(events, reference=reference, plain=plain)
    if format == "inline":
        return None
    raise ValueError(f"unknown attachment format {format!r}")


def printable(text: str) -> str:
    """``text`` on one line, without hidden characters (each becomes a space
    or U+FFFD), to show it safely in a plain-text message."""
    return _HIDDEN.sub(lambda found: " " if found[0] in "\t\n\r" else "\ufffd", text)


def event_rows(events: pl.DataFrame, *, plain: bool = False) -> list[dict[str, Any]]:
    """The events for a template: every field of :data:`EVENT_COLUMNS`, the
    dots of its name made underscores (``source_ip``); ``""`` when unset."""
    blank: dict[str, Any] = {name.replace(".", "_"): "" for name in EVENT_COLUMNS}
    rows = []
    for record in _records(events, plain):
        row = dict(blank)
        for name, value in record.items():
            row[name.replace(".", "_")] = printable(value) if isinstance(value, str) else value
        rows.append(row)
    return rows


def _cell(value: Any) -> str:
    return "" if value is None else printable(str(value))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table_column(events: pl.DataFrame, plain: pl.DataFrame, fields: tuple[str, ...]) -> list[str]:
    """The cells of one column of the body's table ([] when no event has the fields)."""
    present = [name for name in fields if name in plain.columns]
    if not present:
        return []
    if present == ["time.source"]:
        moments = utc_moments(events.get_column("time.source"))
        column = moments.dt.to_string("%Y-%m-%d %H:%M:%S")
    else:
        column = plain.select(pl.coalesce(present)).to_series()
    return [_cell(value) for value in column]


def inline_table(events: pl.DataFrame, *, width: int = 100, plain: bool = False) -> str:
    """A plain-text table of the events for the message body: time, type,
    address, port, AS and host, aligned; columns no event fills are left
    out and long types and host names are cut to fit ``width``."""
    values_of = events if plain else _plain(events)
    headings: list[str] = []
    cells: list[list[str]] = []
    right: list[bool] = []
    for heading, fields, align_right in INLINE_COLUMNS:
        values = _table_column(events, values_of, fields)
        if any(values):
            headings.append(heading)
            cells.append(values)
            right.append(align_right)
    if not headings:
        return ""
    pairs = zip(headings, cells, strict=True)
    widths = [max(len(heading), *map(len, values)) for heading, values in pairs]
    for name in _SHRINKABLE:
        over = sum(widths) + len(_GAP) * (len(widths) - 1) - width
        if over > 0 and name in headings:
            at = headings.index(name)
            widths[at] = max(_MIN_WIDTH, len(name), widths[at] - over)

    def line(texts: list[str]) -> str:
        parts = [
            _clip(text, size).rjust(size) if align else _clip(text, size).ljust(size)
            for text, size, align in zip(texts, widths, right, strict=True)
        ]
        return _GAP.join(parts).rstrip()

    lines = [line(headings), line(["-" * size for size in widths])]
    lines += [line(list(row)) for row in zip(*cells, strict=True)]
    return "\n".join(lines) + "\n"
