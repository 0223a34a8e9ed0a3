"""The directory's pages: the searchable list, team and organisation profiles,
and the conflicting claims for community administrators."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from baobab.core.models import Team
from baobab.core.permissions import is_community_admin, require_community_admin
from baobab.core.views.access import acting
from baobab.directory.conflicts import find_conflicts
from baobab.directory.filtersets import OrganisationFilterSet, TeamFilterSet
from baobab.directory.models import Contact, Organisation
from baobab.directory.services import may_edit, teams_administered_by
from baobab.directory.views.access import (
    get_organisation,
    get_team,
    member_required,
    visible_contacts,
)

PAGE_SIZE = 50
TABS = ("teams", "organisations")


@member_required
def directory_list(request: HttpRequest) -> HttpResponse:
    """Teams or organisations, searched, filtered and paged; the other tab shows
    how many of its entries match the same search."""
    show = request.GET.get("show") if request.GET.get("show") in TABS else "teams"
    teams = TeamFilterSet(
        request.GET or None,
        queryset=Team.objects.annotate(organisation_count=Count("organisations")).order_by(
            "short_name"
        ),
    )
    organisations = OrganisationFilterSet(
        request.GET or None,
        queryset=Organisation.objects.select_related("managed_by").order_by("short_name"),
    )
    active, other = (teams, organisations) if show == "teams" else (organisations, teams)
    page = Paginator(active.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = {show: page.paginator.count, TABS[1 - TABS.index(show)]: other.qs.count()}
    return render(
        request,
        "directory/list.html",
        {
            "show": show,
            "filterset": active,
            "page": page,
            "counts": counts,
            "can_create_team": show == "teams" and is_community_admin(request.user),
            "can_create_organisation": show == "organisations"
            and teams_administered_by(acting(request)).exists(),
        },
    )


def _with_key_status(contacts: Iterable[Contact], now: dt.datetime) -> list[Contact]:
    """Contacts with ``fingerprint_display`` (groups of four) and ``pgp_expired`` set."""
    result = []
    for contact in contacts:
        fingerprint = contact.pgp_fingerprint
        contact.fingerprint_display = " ".join(  # type: ignore[attr-defined]
            fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4)
        )
        contact.pgp_expired = bool(  # type: ignore[attr-defined]
            contact.pgp_expires_at and contact.pgp_expires_at <= now
        )
        result.append(contact)
    return result


def _profile_context(
    request: HttpRequest, holder: Team | Organisation, contacts: QuerySet[Contact]
) -> dict[str, Any]:
    return {
        "holder": holder,
        "holder_type": "teams" if isinstance(holder, Team) else "organisations",
        "contacts": _with_key_status(contacts.prefetch_related("recipient_teams"), timezone.now()),
        "claims": holder.claims.order_by("kind", "value"),
        "can_edit": may_edit(request.user, holder),
        "is_community_admin": is_community_admin(request.user),
        "today": timezone.localdate(),
    }


@member_required
def team_detail(request: HttpRequest, short_name: str) -> HttpResponse:
    """A team's profile, the contacts the viewer may see, its constituency and
    the organisations it coordinates."""
    team = get_team(short_name)
    context = _profile_context(request, team, visible_contacts(request).filter(team=team))
    context["team"] = team
    context["organisations"] = team.organisations.order_by("short_name")
    return render(request, "directory/team_detail.html", context)


@member_required
def organisation_detail(request: HttpRequest, short_name: str) -> HttpResponse:
    """An organisation's profile, its visible contacts and its constituency."""
    organisation = get_organisation(short_name)
    context = _profile_context(
        request, organisation, visible_contacts(request).filter(organisation=organisation)
    )
    context["organisation"] = organisation
    return render(request, "directory/organisation_detail.html", context)


@member_required
def conflicts(request: HttpRequest) -> HttpResponse:
    """Duplicate and overlapping claims, for community administrators."""
    require_community_admin(request.user)
    found = find_conflicts()
    return render(
        request,
        "directory/conflicts.html",
        {
            "duplicates": [conflict for conflict in found if not conflict.overlap],
            "overlaps": [conflict for conflict in found if conflict.overlap],
        },
    )
