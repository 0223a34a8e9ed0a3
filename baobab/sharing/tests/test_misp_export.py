"""Shared objects exported as MISP events: valid MISP (PyMISP loads them
back), TLP as tags and distribution as levels, a round trip that changes
nothing, and never an object the viewer may not see."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_instance

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import Team, User
from baobab.sharing import groups, services
from baobab.sharing.misp.export import (
    document,
    event_json,
    loose_indicators,
    report_event,
    team_event,
    team_event_uuid,
)
from baobab.sharing.misp.importing import import_misp
from baobab.sharing.models import Indicator, KeptObject, ObjectVersion, Relationship, Report
from baobab.sharing.stix.export import export_bundle

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "misp"
GROUP = "West African Financial CSIRTs"
PHISHING = "report--5f2b7c1e-3d4a-4b8e-9c61-0a7e2d9f4b11"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    cert_a, cert_b, cert_c = make_team("cert-a"), make_team("cert-b"), make_team("cert-c")
    admin_b = make_user("admin-b", team=cert_b, role=Role.ADMIN)
    group = groups.create_group(cert_b, acting_user=admin_b, name=GROUP, member_teams=[cert_a])
    return {
        "a": cert_a,
        "b": cert_b,
        "c": cert_c,
        "group": group,
        "analyst_a": make_user("analyst-a", team=cert_a, role=Role.ANALYST),
        "user_b": make_user("user-b", team=cert_b, role=Role.ANALYST),
    }


def _sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _imported(world: dict[str, Any], name: str = "phishing_campaign.json") -> None:
    import_misp(_sample(name), team=world["a"], acting_user=world["analyst_a"])


def _exported(who: Any, stix_id: str = PHISHING) -> dict[str, Any]:
    event = report_event(stix_id, who)
    assert event is not None
    return event_json(event)


def _loaded(document: dict[str, Any]) -> MISPEvent:
    event = MISPEvent()
    event.load(json.dumps(document))
    return event


def test_an_imported_event_exports_as_valid_misp(world: dict[str, Any]) -> None:
    _imported(world)
    exported = _exported(world["a"])
    event = _loaded(exported)
    assert event.uuid == "5f2b7c1e-3d4a-4b8e-9c61-0a7e2d9f4b11"
    assert event.info.startswith("Phishing campaign")
    assert [tag.name for tag in event.tags] == [
        "tlp:amber",
        "PAP:GREEN",
        'misp-galaxy:threat-actor="Scattered Canary"',
        'rsit:fraud="phishing"',
    ]
    assert (event.distribution, event.threat_level_id, event.analysis) == (1, 2, 1)
    assert event.Orgc.name == "CERT-GH"
    assert str(event.date) == "2024-05-01"
    assert isinstance(event.timestamp, dt.datetime)
    assert int(event.timestamp.timestamp()) == 1714563000
    by_uuid = {attribute.uuid: attribute for attribute in event.attributes}
    assert len(by_uuid) == 11
    composite = by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d05"]
    assert (composite.type, composite.value, composite.distribution) == (
        "ip-dst|port",
        "203.0.113.77|8443",
        0,
    )
    assert [tag.name for tag in composite.tags] == ["tlp:red"]
    grouped = by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d08"]
    assert (grouped.type, grouped.distribution, grouped.SharingGroup.name) == ("hostname", 4, GROUP)
    clear = by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d11"]
    assert [tag.name for tag in clear.tags] == ["tlp:clear"]
    assert clear.distribution == 5  # the event's
    url = by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d03"]
    assert (url.category, [tag.name for tag in url.tags]) == (
        "Payload delivery",
        ["kill-chain:Delivery"],
    )
    first = by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d01"]
    assert (first.comment, first.first_seen.isoformat()) == (
        "Credential collection server",
        "2024-04-28T06:00:00+00:00",
    )
    assert by_uuid["8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d09"].type == "text"
    assert {obj.name for obj in event.objects} == {"file", "domain-ip"}
    file_object = next(obj for obj in event.objects if obj.name == "file")
    assert [a.object_relation for a in file_object.attributes] == [
        "filename",
        "md5",
        "sha1",
        "size-in-bytes",
    ]
    # The feed form of it is produced too.
    assert event.to_feed()["Event"]["uuid"] == event.uuid


def test_import_export_import_changes_nothing_and_exports_the_same(
    world: dict[str, Any],
) -> None:
    _imported(world)
    first = _exported(world["a"])
    versions = ObjectVersion.objects.count()
    [again] = import_misp(json.dumps(first), team=world["a"], acting_user=world["analyst_a"])
    assert (again.report.created, again.report.new_versions, again.report.past_versions) == (
        0,
        0,
        0,
    )
    assert ObjectVersion.objects.count() == versions
    assert _exported(world["a"]) == first

    # Another team importing the export holds the same objects, marked alike.
    import_misp(json.dumps(first), team=world["b"], acting_user=world["user_b"])

    def held(team: Team) -> set[tuple[Any, ...]]:
        rows = Indicator.objects.filter(owner_team=team)
        return {
            (o.stix_id, o.kind, o.value, o.tlp, o.distribution, o.sharing_group_id, tuple(o.labels))
            for o in rows
        } | {
            (o.stix_id, o.tlp, o.distribution)
            for model in (KeptObject, Relationship, Report)
            for o in model.objects.filter(owner_team=team)
        }

    assert held(world["b"]) == held(world["a"])
    assert _exported(world["b"]) == first


def test_an_export_holds_only_what_its_viewer_may_see(world: dict[str, Any]) -> None:
    _imported(world)
    text = json.dumps(_exported(world["c"]))
    event = _loaded(json.loads(text))
    # Not the RED attribute, not the group's, not the team-only domain-ip object.
    for secret in ("203.0.113.77", "mail.ecobank-secure-login.example", "192.0.2.200"):
        assert secret not in text
    assert {obj.name for obj in event.objects} == {"file"}
    values = {attribute.value for attribute in event.attributes}
    # The object is hidden, its visible member is an attribute of its own.
    assert "cdn-ecobank-verify.example" in values
    assert "198.51.100.23" in values
    # The group's member sees the group's attribute; nobody outside sees the event.
    member = json.dumps(_exported(world["b"]))
    assert "mail.ecobank-secure-login.example" in member
    assert "203.0.113.77" not in member
    assert report_event(PHISHING, None) is None


def test_a_public_clear_event_is_seen_by_anybody(world: dict[str, Any]) -> None:
    _imported(world, "public_advisory.json")
    event = _loaded(_exported(None, "report--0c4e8a2f-6b1d-4f9a-8e3c-5d7b9a1c3e55"))
    assert [tag.name for tag in event.tags] == ["tlp:clear", "type:OSINT"]
    assert event.distribution == 3
    assert len(event.attributes) == 4


def _share(world: dict[str, Any], value: str, tlp: TLP, distribution: Distribution) -> Indicator:
    return services.create_indicator(
        world["b"],
        acting_user=world["user_b"],
        kind="domain",
        value=value,
        tlp=tlp,
        distribution=distribution,
    )


def test_a_teams_loose_indicators_are_one_event_per_viewer(world: dict[str, Any]) -> None:
    clear = _share(world, "clear.example", TLP.CLEAR, Distribution.PUBLIC)
    green = _share(world, "green.example", TLP.GREEN, Distribution.COMMUNITY)
    _share(world, "red.example", TLP.RED, Distribution.COMMUNITY)
    _share(world, "own.example", TLP.AMBER, Distribution.TEAM)
    in_report = _share(world, "reported.example", TLP.GREEN, Distribution.COMMUNITY)
    services.create_report(
        world["b"],
        acting_user=world["user_b"],
        title="Weekly",
        tlp=TLP.GREEN,
        object_refs=[in_report.stix_id],
    )

    assert loose_indicators(world["b"], world["c"]) == [clear, green]
    event = team_event(world["b"], world["c"])
    assert event is not None
    loaded = _loaded(event_json(event))
    assert loaded.uuid == team_event_uuid(world["b"])
    assert [tag.name for tag in loaded.tags] == ["tlp:green"]
    assert loaded.distribution == 3
    attributes = {attribute.value: attribute for attribute in loaded.attributes}
    assert set(attributes) == {"clear.example", "green.example"}
    assert [tag.name for tag in attributes["clear.example"].tags] == ["tlp:clear"]
    assert attributes["clear.example"].distribution == 5
    assert attributes["green.example"].distribution == 1

    anonymous = team_event(world["b"], None)
    assert anonymous is not None
    assert [a.value for a in anonymous.attributes] == ["clear.example"]
    own = team_event(world["b"], world["b"])
    assert own is not None
    assert {a.value for a in own.attributes} == {
        "clear.example",
        "green.example",
        "red.example",
        "own.example",
    }
    assert [tag.name for tag in own.tags] == ["tlp:red"]
    assert team_event(world["a"], world["c"]) is None


def test_a_native_report_exports_with_its_visible_indicators(world: dict[str, Any]) -> None:
    shared = _share(world, "shared.example", TLP.GREEN, Distribution.COMMUNITY)
    hidden = _share(world, "hidden.example", TLP.AMBER, Distribution.TEAM)
    report = services.create_report(
        world["b"],
        acting_user=world["user_b"],
        title="Campaign notes",
        tlp=TLP.GREEN,
        labels=["PAP:AMBER"],
        object_refs=[shared.stix_id, hidden.stix_id],
    )
    exported = _exported(world["c"], report.stix_id)
    event = _loaded(exported)
    assert [a.value for a in event.attributes] == ["shared.example"]
    assert [tag.name for tag in event.tags] == ["tlp:green", "PAP:AMBER"]
    assert event.Orgc.name == world["b"].name
    both = document([_loaded(exported), _loaded(exported)])
    assert len(both["response"]) == 2


def test_imported_misp_objects_keep_the_stix_export_validator_clean(
    world: dict[str, Any],
) -> None:
    _imported(world)
    bundle = export_bundle(world["a"])
    types = {obj["type"] for obj in bundle["objects"]}
    assert {"x-misp-attribute", "x-misp-object", "x-misp-event", "indicator", "report"} <= types
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]
