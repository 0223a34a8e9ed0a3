"""Writing a processed chunk: its events in bulk (``COPY`` on PostgreSQL,
``executemany`` on SQLite, a slice of ``STORE_BATCH`` rows at a time so that
memory does not grow with the chunk), its quarantined records, the chunk's
``done`` mark and the run's counters — all in one transaction, so a worker
killed half-way leaves nothing behind and the chunk is simply processed
again. Duplicates are skipped by the database's unique key."""

from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from baobab.core.models import Team
from baobab.directory.models import ConstituencyClaim, Organisation
from baobab.pipeline import fields as f
from baobab.pipeline.choices import ChunkStatus, RunStatus
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord, RunChunk
from baobab.pipeline.parsers.base import Rejected

# Event columns filled straight from a field of the frame.
COLUMN_OF_FIELD = {
    "dedup_key": f.DEDUP_KEY,
    "time_source": "time.source",
    "time_observation": "time.observation",
    "source_ip": "source.ip",
    "source_port": "source.port",
    "source_asn": "source.asn",
    "source_cc": "source.geolocation.cc",
    "source_fqdn": "source.fqdn",
    "source_url": "source.url",
    "destination_ip": "destination.ip",
    "destination_port": "destination.port",
    "classification_taxonomy": "classification.taxonomy",
    "classification_type": "classification.type",
    "classification_identifier": "classification.identifier",
    "protocol_transport": "protocol.transport",
    "protocol_application": "protocol.application",
    "malware_name": "malware.name",
    "team_id": f.TEAM_ID,
    "organisation_id": f.ORGANISATION_ID,
    "claim_id": f.CLAIM_ID,
    "route_step": f.ROUTE_STEP,
}
# Text columns that are NOT NULL in the database (empty string instead).
_TEXT_COLUMNS = frozenset(
    {
        "source_cc",
        "source_fqdn",
        "source_url",
        "classification_taxonomy",
        "classification_type",
        "classification_identifier",
        "protocol_transport",
        "protocol_application",
        "malware_name",
        "route_step",
    }
)
_MOMENTS = ("time_source", "time_observation")
_INT_COLUMNS = frozenset(
    {"source_port", "source_asn", "destination_port", "team_id", "organisation_id", "claim_id"}
)
# Rows sent to the database at a time (memory stays bounded, whatever the chunk).
STORE_BATCH = 10_000
# Dedup keys looked up per query (SQLite allows 32766 parameters, older builds 999).
_KEYS_PER_QUERY = 900
_IPV4_MAPPED = b"\x00" * 10 + b"\xff\xff"
SQLITE_CACHE_KIB = 65_536
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


@dataclass(slots=True)
class StoredCounts:
    """What one chunk added to its run."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    unrouted: int = 0
    per_team: Counter[str] | None = None
    skipped: bool = False  # the chunk was already done (processed by another worker)


def ip_key(address: str | None) -> bytes | None:
    """16 bytes that sort like the address (IPv4 mapped into IPv6)."""
    if address is None:
        return None
    if ":" in address:
        return socket.inet_pton(socket.AF_INET6, address)
    return _IPV4_MAPPED + socket.inet_pton(socket.AF_INET, address)


def _existing(model: Any, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _drop_vanished_references(events: pl.DataFrame) -> pl.DataFrame:
    """Routing used the in-memory index: a team, organisation or claim deleted
    since then must not be referenced (the row would fail its foreign key)."""
    for name, model in (
        (f.TEAM_ID, Team),
        (f.ORGANISATION_ID, Organisation),
        (f.CLAIM_ID, ConstituencyClaim),
    ):
        if name not in events.columns:
            continue
        wanted = {int(value) for value in events[name].drop_nulls().unique().to_list()}
        gone = wanted - _existing(model, wanted)
        if gone:
            events = events.with_columns(
                pl.when(pl.col(name).is_in(list(gone)))
                .then(None)
                .otherwise(pl.col(name))
                .alias(name)
            )
    return events


def _table(events: pl.DataFrame, feed: Feed, run: FeedRun | None) -> pl.DataFrame:
    """The rows to insert as the database takes them (``INSERT_COLUMNS``),
    built column by column: text columns never null, moments as SQLite keeps
    them, the sortable address key, the whole event as JSON."""
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    present = set(events.columns)
    observed_now = now.strftime("%Y-%m-%d %H:%M:%S") if sqlite else now.isoformat()
    columns: list[pl.Expr] = []
    for column, field_name in COLUMN_OF_FIELD.items():
        dtype = pl.Int64 if column in _INT_COLUMNS else pl.Utf8
        value = pl.col(field_name).cast(dtype) if field_name in present else pl.lit(None, dtype)
        if column in _TEXT_COLUMNS:
            value = value.fill_null("")
        elif column in _MOMENTS and sqlite:
            # Django keeps SQLite datetimes as naive UTC text.
            value = value.str.slice(0, 19).str.replace("T", " ", literal=True)
        if column == "time_observation":
            value = value.fill_null(pl.lit(observed_now))
        columns.append(value.alias(column))
    addresses = (
        events.get_column("source.ip").cast(pl.Utf8)
        if "source.ip" in present
        else pl.Series([None] * events.height, dtype=pl.Utf8)
    )
    distinct = addresses.drop_nulls().unique().to_list()
    keys = addresses.replace_strict(
        distinct, [ip_key(address) for address in distinct], default=None, return_dtype=pl.Binary
    )
    data = events.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now.isoformat()
    return (
        events.select(columns)
        .with_columns(
            keys.alias("source_ip_key"),
            pl.lit(feed.pk, pl.Int64).alias("feed_id"),
            pl.lit(run.pk if run else None, pl.Int64).alias("run_id"),
            pl.lit(feed.owner_team_id, pl.Int64).alias("owner_team_id"),
            pl.lit(feed.tlp, pl.Utf8).alias("tlp"),
            pl.lit("team", pl.Utf8).alias("distribution"),
            data.alias("data"),
            pl.lit(created, pl.Utf8).alias("created_at"),
        )
        .select(INSERT_COLUMNS)
    )


def _stored_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` are stored already (so counts per team are of new events)."""
    table = Event._meta.db_table
    found: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT dedup_key FROM {table} WHERE dedup_key = ANY(%s)",  # noqa: S608
                [keys],
            )
            return {key for (key,) in cursor.fetchall()}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            batch = keys[start : start + _KEYS_PER_QUERY]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"SELECT dedup_key FROM {table} WHERE dedup_key IN ({marks})",  # noqa: S608
                batch,
            )
            found.update(key for (key,) in cursor.fetchall())
    return found


def _insert_events(table: pl.DataFrame) -> int:
    """Insert the rows of ``table`` (see :func:`_table`); those whose key is
    already stored are skipped. Returns how many were new."""
    if not table.height:
        return 0
    if connection.vendor == "postgresql":
        return _copy_events(table)
    name = Event._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    with connection.cursor() as cursor:
        # A larger page cache than SQLite's 2 MB default: each event updates a
        # dozen index B-trees (a third less time per event with 64 MB).
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        placeholders = ", ".join(["%s"] * len(INSERT_COLUMNS))
        before = connection.connection.total_changes
        cursor.executemany(
            f"INSERT INTO {name} ({names}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT (dedup_key) DO NOTHING",
            table.rows(),
        )
        return int(connection.connection.total_changes - before)


def _copy_events(table: pl.DataFrame) -> int:
    """PostgreSQL: ``COPY`` the rows (as CSV written by polars: quoted text,
    bare numbers, nothing for NULL) straight into the table. The keys already
    stored were left out before, so a clash means another worker stored the
    same event meanwhile: then, back at a savepoint, the rows go through a
    temporary table and ``INSERT … ON CONFLICT DO NOTHING``."""
    from psycopg.errors import UniqueViolation  # noqa: PLC0415 - PostgreSQL only

    name = Event._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    text = table.with_columns(
        pl.concat_str(pl.lit("\\x"), pl.col("source_ip_key").bin.encode("hex")).alias(
            "source_ip_key"
        )
    ).write_csv(include_header=False, quote_style="non_numeric", null_value="")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(text)
            return table.height
    except UniqueViolation:
        pass
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE baobab_event_in ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {name} WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY baobab_event_in ({names}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            copy.write(text)
        cursor.execute(
            f"INSERT INTO {name} ({names}) SELECT {names} FROM baobab_event_in "  # noqa: S608
            f"ON CONFLICT (dedup_key) DO NOTHING"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("DROP TABLE baobab_event_in")
    return inserted


def _quarantine(
    feed: Feed, run: FeedRun | None, chunk: RunChunk | None, rejected: list[Rejected]
) -> int:
    records = [
        QuarantinedRecord(
            feed=feed,
            run=run,
            chunk_index=chunk.index if chunk is not None else None,
            line=item.line,
            raw=item.raw,
            reason=item.reason[:2000],
            field=item.field[:100],
        )
        for item in rejected
    ]
    QuarantinedRecord.objects.bulk_create(records, batch_size=1000, ignore_conflicts=True)
    return len(records)


def store_chunk(
    chunk: RunChunk, events: pl.DataFrame, rejected: list[Rejected], read: int
) -> StoredCounts:
    """Write a processed chunk and mark it done, in one transaction. A chunk
    already done (by another worker) is left alone."""
    run = chunk.run
    feed = run.feed
    with transaction.atomic():
        claimed = RunChunk.objects.filter(pk=chunk.pk, status=ChunkStatus.PENDING).update(
            status=ChunkStatus.DONE, finished_at=timezone.now()
        )
        if not claimed:
            return StoredCounts(skipped=True)
        counts = write_events(feed, run, chunk, events, rejected, read=read)
        _add_to_run(run.pk, counts)
    return counts


def write_events(
    feed: Feed,
    run: FeedRun | None,
    chunk: RunChunk | None,
    events: pl.DataFrame,
    rejected: list[Rejected],
    *,
    read: int,
) -> StoredCounts:
    """Store events and quarantined records (inside the caller's transaction)."""
    total = events.height
    if total:
        events = events.unique(subset=[f.DEDUP_KEY], keep="first", maintain_order=True)
        known = _stored_keys(events[f.DEDUP_KEY].to_list())
        if known:
            events = events.filter(~pl.col(f.DEDUP_KEY).is_in(list(known)))
    events = _drop_vanished_references(events)
    stored = sum(
        _insert_events(_table(events.slice(start, STORE_BATCH), feed, run))
        for start in range(0, events.height, STORE_BATCH)
    )
    per_team: Counter[str] = Counter()
    unrouted = 0
    if events.height:
        if f.TEAM in events.columns:
            teams = events[f.TEAM].to_list()
            per_team.update(team for team in teams if team)
            unrouted = sum(1 for team in teams if not team)
        else:
            unrouted = events.height
    return StoredCounts(
        read=read,
        stored=stored,
        duplicates=total - stored,
        quarantined=_quarantine(feed, run, chunk, rejected),
        unrouted=unrouted,
        per_team=per_team,
    )


def _add_to_run(run_id: int, counts: StoredCounts) -> None:
    run = FeedRun.objects.select_for_update().get(pk=run_id)
    run.parsed += counts.read
    run.stored += counts.stored
    run.duplicates += counts.duplicates
    run.quarantined += counts.quarantined
    run.unrouted += counts.unrouted
    for team, count in (counts.per_team or Counter()).items():
        run.per_team[team] = run.per_team.get(team, 0) + count
    if not run.chunks.filter(status=ChunkStatus.PENDING).exists():
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        if run.started_at is not None:
            run.duration_seconds = (run.finished_at - run.started_at).total_seconds()
    run.save()
