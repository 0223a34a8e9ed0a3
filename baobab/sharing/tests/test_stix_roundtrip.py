"""STIX round trip: export → import (into another team of a fresh
database, and into the same team) → export gives identical objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from baobab.core.choices import TLP, Distribution
from baobab.core.models import Team, User
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    Sighting,
)
from baobab.sharing.stix.export import export_bundle
from baobab.sharing.stix.importer import Sharing, import_bundle
from baobab.sharing.stix.render import team_identity_id
from baobab.sharing.tests.test_stix_export import Community, build_community

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "stix"


@pytest.fixture
def community(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Community:
    return build_community(make_team, make_user)


def _objects(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in bundle.get("objects", [])}


def _fresh_database() -> None:
    """Forget every shared object (the teams stay: the receiving side knows its own)."""
    ObjectVersion.objects.all().delete()
    for model in (Sighting, Relationship, Report, KeptObject, Indicator):
        model._default_manager.all().delete()


MODEL_FIELDS = {
    Indicator: (
        "kind",
        "value",
        "name",
        "description",
        "labels",
        "confidence",
        "revoked",
        "valid_from",
        "valid_until",
        "created",
        "modified",
    ),
    Report: ("title", "body", "published", "report_types", "labels", "object_refs", "created"),
    Sighting: ("sighting_of_ref", "first_seen", "last_seen", "count", "description"),
    Relationship: ("relationship_type", "source_ref", "target_ref", "description"),
    KeptObject: ("stix_type", "content", "modified"),
}


def _fields() -> dict[str, tuple[Any, ...]]:
    return {
        obj.stix_id: (*(getattr(obj, name) for name in names), obj.tlp)
        for model, names in MODEL_FIELDS.items()
        for obj in model._default_manager.all()
    }


def test_into_another_team_of_a_fresh_database(community: Community) -> None:
    first = export_bundle(community.teams["a"])
    fields = _fields()
    sent = json.loads(json.dumps(first))  # as it travels
    _fresh_database()
    receiver: Team = community.teams["c"]
    report = import_bundle(
        sent,
        team=receiver,
        acting_user=None,
        sharing=Sharing(distribution=Distribution.TEAM, default_tlp=TLP.RED),
    )
    assert report.created == len(first["objects"]) - report.not_stored
    second = export_bundle(receiver)
    assert _objects(second) == _objects(first)
    # What Baobab read from them is what it had (seen by team a: every TLP).
    assert {key: value for key, value in _fields().items() if key in fields} == {
        key: value for key, value in fields.items() if key in _fields()
    }
    # Every object came in but the TLP definitions and the teams' identities.
    teams = {team_identity_id(team) for team in community.teams.values()}
    assert (
        set(_fields())
        == {key for key, obj in _objects(first).items() if obj["type"] != "marking-definition"}
        - teams
    )


def test_into_the_same_team(community: Community) -> None:
    team_a = community.teams["a"]
    first = export_bundle(team_a, team=team_a)
    again = import_bundle(first, team=team_a, acting_user=None, sharing=Sharing())
    assert again.created == again.new_versions == again.past_versions == 0
    assert _objects(export_bundle(team_a, team=team_a)) == _objects(first)
    _fresh_database()
    import_bundle(first, team=team_a, acting_user=None, sharing=Sharing())
    assert _objects(export_bundle(team_a, team=team_a)) == _objects(first)


@pytest.mark.parametrize("name", ["opencti_style", "misp_style", "tlp2_markings"])
def test_bundles_of_other_tools_come_back_as_they_came(make_team: Any, name: str) -> None:
    team = make_team("cert-r")
    bundle = json.loads((SAMPLES / f"{name}.json").read_text())
    import_bundle(bundle, team=team, acting_user=None, sharing=Sharing())
    first = export_bundle(team)
    sent = _objects(bundle)
    for stix_id, obj in _objects(first).items():
        if obj["type"] == "marking-definition" and stix_id not in sent:
            continue  # the TLP 2.0 definitions Baobab writes
        received = {
            key: value for key, value in sent[stix_id].items() if key != "object_marking_refs"
        }
        assert {
            key: value for key, value in obj.items() if key != "object_marking_refs"
        } == received
    _fresh_database()
    import_bundle(first, team=team, acting_user=None, sharing=Sharing())
    assert _objects(export_bundle(team)) == _objects(first)


def test_into_a_database_that_does_not_know_the_sending_team(community: Community) -> None:
    first = export_bundle(community.users["analyst_b"])
    _fresh_database()
    sender = community.teams["a"]
    sender.short_name = "renamed"  # its identity is now of nobody Baobab knows
    sender.save()
    report = import_bundle(first, team=community.teams["c"], acting_user=None, sharing=Sharing())
    assert report.per_type["identity"].created == 1  # kept, as any identity from elsewhere
    assert _objects(export_bundle(community.teams["c"])) == _objects(first)
