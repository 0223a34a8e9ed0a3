"""Who may read what of the pipeline, as querysets for the pages and the API.

- Feeds and their runs: every community member.
- Events: the one visibility rule (:func:`baobab.core.visibility.restrict`):
  the team running the feed owns its events, the team they are routed to is
  their named recipient; community administrators get no more.
- Quarantined records: whoever may submit reports for their feed
  (:func:`baobab.pipeline.services.may_submit_reports`), since their raw
  text is the feed's data before any routing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from baobab.core.choices import Role
from baobab.core.models import Membership
from baobab.core.permissions import is_community_admin, is_community_member
from baobab.core.visibility import restrict
from baobab.pipeline.models import Event, Feed, QuarantinedRecord

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import User

# The roles of a team that may submit its feeds' reports (as may_submit_reports).
REPORTING_ROLES = (Role.ANALYST, Role.ADMIN)


def may_read_pipeline(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` is a community member, who may see feeds and runs."""
    return is_community_member(user)


def visible_events(user: User | AnonymousUser | None) -> QuerySet[Event]:
    """The events ``user`` may see, with what their lists show."""
    events = Event.objects.select_related("feed", "team")
    return restrict(events, user)


def reportable_feeds(user: User | AnonymousUser | None) -> QuerySet[Feed]:
    """The feeds ``user`` may submit reports for (and so see the quarantine of)."""
    if user is None or not user.is_authenticated:
        return Feed.objects.none()
    teams = Membership.objects.filter(user_id=user.pk, role__in=REPORTING_ROLES).values("team_id")
    own = Feed.objects.filter(owner_team_id__in=teams)
    if is_community_admin(user):  # and the feeds no team runs; other teams' data stays theirs
        return own | Feed.objects.filter(owner_team__isnull=True)
    return own


def visible_quarantine(user: User | AnonymousUser | None) -> QuerySet[QuarantinedRecord]:
    """The quarantined records ``user`` may see and act on."""
    return QuarantinedRecord.objects.select_related("feed", "run").filter(
        feed__in=reportable_feeds(user).values("pk")
    )
