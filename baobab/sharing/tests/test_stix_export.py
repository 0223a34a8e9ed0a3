"""STIX 2.1 export: validator-clean bundles of exactly what the viewer may
see, with the TLP 2.0 marking definitions and the team identities they use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from stix2validator import ValidationOptions, validate_instance

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import SharingGroup, Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.queries import HOLDING_MODELS, visible
from baobab.sharing.stix.export import export_bundle
from baobab.sharing.stix.importer import Sharing, import_bundle
from baobab.sharing.stix.markings import TLP2_IDS
from baobab.sharing.stix.references import references_of
from baobab.sharing.stix.render import team_identity_id

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@dataclass
class Community:
    """Three teams, their users, a sharing group and objects of every kind,
    at every TLP and distribution."""

    teams: dict[str, Team]
    users: dict[str, User]
    group: SharingGroup
    objects: list[SharedObject] = field(default_factory=list)

    def viewers(self) -> dict[str, Any]:
        return {"anonymous": None, **self.users, **{f"team {k}": t for k, t in self.teams.items()}}


KINDS = [
    ("ip", "192.0.2.1"),
    ("prefix", "198.51.100.0/24"),
    ("ip", "2001:db8::1"),
    ("domain", "evil.example"),
    ("url", "hxxp://evil[.]example/a?b=c"),
    ("email", "ceo@phish.example"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E"),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (
        "sha512",
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    ),
    ("asn", "AS64500"),
    ("file-name", "invoice.pdf.exe"),
]


@pytest.fixture
def community(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Community:
    return build_community(make_team, make_user)


def build_community(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Community:
    """Three teams, five users, a group, and objects of every kind, TLP and distribution."""
    teams = {name: make_team(f"cert-{name}", name=f"CERT {name.upper()}") for name in "abc"}
    teams["a"].email = "cert@a.example"
    teams["a"].save()
    users = {
        "analyst_a": make_user("analyst-a", team=teams["a"], role=Role.ANALYST),
        "admin_b": make_user("admin-b", team=teams["b"], role=Role.ADMIN),
        "analyst_b": make_user("analyst-b", team=teams["b"], role=Role.ANALYST),
        "viewer_c": make_user("viewer-c", team=teams["c"], role=Role.VIEWER),
        "outsider": make_user("outsider"),
    }
    group = groups.create_group(
        teams["a"], acting_user=None, name="West", member_teams=[teams["b"]]
    )
    world = Community(teams=teams, users=users, group=group)
    a, analyst = teams["a"], users["analyst_a"]
    for number, tlp in enumerate(TLP):
        for distribution in Distribution:
            kind, value = KINDS[(number * 4 + list(Distribution).index(distribution)) % len(KINDS)]
            world.objects.append(
                services.create_indicator(
                    a,
                    acting_user=analyst,
                    kind=kind,
                    value=value,
                    tlp=tlp,
                    distribution=distribution,
                    sharing_group=group if distribution == Distribution.GROUP else None,
                    description=f"{tlp} {distribution}",
                    labels=["test"],
                    confidence=60,
                )
            )
    for kind, value in KINDS:
        world.objects.append(
            services.create_indicator(
                a,
                acting_user=analyst,
                kind=kind,
                value=value,
                tlp=TLP.CLEAR,
                distribution=Distribution.PUBLIC,
                name=f"{kind} indicator",
            )
        )
    revoked = services.create_indicator(
        a, acting_user=analyst, kind="domain", value="old.example", tlp=TLP.GREEN
    )
    services.update_indicator(revoked, {"revoked": True}, acting_user=analyst)
    expired = services.create_indicator(
        a,
        acting_user=analyst,
        kind="domain",
        value="gone.example",
        tlp=TLP.GREEN,
        valid_from=NOW - dt.timedelta(days=30),
        valid_until=NOW - dt.timedelta(days=1),
    )
    indicators = [obj for obj in world.objects if isinstance(obj, Indicator)]
    secret = indicators[4 * 4]  # TLP:RED, own team
    shared = indicators[0]  # TLP:CLEAR, own team: team a only
    public = indicators[3]  # TLP:CLEAR, public
    community_green = indicators[4 + 2]  # TLP:GREEN, community
    assert (secret.tlp, secret.distribution) == (TLP.RED, Distribution.TEAM)
    assert (community_green.tlp, community_green.distribution) == (
        TLP.GREEN,
        Distribution.COMMUNITY,
    )
    world.objects += [revoked, expired]
    world.objects.append(
        services.create_sighting(
            teams["b"], community_green, acting_user=users["analyst_b"], count=4, tlp=TLP.GREEN
        )
    )
    world.objects.append(
        services.create_sighting(teams["a"], secret, acting_user=analyst, tlp=TLP.AMBER)
    )
    world.objects.append(
        services.create_relationship(
            a,
            acting_user=analyst,
            relationship_type="indicates",
            source_ref=public.stix_id,
            target_ref="malware--0b0c2d6e-9f3a-4e49-8b7a-5f1a3c6b2d10",
            tlp=TLP.CLEAR,
            distribution=Distribution.PUBLIC,
        )
    )
    world.objects.append(
        services.create_relationship(
            a,
            acting_user=analyst,
            relationship_type="related-to",
            source_ref=secret.stix_id,
            target_ref=community_green.stix_id,
            tlp=TLP.GREEN,
        )
    )
    world.objects.append(
        services.create_report(
            a,
            acting_user=analyst,
            title="Campaign",
            body="# Findings\n\nSee *below*.",
            report_types=["campaign"],
            labels=["wave"],
            object_refs=[secret.stix_id, shared.stix_id, public.stix_id],
            tlp=TLP.GREEN,
        )
    )
    world.objects.append(
        services.create_report(
            a, acting_user=analyst, title="Empty", tlp=TLP.CLEAR, distribution=Distribution.PUBLIC
        )
    )
    # Objects of types Baobab does not model, kept as received.
    kept = {
        "type": "bundle",
        "id": "bundle--3f0a8e51-8f63-4b59-9f41-0b5b0a1f1d01",
        "objects": [
            {
                "type": "x-example-note",
                "spec_version": "2.1",
                "id": "x-example-note--7d1d8a4e-2d6f-4d39-9a8e-3b2f3f7d0c11",
                "created": "2024-01-02T03:04:05.000Z",
                "modified": "2024-01-02T03:04:05.000Z",
                "x_text": "kept",
                "object_marking_refs": [TLP2_IDS[TLP.GREEN]],
            },
            {
                "type": "malware",
                "spec_version": "2.1",
                "id": "malware--0b0c2d6e-9f3a-4e49-8b7a-5f1a3c6b2d10",
                "created": "2024-01-02T03:04:05.000Z",
                "modified": "2024-01-02T03:04:05.000Z",
                "name": "Loader",
                "is_family": True,
            },
            {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": "ipv4-addr--1d2b3c4d-5e6f-5a7b-8c9d-0e1f2a3b4c5d",
                "value": "203.0.113.9",
            },
        ],
    }
    import_bundle(
        kept,
        team=teams["b"],
        acting_user=None,
        sharing=Sharing(distribution=Distribution.COMMUNITY, default_tlp=TLP.CLEAR),
    )
    return world


def _errors(bundle: dict[str, Any]) -> list[str]:
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    return [str(error) for error in result.errors]


def test_every_export_passes_the_validator(community: Community) -> None:
    for name, who in community.viewers().items():
        bundle = export_bundle(who)
        assert _errors(bundle) == [], name
    everything = export_bundle(community.teams["a"])
    types = {obj["type"] for obj in everything["objects"]}
    assert {"indicator", "sighting", "relationship", "report", "marking-definition"} <= types
    assert {"identity", "x-example-note", "malware", "ipv4-addr"} <= types
    assert any(obj.get("revoked") for obj in everything["objects"])
    assert any("valid_until" in obj for obj in everything["objects"])
    tlps = {ref for obj in everything["objects"] for ref in obj.get("object_marking_refs", [])}
    assert tlps == set(TLP2_IDS.values())


def test_the_bundle_holds_the_markings_and_team_identities_it_names(community: Community) -> None:
    bundle = export_bundle(community.users["analyst_b"])
    by_id = {obj["id"]: obj for obj in bundle["objects"]}
    assert len(by_id) == len(bundle["objects"])  # one object per id
    for obj in bundle["objects"]:
        for ref in obj.get("object_marking_refs", []):
            assert by_id[ref]["type"] == "marking-definition"
            assert by_id[ref]["extensions"]
    identity_a = by_id[team_identity_id(community.teams["a"])]
    assert identity_a["name"] == "CERT A"
    assert identity_a["contact_information"] == "cert@a.example"
    sighting = next(obj for obj in bundle["objects"] if obj["type"] == "sighting")
    assert sighting["where_sighted_refs"] == [team_identity_id(community.teams["b"])]
    assert team_identity_id(community.teams["b"]) in by_id
    assert team_identity_id(community.teams["c"]) not in by_id  # named by nothing


def _held_ids() -> set[str]:
    return {
        stix_id
        for model in HOLDING_MODELS
        for stix_id in model._default_manager.values_list("stix_id", flat=True)
    }


@pytest.mark.parametrize(
    "name",
    ["anonymous", "analyst_a", "admin_b", "analyst_b", "viewer_c", "outsider", "team c"],
)
def test_an_export_holds_exactly_what_the_viewer_may_see(community: Community, name: str) -> None:
    who = community.viewers()[name]
    bundle = export_bundle(who)
    exported = {obj["id"]: obj for obj in bundle["objects"]}
    shared = {
        obj_id for obj_id, obj in exported.items() if obj["type"] not in ("marking-definition",)
    }
    shared -= {team_identity_id(team) for team in community.teams.values()}
    expected: set[str] = set()
    for model in (Indicator, Report, Sighting, Relationship, KeptObject):
        expected |= set(visible(model, who).values_list("stix_id", flat=True))
    assert shared == expected
    # No reference to anything held that the viewer may not see.
    held, seen = _held_ids(), expected
    for obj in bundle["objects"]:
        for ref in references_of(obj):
            assert ref not in held or ref in seen, (name, obj["id"], ref)


def test_anybody_gets_only_public_clear_objects(community: Community) -> None:
    bundle = export_bundle(None)
    ids = {obj["id"] for obj in bundle["objects"] if obj["type"] != "marking-definition"}
    public = ObjectVersion.objects.filter(
        is_current=True, tlp=TLP.CLEAR, distribution=Distribution.PUBLIC
    )
    # The public relationship stands on malware shared with the community only.
    hidden = Relationship.objects.get(relationship_type="indicates").stix_id
    assert ids - {team_identity_id(community.teams["a"])} == set(
        public.values_list("stix_id", flat=True)
    ) - {hidden}
    markings = [obj for obj in bundle["objects"] if obj["type"] == "marking-definition"]
    assert [obj["id"] for obj in markings] == [TLP2_IDS[TLP.CLEAR]]


def test_a_report_names_only_what_the_viewer_may_see(community: Community) -> None:
    report = Report.objects.get(title="Campaign")
    for name in ("analyst_a", "analyst_b"):
        who = community.users[name]
        exported = next(obj for obj in export_bundle(who)["objects"] if obj["id"] == report.stix_id)
        refs = set(exported["object_refs"])
        visible_ids = set(visible(Indicator, who).values_list("stix_id", flat=True))
        assert refs == set(report.object_refs) & visible_ids
    assert len(set(exported["object_refs"])) < len(report.object_refs)


def test_an_export_narrowed_by_type_team_time_and_id(community: Community) -> None:
    who = community.users["analyst_b"]
    only = export_bundle(who, types=["report", "sighting"])
    assert {obj["type"] for obj in only["objects"]} <= {
        "report",
        "sighting",
        "marking-definition",
        "identity",
    }
    assert any(obj["type"] == "sighting" for obj in only["objects"])
    of_b = export_bundle(who, team=community.teams["b"])
    owned = {
        obj["id"]
        for obj in of_b["objects"]
        if obj["type"] not in ("marking-definition", "identity")
    }
    assert owned == set(
        ObjectVersion.objects.filter(owner_team=community.teams["b"], is_current=True).values_list(
            "stix_id", flat=True
        )
    )
    later = export_bundle(who, since=timezone.now() + dt.timedelta(minutes=1))
    assert "objects" not in later
    assert _errors(later) == []
    one = community.objects[3]
    picked = export_bundle(who, ids=[one.stix_id])
    assert [obj["id"] for obj in picked["objects"] if obj["type"] == "indicator"] == [one.stix_id]


def test_kept_objects_are_exported_as_received(community: Community) -> None:
    bundle = export_bundle(community.users["viewer_c"])
    note = next(obj for obj in bundle["objects"] if obj["type"] == "x-example-note")
    assert note == {
        "type": "x-example-note",
        "spec_version": "2.1",
        "id": "x-example-note--7d1d8a4e-2d6f-4d39-9a8e-3b2f3f7d0c11",
        "created": "2024-01-02T03:04:05.000Z",
        "modified": "2024-01-02T03:04:05.000Z",
        "x_text": "kept",
        "object_marking_refs": [TLP2_IDS[TLP.GREEN]],
    }
    address = next(obj for obj in bundle["objects"] if obj["type"] == "ipv4-addr")
    assert address["object_marking_refs"] == [TLP2_IDS[TLP.CLEAR]]
