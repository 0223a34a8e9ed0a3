"""Who may open the notification pages, and finding the objects they name.

Every page names a team in its address. A team the user is not a member of
answers 404, as if it had no notifications at all, unless the user is a
community administrator, who may read (never change) every team's."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from baobab.core.models import Team, User
from baobab.core.permissions import is_community_admin
from baobab.core.visibility import viewer_for
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage
from baobab.notify.queries import readable_teams, team_policies, team_templates
from baobab.notify.services import may_act_on_outbox, may_manage_notifications

View = Callable[..., HttpResponse]


def member_required(view: View) -> View:
    """Send anonymous visitors to log in; refuse accounts outside the community."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (viewer_for(request.user).is_member or is_community_admin(request.user)):
            raise PermissionDenied(_("Only members of the community may see notifications."))
        return view(request, *args, **kwargs)

    return wrapped


def acting(request: HttpRequest) -> User:
    """The logged-in user making the request (the views are behind ``member_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user


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
