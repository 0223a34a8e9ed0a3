"""Who may open the notification pages, and finding the objects they name.

Every page names a team in its address. A team the user is not a member of
answers 404, as if it had no notifications at all — for community
administrators too: the messages carry the team's events."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from baobab.core.models import Team
from baobab.core.permissions import is_community_member
from baobab.core.views.access import acting, members_only
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage
from baobab.notify.queries import readable_teams, team_policies, team_templates
from baobab.notify.services import may_act_on_outbox, may_manage_notifications

member_required = members_only(
    is_community_member, _lazy("Only members of the community may see notifications.")
)


def get_team(request: HttpRequest, short_name: str) -> Team:
    """The team named in the address, when the user may read its
    notifications; 404 otherwise (whether it exists or not)."""
    return get_object_or_404(readable_teams(request.user), short_name__iexact=short_name)


def require_manager(request: HttpRequest, team: Team) -> None:
    """Refuse (403) unless the user administers ``team``."""
    if not may_manage_notifications(acting(request), team):
        raise PermissionDenied(_("Only the team's admins may change its notifications."))


def require_outbox_actor(request: HttpRequest, team: Team) -> None:
    """Refuse (403) unless the user is an analyst or an admin of ``team``."""
    if not may_act_on_outbox(acting(request), team):
        raise PermissionDenied(_("Only the team's analysts and admins may act on its outbox."))


def get_policy(team: Team, pk: int) -> NotificationPolicy:
    """A policy of ``team``, or 404."""
    return get_object_or_404(team_policies(team), pk=pk)


def get_template(team: Team, pk: int) -> MessageTemplate:
    """A message template of ``team``, or 404."""
    return get_object_or_404(team_templates(team), pk=pk)


def get_message(team: Team, pk: int) -> OutboxMessage:
    """A message of ``team``'s outbox, or 404."""
    return get_object_or_404(
        OutboxMessage.objects.select_related("team", "policy").filter(team=team), pk=pk
    )
