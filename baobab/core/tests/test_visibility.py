"""The one visibility rule, checked against a reference written from the TLP table.

The reference below is written independently of ``baobab.core.visibility``:
it lists, for each (TLP, distribution), who is in the audience. The SQL form
(``restrict``) and the Python form (``can_see``) must both agree with it for
every object a generated community holds and every kind of viewer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baobab.core.choices import TLP, Distribution, Role, TeamType
from baobab.core.models import Membership, SharingGroup, Team, User
from baobab.core.visibility import Viewer, can_see, restrict, viewer_for
from baobab.directory.models import Contact


@dataclass(frozen=True)
class RefObject:
    owner: int
    tlp: str
    distribution: str
    group: int | None
    recipients: frozenset[int]


@dataclass(frozen=True)
class RefViewer:
    logged_in: bool
    teams: frozenset[int]
    community_admin: bool
    groups: frozenset[int]  # groups whose members (or owner) include one of ``teams``


def reference_may_see(viewer: RefViewer, obj: RefObject) -> bool:
    """Who receives what, as a CSIRT analyst reads the TLP 2.0 table."""
    in_community = viewer.logged_in and (bool(viewer.teams) or viewer.community_admin)
    is_owner = obj.owner in viewer.teams
    is_named = bool(obj.recipients & viewer.teams)
    audience = {
        Distribution.TEAM: is_owner,
        Distribution.GROUP: is_owner or (obj.group is not None and obj.group in viewer.groups),
        Distribution.COMMUNITY: is_owner or in_community,
        Distribution.PUBLIC: is_owner or in_community or obj.tlp == TLP.CLEAR,
    }[Distribution(obj.distribution)]
    if is_owner or is_named:
        return True
    if obj.tlp == TLP.RED:
        return False
    if obj.tlp != TLP.CLEAR and not in_community:
        return False
    return audience


# --- pure property test of can_see ------------------------------------------

team_ids = st.integers(min_value=1, max_value=5)


@st.composite
def ref_objects(draw: st.DrawFn) -> RefObject:
    distribution = draw(st.sampled_from(list(Distribution)))
    return RefObject(
        owner=draw(team_ids),
        tlp=draw(st.sampled_from(list(TLP))),
        distribution=distribution,
        group=draw(st.integers(1, 3)) if distribution == Distribution.GROUP else None,
        recipients=frozenset(draw(st.sets(team_ids, max_size=2))),
    )


@st.composite
def ref_viewers(draw: st.DrawFn) -> RefViewer:
    logged_in = draw(st.booleans())
    teams = frozenset(draw(st.sets(team_ids, max_size=3))) if logged_in else frozenset()
    return RefViewer(
        logged_in=logged_in,
        teams=teams,
        community_admin=logged_in and draw(st.booleans()),
        groups=frozenset(draw(st.sets(st.integers(1, 3), max_size=3))) if teams else frozenset(),
    )


@dataclass
class _Obj:
    owner_team_id: int
    tlp: str
    distribution: str
    sharing_group_id: int | None


@given(viewer=ref_viewers(), obj=ref_objects())
def test_can_see_matches_reference(viewer: RefViewer, obj: RefObject) -> None:
    rule_viewer = Viewer(
        is_member=viewer.logged_in and (bool(viewer.teams) or viewer.community_admin),
        team_ids=viewer.teams,
        group_ids=viewer.groups,
    )
    shared = _Obj(obj.owner, obj.tlp, obj.distribution, obj.group)
    assert can_see(rule_viewer, shared, recipient_team_ids=obj.recipients) == reference_may_see(
        viewer, obj
    )


# --- the SQL form against the reference, over a whole generated community ---


@pytest.fixture
def community(db: None) -> dict[str, object]:
    """Four teams, two sharing groups, users of every kind, and one contact for
    every combination of owner, TLP, distribution, group and named recipient."""
    teams = [
        Team.objects.create(short_name=f"t{i}", name=f"T{i}", team_type=TeamType.NATIONAL)
        for i in range(4)
    ]
    group_a = SharingGroup.objects.create(name="A", owner_team=teams[0])
    group_a.member_teams.set([teams[1]])
    group_b = SharingGroup.objects.create(name="B", owner_team=teams[2])
    group_b.member_teams.set([teams[2], teams[3]])
    groups = [group_a, group_b]

    users: dict[str, User | None] = {"anonymous": None}
    users["no-team"] = User.objects.create_user("no-team")
    users["admin-no-team"] = User.objects.create_user("admin-no-team", is_community_admin=True)
    for team in teams:
        user = User.objects.create_user(f"member-{team.short_name}")
        Membership.objects.create(user=user, team=team, role=Role.VIEWER)
        users[user.username] = user
    two = User.objects.create_user("member-t1-t3")
    Membership.objects.create(user=two, team=teams[1], role=Role.ANALYST)
    Membership.objects.create(user=two, team=teams[3], role=Role.ADMIN)
    users["member-t1-t3"] = two
    inactive = User.objects.create_user("inactive-t0", is_active=False)
    Membership.objects.create(user=inactive, team=teams[0], role=Role.ADMIN)
    users["inactive-t0"] = inactive

    holder = teams[0]
    for owner, tlp, distribution, recipients in itertools.product(
        teams[:3], list(TLP), list(Distribution), [(), (teams[3],)]
    ):
        for group in groups if distribution == Distribution.GROUP else [None]:
            contact = Contact.objects.create(
                team=holder,
                name=f"{owner}/{tlp}/{distribution}/{group}/{len(recipients)}",
                owner_team=owner,
                tlp=tlp,
                distribution=distribution,
                sharing_group=group,
            )
            contact.recipient_teams.set(recipients)
    return {"users": users, "teams": teams, "groups": groups}


def _ref_viewer(user: User | None, groups: list[SharingGroup]) -> RefViewer:
    if user is None or not user.is_active:
        return RefViewer(False, frozenset(), False, frozenset())
    teams = frozenset(user.memberships.values_list("team_id", flat=True))
    in_groups = frozenset(
        g.pk
        for g in groups
        if g.owner_team_id in teams or set(g.member_teams.values_list("id", flat=True)) & teams
    )
    return RefViewer(True, teams, user.is_community_admin, in_groups)


def _ref_object(contact: Contact) -> RefObject:
    return RefObject(
        owner=contact.owner_team_id,
        tlp=contact.tlp,
        distribution=contact.distribution,
        group=contact.sharing_group_id,
        recipients=frozenset(contact.recipient_teams.values_list("id", flat=True)),
    )


def test_restrict_and_can_see_agree_with_reference(community: dict) -> None:
    objects = list(Contact.objects.all())
    assert len(objects) > 100
    refs = {contact.pk: _ref_object(contact) for contact in objects}
    for name, user in community["users"].items():
        ref_viewer = _ref_viewer(user, community["groups"])
        expected = {pk for pk, ref in refs.items() if reference_may_see(ref_viewer, ref)}
        via_sql = set(restrict(Contact.objects.all(), user).values_list("pk", flat=True))
        assert via_sql == expected, f"restrict() disagrees for {name}"
        via_python = {contact.pk for contact in objects if can_see(user, contact)}
        assert via_python == expected, f"can_see() disagrees for {name}"


def test_restrict_returns_each_row_once(community: dict) -> None:
    user = community["users"]["member-t1-t3"]
    rows = list(restrict(Contact.objects.all(), user).values_list("pk", flat=True))
    assert len(rows) == len(set(rows))


def test_anonymous_sees_only_public_clear(community: dict) -> None:
    visible = restrict(Contact.objects.all(), None)
    assert visible.exists()
    assert set(visible.values_list("tlp", "distribution").distinct()) == {
        (TLP.CLEAR, Distribution.PUBLIC)
    }


def test_red_reaches_only_owner_and_named_recipients(community: dict) -> None:
    teams = community["teams"]
    for name, user in community["users"].items():
        if user is None or not user.is_active:
            continue
        my_teams = set(user.memberships.values_list("team_id", flat=True))
        for contact in restrict(Contact.objects.filter(tlp=TLP.RED), user):
            named = set(contact.recipient_teams.values_list("id", flat=True))
            assert contact.owner_team_id in my_teams or named & my_teams, name
    assert teams  # the fixture built teams


def test_community_admin_gets_no_extra_access(community: dict) -> None:
    admin = community["users"]["admin-no-team"]
    assert not restrict(Contact.objects.filter(tlp=TLP.RED), admin).exists()
    assert not restrict(Contact.objects.filter(distribution=Distribution.TEAM), admin).exists()
    assert viewer_for(admin).is_member
