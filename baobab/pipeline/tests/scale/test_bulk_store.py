"""The bulk path of the store (``COPY`` on PostgreSQL, ``executemany`` on
SQLite, a slice at a time): every column as the ORM reads it back, and events
another worker stored meanwhile skipped, not duplicated."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import polars as pl
import pytest

from baobab.pipeline import store
from baobab.pipeline.chunks import read_head, read_lines, split
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
    monkeypatch.setattr(store, "STORE_BATCH", 70)  # several slices
    feed, events = _events(tmp_path, 300)
    counts = store.write_events(feed, None, None, events, [], read=300)
    assert counts.stored == Event.objects.count() == 300 - counts.duplicates
    for event in Event.objects.all():
        data = event.data
        assert event.dedup_key == data["baobab.dedup_key"]
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
    table = store._table(events, feed, None)
    assert store._insert_events(table) == events.height
    # The same rows again, as a worker racing this one would send them.
    assert store._insert_events(table) == 0
    assert store._insert_events(table.head(50).vstack(table.tail(1))) == 0
    assert Event.objects.count() == events.height
