"""Sharing group pages: the list, a group with its teams, and managing it
through :mod:`baobab.sharing.groups`: the owner team's admins create,
rename and delete it and add or remove teams; member teams' admins add
teams when the owner allows it, and take their own team out (leave)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from baobab.core.choices import Role
from baobab.core.models import SharingGroup
from baobab.core.permissions import has_role
from baobab.core.views.access import acting
from baobab.sharing import groups
from baobab.sharing.filtersets import SharingGroupFilterSet
from baobab.sharing.forms import GroupTeamForm, SharingGroupForm, show_service_errors
from baobab.sharing.groups import administered_teams
from baobab.sharing.views.access import get_group, member_required
from baobab.sharing.views.deleting import confirm_delete

PAGE_SIZE = 50
GET_POST = require_http_methods(["GET", "POST"])


def group_url(group: SharingGroup) -> str:
    return reverse("sharing:group", args=[group.pk])


@member_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    """Every sharing group of the community, with its owner and teams."""
    user = acting(request)
    filterset = SharingGroupFilterSet(
        request.GET or None,
        queryset=groups.visible_groups(user)
        .select_related("owner_team")
        .prefetch_related("member_teams")
        .order_by("name", "id"),
    )
    invalid = filterset.is_bound and not filterset.is_valid()
    rows = SharingGroup.objects.none() if invalid else filterset.qs
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sharing/group_list.html",
        {
            "tab": "groups",
            "filterset": filterset,
            "page": page,
            "can_create": administered_teams(user).exists(),
        },
        status=400 if invalid else 200,
    )


@member_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A group: its owner, its teams, and what the user may do with it."""
    user = acting(request)
    group = get_group(request, pk)
    can_manage = groups.may_manage(user, group)
    members = [
        (team, can_manage or has_role(user, team, Role.ADMIN))
        for team in group.member_teams.order_by("short_name")
    ]
    return render(
        request,
        "sharing/group_detail.html",
        {
            "tab": "groups",
            "group": group,
            "members": members,
            "can_manage": can_manage,
            "add_form": GroupTeamForm(group=group) if groups.may_add_teams(user, group) else None,
        },
    )


def _form_page(
    request: HttpRequest, form: SharingGroupForm, *, title: str, cancel_url: str
) -> HttpResponse:
    return render(
        request,
        "sharing/group_form.html",
        {"tab": "groups", "form": form, "title": title, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


@member_required
@GET_POST
def group_create(request: HttpRequest) -> HttpResponse:
    """A new group, owned by a team the user administers."""
    user = acting(request)
    if not administered_teams(user).exists():
        raise PermissionDenied(_("Only a team's admins create sharing groups."))
    form = SharingGroupForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            group = groups.create_group(
                form.cleaned_data["owner_team"],
                acting_user=user,
                member_teams=list(form.cleaned_data.get("member_teams") or []),
                **form.changes(),
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("The sharing group was created."))
            return redirect(group_url(group))
    return _form_page(
        request, form, title=_("New sharing group"), cancel_url=reverse("sharing:groups")
    )


@member_required
@GET_POST
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a group or change whether members may add teams (its managers)."""
    user = acting(request)
    group = get_group(request, pk)
    if not groups.may_manage(user, group):
        raise PermissionDenied(_("Only the admins of the owner team manage this group."))
    form = SharingGroupForm(
        request.POST if request.method == "POST" else None, user=user, instance=group
    )
    if request.method == "POST" and form.is_valid():
        try:
            groups.update_group(group, form.changes(), acting_user=user)
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, _("The sharing group was saved."))
            return redirect(group_url(group))
    return _form_page(
        request,
        form,
        title=_("Edit %(group)s") % {"group": group.name},
        cancel_url=group_url(group),
    )


@member_required
@require_POST
def group_add_team(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a team in the group."""
    user = acting(request)
    group = get_group(request, pk)
    if not groups.may_add_teams(user, group):
        raise PermissionDenied(_("You may not add teams to this group."))
    form = GroupTeamForm(request.POST, group=group)
    if form.is_valid():
        team = form.cleaned_data["team"]
        groups.add_team(group, team, acting_user=user)
        messages.success(request, _("%(team)s is in the group.") % {"team": team.short_name})
    else:
        messages.error(request, " ".join(str(error) for error in form.errors.values()))
    return redirect(group_url(group))


@member_required
@require_POST
def group_remove_team(request: HttpRequest, pk: int, team: int) -> HttpResponse:
    """Take a team out of the group (its managers), or leave it (the team's admins)."""
    user = acting(request)
    group = get_group(request, pk)
    member = get_object_or_404(group.member_teams.all(), pk=team)
    groups.remove_team(group, member, acting_user=user)
    messages.success(
        request, _("%(team)s is no longer in the group.") % {"team": member.short_name}
    )
    return redirect(group_url(group))


@member_required
@GET_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a group nothing is shared with any more (its managers)."""
    user = acting(request)
    group = get_group(request, pk)
    if not groups.may_manage(user, group):
        raise PermissionDenied(_("Only the admins of the owner team manage this group."))
    return confirm_delete(
        request,
        name=group.name,
        delete=lambda: groups.delete_group(group, acting_user=user),
        tab="groups",
        warning=_("Only a group nothing is shared with any more can be deleted."),
        cancel_url=group_url(group),
        done_url=reverse("sharing:groups"),
    )
