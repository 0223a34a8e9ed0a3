"""Writing a processed chunk: its events in bulk (``COPY`` on PostgreSQL,
``executemany`` on SQLite, a batch of rows at a time, see
:mod:`baobab.pipeline.event_rows`), its quarantined records, the chunk's
``done`` mark and the run's counters — all in one transaction, so a worker
killed half-way leaves nothing behind and the chunk is simply processed
again. Duplicates are skipped by the database's unique key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from baobab.core.models import Team
from baobab.directory.models import ConstituencyClaim, Organisation
from baobab.pipeline.choices import ChunkStatus, RunStatus
from baobab.pipeline.event_rows import (
    INSERT_COLUMNS,
    TEAM_KEY,
    EventRows,
    PreparedEvents,
    prepare_events,
    without_references,
)
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord, RunChunk
from baobab.pipeline.parsers.base import Rejected

SQLITE_CACHE_KIB = 262_144


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


def _existing(model: Any, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def _vanished(batches: list[EventRows]) -> dict[str, set[int]]:
    """Routing used the in-memory index: the teams, organisations and claims
    the batches reference that were deleted since (a row referencing one would
    point at nothing)."""
    gone: dict[str, set[int]] = {}
    for column, model in (
        ("team_id", Team),
        ("organisation_id", Organisation),
        ("claim_id", ConstituencyClaim),
    ):
        wanted: set[int] = set()
        for batch in batches:
            wanted.update(batch.table.get_column(column).drop_nulls().unique().to_list())
        gone[column] = wanted - _existing(model, wanted)
    return gone


def _insert_sqlite(batch: EventRows) -> int:
    """Insert a batch's rows; those whose key is already stored are skipped
    (``ON CONFLICT``). Returns how many were new."""
    rows = batch.insert_rows()
    constants = batch.constants or {}
    name = Event._meta.db_table
    names = ", ".join(connection.ops.quote_name(column) for column in INSERT_COLUMNS)
    values = ", ".join(constants.get(column, "%s") for column in INSERT_COLUMNS)
    with connection.cursor() as cursor:
        before = connection.connection.total_changes
        cursor.executemany(
            f"INSERT INTO {name} ({names}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT (dedup_key) DO NOTHING",
            rows,
        )
        return int(connection.connection.total_changes - before)


@contextmanager
def _sqlite_bulk_mode() -> Iterator[None]:
    """Around a chunk's inserts on SQLite: a larger page cache than the 2 MB
    default (each event updates a dozen index B-trees), and no check
    constraints — the rows are ours (data is JSON polars wrote, ports are
    ports), checking them again costs each insert."""
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def _insert_postgresql(batch: EventRows) -> Counter[str]:
    """``COPY`` the batch; the new events per team."""
    table = batch.table
    inserted = _copy_events(batch)
    if inserted is not None:  # some were stored already
        table = table.filter(pl.col("dedup_key").is_in(list(inserted)))
    return Counter(dict(table.get_column(TEAM_KEY).value_counts().iter_rows()))


def insert_events(prepared: PreparedEvents) -> Counter[str]:
    """Insert a chunk's rows (inside the caller's transaction): how many were
    new per responsible team's short name ("" for unrouted)."""
    gone = _vanished(prepared.batches)
    batches = [without_references(batch, gone) for batch in prepared.batches]
    added: Counter[str] = Counter()
    if connection.vendor == "postgresql":
        for batch in batches:
            added.update(_insert_postgresql(batch))
        return +added
    with _sqlite_bulk_mode():
        for batch in batches:
            added[batch.team] += _insert_sqlite(batch)
    return +added


def _copy_events(batch: EventRows) -> set[str] | None:
    """PostgreSQL: ``COPY`` the rows straight into the table, at a savepoint.
    Most events are new; when some were stored already (a report ingested
    again, another worker) the copy fails on the unique key, and the rows go
    through a temporary table and ``INSERT … ON CONFLICT DO NOTHING``. Returns
    None when every row went in, else the keys of those that did."""
    from psycopg.errors import UniqueViolation  # noqa: PLC0415 - PostgreSQL only

    name = Event._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    text = batch.copy_text()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {name} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(text)
            return None
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
            f"ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key"
        )
        inserted = {key for (key,) in cursor.fetchall()}
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
    chunk: RunChunk,
    events: pl.DataFrame | PreparedEvents,
    rejected: list[Rejected],
    read: int,
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
    events: pl.DataFrame | PreparedEvents,
    rejected: list[Rejected],
    *,
    read: int,
) -> StoredCounts:
    """Store events (a processed chunk, or its rows prepared beforehand) and
    quarantined records, inside the caller's transaction."""
    if isinstance(events, pl.DataFrame):
        events = prepare_events(events, feed, run, vendor=connection.vendor)
    added = insert_events(events)
    stored = sum(added.values())
    unrouted = added.pop("", 0)
    return StoredCounts(
        read=read,
        stored=stored,
        duplicates=events.total - stored,
        quarantined=_quarantine(feed, run, chunk, rejected),
        unrouted=unrouted,
        per_team=added,
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
