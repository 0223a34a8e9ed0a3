"""All writes of the pipeline: feeds, uploads, quarantine decisions and
retention. Permission checks and the audit log live here, so the web pages,
the API and the command line behave alike."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core.choices import Role
from baobab.core.models import User
from baobab.core.permissions import has_role, is_community_admin
from baobab.core.services import create_object, delete_object, update_object
from baobab.pipeline.choices import TAXONOMY_OF_TYPE, Collector, QuarantineStatus
from baobab.pipeline.collectors import validate_options
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord
from baobab.pipeline.parsers import UnknownParserError, get_parser, registry
from baobab.pipeline.parsers.base import Setup
from baobab.pipeline.runner import parser_options, run_chain, start_run
from baobab.pipeline.store import write_events

# --- who may ---------------------------------------------------------------------


def may_manage_feed(
    user: User | None, feed: Feed | None = None, team_id: int | None = None
) -> bool:
    """Community administrators manage every feed; a team's admins its own."""
    if user is None:
        return True  # the operator at the command line
    if is_community_admin(user):
        return True
    owner = feed.owner_team_id if feed is not None else team_id
    return owner is not None and has_role(user, owner, Role.ADMIN)


def may_submit_reports(user: User | None, feed: Feed) -> bool:
    """Analysts of the team running the feed; community administrators for the
    feeds no team runs. Whoever may submit reports also sees the feed's
    quarantine, raw data before any routing: TLP is about people, not roles,
    so a community administrator does not see another team's."""
    if user is None:
        return True  # the operator at the command line
    if feed.owner_team_id is None:
        return is_community_admin(user)
    return has_role(user, feed.owner_team_id, Role.ANALYST)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this with this feed."))


# --- feeds -----------------------------------------------------------------------


def _parser_errors(feed: Feed) -> dict[str, str]:
    """What is wrong with the feed's parser and report type, if anything."""
    if feed.collector == Collector.MISP:  # imported as shared objects: no parser
        if feed.parser:
            return {"parser": _("A MISP feed is read without a parser; leave it empty.")}
        return {}
    if not feed.parser:
        return {"parser": _("Choose the parser that reads this feed's reports.")}
    try:
        parser = get_parser(feed.parser)
    except UnknownParserError:
        return {
            "parser": _("Unknown parser %(name)s. Valid parsers: %(valid)s.")
            % {"name": feed.parser, "valid": ", ".join(registry())}
        }
    reports = list(parser.reports())
    # With an operator's data file (ShadowServer's schema) a parser knows
    # more types than it ships; the run itself refuses an unknown one then.
    options = parser_options(parser, feed.parser_options)
    extended = any(option in options for option in parser.data_file_options)
    if feed.report and reports and feed.report not in reports and not extended:
        return {
            "report": _("Unknown report type %(name)s. Valid report types: %(valid)s.")
            % {"name": feed.report, "valid": ", ".join(reports)}
        }
    return {}


def _check_feed(feed: Feed) -> None:
    errors = _parser_errors(feed)
    try:
        validate_options(feed.collector, feed.collector_options)
    except ValidationError as error:
        errors["collector_options"] = " ".join(error.messages)
    if feed.classification_type and feed.classification_type not in TAXONOMY_OF_TYPE:
        errors["classification_type"] = _("%(value)s is not an RSIT classification type.") % {
            "value": feed.classification_type
        }
    if errors:
        raise ValidationError(errors)


def create_feed(*, acting_user: User | None, **fields: Any) -> Feed:
    """Register a feed."""
    feed = Feed(**fields)
    _require(may_manage_feed(acting_user, team_id=feed.owner_team_id))
    _check_feed(feed)
    return create_object(feed, acting_user=acting_user)


def update_feed(feed: Feed, changes: dict[str, Any], *, acting_user: User | None) -> Feed:
    """Change a feed's settings."""
    _require(may_manage_feed(acting_user, feed))
    if "owner_team" in changes or "owner_team_id" in changes:
        new_owner = changes.get("owner_team_id") or getattr(changes.get("owner_team"), "pk", None)
        _require(may_manage_feed(acting_user, team_id=new_owner))
    candidate = copy.copy(feed)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _check_feed(candidate)
    # What the collector remembers is its own: a collection may be writing it now.
    return update_object(feed, changes, acting_user=acting_user, leave=["collector_state"])


def delete_feed(feed: Feed, *, acting_user: User | None) -> None:
    """Delete a feed with its runs, events and quarantined records."""
    _require(may_manage_feed(acting_user, feed))
    delete_object(feed, acting_user=acting_user)


def submit_report(
    feed: Feed,
    path: Path,
    *,
    source: str,
    file_name: str,
    acting_user: User | None,
    move: bool = False,
) -> FeedRun:
    """Run a report someone hands in (upload, command line)."""
    _require(may_submit_reports(acting_user, feed))
    return start_run(
        feed, path, source=source, file_name=file_name, acting_user=acting_user, move=move
    )


# --- quarantine ------------------------------------------------------------------


def reprocess(record: QuarantinedRecord, *, acting_user: User | None) -> bool:
    """Run a quarantined record through the chain again (after a fix to the
    parser, the feed or the directory). True when it is now stored; otherwise
    its reason is updated and it stays in quarantine."""
    feed = record.feed
    _require(may_submit_reports(acting_user, feed))
    run = record.run
    setup = Setup.from_json(run.setup) if run is not None and run.setup else Setup()
    raw = record.raw.encode("utf-8", "backslashreplace")
    result = run_chain(feed, setup, [raw], record.line or 1, timezone.now())
    if result.rejected or not result.events.height:
        reason = result.rejected[0].reason if result.rejected else _("no event in the record")
        record.reason = reason
        record.save(update_fields=["reason"])
        return False
    with transaction.atomic():
        write_events(feed, run, None, result.events, [], read=result.read)
        update_object(
            record,
            {"status": QuarantineStatus.REPROCESSED, "resolved_at": timezone.now()},
            acting_user=acting_user,
        )
    return True


def discard(record: QuarantinedRecord, *, acting_user: User | None) -> None:
    """Give up on a quarantined record (it stays listed as discarded)."""
    _require(may_submit_reports(acting_user, record.feed))
    update_object(
        record,
        {"status": QuarantineStatus.DISCARDED, "resolved_at": timezone.now()},
        acting_user=acting_user,
    )


# --- retention -------------------------------------------------------------------


def purge_events(*, now: dt.datetime | None = None) -> int:
    """Delete events older than their feed's retention (or the community's
    default, ``EVENT_RETENTION_DAYS``). Returns how many were deleted."""
    now = now or timezone.now()
    deleted = 0
    for feed in Feed.objects.all():
        days = feed.retention_days or settings.EVENT_RETENTION_DAYS
        cutoff = now - dt.timedelta(days=days)
        count, _detail = Event.objects.filter(feed=feed, time_observation__lt=cutoff).delete()
        deleted += count
    return deleted
