"""The entry page of notifications: the teams whose policies and outbox the
user may read, each with its policies, messages held for review and failed
messages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from baobab.notify.choices import MessageStatus
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.notify.queries import readable_teams
from baobab.notify.views.access import member_required


def _count(model: Any, **conditions: Any) -> Coalesce:
    """How many rows of ``model`` of the outer team match ``conditions``."""
    rows = (
        model.objects.filter(team=OuterRef("pk"), **conditions)
        .order_by()
        .values("team")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@member_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    """The user's teams (every team for community administrators)."""
    teams = readable_teams(request.user).annotate(
        policy_count=_count(NotificationPolicy),
        held=_count(OutboxMessage, status=MessageStatus.HELD),
        failed=_count(OutboxMessage, status=MessageStatus.FAILED),
    )
    return render(request, "notify/team_list.html", {"teams": teams})
