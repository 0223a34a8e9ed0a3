"""Indicator pages: the search (one box: a pasted value, defanged or not, is
found exactly), an indicator with the other teams that share or saw its
value, its sightings and versions, "we saw it too", and adding, changing
and deleting indicators. Every change goes through the services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baobab.core.views.access import acting
from baobab.sharing import services
from baobab.sharing.audience import audience
from baobab.sharing.choices import IndicatorKind
from baobab.sharing.correlation import correlations
from baobab.sharing.filtersets import IndicatorFilterSet, searched_values
from baobab.sharing.forms import IndicatorForm, SightingForm, show_service_errors
from baobab.sharing.models import Indicator, Relationship, Sighting
from baobab.sharing.queries import seen_contents, visible, visible_versions
from baobab.sharing.services import require_sharer_of_a_team, sharing_teams
from baobab.sharing.views.access import get_visible, may_change, member_required, require_sharer
from baobab.sharing.views.deleting import confirm_delete
from baobab.sharing.views.listing import filtered_list

GET_POST = require_http_methods(["GET", "POST"])


def indicator_url(indicator: Indicator) -> str:
    return reverse("sharing:indicator", args=[indicator.pk])


def _guessed(text: str) -> tuple[str, str] | None:
    """How a searched text was read: its type's name and canonical value."""
    if not text.strip():
        return None
    kind, spellings = searched_values(text)
    if kind is None:
        return None
    return str(IndicatorKind(kind).label), spellings[0]


@member_required
@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    """Indicators the user may see, searched and filtered, newest first."""
    user = acting(request)
    return filtered_list(
        request,
        IndicatorFilterSet,
        visible(Indicator, user),
        "sharing/indicator_list.html",
        {
            "tab": "indicators",
            "guessed": _guessed(request.GET.get("q", "")),
            "can_share": sharing_teams(user).exists(),
        },
    )


@member_required
@require_GET
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An indicator: its value and marking, who else shares or saw the value
    (as far as the user may see), its sightings, links and versions."""
    user = acting(request)
    indicator = get_visible(request, Indicator, pk)
    versions = list(
        visible_versions(user)
        .filter(owner_team_id=indicator.owner_team_id, stix_id=indicator.stix_id)
        .order_by("-modified")
    )
    contents = {content["modified"]: content for content in seen_contents(versions, user)}
    relationships = (
        visible(Relationship, user)
        .filter(Q(source_ref=indicator.stix_id) | Q(target_ref=indicator.stix_id))
        .select_related("owner_team")
    )
    return render(
        request,
        "sharing/indicator_detail.html",
        {
            "tab": "indicators",
            "indicator": indicator,
            "audience": audience(
                indicator.tlp,
                indicator.distribution,
                team=indicator.owner_team,
                group=indicator.sharing_group,
                recipients=indicator.recipient_teams.order_by("short_name"),
            ),
            "also_seen_by": correlations(indicator, user),
            "sightings": visible(Sighting, user)
            .filter(indicator=indicator)
            .select_related("owner_team"),
            "relationships": relationships,
            "versions": [
                (version, contents.get(version.content.get("modified"))) for version in versions
            ],
            "can_change": may_change(request, indicator),
            "sighting_form": SightingForm(user=user) if sharing_teams(user).exists() else None,
        },
    )


def _form_page(
    request: HttpRequest, form: IndicatorForm, *, title: str, cancel_url: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "sharing/indicator_form.html",
        {"tab": "indicators", "form": form, "title": title, "cancel_url": cancel_url},
        status=status,
    )


@member_required
@GET_POST
def indicator_create(request: HttpRequest) -> HttpResponse:
    """Share a new indicator for one of the user's teams."""
    user = acting(request)
    require_sharer_of_a_team(user)
    form = IndicatorForm(
        request.POST if request.method == "POST" else None,
        user=user,
        initial={"value": request.GET.get("value", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.create_indicator(
                form.owner(),
                acting_user=user,
                recipient_teams=form.recipients(),
                **form.fields_for_service(),
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("The indicator is shared."))
            return redirect(indicator_url(indicator))
    return _form_page(
        request,
        form,
        title=_("Share an indicator"),
        cancel_url=reverse("sharing:indicators"),
        status=400 if request.method == "POST" else 200,
    )


@member_required
@GET_POST
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an indicator (an analyst of its team); the change is a new version."""
    user = acting(request)
    indicator = get_visible(request, Indicator, pk)
    require_sharer(request, indicator)
    form = IndicatorForm(
        request.POST if request.method == "POST" else None, user=user, instance=indicator
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_indicator(
                indicator,
                form.fields_for_service(),
                acting_user=user,
                recipient_teams=form.recipients(),
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect(indicator_url(indicator))
    return _form_page(
        request,
        form,
        title=_("Edit %(indicator)s") % {"indicator": indicator.value},
        cancel_url=indicator_url(indicator),
        status=400 if request.method == "POST" else 200,
    )


@member_required
@GET_POST
def indicator_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an indicator after confirmation, with its versions and sightings."""
    indicator = get_visible(request, Indicator, pk)
    require_sharer(request, indicator)
    return confirm_delete(
        request,
        name=indicator.value,
        delete=lambda: services.delete_indicator(indicator, acting_user=acting(request)),
        tab="indicators",
        warning=_("Its versions and the sightings of it go with it."),
        cancel_url=indicator_url(indicator),
        done_url=reverse("sharing:indicators"),
    )


@member_required
@require_POST
def indicator_seen(request: HttpRequest, pk: int) -> HttpResponse:
    """“We saw it too”: record a sighting of the indicator for one of the
    user's teams, marked no wider than the indicator."""
    user = acting(request)
    indicator = get_visible(request, Indicator, pk)
    form = SightingForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.values()))
        return redirect(indicator_url(indicator))
    team = form.cleaned_data["team"]
    try:
        services.create_sighting(
            team, indicator, acting_user=user, **form.fields_for_service(indicator, team)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(team)s's sighting is recorded.") % {"team": team.short_name})
    return redirect(indicator_url(indicator))
