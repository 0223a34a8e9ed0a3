"""Search and filters of the pipeline, shared by the web pages and the REST
API: events (by IP or prefix, AS number, team, classification, feed, run and
time), feed runs and quarantined records.

The filters only narrow a queryset; what the user may see at all is decided
before, by the visibility rule (events) or by who may submit reports
(quarantine).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from baobab.core.models import Team
from baobab.directory.claims import InvalidClaimError, normalise_asn, normalise_prefix
from baobab.pipeline.choices import RSIT, QuarantineStatus, RunStatus, Taxonomy
from baobab.pipeline.event_rows import ip_key
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord

ANY = _("Any")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def classification_choices() -> list[tuple[Any, Any]]:
    """RSIT taxonomies, each followed by its types, grouped under the taxonomy."""
    labels = dict(Taxonomy.choices)
    return [
        (
            labels[taxonomy],
            [
                (taxonomy, _("%(taxonomy)s (every type)") % {"taxonomy": labels[taxonomy]}),
                *((type_, type_) for type_ in types),
            ],
        )
        for taxonomy, types in RSIT.items()
    ]


# --- form fields ---------------------------------------------------------------------


class PrefixField(forms.CharField):
    """An IP address or a CIDR prefix, IPv4 or IPv6, as a network."""

    def to_python(self, value: Any) -> IPNetwork | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return ipaddress.ip_network(normalise_prefix(text))
        except InvalidClaimError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class AsnField(forms.CharField):
    """An AS number, written AS64500 or 64500."""

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return normalise_asn(text)
        except InvalidClaimError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class MomentField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time (2025-01-31T12:00:00Z) or a date (2025-01-31).

    With ``end_of_day``, a date alone means the last moment of that day, so
    that "until 2025-01-31" includes the 31st.
    """

    def __init__(self, *args: Any, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        text = str(value).strip()
        if self.end_of_day and len(text) == len("2025-01-31"):
            moment = moment + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


# --- filters -------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class PrefixFilter(django_filters.Filter):
    """Events whose source address lies in a prefix (one address: a /32 or /128).

    The addresses are compared as 16-byte sortable keys, so a prefix is one
    range scan of the ``source_ip_key`` index, IPv4 and IPv6 alike.
    """

    field_class = PrefixField

    def filter(self, qs: QuerySet[Any], value: IPNetwork | None) -> QuerySet[Any]:
        if value is None:
            return qs
        first, last = ip_key(str(value[0])), ip_key(str(value[-1]))
        if first == last:
            return qs.filter(source_ip_key=first)
        return qs.filter(source_ip_key__range=(first, last))


@extend_schema_field(OpenApiTypes.STR)
class AsnFilter(django_filters.Filter):
    """Events whose source is in an autonomous system."""

    field_class = AsnField

    def filter(self, qs: QuerySet[Any], value: int | None) -> QuerySet[Any]:
        if value is None:
            return qs
        return qs.filter(source_asn=value)


class MomentFilter(django_filters.IsoDateTimeFilter):
    """A time bound; a date alone is taken as the start (or, given
    ``end_of_day=True``, the end) of that day."""

    field_class = MomentField


def _date_help() -> Any:
    return _("A date (2025-01-31) or an ISO 8601 time (2025-01-31T12:00:00Z).")


def _text_input(placeholder: str, size: int | None = None) -> forms.TextInput:
    attrs = {"placeholder": placeholder, "autocomplete": "off", "spellcheck": "false"}
    if size:
        attrs["size"] = str(size)
    return forms.TextInput(attrs=attrs)


class EventFilterSet(django_filters.FilterSet):
    """Events by source address or prefix, AS number, responsible team,
    classification (RSIT type or taxonomy), feed, run, observation time and
    host name or URL."""

    ip = PrefixFilter(
        label=_("IP address or prefix"),
        help_text=_("An address or a CIDR prefix, IPv4 or IPv6: 198.51.100.0/24, 2001:db8::/32."),
        widget=_text_input("198.51.100.0/24"),
    )
    asn = AsnFilter(
        label=_("AS number"),
        help_text=_("AS64500 or 64500."),
        widget=_text_input("AS64500", size=12),
    )
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("short_name"),
        to_field_name="short_name",
        label=_("Responsible team"),
        help_text=_("The short name of the team the events were routed to."),
        empty_label=ANY,
    )
    routed = django_filters.ChoiceFilter(
        choices=[("true", _("Routed to a team")), ("false", _("Unrouted"))],
        method="filter_routed",
        label=_("Routing"),
        help_text=_("true: routed to a team; false: outside the community's constituency."),
        empty_label=ANY,
    )
    classification = django_filters.ChoiceFilter(
        choices=classification_choices,
        method="filter_classification",
        label=_("Classification"),
        help_text=_("An RSIT type (scanner) or a whole taxonomy (vulnerable)."),
        empty_label=ANY,
    )
    feed = django_filters.ModelChoiceFilter(
        queryset=Feed.objects.order_by("name"),
        to_field_name="name",
        label=_("Feed"),
        help_text=_("The feed's name."),
        empty_label=ANY,
    )
    run = django_filters.NumberFilter(field_name="run_id", label=_("Run"), widget=forms.HiddenInput)
    since = MomentFilter(
        field_name="time_observation",
        lookup_expr="gte",
        label=_("Observed from"),
        help_text=_date_help(),
        widget=_text_input("2025-01-31", size=20),
    )
    until = MomentFilter(
        field_name="time_observation",
        lookup_expr="lte",
        label=_("Observed until"),
        help_text=_date_help(),
        widget=_text_input("2025-01-31", size=20),
        end_of_day=True,
    )
    q = django_filters.CharFilter(
        method="search",
        label=_("Host name or URL"),
        help_text=_("Part of the source host name or URL."),
        max_length=255,
        widget=_text_input("example.org"),
    )

    class Meta:
        model = Event
        fields = [
            "ip",
            "asn",
            "team",
            "routed",
            "classification",
            "feed",
            "run",
            "since",
            "until",
            "q",
        ]

    def filter_routed(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        """Events routed to a team ("true") or left unrouted ("false")."""
        return queryset.filter(team__isnull=value != "true")

    def filter_classification(
        self, queryset: QuerySet[Event], name: str, value: str
    ) -> QuerySet[Event]:
        """Events of this RSIT type, or of every type of this taxonomy."""
        if value in RSIT:
            return queryset.filter(classification_taxonomy=value)
        return queryset.filter(classification_type=value)

    def search(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        """Events whose source host name or URL contains ``value``."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(source_fqdn__icontains=value) | Q(source_url__icontains=value))


class FeedRunFilterSet(django_filters.FilterSet):
    """Runs by feed and status."""

    feed = django_filters.ModelChoiceFilter(
        queryset=Feed.objects.order_by("name"),
        to_field_name="name",
        label=_("Feed"),
        help_text=_("The feed's name."),
        empty_label=ANY,
    )
    status = django_filters.ChoiceFilter(
        choices=RunStatus.choices, label=_("Status"), empty_label=ANY
    )

    class Meta:
        model = FeedRun
        fields = ["feed", "status"]


class QuarantineFilterSet(django_filters.FilterSet):
    """Quarantined records by feed, run, status and reason."""

    feed = django_filters.ModelChoiceFilter(
        queryset=Feed.objects.order_by("name"),
        to_field_name="name",
        label=_("Feed"),
        help_text=_("The feed's name."),
        empty_label=ANY,
    )
    run = django_filters.NumberFilter(field_name="run_id", label=_("Run"))
    status = django_filters.ChoiceFilter(
        choices=QuarantineStatus.choices, label=_("Status"), empty_label=ANY
    )
    reason = django_filters.CharFilter(
        lookup_expr="icontains", label=_("Reason"), help_text=_("Part of the reason.")
    )

    class Meta:
        model = QuarantinedRecord
        fields = ["feed", "run", "status", "reason"]
