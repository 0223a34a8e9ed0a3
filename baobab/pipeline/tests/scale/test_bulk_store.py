"""The bulk path of the store (``COPY`` on PostgreSQL, ``executemany`` on
SQLite, a slice at a time): every column as the ORM reads it back, and events
another worker stored meanwhile skipped, not duplicated."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import polars as pl
import pytest
from django.db import connection

from baobab.pipeline import event_rows, fields, store
from baobab.pipeline.chunks import read_head, read_lines, split
from baobab.pipeline.event_record import IN_COLUMNS, event_record
from baobab.pipeline.models import Event, Feed
from baobab.pipeline.parsers import get_parser
from baobab.pipeline.process import FeedDefaults, process_lines
from baobab.pipeline.synthetic import Network, ReportGenerator, report_file_name

pytestmark = pytest.mark.django_db


def _events(tmp_path: Path, rows: int) -> tuple[Feed, pl.DataFrame]:
    day = ReportGenerator("event4_sinkhole").day
    path = tmp_path / report_file_name("event4_sinkhole", day)
    inside = [Network("192.0.2.0/24", asn=64_500, cc="KE"), Network("2001:db8::/32")]
    ReportGenerator("event4_sinkhole", inside=inside, ipv6_share=0.2, malformed_share=0.0).write(
        path, rows
    )
    parser = get_parser("shadowserver")
    setup = parser.setup(read_head(path), file_name=path.name, report="", options={})
    span = split(path, skip_lines=setup.skip_lines, chunk_bytes=1 << 24)[0]
    result = process_lines(
        parser,
        setup,
        read_lines(path, span),
        span.first_line,
        feed=FeedDefaults(name="sinkhole"),
        observed_at="2024-05-02T06:00:00+00:00",
        index=None,
        teams={},
    )
    feed = Feed.objects.create(name="sinkhole", parser="shadowserver")
    return feed, result.events


def test_stored_columns_read_back_as_the_event_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_rows, "STORE_BATCH", 70)  # several slices
    feed, events = _events(tmp_path, 300)
    counts = store.write_events(feed, None, None, events, [], read=300)
    assert counts.stored == Event.objects.count() == 300 - counts.duplicates
    produced = {row["baobab.dedup_key"]: row for row in events.to_dicts()}
    for event in Event.objects.all():
        data = produced[event.dedup_key]
        # The whole event comes back from its columns and the compact data.
        assert {
            name: value for name, value in event_record(event).items() if value is not None
        } == {name: value for name, value in data.items() if value is not None}
        assert not IN_COLUMNS & set(event.data)
        assert event.time_source is not None
        assert event.time_source.isoformat() == data["time.source"]
        assert event.time_observation.isoformat() == "2024-05-02T06:00:00+00:00"
        assert event.source_ip == data["source.ip"]
        address = ipaddress.ip_address(data["source.ip"])
        packed = (
            address.packed if address.version == 6 else b"\0" * 10 + b"\xff\xff" + address.packed
        )
        assert bytes(event.source_ip_key or b"") == packed
        assert event.source_port == data["source.port"]
        assert event.destination_port == data["destination.port"]
        assert event.classification_type == "infected-system"
        assert event.source_fqdn == ""  # text columns hold "" rather than NULL
        assert event.feed_id == feed.pk
        assert event.tlp == feed.tlp


def test_events_stored_meanwhile_by_another_worker_are_skipped(tmp_path: Path) -> None:
    feed, events = _events(tmp_path, 200)
    events = events.unique(subset=["baobab.dedup_key"])
    prepared = event_rows.prepare_events(events, feed, None, vendor=connection.vendor)
    added = store.insert_events(prepared)
    assert sum(added.values()) == events.height == Event.objects.count()
    # The same rows again: nothing new, nothing counted.
    assert not store.insert_events(prepared)
    # Rows a racing worker stored after this one looked (PostgreSQL's COPY
    # then clashes and falls back; SQLite skips them): only the really new
    # ones go in and are reported.
    table = pl.concat([batch.table for batch in prepared.batches])
    dropped = table.get_column("dedup_key").head(5).to_list()
    Event.objects.filter(dedup_key__in=dropped).delete()
    if connection.vendor == "postgresql":
        assert store._copy_events(event_rows.EventRows("", table)) == set(dropped)
    else:
        batch = event_rows.EventRows("", table)
        assert store._insert_sqlite(batch) == len(dropped)
    assert Event.objects.count() == events.height


def test_counts_per_team_are_of_new_events(tmp_path: Path) -> None:
    feed, events = _events(tmp_path, 120)
    teams = ["cert-a" if n % 3 else None for n in range(events.height)]
    events = events.with_columns(pl.Series(fields.TEAM, teams, dtype=pl.Utf8))
    first = store.write_events(feed, None, None, events.head(60), [], read=60)
    again = store.write_events(feed, None, None, events, [], read=events.height)
    new = events.slice(60).unique(subset=[fields.DEDUP_KEY])
    new = new.filter(~pl.col(fields.DEDUP_KEY).is_in(events.head(60)[fields.DEDUP_KEY].to_list()))
    routed = new.get_column(fields.TEAM).drop_nulls().len()
    assert again.stored == new.height
    assert again.per_team is not None
    assert again.per_team.get("cert-a", 0) == routed
    assert again.unrouted == new.height - routed
    assert first.stored + again.stored == Event.objects.count()


def test_values_shared_by_a_whole_batch_are_stored_verbatim(tmp_path: Path) -> None:
    # Written into the statement as literals on SQLite: quotes, percent signs
    # and what looks like a parameter must come back as they were.
    feed, events = _events(tmp_path, 40)
    tricky = "O'Brien's 100%s %% bot -- '); DROP TABLE x; --"
    events = events.with_columns(
        pl.lit(tricky).alias("malware.name"), pl.lit("it's").alias("extra.note")
    )
    counts = store.write_events(feed, None, None, events, [], read=40)
    assert counts.stored == Event.objects.count() > 1
    assert set(Event.objects.values_list("malware_name", flat=True)) == {tricky}
    assert {event_record(event)["extra.note"] for event in Event.objects.all()} == {"it's"}


def test_sql_literals() -> None:
    assert event_rows.sql_literal(None) == "NULL"
    assert event_rows.sql_literal(True) == "1"
    assert event_rows.sql_literal(64500) == "64500"
    assert event_rows.sql_literal("a'b%s") == "'a''b%%s'"
    assert event_rows.sql_literal("nul\x00") is None  # bound instead
    assert event_rows.sql_literal(b"\x01") is None
