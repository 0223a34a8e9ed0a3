"""Shared objects through the services: permissions, normalised values,
versions with their own marking, sharing groups, references hidden."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import AuditEntry, SharingGroup, Team, User
from baobab.sharing import groups, services
from baobab.sharing.correlation import correlations
from baobab.sharing.models import Indicator, ObjectVersion, Relationship, Report, Sighting
from baobab.sharing.queries import hidden_ids, seen_contents, visible, visible_versions

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    cert_a, cert_b, cert_c = make_team("cert-a"), make_team("cert-b"), make_team("cert-c")
    return {
        "a": cert_a,
        "b": cert_b,
        "c": cert_c,
        "analyst_a": make_user("analyst-a", team=cert_a, role=Role.ANALYST),
        "viewer_a": make_user("viewer-a", team=cert_a, role=Role.VIEWER),
        "admin_a": make_user("admin-a", team=cert_a, role=Role.ADMIN),
        "admin_b": make_user("admin-b", team=cert_b, role=Role.ADMIN),
        "user_b": make_user("user-b", team=cert_b, role=Role.ANALYST),
        "user_c": make_user("user-c", team=cert_c, role=Role.ANALYST),
    }


def _indicator(
    world: dict[str, Any], value: str = "hxxp://evil[.]example/x", **fields: Any
) -> Indicator:
    fields.setdefault("kind", "url")
    return services.create_indicator(
        world["a"], acting_user=world["analyst_a"], value=value, **fields
    )


def test_an_indicator_is_stored_normalised_audited_and_versioned(world: dict[str, Any]) -> None:
    indicator = _indicator(world, tlp=TLP.AMBER)
    assert indicator.value == "http://evil.example/x"
    assert indicator.stix_id.startswith("indicator--")
    assert indicator.created_by == world["analyst_a"]
    assert AuditEntry.objects.filter(action="create", object_type="sharing.indicator").count() == 1
    version = ObjectVersion.objects.get(stix_id=indicator.stix_id)
    assert version.is_current
    assert version.tlp == TLP.AMBER
    assert version.content["pattern"] == "[url:value = 'http://evil.example/x']"


def test_a_viewer_may_not_share_and_a_bad_value_is_refused(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.create_indicator(
            world["a"], acting_user=world["viewer_a"], kind="ip", value="192.0.2.1"
        )
    with pytest.raises(ValidationError) as refused:
        _indicator(world, kind="ip", value="999.1.1.1")
    assert "value" in refused.value.message_dict
    assert not Indicator.objects.exists()
    assert not ObjectVersion.objects.exists()


def test_each_change_is_a_version_keeping_its_own_marking(world: dict[str, Any]) -> None:
    indicator = _indicator(world, tlp=TLP.RED)
    services.update_indicator(
        indicator,
        {"tlp": TLP.CLEAR, "distribution": Distribution.PUBLIC},
        acting_user=world["analyst_a"],
    )
    versions = list(ObjectVersion.objects.filter(stix_id=indicator.stix_id).order_by("modified"))
    assert [(v.tlp, v.is_current) for v in versions] == [(TLP.RED, False), (TLP.CLEAR, True)]
    assert versions[0].modified < versions[1].modified
    # Anybody sees the public version; nobody outside the team the RED one.
    assert list(visible_versions(None)) == [versions[1]]
    assert set(visible_versions(world["analyst_a"])) == set(versions)


def test_owner_and_identity_cannot_change(world: dict[str, Any]) -> None:
    indicator = _indicator(world)
    with pytest.raises(ValidationError):
        services.update_indicator(indicator, {"owner_team": world["b"]}, acting_user=None)


def test_sharing_with_a_group_the_team_is_not_in_is_refused(world: dict[str, Any]) -> None:
    group = groups.create_group(world["b"], acting_user=world["admin_b"], name="West")
    with pytest.raises(ValidationError):
        _indicator(world, distribution=Distribution.GROUP, sharing_group=group)
    groups.add_team(group, world["a"], acting_user=world["admin_b"])
    indicator = _indicator(world, distribution=Distribution.GROUP, sharing_group=group)
    assert set(visible(Indicator, world["user_b"])) == {indicator}
    assert not visible(Indicator, world["user_c"]).exists()


def test_group_members_add_teams_only_when_the_owner_allows(world: dict[str, Any]) -> None:
    group = groups.create_group(
        world["b"], acting_user=world["admin_b"], name="West", member_teams=[world["a"]]
    )
    with pytest.raises(PermissionDenied):
        groups.add_team(group, world["c"], acting_user=world["admin_a"])
    groups.update_group(group, {"members_can_add": True}, acting_user=world["admin_b"])
    groups.add_team(group, world["c"], acting_user=world["admin_a"])
    assert set(group.member_teams.all()) == {world["a"], world["c"]}
    with pytest.raises(PermissionDenied):
        groups.update_group(group, {"name": "East"}, acting_user=world["admin_a"])
    groups.remove_team(group, world["a"], acting_user=world["admin_a"])  # leaving
    assert set(group.member_teams.all()) == {world["c"]}


def test_a_group_in_use_is_not_deleted(world: dict[str, Any]) -> None:
    group = groups.create_group(world["a"], acting_user=world["admin_a"], name="Mine")
    _indicator(world, distribution=Distribution.GROUP, sharing_group=group)
    with pytest.raises(ValidationError):
        groups.delete_group(group, acting_user=world["admin_a"])
    assert SharingGroup.objects.filter(pk=group.pk).exists()


def test_a_sighting_of_an_invisible_indicator_is_refused_and_hidden(world: dict[str, Any]) -> None:
    secret = _indicator(world, distribution=Distribution.TEAM)
    with pytest.raises(ValidationError):
        services.create_sighting(world["b"], secret, acting_user=world["user_b"])
    shared = _indicator(world, value="evil.example", kind="domain", tlp=TLP.GREEN)
    sighting = services.create_sighting(
        world["b"], shared, acting_user=world["user_b"], count=3, tlp=TLP.GREEN
    )
    assert set(visible(Sighting, world["user_c"])) == {sighting}
    # The indicator becomes the team's own: the sighting goes with it.
    services.update_indicator(
        shared, {"distribution": Distribution.TEAM}, acting_user=world["analyst_a"]
    )
    assert not visible(Sighting, world["user_c"]).exists()
    assert set(visible(Sighting, world["analyst_a"])) == {sighting}


def test_relationships_and_reports_never_name_what_the_viewer_cannot_see(
    world: dict[str, Any],
) -> None:
    secret = _indicator(world, distribution=Distribution.TEAM)
    known = _indicator(world, value="evil.example", kind="domain")
    elsewhere = "malware--0b0c2d6e-9f3a-4e49-8b7a-5f1a3c6b2d10"  # not held by Baobab
    linked = services.create_relationship(
        world["a"],
        acting_user=world["analyst_a"],
        relationship_type="indicates",
        source_ref=secret.stix_id,
        target_ref=elsewhere,
    )
    open_link = services.create_relationship(
        world["a"],
        acting_user=world["analyst_a"],
        relationship_type="indicates",
        source_ref=known.stix_id,
        target_ref=elsewhere,
    )
    report = services.create_report(
        world["a"],
        acting_user=world["analyst_a"],
        title="Campaign",
        object_refs=[secret.stix_id, known.stix_id, elsewhere],
    )
    assert set(visible(Relationship, world["user_b"])) == {open_link}
    assert set(visible(Relationship, world["analyst_a"])) == {linked, open_link}
    assert hidden_ids([secret.stix_id, known.stix_id, elsewhere], world["user_b"]) == {
        secret.stix_id
    }
    contents = seen_contents(visible_versions(world["user_b"]), world["user_b"])
    by_id = {content["id"]: content for content in contents}
    assert secret.stix_id not in by_id
    assert linked.stix_id not in by_id
    assert by_id[report.stix_id]["object_refs"] == [known.stix_id, elsewhere]
    assert set(visible(Report, world["user_b"])) == {report}


def test_also_seen_by_counts_only_what_the_viewer_may_see(world: dict[str, Any]) -> None:
    mine = services.create_indicator(
        world["c"], acting_user=world["user_c"], kind="ip", value="192.0.2.7"
    )
    assert correlations(mine, world["user_c"]) == []
    # cert-a has the same value, for itself only: cert-c learns nothing.
    _indicator(world, kind="ip", value="192.0.2.7", distribution=Distribution.TEAM)
    assert correlations(mine, world["user_c"]) == []
    # cert-b shares it with the community and saw it twice.
    theirs = services.create_indicator(
        world["b"], acting_user=world["user_b"], kind="ip", value="192.0.2[.]7"
    )
    services.create_sighting(world["b"], theirs, acting_user=world["user_b"], count=2)
    found = correlations(mine, world["user_c"])
    assert [(entry.team, entry.indicators, entry.sightings) for entry in found] == [
        (world["b"], 1, 1)
    ]
    # cert-a's own analyst sees its own copy too.
    found_by_a = correlations(mine, world["analyst_a"])
    assert {entry.team for entry in found_by_a} == {world["a"], world["b"]}
