"""Search and filters of shared objects, used by the web pages and the REST
API alike. They only narrow a queryset: what the user may see at all is
decided before, by :func:`baobab.sharing.queries.visible`.

A value is searched exactly, by its canonical spelling: typed with its type
(``type`` and ``value``) it is normalised as that type; typed alone (or in
the one search box, ``q``) its type is guessed, so a defanged
``hxxp://evil[.]example`` finds ``http://evil.example/``. Text that is not
a value is looked for in names and descriptions.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TLP
from baobab.core.models import SharingGroup, Team
from baobab.sharing.choices import IndicatorKind
from baobab.sharing.models import Indicator, Relationship, Report, SharedObject, Sighting
from baobab.sharing.values import InvalidValueError, guess, normalise

ANY = _("Any")
MAX_SEARCH = 2_048


def searched_values(text: str, kind: str | None = None) -> tuple[str | None, list[str]]:
    """The type and the spellings to look for when ``text`` is searched as a
    value: its canonical spelling as ``kind`` (ValidationError when it is not
    one), or as the type it most likely has, and the text as typed (a file
    name, which is never guessed). No type when it is not a value."""
    raw = text.strip()
    if kind:
        try:
            return kind, [normalise(kind, raw)]
        except InvalidValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None
    found = guess(raw)
    if found is None:
        return None, [raw]
    return found[0].value, list(dict.fromkeys([found[1], raw]))


def tlp_value(text: str) -> str:
    """The TLP value of a label or value in any spelling (``TLP:AMBER+STRICT``
    arriving in a query string as ``TLP:AMBER STRICT`` too); the text as it
    is when it names none."""
    for spelling in (text, text.strip().replace(" ", "+")):
        try:
            return TLP.from_label(spelling).value
        except ValueError:
            continue
    return text


class TLPField(forms.MultipleChoiceField):
    """TLP levels as labels (``TLP:AMBER``) or values (``amber``)."""

    def to_python(self, value: Any) -> list[str]:
        return [tlp_value(str(item)) for item in super().to_python(value)]


class TLPFilter(django_filters.MultipleChoiceFilter):
    """One or more TLP levels, as labels (``TLP:AMBER+STRICT``) or values."""

    field_class = TLPField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", TLP.choices)
        kwargs.setdefault("label", _("TLP"))
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        return qs.filter(tlp__in=value) if value else qs


def _team_filter() -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        field_name="owner_team",
        queryset=Team.objects.order_by("short_name"),
        to_field_name="short_name",
        label=_("Team"),
        help_text=_("The short name of the team that shares it."),
        empty_label=ANY,
    )


def _yes_no() -> forms.Select:
    return forms.Select(choices=[("", ANY), ("true", _("Yes")), ("false", _("No"))])


class SharedFilterSet(django_filters.FilterSet):
    """What every shared object is filtered by: its team, TLP and whether it
    is still valid."""

    team = _team_filter()
    tlp = TLPFilter()
    active = django_filters.BooleanFilter(
        method="filter_active",
        label=_("Still valid"),
        help_text=_("Yes: not expired nor revoked. No: expired or revoked."),
        widget=_yes_no(),
    )
    expired = django_filters.BooleanFilter(
        method="filter_expired",
        label=_("Expired"),
        help_text=_("Yes: its validity has ended."),
        widget=_yes_no(),
    )

    def filter_active(
        self, queryset: QuerySet[SharedObject], name: str, value: bool | None
    ) -> QuerySet[SharedObject]:
        """Still valid (or, with no, expired or revoked)."""
        if value is None:
            return queryset
        current = Q(revoked=False) & (
            Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())
        )
        return queryset.filter(current) if value else queryset.exclude(current)

    def filter_expired(
        self, queryset: QuerySet[SharedObject], name: str, value: bool | None
    ) -> QuerySet[SharedObject]:
        """Whose validity has ended (or not)."""
        if value is None:
            return queryset
        ended = Q(valid_until__lte=timezone.now())
        return queryset.filter(ended) if value else queryset.exclude(ended)


class IndicatorSearchForm(forms.Form):
    """Checks a typed value against the type given with it."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        value = cleaned.get("value")
        if value:
            try:
                cleaned["value"] = searched_values(value, cleaned.get("type") or None)
            except ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


class IndicatorFilterSet(SharedFilterSet):
    """Indicators by value (exact, canonical), type, team, TLP, validity, or
    free text."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        max_length=MAX_SEARCH,
        help_text=_("A value (defanged or not) is found exactly; other text in names."),
    )
    type = django_filters.ChoiceFilter(
        field_name="kind", choices=IndicatorKind.choices, label=_("Type"), empty_label=ANY
    )
    value = django_filters.CharFilter(
        method="filter_value",
        label=_("Value"),
        max_length=MAX_SEARCH,
        help_text=_("Exactly this value, normalised as its type (given or guessed)."),
    )

    class Meta:
        model = Indicator
        form = IndicatorSearchForm
        fields = ["q", "type", "value", "team", "tlp", "active", "expired"]

    def filter_value(
        self, queryset: QuerySet[Indicator], name: str, value: tuple[str | None, list[str]]
    ) -> QuerySet[Indicator]:
        """The indicators with exactly this canonical value."""
        kind, spellings = value
        if kind and self.form.cleaned_data.get("type"):
            return queryset.filter(value__in=spellings, kind=kind)
        return queryset.filter(value__in=spellings)

    def search(self, queryset: QuerySet[Indicator], name: str, value: str) -> QuerySet[Indicator]:
        """A value when the text is one, else names and descriptions."""
        text = value.strip()
        if not text:
            return queryset
        kind, spellings = searched_values(text)
        if kind is not None:
            return queryset.filter(value__in=spellings)
        words = Q(value=text)
        for word in text.split()[:10]:
            words |= Q(name__icontains=word) | Q(description__icontains=word)
        return queryset.filter(words)


class ReportFilterSet(SharedFilterSet):
    """Reports by words of their title or text, team, TLP and validity."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)

    class Meta:
        model = Report
        fields = ["q", "team", "tlp", "active", "expired"]

    def search(self, queryset: QuerySet[Report], name: str, value: str) -> QuerySet[Report]:
        """Reports whose title or text holds every word."""
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(body__icontains=word))
        return queryset


class SightingFilterSet(SharedFilterSet):
    """Sightings by indicator (id), team, TLP and validity."""

    indicator = django_filters.NumberFilter(field_name="indicator_id", label=_("Indicator"))

    class Meta:
        model = Sighting
        fields = ["indicator", "team", "tlp", "active", "expired"]


class RelationshipFilterSet(SharedFilterSet):
    """Relationships by type, either end (a STIX id), team, TLP and validity."""

    relationship_type = django_filters.CharFilter(label=_("Relationship"))
    source_ref = django_filters.CharFilter(label=_("From"))
    target_ref = django_filters.CharFilter(label=_("To"))
    ref = django_filters.CharFilter(method="filter_ref", label=_("Either end"))

    class Meta:
        model = Relationship
        fields = ["relationship_type", "source_ref", "target_ref", "ref", "team", "tlp"]

    def filter_ref(
        self, queryset: QuerySet[Relationship], name: str, value: str
    ) -> QuerySet[Relationship]:
        """Relationships from or to this STIX id."""
        return queryset.filter(Q(source_ref=value) | Q(target_ref=value))


class SharingGroupFilterSet(django_filters.FilterSet):
    """Sharing groups by name and by a team that owns or is in them."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=200)
    team = django_filters.ModelChoiceFilter(
        method="filter_team",
        queryset=Team.objects.order_by("short_name"),
        to_field_name="short_name",
        label=_("Team"),
        help_text=_("A team that owns the group or is in it."),
        empty_label=ANY,
    )

    class Meta:
        model = SharingGroup
        fields = ["q", "team"]

    def search(
        self, queryset: QuerySet[SharingGroup], name: str, value: str
    ) -> QuerySet[SharingGroup]:
        """Groups whose name or description holds every word."""
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(name__icontains=word) | Q(description__icontains=word))
        return queryset

    def filter_team(
        self, queryset: QuerySet[SharingGroup], name: str, value: Team | None
    ) -> QuerySet[SharingGroup]:
        """Groups the team owns or is in."""
        if value is None:
            return queryset
        return queryset.filter(Q(owner_team=value) | Q(member_teams=value)).distinct()
