"""Who may change what: the role checks every service calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from baobab.core.choices import ROLE_RANK, Role
from baobab.core.visibility import viewer_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import Team, User


def role_in(user: User | AnonymousUser | None, team: Team | int | None) -> Role | None:
    """The user's role in ``team``, or None when they are not in it."""
    if user is None or team is None or not user.is_authenticated:
        return None
    team_id = team if isinstance(team, int) else team.pk
    roles: dict[int, str] | None = getattr(user, "_baobab_roles", None)
    if roles is None:
        roles = dict(user.memberships.values_list("team_id", "role"))
        user._baobab_roles = roles  # type: ignore[attr-defined]
    role = roles.get(team_id)
    return Role(role) if role else None


def is_community_admin(user: User | AnonymousUser | None) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (getattr(user, "is_community_admin", False) or user.is_superuser)
    )


def is_community_member(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` belongs to the community: a member of a team, or one
    of its administrators. Every app's pages are for them alone."""
    return viewer_for(user).is_member or is_community_admin(user)


def has_role(user: User | AnonymousUser | None, team: Team | int | None, minimum: Role) -> bool:
    """Whether the user holds at least ``minimum`` in ``team`` (community admins do)."""
    if is_community_admin(user):
        return True
    role = role_in(user, team)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def require_role(user: User | AnonymousUser | None, team: Team | int | None, minimum: Role) -> None:
    if not has_role(user, team, minimum):
        raise PermissionDenied(
            _("You need the %(role)s role in this team.") % {"role": minimum.label}
        )


def require_community_admin(user: User | AnonymousUser | None) -> None:
    if not is_community_admin(user):
        raise PermissionDenied(_("Only community administrators may do this."))
