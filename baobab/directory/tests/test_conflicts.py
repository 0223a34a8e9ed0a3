"""Conflicting claims: duplicates and overlapping prefixes, and the page that
shows them to community administrators."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.core.models import Team
from baobab.directory.choices import ClaimKind
from baobab.directory.conflicts import duplicate_claims, find_conflicts, overlapping_prefixes
from baobab.directory.models import ConstituencyClaim
from baobab.directory.services import create_organisation
from baobab.directory.tests.world import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_team: Callable[..., Team]) -> World:
    return build_world(make_team)


def summary(conflicts: list) -> list[tuple[str, str, str, bool]]:
    return [
        (
            conflict.kind,
            conflict.value,
            conflict.covering.value if conflict.covering else "",
            conflict.single_team,
        )
        for conflict in conflicts
    ]


def test_same_value_by_two_teams_is_a_conflict(world: World) -> None:
    world.claim(ClaimKind.ASN, "AS64500")
    world.claim(ClaimKind.ASN, "64500", holder=world.team_b)
    world.claim(ClaimKind.DOMAIN, "Example.ORG")
    world.claim(ClaimKind.DOMAIN, "example.org.", holder=world.team_b)
    world.claim(ClaimKind.PREFIX, "2001:db8::/32")
    world.claim(ClaimKind.PREFIX, "2001:DB8::1/32", holder=world.team_b)
    world.claim(ClaimKind.ASN, "64501")  # claimed once: no conflict
    conflicts = find_conflicts()
    assert summary(conflicts) == [
        ("prefix", "2001:db8::/32", "", False),
        ("asn", "64500", "", False),
        ("domain", "example.org", "", False),
    ]
    assert {holder.short_name for holder in conflicts[1].holders} == {"KE-CIRT", "SN-CERT"}


def test_countries_are_not_conflicts(world: World) -> None:
    world.claim(ClaimKind.COUNTRY, "KE", holder=world.team_b)
    assert find_conflicts() == []


def test_team_and_its_own_organisation_are_marked_single_team(world: World) -> None:
    world.claim(ClaimKind.ASN, "64500")
    world.claim(ClaimKind.ASN, "64500", holder=world.org_a)
    assert summary(find_conflicts()) == [("asn", "64500", "", True)]


def test_prefix_inside_another_teams_prefix_is_an_overlap(world: World) -> None:
    world.claim(ClaimKind.PREFIX, "192.0.2.0/24")
    world.claim(ClaimKind.PREFIX, "192.0.2.128/26", holder=world.team_b)
    world.claim(ClaimKind.PREFIX, "198.51.100.0/24", holder=world.team_b)  # disjoint
    world.claim(ClaimKind.PREFIX, "192.0.2.16/28", holder=world.org_a)  # same team: normal
    conflicts = find_conflicts()
    assert summary(conflicts) == [("prefix", "192.0.2.128/26", "192.0.2.0/24", False)]
    assert conflicts[0].overlap
    assert [holder.short_name for holder in conflicts[0].holders] == ["SN-CERT", "KE-CIRT"]


def test_overlap_through_another_teams_organisation(world: World) -> None:
    bank = create_organisation(
        acting_user=None, short_name="BANK-SN", name="Bank", kind="bank", managed_by=world.team_b
    )
    world.claim(ClaimKind.PREFIX, "10.0.0.0/8")
    world.claim(ClaimKind.PREFIX, "10.1.0.0/16", holder=world.org_a)
    world.claim(ClaimKind.PREFIX, "10.1.2.0/24", holder=bank)
    assert summary(overlapping_prefixes(ConstituencyClaim.objects.all())) == [
        ("prefix", "10.1.2.0/24", "10.0.0.0/8", False),
        ("prefix", "10.1.2.0/24", "10.1.0.0/16", False),
    ]


def test_expired_claims_do_not_conflict(world: World) -> None:
    world.claim(ClaimKind.ASN, "64500", valid_until=dt.date(2020, 1, 1))
    world.claim(ClaimKind.ASN, "64500", holder=world.team_b)
    assert find_conflicts() == []


def _claim(team_id: int, value: str) -> ConstituencyClaim:
    return ConstituencyClaim(team_id=team_id, kind=ClaimKind.PREFIX, value=value)


prefixes = st.builds(
    lambda address, length: ipaddress.ip_network(f"{address}/{length}", strict=False),
    st.ip_addresses(v=4),
    st.integers(min_value=8, max_value=30),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=3), prefixes), max_size=25))
def test_overlaps_match_a_pairwise_reference(items: list) -> None:
    """The sweep finds exactly the pairs a naive comparison of every pair finds."""
    claims = [_claim(team_id, str(network)) for team_id, network in items]
    expected = {
        (str(inner), str(outer), inner_team, outer_team)
        for inner_team, inner in items
        for outer_team, outer in items
        if inner != outer and inner.subnet_of(outer) and inner_team != outer_team
    }
    found = {
        (c.value, c.covering.value, c.claims[0].team_id, c.covering.team_id)
        for c in overlapping_prefixes(claims)
        if c.covering is not None
    }
    assert found == expected


def test_duplicates_need_different_holders() -> None:
    claims = [_claim(1, "192.0.2.0/24"), _claim(1, "192.0.2.0/24"), _claim(2, "198.51.100.0/24")]
    assert duplicate_claims(claims) == []


# --- the page ---------------------------------------------------------------------


def test_conflicts_page_for_community_admins_only(world: World) -> None:
    world.claim(ClaimKind.ASN, "64500")
    world.claim(ClaimKind.ASN, "64500", holder=world.team_b, source_detail="disputed")
    world.claim(ClaimKind.PREFIX, "192.0.2.0/24")
    world.claim(ClaimKind.PREFIX, "192.0.2.64/26", holder=world.team_b)
    url = reverse("directory:conflicts")
    for user in (world.admin_a, world.viewer_b):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 403
    client = Client()
    client.force_login(world.community_admin)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "AS64500" in html
    assert "disputed" in html
    assert reverse("directory:team", args=["SN-CERT"]) in html
    assert "192.0.2.64/26" in html
    assert "overlap" in html
    assert "<script" not in html
    assert 'style="' not in html
