"""A team's notification policies: the list (each with its recipient, rhythm,
form and TLP ceiling, and why it cannot be used when it cannot), and
creating, changing and deleting them. Every change goes through the services
layer, which checks who may and audits."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from baobab.core.models import Team
from baobab.core.views.access import acting
from baobab.directory.forms import add_service_errors
from baobab.notify import services
from baobab.notify.forms import PolicyForm
from baobab.notify.models import NotificationPolicy
from baobab.notify.queries import team_policies
from baobab.notify.views.access import get_policy, get_team, member_required, require_manager

GET_POST = require_http_methods(["GET", "POST"])


def policies_url(team: Team) -> str:
    return reverse("notify:policies", args=[team.short_name])


@member_required
@require_GET
def policy_list(request: HttpRequest, team: str) -> HttpResponse:
    """The team's policies, with the warnings of those that cannot be used."""
    found = get_team(request, team)
    user = acting(request)
    unusable = services.unusable_policies(found)
    return render(
        request,
        "notify/policy_list.html",
        {
            "team": found,
            "tab": "policies",
            "policies": team_policies(found),
            "unusable": unusable,
            "unusable_ids": {policy.pk for policy, _reason in unusable},
            "can_manage": services.may_manage_notifications(user, found),
        },
    )


def _form_page(
    request: HttpRequest,
    form: PolicyForm,
    save: Callable[[], NotificationPolicy],
    *,
    title: str,
    done: str,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``save`` and go back to the list."""
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(policies_url(form.team))
    return render(
        request,
        "notify/form.html",
        {
            "form": form,
            "team": form.team,
            "tab": "policies",
            "title": title,
            "cancel_url": policies_url(form.team),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required
@GET_POST
def policy_create(request: HttpRequest, team: str) -> HttpResponse:
    """A new policy of the team (its admins)."""
    found = get_team(request, team)
    require_manager(request, found)
    user = acting(request)
    form = PolicyForm(request.POST if request.method == "POST" else None, team=found)
    return _form_page(
        request,
        form,
        lambda: services.create_policy(found, form.changes(), acting_user=user),
        title=_("New notification policy"),
        done=_("The policy was created."),
    )


@member_required
@GET_POST
def policy_edit(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Change a policy (the team's admins)."""
    found = get_team(request, team)
    require_manager(request, found)
    policy = get_policy(found, pk)
    user = acting(request)
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(policy),
        team=found,
    )
    return _form_page(
        request,
        form,
        lambda: services.update_policy(policy, form.changes(), acting_user=user),
        title=_("Edit %(name)s") % {"name": policy.name},
        done=_("The policy was saved."),
    )


@member_required
@GET_POST
def policy_delete(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Delete a policy after confirmation; its messages stay in the outbox."""
    found = get_team(request, team)
    require_manager(request, found)
    policy = get_policy(found, pk)
    if request.method == "POST":
        services.delete_policy(policy, acting_user=acting(request))
        messages.success(request, _("%(object)s was deleted.") % {"object": policy.name})
        return redirect(policies_url(found))
    return render(
        request,
        "notify/confirm_delete.html",
        {
            "team": found,
            "tab": "policies",
            "object": policy.name,
            "title": _("Delete %(name)s") % {"name": policy.name},
            "warning": _("Its messages stay in the outbox; no new one is built."),
            "cancel_url": policies_url(found),
        },
    )
