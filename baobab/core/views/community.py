"""Pages for those who manage people: a team's members (team admins) and the
community's audit log and settings (community administrators)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from baobab.core import services
from baobab.core.choices import Role
from baobab.core.filtersets import AuditEntryFilterSet
from baobab.core.forms import AddMemberForm, CommunitySettingsForm, NewMemberForm, RoleForm
from baobab.core.models import AuditEntry, CommunitySettings, Membership, Team, User
from baobab.core.permissions import has_role, require_community_admin

AUDIT_PAGE_SIZE = 50


def _acting_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required guarantees it
    return user


def _attach_errors(form: forms.Form, exc: ValidationError, field: str | None = None) -> None:
    """Show a service's validation error on ``form`` (on ``field`` when it names none)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, exc.messages)


def _member_action(request: HttpRequest, team: Team, acting: User) -> HttpResponse | None:
    """Change the role of, or remove, one member (POST ``action`` role or remove)."""
    membership_id = request.POST.get("membership", "")
    if not membership_id.isdigit():
        return HttpResponseBadRequest(_("Say which membership to change."))
    membership = get_object_or_404(
        Membership.objects.select_related("user", "team"), pk=int(membership_id), team=team
    )
    try:
        if request.POST["action"] == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                return HttpResponseBadRequest(_("Choose a valid role."))
            role = Role(form.cleaned_data["role"])
            services.set_membership(membership.user, team, role, acting_user=acting)
            messages.success(
                request,
                _("%(user)s is now %(role)s.") % {"user": membership.user, "role": role.label},
            )
        else:
            services.remove_membership(membership, acting_user=acting)
            messages.success(
                request,
                _("%(user)s is no longer in %(team)s.") % {"user": membership.user, "team": team},
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def team_members(request: HttpRequest, short_name: str) -> HttpResponse:
    """List a team's members; add, create, change the role of or remove them."""
    team = get_object_or_404(Team, short_name__iexact=short_name)
    acting = _acting_user(request)
    if not has_role(acting, team, Role.ADMIN):
        raise PermissionDenied(_("Only the team's admins may manage its members."))
    add_form = AddMemberForm(prefix="add")
    new_form = NewMemberForm(prefix="new")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            add_form = AddMemberForm(request.POST, prefix="add")
            if add_form.is_valid():
                user = add_form.cleaned_data["username"]
                role = Role(add_form.cleaned_data["role"])
                try:
                    services.set_membership(user, team, role, acting_user=acting)
                except ValidationError as exc:
                    _attach_errors(add_form, exc)
                else:
                    messages.success(
                        request,
                        _("%(user)s is in %(team)s as %(role)s.")
                        % {"user": user, "team": team, "role": role.label},
                    )
                    return redirect("core:team-members", short_name=team.short_name)
        elif action == "create":
            new_form = NewMemberForm(request.POST, prefix="new")
            if new_form.is_valid():
                data = new_form.cleaned_data
                try:
                    user = services.add_user(
                        data["username"],
                        team=team,
                        role=Role(data["role"]),
                        email=data["email"],
                        password=data["password"] or None,
                        acting_user=acting,
                    )
                except ValidationError as exc:
                    _attach_errors(new_form, exc, "password")
                else:
                    messages.success(
                        request,
                        _("The account %(user)s is created in %(team)s.")
                        % {"user": user, "team": team},
                    )
                    return redirect("core:team-members", short_name=team.short_name)
        elif action in ("role", "remove"):
            response = _member_action(request, team, acting)
            if response is not None:
                return response
            return redirect("core:team-members", short_name=team.short_name)
        else:
            return HttpResponseBadRequest(_("Unknown action."))
    context = {
        "team": team,
        "memberships": team.memberships.select_related("user").order_by("user__username"),
        "role_choices": Role.choices,
        "add_form": add_form,
        "new_form": new_form,
    }
    return render(request, "core/team_members.html", context)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """The fields an entry records, each with its value before and after."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    return [
        (name, _display(before.get(name)), _display(after.get(name)))
        for name in sorted(set(before) | set(after))
    ]


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, filtered and paginated; community administrators only."""
    require_community_admin(request.user)
    filterset = AuditEntryFilterSet(request.GET, queryset=AuditEntry.objects.all())
    page = Paginator(filterset.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": filterset.form,
        "page": page,
        "entries": [(entry, audit_changes(entry)) for entry in page.object_list],
        "querystring": query.urlencode(),
        "object_types": AuditEntry.objects.order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct(),
    }
    return render(request, "core/audit_log.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def community_settings(request: HttpRequest) -> HttpResponse:
    """The community's name and which roles must use a second factor."""
    require_community_admin(request.user)
    current = CommunitySettings.load()
    form = CommunitySettingsForm(
        request.POST or None,
        initial={"name": current.name, "totp_required_roles": current.totp_required_roles},
    )
    if request.method == "POST" and form.is_valid():
        services.update_community_settings(form.changes(), acting_user=_acting_user(request))
        messages.success(request, _("The community settings are saved."))
        return redirect("core:community-settings")
    return render(request, "core/community_settings.html", {"form": form})
