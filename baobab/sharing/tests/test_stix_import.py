"""STIX 2.1 import: what each object becomes, its TLP in every spelling,
objects of unknown types kept, invalid bundles refused whole, idempotent
re-imports and versions, permissions and sharing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from stix2validator import ValidationOptions, validate_instance

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import AuditEntry, Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    Sighting,
)
from baobab.sharing.stix.importer import (
    BundleRefusedError,
    Sharing,
    import_bundle,
    read_bundle,
)
from baobab.sharing.stix.markings import TLP1_IDS, TLP2_IDS
from baobab.sharing.stix.render import team_identity_id

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "stix"
TLP1 = {tlp: marking for marking, tlp in TLP1_IDS.items()}
C = "2024-03-04T10:11:12.000Z"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def _by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in bundle["objects"]}


@pytest.fixture
def team(make_team: Callable[..., Team]) -> Team:
    return make_team("cert-x", name="CERT X")


def _all_rows() -> tuple[int, ...]:
    return tuple(
        model._default_manager.count()
        for model in (Indicator, Report, Sighting, Relationship, KeptObject, ObjectVersion)
    )


def _indicator(stix_id: str, pattern: str, modified: str = C, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id,
        "created": C,
        "modified": modified,
        "name": "n",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": C,
        **extra,
    }


def _bundle(*objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "bundle",
        "id": "bundle--6a8e7c45-0a37-4d6b-8b8e-0c7a1b0c6f11",
        "objects": list(objects),
    }


ID = "indicator--3c1b2c1e-5a6d-4f7e-8a9b-0c1d2e3f4a5b"


def test_an_opencti_style_bundle(team: Team) -> None:
    bundle = sample("opencti_style")
    objects = _by_id(bundle)
    report = import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    assert report.total == len(objects)
    assert report.created == len(objects) - 2  # TLP:GREEN and the platform's AMBER+STRICT
    assert report.not_stored == 2
    assert report.per_type["indicator"].kept_as_is == 1  # two comparisons
    domain = Indicator.objects.get(kind="domain")
    source = next(obj for obj in objects.values() if obj.get("name") == "Phishing domain")
    assert domain.stix_id == source["id"]
    assert domain.value == "login-webmail.example.net"
    assert domain.name == "Phishing domain"
    assert domain.description == "Hosts a fake webmail login."
    assert domain.labels == ["phishing"]
    assert domain.confidence == 80
    assert domain.tlp == TLP.GREEN  # TLP 1.0 id
    assert domain.created_by_ref == source["created_by_ref"]
    assert domain.valid_until is not None
    assert domain.modified > domain.created
    c2 = Indicator.objects.get(kind="ip")
    assert c2.tlp == TLP.AMBER_STRICT  # the platform's own marking, by its name
    assert c2.value == "198.51.100.23"
    both = KeptObject.objects.get(stix_type="indicator")
    assert both.tlp == TLP.AMBER
    assert " AND " in both.content["pattern"]
    emotet = KeptObject.objects.get(stix_type="malware")
    assert emotet.content["name"] == "Emotet"
    assert KeptObject.objects.filter(stix_type="identity").count() == 1
    assert KeptObject.objects.filter(stix_type="attack-pattern").get().tlp == TLP.AMBER  # default
    relationship = Relationship.objects.get()
    assert (relationship.source_ref, relationship.target_ref) == (c2.stix_id, emotet.stix_id)
    sighting = Sighting.objects.get()
    assert (sighting.indicator, sighting.count) == (domain, 3)
    stored = Report.objects.get()
    assert stored.title == "Emotet wave, March 2024"
    assert stored.tlp == TLP.CLEAR  # TLP 1.0 WHITE
    assert stored.object_refs == source_refs(objects, stored.stix_id)
    assert stored.report_types == ["threat-report"]
    # Each version is the object as received, its TLP marking written as TLP 2.0.
    version = ObjectVersion.objects.get(stix_id=domain.stix_id)
    expected = {**source, "object_marking_refs": [TLP2_IDS[TLP.GREEN]]}
    assert version.content == expected
    assert version.is_current
    assert (version.tlp, version.distribution) == (TLP.GREEN, Distribution.COMMUNITY)


def source_refs(objects: dict[str, dict[str, Any]], stix_id: str) -> list[str]:
    refs: list[str] = objects[stix_id]["object_refs"]
    return refs


def test_a_misp_style_bundle(team: Team) -> None:
    bundle = sample("misp_style")
    report = import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    assert report.not_stored == 2  # TLP:AMBER, tlp:amber+strict; the copyright is kept
    sha256 = Indicator.objects.get(kind="sha256")
    assert sha256.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256.tlp == TLP.AMBER_STRICT  # a statement named tlp:amber+strict
    assert sha256.name == ""
    url = Indicator.objects.get(kind="url")
    assert url.value == "http://evil.example/gate.php"
    assert url.tlp == TLP.AMBER  # no marking: the default
    event = Report.objects.get()
    assert event.tlp == TLP.AMBER
    version = ObjectVersion.objects.get(stix_id=event.stix_id)
    copyright_ = next(obj["id"] for obj in bundle["objects"] if obj.get("name") == "Copyright")
    assert version.content["object_marking_refs"] == [TLP2_IDS[TLP.AMBER], copyright_]
    kept = dict(KeptObject.objects.values_list("stix_type", "tlp"))
    assert set(kept) == {
        "identity",
        "marking-definition",
        "observed-data",
        "ipv4-addr",
        "network-traffic",
        "x-misp-object",
    }
    assert KeptObject.objects.filter(stix_type="marking-definition").count() == 1


def test_tlp_ids_of_both_versions_and_their_variants(team: Team) -> None:
    bundle = sample("tlp2_markings")
    import_bundle(bundle, team=team, acting_user=None, sharing=Sharing(default_tlp=TLP.GREEN))
    by_name = dict(Indicator.objects.values_list("name", "tlp"))
    assert by_name == {
        "TLP clear": TLP.CLEAR,
        "TLP green": TLP.GREEN,
        "TLP amber": TLP.AMBER,
        "TLP amber+strict": TLP.AMBER_STRICT,
        "TLP red": TLP.RED,
        "Tool red": TLP.RED,  # a tool's own id with the TLP 2.0 extension
        "Green and amber": TLP.AMBER,  # the strictest of its markings
        "Granular": TLP.RED,  # a field marked red makes the object red
        "Unmarked": TLP.GREEN,  # the import's default
    }
    note = KeptObject.objects.get(stix_type="x-example-note")
    assert note.tlp == TLP.AMBER
    assert not KeptObject.objects.filter(stix_type="marking-definition").exists()


@pytest.mark.parametrize(
    ("markings", "expected"),
    [
        ([TLP1[TLP.CLEAR]], TLP.CLEAR),
        ([TLP1[TLP.GREEN]], TLP.GREEN),
        ([TLP1[TLP.AMBER]], TLP.AMBER),
        ([TLP1[TLP.RED]], TLP.RED),
        *[([TLP2_IDS[tlp]], tlp) for tlp in TLP],
        ([TLP2_IDS[TLP.CLEAR], TLP1[TLP.RED]], TLP.RED),
        ([], TLP.AMBER),
    ],
)
def test_tlp_of_well_known_marking_ids(team: Team, markings: list[str], expected: TLP) -> None:
    extra: dict[str, Any] = {"object_marking_refs": markings} if markings else {}
    import_bundle(
        _bundle(_indicator(ID, "[ipv4-addr:value = '192.0.2.5']", **extra)),
        team=team,
        acting_user=None,
        sharing=Sharing(),
    )
    assert Indicator.objects.get().tlp == expected
    assert ObjectVersion.objects.get().content["object_marking_refs"] == [TLP2_IDS[expected]]


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            {
                "name": "TLP:WHITE",
                "definition_type": "statement",
                "definition": {"statement": "TLP:WHITE"},
            },
            TLP.CLEAR,
        ),
        (
            {
                "name": "TLP:RED",
                "definition_type": "statement",
                "definition": {"statement": "Named recipients only"},
            },
            TLP.RED,
        ),
        (
            {
                "name": "TLP:AMBER+STRICT",
                "definition_type": "statement",
                "definition": {"statement": "TLP:AMBER+STRICT"},
            },
            TLP.AMBER_STRICT,
        ),
        (
            {
                "name": "TLP:CLEAR",
                "definition_type": "statement",
                "definition": {"statement": "clear"},
            },
            TLP.CLEAR,
        ),
        (
            {
                "name": "tlp:green",
                "definition_type": "statement",
                "definition": {"statement": "green"},
            },
            TLP.GREEN,
        ),
        (
            {
                "extensions": {
                    "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                        "extension_type": "property-extension",
                        "tlp_2_0": "amber+strict",
                    }
                }
            },
            TLP.AMBER_STRICT,
        ),
    ],
)
def test_tlp_of_other_tools_marking_definitions(
    team: Team, definition: dict[str, Any], expected: TLP
) -> None:
    marking = "marking-definition--0d7d3f3e-5b2c-4a4b-9c6d-7e8f9a0b1c2d"
    bundle = _bundle(
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking,
            "created": C,
            **definition,
        },
        _indicator(ID, "[ipv4-addr:value = '192.0.2.5']", object_marking_refs=[marking]),
    )
    assert validate_instance(bundle, ValidationOptions(version="2.1")).is_valid
    report = import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    assert Indicator.objects.get().tlp == expected
    assert report.not_stored == 1
    assert not KeptObject.objects.exists()


def test_objects_of_unknown_types_are_kept_as_received(team: Team) -> None:
    custom = {
        "type": "x-acme-finding",
        "spec_version": "2.1",
        "id": "x-acme-finding--7f3c2b1a-9d8e-4f6a-8b5c-4d3e2f1a0b9c",
        "created": C,
        "modified": C,
        "x_acme_score": 7,
        "x_acme_notes": ["a", {"nested": True}],
        "object_marking_refs": [TLP2_IDS[TLP.GREEN]],
    }
    sco = {
        "type": "x-acme-host",
        "spec_version": "2.1",
        "id": "x-acme-host--2b4c6d8e-0f1a-4b3c-9d5e-7f8a9b0c1d2e",
        "x_name": "srv1",
    }
    report = import_bundle(_bundle(custom, sco), team=team, acting_user=None, sharing=Sharing())
    assert report.per_type["x-acme-finding"].created == 1
    assert report.per_type["x-acme-host"].kept_as_is == 1
    kept = {obj.stix_type: obj for obj in KeptObject.objects.all()}
    assert kept["x-acme-finding"].content == custom
    assert kept["x-acme-host"].content == {**sco, "object_marking_refs": [TLP2_IDS[TLP.AMBER]]}
    assert ObjectVersion.objects.get(stix_id=sco["id"]).modified.year == 1970


def test_an_invalid_bundle_is_refused_whole_with_the_validators_messages(
    team: Team, make_user: Callable[..., User]
) -> None:
    bundle = sample("invalid")
    analyst = make_user("analyst", team=team, role=Role.ANALYST)
    before, audited = _all_rows(), AuditEntry.objects.count()
    with pytest.raises(BundleRefusedError) as refused:
        import_bundle(bundle, team=team, acting_user=analyst, sharing=Sharing())
    expected = [
        str(error)
        for error in validate_instance(
            copy.deepcopy(bundle), ValidationOptions(version="2.1")
        ).errors
    ]
    assert refused.value.messages == expected
    assert len(expected) == 7
    ids = {obj["id"] for obj in bundle["objects"][1:]}
    assert all(any(message.startswith(i) for i in ids) for message in expected)
    assert "refused (7 errors)" in str(refused.value)
    assert "day is out of range for month" in str(refused.value)
    assert (_all_rows(), AuditEntry.objects.count()) == (before, audited)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a STIX bundle"),
        (b'{"type": "indicator", "id": "x"}', "not a STIX bundle"),
        (b'{"type": "bundle", "id": "bundle--x"}', "no objects"),
        (b'{"type": "bundle", "id": "bundle--x", "objects": []}', "no objects"),
        (b'{"type": "bundle", "id": "bundle--x", "objects": {}}', "must be a list"),
        (b'{"type": "bundle", "id": "bundle--x", "objects": [1, {"type": "x"}]}', "Object 1 "),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_what_is_no_bundle_is_refused_clearly(team: Team, data: bytes, words: str) -> None:
    with pytest.raises(BundleRefusedError) as refused:
        import_bundle(read_bundle(data), team=team, acting_user=None, sharing=Sharing())
    assert words in str(refused.value)
    assert _all_rows() == (0, 0, 0, 0, 0, 0)


def test_only_analysts_of_the_team_import(
    team: Team, make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    bundle = _bundle(_indicator(ID, "[ipv4-addr:value = '192.0.2.5']"))
    viewer = make_user("viewer", team=team, role=Role.VIEWER)
    stranger = make_user("stranger", team=make_team(), role=Role.ADMIN)
    for user in (viewer, stranger):
        with pytest.raises(PermissionDenied):
            import_bundle(bundle, team=team, acting_user=user, sharing=Sharing())
    analyst = make_user("analyst", team=team, role=Role.ANALYST)
    import_bundle(bundle, team=team, acting_user=analyst, sharing=Sharing())
    indicator = Indicator.objects.get()
    assert indicator.created_by == analyst
    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == analyst
    assert entry.after is not None
    assert entry.after["created"] == 1


def test_sharing_with_a_group_and_per_object(
    team: Team, make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    other = make_team("cert-y")
    theirs = groups.create_group(other, acting_user=None, name="Theirs")
    second = "indicator--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    bundle = _bundle(
        _indicator(ID, "[ipv4-addr:value = '192.0.2.5']"),
        _indicator(second, "[ipv4-addr:value = '192.0.2.6']"),
    )
    with pytest.raises(ValidationError):
        import_bundle(
            bundle,
            team=team,
            acting_user=None,
            sharing=Sharing(distribution=Distribution.GROUP, sharing_group=theirs),
        )
    with pytest.raises(ValidationError):
        import_bundle(
            bundle, team=team, acting_user=None, sharing=Sharing(distribution=Distribution.GROUP)
        )
    assert _all_rows() == (0, 0, 0, 0, 0, 0)
    groups.add_team(theirs, team, acting_user=None)
    import_bundle(
        bundle,
        team=team,
        acting_user=None,
        sharing=Sharing(
            distribution=Distribution.GROUP,
            sharing_group=theirs,
            default_tlp=TLP.GREEN,
            per_object={second: (Distribution.TEAM, None)},
        ),
    )
    shared = dict(Indicator.objects.values_list("stix_id", "distribution"))
    assert shared == {ID: Distribution.GROUP, second: Distribution.TEAM}
    assert Indicator.objects.get(stix_id=ID).sharing_group == theirs
    member = make_user("member", team=other, role=Role.VIEWER)
    assert list(services_visible_ids(member)) == [ID]


def services_visible_ids(user: User) -> list[str]:
    from baobab.sharing.queries import visible  # noqa: PLC0415

    return sorted(visible(Indicator, user).values_list("stix_id", flat=True))


def test_a_reimport_changes_nothing(team: Team) -> None:
    bundle = sample("opencti_style")
    import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    before = _all_rows()
    again = import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    assert again.created == again.new_versions == again.past_versions == 0
    assert again.unchanged == again.total - again.not_stored
    assert _all_rows() == before
    assert AuditEntry.objects.filter(action="import").count() == 2  # one per import


def test_newer_and_older_versions(team: Team) -> None:
    first = _indicator(ID, "[ipv4-addr:value = '192.0.2.5']", "2024-03-05T00:00:00.000Z")
    import_bundle(_bundle(first), team=team, acting_user=None, sharing=Sharing())
    newer = {**first, "modified": "2024-03-06T00:00:00.000Z", "name": "renamed"}
    newer["object_marking_refs"] = [TLP2_IDS[TLP.RED]]
    report = import_bundle(_bundle(newer), team=team, acting_user=None, sharing=Sharing())
    assert report.new_versions == 1
    indicator = Indicator.objects.get()
    assert (indicator.name, indicator.tlp) == ("renamed", TLP.RED)
    versions = list(ObjectVersion.objects.order_by("modified"))
    assert [(v.is_current, v.tlp, v.content["name"]) for v in versions] == [
        (False, TLP.AMBER, "n"),
        (True, TLP.RED, "renamed"),
    ]
    older = {**first, "modified": "2024-03-04T12:00:00.000Z", "name": "older"}
    report = import_bundle(_bundle(older), team=team, acting_user=None, sharing=Sharing())
    assert report.past_versions == 1
    assert Indicator.objects.get().name == "renamed"
    assert ObjectVersion.objects.count() == 3
    assert ObjectVersion.objects.get(is_current=True).content["name"] == "renamed"
    # Several versions of one object in one bundle: the newest is the object.
    other = "indicator--1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b"
    many = [
        _indicator(
            other,
            f"[ipv4-addr:value = '192.0.2.{n}']",
            f"2024-03-0{n}T00:00:00.000Z",
            created="2024-03-01T00:00:00.000Z",
        )
        for n in (3, 7, 5)
    ]
    report = import_bundle(_bundle(*many, many[1]), team=team, acting_user=None, sharing=Sharing())
    assert (report.created, report.past_versions, report.unchanged) == (1, 2, 1)
    assert Indicator.objects.get(stix_id=other).value == "192.0.2.7"
    assert ObjectVersion.objects.filter(stix_id=other, is_current=True).get().content == many[1] | {
        "object_marking_refs": [TLP2_IDS[TLP.AMBER]]
    }


def test_an_indicator_whose_new_version_is_no_single_value_is_kept(team: Team) -> None:
    first = _indicator(ID, "[ipv4-addr:value = '192.0.2.5']")
    import_bundle(_bundle(first), team=team, acting_user=None, sharing=Sharing())
    sighting = services.create_sighting(team, Indicator.objects.get(), acting_user=None)
    newer = {
        **first,
        "modified": "2024-04-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '192.0.2.5'] OR [ipv4-addr:value = '192.0.2.6']",
    }
    report = import_bundle(_bundle(newer), team=team, acting_user=None, sharing=Sharing())
    assert (report.new_versions, report.kept_as_is) == (1, 1)
    assert not Indicator.objects.exists()
    assert KeptObject.objects.get().content["pattern"] == newer["pattern"]
    sighting.refresh_from_db()
    assert sighting.indicator is None
    assert ObjectVersion.objects.filter(stix_id=ID).count() == 2


def test_sightings_point_at_indicators_the_team_can_see(
    team: Team, make_team: Callable[..., Team]
) -> None:
    other = make_team("cert-y")
    public = services.create_indicator(other, acting_user=None, kind="ip", value="192.0.2.8")
    secret = services.create_indicator(
        other, acting_user=None, kind="ip", value="192.0.2.9", distribution=Distribution.TEAM
    )
    sightings = [
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{n}b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "created": C,
            "modified": C,
            "sighting_of_ref": ref,
        }
        for n, ref in enumerate((public.stix_id, secret.stix_id, ID), 1)
    ]
    import_bundle(
        _bundle(*sightings, _indicator(ID, "[domain-name:value = 'own.example']")),
        team=team,
        acting_user=None,
        sharing=Sharing(),
    )
    linked = {s.sighting_of_ref: s.indicator for s in Sighting.objects.all()}
    assert linked == {
        public.stix_id: public,
        secret.stix_id: None,  # cert-x may not see it
        ID: Indicator.objects.get(stix_id=ID),
    }
    assert all(s.first_seen == s.last_seen for s in Sighting.objects.all())


def test_team_identities_are_not_stored_and_the_own_one_is_no_author(
    team: Team, make_team: Callable[..., Team]
) -> None:
    other = make_team("cert-y", name="CERT Y")
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": team_identity_id(other),
        "created": C,
        "modified": C,
        "name": "CERT Y",
        "identity_class": "organization",
    }
    mine = _indicator(ID, "[ipv4-addr:value = '192.0.2.5']", created_by_ref=team_identity_id(team))
    theirs = _indicator(
        "indicator--8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b",
        "[ipv4-addr:value = '192.0.2.6']",
        created_by_ref=team_identity_id(other),
    )
    report = import_bundle(
        _bundle(identity, mine, theirs), team=team, acting_user=None, sharing=Sharing()
    )
    assert report.per_type["identity"].not_stored == 1
    assert not KeptObject.objects.exists()
    authors = dict(Indicator.objects.values_list("stix_id", "created_by_ref"))
    assert authors == {ID: "", theirs["id"]: team_identity_id(other)}


def test_an_object_too_large_for_its_model_is_kept(team: Team) -> None:
    long_name = _indicator(ID, "[ipv4-addr:value = '192.0.2.5']", name="x" * 300)
    import_bundle(_bundle(long_name), team=team, acting_user=None, sharing=Sharing())
    assert not Indicator.objects.exists()
    assert KeptObject.objects.get().content["name"] == "x" * 300


def test_the_report_says_what_happened(team: Team) -> None:
    report = import_bundle(sample("tlp2_markings"), team=team, acting_user=None, sharing=Sharing())
    lines = report.lines()
    assert lines[-1].startswith("total: 16 — 10 created")
    assert any(line.startswith("marking-definition: 6 —") for line in lines)
