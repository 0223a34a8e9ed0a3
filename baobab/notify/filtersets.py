"""Filters of the outbox and the policies, shared by the web pages and the
REST API. They only narrow a queryset; which teams' messages the user may
read at all is decided before (:mod:`baobab.notify.queries`)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from baobab.core.models import Team
from baobab.notify.choices import MessageStatus
from baobab.notify.models import NotificationPolicy, OutboxMessage

ANY = _("Any")


def _team_filter() -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("short_name"),
        to_field_name="short_name",
        label=_("Team"),
        help_text=_("The team's short name."),
        empty_label=ANY,
    )


class OutboxFilterSet(django_filters.FilterSet):
    """A team's outbox by status (the page names the team in its address)."""

    status = django_filters.ChoiceFilter(
        choices=MessageStatus.choices, label=_("Status"), empty_label=ANY
    )

    class Meta:
        model = OutboxMessage
        fields = ["status"]


class OutboxApiFilterSet(OutboxFilterSet):
    """Outbox messages by team and status."""

    team = _team_filter()

    class Meta:
        model = OutboxMessage
        fields = ["team", "status"]


class PolicyFilterSet(django_filters.FilterSet):
    """Notification policies by team."""

    team = _team_filter()

    class Meta:
        model = NotificationPolicy
        fields = ["team"]
