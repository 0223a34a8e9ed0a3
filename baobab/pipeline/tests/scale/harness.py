"""A Baobab platform in child processes, for the real-worker tests: a data
folder, a database both the ``baobab`` commands and the Celery workers use (a
SQLite file in the folder, or a fresh PostgreSQL database when the tests run
with ``DATABASE_URL``), a Celery queue of its own on the local broker, and
workers that can be started and killed.

The tests' own process never touches that database through Django: it reads
it with plain SQL, as an outside observer.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BROKER_URL = os.environ.get("BAOBAB_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
CHUNK_BYTES = 48_000  # a few hundred lines: a report of tens of thousands is many chunks
SETTINGS = "baobab.pipeline.tests.scale.worker_settings"
ROOT = Path(__file__).resolve().parents[4]
SQLITE_NAME = "baobab.sqlite3"


def broker_reachable(url: str = BROKER_URL) -> bool:
    """Whether something listens where the broker should be."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or (6379 if "redis" in url else 5672))
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def postgres_server() -> str | None:
    """The PostgreSQL server the suite runs against (from ``DATABASE_URL``), or None."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class Worker:
    """A ``celery worker`` child process (two pool processes), killed with its pool."""

    def __init__(self, platform: Platform, name: str) -> None:
        self.log = platform.folder / f"worker-{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "baobab",
                    "worker",
                    "--queues",
                    platform.queue,
                    "--concurrency",
                    "2",
                    "--pool",
                    "prefork",
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--hostname",
                    f"{name}-{platform.queue}@%h",
                ],
                cwd=platform.folder,
                env=platform.env(broker=True),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its pool
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the worker and its pool processes; wait for the worker."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Platform:
    """One data folder and one database, used by child processes."""

    def __init__(self, folder: Path, database_url: str | None, queue: str) -> None:
        self.folder = folder
        self.database_url = database_url  # None: SQLite in the data folder
        self.queue = queue
        self.workers: list[Worker] = []
        folder.mkdir(parents=True, exist_ok=True)

    # -- child processes --

    def env(self, *, broker: bool) -> dict[str, str]:
        """The environment of a child: this platform's folder, database and queue."""
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
        }
        env.update(
            {
                "DEBUG": "true",
                "BAOBAB_DATA_DIR": str(self.folder),
                "DJANGO_SETTINGS_MODULE": SETTINGS,
                "BAOBAB_TEST_QUEUE": self.queue,
                "PIPELINE_CHUNK_BYTES": str(CHUNK_BYTES),
                "PYTHONUNBUFFERED": "1",  # a killed worker's log is complete
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            }
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if broker:
            env["CELERY_BROKER_URL"] = BROKER_URL
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "baobab.manage", *args]

    def baobab(self, *args: str, broker: bool = False, timeout: float = 120) -> str:
        """Run a ``baobab`` command to its end; its output (it must succeed)."""
        done = subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env=self.env(broker=broker),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise AssertionError(
                f"baobab {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def start_baobab(self, *args: str, broker: bool = True) -> subprocess.Popen[str]:
        """Start a ``baobab`` command in the background."""
        return subprocess.Popen(
            self.command(*args),
            cwd=self.folder,
            env=self.env(broker=broker),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def python(self, *args: str) -> str:
        """Run ``python ARGS`` with this platform's environment; its output."""
        done = subprocess.run(
            [sys.executable, *args],
            cwd=self.folder,
            env=self.env(broker=False),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode:
            raise AssertionError(f"python {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start_worker(self, name: str) -> Worker:
        worker = Worker(self, name)
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.kill(signal.SIGTERM)

    # -- looking at the database from outside --

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``%s`` placeholders), read on a connection of its own."""
        if self.database_url:
            import psycopg  # noqa: PLC0415 - only with PostgreSQL

            with psycopg.connect(self.database_url, autocommit=True) as postgres:
                return list(postgres.execute(sql.encode(), params).fetchall())
        lite = sqlite3.connect(self.folder / SQLITE_NAME, timeout=30)
        try:
            return lite.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            lite.close()

    def value(self, sql: str, *params: Any) -> Any:
        return self.query(sql, *params)[0][0]


class Databases:
    """Where the platforms' databases live: SQLite files, or databases created
    on the suite's PostgreSQL server (and dropped at the end)."""

    def __init__(self) -> None:
        self.server = postgres_server()
        self.created: list[str] = []

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        import psycopg  # noqa: PLC0415 - only with PostgreSQL

        assert self.server is not None
        with psycopg.connect(self.server, autocommit=True) as connection:
            yield connection

    def _url(self, name: str) -> str:
        assert self.server is not None
        parts = urlsplit(self.server)
        return parts._replace(path=f"/{name}").geturl()

    def new(self, template: str | None = None) -> str | None:
        """A new empty database (or a copy of ``template``'s); None for SQLite."""
        if self.server is None:
            return None
        name = f"baobab_scale_{secrets.token_hex(4)}"
        with self._admin() as admin:
            if template is None:
                admin.execute(f'CREATE DATABASE "{name}"'.encode())
            else:
                source = urlsplit(template).path.lstrip("/")
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'.encode())
        self.created.append(name)
        return self._url(name)

    def copy(self, source: Platform, folder: Path, queue: str) -> Platform:
        """A new platform with a copy of ``source``'s database (its children have ended)."""
        if self.server is None:
            folder.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal"):
                original = source.folder / f"{SQLITE_NAME}{suffix}"
                if original.exists():
                    shutil.copyfile(original, folder / original.name)
            if (source.folder / "enrichment").exists():
                shutil.copytree(source.folder / "enrichment", folder / "enrichment")
            return Platform(folder, None, queue)
        return Platform(folder, self.new(template=source.database_url), queue)

    def drop_all(self) -> None:
        if self.server is None:
            return
        with self._admin() as admin:
            for name in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def delete_queue(queue: str) -> None:
    """Remove a test's queue from the broker."""
    from kombu import Connection  # noqa: PLC0415

    with Connection(BROKER_URL, connect_timeout=5) as connection:
        channel = connection.default_channel
        try:
            channel.queue_delete(queue)
        except Exception:
            return


def purge_queue(queue: str) -> int:
    """Drop the messages waiting in a queue (as a broker that lost them would)."""
    from kombu import Connection  # noqa: PLC0415

    with Connection(BROKER_URL, connect_timeout=5) as connection:
        return int(connection.default_channel.queue_purge(queue) or 0)


def wait_until(condition: Any, timeout: float, what: str, step: float = 0.05) -> None:
    """Poll ``condition()`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
