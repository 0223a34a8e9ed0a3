"""The dispatcher, schedules, the one-worker-per-feed lease, option checks
and the Celery tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from baobab.pipeline import collectors
from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import (
    CollectorError,
    FeedBusyError,
    collect,
    due_feeds,
    files,
    validate_options,
)
from baobab.pipeline.collectors.state import LEASE
from baobab.pipeline.collectors.tasks import collect_due, collect_feed
from baobab.pipeline.models import Feed
from baobab.pipeline.tests.collectors.conftest import FakeRunner

MakeFeed = Callable[..., Feed]
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def test_upload_and_disabled_feeds_have_nothing_to_collect(make_feed: MakeFeed) -> None:
    with pytest.raises(CollectorError, match="takes uploads"):
        collect(make_feed(Collector.UPLOAD))
    with pytest.raises(CollectorError, match="disabled"):
        collect(make_feed(Collector.FILE, {"path": "x"}, enabled=False))


def test_one_worker_at_a_time_per_feed(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    (inbox / "r.csv").write_bytes(b"x")
    feed = make_feed(Collector.FILE, {"path": "r.csv"})
    now = timezone.now()
    held = {"token": "other", "since": now.isoformat(), "renewed": now.isoformat()}
    Feed.objects.filter(pk=feed.pk).update(collector_state={"lease": held, "keep": 1})

    with pytest.raises(FeedBusyError):
        collect(feed)
    assert fake_runner.calls == []

    # A lease not renewed for longer than LEASE belonged to a dead worker.
    stale = (now - LEASE - dt.timedelta(minutes=1)).isoformat()
    Feed.objects.filter(pk=feed.pk).update(
        collector_state={"lease": {**held, "renewed": stale}, "keep": 1}
    )
    assert len(collect(feed)) == 1
    feed.refresh_from_db()
    assert "lease" not in feed.collector_state
    assert feed.collector_state["keep"] == 1  # other keys are left alone


def test_the_lease_is_released_when_a_collector_crashes(
    make_feed: MakeFeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = make_feed(Collector.FILE, {"path": "x"})

    def crash(job: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(collectors.COLLECTORS, Collector.FILE, crash)
    with pytest.raises(RuntimeError):
        collect(feed)
    feed.refresh_from_db()
    assert "lease" not in feed.collector_state
    assert feed.collector_state["last_attempt"]


def test_collecting_writes_only_the_collector_state(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    (inbox / "r.csv").write_bytes(b"x")
    feed = make_feed(Collector.FILE, {"path": "r.csv"})
    Feed.objects.filter(pk=feed.pk).update(description="edited meanwhile", schedule_minutes=5)
    collect(feed)  # ``feed`` is stale: it must not write its old fields back
    feed.refresh_from_db()
    assert (feed.description, feed.schedule_minutes) == ("edited meanwhile", 5)
    assert feed.collector_state["file"]["path"] == str(inbox / "r.csv")


def test_due_feeds(make_feed: MakeFeed) -> None:
    def feed(collector: str = Collector.HTTP, **fields: object) -> Feed:
        fields.setdefault("schedule_minutes", 60)
        return make_feed(collector, {"url": "https://example.org/"}, **fields)

    never = feed()
    recent = feed(collector_state={"last_attempt": (NOW - dt.timedelta(minutes=10)).isoformat()})
    # A tick a few seconds early still counts (beat is not exact).
    elapsed = feed(
        collector_state={"last_attempt": (NOW - dt.timedelta(minutes=59, seconds=45)).isoformat()}
    )
    feed(schedule_minutes=None)
    feed(enabled=False)
    feed(Collector.UPLOAD)
    leased = {"token": "t", "since": NOW.isoformat(), "renewed": timezone.now().isoformat()}
    feed(collector_state={"lease": leased})
    feed(collector_state={"last_attempt": "not a time"}, name="garbled")

    due = due_feeds(NOW)

    assert [f.pk for f in due] == [never.pk, elapsed.pk, Feed.objects.get(name="garbled").pk]
    assert recent not in due


def test_collect_due_collects_each_due_feed_once(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    for name in ("a", "b"):
        (inbox / name).mkdir()
        (inbox / name / "report.csv").write_bytes(name.encode())
    first = make_feed(Collector.FILE, {"path": "a"}, schedule_minutes=15)
    second = make_feed(Collector.FILE, {"path": "b"}, schedule_minutes=15)
    make_feed(Collector.FILE, {"path": "b"})  # not scheduled

    assert collect_due() == [first.pk, second.pk]
    assert sorted(call.content for call in fake_runner.calls) == [b"a", b"b"]
    assert collect_due() == []  # not due again for 15 minutes


def test_collect_due_goes_on_after_a_feed_crashes(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (inbox / "ok.csv").write_bytes(b"ok")
    make_feed(Collector.HTTP, {"url": "https://example.org/"}, schedule_minutes=5)
    good = make_feed(Collector.FILE, {"path": "ok.csv"}, schedule_minutes=5)

    def crash(job: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(collectors.COLLECTORS, Collector.HTTP, crash)
    assert len(collect_due()) == 2
    assert good.runs.get().status == RunStatus.DONE


def test_collect_feed_task(make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner) -> None:
    (inbox / "r.csv").write_bytes(b"x")
    feed = make_feed(Collector.FILE, {"path": "r.csv"})
    run_ids = collect_feed.delay(feed.pk).get()
    assert run_ids == [feed.runs.get().pk]
    assert collect_feed(999_999) == []
    assert collect_feed(make_feed(Collector.UPLOAD).pk) == []
    assert collect_feed.name == "baobab.pipeline.collect_feed"
    assert collect_due.name == "baobab.pipeline.collect_due"


def test_validate_options_lists_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_options(
            Collector.IMAP, {"host": "", "port": "993", "password_env": "HOME", "extra": 1}
        )
    messages = caught.value.messages
    assert any("Unknown collector option(s): extra" in m for m in messages)
    assert any("host is required" in m for m in messages)
    assert any("port must be a whole number" in m for m in messages)
    assert any("names HOME" in m for m in messages)
    assert any("username is required" in m for m in messages)
    with pytest.raises(ValidationError, match="JSON object"):
        validate_options(Collector.HTTP, ["https://example.org/"])
    with pytest.raises(ValidationError, match="Upload feeds take no collector options"):
        validate_options(Collector.UPLOAD, {"path": "x"})
    validate_options(Collector.UPLOAD, {})
    validate_options(Collector.HTTP, {"url": "https://example.org/${BAOBAB_FEED_KEY}/list.csv"})
    validate_options(
        Collector.IMAP,
        {"host": "imap.example.org", "username": "u", "password_env": "BAOBAB_FEED_PW"},
    )


def test_file_paths_stay_under_the_allowed_roots(
    inbox: Path, tmp_path: Path, settings: object
) -> None:
    assert files.resolve_path("shadowserver") == inbox / "shadowserver"
    assert files.resolve_path(str(inbox / "x")) == inbox / "x"
    (inbox / "escape").symlink_to(tmp_path)
    for outside in ("/etc/passwd", "../data", "escape/data"):
        with pytest.raises(CollectorError, match="outside the folders"):
            files.resolve_path(outside)
    with pytest.raises(ValidationError):
        validate_options(Collector.FILE, {"path": "/etc"})
