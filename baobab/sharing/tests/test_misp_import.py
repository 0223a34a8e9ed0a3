"""MISP events imported through the STIX importer: attributes per type,
objects kept with their indicators related to them, tags and distribution
levels as TLP and distribution, idempotent re-imports, new versions for a
changed event, and malformed input refused whole."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import AuditEntry, Team, User
from baobab.sharing import groups
from baobab.sharing.misp.importing import import_misp
from baobab.sharing.misp.read import MispError
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
)
from baobab.sharing.queries import visible

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "misp"
GROUP = "West African Financial CSIRTs"
EVENT_UUID = "5f2b7c1e-3d4a-4b8e-9c61-0a7e2d9f4b11"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text())
    return data


def attribute_id(suffix: str) -> str:
    return f"8a1f0c2d-4e5b-4a6c-9d7e-1f2a3b4c5d{suffix}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The users of these tests need no strong password hashing."""
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
        "viewer_a": make_user("viewer-a", team=cert_a, role=Role.VIEWER),
        "user_b": make_user("user-b", team=cert_b, role=Role.ANALYST),
        "user_c": make_user("user-c", team=cert_c, role=Role.ANALYST),
    }


def _import(world: dict[str, Any], data: Any, **options: Any) -> Any:
    options.setdefault("team", world["a"])
    options.setdefault("acting_user", world["analyst_a"])
    payload = data if isinstance(data, bytes | str) else json.dumps(data)
    return import_misp(payload, **options)


def _indicator(misp_uuid: str) -> Indicator:
    return Indicator.objects.get(stix_id=f"indicator--{misp_uuid}")


def test_a_realistic_event_becomes_a_report_indicators_and_kept_objects(
    world: dict[str, Any],
) -> None:
    [result] = _import(world, sample("phishing_campaign.json"))

    report = Report.objects.get(stix_id=f"report--{EVENT_UUID}")
    assert result.report_id == report.stix_id
    assert report.title.startswith("Phishing campaign against West African banks")
    assert (report.tlp, report.distribution) == (TLP.AMBER, Distribution.COMMUNITY)
    assert report.labels == [
        "PAP:GREEN",
        'misp-galaxy:threat-actor="Scattered Canary"',
        'rsit:fraud="phishing"',
    ]
    assert report.created_by_ref == "identity--2c8e4a6b-7f1d-4e3a-9b2c-5d6e7f8a9b0c"
    assert report.published.isoformat() == "2024-05-01T12:00:00+00:00"
    assert report.modified.isoformat() == "2024-05-01T11:30:00+00:00"

    values = {(obj.kind, obj.value) for obj in Indicator.objects.all()}
    assert values == {
        ("ip", "198.51.100.23"),
        ("domain", "ecobank-secure-login.example"),
        ("url", "https://ecobank-secure-login.example/auth/verify.php?id=3"),
        ("email", "security-alert@ecobank-secure-login.example"),
        ("ip", "203.0.113.77"),
        ("sha256", "4a7f1c9e2b3d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7"),
        ("asn", "AS64511"),
        ("domain", "mail.ecobank-secure-login.example"),
        ("md5", "9e107d9d372bb6826bd81d3542a419d6"),
        # The members of the file and domain-ip objects.
        ("file-name", "Releve_Compte_Avril.pdf.exe"),
        ("md5", "e4d909c290d0fb1ca068ffaddf22cbd0"),
        ("sha1", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
        ("domain", "cdn-ecobank-verify.example"),
        ("ip", "192.0.2.200"),
    }
    first = _indicator(attribute_id("01"))
    assert first.description == "Credential collection server"
    assert first.valid_from.isoformat() == "2024-04-28T06:00:00+00:00"
    assert first.valid_until is not None
    assert first.valid_until.isoformat() == "2024-05-01T09:30:00+00:00"
    assert first.modified.isoformat() == "2024-05-01T10:00:00+00:00"
    assert _indicator(attribute_id("03")).labels == [
        "kill-chain:Delivery",
        "misp-category:Payload delivery",
    ]
    composite = _indicator(attribute_id("05"))
    assert (composite.name, composite.labels) == ("203.0.113.77|8443", ["misp-type:ip-dst|port"])
    assert _indicator(attribute_id("08")).labels == ["misp-type:hostname"]

    # Attributes of other types are kept as they came, so is each object.
    kept = {obj.stix_type: obj for obj in KeptObject.objects.exclude(stix_type="x-misp-object")}
    assert set(kept) == {"x-misp-attribute", "x-misp-event"}
    texts = KeptObject.objects.filter(stix_type="x-misp-attribute")
    assert {obj.content["x_misp_attribute"]["type"] for obj in texts} == {"text", "vulnerability"}
    event = KeptObject.objects.get(stix_type="x-misp-event")
    assert event.content["x_misp_event"]["threat_level_id"] == "2"
    assert event.content["x_misp_event"]["Orgc"]["name"] == "CERT-GH"
    objects = {
        obj.content["name"]: obj for obj in KeptObject.objects.filter(stix_type="x-misp-object")
    }
    assert set(objects) == {"file", "domain-ip"}
    file_object = objects["file"].content["x_misp_object"]
    assert [member["object_relation"] for member in file_object["Attribute"]] == [
        "filename",
        "md5",
        "sha1",
        "size-in-bytes",
    ]
    # The object's members that are indicators are related to it.
    related = Relationship.objects.filter(target_ref=objects["file"].stix_id)
    assert {rel.source_ref for rel in related} == {
        "indicator--d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f71",
        "indicator--d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f72",
        "indicator--d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f73",
    }
    assert {rel.description for rel in related} == {"file: filename", "file: md5", "file: sha1"}
    assert set(report.object_refs) >= {
        objects["file"].stix_id,
        event.stix_id,
        *(rel.stix_id for rel in related),
    }
    assert all(obj.owner_team == world["a"] for obj in Indicator.objects.all())
    assert (
        ObjectVersion.objects.count()
        == Indicator.objects.count() + KeptObject.objects.count() + Relationship.objects.count() + 1
    )


def test_tlp_and_distribution_follow_tags_and_levels(world: dict[str, Any]) -> None:
    [result] = _import(world, sample("phishing_campaign.json"))
    marking = {
        suffix: (obj.tlp, obj.distribution, obj.sharing_group)
        for suffix in ("01", "05", "08", "11")
        for obj in [_indicator(attribute_id(suffix))]
    }
    assert marking == {
        "01": (TLP.AMBER, Distribution.COMMUNITY, None),  # inherits the event's
        "05": (TLP.RED, Distribution.TEAM, None),  # its own tlp:red, level 0
        "08": (TLP.AMBER, Distribution.GROUP, world["group"]),  # level 4, a group of the team's
        # TLP:WHITE is CLEAR; level 3 (all) is no wider than its event (community).
        "11": (TLP.CLEAR, Distribution.COMMUNITY, None),
    }
    vulnerability = KeptObject.objects.get(stix_id=f"x-misp-attribute--{attribute_id('10')}")
    assert (vulnerability.tlp, vulnerability.distribution) == (TLP.CLEAR, Distribution.COMMUNITY)
    # The domain-ip object holds a TLP:AMBER+STRICT, team-only member: so is the object.
    domain_ip = KeptObject.objects.get(
        stix_id="x-misp-object--c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e62"
    )
    assert (domain_ip.tlp, domain_ip.distribution) == (TLP.AMBER_STRICT, Distribution.TEAM)
    member = Indicator.objects.get(value="192.0.2.200")
    assert (member.tlp, member.distribution) == (TLP.AMBER_STRICT, Distribution.TEAM)
    assert result.notes == []
    # Team C sees the community's objects, not the group's, the team's or the RED one.
    seen_by_c = set(visible(Indicator, world["user_c"]).values_list("value", flat=True))
    assert "198.51.100.23" in seen_by_c
    assert not {"203.0.113.77", "mail.ecobank-secure-login.example", "192.0.2.200"} & seen_by_c
    seen_by_b = set(visible(Indicator, world["user_b"]).values_list("value", flat=True))
    assert "mail.ecobank-secure-login.example" in seen_by_b
    assert not {"203.0.113.77", "192.0.2.200"} & seen_by_b


def test_an_event_of_a_sharing_group_and_an_unknown_group(world: dict[str, Any]) -> None:
    [result] = _import(world, sample("ransomware_sharing_group.json"))
    report = Report.objects.get()
    assert (report.tlp, report.distribution, report.sharing_group) == (
        TLP.AMBER_STRICT,
        Distribution.GROUP,
        world["group"],
    )
    prefix = Indicator.objects.get(kind="prefix")
    assert (prefix.value, prefix.labels) == ("185.220.101.0/24", ["misp-type:ip-src"])
    green = Indicator.objects.get(kind="domain")
    # tlp:green of its own; level 1 (community) within a group event stays in the group.
    assert (green.tlp, green.distribution, green.sharing_group) == (
        TLP.GREEN,
        Distribution.GROUP,
        world["group"],
    )
    wallet = KeptObject.objects.get(
        stix_id="x-misp-attribute--1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d05"
    )
    assert (wallet.distribution, wallet.sharing_group) == (Distribution.TEAM, None)
    assert result.notes == [
        "The sharing group Law enforcement liaison of Attribute "
        "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d05 is not one of the team's: "
        "it is shared with the team only."
    ]
    # For a team outside the group, the whole event is its own.
    [other] = _import(
        world,
        sample("ransomware_sharing_group.json"),
        team=world["c"],
        acting_user=world["user_c"],
    )
    assert len(other.notes) == 2
    report_c = Report.objects.get(owner_team=world["c"])
    assert (report_c.distribution, report_c.sharing_group) == (Distribution.TEAM, None)


def _event(*attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "uuid": "0b6e2c7a-1d3f-4e5a-9b8c-7d6e5f4a3b21",
        "info": "Test event",
        "date": "2024-03-01",
        "timestamp": "1709290800",
        "Attribute": list(attributes),
        **fields,
    }
    return {"Event": event}


def _attribute(kind: str, value: str, number: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "uuid": f"0c1d2e3f-4a5b-4c6d-8e7f-{number:012d}",
        "type": kind,
        "value": value,
        "timestamp": "1709290800",
        **fields,
    }


@pytest.mark.parametrize(
    ("misp_type", "value", "kind", "expected"),
    [
        ("ip-src", "192.0.2[.]5", "ip", "192.0.2.5"),
        ("ip-dst", "2001:DB8::1", "ip", "2001:db8::1"),
        ("ip-dst", "198.51.100.0/24", "prefix", "198.51.100.0/24"),
        ("ip-src|port", "192.0.2.9|3389", "ip", "192.0.2.9"),
        ("domain", "Evil.Example.", "domain", "evil.example"),
        ("hostname", "c2.evil.example", "domain", "c2.evil.example"),
        ("domain|ip", "evil.example|192.0.2.1", "domain", "evil.example"),
        ("hostname|port", "c2.evil.example|443", "domain", "c2.evil.example"),
        ("url", "hxxp://evil[.]example/a", "url", "http://evil.example/a"),
        ("uri", "https://evil.example/gate.php", "url", "https://evil.example/gate.php"),
        ("email-dst", "victim@bank.example", "email", "victim@bank.example"),
        ("email", "x@evil.example", "email", "x@evil.example"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1", None),
        (
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "sha256",
            None,
        ),
        ("filename|md5", "a.exe|d41d8cd98f00b204e9800998ecf8427e", "md5", None),
        ("filename|sha1", "a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1", None),
        ("AS", "64500", "asn", "AS64500"),
        ("filename", "invoice.pdf.exe", "file-name", "invoice.pdf.exe"),
    ],
)
def test_attribute_types_that_are_indicators(
    world: dict[str, Any], misp_type: str, value: str, kind: str, expected: str | None
) -> None:
    _import(world, _event(_attribute(misp_type, value)))
    indicator = Indicator.objects.get()
    assert indicator.kind == kind
    assert indicator.value == (expected or value.rsplit("|", maxsplit=1)[-1])
    assert not KeptObject.objects.filter(stix_type="x-misp-attribute").exists()


@pytest.mark.parametrize(
    ("misp_type", "value"),
    [
        ("text", "free text"),
        ("regkey", "HKLM\\Software\\Run\\evil"),
        ("yara", "rule x { condition: true }"),
        ("uri", "/gate.php"),  # a bare path: not a URL, kept
        ("filename", "C:\\Users\\Public\\evil.exe"),  # a path: not a file name, kept
        ("malware-sample", "evil.exe|d41d8cd98f00b204e9800998ecf8427e"),
    ],
)
def test_other_attribute_types_are_kept_as_they_are(
    world: dict[str, Any], misp_type: str, value: str
) -> None:
    _import(world, _event(_attribute(misp_type, value)))
    kept = KeptObject.objects.filter(stix_type="x-misp-attribute")
    assert [obj.content["x_misp_attribute"]["value"] for obj in kept] == [value]
    assert not Indicator.objects.exists()


@pytest.mark.parametrize(
    ("event_tags", "attribute_tags", "expected"),
    [
        ([], [], TLP.AMBER),  # the team's default
        (["tlp:white"], [], TLP.CLEAR),
        (["TLP:CLEAR"], [], TLP.CLEAR),
        (["tlp:green"], [], TLP.GREEN),
        (["tlp:amber+strict"], [], TLP.AMBER_STRICT),
        (["tlp:red"], [], TLP.RED),
        (["tlp:green"], ["tlp:red"], TLP.RED),  # the attribute's own tag wins
        (["tlp:red"], ["tlp:clear"], TLP.CLEAR),
        (["tlp:green", "tlp:amber"], [], TLP.AMBER),  # two tags: the stricter
        (["tlp:ex:chr", "PAP:RED"], [], TLP.AMBER),  # not TLP 2.0 labels
    ],
)
def test_tlp_tags(
    world: dict[str, Any], event_tags: list[str], attribute_tags: list[str], expected: TLP
) -> None:
    attribute = _attribute("domain", "evil.example", Tag=[{"name": n} for n in attribute_tags])
    _import(world, _event(attribute, Tag=[{"name": name} for name in event_tags]))
    assert Indicator.objects.get().tlp == expected


def test_the_default_tlp_is_the_importing_teams(world: dict[str, Any]) -> None:
    _import(world, _event(_attribute("domain", "evil.example")), default_tlp=TLP.GREEN)
    assert Indicator.objects.get().tlp == TLP.GREEN


@pytest.mark.parametrize(
    ("event_level", "attribute_level", "expected"),
    [
        ("0", "5", Distribution.TEAM),
        ("1", "5", Distribution.COMMUNITY),
        ("2", "5", Distribution.COMMUNITY),
        ("3", "5", Distribution.PUBLIC),
        ("3", "0", Distribution.TEAM),
        ("3", "1", Distribution.COMMUNITY),
        ("1", "3", Distribution.COMMUNITY),  # never wider than its event
        (None, None, Distribution.TEAM),  # no level: the import's default
    ],
)
def test_distribution_levels(
    world: dict[str, Any],
    event_level: str | None,
    attribute_level: str | None,
    expected: Distribution,
) -> None:
    attribute = _attribute("domain", "evil.example")
    if attribute_level is not None:
        attribute["distribution"] = attribute_level
    fields = {"distribution": event_level} if event_level is not None else {}
    _import(world, _event(attribute, **fields))
    assert Indicator.objects.get().distribution == expected


def test_a_re_import_changes_nothing(world: dict[str, Any]) -> None:
    _import(world, sample("phishing_campaign.json"))
    versions = ObjectVersion.objects.count()
    audits = AuditEntry.objects.count()
    [again] = _import(world, sample("phishing_campaign.json"))
    assert (again.report.created, again.report.new_versions) == (0, 0)
    assert not again.changed
    assert ObjectVersion.objects.count() == versions
    assert Indicator.objects.count() == 14
    assert AuditEntry.objects.count() - audits <= 1


def test_a_changed_event_makes_new_versions_of_what_changed(world: dict[str, Any]) -> None:
    _import(world, sample("phishing_campaign.json"))
    changed = sample("phishing_campaign.json")
    event = changed["Event"]
    event["timestamp"] = "1714650000"
    domain = event["Attribute"][1]
    domain.update({"value": "ecobank-secure-login2.example", "timestamp": "1714650000", "Tag": []})
    event["Attribute"][0]["Tag"] = [{"name": "tlp:green"}]
    event["Attribute"][0]["timestamp"] = "1714650000"
    [result] = _import(world, changed)
    assert result.report.created == 0
    assert result.report.per_type["indicator"].new_versions == 2
    assert result.report.per_type["report"].new_versions == 1
    renamed = _indicator(attribute_id("02"))
    assert renamed.value == "ecobank-secure-login2.example"
    assert _indicator(attribute_id("01")).tlp == TLP.GREEN
    history = ObjectVersion.objects.filter(stix_id=renamed.stix_id).order_by("modified")
    assert [(v.content["pattern"], v.is_current) for v in history] == [
        ("[domain-name:value = 'ecobank-secure-login.example']", False),
        ("[domain-name:value = 'ecobank-secure-login2.example']", True),
    ]
    assert (
        ObjectVersion.objects.get(
            stix_id=_indicator(attribute_id("01")).stix_id, is_current=False
        ).tlp
        == TLP.AMBER
    )


def _nothing_written() -> bool:
    return not (
        Indicator.objects.exists()
        or Report.objects.exists()
        or KeptObject.objects.exists()
        or ObjectVersion.objects.exists()
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x89PNG not json", "This is not JSON"),
        (b'{"type": "bundle", "objects": []}', "This is not a MISP event"),
        (b"[]", "The document holds no MISP event"),
        (
            json.dumps(_event(_attribute("ip-dst", "999.1.1.1"))).encode(),
            "Attribute 0c1d2e3f-4a5b-4c6d-8e7f-000000000001 (ip-dst): '999.1.1.1' is not an IP",
        ),
        (
            json.dumps(_event(_attribute("md5", "abc"))).encode(),
            "Attribute 0c1d2e3f-4a5b-4c6d-8e7f-000000000001 (md5): 'abc' is not an MD5 hash",
        ),
        (
            json.dumps(_event(_attribute("ip-dst|port", "192.0.2.1"))).encode(),
            "is not two values joined by |",
        ),
        (
            json.dumps(_event(_attribute("no-such-type", "x"))).encode(),
            "attribute 0c1d2e3f-4a5b-4c6d-8e7f-000000000001: 'no-such-type' is not a MISP "
            "attribute type",
        ),
        (
            json.dumps(_event({"type": "domain", "value": "evil.example"})).encode(),
            "attribute 1 has no valid uuid",
        ),
        (
            json.dumps(
                _event(_attribute("domain", "a.example"), _attribute("domain", "b.example"))
            ).encode(),
            "this uuid appears twice",
        ),
        (
            json.dumps(_event(_attribute("domain", "a.example", distribution="7"))).encode(),
            "distribution '7' is not a MISP level",
        ),
        (
            json.dumps(_event(Object=[{"uuid": "0c1d2e3f-4a5b-4c6d-8e7f-00000000000a"}])).encode(),
            "object 0c1d2e3f-4a5b-4c6d-8e7f-00000000000a has no name",
        ),
        (
            json.dumps({"Event": {"info": "no uuid", "date": "2024-01-01"}}).encode(),
            "no valid uuid",
        ),
        (
            json.dumps(_event(_attribute("domain", "a.example", distribution="4"))).encode(),
            "distribution 4 (a sharing group) names no sharing group",
        ),
    ],
)
def test_malformed_input_is_refused_whole(
    world: dict[str, Any], payload: bytes, message: str
) -> None:
    with pytest.raises(MispError) as refused:
        _import(world, payload)
    assert message in " ".join(refused.value.messages)
    assert _nothing_written()


def test_one_bad_attribute_refuses_the_event_and_the_whole_document(
    world: dict[str, Any],
) -> None:
    good = sample("public_advisory.json")
    bad = copy.deepcopy(sample("phishing_campaign.json"))
    bad["Event"]["Object"][0]["Attribute"][1]["value"] = "not-a-hash"
    with pytest.raises(MispError) as refused:
        _import(world, {"response": [good, bad]})
    assert refused.value.messages == [
        "Attribute d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f72 (md5): 'not-a-hash' is not an MD5 hash "
        "(32 hexadecimal digits)."
    ]
    assert _nothing_written()
    # Both good events in one document: both are imported.
    results = _import(world, {"response": [good, sample("phishing_campaign.json")]})
    assert [result.event_uuid for result in results] == [
        "0c4e8a2f-6b1d-4f9a-8e3c-5d7b9a1c3e55",
        EVENT_UUID,
    ]
    assert Report.objects.count() == 2


def test_deleted_attributes_are_not_imported(world: dict[str, Any]) -> None:
    _import(
        world,
        _event(
            _attribute("domain", "gone.example", 1, deleted=True),
            _attribute("domain", "here.example", 2),
        ),
    )
    assert list(Indicator.objects.values_list("value", flat=True)) == ["here.example"]


def test_a_viewer_may_not_import(world: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        _import(world, sample("public_advisory.json"), acting_user=world["viewer_a"])
    assert _nothing_written()
