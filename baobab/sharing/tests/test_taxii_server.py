"""The TAXII 2.1 server end to end: the real ``taxii2-client`` (and plain
``requests`` for what the client hides) against the live server, as users
of different teams and roles and as an anonymous visitor."""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import SharingGroup, Team, User
from baobab.core.services import create_token
from baobab.sharing import groups, services
from baobab.sharing.models import Indicator, ObjectVersion
from baobab.sharing.stix.render import parse_stix_time, stix_time
from baobab.sharing.taxii.collections import Scope, collection_id

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PASSWORD = "correct horse battery staple"
TAXII = "application/taxii+json;version=2.1"
COMMUNITY = collection_id(Scope.COMMUNITY)
PUBLIC = collection_id(Scope.PUBLIC)
_values = itertools.count(1)


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    """Basic authentication checks a password on every request: hash test
    passwords quickly (the real hasher takes a noticeable time)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """Three teams, a sharing group of two, users in roles, and objects at
    every TLP and distribution with references that some may not follow."""

    a: Team
    b: Team
    c: Team
    west: SharingGroup
    users: dict[str, User]
    # name → indicator of cert-a, one per (TLP, distribution)
    marked: dict[tuple[str, str], Indicator]
    stix: dict[str, str] = field(default_factory=dict)  # name → STIX id

    def team(self, user: str) -> set[int]:
        return set(self.users[user].memberships.values_list("team_id", flat=True))


def _ip() -> str:
    n = next(_values)
    return f"198.51.{n // 250}.{n % 250 + 1}"


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> World:
    a, b, c = make_team("cert-a"), make_team("cert-b"), make_team("cert-c")
    users = {
        "analyst_a": make_user("analyst-a", team=a, role=Role.ANALYST),
        "viewer_a": make_user("viewer-a", team=a, role=Role.VIEWER),
        "analyst_b": make_user("analyst-b", team=b, role=Role.ANALYST),
        "admin_b": make_user("admin-b", team=b, role=Role.ADMIN),
        "analyst_c": make_user("analyst-c", team=c, role=Role.ANALYST),
        "outsider": make_user("outsider"),
        "coordinator": make_user("coordinator", is_community_admin=True),
    }
    multi = make_user("multi", team=a, role=Role.ANALYST)
    multi.memberships.create(team=c, role=Role.ANALYST)
    users["multi"] = multi
    west = groups.create_group(b, acting_user=users["admin_b"], name="West", member_teams=[a])
    marked: dict[tuple[str, str], Indicator] = {}
    for tlp in TLP:
        for distribution in Distribution:
            marked[(tlp.value, distribution.value)] = services.create_indicator(
                a,
                acting_user=users["analyst_a"],
                kind="ip",
                value=_ip(),
                tlp=tlp,
                distribution=distribution,
                sharing_group=west if distribution == Distribution.GROUP else None,
            )
    world = World(a=a, b=b, c=c, west=west, users=users, marked=marked)
    # TLP:RED for cert-a, with cert-c named as recipient.
    named = services.create_indicator(
        a,
        acting_user=users["analyst_a"],
        kind="domain",
        value="named.example",
        tlp=TLP.RED,
        distribution=Distribution.TEAM,
        recipient_teams=[c],
    )
    shared = marked[("green", "community")]
    secret = marked[("amber", "team")]
    link = services.create_relationship(
        a,
        acting_user=users["analyst_a"],
        relationship_type="related-to",
        source_ref=shared.stix_id,
        target_ref=secret.stix_id,
        tlp=TLP.GREEN,
        distribution=Distribution.COMMUNITY,
    )
    report = services.create_report(
        a,
        acting_user=users["analyst_a"],
        title="Campaign",
        object_refs=[shared.stix_id, secret.stix_id],
        tlp=TLP.GREEN,
        distribution=Distribution.COMMUNITY,
    )
    # cert-b saw an indicator of cert-a that cert-a then kept to itself.
    withdrawn = services.create_indicator(
        a, acting_user=users["analyst_a"], kind="domain", value="withdrawn.example"
    )
    sighting = services.create_sighting(b, withdrawn, acting_user=users["analyst_b"], tlp=TLP.GREEN)
    services.update_indicator(
        withdrawn, {"distribution": Distribution.TEAM}, acting_user=users["analyst_a"]
    )
    # Once TLP:RED for cert-a alone, now public.
    opened = services.create_indicator(
        a,
        acting_user=users["analyst_a"],
        kind="domain",
        value="opened.example",
        tlp=TLP.RED,
        distribution=Distribution.TEAM,
    )
    time.sleep(0.002)
    services.update_indicator(
        opened,
        {"tlp": TLP.CLEAR, "distribution": Distribution.PUBLIC},
        acting_user=users["analyst_a"],
    )
    world.stix.update(
        named=named.stix_id,
        link=link.stix_id,
        report=report.stix_id,
        sighting=sighting.stix_id,
        withdrawn=withdrawn.stix_id,
        opened=opened.stix_id,
        shared=shared.stix_id,
        secret=secret.stix_id,
    )
    return world


def _token(user: User) -> str:
    return create_token(user, acting_user=None)[1]


def _api(live_server: Any, user: User | None = None, *, basic: bool = False) -> ApiRoot:
    url = f"{live_server.url}/taxii2/api/"
    if user is None:
        return ApiRoot(url)
    if basic:
        return ApiRoot(url, user=user.username, password=PASSWORD)
    return ApiRoot(url, auth=TokenAuth(_token(user)))


def _collection(api: ApiRoot, wanted: str) -> Collection:
    for found in api.collections:
        if wanted in (found.id, found.alias):
            return found
    raise AssertionError(f"{wanted} is not among {[c.alias for c in api.collections]}")


def _ids(envelope: dict[str, Any]) -> list[str]:
    return [obj["id"] for obj in envelope.get("objects", [])]


def _headers(key: str | None = None, **more: str) -> dict[str, str]:
    headers = {"Accept": TAXII, **more}
    if key:
        headers["Authorization"] = f"Token {key}"
    return headers


# --- discovery and collections ---------------------------------------------


def test_discovery_names_the_api_root(live_server: Any, world: World) -> None:
    server = Server(f"{live_server.url}/taxii2/")
    assert server.title
    assert [root.url for root in server.api_roots] == [f"{live_server.url}/taxii2/api/"]
    assert server.default is not None
    root = server.default
    assert root.versions == [TAXII]
    assert root.max_content_length > 0


def test_each_user_sees_only_the_collections_they_may_read(live_server: Any, world: World) -> None:
    def aliases(user: User | None) -> dict[str, tuple[bool, bool]]:
        return {
            found.alias: (found.can_read, found.can_write)
            for found in _api(live_server, user).collections
        }

    assert aliases(None) == {"public": (True, False)}
    assert aliases(world.users["outsider"]) == {"public": (True, False)}
    assert aliases(world.users["coordinator"]) == {
        "public": (True, False),
        "community": (True, False),
    }
    group = f"group-{world.west.pk}"
    assert aliases(world.users["viewer_a"]) == {
        "public": (True, False),
        "community": (True, False),
        "team-cert-a": (True, False),
        group: (True, False),
    }
    assert aliases(world.users["analyst_a"]) == {
        "public": (True, True),
        "community": (True, True),
        "team-cert-a": (True, True),
        group: (True, True),
    }
    assert aliases(world.users["analyst_c"]) == {
        "public": (True, True),
        "community": (True, True),
        "team-cert-c": (True, True),
    }
    # A collection id is stable: the scope's, whatever the team is called.
    ids = {
        found.alias: found.id for found in _api(live_server, world.users["analyst_b"]).collections
    }
    assert ids["team-cert-b"] == collection_id(Scope.TEAM, world.b.pk)
    assert ids["community"] == COMMUNITY


def test_another_teams_collection_is_not_found_and_anonymous_must_authenticate(
    live_server: Any, world: World
) -> None:
    team_a = collection_id(Scope.TEAM, world.a.pk)
    url = f"{live_server.url}/taxii2/api/collections/{team_a}/"
    own = requests.get(url, headers=_headers(_token(world.users["viewer_a"])), timeout=10)
    assert own.status_code == 200
    assert own.json()["id"] == team_a
    for user in ("analyst_b", "outsider", "coordinator"):
        other = requests.get(url, headers=_headers(_token(world.users[user])), timeout=10)
        assert other.status_code == 404, user
        assert other.headers["Content-Type"] == TAXII
        assert other.json()["http_status"] == "404"
        # Exactly as for a collection that does not exist.
        missing = requests.get(
            url.replace(team_a, collection_id(Scope.TEAM, 10**9)),
            headers=_headers(_token(world.users[user])),
            timeout=10,
        )
        assert missing.status_code == 404
        assert missing.json() == other.json()
    anonymous = requests.get(url + "objects/", headers=_headers(), timeout=10)
    assert anonymous.status_code == 401
    assert "Basic" in anonymous.headers["WWW-Authenticate"]
    assert anonymous.json()["http_status"] == "401"


# --- authentication --------------------------------------------------------


def test_token_and_basic_authentication(live_server: Any, world: World) -> None:
    user = world.users["analyst_b"]
    by_password = _api(live_server, user, basic=True)
    assert "team-cert-b" in {found.alias for found in by_password.collections}
    key = _token(user)
    by_token_as_password = ApiRoot(
        f"{live_server.url}/taxii2/api/", user=user.username, password=key
    )
    assert "team-cert-b" in {found.alias for found in by_token_as_password.collections}
    url = f"{live_server.url}/taxii2/api/collections/"
    for headers in (
        _headers("bbt_not-a-token"),
        _headers(Authorization="Basic bm8tc3VjaDp1c2Vy"),  # no-such:user
        _headers(Authorization="Bearer something"),
        _headers(Authorization="Basic %%%"),
    ):
        refused = requests.get(url, headers=headers, timeout=10)
        assert refused.status_code == 401, headers
        assert refused.headers["WWW-Authenticate"]
    wrong = requests.get(url, headers=_headers(), auth=(user.username, "wrong"), timeout=10)
    assert wrong.status_code == 401
    # Another user's token as the password of this one is refused.
    other = _token(world.users["analyst_c"])
    mixed = requests.get(url, headers=_headers(), auth=(user.username, other), timeout=10)
    assert mixed.status_code == 401


def test_a_password_alone_does_not_open_an_account_with_a_second_factor(
    live_server: Any, world: World
) -> None:
    user = world.users["analyst_b"]
    User.objects.filter(pk=user.pk).update(totp_confirmed=True, totp_secret="JBSWY3DPEHPK3PXP")
    url = f"{live_server.url}/taxii2/api/collections/"
    refused = requests.get(url, headers=_headers(), auth=(user.username, PASSWORD), timeout=10)
    assert refused.status_code == 401
    assert "token" in refused.json()["description"].lower()
    allowed = requests.get(url, headers=_headers(), auth=(user.username, _token(user)), timeout=10)
    assert allowed.status_code == 200


def test_repeated_wrong_passwords_lock_the_account_out(
    live_server: Any, world: World, settings: Any
) -> None:
    user = world.users["analyst_b"]
    url = f"{live_server.url}/taxii2/api/"
    statuses = [
        requests.get(url, headers=_headers(), auth=(user.username, f"wrong{n}"), timeout=10)
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert [answer.status_code for answer in statuses[:-1]] == [401] * (
        settings.AXES_FAILURE_LIMIT - 1
    )
    assert statuses[-1].status_code == 429
    locked = requests.get(url, headers=_headers(), auth=(user.username, PASSWORD), timeout=10)
    assert locked.status_code == 429
    assert locked.headers["Content-Type"] == TAXII


# --- media types -----------------------------------------------------------


def test_wrong_accept_is_406_and_wrong_content_type_is_415(live_server: Any, world: World) -> None:
    base = f"{live_server.url}/taxii2/api/"
    for accept in ("application/json", "application/taxii+json;version=2.0", "text/html"):
        refused = requests.get(base, headers={"Accept": accept}, timeout=10)
        assert refused.status_code == 406, accept
        assert refused.headers["Content-Type"] == TAXII
        assert refused.json()["http_status"] == "406"
    for accept in (TAXII, "application/taxii+json", "*/*", f"text/html, {TAXII};q=0.9"):
        assert requests.get(base, headers={"Accept": accept}, timeout=10).status_code == 200
    key = _token(world.users["analyst_a"])
    objects = f"{base}collections/{COMMUNITY}/objects/"
    for content_type in ("application/json", "application/stix+json;version=2.1", ""):
        refused = requests.post(
            objects,
            data=b'{"objects": []}',
            headers=_headers(key, **{"Content-Type": content_type}),
            timeout=10,
        )
        assert refused.status_code == 415, content_type
        assert refused.json()["http_status"] == "415"
    bad_json = requests.post(
        objects, data=b"{", headers=_headers(key, **{"Content-Type": TAXII}), timeout=10
    )
    assert bad_json.status_code == 400
    not_envelope = requests.post(
        objects, data=b"[]", headers=_headers(key, **{"Content-Type": TAXII}), timeout=10
    )
    assert not_envelope.status_code == 400
    wrong_method = requests.put(objects, headers=_headers(key), timeout=10)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, POST"


# --- objects, paging, filters ---------------------------------------------


def _bulk(world: World, count: int) -> list[Indicator]:
    return [
        services.create_indicator(
            world.b, acting_user=world.users["analyst_b"], kind="ip", value=_ip()
        )
        for _ in range(count)
    ]


def test_objects_page_through_the_collection_with_as_pages(live_server: Any, world: World) -> None:
    _bulk(world, 25)
    community = _collection(_api(live_server, world.users["analyst_c"]), "community")
    everything = community.get_objects()
    assert everything["more"] is False
    pages = list(as_pages(community.get_objects, per_request=10))
    assert len(pages) >= 3
    assert all(page["more"] for page in pages[:-1])
    assert not pages[-1]["more"]
    assert [obj_id for page in pages for obj_id in _ids(page)] == _ids(everything)
    assert len(set(_ids(everything))) == len(_ids(everything))
    # The manifest pages the same way.
    manifest_pages = list(as_pages(community.get_manifest, per_request=7))
    records = [record for page in manifest_pages for record in page["objects"]]
    assert [record["id"] for record in records] == _ids(everything)
    assert {record["media_type"] for record in records} == {"application/stix+json;version=2.1"}


def test_page_headers_and_added_after(live_server: Any, world: World) -> None:
    key = _token(world.users["analyst_c"])
    url = f"{live_server.url}/taxii2/api/collections/{COMMUNITY}/objects/"
    first = requests.get(url, headers=_headers(key), params={"limit": 5}, timeout=10)
    assert first.status_code == 200
    assert first.headers["Content-Type"] == TAXII
    body = first.json()
    assert body["more"] is True
    assert len(body["objects"]) <= 5
    first_added = parse_stix_time(first.headers["X-TAXII-Date-Added-First"])
    last_added = parse_stix_time(first.headers["X-TAXII-Date-Added-Last"])
    assert first_added <= last_added
    time.sleep(0.005)
    later = _bulk(world, 3)
    after = requests.get(
        url,
        headers=_headers(key),
        params={"added_after": stix_time(later[0].added_at - dt.timedelta(milliseconds=1))},
        timeout=10,
    ).json()
    assert _ids(after) == [indicator.stix_id for indicator in later]
    nothing = requests.get(
        url,
        headers=_headers(key),
        params={"added_after": stix_time(later[-1].added_at)},
        timeout=10,
    )
    assert nothing.status_code == 200
    assert nothing.json() == {"more": False, "objects": []}
    assert "X-TAXII-Date-Added-First" not in nothing.headers
    for params in (
        {"added_after": "yesterday"},
        {"limit": "0"},
        {"limit": "many"},
        {"next": "not-ours"},
        {"match[version]": "latest"},
    ):
        refused = requests.get(url, headers=_headers(key), params=params, timeout=10)
        assert refused.status_code == 400, params
        assert refused.json()["http_status"] == "400"


def test_a_tampered_next_is_refused(live_server: Any, world: World) -> None:
    key = _token(world.users["analyst_c"])
    url = f"{live_server.url}/taxii2/api/collections/{COMMUNITY}/objects/"
    cursor = requests.get(url, headers=_headers(key), params={"limit": 2}, timeout=10).json()[
        "next"
    ]
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    assert (
        requests.get(url, headers=_headers(key), params={"next": flipped}, timeout=10).status_code
        == 400
    )
    assert (
        requests.get(url, headers=_headers(key), params={"next": cursor}, timeout=10).status_code
        == 200
    )


def test_match_filters(live_server: Any, world: World) -> None:
    analyst = world.users["analyst_a"]
    community = _collection(_api(live_server, analyst), "community")
    types = {obj["type"] for obj in community.get_objects()["objects"]}
    assert {"indicator", "relationship", "report", "sighting"} <= types
    reports = community.get_objects(type="report")["objects"]
    assert [obj["id"] for obj in reports] == [world.stix["report"]]
    several = community.get_objects(type=["report", "relationship"])
    assert {obj["type"] for obj in several["objects"]} == {"report", "relationship"}
    shared = world.stix["shared"]
    by_id = community.get_objects(id=[shared, world.stix["report"]])
    assert set(_ids(by_id)) == {shared, world.stix["report"]}
    assert community.get_objects(spec_version="2.1")["objects"]
    assert community.get_objects(spec_version="2.0") == {"more": False, "objects": []}
    # Versions: an object made public after being TLP:RED for its team.
    public = _collection(_api(live_server, analyst), "public")
    opened = world.stix["opened"]
    stamps = [
        stix_time(moment)
        for moment in ObjectVersion.objects.filter(stix_id=opened)
        .order_by("modified")
        .values_list("modified", flat=True)
    ]
    assert len(stamps) == 2
    last = public.get_object(opened)["objects"]
    assert [obj["modified"] for obj in last] == [stamps[1]]
    # The first version was TLP:RED: never public.
    with pytest.raises(requests.HTTPError) as missing:
        public.get_object(opened, version="first")
    assert missing.value.response is not None
    assert missing.value.response.status_code == 404
    team_a = _collection(_api(live_server, analyst), "team-cert-a")
    assert [o["modified"] for o in team_a.get_object(opened, version="first")["objects"]] == [
        stamps[0]
    ]
    assert [o["modified"] for o in team_a.get_object(opened, version="all")["objects"]] == stamps
    assert [o["modified"] for o in team_a.get_object(opened, version=stamps[0])["objects"]] == [
        stamps[0]
    ]
    assert [
        o["modified"] for o in team_a.get_objects(id=opened, version=["first", "last"])["objects"]
    ] == stamps
    assert team_a.object_versions(opened)["versions"] == stamps


def test_versions_and_objects_hide_versions_the_reader_may_not_see(
    live_server: Any, world: World
) -> None:
    opened = world.stix["opened"]
    current = ObjectVersion.objects.get(stix_id=opened, is_current=True)
    for user in (None, world.users["analyst_b"]):
        public = _collection(_api(live_server, user), "public")
        assert public.object_versions(opened)["versions"] == [stix_time(current.modified)]
        assert len(public.get_object(opened, version="all")["objects"]) == 1
    url = f"{live_server.url}/taxii2/api/collections/{PUBLIC}/objects/{world.stix['secret']}/"
    for suffix in ("", "versions/"):
        missing = requests.get(url + suffix, headers=_headers(), timeout=10)
        assert missing.status_code == 404
        assert missing.headers["Content-Type"] == TAXII


# --- no leak ---------------------------------------------------------------


def _may_see(world: World, user: str | None, version: ObjectVersion) -> bool:
    """The rules of DESIGN.md written out plainly, for one version."""
    teams = world.team(user) if user else set()
    is_member = bool(teams) or user == "coordinator"
    groups_in = {
        world.west.pk
        for team in teams
        if team == world.west.owner_team_id or world.west.member_teams.filter(pk=team).exists()
    }
    recipients = set(version.recipient_teams.values_list("id", flat=True))
    if version.owner_team_id in teams or recipients & teams:
        return True
    if version.tlp == TLP.RED:
        return False
    if version.distribution == Distribution.PUBLIC and version.tlp == TLP.CLEAR:
        return True
    if not is_member:
        return False
    if version.distribution in (Distribution.COMMUNITY, Distribution.PUBLIC):
        return True
    return version.distribution == Distribution.GROUP and version.sharing_group_id in groups_in


def _everything(session: requests.Session, base: str, collection: str) -> Iterator[str]:
    """Every body of every endpoint of a collection, paged by the server."""
    url = f"{base}collections/{collection}/"
    yield session.get(url, timeout=10).text
    for endpoint in ("objects/", "manifest/"):
        params: dict[str, Any] = {"limit": 4, "match[version]": "all"}
        while True:
            answer = session.get(url + endpoint, params=params, timeout=10)
            assert answer.status_code == 200, answer.text
            yield answer.text
            body = answer.json()
            for obj in body.get("objects", []) if endpoint == "objects/" else []:
                for part in ("", "versions/"):
                    detail = session.get(
                        f"{url}objects/{obj['id']}/{part}",
                        params={"match[version]": "all"},
                        timeout=10,
                    )
                    assert detail.status_code == 200
                    yield detail.text
            if not body["more"]:
                break
            params = {**params, "next": body["next"]}


@pytest.mark.parametrize(
    "user",
    [None, "outsider", "coordinator", "viewer_a", "analyst_b", "analyst_c", "multi"],
)
def test_no_endpoint_ever_shows_what_the_reader_may_not_see(
    live_server: Any, world: World, user: str | None
) -> None:
    versions = list(ObjectVersion.objects.all())
    current = {(v.owner_team_id, v.stix_id): v for v in versions if v.is_current}
    # A version is seen when its own marking and the object's current one
    # both let the reader see it (narrowing withdraws the older versions).
    seen = {
        version.pk
        for version in versions
        if _may_see(world, user, version)
        and _may_see(world, user, current[(version.owner_team_id, version.stix_id)])
    }
    # An object whose current version the reader may not see is hidden:
    # what stands on it (a relationship, a sighting) is hidden with it.
    hidden_now = {v.stix_id for v in versions if v.is_current and v.pk not in seen}
    standing_on_hidden = {
        world.stix["link"] if world.stix["secret"] in hidden_now else "",
        world.stix["sighting"] if world.stix["withdrawn"] in hidden_now else "",
    } - {""}
    # Never named anywhere: what has no version the reader may see.
    never = {v.stix_id for v in versions} - {v.stix_id for v in versions if v.pk in seen}
    never |= standing_on_hidden
    expected = {
        (v.stix_id, stix_time(v.modified))
        for v in versions
        if v.pk in seen and v.stix_id not in standing_on_hidden
    }
    invisible_stamps = {
        (v.stix_id, stix_time(v.modified)) for v in versions if v.pk not in seen
    } - expected

    session = requests.Session()
    session.headers.update(_headers(_token(world.users[user]) if user else None))
    base = f"{live_server.url}/taxii2/api/"
    readable = [
        c["id"] for c in session.get(base + "collections/", timeout=10).json()["collections"]
    ]
    served: set[tuple[str, str]] = set()
    for collection in readable:
        for text in _everything(session, base, collection):
            for stix_id in never:
                assert stix_id not in text, (user, collection, stix_id)
        objects = session.get(
            f"{base}collections/{collection}/objects/",
            params={"match[version]": "all"},
            timeout=10,
        ).json()
        served |= {(obj["id"], obj["modified"]) for obj in objects.get("objects", [])}
    assert not served & invisible_stamps
    # Nothing the reader may see is held back either: every collection
    # together gives exactly what the rule allows.
    assert served == expected
    # A report keeps its visible references only.
    if world.stix["secret"] in hidden_now and user not in (None, "outsider"):
        report = session.get(
            f"{base}collections/{COMMUNITY}/objects/{world.stix['report']}/", timeout=10
        ).json()["objects"][0]
        assert report["object_refs"] == [world.stix["shared"]]


# --- adding objects --------------------------------------------------------


def _stix_indicator(value: str, *, marking: str | None = None) -> dict[str, Any]:
    stamp = stix_time(dt.datetime.now(dt.UTC))
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": stamp,
        "modified": stamp,
        "name": value,
        "pattern": f"[ipv4-addr:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": stamp,
    }
    if marking:
        obj["object_marking_refs"] = [marking]
    return obj


def test_adding_objects_to_a_team_collection(live_server: Any, world: World) -> None:
    analyst = world.users["analyst_b"]
    api = _api(live_server, analyst)
    team_b = _collection(api, "team-cert-b")
    first, second = _stix_indicator("203.0.113.5"), _stix_indicator("203.0.113.6")
    status = team_b.add_objects({"objects": [first, second]})
    assert status.status == "complete"
    assert status.total_count == 2
    assert status.success_count == 2
    assert status.failure_count == 0
    assert {detail["id"] for detail in status.successes} == {first["id"], second["id"]}
    again = api.get_status(status.id)
    assert again.success_count == 2
    added = team_b.get_objects(id=[first["id"], second["id"]])
    assert set(_ids(added)) == {first["id"], second["id"]}
    # Shared with the team only: the community does not get them.
    community = _collection(_api(live_server, world.users["analyst_c"]), "community")
    assert community.get_objects(id=first["id"])["objects"] == []
    # Another user may not read the status.
    other = requests.get(
        f"{live_server.url}/taxii2/api/status/{status.id}/",
        headers=_headers(_token(world.users["analyst_c"])),
        timeout=10,
    )
    assert other.status_code == 404
    anonymous = requests.get(
        f"{live_server.url}/taxii2/api/status/{status.id}/", headers=_headers(), timeout=10
    )
    assert anonymous.status_code == 401


def test_a_refused_bundle_is_a_status_of_failures_and_writes_nothing(
    live_server: Any, world: World
) -> None:
    team_b = _collection(_api(live_server, world.users["analyst_b"]), "team-cert-b")
    broken, fine = _stix_indicator("203.0.113.7"), _stix_indicator("203.0.113.8")
    del broken["pattern"]
    before = ObjectVersion.objects.count()
    status = team_b.add_objects({"objects": [broken, fine]})
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (2, 0, 2)
    assert all("pattern" in detail["message"] for detail in status.failures)
    assert [detail["id"] for detail in status.failures] == [broken["id"], fine["id"]]
    assert status.failures[0]["version"] == broken["modified"]
    assert ObjectVersion.objects.count() == before
    empty = team_b.add_objects({"objects": []})
    assert (empty.total_count, empty.success_count, empty.failure_count) == (0, 0, 0)


def test_added_objects_keep_their_own_marking(live_server: Any, world: World) -> None:
    red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"  # TLP 1.0 RED
    secret, plain = _stix_indicator("203.0.113.10", marking=red), _stix_indicator("203.0.113.11")
    community = _collection(_api(live_server, world.users["analyst_b"]), "community")
    assert community.add_objects({"objects": [secret, plain]}).success_count == 2
    # Its author's team gets both; another team only what is not TLP:RED.
    assert set(_ids(community.get_objects(id=[secret["id"], plain["id"]]))) == {
        secret["id"],
        plain["id"],
    }
    other = _collection(_api(live_server, world.users["analyst_c"]), "community")
    seen = other.get_objects(id=[secret["id"], plain["id"]])["objects"]
    assert [obj["id"] for obj in seen] == [plain["id"]]
    assert seen[0]["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"  # TLP:GREEN by default
    ]
    # The public collection: TLP:CLEAR unless marked otherwise, for anybody.
    public = _collection(_api(live_server, world.users["analyst_b"]), "public")
    shared = _stix_indicator("203.0.113.12")
    assert public.add_objects({"objects": [shared]}).success_count == 1
    anonymous = _collection(_api(live_server), "public")
    assert _ids(anonymous.get_objects(id=shared["id"])) == [shared["id"]]


def test_who_may_add_objects_where(live_server: Any, world: World) -> None:
    envelope = {"objects": [_stix_indicator("203.0.113.9")]}
    base = f"{live_server.url}/taxii2/api/collections/"
    team_a = collection_id(Scope.TEAM, world.a.pk)

    def post(user: str | None, collection: str, query: str = "") -> requests.Response:
        key = _token(world.users[user]) if user else None
        return requests.post(
            f"{base}{collection}/objects/{query}",
            json=envelope,
            headers=_headers(key, **{"Content-Type": TAXII}),
            timeout=30,
        )

    assert post(None, PUBLIC).status_code == 401
    assert post("viewer_a", team_a).status_code == 403
    assert post("viewer_a", COMMUNITY).status_code == 403
    assert post("analyst_b", team_a).status_code == 404
    ambiguous = post("multi", COMMUNITY)
    assert ambiguous.status_code == 400
    assert "team=" in ambiguous.json()["description"]
    assert post("multi", COMMUNITY, "?team=cert-b").status_code == 400
    chosen = post("multi", COMMUNITY, "?team=cert-c")
    assert chosen.status_code == 202
    assert chosen.headers["Content-Type"] == TAXII
    assert chosen.json()["success_count"] == 1
    version = ObjectVersion.objects.get(stix_id=envelope["objects"][0]["id"])
    assert version.owner_team_id == world.c.pk
    assert version.distribution == Distribution.COMMUNITY
    group = collection_id(Scope.GROUP, world.west.pk)
    grouped = post("analyst_a", group)
    assert grouped.status_code == 202
    in_group = ObjectVersion.objects.filter(owner_team=world.a, sharing_group=world.west)
    assert in_group.filter(stix_id=envelope["objects"][0]["id"]).exists()
