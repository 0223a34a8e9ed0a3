"""The TAXII collections: one per sharing scope, each with a stable id.

- ``community``: what is distributed to the community or the public; read
  by every community member, written by the analysts of any team;
- ``public``: public TLP:CLEAR objects; read by anyone, anonymous visitors
  included, written by the analysts of any team;
- ``team-<short name>``: what the team owns or is a named recipient of;
  read by the team's members, written by its analysts;
- ``group-<id>``: what is shared with a sharing group; read by the members
  of its owner and member teams, written by their analysts.

A collection only narrows what a reader gets: whatever the collection, the
objects are its scope *and* the versions the one visibility rule lets the
reader see (:func:`baobab.sharing.queries.visible_versions`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from baobab.core.choices import TLP, Distribution
from baobab.core.models import Membership, SharingGroup, Team, User
from baobab.core.permissions import is_community_member
from baobab.core.visibility import viewer_for
from baobab.sharing.models import ObjectVersion
from baobab.sharing.services import may_share
from baobab.sharing.taxii.auth import unauthorized
from baobab.sharing.taxii.media import STIX_MEDIA_TYPE, TaxiiError

# Collection ids are uuid5 of the scope's name in this namespace, so they
# stay the same across restarts, machines and renamed teams or groups.
COLLECTION_NAMESPACE = uuid.UUID("3c0b5d0e-2f7a-5e61-9d3c-8a4b7e1f6a52")


class Scope(StrEnum):
    COMMUNITY = "community"
    PUBLIC = "public"
    TEAM = "team"
    GROUP = "group"


def collection_id(scope: Scope, key: int | None = None) -> str:
    """The TAXII id of a scope's collection (``key``: the team or group id)."""
    name = str(scope) if key is None else f"{scope}:{key}"
    return str(uuid.uuid5(COLLECTION_NAMESPACE, name))


@dataclass(frozen=True)
class Collection:
    """A collection as one user sees it: what it holds and what they may do."""

    id: str
    alias: str
    title: str
    description: str
    scope: Scope
    team: Team | None = None
    group: SharingGroup | None = None
    # The user's teams they may add objects as, in this collection.
    writer_teams: tuple[Team, ...] = field(default=())

    @property
    def can_write(self) -> bool:
        return bool(self.writer_teams)

    def resource(self) -> dict[str, Any]:
        """The TAXII collection resource."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": True,
            "can_write": self.can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }

    def scope_q(self) -> Q:
        """The versions of the collection's scope (before visibility)."""
        if self.scope is Scope.PUBLIC:
            return Q(distribution=Distribution.PUBLIC, tlp=TLP.CLEAR)
        if self.scope is Scope.COMMUNITY:
            return Q(distribution__in=[Distribution.COMMUNITY, Distribution.PUBLIC])
        if self.scope is Scope.TEAM:
            assert self.team is not None
            named = ObjectVersion.recipient_teams.through.objects.filter(
                objectversion_id=OuterRef("pk"), team_id=self.team.pk
            )
            return Q(owner_team_id=self.team.pk) | Q(Exists(named))
        assert self.group is not None
        return Q(distribution=Distribution.GROUP, sharing_group_id=self.group.pk)

    def sharing(self) -> dict[str, Any]:
        """How objects added to the collection are shared: distribution,
        sharing group, and the TLP of objects that carry none."""
        if self.scope is Scope.PUBLIC:
            return {"distribution": Distribution.PUBLIC, "default_tlp": TLP.CLEAR}
        if self.scope is Scope.COMMUNITY:
            return {"distribution": Distribution.COMMUNITY, "default_tlp": TLP.GREEN}
        if self.scope is Scope.TEAM:
            return {"distribution": Distribution.TEAM, "default_tlp": TLP.AMBER}
        return {
            "distribution": Distribution.GROUP,
            "sharing_group": self.group,
            "default_tlp": TLP.AMBER,
        }

    def writer_team(self, short_name: str | None) -> Team:
        """The team an addition is made as: the one named (``?team=``), or
        the user's only team that may write here."""
        if not self.writer_teams:
            raise TaxiiError(
                403,
                _("Forbidden"),
                _("You may not add objects to this collection: it needs an analyst's role."),
            )
        if short_name:
            for team in self.writer_teams:
                if team.short_name.lower() == short_name.strip().lower():
                    return team
            raise TaxiiError(
                400,
                _("Unknown team"),
                _("You may add objects here as %(teams)s, not as %(team)s.")
                % {"teams": _names(self.writer_teams), "team": short_name},
            )
        if len(self.writer_teams) > 1:
            raise TaxiiError(
                400,
                _("Which team?"),
                _(
                    "You are an analyst of several teams (%(teams)s): name the one you add "
                    "objects as with ?team=SHORT_NAME."
                )
                % {"teams": _names(self.writer_teams)},
            )
        return self.writer_teams[0]


def _names(teams: Iterable[Team]) -> str:
    return ", ".join(team.short_name for team in teams)


def collections_for(user: User | AnonymousUser | None) -> list[Collection]:
    """The collections ``user`` may read, each with what they may write."""
    viewer = viewer_for(user)
    teams: list[Team] = []
    if viewer.team_ids and isinstance(user, User):
        teams = [
            membership.team
            for membership in Membership.objects.filter(user=user)
            .select_related("team")
            .order_by("team__short_name")
        ]
    analyst_teams = tuple(team for team in teams if may_share(user, team))  # type: ignore[arg-type]
    found = [
        Collection(
            id=collection_id(Scope.PUBLIC),
            alias="public",
            title=_("Public"),
            description=_("Objects shared with everybody under TLP:CLEAR."),
            scope=Scope.PUBLIC,
            writer_teams=analyst_teams,
        )
    ]
    if is_community_member(user):
        found.append(
            Collection(
                id=collection_id(Scope.COMMUNITY),
                alias="community",
                title=_("Community"),
                description=_("Objects shared with the whole community (or the public)."),
                scope=Scope.COMMUNITY,
                writer_teams=analyst_teams,
            )
        )
    for team in teams:
        found.append(
            Collection(
                id=collection_id(Scope.TEAM, team.pk),
                alias=f"team-{team.short_name.lower()}",
                title=_("Team %(team)s") % {"team": team.name or team.short_name},
                description=_("Objects %(team)s owns or is a named recipient of.")
                % {"team": team.short_name},
                scope=Scope.TEAM,
                team=team,
                writer_teams=(team,) if team in analyst_teams else (),
            )
        )
    groups = SharingGroup.objects.filter(pk__in=viewer.group_ids).prefetch_related("member_teams")
    for group in groups.order_by("name"):
        in_group = {group.owner_team_id, *(team.pk for team in group.member_teams.all())}
        found.append(
            Collection(
                id=collection_id(Scope.GROUP, group.pk),
                alias=f"group-{group.pk}",
                title=_("Sharing group %(group)s") % {"group": group.name},
                description=group.description or _("Objects shared with this sharing group."),
                scope=Scope.GROUP,
                group=group,
                writer_teams=tuple(team for team in analyst_teams if team.pk in in_group),
            )
        )
    return found


def find_collection(user: User | AnonymousUser | None, wanted: str) -> Collection:
    """The collection with id (or alias) ``wanted`` that ``user`` may read.

    Any other is not found, whether it exists or not; an anonymous visitor
    is asked to authenticate instead.
    """
    key = wanted.strip().lower()
    for collection in collections_for(user):
        if key in (collection.id, collection.alias):
            return collection
    if user is None or not user.is_authenticated:
        raise unauthorized(_("Authenticate to read this collection."))
    raise TaxiiError(404, _("Not found"), _("There is no such collection."))
