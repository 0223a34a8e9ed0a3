"""Sharing groups, managed by their owners: the owner team's admins name the
group and its member teams; members may add more teams only when the owner
allows it; a member team's admin may take their own team out."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils.translation import gettext as _

from baobab.core.choices import Role
from baobab.core.models import SharingGroup, Team, User
from baobab.core.permissions import has_role, is_community_admin, is_community_member, require_role
from baobab.core.services import create_object, delete_object, update_object


def visible_groups(user: User | None) -> QuerySet[SharingGroup]:
    """The groups a user sees: every group, to a community member (a group's
    name and members are known to the community; what it shares is not)."""
    if not is_community_member(user):
        return SharingGroup.objects.none()
    return SharingGroup.objects.all()


def may_manage(user: User | None, group: SharingGroup) -> bool:
    """Whether ``user`` may rename the group and change its members."""
    return has_role(user, group.owner_team_id, Role.ADMIN)


def may_add_teams(user: User | None, group: SharingGroup) -> bool:
    """Whether ``user`` may add teams to the group."""
    if may_manage(user, group):
        return True
    return group.members_can_add and any(
        has_role(user, team_id, Role.ADMIN)
        for team_id in group.member_teams.values_list("id", flat=True)
    )


def create_group(owner: Team, *, acting_user: User | None, **fields: Any) -> SharingGroup:
    """A new group owned by ``owner`` (its admins manage it)."""
    if acting_user is not None:
        require_role(acting_user, owner, Role.ADMIN)
    members = list(fields.pop("member_teams", []))
    group = SharingGroup(owner_team=owner, **fields)
    return create_object(
        group,
        acting_user=acting_user,
        m2m={"member_teams": [team for team in members if team.pk != owner.pk]},
    )


def update_group(
    group: SharingGroup, changes: dict[str, Any], *, acting_user: User | None
) -> SharingGroup:
    """Rename, describe, or change whether members may add teams."""
    if acting_user is not None and not may_manage(acting_user, group):
        raise PermissionDenied(_("Only the admins of the owner team manage this group."))
    if "owner_team" in changes or "owner_team_id" in changes:
        raise ValidationError(_("A group stays with the team that owns it."))
    return update_object(group, changes, acting_user=acting_user)


def add_team(group: SharingGroup, team: Team, *, acting_user: User | None) -> None:
    """Put ``team`` in the group."""
    if acting_user is not None and not may_add_teams(acting_user, group):
        raise PermissionDenied(_("You may not add teams to this group."))
    if team.pk == group.owner_team_id or group.member_teams.filter(pk=team.pk).exists():
        return
    members = [*group.member_teams.all(), team]
    update_object(group, {}, acting_user=acting_user, m2m={"member_teams": members})


def remove_team(group: SharingGroup, team: Team, *, acting_user: User | None) -> None:
    """Take ``team`` out of the group: by the group's managers, or by the
    team's own admins leaving it. The team's objects shared with the group
    stay shared with it (the others still see them; the team owns them)."""
    if acting_user is not None and not (
        may_manage(acting_user, group) or has_role(acting_user, team, Role.ADMIN)
    ):
        raise PermissionDenied(_("You may not take this team out of the group."))
    members = [member for member in group.member_teams.all() if member.pk != team.pk]
    update_object(group, {}, acting_user=acting_user, m2m={"member_teams": members})


def delete_group(group: SharingGroup, *, acting_user: User | None) -> None:
    """Delete a group no object is shared with any more."""
    if acting_user is not None and not may_manage(acting_user, group):
        raise PermissionDenied(_("Only the admins of the owner team manage this group."))
    try:
        with transaction.atomic():
            delete_object(group, acting_user=acting_user)
    except ProtectedError:
        raise ValidationError(
            _("Objects are still shared with %(group)s; share them otherwise first.")
            % {"group": group}
        ) from None


def administered_teams(user: User) -> QuerySet[Team]:
    """The teams ``user`` is an admin of (every team, for a community
    administrator): those that may own sharing groups."""
    teams = Team.objects.order_by("short_name")
    if is_community_admin(user):
        return teams
    return teams.filter(memberships__user=user, memberships__role=Role.ADMIN).distinct()
