"""Template tags of notifications for other apps' pages: the warnings of a
team's policies that cannot be sent, shown on the team's directory page to
those who may read its notifications."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from baobab.core.models import Team
from baobab.core.permissions import role_in
from baobab.notify.services import unusable_policies

register = template.Library()


@register.inclusion_tag("notify/_policy_warnings.html", takes_context=True)
def policy_warnings(context: template.Context, team: Team) -> dict[str, Any]:
    """The team's enabled policies whose recipient cannot be written to, and why."""
    request = context.get("request")
    user = getattr(request, "user", None)
    # As may_read_outbox, from the roles the page has already read (no query).
    if role_in(user, team) is None:
        return {"unusable": []}
    return {
        "unusable": unusable_policies(team),
        "policies_url": reverse("notify:policies", args=[team.short_name]),
    }
