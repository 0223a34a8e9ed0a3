"""The directory's REST API beyond the generated CRUD tests: contact visibility,
filters, the vetting level, holders that cannot move, refusals with reasons,
conflicts and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from baobab.core.choices import TLP, Distribution, VettingLevel
from baobab.core.models import SharingGroup, Team
from baobab.directory.choices import ClaimKind
from baobab.directory.models import Contact
from baobab.directory.tests.world import PUBLIC_KEY, World, build_world
from baobab.utils.testing import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_team: Callable[..., Team]) -> World:
    return build_world(make_team)


def names(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


# --- contact visibility ---------------------------------------------------------


@pytest.fixture
def contacts(world: World) -> dict[str, Contact]:
    group = SharingGroup.objects.create(name="West Africa", owner_team=world.regional)
    group.member_teams.add(world.team_a, world.team_b)
    return {
        "community": world.contact(name="Community desk"),
        "red": world.contact(name="Red line", tlp=TLP.RED),
        "team": world.contact(name="Team only", tlp=TLP.AMBER, distribution=Distribution.TEAM),
        "named": world.contact(
            name="Named for SN",
            tlp=TLP.RED,
            distribution=Distribution.TEAM,
            recipient_teams=[world.team_b],
        ),
        "group": world.contact(
            world.org_a,
            name="Group liaison",
            tlp=TLP.AMBER,
            distribution=Distribution.GROUP,
            sharing_group=group,
        ),
    }


def test_contacts_list_follows_the_visibility_rule(
    world: World, contacts: dict[str, Contact]
) -> None:
    every = {contact.name for contact in contacts.values()}
    assert names(client_for(world.viewer_a).get("/api/v1/contacts/")) == every
    assert names(client_for(world.viewer_b).get("/api/v1/contacts/")) == {
        "Community desk",
        "Named for SN",
        "Group liaison",
    }
    # A community administrator outside the team and group sees what any member sees.
    assert names(client_for(world.community_admin).get("/api/v1/contacts/")) == {
        "Community desk",
        "Group liaison",
    }


@pytest.mark.parametrize("which", ["red", "team"])
def test_hidden_contact_is_404_for_other_teams_whatever_the_method(
    world: World, contacts: dict[str, Contact], which: str
) -> None:
    url = f"/api/v1/contacts/{contacts[which].pk}/"
    client = client_for(world.admin_b)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "x"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert Contact.objects.get(pk=contacts[which].pk).name == contacts[which].name
    # Filters do not leak them either.
    assert contacts[which].name not in names(
        client.get("/api/v1/contacts/", {"team": str(world.team_a.pk), "q": contacts[which].name})
    )
    assert client_for(world.viewer_a).get(url).status_code == 200


def test_contact_shows_key_details_and_expiry(world: World) -> None:
    contact = world.contact(name="Keyed desk", pgp_key=PUBLIC_KEY)
    data = client_for(world.viewer_b).get(f"/api/v1/contacts/{contact.pk}/").json()
    assert len(data["pgp_fingerprint"]) == 40
    assert data["pgp_user_ids"] == ["KE incident desk <incident@ke.example>"]
    assert data["pgp_expired"] is False
    Contact.objects.filter(pk=contact.pk).update(
        pgp_expires_at=timezone.now() - dt.timedelta(days=1)
    )
    data = client_for(world.viewer_b).get(f"/api/v1/contacts/{contact.pk}/").json()
    assert data["pgp_expired"] is True


def test_contact_needs_exactly_one_holder(world: World) -> None:
    client = client_for(world.admin_a)
    both = {"team": world.team_a.pk, "organisation": world.org_a.pk, "name": "x"}
    assert client.post("/api/v1/contacts/", both, format="json").status_code == 400
    assert client.post("/api/v1/contacts/", {"name": "x"}, format="json").status_code == 400


def test_contact_cannot_move_to_another_holder(world: World) -> None:
    contact = world.contact(name="Desk")
    response = client_for(world.community_admin).patch(
        f"/api/v1/contacts/{contact.pk}/", {"team": world.team_b.pk}, format="json"
    )
    assert response.status_code == 400
    assert "cannot move" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).team_id == world.team_a.pk


def test_contact_list_errors_name_the_field(world: World) -> None:
    response = client_for(world.admin_a).post(
        "/api/v1/contacts/",
        {
            "team": world.team_a.pk,
            "name": "x",
            "phones": [{"number": "call me"}],
            "languages": ["klingon-language-x"],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "phones" in body
    assert "languages" in body


# --- teams ------------------------------------------------------------------------


def test_team_admin_cannot_change_vetting_level(world: World) -> None:
    url = f"/api/v1/teams/{world.team_a.pk}/"
    response = client_for(world.admin_a).patch(
        url, {"vetting_level": VettingLevel.FULL_MEMBER}, format="json"
    )
    assert response.status_code == 403
    assert Team.objects.get(pk=world.team_a.pk).vetting_level == VettingLevel.LISTED
    response = client_for(world.community_admin).patch(
        url, {"vetting_level": VettingLevel.FULL_MEMBER}, format="json"
    )
    assert response.status_code == 200
    assert Team.objects.get(pk=world.team_a.pk).vetting_level == VettingLevel.FULL_MEMBER


def test_team_short_names_are_unique_in_any_case(world: World) -> None:
    response = client_for(world.community_admin).post(
        "/api/v1/teams/",
        {"short_name": "ke-cirt", "name": "x", "team_type": "national"},
        format="json",
    )
    assert response.status_code == 400
    assert "already taken" in response.json()["short_name"][0]


def test_team_delete_refused_with_409_while_it_coordinates(world: World) -> None:
    response = client_for(world.community_admin).delete(f"/api/v1/teams/{world.team_a.pk}/")
    assert response.status_code == 409
    assert "SAVANNA-NET" in response.json()["detail"]
    assert Team.objects.filter(pk=world.team_a.pk).exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "kenya"}, {"KE-CIRT"}),
        ({"country": "sn"}, {"SN-CERT"}),
        ({"team_type": "regional"}, {"AFR-CC"}),
        ({"vetting_level": "full"}, set()),
    ],
)
def test_team_filters(world: World, params: dict[str, str], expected: set[str]) -> None:
    response = client_for(world.viewer_a).get("/api/v1/teams/", params)
    assert {row["short_name"] for row in response.json()["results"]} == expected


def test_invalid_filter_value_is_a_400(world: World) -> None:
    response = client_for(world.viewer_a).get("/api/v1/teams/", {"team_type": "spaceship"})
    assert response.status_code == 400
    assert "team_type" in response.json()


# --- organisations ------------------------------------------------------------------


def test_organisation_moves_only_between_teams_one_administers(world: World) -> None:
    url = f"/api/v1/organisations/{world.org_a.pk}/"
    response = client_for(world.admin_a).patch(url, {"managed_by": world.team_b.pk}, format="json")
    assert response.status_code == 403
    response = client_for(world.community_admin).patch(
        url, {"managed_by": world.team_b.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["managed_by_short_name"] == "SN-CERT"


# --- claims ------------------------------------------------------------------------


def test_claim_filters_match_normalised_values(world: World) -> None:
    world.claim(ClaimKind.ASN, "64500", holder=world.org_a)
    world.claim(ClaimKind.ASN, "164500", holder=world.team_b)
    world.claim(ClaimKind.DOMAIN, "ke.example")
    client = client_for(world.viewer_b)

    def values(**params: str) -> set[str]:
        response = client.get("/api/v1/claims/", params)
        assert response.status_code == 200
        return {row["value"] for row in response.json()["results"]}

    assert values(value="AS64500") == {"64500"}
    assert values(value="KE.Example.", kind="domain") == {"ke.example"}
    assert values(holder="savanna-net") == {"64500"}
    assert values(kind="country") == {"KE"}
    assert values(team=str(world.team_a.pk)) == {"KE", "ke.example"}


def test_claim_twice_is_refused_with_reason(world: World) -> None:
    response = client_for(world.admin_a).post(
        "/api/v1/claims/",
        {"team": world.team_a.pk, "kind": "country", "value": "ke"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"value": ["KE-CIRT already claims KE."]}


def test_claim_cannot_end_before_it_starts(world: World) -> None:
    response = client_for(world.admin_a).post(
        "/api/v1/claims/",
        {
            "team": world.team_a.pk,
            "kind": "domain",
            "value": "ke.example",
            "valid_from": "2025-02-01",
            "valid_until": "2025-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "valid_until" in response.json()


def test_conflicts_endpoint_for_community_admins(world: World) -> None:
    world.claim(ClaimKind.ASN, "64500")
    world.claim(ClaimKind.ASN, "AS64500", holder=world.team_b)
    world.claim(ClaimKind.PREFIX, "192.0.2.0/24")
    world.claim(ClaimKind.PREFIX, "192.0.2.128/25", holder=world.team_b)
    assert client_for(world.admin_a).get("/api/v1/claims/conflicts/").status_code == 403
    response = client_for(world.community_admin).get("/api/v1/claims/conflicts/")
    assert response.status_code == 200
    data = response.json()
    assert [(c["kind"], c["value"], c["overlap"]) for c in data] == [
        ("asn", "64500", False),
        ("prefix", "192.0.2.128/25", True),
    ]
    assert {claim["holder"] for claim in data[0]["claims"]} == {"KE-CIRT", "SN-CERT"}
    assert data[0]["covering"] is None
    assert data[1]["covering"]["holder"] == "KE-CIRT"


# --- schema ------------------------------------------------------------------------


def test_openapi_schema_lists_the_directory(world: World) -> None:
    response = client_for(world.viewer_a).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("teams", "organisations", "contacts", "claims"):
        assert f"/api/v1/{path}/" in paths
        assert f"/api/v1/{path}/{{id}}/" in paths
    assert "/api/v1/claims/conflicts/" in paths
