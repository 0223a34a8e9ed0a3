"""What every collector shares: its errors, the size limit, the spool folder
for fetched files, the hand-over to the runner and the record of a failure."""

from __future__ import annotations

import contextlib
import logging
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Feed, FeedRun

if TYPE_CHECKING:
    from baobab.core.models import User

logger = logging.getLogger("baobab.pipeline.collectors")

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
COPY_BUFFER = 1024 * 1024


class CollectorError(Exception):
    """A collector could not do its work; the message says why, for people."""


class FeedBusyError(CollectorError):
    """Another worker is collecting the same feed right now."""


class TooLargeError(CollectorError):
    """A report, body, message or unpacked archive is over the size limit."""


def max_bytes() -> int:
    """The largest report any collector accepts (setting ``COLLECTOR_MAX_BYTES``)."""
    return int(getattr(settings, "COLLECTOR_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large(limit: int) -> TooLargeError:
    """The error for a report over ``limit`` bytes."""
    return TooLargeError(
        _("The report is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    )


@contextlib.contextmanager
def spool_dir() -> Iterator[Path]:
    """A private temporary folder in the data folder, removed on leaving, for
    files on their way to the runner (next to its storage, so a move is cheap)."""
    base = Path(settings.DATA_DIR) / "spool"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="collect-") as name:
        yield Path(name)


def tls_context(ca_file: str) -> ssl.SSLContext:
    """A client TLS context checking certificates against ``ca_file`` (PEM),
    or the system's authorities when it is empty."""
    try:
        return ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise CollectorError(
            _("Cannot read the certificate authorities in %(file)s: %(error)s")
            % {"file": ca_file, "error": exc}
        ) from exc


def clean_file_name(name: str | None, default: str = "") -> str:
    """The last component of a file name from outside (a header, an e-mail, a
    form), without any folder part, control character or leading dot."""
    if not name:
        return default
    last = PureWindowsPath(PurePosixPath(name.strip()).name).name
    last = "".join(ch for ch in last if ch.isprintable()).strip().lstrip(".")
    return last[:255] or default


def hand_over(
    feed: Feed,
    path: Path,
    *,
    source: str,
    file_name: str | None,
    acting_user: User | None,
    move: bool,
) -> FeedRun:
    """Give one report to the runner, which stores it and starts its run."""
    from baobab.pipeline.runner import start_run  # noqa: PLC0415 - the runner imports Celery tasks

    return start_run(
        feed, path, source=source, file_name=file_name, acting_user=acting_user, move=move
    )


def failed_run(feed: Feed, *, source: str, message: str) -> FeedRun:
    """Record a run that failed before the runner got its report, so the
    feed's page shows the error like any other."""
    now = timezone.now()
    logger.warning("feed %s: %s (%s)", feed.name, message, source)
    return FeedRun.objects.create(
        feed=feed,
        status=RunStatus.FAILED,
        source=source[:500],
        started_at=now,
        finished_at=now,
        duration_seconds=0.0,
        errors=[message],
    )


@dataclass
class Job:
    """One collection of one feed: what it was asked and the runs it started."""

    feed: Feed
    acting_user: User | None = None
    force: bool = False
    source: str = ""
    runs: list[FeedRun] = field(default_factory=list)

    def fail(self, message: str, *, source: str | None = None) -> FeedRun:
        """Record a failure of this collection (or of one of its reports)."""
        run = failed_run(self.feed, source=source or self.source, message=message)
        self.runs.append(run)
        return run

    def ingest(self, path: Path, *, file_name: str, source: str, move: bool) -> list[FeedRun]:
        """Hand a fetched file to the runner: unpacked first if it is gzip'd or
        a ZIP archive (each report in it becomes its own run)."""
        from baobab.pipeline.collectors.unpack import unpack  # noqa: PLC0415 - cycle

        runs: list[FeedRun] = []
        with spool_dir() as scratch:
            for report, name in unpack(path, file_name, scratch, limit=max_bytes()):
                run = hand_over(
                    self.feed,
                    report,
                    source=source,
                    file_name=name,
                    acting_user=self.acting_user,
                    move=move or report != path,
                )
                runs.append(run)
                self.runs.append(run)
        return runs


def any_failed(runs: list[FeedRun]) -> bool:
    """Whether one of ``runs`` has failed already (the runner ran it in process)."""
    return any(run.status == RunStatus.FAILED for run in runs)
