"""What of notifications a user may read, as querysets for the pages and the
API: the teams whose policies and outbox they see (:func:`may_read_outbox`:
the team's members, and community administrators), the contacts a team's
policy may write to (the one visibility rule, as the team sees), and the
outbox without its heavy columns for lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from baobab.core.models import Team
from baobab.core.visibility import restrict, viewer_for_team
from baobab.directory.models import Contact
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import User

# Columns a list of the outbox never shows (they may be large).
HEAVY_COLUMNS = ("body", "attachment", "copy_to")


def member_teams(user: User | AnonymousUser | None) -> QuerySet[Team]:
    """The teams ``user`` is a member of."""
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user_id=user.pk).order_by("short_name")


def readable_teams(user: User | AnonymousUser | None) -> QuerySet[Team]:
    """The teams whose policies and outbox ``user`` may read: their own. A
    community administrator gets no more (messages carry the teams' events
    up to their TLP ceiling, and the visibility rule gives admins no more)."""
    return member_teams(user)


def visible_policies(user: User | AnonymousUser | None) -> QuerySet[NotificationPolicy]:
    """The notification policies of the teams ``user`` may read."""
    return NotificationPolicy.objects.select_related("team", "contact", "template").filter(
        team__in=readable_teams(user).values("pk")
    )


def visible_outbox(user: User | AnonymousUser | None) -> QuerySet[OutboxMessage]:
    """The outbox messages of the teams ``user`` may read."""
    return OutboxMessage.objects.select_related("team").filter(
        team__in=readable_teams(user).values("pk")
    )


def outbox_rows(messages: QuerySet[OutboxMessage]) -> QuerySet[OutboxMessage]:
    """``messages`` as a list shows them: newest first, without bodies and attachments."""
    return messages.defer(*HEAVY_COLUMNS).order_by("-created_at", "-id")


def team_policies(team: Team) -> QuerySet[NotificationPolicy]:
    """A team's policies with what their list shows."""
    return team.notification_policies.select_related(
        "team", "contact", "contact__organisation", "template"
    ).order_by("name")


def team_templates(team: Team) -> QuerySet[MessageTemplate]:
    """A team's message templates."""
    return team.message_templates.order_by("name", "language")


def policy_contacts(team: Team) -> QuerySet[Contact]:
    """The contacts a policy of ``team`` may write to: those the team may see."""
    contacts = Contact.objects.select_related("team", "organisation").order_by("name")
    return restrict(contacts, viewer_for_team(team.pk))
