"""A chunk's events as rows of the event table, built without touching the
database: in process, a second thread prepares chunk N+1 while the first
writes chunk N (see :func:`baobab.pipeline.runner.process_here`).

Rows come in batches of at most ``STORE_BATCH`` (memory stays bounded,
whatever the chunk). On SQLite each batch holds one responsible team's events,
so that what an insert adds is what that team gets; on PostgreSQL a batch
mixes teams and carries their names in ``TEAM_KEY``."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.utils import timezone

from baobab.pipeline import fields as f
from baobab.pipeline.event_record import (
    COLUMN_OF_FIELD,
    IN_COLUMNS,
    INT_COLUMNS,
    MOMENT_COLUMNS,
    TEXT_COLUMNS,
)
from baobab.pipeline.models import Feed, FeedRun

# Rows sent to the database at a time.
STORE_BATCH = 10_000
# Rows of a chunk turned into Python tuples ahead of the write (SQLite); a
# larger chunk (a whole JSON report) is turned batch by batch as it is written.
ROWS_AHEAD = 100_000
# The responsible team's short name ("" when unrouted), kept beside the rows.
TEAM_KEY = "baobab.store.team"
INSERT_COLUMNS = (
    *COLUMN_OF_FIELD,
    "source_ip_key",
    "feed_id",
    "run_id",
    "owner_team_id",
    "tlp",
    "distribution",
    "data",
    "created_at",
)
# Columns holding references to rows that may be deleted meanwhile.
REFERENCE_COLUMNS = ("team_id", "organisation_id", "claim_id")
_IPV4_MAPPED = b"\x00" * 10 + b"\xff\xff"


def ip_key(address: str | None) -> bytes | None:
    """16 bytes that sort like the address (IPv4 mapped into IPv6)."""
    if address is None:
        return None
    if ":" in address:
        return socket.inet_pton(socket.AF_INET6, address)
    return _IPV4_MAPPED + socket.inet_pton(socket.AF_INET, address)


def sql_literal(value: Any) -> str | None:
    """``value`` written as an SQL literal, or None when it must be bound. The
    statement goes through Django's cursor, which reads ``%s`` as a parameter
    and ``%%`` as ``%``: a percent sign is doubled."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and "\x00" not in value and len(value) <= 200:
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    return None


@dataclass(slots=True)
class EventRows:
    """One batch: its table (``INSERT_COLUMNS`` and ``TEAM_KEY``), the team
    (SQLite), and the row tuples when they were made ahead.

    For SQLite, a column with the same value in every row (the feed, the run,
    the TLP, the team, often the classification…) goes into the statement as a
    literal: binding 32 values per row was a third of the insert's time."""

    team: str
    table: pl.DataFrame
    rows: list[tuple[Any, ...]] | None = None
    constants: dict[str, str] | None = None
    csv: str | None = None

    def copy_text(self) -> str:
        """PostgreSQL: the rows as ``COPY … (FORMAT csv)`` reads them (quoted
        text, bare numbers, nothing for NULL, bytes as ``\\x`` hex)."""
        if self.csv is None:
            self.csv = (
                self.table.select(INSERT_COLUMNS)
                .with_columns(
                    pl.concat_str(pl.lit("\\x"), pl.col("source_ip_key").bin.encode("hex")).alias(
                        "source_ip_key"
                    )
                )
                .write_csv(include_header=False, quote_style="non_numeric", null_value="")
            )
        return self.csv

    def split_constants(self) -> None:
        """Find the columns with one value (written as literals) and make the
        rows of the others."""
        constants: dict[str, str] = {}
        if self.table.height > 1:
            counts = self.table.select(pl.col(INSERT_COLUMNS).n_unique()).row(0)
            for column, count in zip(INSERT_COLUMNS, counts, strict=True):
                if count == 1:
                    literal = sql_literal(self.table.get_column(column)[0])
                    if literal is not None:
                        constants[column] = literal
        self.constants = constants
        self.rows = self.table.select(self.bound_columns()).rows()

    def bound_columns(self) -> list[str]:
        constants = self.constants or {}
        return [column for column in INSERT_COLUMNS if column not in constants]

    def insert_rows(self) -> list[tuple[Any, ...]]:
        """The rows as the SQLite driver takes them (the bound columns)."""
        if self.rows is None:
            self.split_constants()
        assert self.rows is not None
        return self.rows


@dataclass(slots=True)
class PreparedEvents:
    """A chunk's events, ready to write: ``total`` counts them before the
    duplicates within the chunk were dropped."""

    total: int
    batches: list[EventRows]


def _columns(events: pl.DataFrame, sqlite: bool, now: dt.datetime) -> list[pl.Expr]:
    """The columns filled from fields: text never null, moments as SQLite keeps them."""
    present = set(events.columns)
    observed_now = now.strftime("%Y-%m-%d %H:%M:%S") if sqlite else now.isoformat()
    columns: list[pl.Expr] = []
    for column, field_name in COLUMN_OF_FIELD.items():
        dtype = pl.Int64 if column in INT_COLUMNS else pl.Utf8
        value = pl.col(field_name).cast(dtype) if field_name in present else pl.lit(None, dtype)
        if column in TEXT_COLUMNS:
            value = value.fill_null("")
        elif column in MOMENT_COLUMNS and sqlite:
            # Django keeps SQLite datetimes as naive UTC text.
            value = value.str.slice(0, 19).str.replace("T", " ", literal=True)
        if column == "time_observation":
            value = value.fill_null(pl.lit(observed_now))
        columns.append(value.alias(column))
    return columns


def _address_keys(events: pl.DataFrame) -> pl.Series:
    addresses = (
        events.get_column("source.ip").cast(pl.Utf8)
        if "source.ip" in events.columns
        else pl.Series([None] * events.height, dtype=pl.Utf8)
    )
    distinct = addresses.drop_nulls().unique().to_list()
    return addresses.replace_strict(
        distinct, [ip_key(address) for address in distinct], default=None, return_dtype=pl.Binary
    )


def _member(name: str) -> pl.Expr:
    """``"name": value`` as JSON, null when the value is."""
    encoded = pl.struct(name).struct.json_encode()  # {"name":value}
    return (
        pl.when(pl.col(name).is_not_null())
        .then(encoded.str.strip_prefix("{").str.strip_suffix("}"))
        .otherwise(None)
    )


def _data(events: pl.DataFrame) -> pl.Series:
    """``data``: the fields no column holds, as a JSON object of those with a
    value (see :mod:`baobab.pipeline.event_record`)."""
    kept = [
        name
        for name in events.columns
        if name not in IN_COLUMNS and events.get_column(name).null_count() < events.height
    ]
    if not kept:
        return pl.Series(["{}"] * events.height, dtype=pl.Utf8)
    members = pl.concat_str([_member(name) for name in kept], separator=",", ignore_nulls=True)
    return events.select(pl.concat_str(pl.lit("{"), members, pl.lit("}"))).to_series()


def event_table(
    events: pl.DataFrame, feed: Feed, run: FeedRun | None, *, sqlite: bool
) -> pl.DataFrame:
    """The rows to insert as the database takes them (``INSERT_COLUMNS``)."""
    now = timezone.now()
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now.isoformat()
    return (
        events.select(_columns(events, sqlite, now))
        .with_columns(
            _address_keys(events).alias("source_ip_key"),
            pl.lit(feed.pk, pl.Int64).alias("feed_id"),
            pl.lit(run.pk if run else None, pl.Int64).alias("run_id"),
            pl.lit(feed.owner_team_id, pl.Int64).alias("owner_team_id"),
            pl.lit(feed.tlp, pl.Utf8).alias("tlp"),
            pl.lit("team", pl.Utf8).alias("distribution"),
            _data(events).alias("data"),
            pl.lit(created, pl.Utf8).alias("created_at"),
        )
        .select(INSERT_COLUMNS)
    )


def _team_names(events: pl.DataFrame) -> pl.Series:
    if f.TEAM in events.columns:
        return events.get_column(f.TEAM).cast(pl.Utf8).fill_null("").alias(TEAM_KEY)
    return pl.Series(TEAM_KEY, [""] * events.height, dtype=pl.Utf8)


def _slices(frame: pl.DataFrame) -> list[pl.DataFrame]:
    return [frame.slice(start, STORE_BATCH) for start in range(0, frame.height, STORE_BATCH)]


def prepare_events(
    events: pl.DataFrame, feed: Feed, run: FeedRun | None, *, vendor: str
) -> PreparedEvents:
    """``events`` (a processed chunk) as batches of rows for ``vendor``'s
    database, duplicates within the chunk dropped. Touches no database."""
    total = events.height
    if not total:
        return PreparedEvents(0, [])
    events = events.unique(subset=[f.DEDUP_KEY], keep="first", maintain_order=True)
    sqlite = vendor == "sqlite"
    table = event_table(events, feed, run, sqlite=sqlite).with_columns(_team_names(events))
    if sqlite:
        groups = [
            (str(team), group)
            for (team,), group in table.partition_by(TEAM_KEY, as_dict=True).items()
        ]
    else:
        groups = [("", table)]
    batches = [EventRows(team, part) for team, group in groups for part in _slices(group)]
    if events.height <= ROWS_AHEAD:
        for batch in batches:
            if sqlite:
                batch.split_constants()
            else:
                batch.copy_text()
    return PreparedEvents(total, batches)


def without_references(batch: EventRows, gone: dict[str, set[int]]) -> EventRows:
    """``batch`` with the references in ``gone`` (deleted meanwhile) emptied."""
    table = batch.table
    changed = False
    for column, ids in gone.items():
        if ids and table.get_column(column).is_in(list(ids)).any():
            table = table.with_columns(
                pl.when(pl.col(column).is_in(list(ids)))
                .then(None)
                .otherwise(pl.col(column))
                .alias(column)
            )
            changed = True
    return EventRows(batch.team, table) if changed else batch
