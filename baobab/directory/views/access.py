"""Who may open the directory's pages, and finding the objects they name."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from baobab.core.models import Team
from baobab.core.views.access import members_only
from baobab.core.visibility import restrict
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import may_edit, may_read_directory

member_required = members_only(
    may_read_directory, _lazy("Only members of the community may use the directory.")
)


def require_editor(request: HttpRequest, holder: Team | Organisation) -> None:
    """Refuse (403) unless the user may edit ``holder``."""
    if not may_edit(request.user, holder):
        raise PermissionDenied(_("Only the admins of %(team)s may change this.") % {"team": holder})


def get_team(short_name: str) -> Team:
    """The team with this short name (in any case), or 404."""
    return get_object_or_404(Team, short_name__iexact=short_name)


def get_organisation(short_name: str) -> Organisation:
    """The organisation with this short name (in any case), or 404."""
    return get_object_or_404(
        Organisation.objects.select_related("managed_by"), short_name__iexact=short_name
    )


def get_holder(holder_type: str, short_name: str) -> Team | Organisation:
    """A team (``holder_type`` "teams") or an organisation ("organisations")."""
    if holder_type == "teams":
        return get_team(short_name)
    if holder_type == "organisations":
        return get_organisation(short_name)
    raise Http404


def holder_url(holder: Team | Organisation) -> str:
    """The page of a team or an organisation."""
    if isinstance(holder, Team):
        return reverse("directory:team", args=[holder.short_name])
    return reverse("directory:organisation", args=[holder.short_name])


def visible_contacts(request: HttpRequest) -> QuerySet[Contact]:
    """The contacts the user may see, with what their pages show."""
    return restrict(
        Contact.objects.select_related(
            "team", "organisation", "organisation__managed_by", "sharing_group"
        ),
        request.user,
    )


def get_contact(request: HttpRequest, pk: int) -> Contact:
    """A contact the user may see, or 404 (whether it exists or is hidden)."""
    return get_object_or_404(visible_contacts(request), pk=pk)


def get_claim(pk: int) -> ConstituencyClaim:
    """A constituency claim with its holder, or 404."""
    return get_object_or_404(
        ConstituencyClaim.objects.select_related(
            "team", "organisation", "organisation__managed_by"
        ),
        pk=pk,
    )
