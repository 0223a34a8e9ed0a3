"""The one visibility rule: who may see a shared object.

Every list, detail, export, feed, notification and search of shared data
passes through :func:`restrict` (for querysets) or :func:`can_see` (for one
object). Both implement the same rule:

1. Members of the owner team always see their own objects.
2. Named recipient teams always see the object: ``recipient_teams``, or for
   models with one recipient (an event and its responsible team) the foreign
   key named by ``recipient_team_field``.
3. Otherwise TLP:RED is seen by nobody else.
4. Otherwise distribution decides:
   ``team`` – nobody else;
   ``group`` – member teams and the owner team of the sharing group;
   ``community`` – every community member (a user in a team, or a community
   administrator);
   ``public`` – everybody, anonymous visitors included, if the TLP is CLEAR;
   with any other TLP it is treated as ``community``.

A user who is not a community member (anonymous, or an account in no team)
sees only public TLP:CLEAR objects. Community administrators get no more
than other members: TLP is about people, not about roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from baobab.core.choices import TLP, Distribution

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import User

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Viewer:
    """What the rule needs to know about whoever is looking."""

    is_member: bool
    team_ids: frozenset[int]
    group_ids: frozenset[int]

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls(is_member=False, team_ids=frozenset(), group_ids=frozenset())


class SharedLike(Protocol):
    @property
    def owner_team_id(self) -> int | None: ...  # read-only: a team id, or none

    tlp: str
    distribution: str
    sharing_group_id: int | None


def viewer_for(user: User | AnonymousUser | None) -> Viewer:
    """Build (once per user object) the viewer the rule judges."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Viewer.anonymous()
    cached: Viewer | None = getattr(user, "_baobab_viewer", None)
    if cached is not None:
        return cached
    team_ids = frozenset(user.memberships.values_list("team_id", flat=True))
    viewer = Viewer(
        is_member=bool(team_ids) or bool(getattr(user, "is_community_admin", False)),
        team_ids=team_ids,
        group_ids=_group_ids(team_ids),
    )
    user._baobab_viewer = viewer  # type: ignore[attr-defined]
    return viewer


def _group_ids(team_ids: frozenset[int]) -> frozenset[int]:
    """The sharing groups the teams own or belong to."""
    if not team_ids:
        return frozenset()
    from baobab.core.models import SharingGroup  # noqa: PLC0415 - avoid import cycle

    groups = SharingGroup.objects.filter(Q(member_teams__in=team_ids) | Q(owner_team__in=team_ids))
    return frozenset(groups.values_list("id", flat=True))


def viewer_for_team(team_id: int) -> Viewer:
    """The viewer a team's own work runs as (its notifications, its jobs):
    what any member of the team sees through the team."""
    team_ids = frozenset({team_id})
    return Viewer(is_member=True, team_ids=team_ids, group_ids=_group_ids(team_ids))


def _as_viewer(who: Viewer | User | AnonymousUser | None) -> Viewer:
    return who if isinstance(who, Viewer) else viewer_for(who)


def can_see(
    who: Viewer | User | AnonymousUser | None,
    obj: SharedLike,
    recipient_team_ids: frozenset[int] | None = None,
) -> bool:
    """Whether ``who`` may see ``obj``.

    ``recipient_team_ids`` may be passed when the caller already holds them;
    otherwise they are read from ``obj.recipient_teams``.
    """
    viewer = _as_viewer(who)
    if obj.owner_team_id in viewer.team_ids:
        return True
    if viewer.team_ids:
        recipient_field = getattr(obj, "recipient_team_field", None)
        if recipient_field is not None:
            recipient_id = getattr(obj, f"{recipient_field}_id", None)
            recipient_team_ids = frozenset({recipient_id} if recipient_id else ())
        elif recipient_team_ids is None:
            recipients: Any = obj.recipient_teams  # type: ignore[attr-defined]
            recipient_team_ids = frozenset(recipients.values_list("id", flat=True))
        if viewer.team_ids & recipient_team_ids:
            return True
    if obj.tlp == TLP.RED:
        return False
    if obj.distribution == Distribution.PUBLIC and obj.tlp == TLP.CLEAR:
        return True
    if not viewer.is_member:
        return False
    if obj.distribution in (Distribution.COMMUNITY, Distribution.PUBLIC):
        return True
    if obj.distribution == Distribution.GROUP:
        return obj.sharing_group_id in viewer.group_ids
    return False


def visible_q(who: Viewer | User | AnonymousUser | None, model: type[Any]) -> Q:
    """The rule as a ``Q`` over ``model`` (a subclass of ``core.Shared``)."""
    viewer = _as_viewer(who)
    condition = Q(distribution=Distribution.PUBLIC, tlp=TLP.CLEAR)
    if viewer.team_ids:
        recipient_field = getattr(model, "recipient_team_field", None)
        if recipient_field is not None:  # one named recipient, as a foreign key
            named = Q(**{f"{recipient_field}_id__in": viewer.team_ids})
        else:
            through = model.recipient_teams.through
            source = f"{model._meta.model_name}_id"
            named = Q(
                Exists(
                    through.objects.filter(
                        **{source: OuterRef("pk"), "team_id__in": viewer.team_ids}
                    )
                )
            )
        condition |= Q(owner_team_id__in=viewer.team_ids) | named
    if viewer.is_member:
        not_red = ~Q(tlp=TLP.RED)
        condition |= not_red & Q(distribution__in=[Distribution.COMMUNITY, Distribution.PUBLIC])
        if viewer.group_ids:
            condition |= not_red & Q(
                distribution=Distribution.GROUP, sharing_group_id__in=viewer.group_ids
            )
    return condition


def restrict(queryset: QuerySet[_M], who: Viewer | User | AnonymousUser | None) -> QuerySet[_M]:
    """Only the rows of ``queryset`` that ``who`` may see."""
    return queryset.filter(visible_q(who, queryset.model))
