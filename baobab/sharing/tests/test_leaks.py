"""No leak, no over-restriction: what each user reaches of the shared
objects, through every path, against a reference written from the rules.

Hypothesis draws a community (sharing groups with random owners and
members) and shared objects of every kind with random TLP, distribution,
group and named recipients, some of them re-marked (a new version with
another marking), sightings and relationships standing on visible or
invisible indicators or on objects held elsewhere, reports naming any of
them. For each kind of user, the reference below says what they may see,
computed from those drawn facts alone (with the TLP table of
``baobab.core.tests.test_visibility``); each path must return exactly that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from baobab.core.choices import TLP, Distribution, Role, TeamType
from baobab.core.models import Membership, SharingGroup, Team, User
from baobab.core.permissions import is_community_member
from baobab.core.services import create_token
from baobab.core.tests.test_visibility import RefObject, RefViewer, reference_may_see
from baobab.sharing.correlation import correlations
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.queries import seen_contents, visible, visible_versions
from baobab.sharing.stix.export import export_bundle
from baobab.sharing.stix.markings import TLP2_IDS
from baobab.sharing.stix.render import stix_time, team_identity_id
from baobab.sharing.versions import record_version

TEAMS = 4
ELSEWHERE = "malware--5a0ed8e2-3c1d-4b8f-9f59-7d5c1f2e6a01"  # an id Baobab does not hold
VALUES = ["192.0.2.1", "192.0.2.2", "192.0.2.3"]


@dataclass(frozen=True)
class Marking:
    owner: int
    tlp: str
    distribution: str
    group: int | None
    recipients: frozenset[int]

    def as_ref(self) -> RefObject:
        return RefObject(self.owner, self.tlp, self.distribution, self.group, self.recipients)


@dataclass(frozen=True)
class Spec:
    """One drawn object: its marking(s) over time and what it stands on.
    ``refs`` are indexes of indicators, or -1 for an object held elsewhere."""

    kind: str
    markings: tuple[Marking, ...]
    value: str = ""
    refs: tuple[int, ...] = ()


@dataclass
class Scenario:
    groups: list[tuple[int, frozenset[int]]]  # (owner, members) by group index
    specs: list[Spec] = field(default_factory=list)


@st.composite
def markings(draw: st.DrawFn, groups: int) -> Marking:
    distribution = draw(st.sampled_from(list(Distribution)))
    return Marking(
        owner=draw(st.integers(0, TEAMS - 1)),
        tlp=draw(st.sampled_from(list(TLP))),
        distribution=distribution,
        group=draw(st.integers(0, groups - 1)) if distribution == Distribution.GROUP else None,
        recipients=frozenset(draw(st.sets(st.integers(0, TEAMS - 1), max_size=1))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    groups = [
        (draw(st.integers(0, TEAMS - 1)), frozenset(draw(st.sets(st.integers(0, TEAMS - 1)))))
        for _ in range(2)
    ]
    scenario = Scenario(groups=groups)

    def marked(count: int) -> tuple[Marking, ...]:
        first = draw(markings(len(groups)))
        later = [
            Marking(first.owner, m.tlp, m.distribution, m.group, m.recipients)
            for m in draw(st.lists(markings(len(groups)), max_size=count - 1))
        ]
        return (first, *later)

    n_indicators = draw(st.integers(1, 6))
    for _ in range(n_indicators):
        scenario.specs.append(Spec("indicator", marked(2), value=draw(st.sampled_from(VALUES))))
    target = st.integers(-1, n_indicators - 1)
    for _ in range(draw(st.integers(0, 3))):
        scenario.specs.append(Spec("sighting", marked(1), refs=(draw(target),)))
    for _ in range(draw(st.integers(0, 2))):
        scenario.specs.append(Spec("relationship", marked(1), refs=(draw(target), draw(target))))
    for _ in range(draw(st.integers(0, 2))):
        refs = tuple(draw(st.lists(target, min_size=1, max_size=3, unique=True)))
        scenario.specs.append(Spec("report", marked(2), refs=refs))
    # STIX objects of types Baobab keeps as they came, naming indicators.
    for _ in range(draw(st.integers(0, 1))):
        refs = tuple(draw(st.lists(target, min_size=1, max_size=3, unique=True)))
        scenario.specs.append(Spec("note", marked(1), refs=refs))
    for _ in range(draw(st.integers(0, 1))):
        scenario.specs.append(Spec("x-example", marked(1), refs=(draw(target),)))
    return scenario


# --- building the drawn community in the database -----------------------------


@dataclass
class Built:
    teams: list[Team]
    users: dict[str, User | None]
    groups: list[SharingGroup]
    objects: list[SharedObject]  # by spec index
    indicator_ids: list[str]  # STIX ids by indicator index


def _users(teams: list[Team]) -> dict[str, User | None]:
    users: dict[str, User | None] = {"anonymous": None}
    users["no-team"] = User.objects.create_user("no-team")
    users["community-admin"] = User.objects.create_user("community-admin", is_community_admin=True)
    for team in teams:
        user = User.objects.create_user(f"member-{team.short_name}")
        Membership.objects.create(user=user, team=team, role=Role.VIEWER)
        users[user.username] = user
    both = User.objects.create_user("member-t1-t3")
    Membership.objects.create(user=both, team=teams[1], role=Role.ANALYST)
    Membership.objects.create(user=both, team=teams[3], role=Role.ANALYST)
    users["member-t1-t3"] = both
    return users


def _apply(obj: SharedObject, marking: Marking, built: Built, first: bool) -> None:
    obj.tlp = marking.tlp
    obj.distribution = marking.distribution
    obj.sharing_group = built.groups[marking.group] if marking.group is not None else None
    if not first:
        obj.modified = obj.modified + dt.timedelta(seconds=1)
        obj.added_at = obj.modified
    obj.save()
    obj.recipient_teams.set([built.teams[index] for index in marking.recipients])
    record_version(obj)


KEPT = ("note", "x-example")


def _kept_content(spec: Spec, obj: KeptObject, refs: list[str]) -> dict[str, Any]:
    """A note naming objects, or a custom object standing on one."""
    content: dict[str, Any] = {
        "type": spec.kind,
        "spec_version": "2.1",
        "id": obj.stix_id,
        "created": stix_time(obj.modified),
        "modified": stix_time(obj.modified),
        "created_by_ref": team_identity_id(obj.owner_team),
        "object_marking_refs": [TLP2_IDS[TLP(spec.markings[0].tlp)]],
    }
    if spec.kind == "note":
        return {**content, "content": "Seen in a campaign.", "object_refs": refs}
    return {**content, "x_target_ref": refs[0]}


def build(scenario: Scenario) -> Built:
    teams = [
        Team.objects.create(short_name=f"t{i}", name=f"T{i}", team_type=TeamType.NATIONAL)
        for i in range(TEAMS)
    ]
    groups = []
    for index, (owner, members) in enumerate(scenario.groups):
        group = SharingGroup.objects.create(name=f"G{index}", owner_team=teams[owner])
        group.member_teams.set([teams[member] for member in members])
        groups.append(group)
    built = Built(teams, _users(teams), groups, [], [])

    def ref(index: int) -> str:
        return ELSEWHERE if index < 0 else built.indicator_ids[index]

    for number, spec in enumerate(scenario.specs):
        owner_team = teams[spec.markings[0].owner]
        stix_id = f"{spec.kind}--00000000-0000-4000-8000-{number:012d}"
        obj: SharedObject
        if spec.kind == "indicator":
            obj = Indicator(owner_team=owner_team, stix_id=stix_id, kind="ip", value=spec.value)
            built.indicator_ids.append(stix_id)
        elif spec.kind == "sighting":
            seen = built.objects[spec.refs[0]] if spec.refs[0] >= 0 else None
            indicator = seen if isinstance(seen, Indicator) else None
            obj = Sighting(
                owner_team=owner_team,
                stix_id=stix_id,
                indicator=indicator,
                sighting_of_ref=ref(spec.refs[0]),
            )
        elif spec.kind == "relationship":
            obj = Relationship(
                owner_team=owner_team,
                stix_id=stix_id,
                relationship_type="related-to",
                source_ref=ref(spec.refs[0]),
                target_ref=ref(spec.refs[1]),
            )
        elif spec.kind in KEPT:
            obj = KeptObject(owner_team=owner_team, stix_id=stix_id, stix_type=spec.kind)
            obj.content = _kept_content(spec, obj, [ref(index) for index in spec.refs])
        else:
            obj = Report(
                owner_team=owner_team,
                stix_id=stix_id,
                title=f"Report {number}",
                object_refs=[ref(index) for index in spec.refs],
            )
        for position, marking in enumerate(spec.markings):
            _apply(obj, marking, built, first=position == 0)
        built.objects.append(obj)
    return built


# --- the reference -----------------------------------------------------------


def ref_viewer(name: str, scenario: Scenario) -> RefViewer:
    if name == "anonymous":
        return RefViewer(False, frozenset(), False, frozenset())
    if name in ("no-team", "community-admin"):
        return RefViewer(True, frozenset(), name == "community-admin", frozenset())
    teams = (
        frozenset({1, 3})
        if name == "member-t1-t3"
        else frozenset({int(name.removeprefix("member-t"))})
    )
    in_groups = frozenset(
        index
        for index, (owner, members) in enumerate(scenario.groups)
        if owner in teams or members & teams
    )
    return RefViewer(True, teams, False, in_groups)


@dataclass(frozen=True)
class Expected:
    current: dict[str, set[str]]  # kind -> STIX ids the viewer sees
    versions: set[tuple[str, int]]  # (STIX id, version number) seen among all versions
    report_refs: dict[str, list[str]]  # report id -> refs shown (current version)


def expected_for(viewer: RefViewer, scenario: Scenario, built: Built) -> Expected:
    def sees(marking: Marking) -> bool:
        return reference_may_see(viewer, _ids(marking, built))

    def stands(index: int) -> bool:  # a reference to indicator ``index`` may be shown
        return index < 0 or sees(scenario.specs[index].markings[-1])

    current: dict[str, set[str]] = {
        kind: set() for kind in ("indicator", "sighting", "relationship", "report", *KEPT)
    }
    versions: set[tuple[str, int]] = set()
    report_refs: dict[str, list[str]] = {}
    for spec, obj in zip(scenario.specs, built.objects, strict=True):
        if not all(stands(index) for index in spec.refs) and spec.kind not in ("report", "note"):
            continue
        for number, marking in enumerate(spec.markings):
            if sees(marking) and sees(spec.markings[-1]):  # narrowing withdraws older versions
                versions.add((obj.stix_id, number))
        if sees(spec.markings[-1]):
            current[spec.kind].add(obj.stix_id)
            if spec.kind in ("report", "note"):
                shown = [
                    ELSEWHERE if index < 0 else built.indicator_ids[index]
                    for index in spec.refs
                    if stands(index)
                ]
                report_refs[obj.stix_id] = shown or [team_identity_id(obj.owner_team)]
    return Expected(current, versions, report_refs)


def _ids(marking: Marking, built: Built) -> RefObject:
    """The drawn marking with database ids, as the reference reads them."""
    return RefObject(
        owner=built.teams[marking.owner].pk,
        tlp=marking.tlp,
        distribution=marking.distribution,
        group=built.groups[marking.group].pk if marking.group is not None else None,
        recipients=frozenset(built.teams[index].pk for index in marking.recipients),
    )


def _db_viewer(viewer: RefViewer, built: Built) -> RefViewer:
    return RefViewer(
        viewer.logged_in,
        frozenset(built.teams[index].pk for index in viewer.teams),
        viewer.community_admin,
        frozenset(built.groups[index].pk for index in viewer.groups),
    )


# --- the paths ---------------------------------------------------------------

MODELS: dict[str, type[SharedObject]] = {
    "indicator": Indicator,
    "sighting": Sighting,
    "relationship": Relationship,
    "report": Report,
}


def via_queries(user: User | None) -> dict[str, set[str]]:
    return {
        kind: set(visible(model, user).values_list("stix_id", flat=True))
        for kind, model in MODELS.items()
    }


API_LISTS = {
    "indicator": "/api/v1/indicators/",
    "sighting": "/api/v1/sightings/",
    "relationship": "/api/v1/relationships/",
    "report": "/api/v1/reports/",
}


def via_api(user: User | None) -> dict[str, set[str]] | None:
    """Every page of each REST list (the API is for community members only)."""
    if not is_community_member(user):
        return None
    client = APIClient()
    client.force_authenticate(user)
    seen: dict[str, set[str]] = {}
    for kind, endpoint in API_LISTS.items():
        seen[kind] = set()
        url: str | None = f"{endpoint}?limit=5"
        while url:
            answer = client.get(url)
            assert answer.status_code == 200, answer.content
            body = answer.json()
            seen[kind] |= {row["stix_id"] for row in body["results"]}
            url = body["next"]
    return seen


def _by_kind(contents: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {kind: set() for kind in MODELS}
    for content in contents:
        if content["type"] in seen:
            seen[content["type"]].add(content["id"])
    return seen


def via_stix_export(user: User | None) -> dict[str, set[str]]:
    return _by_kind(export_bundle(user).get("objects", []))


TAXII_MEDIA = "application/taxii+json;version=2.1"


def via_taxii(user: User | None) -> dict[str, set[str]]:
    """Every page of every collection the user may read, through the server."""
    headers = {"HTTP_ACCEPT": TAXII_MEDIA}
    if user is not None:
        _token, key = create_token(user, acting_user=None)
        headers["HTTP_AUTHORIZATION"] = f"Token {key}"
    client = Client()
    listing = client.get("/taxii2/api/collections/", **headers)  # type: ignore[arg-type]
    assert listing.status_code == 200, listing.content
    contents: list[dict[str, Any]] = []
    for collection in listing.json().get("collections", []):
        url = f"/taxii2/api/collections/{collection['id']}/objects/"
        params: dict[str, Any] = {"limit": 5}
        while True:
            answer = client.get(url, params, **headers)  # type: ignore[arg-type]
            assert answer.status_code == 200, answer.content
            body = answer.json()
            contents.extend(body.get("objects", []))
            if not body.get("more"):
                break
            params = {"limit": 5, "next": body["next"]}
    return _by_kind(contents)


# Each path: (name, function of a user giving the STIX ids seen per kind, or
# None where the path is closed to that user).
PATHS: list[tuple[str, Callable[[User | None], dict[str, set[str]] | None]]] = [
    ("queries.visible", via_queries),
    ("REST API lists", via_api),
    ("STIX export", via_stix_export),
    ("TAXII collections", via_taxii),
]


def expected_correlations(
    viewer: RefViewer, scenario: Scenario, built: Built, expected: Expected
) -> dict[str, set[int]]:
    """For each indicator the viewer sees: the other teams that share its value
    or saw it, in what the viewer sees."""
    by_value: dict[str, set[int]] = {}
    for spec, obj in zip(scenario.specs, built.objects, strict=True):
        if spec.kind == "indicator" and obj.stix_id in expected.current["indicator"]:
            by_value.setdefault(spec.value, set()).add(obj.owner_team_id)
        if spec.kind == "sighting" and obj.stix_id in expected.current["sighting"]:
            target = spec.refs[0]
            if target >= 0 and built.indicator_ids[target] in expected.current["indicator"]:
                value = scenario.specs[target].value
                by_value.setdefault(value, set()).add(obj.owner_team_id)
    return {
        obj.stix_id: by_value.get(spec.value, set()) - {obj.owner_team_id}
        for spec, obj in zip(scenario.specs, built.objects, strict=True)
        if spec.kind == "indicator" and obj.stix_id in expected.current["indicator"]
    }


def _version_numbers() -> dict[tuple[str, dt.datetime], int]:
    numbers: dict[tuple[str, dt.datetime], int] = {}
    rows = ObjectVersion.objects.order_by("stix_id", "modified").values_list("stix_id", "modified")
    for stix_id, modified in rows:
        numbers[(stix_id, modified)] = sum(1 for key in numbers if key[0] == stix_id)
    return numbers


def check_user(name: str, user: User | None, scenario: Scenario, built: Built) -> None:
    viewer = _db_viewer(ref_viewer(name, scenario), built)
    expected = expected_for(viewer, scenario, built)
    for path_name, path in PATHS:
        modelled = {kind: expected.current[kind] for kind in MODELS}
        reached = path(user)
        if reached is not None:
            assert reached == modelled, f"{path_name} disagrees for {name}"

    numbers = _version_numbers()
    rows = {row.content["id"] + row.content["modified"]: row for row in visible_versions(user)}
    contents = seen_contents(rows.values(), user)
    seen = {
        (
            content["id"],
            numbers[(content["id"], rows[content["id"] + content["modified"]].modified)],
        )
        for content in contents
    }
    assert seen == expected.versions, f"versions disagree for {name}"
    for content in contents:
        if content["type"] in ("report", "note") and content["id"] in expected.report_refs:
            current = rows[content["id"] + content["modified"]].is_current
            if current:
                assert content["object_refs"] == expected.report_refs[content["id"]], name

    if user is not None and len(viewer.teams) == 1:
        wanted = expected_correlations(viewer, scenario, built, expected)
        for indicator in Indicator.objects.filter(stix_id__in=wanted):
            found = {entry.team.pk for entry in correlations(indicator, user)}
            assert found == wanted[indicator.stix_id], f"also seen by disagrees for {name}"


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_every_path_gives_each_user_exactly_what_the_rules_allow(scenario: Scenario) -> None:
    with transaction.atomic():
        built = build(scenario)
        for name, user in built.users.items():
            check_user(name, user, scenario, built)
        transaction.set_rollback(True)
