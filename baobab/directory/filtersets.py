"""Search and filters of the directory, shared by the web pages and the REST API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TeamType, VettingLevel
from baobab.core.models import Team
from baobab.directory.choices import ClaimKind, ClaimSource, ContactKind, OrganisationKind
from baobab.directory.claims import InvalidClaimError, normalise_claim_value
from baobab.directory.models import ConstituencyClaim, Contact, Organisation

ANY = _("Any")


def _search(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    """Names and short names containing every word of ``value``."""
    for word in value.split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(short_name__icontains=word))
    return queryset


class CountryFilter(django_filters.CharFilter):
    """A two-letter country code, in either case."""

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(**{self.field_name: value.strip().upper()})


class TeamFilterSet(django_filters.FilterSet):
    """Teams by free text, type, country and vetting level."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    team_type = django_filters.ChoiceFilter(
        choices=TeamType.choices, label=_("Type"), empty_label=ANY
    )
    country = CountryFilter(field_name="country", label=_("Country"), max_length=2)
    vetting_level = django_filters.ChoiceFilter(
        choices=VettingLevel.choices, label=_("Vetting level"), empty_label=ANY
    )

    class Meta:
        model = Team
        fields = ["q", "team_type", "country", "vetting_level"]

    def search(self, queryset: QuerySet[Team], name: str, value: str) -> QuerySet[Team]:
        """Teams whose name or short name holds every word searched."""
        return _search(queryset, value)


class OrganisationFilterSet(django_filters.FilterSet):
    """Organisations by free text, kind, country and coordinating team."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(
        choices=OrganisationKind.choices, label=_("Kind"), empty_label=ANY
    )
    country = CountryFilter(field_name="country", label=_("Country"), max_length=2)
    managed_by = django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("short_name"),
        to_field_name="short_name",
        label=_("Coordinating team"),
        empty_label=ANY,
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "country", "managed_by"]

    def search(
        self, queryset: QuerySet[Organisation], name: str, value: str
    ) -> QuerySet[Organisation]:
        """Organisations whose name or short name holds every word searched."""
        return _search(queryset, value)


class ContactFilterSet(django_filters.FilterSet):
    """Contacts by holder, kind, name and 24/7 reachability (after the visibility rule)."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    kind = django_filters.ChoiceFilter(
        choices=ContactKind.choices, label=_("Kind"), empty_label=ANY
    )
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    organisation = django_filters.NumberFilter(
        field_name="organisation_id", label=_("Organisation")
    )
    is_24x7 = django_filters.BooleanFilter(label=_("Reachable 24/7"))

    class Meta:
        model = Contact
        fields = ["q", "kind", "team", "organisation", "is_24x7"]


class ClaimFilterSet(django_filters.FilterSet):
    """Constituency claims by kind, value, holder and source.

    ``value`` matches the normalised spelling, so ``AS64500`` finds the claim
    stored as ``64500`` and ``Example.ORG.`` finds ``example.org``.
    """

    kind = django_filters.ChoiceFilter(choices=ClaimKind.choices, label=_("Kind"), empty_label=ANY)
    value = django_filters.CharFilter(method="filter_value", label=_("Value"))
    holder = django_filters.CharFilter(method="filter_holder", label=_("Holder (short name)"))
    team = django_filters.NumberFilter(field_name="team_id", label=_("Team"))
    organisation = django_filters.NumberFilter(
        field_name="organisation_id", label=_("Organisation")
    )
    source = django_filters.ChoiceFilter(
        choices=ClaimSource.choices, label=_("Source"), empty_label=ANY
    )

    class Meta:
        model = ConstituencyClaim
        fields = ["kind", "value", "holder", "team", "organisation", "source"]

    def filter_value(
        self, queryset: QuerySet[ConstituencyClaim], name: str, value: str
    ) -> QuerySet[ConstituencyClaim]:
        """Claims whose value equals ``value`` once normalised for its kind."""
        kinds = [self.data.get("kind")] if self.data.get("kind") in ClaimKind.values else None
        condition = Q(pk__in=[])
        for kind in kinds or ClaimKind.values:
            try:
                condition |= Q(kind=kind, value=normalise_claim_value(kind, value))
            except InvalidClaimError:
                continue
        return queryset.filter(condition)

    def filter_holder(
        self, queryset: QuerySet[ConstituencyClaim], name: str, value: str
    ) -> QuerySet[ConstituencyClaim]:
        """Claims of the team or organisation with this short name."""
        value = value.strip()
        return queryset.filter(
            Q(team__short_name__iexact=value) | Q(organisation__short_name__iexact=value)
        )
