"""Reports uploaded through the web page or the API.

Any enabled feed takes uploads (an analyst may hand in a report its mailbox
missed) from whoever the pipeline's services let submit reports (analysts
of the team running the feed, community administrators). The file is copied
within ``COLLECTOR_MAX_BYTES``; a gzip'd file, or a ZIP archive holding one
report, is unpacked.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import (
    CollectorError,
    clean_file_name,
    hand_over,
    max_bytes,
    spool_dir,
)
from baobab.pipeline.collectors.unpack import Readable, spool_copy, unpack
from baobab.pipeline.models import Feed, FeedRun

if TYPE_CHECKING:
    from baobab.core.models import User


def receive_upload(
    feed: Feed, fileobj: Readable, *, file_name: str, acting_user: User | None
) -> FeedRun:
    """Store an uploaded report and start its run.

    ``acting_user`` None is the system (a command run by the operator).
    Raises ``PermissionDenied`` for a user who may not upload here, and
    ``CollectorError`` (its message is for the uploader) when the feed is
    disabled, or the file too large or an unreadable archive.
    """
    from baobab.pipeline.services import may_submit_reports  # noqa: PLC0415 - services use us

    if not may_submit_reports(acting_user, feed):
        raise PermissionDenied(
            _("You need the analyst role in the team running the feed %(feed)s.")
            % {"feed": feed.name}
        )
    if not feed.enabled:
        raise CollectorError(_("The feed %(feed)s is disabled.") % {"feed": feed.name})
    name = clean_file_name(file_name, default="upload")
    limit = max_bytes()
    with spool_dir() as scratch:
        received = scratch / "upload"
        spool_copy(fileobj, received, limit=limit)
        unpacked = scratch / "unpacked"
        unpacked.mkdir()
        with contextlib.closing(unpack(received, name, unpacked, limit=limit)) as reports:
            first = next(reports, None)
            if first is None:
                raise CollectorError(_("The upload holds no report."))
            if next(reports, None) is not None:
                raise CollectorError(_("The archive holds several reports: upload one at a time."))
        path, report_name = first
        # Stored, so not translated.
        who = acting_user.get_username() if acting_user is not None else "system"
        return hand_over(
            feed,
            path,
            source=f"upload ({who})",
            file_name=report_name,
            acting_user=acting_user,
            move=True,
        )
