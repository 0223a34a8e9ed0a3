"""The file collector: a watched folder (each file once, then done/ or
failed/) and a single file read again only when it changes."""

from __future__ import annotations

import gzip
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import collect
from baobab.pipeline.models import Feed, FeedRun
from baobab.pipeline.tests.collectors.conftest import FEODO_CSV, FakeRunner

MakeFeed = Callable[..., Feed]


@pytest.fixture
def folder_feed(make_feed: MakeFeed, inbox: Path) -> Feed:
    (inbox / "feodo").mkdir()
    return make_feed(Collector.FILE, {"path": "feodo", "pattern": "*.csv*"})


def test_each_new_file_is_ingested_once_then_moved_to_done(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "feodo"
    (folder / "a.csv").write_bytes(b"first")
    (folder / "b.csv").write_bytes(b"second")
    os.utime(folder / "a.csv", (time.time() - 60, time.time() - 60))

    runs = collect(folder_feed)

    assert [call.content for call in fake_runner.calls] == [b"first", b"second"]  # oldest first
    assert fake_runner.names == ["a.csv", "b.csv"]
    assert all(
        call.move is False and call.source.endswith(call.file_name or "?")
        for call in fake_runner.calls
    )
    assert [run.status for run in runs] == [RunStatus.DONE, RunStatus.DONE]
    assert sorted(path.name for path in (folder / "done").iterdir()) == ["a.csv", "b.csv"]
    assert not (folder / "a.csv").exists()
    # Nothing new: nothing read again.
    assert collect(folder_feed) == []
    assert len(fake_runner.calls) == 2


def test_a_file_of_the_same_name_later_is_a_new_report(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "feodo"
    (folder / "daily.csv").write_bytes(b"monday")
    collect(folder_feed)
    (folder / "daily.csv").write_bytes(b"tuesday")
    collect(folder_feed)
    assert [call.content for call in fake_runner.calls] == [b"monday", b"tuesday"]
    done = sorted((folder / "done").iterdir())
    assert len(done) == 2
    assert {path.read_bytes() for path in done} == {b"monday", b"tuesday"}


def test_files_being_written_hidden_or_not_matching_are_left_alone(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "drop"
    folder.mkdir()
    feed = make_feed(
        Collector.FILE, {"path": str(folder), "pattern": "*.CSV", "min_age_seconds": 30}
    )
    for name in ("report.part", ".hidden.csv", "notes.txt", "fresh.csv", "old.csv"):
        (folder / name).write_bytes(name.encode())
    past = time.time() - 120
    for name in ("report.part", ".hidden.csv", "notes.txt", "old.csv"):
        os.utime(folder / name, (past, past))
    (folder / "sub.csv").mkdir()

    collect(feed)

    assert fake_runner.names == ["old.csv"]
    assert {path.name for path in folder.iterdir()} == {
        "report.part",
        ".hidden.csv",
        "notes.txt",
        "fresh.csv",
        "sub.csv",
        "done",
        "failed",
    }


def test_symbolic_links_are_not_followed(
    folder_feed: Feed, inbox: Path, tmp_path: Path, fake_runner: FakeRunner
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_bytes(b"not for the feed")
    (inbox / "feodo" / "link.csv").symlink_to(secret)
    assert collect(folder_feed) == []
    assert fake_runner.calls == []


def test_a_failed_run_moves_the_file_to_failed(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    (inbox / "feodo" / "bad.csv").write_bytes(b"garbage")
    fake_runner.fail_with = "no header"
    (run,) = collect(folder_feed)
    assert run.status == RunStatus.FAILED
    assert (inbox / "feodo" / "failed" / "bad.csv").exists()


def test_an_error_is_recorded_in_a_failed_run_and_the_inbox_goes_on(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "feodo"
    (folder / "broken.csv.gz").write_bytes(b"\x1f\x8b not really gzip")
    (folder / "good.csv").write_bytes(b"fine")
    os.utime(folder / "broken.csv.gz", (time.time() - 60, time.time() - 60))

    failed, good = collect(folder_feed)

    assert failed.status == RunStatus.FAILED
    assert "broken.csv.gz is not a readable gzip file" in failed.errors[0]
    assert failed.source.endswith("broken.csv.gz")
    assert good.status == RunStatus.DONE
    assert (folder / "failed" / "broken.csv.gz").exists()
    assert (folder / "done" / "good.csv").exists()


def test_an_exception_in_the_runner_fails_that_file_only(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    (inbox / "feodo" / "x.csv").write_bytes(b"x")
    fake_runner.raise_with = RuntimeError("parser crashed")
    (run,) = collect(folder_feed)
    assert run.status == RunStatus.FAILED
    assert run.errors == ["parser crashed"]
    assert (inbox / "feodo" / "failed" / "x.csv").exists()


def test_gzip_and_zip_files_are_unpacked(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "feodo"
    (folder / "one.csv.gz").write_bytes(gzip.compress(b"gz content"))
    with zipfile.ZipFile(folder / "two.csv.zip", "w") as archive:
        archive.writestr("a.csv", b"member a")
        archive.writestr("b.csv", b"member b")
    os.utime(folder / "one.csv.gz", (time.time() - 60, time.time() - 60))
    folder_feed.collector_options = {"path": "feodo", "pattern": "*"}
    folder_feed.save()

    runs = collect(folder_feed)

    assert [(call.file_name, call.content) for call in fake_runner.calls] == [
        ("one.csv", b"gz content"),
        ("a.csv", b"member a"),
        ("b.csv", b"member b"),
    ]
    assert all(call.move for call in fake_runner.calls)  # unpacked copies are the runner's
    assert len(runs) == 3
    assert {path.name for path in (folder / "done").iterdir()} == {"one.csv.gz", "two.csv.zip"}


def test_a_file_too_large_goes_to_failed(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner, settings: object
) -> None:
    settings.COLLECTOR_MAX_BYTES = 10  # type: ignore[attr-defined]
    (inbox / "feodo" / "big.csv").write_bytes(b"x" * 11)
    (run,) = collect(folder_feed)
    assert "larger than the limit of 10 bytes" in run.errors[0]
    assert (inbox / "feodo" / "failed" / "big.csv").exists()
    assert fake_runner.calls == []


def test_a_name_already_in_done_is_not_overwritten(
    folder_feed: Feed, inbox: Path, fake_runner: FakeRunner
) -> None:
    folder = inbox / "feodo"
    (folder / "done").mkdir()
    (folder / "done" / "r.csv").write_bytes(b"old")
    (folder / "r.csv").write_bytes(b"new")
    collect(folder_feed)
    contents = sorted(path.read_bytes() for path in (folder / "done").iterdir())
    assert contents == [b"new", b"old"]


def test_a_single_file_is_read_again_only_when_it_changes(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    report = inbox / "blocklist.csv"
    report.write_bytes(b"v1")
    feed = make_feed(Collector.FILE, {"path": "blocklist.csv"})

    assert len(collect(feed)) == 1
    assert collect(feed) == []
    os.utime(report, (time.time() + 5, time.time() + 5))  # touched, same content
    assert collect(feed) == []
    report.write_bytes(b"v2")
    assert len(collect(feed)) == 1
    assert collect(feed, force=True)[0].status == RunStatus.DONE
    assert [call.content for call in fake_runner.calls] == [b"v1", b"v2", b"v2"]
    assert report.exists()  # read in place, never moved
    assert all(call.move is False for call in fake_runner.calls)


def test_a_single_file_whose_run_failed_is_read_again(
    make_feed: MakeFeed, inbox: Path, fake_runner: FakeRunner
) -> None:
    (inbox / "list.csv").write_bytes(b"v1")
    feed = make_feed(Collector.FILE, {"path": "list.csv"})
    fake_runner.fail_with = "wrong parser"
    collect(feed)
    fake_runner.fail_with = ""
    (run,) = collect(feed)
    assert run.status == RunStatus.DONE


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"path": "/etc"}, "outside the folders file feeds may read"),
        ({"path": "../elsewhere"}, "outside the folders file feeds may read"),
        ({"path": "missing"}, "does not exist"),
        ({"path": "x", "patern": "*.csv"}, "Unknown collector option(s): patern"),
        ({}, "The option path is required"),
    ],
)
def test_a_wrong_path_or_option_gives_a_failed_run(
    make_feed: MakeFeed, fake_runner: FakeRunner, options: dict[str, str], message: str
) -> None:
    feed = make_feed(Collector.FILE, options)
    (run,) = collect(feed)
    assert run.status == RunStatus.FAILED
    assert message in run.errors[0]
    assert FeedRun.objects.filter(feed=feed).count() == 1


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_real_runner(make_feed: MakeFeed, inbox: Path) -> None:
    folder = inbox / "feodo"
    folder.mkdir()
    (folder / "ipblocklist.csv").write_bytes(FEODO_CSV)
    feed = make_feed(Collector.FILE, {"path": "feodo"})

    (run,) = collect(feed)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.errors
    assert (run.parsed, run.stored, run.quarantined) == (3, 3, 0)
    assert run.source == str(folder / "ipblocklist.csv")
    assert Path(run.input_path).read_bytes() == FEODO_CSV
    assert (folder / "done" / "ipblocklist.csv").exists()
    assert feed.events.count() == 3
