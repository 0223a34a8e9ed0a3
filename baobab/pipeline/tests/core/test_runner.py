"""The whole chain through the runner and the database: counts, quarantine,
idempotent re-ingest, routing to teams, chunks, and resuming a crashed run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.core.models import Team
from baobab.directory import services as directory_services
from baobab.pipeline import parsers as parser_package
from baobab.pipeline import runner
from baobab.pipeline.choices import ChunkStatus, RunStatus
from baobab.pipeline.event_record import event_record
from baobab.pipeline.models import Event, Feed, QuarantinedRecord
from baobab.pipeline.parsers.base import Parsed, Parser, ReportError, Setup
from baobab.pipeline.parsers.tabular import (
    ColumnMapping,
    apply_mapping,
    header_columns,
    read_delimited,
)
from baobab.pipeline.services import create_feed

MAPPING = ColumnMapping(
    {"ip": "source.ip", "seen": "time.source", "port": "source.port"},
    constants={"classification.type": "vulnerable-system"},
)


class TinyCsvParser(Parser):
    """A three-column CSV report, enough to drive the runner."""

    name = "tiny-csv"
    description = "test parser"

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        if not head or not head[0].strip():
            raise ReportError("the report has no header line")
        return Setup(report=report, skip_lines=1, columns=header_columns(head[0]))

    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        frame, rejected = read_delimited(lines, first_line, setup.columns)
        return Parsed(apply_mapping(frame, MAPPING), rejected)


@pytest.fixture(autouse=True)
def tiny_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser_package, "registry", lambda: {"tiny-csv": TinyCsvParser})


@pytest.fixture
def community(make_team: Callable[..., Team]) -> dict[str, Team]:
    ke = make_team("ke-cirt", country="KE")
    gh = make_team("gh-cert", country="GH")
    directory_services.create_claim(ke, "prefix", "192.0.2.0/25", acting_user=None)
    directory_services.create_claim(gh, "prefix", "2001:db8:200::/48", acting_user=None)
    return {"ke": ke, "gh": gh}


def _report(tmp_path: Path, rows: list[str], name: str = "report.csv") -> Path:
    path = tmp_path / name
    path.write_text("ip,seen,port\n" + "\n".join(rows) + "\n")
    return path


ROWS = [
    "192.0.2.1,2024-05-01 00:00:01,23",
    "192.0.2.2,2024-05-01 00:00:02,23",
    "2001:db8:200::7,2024-05-01 00:00:03,2323",
    "203.0.113.5,2024-05-01 00:00:04,23",
    "300.1.1.1,2024-05-01 00:00:05,23",  # not an address
    "192.0.2.9,not a time,23",
    "192.0.2.1,2024-05-01 00:00:01,23",  # a duplicate of the first
]


@pytest.mark.django_db
def test_ingest_counts_routes_quarantines_and_is_idempotent(
    tmp_path: Path, community: dict[str, Team]
) -> None:
    feed = create_feed(acting_user=None, name="tiny", parser="tiny-csv", owner_team=community["ke"])
    run = runner.start_run(feed, _report(tmp_path, ROWS), source="test")
    assert run.status == RunStatus.DONE, run.errors
    assert (run.parsed, run.stored, run.duplicates, run.quarantined, run.unrouted) == (
        7,
        4,
        1,
        2,
        1,
    )
    assert run.per_team == {"ke-cirt": 2, "gh-cert": 1}
    reasons = sorted(QuarantinedRecord.objects.values_list("line", "reason"))
    assert reasons[0][0] == 6
    assert "source.ip" in reasons[0][1]
    assert reasons[1][0] == 7
    assert "time.source" in reasons[1][1]
    event = Event.objects.get(source_ip="2001:db8:200::7")
    assert event.team == community["gh"]
    assert event.route_step == "prefix"
    assert event.claim is not None
    assert event.claim.value == "2001:db8:200::/48"
    assert event.classification_taxonomy == "vulnerable"
    # The port has its column; data keeps what no column holds.
    assert "source.port" not in event.data
    assert event.data["raw"] == "2001:db8:200::7,2024-05-01 00:00:03,2323"
    record = event_record(event)
    assert record["source.port"] == 2323
    assert record["source.ip"] == "2001:db8:200::7"
    assert record["baobab.team_id"] == community["gh"].pk
    assert record["time.source"] == "2024-05-01T00:00:03+00:00"

    again = runner.start_run(feed, _report(tmp_path, ROWS), source="test")
    assert (again.stored, again.duplicates) == (0, 5)
    assert Event.objects.count() == 4


@pytest.mark.django_db
def test_a_report_the_parser_cannot_read_fails_the_run_and_stores_nothing(
    tmp_path: Path, community: dict[str, Team]
) -> None:
    feed = create_feed(acting_user=None, name="tiny", parser="tiny-csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    run = runner.start_run(feed, empty, source="test")
    assert run.status == RunStatus.FAILED
    assert run.errors
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_crashed_chunk_is_processed_again_on_resume_without_duplicates(
    tmp_path: Path,
    community: dict[str, Team],
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.PIPELINE_CHUNK_BYTES = 200
    rows = [f"192.0.2.{n % 120},2024-05-01 00:{n // 60:02d}:{n % 60:02d},23" for n in range(300)]
    feed = create_feed(acting_user=None, name="tiny", parser="tiny-csv")
    original = runner.store_chunk
    calls = {"n": 0}

    def crash_on_third(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "store_chunk", crash_on_third)
    run = runner.start_run(feed, _report(tmp_path, rows), source="test")
    assert run.chunk_count > 5
    assert run.status == RunStatus.FAILED
    assert run.chunks.filter(status=ChunkStatus.PENDING).count() == 1
    stored_before = Event.objects.count()
    assert stored_before < 300

    monkeypatch.setattr(runner, "store_chunk", original)
    call_command("ingest", "--resume", str(run.pk), "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert run.stored == Event.objects.count() == 300
    assert run.parsed == 300
    assert not run.chunks.filter(status=ChunkStatus.PENDING).exists()
    assert Feed.objects.get(pk=feed.pk).runs.count() == 1


@pytest.mark.django_db
def test_purge_deletes_events_past_retention(
    tmp_path: Path, community: dict[str, Team], settings: SettingsWrapper
) -> None:
    settings.EVENT_RETENTION_DAYS = 30
    feed = create_feed(acting_user=None, name="tiny", parser="tiny-csv")
    runner.start_run(feed, _report(tmp_path, ROWS[:3]), source="test")
    old = Event.objects.first()
    assert old is not None
    Event.objects.filter(pk=old.pk).update(time_observation=timezone.now() - dt.timedelta(days=31))
    call_command("events", "purge", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Event.objects.filter(pk=old.pk).exists()
    assert Event.objects.count() == 2
