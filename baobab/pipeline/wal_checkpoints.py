"""SQLite: WAL checkpoints beside a bulk write instead of inside its commits.

In WAL mode each commit of more than a thousand pages ends with a checkpoint:
the pages are copied from the write-ahead log into the database file, which is
then synced — a third of an ingest's time, spent by the writer. During a run,
a second thread with its own connection checkpoints after each commit while
the writer goes on. A ``PASSIVE`` checkpoint never blocks the writer; the log
starts again from its beginning once a checkpoint has caught up, so it stays
about one transaction long.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection


def _file_of_default_database() -> str | None:
    """The default database's file, when it is a SQLite file in WAL mode."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (mode,) = cursor.fetchone()
    return name if str(mode).lower() == "wal" else None


class _Checkpointer(threading.Thread):
    """Checkpoints ``path`` each time it is asked to, until stopped."""

    def __init__(self, path: str) -> None:
        super().__init__(name="baobab-wal-checkpoints", daemon=True)
        self.path = path
        self.wanted = threading.Event()
        self.stopping = False
        self.done = 0

    def run(self) -> None:
        database = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            while True:
                self.wanted.wait()
                self.wanted.clear()
                if self.stopping:
                    return
                database.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.done += 1
        finally:
            database.close()

    def ask(self) -> None:
        self.wanted.set()

    def stop(self) -> None:
        self.stopping = True
        self.wanted.set()
        self.join()


@contextmanager
def checkpoints_aside() -> Iterator[Callable[[], None]]:
    """Around a bulk write: yields the function to call after each commit.
    Anywhere but on a SQLite file in WAL mode it does nothing."""
    path = _file_of_default_database()
    if path is None:
        yield lambda: None
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    checkpointer = _Checkpointer(path)
    checkpointer.start()
    try:
        yield checkpointer.ask
    finally:
        checkpointer.stop()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
            if not connection.in_atomic_block:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
