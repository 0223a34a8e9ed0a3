"""Checkpoints beside a bulk write (SQLite in WAL mode): the writer's commits
no longer copy and sync the database, and the log stays about one
transaction long instead of growing with the run."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from baobab.pipeline import wal_checkpoints
from baobab.pipeline.wal_checkpoints import _Checkpointer, checkpoints_aside

ROW = "x" * 2000
ROWS_PER_COMMIT = 2000  # about 4 MB a transaction


def _writer(path: Path) -> sqlite3.Connection:
    database = sqlite3.connect(path, isolation_level=None)
    database.execute("PRAGMA journal_mode = WAL")
    database.execute("PRAGMA wal_autocheckpoint = 0")  # as checkpoints_aside sets it
    database.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    return database


def _commit_rows(database: sqlite3.Connection) -> None:
    database.execute("BEGIN IMMEDIATE")
    database.executemany("INSERT INTO t (v) VALUES (?)", [(ROW,)] * ROWS_PER_COMMIT)
    database.execute("COMMIT")


def test_the_log_stays_about_one_transaction_long(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    database = _writer(path)
    checkpointer = _Checkpointer(str(path))
    checkpointer.start()
    largest = 0
    for number in range(1, 13):
        _commit_rows(database)
        largest = max(largest, path.with_name(path.name + "-wal").stat().st_size)
        checkpointer.ask()
        # The next transaction starts once the checkpoint has caught up (in a
        # run, while the next chunk's rows are being written to memory).
        for _wait in range(200):
            if checkpointer.done >= number:
                break
            threading.Event().wait(0.01)
    checkpointer.stop()
    one_transaction = ROWS_PER_COMMIT * len(ROW)
    assert checkpointer.done == 12
    assert largest < 3 * one_transaction  # twelve transactions without checkpoints: 12×
    assert database.execute("SELECT count(*) FROM t").fetchone() == (12 * ROWS_PER_COMMIT,)
    database.close()


def test_without_checkpoints_the_log_grows_with_the_run(tmp_path: Path) -> None:
    # What the test above guards against (and proof that it can fail).
    path = tmp_path / "events.sqlite3"
    database = _writer(path)
    for _ in range(6):
        _commit_rows(database)
    assert path.with_name(path.name + "-wal").stat().st_size > 5 * ROWS_PER_COMMIT * len(ROW)
    database.close()


@pytest.mark.django_db
def test_nothing_is_done_beside_a_database_that_is_no_sqlite_file() -> None:
    # The test database is in memory (SQLite) or PostgreSQL: no thread, no pragma.
    assert wal_checkpoints._file_of_default_database() is None
    with checkpoints_aside() as committed:
        committed()
    assert not [t for t in threading.enumerate() if t.name == "baobab-wal-checkpoints"]
