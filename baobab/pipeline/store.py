"""Writing a processed chunk: its events in bulk (``COPY`` on PostgreSQL,
one ``executemany`` on SQLite), its quarantined records, the chunk's ``done``
mark and the run's counters — all in one transaction, so a worker killed
half-way leaves nothing behind and the chunk is simply processed again.
Duplicates are skipped by the database's unique key."""

from __future__ import annotations

import ipaddress
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
    parsed = ipaddress.ip_address(address)
    if parsed.version == 4:
        return b"\x00" * 10 + b"\xff\xff" + parsed.packed
    return parsed.packed


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


def _rows(events: pl.DataFrame, feed: Feed, run: FeedRun | None) -> list[tuple[Any, ...]]:
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    height = events.height
    columns: dict[str, list[Any]] = {}
    for column, field_name in COLUMN_OF_FIELD.items():
        values = events[field_name].to_list() if field_name in events.columns else [None] * height
        if column in _TEXT_COLUMNS:
            values = ["" if value is None else value for value in values]
        elif column in _MOMENTS and sqlite:
            # Django keeps SQLite datetimes as naive UTC text.
            values = [value[:19].replace("T", " ") if value else None for value in values]
        columns[column] = values
    if not any(columns["time_observation"]):
        columns["time_observation"] = [now] * height
    keys: dict[str | None, bytes | None] = {}
    ip_keys = []
    for address in columns["source_ip"]:
        key = keys.get(address)
        if key is None and address is not None:
            key = keys[address] = ip_key(address)
        ip_keys.append(key)
    data = events.write_ndjson().splitlines() if height else []
    created = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    constant = (feed.pk, run.pk if run else None, feed.owner_team_id, feed.tlp, "team")
    return [
        (*row, ip_keys[i], *constant, data[i], created)
        for i, row in enumerate(zip(*columns.values(), strict=True))
    ]


def _stored_keys(keys: list[str], batch: int = 5000) -> set[str]:
    """Which of ``keys`` are stored already (so counts per team are of new events)."""
    found: set[str] = set()
    for start in range(0, len(keys), batch):
        found.update(
            Event.objects.filter(dedup_key__in=keys[start : start + batch]).values_list(
                "dedup_key", flat=True
            )
        )
    return found


def _insert_events(rows: list[tuple[Any, ...]]) -> int:
    """Insert ``rows``; those whose key is already stored are skipped. Returns
    how many were new."""
    if not rows:
        return 0
    table = Event._meta.db_table
    names = ", ".join(connection.ops.quote_name(c) for c in INSERT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE baobab_event_in ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            raw_cursor = cursor.cursor
            with raw_cursor.copy(f"COPY baobab_event_in ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM baobab_event_in "  # noqa: S608
                f"ON CONFLICT (dedup_key) DO NOTHING"
            )
            inserted = int(cursor.rowcount)
            cursor.execute("DROP TABLE baobab_event_in")
            return inserted
        placeholders = ", ".join(["%s"] * len(INSERT_COLUMNS))
        before = connection.connection.total_changes
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT (dedup_key) DO NOTHING",
            rows,
        )
        return int(connection.connection.total_changes - before)


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
    stored = _insert_events(_rows(events, feed, run))
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
