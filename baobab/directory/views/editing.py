"""The directory's edit pages: create, change and delete teams, organisations,
contacts and claims. Each page checks who may use it, then hands the values to
the services layer, which checks again, writes and audits."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from baobab.core import services as core_services
from baobab.core.permissions import require_community_admin
from baobab.core.views.access import acting
from baobab.directory import services
from baobab.directory.forms import (
    ClaimForm,
    ContactForm,
    OrganisationForm,
    TeamForm,
    add_service_errors,
)
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.views.access import (
    get_claim,
    get_contact,
    get_holder,
    get_organisation,
    get_team,
    holder_url,
    member_required,
    require_editor,
)

_M = TypeVar("_M", bound=Model)

GET_POST = require_http_methods(["GET", "POST"])


def _form_page(
    request: HttpRequest,
    form: BaseForm,
    save: Callable[[], _M],
    *,
    title: str,
    cancel_url: str,
    success_url: Callable[[_M], str],
    done: str,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``save`` and go to ``success_url``.

    A :class:`ValidationError` from the service is shown on the form.
    """
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(success_url(saved))
    return render(
        request,
        "directory/form.html",
        {"form": form, "title": title, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


def _delete_page(
    request: HttpRequest,
    obj: Model,
    delete: Callable[[], None],
    *,
    title: str,
    warning: str,
    cancel_url: str,
    success_url: str,
) -> HttpResponse:
    """Ask for confirmation; on POST call ``delete``, showing why if it is refused."""
    error = ""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("%(object)s was deleted.") % {"object": obj})
            return redirect(success_url)
    return render(
        request,
        "directory/confirm_delete.html",
        {
            "object": obj,
            "title": title,
            "warning": warning,
            "error": error,
            "cancel_url": cancel_url,
        },
        status=400 if error else 200,
    )


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# --- teams -------------------------------------------------------------------


@member_required
@GET_POST
def team_create(request: HttpRequest) -> HttpResponse:
    """A new team (community administrators)."""
    require_community_admin(acting(request))
    form = TeamForm(_data(request), user=acting(request))
    return _form_page(
        request,
        form,
        lambda: core_services.create_team(acting_user=acting(request), **form.changes()),
        title=_("New team"),
        cancel_url=reverse("directory:list"),
        success_url=holder_url,
        done=_("The team was created."),
    )


@member_required
@GET_POST
def team_edit(request: HttpRequest, short_name: str) -> HttpResponse:
    """Change a team's profile (its admins; the vetting level, community admins)."""
    team = get_team(short_name)
    require_editor(request, team)
    form = TeamForm(_data(request), instance=copy.copy(team), user=acting(request))
    return _form_page(
        request,
        form,
        lambda: core_services.update_team(team, form.changes(), acting_user=acting(request)),
        title=_("Edit %(name)s") % {"name": team.name},
        cancel_url=holder_url(team),
        success_url=holder_url,
        done=_("The team was saved."),
    )


@member_required
@GET_POST
def team_delete(request: HttpRequest, short_name: str) -> HttpResponse:
    """Delete a team with its contacts and claims (community administrators)."""
    team = get_team(short_name)
    require_community_admin(acting(request))
    return _delete_page(
        request,
        team,
        lambda: services.delete_team_entry(team, acting_user=acting(request)),
        title=_("Delete %(name)s") % {"name": team.name},
        warning=_("The team, its contacts and its constituency claims will be deleted."),
        cancel_url=holder_url(team),
        success_url=reverse("directory:list"),
    )


# --- organisations -----------------------------------------------------------


@member_required
@GET_POST
def organisation_create(request: HttpRequest) -> HttpResponse:
    """A new organisation under a team the user administers."""
    teams = services.teams_administered_by(acting(request))
    if not teams.exists():
        raise PermissionDenied(_("Only team admins may add organisations."))
    initial = {}
    wanted = request.GET.get("team")
    if wanted:
        initial["managed_by"] = teams.filter(short_name__iexact=wanted).first()
    form = OrganisationForm(_data(request), initial=initial, user=acting(request))
    return _form_page(
        request,
        form,
        lambda: services.create_organisation(acting_user=acting(request), **form.changes()),
        title=_("New organisation"),
        cancel_url=reverse("directory:list") + "?show=organisations",
        success_url=holder_url,
        done=_("The organisation was created."),
    )


@member_required
@GET_POST
def organisation_edit(request: HttpRequest, short_name: str) -> HttpResponse:
    """Change an organisation (admins of its coordinating team)."""
    organisation = get_organisation(short_name)
    require_editor(request, organisation)
    form = OrganisationForm(_data(request), instance=copy.copy(organisation), user=acting(request))
    return _form_page(
        request,
        form,
        lambda: services.update_organisation(
            organisation, form.changes(), acting_user=acting(request)
        ),
        title=_("Edit %(name)s") % {"name": organisation.name},
        cancel_url=holder_url(organisation),
        success_url=holder_url,
        done=_("The organisation was saved."),
    )


@member_required
@GET_POST
def organisation_delete(request: HttpRequest, short_name: str) -> HttpResponse:
    """Delete an organisation with its contacts and claims."""
    organisation = get_organisation(short_name)
    require_editor(request, organisation)
    return _delete_page(
        request,
        organisation,
        lambda: services.delete_organisation(organisation, acting_user=acting(request)),
        title=_("Delete %(name)s") % {"name": organisation.name},
        warning=_("The organisation, its contacts and its constituency claims will be deleted."),
        cancel_url=holder_url(organisation),
        success_url=holder_url(organisation.managed_by),
    )


# --- contacts ----------------------------------------------------------------


@member_required
@GET_POST
def contact_create(request: HttpRequest, holder_type: str, short_name: str) -> HttpResponse:
    """A new contact for a team or an organisation."""
    holder = get_holder(holder_type, short_name)
    require_editor(request, holder)
    form = ContactForm(_data(request), holder=holder, instance=Contact(**_holder(holder)))
    return _form_page(
        request,
        form,
        lambda: services.create_contact(
            holder,
            acting_user=acting(request),
            recipient_teams=form.recipient_teams(),
            **form.changes(),
        ),
        title=_("New contact of %(holder)s") % {"holder": holder},
        cancel_url=holder_url(holder),
        success_url=lambda _saved: holder_url(holder),
        done=_("The contact was added."),
    )


def _holder(holder: Any) -> dict[str, Any]:
    if isinstance(holder, Organisation):
        return {"organisation": holder, "owner_team": holder.managed_by}
    return {"team": holder, "owner_team": holder}


@member_required
@GET_POST
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a contact the user may see and edit."""
    contact = get_contact(request, pk)
    require_editor(request, contact.holder)
    form = ContactForm(_data(request), holder=contact.holder, instance=copy.copy(contact))
    return _form_page(
        request,
        form,
        lambda: services.update_contact(
            contact,
            form.changes(),
            acting_user=acting(request),
            recipient_teams=form.recipient_teams(),
        ),
        title=_("Edit %(name)s") % {"name": contact.name},
        cancel_url=holder_url(contact.holder),
        success_url=lambda _saved: holder_url(contact.holder),
        done=_("The contact was saved."),
    )


@member_required
@GET_POST
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a contact the user may see and edit."""
    contact = get_contact(request, pk)
    require_editor(request, contact.holder)
    return _delete_page(
        request,
        contact,
        lambda: services.delete_contact(contact, acting_user=acting(request)),
        title=_("Delete %(name)s") % {"name": contact.name},
        warning=_("The contact will be deleted."),
        cancel_url=holder_url(contact.holder),
        success_url=holder_url(contact.holder),
    )


# --- constituency claims -----------------------------------------------------


@member_required
@GET_POST
def claim_create(request: HttpRequest, holder_type: str, short_name: str) -> HttpResponse:
    """A new constituency claim of a team or an organisation."""
    holder = get_holder(holder_type, short_name)
    require_editor(request, holder)
    form = ClaimForm(_data(request))

    def save() -> ConstituencyClaim:
        fields = form.changes()
        return services.create_claim(
            holder,
            fields.pop("kind"),
            fields.pop("value"),
            acting_user=acting(request),
            **fields,
        )

    return _form_page(
        request,
        form,
        save,
        title=_("New claim of %(holder)s") % {"holder": holder},
        cancel_url=holder_url(holder),
        success_url=lambda _saved: holder_url(holder),
        done=_("The claim was added."),
    )


@member_required
@GET_POST
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a constituency claim."""
    claim = get_claim(pk)
    require_editor(request, claim.holder)
    form = ClaimForm(_data(request), instance=copy.copy(claim))
    return _form_page(
        request,
        form,
        lambda: services.update_claim(claim, form.changes(), acting_user=acting(request)),
        title=_("Edit claim %(claim)s") % {"claim": claim},
        cancel_url=holder_url(claim.holder),
        success_url=lambda _saved: holder_url(claim.holder),
        done=_("The claim was saved."),
    )


@member_required
@GET_POST
def claim_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a constituency claim."""
    claim = get_claim(pk)
    require_editor(request, claim.holder)
    return _delete_page(
        request,
        claim,
        lambda: services.delete_claim(claim, acting_user=acting(request)),
        title=_("Delete claim %(claim)s") % {"claim": claim},
        warning=_("Events will no longer be routed by this claim."),
        cancel_url=holder_url(claim.holder),
        success_url=holder_url(claim.holder),
    )
