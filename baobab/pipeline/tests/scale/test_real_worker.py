"""Running at scale: a report split into many chunks, processed by real
Celery workers on the local broker, against a database the command line and
the workers share (SQLite, or PostgreSQL when the suite runs on it).

Every outcome is compared with a clean run of the same report in process
(no broker): the same events (by deduplication key), the same counts. A
worker killed with SIGKILL in the middle of a run loses no event and
duplicates none, whether the broker hands its unfinished tasks to the next
worker or the run is resumed with ``baobab ingest --resume``.
"""

from __future__ import annotations

import json
import re
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from baobab.pipeline.tests.scale.harness import (
    BROKER_URL,
    Databases,
    Platform,
    broker_reachable,
    delete_queue,
    purge_queue,
    wait_until,
)

FEED = "scale-telnet"
ROWS = 24_000

pytestmark = [
    pytest.mark.skipif(
        not broker_reachable(),
        reason=f"no message broker at {BROKER_URL} (set BAOBAB_TEST_BROKER_URL to use another)",
    ),
    pytest.mark.timeout(180),
]


@dataclass
class Reference:
    """The prepared platform (copied by each test), its report, and the clean
    in-process run of that report."""

    databases: Databases
    platform: Platform
    report: Path
    expected: dict[str, Any]  # what the report holds
    summary: dict[str, Any]  # the clean run's summary
    keys: set[str]  # the clean run's deduplication keys


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    root = tmp_path_factory.mktemp("scale")
    databases = Databases()
    template = Platform(root / "template", databases.new(), queue="unused")
    report = root / "2024-05-01-scan_telnet-scale-geo.csv"
    try:
        expected = json.loads(
            template.python(
                "-m", "baobab.pipeline.tests.scale.setup_platform", str(ROWS), str(report)
            )
        )
        clean = databases.copy(template, root / "clean", queue="unused")
        summary = json.loads(clean.baobab("ingest", "--feed", FEED, str(report), "--json"))
        keys = {key for (key,) in clean.query("SELECT dedup_key FROM pipeline_event")}
        yield Reference(databases, template, report, expected, summary, keys)
    finally:
        databases.drop_all()


@pytest.fixture
def platform(reference: Reference, tmp_path: Path) -> Iterator[Platform]:
    """A copy of the prepared platform with a queue of its own."""
    queue = f"baobab-test-{secrets.token_hex(4)}"
    copy = reference.databases.copy(reference.platform, tmp_path / "platform", queue)
    try:
        yield copy
    finally:
        copy.stop_workers()
        delete_queue(queue)


def done_chunks(platform: Platform) -> int:
    return int(platform.value("SELECT COUNT(*) FROM pipeline_runchunk WHERE status = 'done'"))


def assert_same_as_clean_run(platform: Platform, summary: dict[str, Any], ref: Reference) -> None:
    """The run is done, complete and identical to the clean one, and its
    counters agree with each other and with the database."""
    clean = ref.summary
    assert summary["status"] == "done", summary
    assert summary["errors"] == []
    for name in ("parsed", "stored", "duplicates", "quarantined", "unrouted", "per_team", "chunks"):
        assert summary[name] == clean[name], name
    run = summary["run"]
    pending = platform.value(
        "SELECT COUNT(*) FROM pipeline_runchunk WHERE run_id = %s AND status <> 'done'", run
    )
    assert pending == 0
    keys = [key for (key,) in platform.query("SELECT dedup_key FROM pipeline_event")]
    assert len(keys) == len(set(keys)) == summary["stored"]
    assert set(keys) == ref.keys  # nothing lost, nothing extra
    quarantined = platform.value(
        "SELECT COUNT(*) FROM pipeline_quarantinedrecord WHERE run_id = %s", run
    )
    assert quarantined == summary["quarantined"]
    assert summary["parsed"] == ref.expected["rows"]
    assert summary["parsed"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
    assert sum(summary["per_team"].values()) + summary["unrouted"] == summary["stored"]
    stored_in_run = platform.value("SELECT stored FROM pipeline_feedrun WHERE id = %s", run)
    assert stored_in_run == summary["stored"]


def test_the_clean_run_routes_the_report(reference: Reference) -> None:
    clean = reference.summary
    assert clean["status"] == "done"
    assert clean["chunks"] >= 20  # many chunks, many tasks
    assert clean["stored"] == len(reference.keys)
    # The report repeats no line: each is stored or quarantined.
    assert clean["stored"] + clean["quarantined"] == reference.expected["rows"]
    assert clean["duplicates"] == 0
    assert clean["quarantined"] > 0
    assert len(clean["per_team"]) >= 10  # the demo community's national teams
    assert 0 < clean["unrouted"] < clean["stored"] // 2


def test_a_real_worker_runs_a_report_end_to_end(platform: Platform, reference: Reference) -> None:
    worker = platform.start_worker("single")
    ingest = ["ingest", "--feed", FEED, str(reference.report), "--json", "--timeout", "120"]
    summary = json.loads(platform.baobab(*ingest, broker=True, timeout=150))
    assert_same_as_clean_run(platform, summary, reference)

    # The same report again: every event is a duplicate, nothing new is stored.
    again = json.loads(platform.baobab(*ingest, broker=True, timeout=150))
    assert again["status"] == "done"
    assert again["stored"] == 0
    assert again["duplicates"] == summary["stored"]
    assert platform.value("SELECT COUNT(*) FROM pipeline_event") == summary["stored"]

    worker.kill(signal.SIGTERM)
    log = worker.output()
    assert "baobab.pipeline.process_chunk" in log
    assert log.count("succeeded in") >= 2 * summary["chunks"]  # the worker did the work


def _kill_mid_run(platform: Platform, reference: Reference) -> tuple[Any, int]:
    """Start a run with a worker, SIGKILL the worker (and its pool) once a
    few chunks are done; the background ingest command and the done count."""
    doomed = platform.start_worker("doomed")
    ingest = platform.start_baobab(
        "ingest", "--feed", FEED, str(reference.report), "--json", "--timeout", "150"
    )
    total = reference.summary["chunks"]
    wait_until(lambda: done_chunks(platform) >= max(3, total // 5), 90, "the first chunks")
    doomed.kill()
    done = done_chunks(platform)
    assert done < total, "the run ended before the worker could be killed"
    # It held tasks it had not finished (acknowledged late, they go back to the queue).
    log = doomed.output()
    received = set(re.findall(r"process_chunk\[([0-9a-f-]+)\] received", log))
    finished = set(re.findall(r"process_chunk\[([0-9a-f-]+)\] succeeded", log))
    assert received - finished
    return ingest, done


@pytest.mark.skipif(
    BROKER_URL.startswith("redis"),
    reason="Redis hands unacknowledged tasks back only after its visibility timeout (an hour)",
)
def test_a_killed_worker_loses_nothing_once_the_broker_redelivers(
    platform: Platform, reference: Reference
) -> None:
    ingest, done_at_kill = _kill_mid_run(platform, reference)
    # Tasks are acknowledged late: the broker hands the killed worker's
    # unfinished ones, and those it never started, to the next worker.
    platform.start_worker("rescuer")
    out, err = ingest.communicate(timeout=160)
    assert ingest.returncode == 0, err
    summary = json.loads(out)
    assert_same_as_clean_run(platform, summary, reference)
    assert done_chunks(platform) == reference.summary["chunks"] > done_at_kill


def test_a_killed_worker_loses_nothing_once_the_run_is_resumed(
    platform: Platform, reference: Reference
) -> None:
    ingest, _done = _kill_mid_run(platform, reference)
    ingest.kill()  # the command line gave up waiting, say
    ingest.wait(timeout=10)
    purge_queue(platform.queue)  # and the broker lost the tasks (a restart without persistence)
    run = int(platform.value("SELECT MAX(id) FROM pipeline_feedrun"))
    assert platform.value("SELECT status FROM pipeline_feedrun WHERE id = %s", run) == "running"

    platform.start_worker("after-restart")
    resumed = platform.baobab(
        "ingest", "--resume", str(run), "--json", "--timeout", "120", broker=True, timeout=150
    )
    assert_same_as_clean_run(platform, json.loads(resumed), reference)
