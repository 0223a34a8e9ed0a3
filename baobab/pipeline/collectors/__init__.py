"""Collectors: where a feed's reports come from — a file or a watched folder,
an HTTP(S) address, an IMAP mailbox, or uploads — handed to the runner; and
MISP feeds, whose events go to the sharing app instead.

:func:`collect` fetches what is new for one feed, :func:`due_feeds` says
which scheduled feeds should be collected now, :func:`validate_options`
checks a feed's collector options (for forms and the API), and
:func:`receive_upload` takes an uploaded report. Each collector module
documents its options.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from baobab.pipeline.choices import Collector
from baobab.pipeline.collectors import files, http, imap, misp
from baobab.pipeline.collectors.base import CollectorError, FeedBusyError, Job, TooLargeError
from baobab.pipeline.collectors.options import OptionsError
from baobab.pipeline.collectors.state import is_due, lease
from baobab.pipeline.collectors.upload import receive_upload
from baobab.pipeline.models import Feed, FeedRun

if TYPE_CHECKING:
    from baobab.core.models import User

__all__ = [
    "CollectorError",
    "FeedBusyError",
    "OptionsError",
    "TooLargeError",
    "collect",
    "due_feeds",
    "receive_upload",
    "validate_options",
]

COLLECTORS: dict[str, Callable[[Job], None]] = {
    Collector.FILE: files.collect,
    Collector.HTTP: http.collect,
    Collector.IMAP: imap.collect,
    Collector.MISP: misp.collect,
}
OPTION_READERS: dict[str, Callable[[Any], object]] = {
    Collector.FILE: files.read_options,
    Collector.HTTP: http.read_options,
    Collector.IMAP: imap.read_options,
    Collector.MISP: misp.read_options,
}


def collect(feed: Feed, *, acting_user: User | None = None, force: bool = False) -> list[FeedRun]:
    """Fetch what is new for ``feed`` and start a run for each report.

    Returns the runs started, and a failed run recording the error when the
    collection failed (a server down, a wrong option): nothing new, no run.
    ``force`` ignores what the HTTP and file collectors remember (ETag,
    fingerprint), so an unchanged report is read again; IMAP messages
    already read stay read. Raises ``CollectorError`` for a
    disabled feed or one that only takes uploads, and ``FeedBusyError`` while
    another worker collects the same feed.
    """
    if not feed.enabled:
        raise CollectorError(_("The feed %(feed)s is disabled.") % {"feed": feed.name})
    fetch = COLLECTORS.get(feed.collector)
    if fetch is None:
        raise CollectorError(
            _("The feed %(feed)s takes uploads: there is nothing to fetch.") % {"feed": feed.name}
        )
    job = Job(feed=feed, acting_user=acting_user, force=force, source=feed.collector)
    with lease(feed):
        try:
            fetch(job)
        except CollectorError as exc:
            job.fail(str(exc))
    return job.runs


def due_feeds(now: dt.datetime) -> list[Feed]:
    """The enabled, scheduled feeds whose next fetch is due at ``now`` (and
    that no worker is collecting)."""
    scheduled = Feed.objects.filter(
        enabled=True, schedule_minutes__gt=0, collector__in=list(COLLECTORS)
    ).order_by("id")
    return [feed for feed in scheduled if is_due(feed, now)]


def validate_options(collector: str, options: Any) -> None:
    """Check a feed's collector options; ``ValidationError`` listing every
    problem. Environment variables are only checked by name here: they are
    read on the workers, at fetch time."""
    reader = OPTION_READERS.get(collector)
    if reader is None:
        if options:
            raise ValidationError(_("Upload feeds take no collector options."))
        return
    try:
        reader(options)
    except OptionsError as exc:
        raise ValidationError(exc.messages) from exc
    except CollectorError as exc:
        raise ValidationError(str(exc)) from exc
