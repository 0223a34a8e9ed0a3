"""The MISP feed collector: a feed Baobab published, read from a folder and
from a loopback HTTP server into another team; each event once, changed
events again, a bad event recorded with its reason while the others go on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import Team, User
from baobab.pipeline import services as pipeline_services
from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import collect, due_feeds, validate_options
from baobab.pipeline.models import Feed, FeedRun
from baobab.pipeline.tests.collectors.httpserver import FeedServer, Resource
from baobab.sharing import services
from baobab.sharing.misp.export import team_event_uuid
from baobab.sharing.misp.feed_publish import publish
from baobab.sharing.misp.importing import import_misp
from baobab.sharing.models import Indicator, ObjectVersion, Report

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parents[2] / "sharing" / "tests" / "samples" / "misp"
PHISHING = "5f2b7c1e-3d4a-4b8e-9c61-0a7e2d9f4b11"
ADVISORY = "0c4e8a2f-6b1d-4f9a-8e3c-5d7b9a1c3e55"
BAD = "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data and inbox folders of the test's own; no proxy; quick passwords."""
    settings.DATA_DIR = tmp_path / "data"
    settings.COLLECTOR_FILE_ROOTS = [str(tmp_path / "inbox")]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    (tmp_path / "inbox").mkdir()
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    """Team A shares two events and loose indicators; the feed is what team
    B may see; team C reads it."""
    cert_a, cert_b, cert_c = make_team("cert-a"), make_team("cert-b"), make_team("cert-c")
    analyst_a = make_user("analyst-a", team=cert_a, role=Role.ANALYST)
    for name in ("phishing_campaign.json", "public_advisory.json"):
        import_misp((SAMPLES / name).read_bytes(), team=cert_a, acting_user=analyst_a)
    services.create_indicator(
        cert_a, acting_user=analyst_a, kind="domain", value="loose.example", tlp=TLP.GREEN
    )
    return {"a": cert_a, "b": cert_b, "c": cert_c}


@pytest.fixture
def feed_folder(world: dict[str, Any], tmp_path: Path) -> Path:
    folder = tmp_path / "inbox" / "misp-feed"
    publish(folder, world["b"])
    return folder


def _feed(world: dict[str, Any], options: dict[str, Any], **fields: Any) -> Feed:
    fields.setdefault("owner_team", world["c"])
    return Feed.objects.create(
        name=f"misp-{len(options)}-{Feed.objects.count()}",
        collector=Collector.MISP,
        collector_options=options,
        tlp=TLP.AMBER,
        **fields,
    )


def _c_values(world: dict[str, Any]) -> set[str]:
    return set(Indicator.objects.filter(owner_team=world["c"]).values_list("value", flat=True))


def test_a_feed_folder_is_imported_once_into_the_feeds_team(
    world: dict[str, Any], feed_folder: Path
) -> None:
    feed = _feed(world, {"path": "misp-feed", "distribution": "community"})
    [run] = collect(feed)
    assert run.status == RunStatus.DONE
    assert (run.parsed, run.stored, run.quarantined) == (3, 3, 0)
    assert run.per_team == {"cert-c": 3}
    reports = Report.objects.filter(owner_team=world["c"])
    assert set(reports.values_list("stix_id", flat=True)) == {
        f"report--{PHISHING}",
        f"report--{ADVISORY}",
        f"report--{team_event_uuid(world['a'])}",
    }
    values = _c_values(world)
    assert {"198.51.100.23", "192.0.2.66", "loose.example"} <= values
    assert "203.0.113.77" not in values  # RED at the source: never in B's feed
    phishing = reports.get(stix_id=f"report--{PHISHING}")
    # TLP from the events' tags; distribution (not in a feed) from the option.
    assert (phishing.tlp, phishing.distribution) == (TLP.AMBER, Distribution.COMMUNITY)
    clear = Indicator.objects.get(owner_team=world["c"], value="9e107d9d372bb6826bd81d3542a419d6")
    assert clear.tlp == TLP.CLEAR
    assert Indicator.objects.get(owner_team=world["c"], value="loose.example").tlp == TLP.GREEN
    state = Feed.objects.get(pk=feed.pk).collector_state["misp"]
    assert set(state["events"]) == {PHISHING, ADVISORY, team_event_uuid(world["a"])}

    # Nothing new: nothing fetched, nothing written, no run.
    versions = ObjectVersion.objects.count()
    assert collect(feed) == []
    assert ObjectVersion.objects.count() == versions


def _change_advisory(folder: Path) -> None:
    path = folder / f"{ADVISORY}.json"
    event = json.loads(path.read_text())
    event["Event"]["timestamp"] = "1709000000"
    attribute = event["Event"]["Attribute"][0]
    attribute.update({"value": "192.0.2.67", "timestamp": "1709000000"})
    path.write_text(json.dumps(event))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[ADVISORY]["timestamp"] = 1709000000
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _add_bad_event(folder: Path) -> None:
    event = json.loads((folder / f"{ADVISORY}.json").read_text())
    event["Event"]["uuid"] = BAD
    event["Event"]["Attribute"][0]["value"] = "999.0.2.1"
    for number, attribute in enumerate(event["Event"]["Attribute"]):
        attribute["uuid"] = f"2e3d4c5b-6a79-4888-9a0b-{number:012d}"
    (folder / f"{BAD}.json").write_text(json.dumps(event))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[BAD] = {**manifest[ADVISORY], "timestamp": 1709100000}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_changed_event_is_read_again_and_a_bad_one_is_recorded(
    world: dict[str, Any], feed_folder: Path
) -> None:
    feed = _feed(world, {"path": str(feed_folder)})
    collect(feed)
    _change_advisory(feed_folder)
    _add_bad_event(feed_folder)

    runs = collect(feed)
    failed = [run for run in runs if run.status == RunStatus.FAILED]
    [summary] = [run for run in runs if run.status == RunStatus.DONE]
    assert (summary.parsed, summary.stored, summary.quarantined) == (2, 1, 1)
    [bad] = failed
    assert bad.source.endswith(f"{BAD}.json")
    assert bad.errors == [
        f"Event {BAD} was refused: Attribute 2e3d4c5b-6a79-4888-9a0b-000000000000 (ip-src): "
        "'999.0.2.1' is not an IP address."
    ]
    assert not Report.objects.filter(stix_id=f"report--{BAD}").exists()
    changed = Indicator.objects.get(
        owner_team=world["c"], stix_id="indicator--6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d01"
    )
    assert changed.value == "192.0.2.67"
    assert ObjectVersion.objects.filter(owner_team=world["c"], stix_id=changed.stix_id).count() == 2
    # The bad event is not fetched again until it changes.
    assert collect(feed) == []


def test_an_event_that_cannot_be_read_is_tried_again(
    world: dict[str, Any], feed_folder: Path
) -> None:
    feed = _feed(world, {"path": str(feed_folder)})
    (feed_folder / f"{ADVISORY}.json").rename(feed_folder / "held-back")
    runs = collect(feed)
    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.DONE]
    assert "does not exist" in runs[0].errors[0]
    (feed_folder / "held-back").rename(feed_folder / f"{ADVISORY}.json")
    [again] = collect(feed)
    assert (again.parsed, again.stored) == (1, 1)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def _serve(server: FeedServer, folder: Path, **resource: Any) -> None:
    for path in folder.iterdir():
        server.resources[f"/feed/{path.name}"] = Resource(
            body=path.read_bytes(), etag=f'"{path.stat().st_mtime_ns}"', **resource
        )


def test_a_feed_over_http_with_a_key(
    world: dict[str, Any],
    feed_folder: Path,
    server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_MISP_KEY", "s3cret-key")
    _serve(server, feed_folder, require={"Authorization": "s3cret-key"})
    feed = _feed(
        world,
        {
            "url": server.url("/feed/manifest.json"),
            "header_env": {"Authorization": "BAOBAB_FEED_MISP_KEY"},
        },
    )
    [run] = collect(feed)
    assert (run.status, run.parsed, run.stored) == (RunStatus.DONE, 3, 3)
    assert {"198.51.100.23", "loose.example"} <= _c_values(world)
    fetched = [seen.path for seen in server.requests]
    assert fetched[0] == "/feed/manifest.json"
    assert sorted(fetched[1:]) == sorted(
        f"/feed/{name}.json" for name in (PHISHING, ADVISORY, team_event_uuid(world["a"]))
    )
    # Again: the manifest has not changed (304), nothing else is asked for.
    server.requests.clear()
    assert collect(feed) == []
    assert [seen.path for seen in server.requests] == ["/feed/manifest.json"]
    assert server.requests[0].headers.get("If-None-Match")
    # A changed event: the new manifest, then that event only.
    _change_advisory(feed_folder)
    _serve(server, feed_folder, require={"Authorization": "s3cret-key"})
    server.requests.clear()
    [run] = collect(feed)
    assert (run.parsed, run.stored) == (1, 1)
    assert [seen.path for seen in server.requests] == [
        "/feed/manifest.json",
        f"/feed/{ADVISORY}.json",
    ]


def test_an_event_the_server_did_not_give_is_fetched_next_time(
    world: dict[str, Any], feed_folder: Path, server: FeedServer
) -> None:
    _serve(server, feed_folder)
    held_back = server.resources.pop(f"/feed/{ADVISORY}.json")
    feed = _feed(world, {"url": server.url("/feed/")})
    runs = collect(feed)
    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.DONE]
    assert "404" in runs[0].errors[0]
    server.resources[f"/feed/{ADVISORY}.json"] = held_back
    server.requests.clear()
    # The manifest is the same, but it is read again (no If-None-Match) for what is missing.
    [run] = collect(feed)
    assert (run.parsed, run.stored) == (1, 1)
    assert [seen.path for seen in server.requests] == [
        "/feed/manifest.json",
        f"/feed/{ADVISORY}.json",
    ]
    assert "If-None-Match" not in server.requests[0].headers


def test_a_server_that_refuses_is_a_failed_run(
    world: dict[str, Any], feed_folder: Path, server: FeedServer
) -> None:
    _serve(server, feed_folder, require={"Authorization": "key"})
    feed = _feed(world, {"url": server.url("/feed/")})
    [run] = collect(feed)
    assert run.status == RunStatus.FAILED
    assert "401" in run.errors[0]
    assert not Report.objects.filter(owner_team=world["c"]).exists()


def test_a_feed_without_a_team_fails_with_a_reason(
    world: dict[str, Any], feed_folder: Path
) -> None:
    feed = _feed(world, {"path": str(feed_folder)}, owner_team=None)
    [run] = collect(feed)
    assert run.status == RunStatus.FAILED
    assert "has no team" in run.errors[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "Give either url"),
        ({"url": "http://x.example/feed/", "path": "feed"}, "Give either url"),
        ({"path": "/etc"}, "outside the folders"),
        ({"path": "feed", "headers": {"A": "b"}}, "for a url only: headers"),
        ({"url": "ftp://x.example/feed/"}, "http:// or https://"),
        ({"url": "https://x.example/", "distribution": "group"}, "distribution must be one of"),
        ({"url": "https://x.example/", "pattern": "*"}, "Unknown collector option"),
    ],
)
def test_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_options(Collector.MISP, options)
    assert message in " ".join(refused.value.messages)


def test_a_scheduled_misp_feed_is_due(world: dict[str, Any], feed_folder: Path) -> None:
    feed = _feed(world, {"path": str(feed_folder)}, schedule_minutes=60)
    assert feed in due_feeds(timezone.now())
    collect(feed)
    assert feed not in due_feeds(timezone.now())
    assert FeedRun.objects.filter(feed=feed).count() == 1


def test_a_misp_feed_is_registered_without_a_parser(world: dict[str, Any]) -> None:
    fields = {
        "name": "misp-registered",
        "owner_team": world["c"],
        "collector": Collector.MISP,
        "collector_options": {"url": "https://feed.example/misp/"},
        "tlp": TLP.AMBER,
    }
    with pytest.raises(ValidationError) as refused:
        pipeline_services.create_feed(acting_user=None, parser="feodotracker", **fields)
    assert "parser" in refused.value.message_dict
    feed = pipeline_services.create_feed(acting_user=None, **fields)
    assert feed.parser == ""
    with pytest.raises(ValidationError) as missing:
        pipeline_services.create_feed(
            acting_user=None, **{**fields, "name": "csv-feed", "collector": Collector.UPLOAD}
        )
    assert "parser" in missing.value.message_dict
