"""The sharing REST API: generated CRUD, permission, audit and query-count
tests per model; what each user lists and reads is exactly what the
visibility rule says (objects at every TLP and distribution, a sharing
group, named recipients), compared with a plain reference of the rule; TLP
labels in and out; exact search of defanged values; the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import SharingGroup, Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import Indicator, Relationship, Report, SharedObject, Sighting
from baobab.sharing.services import attach_file
from baobab.utils.testing import APICrudTests, CrudCase, client_for

pytestmark = pytest.mark.django_db

INDICATORS = "/api/v1/indicators/"
REPORTS = "/api/v1/reports/"
SIGHTINGS = "/api/v1/sightings/"
RELATIONSHIPS = "/api/v1/relationships/"
GROUPS = "/api/v1/sharing-groups/"
_numbers = itertools.count(1)


@dataclass
class World:
    """Teams A, B, C, D; A owns the group West with B in it; C and D are
    outside it. Users in each role, a community administrator in no team,
    and an account in no team. ``objects`` holds A's indicators at every TLP
    and distribution, and a TLP:RED one naming C."""

    a: Team
    b: Team
    c: Team
    d: Team
    west: SharingGroup
    users: dict[str, User]
    objects: list[Indicator] = field(default_factory=list)

    def __getitem__(self, name: str) -> User:
        return self.users[name]


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build_world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> World:
    """Teams A to D, their users, and the group West (A owns it, B is in it)."""
    a, b, c, d = (make_team(f"CERT-{name}", name=f"CERT {name}") for name in "ABCD")
    users = {
        "admin-a": make_user("admin-a", team=a, role=Role.ADMIN),
        "analyst-a": make_user("analyst-a", team=a, role=Role.ANALYST),
        "viewer-a": make_user("viewer-a", team=a, role=Role.VIEWER),
        "admin-b": make_user("admin-b", team=b, role=Role.ADMIN),
        "analyst-b": make_user("analyst-b", team=b, role=Role.ANALYST),
        "viewer-b": make_user("viewer-b", team=b, role=Role.VIEWER),
        "analyst-c": make_user("analyst-c", team=c, role=Role.ANALYST),
        "admin-d": make_user("admin-d", team=d, role=Role.ADMIN),
        "community-admin": make_user("community-admin", is_community_admin=True),
        "loner": make_user("loner"),
    }
    west = groups.create_group(a, acting_user=None, name="West", member_teams=[b])
    return World(a=a, b=b, c=c, d=d, west=west, users=users)


def share(world: World, team: Team | None = None, **fields: Any) -> Indicator:
    """An indicator of ``team`` (A) with a fresh value unless one is given."""
    fields.setdefault("kind", "ip")
    fields.setdefault("value", f"198.51.100.{next(_numbers) % 250 + 1}")
    return services.create_indicator(team or world.a, acting_user=None, **fields)


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> World:
    return build_world(make_team, make_user)


def mark_everything(world: World) -> World:
    """A's indicators at every TLP and distribution, and one RED naming C."""
    for tlp in TLP:
        for distribution in Distribution:
            group = world.west if distribution == Distribution.GROUP else None
            world.objects.append(
                share(
                    world,
                    kind="domain",
                    value=f"{tlp.value.replace('+', '-')}-{distribution}.example",
                    tlp=tlp,
                    distribution=distribution,
                    sharing_group=group,
                )
            )
    world.objects.append(
        share(world, tlp=TLP.RED, distribution=Distribution.TEAM, recipient_teams=[world.c])
    )
    return world


@pytest.fixture
def marked(world: World) -> World:
    return mark_everything(world)


def reference_sees(user: User | None, obj: SharedObject) -> bool:
    """The rule of DESIGN.md, written out plainly, to compare the API with."""
    teams = set(user.memberships.values_list("team_id", flat=True)) if user else set()
    member = bool(teams) or bool(user and user.is_community_admin)
    if obj.owner_team_id in teams:
        return True
    if teams & set(obj.recipient_teams.values_list("id", flat=True)):
        return True
    if obj.tlp == TLP.RED:
        return False
    if obj.distribution == Distribution.PUBLIC and obj.tlp == TLP.CLEAR:
        return True
    if not member:
        return False
    if obj.distribution in (Distribution.COMMUNITY, Distribution.PUBLIC):
        return True
    if obj.distribution == Distribution.GROUP and obj.sharing_group is not None:
        group = obj.sharing_group
        in_group = {group.owner_team_id, *group.member_teams.values_list("id", flat=True)}
        return bool(teams & in_group)
    return False


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def ids(response: Any) -> set[int]:
    return {row["id"] for row in results(response)}


# --- generated CRUD, permission, audit and query-count tests -----------------


class TestIndicatorAPI(APICrudTests):
    model = Indicator
    basename = "indicator"

    @pytest.fixture
    def case(self, world: World) -> CrudCase:
        return CrudCase(
            obj=share(world, tlp=TLP.GREEN),
            reader=world["viewer-b"],
            creator=world["analyst-a"],
            create_data={
                "team": world.a.pk,
                "type": "url",
                "value": "hxxp://evil[.]example/login",
                "tlp": "TLP:AMBER",
                "distribution": "group",
                "sharing_group": world.west.pk,
                "labels": ["phishing"],
            },
            expected_after_create={"value": "http://evil.example/login", "expired": False},
            editor=world["analyst-a"],
            update_data={"tlp": "amber+strict", "name": "C2 of the spring campaign"},
            expected_after_update={"tlp": "TLP:AMBER+STRICT"},
            deleter=world["admin-a"],
            denied={
                "create": world["viewer-a"],
                "update": world["analyst-b"],
                "delete": world["viewer-a"],
            },
            make_another=lambda i: share(world, recipient_teams=[world.b]),
            invalid_create_data={"team": world.a.pk, "type": "ip", "value": "999.0.0.1"},
            invalid_message="is not an IP address",
        )


class TestReportAPI(APICrudTests):
    model = Report
    basename = "report"

    @pytest.fixture
    def case(self, world: World) -> CrudCase:
        def another(i: int) -> Report:
            report = services.create_report(
                world.a, acting_user=None, title=f"Report {i}", object_refs=[share(world).stix_id]
            )
            attach_file(
                report,
                SimpleUploadedFile(f"notes-{i}.txt", b"notes"),
                acting_user=world["analyst-a"],
            )
            return report

        return CrudCase(
            obj=services.create_report(
                world.a,
                acting_user=None,
                title="Spring campaign",
                object_refs=[share(world).stix_id],
            ),
            reader=world["analyst-c"],
            creator=world["analyst-a"],
            create_data={
                "team": world.a.pk,
                "title": "Phishing wave",
                "body": "# Phishing\n\nSee **below**.",
                "tlp": "TLP:GREEN",
                "distribution": "community",
                "labels": ["phishing"],
            },
            editor=world["analyst-a"],
            update_data={"title": "Phishing wave, updated", "tlp": "TLP:AMBER"},
            deleter=world["analyst-a"],
            denied={
                "create": world["analyst-b"],
                "update": world["viewer-a"],
                "delete": world["analyst-c"],
            },
            make_another=another,
            invalid_create_data={"team": world.a.pk, "title": "x", "tlp": "TLP:PURPLE"},
            invalid_message="Unknown TLP",
        )


class TestSightingAPI(APICrudTests):
    model = Sighting
    basename = "sighting"

    @pytest.fixture
    def case(self, world: World) -> CrudCase:
        seen = share(world, tlp=TLP.GREEN)
        return CrudCase(
            obj=services.create_sighting(world.b, seen, acting_user=None, count=2),
            reader=world["analyst-c"],
            creator=world["analyst-b"],
            create_data={"team": world.b.pk, "indicator": seen.pk, "count": 5, "tlp": "TLP:GREEN"},
            expected_after_create={"sighting_of_ref": seen.stix_id},
            editor=world["analyst-b"],
            update_data={"count": 9},
            deleter=world["analyst-b"],
            denied={
                "create": world["viewer-b"],
                "update": world["analyst-a"],
                "delete": world["viewer-b"],
            },
            make_another=lambda i: services.create_sighting(world.b, seen, acting_user=None),
            invalid_create_data={"team": world.b.pk, "indicator": seen.pk, "count": -1},
            invalid_message="count",
        )


class TestSharingGroupAPI(APICrudTests):
    model = SharingGroup
    basename = "sharing-group"

    @pytest.fixture
    def case(self, world: World) -> CrudCase:
        return CrudCase(
            obj=world.west,
            reader=world["analyst-c"],
            creator=world["admin-b"],
            create_data={
                "name": "East",
                "owner_team": world.b.pk,
                "member_teams": [world.c.pk],
                "members_can_add": True,
            },
            expected_after_create={"member_team_short_names": ["CERT-C"]},
            editor=world["admin-a"],
            update_data={"name": "West Africa", "description": "The western teams."},
            deleter=world["admin-a"],
            denied={
                "create": world["analyst-b"],
                "update": world["admin-b"],
                "delete": world["analyst-a"],
            },
            make_another=lambda i: groups.create_group(
                world.c, acting_user=None, name=f"group {i}", member_teams=[world.d]
            ),
            invalid_create_data={"name": "West", "owner_team": world.a.pk},
            invalid_message="already exists",
        )


def test_relationships_are_created_read_and_deleted(world: World) -> None:
    source, target = share(world), share(world, kind="domain", value="c2.example")
    data = {
        "team": world.a.pk,
        "relationship_type": "indicates",
        "source_ref": source.stix_id,
        "target_ref": target.stix_id,
        "tlp": "TLP:GREEN",
    }
    assert client_for(world["viewer-a"]).post(RELATIONSHIPS, data, format="json").status_code == 403
    bad = client_for(world["analyst-a"]).post(
        RELATIONSHIPS, {**data, "target_ref": "nonsense"}, format="json"
    )
    assert bad.status_code == 400
    assert "target_ref" in bad.json()
    response = client_for(world["analyst-a"]).post(RELATIONSHIPS, data, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["tlp"] == "TLP:GREEN"
    link = f"{RELATIONSHIPS}{created['id']}/"
    assert client_for(world["analyst-c"]).get(link).json()["source_ref"] == source.stix_id
    assert ids(client_for(world["analyst-c"]).get(RELATIONSHIPS, {"ref": target.stix_id})) == {
        created["id"]
    }
    # A relationship is recorded and deleted, not changed.
    patch = client_for(world["analyst-a"]).patch(link, {"description": "x"}, format="json")
    assert patch.status_code == 405
    assert client_for(world["analyst-c"]).delete(link).status_code == 403
    assert client_for(world["analyst-a"]).delete(link).status_code == 204
    assert not Relationship.objects.exists()


# --- visibility: exactly what the rule says, through every list and detail ---------------

VIEWERS = ["analyst-a", "viewer-b", "analyst-c", "admin-d", "community-admin"]


@pytest.mark.parametrize("who", VIEWERS)
def test_lists_details_and_searches_show_exactly_what_the_rule_allows(
    marked: World, who: str
) -> None:
    user = marked[who]
    client = client_for(user)
    expected = {obj.pk for obj in marked.objects if reference_sees(user, obj)}
    assert ids(client.get(INDICATORS, {"limit": 500})) == expected
    for obj in marked.objects:
        detail = client.get(f"{INDICATORS}{obj.pk}/")
        assert detail.status_code == (200 if obj.pk in expected else 404), (obj, detail.content)
        found = ids(client.get(INDICATORS, {"value": obj.value.replace(".", "[.]")}))
        assert found == ({obj.pk} if obj.pk in expected else set())
        assert ids(client.get(INDICATORS, {"q": obj.value})) == found


def test_the_rule_holds_at_every_level_as_expected(marked: World) -> None:
    """A few plain statements of what the generated comparison checks."""
    by_value = {obj.value: obj.pk for obj in marked.objects}
    seen_by_c = ids(client_for(marked["analyst-c"]).get(INDICATORS, {"limit": 500}))
    seen_by_b = ids(client_for(marked["viewer-b"]).get(INDICATORS, {"limit": 500}))
    assert by_value["amber-group.example"] in seen_by_b  # B is in West
    assert by_value["amber-group.example"] not in seen_by_c  # C is not
    assert by_value["red-community.example"] not in seen_by_b  # RED: named recipients only
    assert by_value["green-team.example"] not in seen_by_b
    red_for_c = next(obj for obj in marked.objects if obj.kind == "ip")
    assert red_for_c.pk in seen_by_c  # named recipient
    assert red_for_c.pk not in seen_by_b


def test_sightings_relationships_and_reports_hide_what_stands_on_hidden_objects(
    marked: World,
) -> None:
    secret = share(marked, tlp=TLP.AMBER, distribution=Distribution.TEAM)
    open_one = share(marked, tlp=TLP.GREEN)
    sighting = services.create_sighting(marked.a, secret, acting_user=None)
    hidden_link = services.create_relationship(
        marked.a,
        acting_user=None,
        relationship_type="related-to",
        source_ref=secret.stix_id,
        target_ref=open_one.stix_id,
    )
    elsewhere = "malware--0b0c2d6e-9f3a-4e49-8b7a-5f1a3c6b2d10"
    report = services.create_report(
        marked.a,
        acting_user=None,
        title="Both",
        object_refs=[secret.stix_id, open_one.stix_id, elsewhere],
    )
    client = client_for(marked["viewer-b"])
    assert sighting.pk not in ids(client.get(SIGHTINGS))
    assert client.get(f"{SIGHTINGS}{sighting.pk}/").status_code == 404
    assert hidden_link.pk not in ids(client.get(RELATIONSHIPS))
    assert client.get(f"{RELATIONSHIPS}{hidden_link.pk}/").status_code == 404
    listed = next(row for row in results(client.get(REPORTS)) if row["id"] == report.pk)
    assert listed["object_refs"] == [open_one.stix_id, elsewhere]
    assert client.get(f"{REPORTS}{report.pk}/").json()["object_refs"] == [
        open_one.stix_id,
        elsewhere,
    ]
    owner = client_for(marked["analyst-a"]).get(f"{REPORTS}{report.pk}/").json()
    assert owner["object_refs"] == [secret.stix_id, open_one.stix_id, elsewhere]


def test_an_editor_who_cannot_see_a_reference_keeps_it(world: World) -> None:
    theirs = share(world, team=world.b, tlp=TLP.AMBER, distribution=Distribution.TEAM)
    mine = share(world)
    report = services.create_report(
        world.a, acting_user=None, title="x", object_refs=[theirs.stix_id, mine.stix_id]
    )
    response = client_for(world["analyst-a"]).patch(
        f"{REPORTS}{report.pk}/", {"object_refs": []}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["object_refs"] == []
    report.refresh_from_db()
    assert report.object_refs == [theirs.stix_id]


def test_also_seen_by_counts_only_what_the_reader_may_see(world: World) -> None:
    mine = share(world, team=world.c, value="203.0.113.9")
    share(world, team=world.a, value="203.0.113.9", distribution=Distribution.TEAM)
    theirs = share(world, team=world.b, value="203.0.113[.]9", tlp=TLP.GREEN)
    services.create_sighting(world.b, theirs, acting_user=None, count=3)
    data = client_for(world["analyst-c"]).get(f"{INDICATORS}{mine.pk}/").json()
    assert [
        (row["team_short_name"], row["indicators"], row["sightings"])
        for row in data["also_seen_by"]
    ] == [("CERT-B", 1, 1)]
    assert "also_seen_by" not in results(client_for(world["analyst-c"]).get(INDICATORS))[0]


# --- TLP labels, filters, errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("TLP:CLEAR", TLP.CLEAR),
        ("TLP:WHITE", TLP.CLEAR),
        ("green", TLP.GREEN),
        ("TLP:AMBER", TLP.AMBER),
        ("TLP:AMBER+STRICT", TLP.AMBER_STRICT),
        ("amber+strict", TLP.AMBER_STRICT),
        ("TLP:RED", TLP.RED),
    ],
)
def test_tlp_labels_and_values_are_read_and_labels_written(
    world: World, given: str, stored: TLP
) -> None:
    response = client_for(world["analyst-a"]).post(
        INDICATORS,
        {"value": "hxxps://login-bank[.]example/x", "tlp": given, "distribution": "team"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["tlp"] == stored.label
    assert data["type"] == "url"  # guessed: the only team, the type from the value
    assert data["team"] == world.a.pk
    assert Indicator.objects.get(pk=data["id"]).tlp == stored


def test_tlp_filter_takes_labels_and_values(marked: World) -> None:
    client = client_for(marked["analyst-a"])
    strict = {obj.pk for obj in marked.objects if obj.tlp == TLP.AMBER_STRICT}
    assert ids(client.get(INDICATORS, {"tlp": "TLP:AMBER+STRICT", "limit": "500"})) == strict
    assert ids(client.get(f"{INDICATORS}?tlp=TLP:AMBER+STRICT&limit=500")) == strict
    both = {obj.pk for obj in marked.objects if obj.tlp in (TLP.RED, TLP.CLEAR)}
    assert ids(client.get(INDICATORS, {"tlp": ["red", "TLP:CLEAR"], "limit": "500"})) == both
    refused = client.get(INDICATORS, {"tlp": "TLP:PURPLE"})
    assert refused.status_code == 400
    assert "tlp" in refused.json()


def test_filters_by_type_team_validity_and_bad_values(world: World) -> None:
    now = timezone.now()
    old = share(
        world,
        value="192.0.2.1",
        valid_from=now - dt.timedelta(days=3),
        valid_until=now - dt.timedelta(days=1),
    )
    current = share(world, team=world.b, kind="domain", value="Evil.Example.")
    client = client_for(world["analyst-c"])
    assert ids(client.get(INDICATORS, {"type": "domain"})) == {current.pk}
    assert ids(client.get(INDICATORS, {"team": "CERT-B"})) == {current.pk}
    assert ids(client.get(INDICATORS, {"expired": "true"})) == {old.pk}
    assert ids(client.get(INDICATORS, {"active": "true"})) == {current.pk}
    assert ids(client.get(INDICATORS, {"active": "false"})) == {old.pk}
    assert results(client.get(INDICATORS, {"expired": "true"}))[0]["expired"] is True
    assert ids(client.get(INDICATORS, {"value": "evil[.]example"})) == {current.pk}
    assert ids(client.get(INDICATORS, {"type": "domain", "value": "EVIL.example"})) == {current.pk}
    refused = client.get(INDICATORS, {"type": "ip", "value": "evil.example"})
    assert refused.status_code == 400
    assert "value" in refused.json()


def test_validation_errors_name_their_fields(world: World) -> None:
    client = client_for(world["analyst-a"])
    response = client.post(
        INDICATORS,
        {"team": world.a.pk, "type": "domain", "value": "x", "distribution": "group"},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()
    response = client.post(
        INDICATORS,
        {"team": world.a.pk, "value": "evil.example", "distribution": "group"},
        format="json",
    )
    assert response.status_code == 400
    assert "sharing_group" in response.json()
    outside = groups.create_group(world.c, acting_user=None, name="Elsewhere")
    response = client.post(
        INDICATORS,
        {
            "team": world.a.pk,
            "value": "evil.example",
            "distribution": "group",
            "sharing_group": outside.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "sharing_group" in response.json()
    response = client.post(INDICATORS, {"team": world.a.pk, "value": "a file.exe"}, format="json")
    assert response.status_code == 400
    assert "type" in response.json()
    # A team the user shares nothing for: refused, and nothing written.
    response = client.post(INDICATORS, {"team": world.b.pk, "value": "evil.example"}, format="json")
    assert response.status_code == 403
    assert not Indicator.objects.exists()


def test_a_sighting_needs_an_indicator_the_team_may_see(world: World) -> None:
    secret = share(world, distribution=Distribution.TEAM)
    response = client_for(world["analyst-c"]).post(
        SIGHTINGS, {"team": world.c.pk, "indicator": secret.pk}, format="json"
    )
    assert response.status_code == 400
    missing = client_for(world["analyst-c"]).post(
        SIGHTINGS, {"team": world.c.pk, "indicator": 999_999}, format="json"
    )
    assert missing.json()["indicator"] == response.json()["indicator"]  # nothing revealed


def test_an_object_stays_with_its_team(world: World) -> None:
    indicator = share(world)
    response = client_for(world["admin-a"]).patch(
        f"{INDICATORS}{indicator.pk}/", {"team": world.b.pk}, format="json"
    )
    assert response.status_code == 400
    assert "team" in response.json()


def test_sharing_group_members_join_and_leave(world: World) -> None:
    url = f"{GROUPS}{world.west.pk}/"
    denied = client_for(world["admin-d"]).post(f"{url}add-team/", {"team": world.d.pk})
    assert denied.status_code == 403
    added = client_for(world["admin-a"]).post(f"{url}add-team/", {"team": world.c.pk})
    assert added.status_code == 200, added.content
    assert added.json()["member_team_short_names"] == ["CERT-B", "CERT-C"]
    # B's admin takes B out: leaving.
    left = client_for(world["admin-b"]).post(f"{url}remove-team/", {"team": world.b.pk})
    assert left.status_code == 200, left.content
    assert left.json()["member_team_short_names"] == ["CERT-C"]
    # Another team's admin may not take C out.
    refused = client_for(world["admin-d"]).post(f"{url}remove-team/", {"team": world.c.pk})
    assert refused.status_code == 403
    changing = client_for(world["admin-a"]).patch(
        url, {"member_teams": [world.d.pk]}, format="json"
    )
    assert changing.status_code == 400


def test_a_group_in_use_is_not_deleted(world: World) -> None:
    share(world, distribution=Distribution.GROUP, sharing_group=world.west)
    response = client_for(world["admin-a"]).delete(f"{GROUPS}{world.west.pk}/")
    assert response.status_code == 400
    assert SharingGroup.objects.filter(pk=world.west.pk).exists()


# --- no N+1 on lists -------------------------------------------------------------------


def test_lists_take_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        indicator = share(
            world,
            tlp=TLP.AMBER,
            distribution=Distribution.GROUP,
            sharing_group=world.west,
            recipient_teams=[world.c],
        )
        services.create_sighting(world.b, indicator, acting_user=None, count=number + 1)
        report = services.create_report(
            world.a, acting_user=None, title=f"r{number}", object_refs=[indicator.stix_id]
        )
        services.create_relationship(
            world.a,
            acting_user=None,
            relationship_type="related-to",
            source_ref=indicator.stix_id,
            target_ref=report.stix_id,
        )
        groups.create_group(world.c, acting_user=None, name=f"g{number}", member_teams=[world.d])
    client = client_for(world["viewer-b"])
    client.get(INDICATORS)
    for url in (INDICATORS, REPORTS, SIGHTINGS, RELATIONSHIPS, GROUPS):
        with django_assert_max_num_queries(20):  # reports: 10 to hide references
            assert len(results(client.get(url))) >= 2


# --- the schema and the session ---------------------------------------------------------


def test_the_openapi_schema_documents_the_sharing_api(world: World) -> None:
    response = client_for(world["viewer-a"]).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    for path in (INDICATORS, REPORTS, SIGHTINGS, RELATIONSHIPS, GROUPS):
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    indicator = components["Indicator"]["properties"]
    for name in ("type", "value", "tlp", "distribution", "sharing_group", "valid_until"):
        assert name in indicator, name
    assert "TlpLabelEnum" in str(indicator["tlp"])
    assert components["TlpLabelEnum"]["enum"] == [str(label) for label in TLP.labels]
    detail = schema["components"]["schemas"]["IndicatorDetail"]["properties"]
    assert "also_seen_by" in detail


def test_a_browser_session_reads_the_api_too(world: World) -> None:
    indicator = share(world)
    client = Client()
    client.force_login(world["viewer-b"])
    assert client.get(f"{INDICATORS}{indicator.pk}/").status_code == 200
    anonymous = APIClient().get(INDICATORS)
    assert anonymous.status_code == 401
