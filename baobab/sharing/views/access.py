"""Who may open the sharing pages, and finding the objects they name.

The pages are for members of the community. An object the user may not see
answers 404, whether it exists or not: as for every list and search, the
one visibility rule (:func:`baobab.sharing.queries.visible`) decides.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from baobab.core.choices import Role
from baobab.core.models import SharingGroup
from baobab.core.permissions import is_community_member
from baobab.core.views.access import acting, members_only
from baobab.sharing import groups, services
from baobab.sharing.models import SharedObject
from baobab.sharing.queries import visible

_S = TypeVar("_S", bound=SharedObject)

member_required = members_only(
    is_community_member, _lazy("Only members of the community may see shared information.")
)


def get_visible(request: HttpRequest, model: type[_S], pk: int) -> _S:
    """The object of ``model`` the user may see, or 404."""
    return get_object_or_404(
        visible(model, request.user).select_related("owner_team", "sharing_group"), pk=pk
    )


def may_change(request: HttpRequest, obj: SharedObject) -> bool:
    """Whether the user may change and delete ``obj`` (an analyst of its team)."""
    return services.may_share(acting(request), obj.owner_team_id)


def require_sharer(request: HttpRequest, obj: SharedObject) -> None:
    """Refuse (403) unless the user is an analyst of the object's team."""
    if not may_change(request, obj):
        raise PermissionDenied(
            _("You need the %(role)s role in %(team)s to change what it shares.")
            % {"role": Role.ANALYST.label, "team": obj.owner_team}
        )


def get_group(request: HttpRequest, pk: int) -> SharingGroup:
    """A sharing group the user sees, or 404."""
    return get_object_or_404(
        groups.visible_groups(acting(request)).select_related("owner_team"), pk=pk
    )
