"""Filters shared by the web pages and the REST API of core data."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import AuditChannel
from baobab.core.models import AuditEntry


class DateInput(forms.DateInput):
    """A browser date picker."""

    input_type = "date"


class AuditEntryFilterSet(django_filters.FilterSet):
    """Narrow the audit log by object type, actor, channel, action and date."""

    object_type = django_filters.CharFilter(
        label=_("Object type"), help_text=_("Such as core.user or directory.contact.")
    )
    object_id = django_filters.CharFilter(label=_("Object id"))
    actor = django_filters.CharFilter(
        field_name="actor_name", lookup_expr="iexact", label=_("Actor (user name)")
    )
    channel = django_filters.ChoiceFilter(choices=AuditChannel.choices, label=_("Channel"))
    action = django_filters.CharFilter(label=_("Action"))
    since = django_filters.IsoDateTimeFilter(
        field_name="at",
        lookup_expr="gte",
        label=_("From"),
        help_text=_("A date (2025-01-31) or an ISO 8601 time; entries at or after it."),
        widget=DateInput,
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label=_("To"),
        help_text=_("A date; entries on or before that day."),
        widget=DateInput,
    )

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "channel", "action", "since", "until"]
