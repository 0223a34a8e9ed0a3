"""The pipeline's REST API over real HTTP requests: feeds (generated CRUD,
permission and audit tests), uploads, runs, events (filters, cursor pages,
the visibility rule, query counts) and the quarantine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from baobab.core.models import User
from baobab.pipeline.choices import QuarantineStatus, RunStatus
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord
from baobab.pipeline.tests.web.conftest import HEADER, SEEN_BY, World, ingest
from baobab.utils.testing import APICrudTests, CrudCase

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], APIClient]


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def addresses(response: Any) -> set[str]:
    return {row["source_ip"] for row in results(response)}


# --- feeds: the generated tests ---------------------------------------------------


class TestFeedAPI(APICrudTests):
    model = Feed
    basename = "feed"

    @pytest.fixture
    def case(self, world: World) -> CrudCase:
        users = world.users
        return CrudCase(
            obj=world.ke_feed,
            reader=users["ng-viewer"],
            creator=users["ke-admin"],
            create_data={
                "name": "ke-telnet",
                "parser": "generic-csv",
                "parser_options": {"columns": {"ip": "source.ip"}},
                "owner_team": world.ke.pk,
                "tlp": "green",
                "classification_type": "vulnerable-system",
            },
            expected_after_create={
                "owner_team_short_name": "KE-CIRT",
                "classification_taxonomy": "vulnerable",
            },
            editor=users["ke-admin"],
            update_data={"provider": "Scanner Watch 2", "tlp": "red"},
            deleter=users["ke-admin"],
            denied={
                "create": users["ke-analyst"],
                "update": users["gh-analyst"],
                "delete": users["ke-viewer"],
            },
            make_another=lambda i: Feed.objects.create(
                name=f"another-{i}", parser="generic-csv", owner_team=world.gh
            ),
            invalid_create_data={"name": "ke-telnet", "parser": "nope", "owner_team": world.ke.pk},
            invalid_message="Unknown parser nope",
        )


def test_a_feed_shows_its_last_run(world: World, api: Api) -> None:
    data = api(world.users["ng-viewer"]).get(f"/api/v1/feeds/{world.ke_feed.pk}/").json()
    assert data["last_run"] == world.ke_run.pk
    assert data["owner_team_short_name"] == "KE-CIRT"


def test_collector_options_are_shown_only_to_those_who_manage_the_feed(
    world: World, api: Api
) -> None:
    options = {"path": "/srv/reports/in", "pattern": "*.csv"}
    Feed.objects.filter(pk=world.ke_feed.pk).update(collector="file", collector_options=options)
    url = f"/api/v1/feeds/{world.ke_feed.pk}/"
    assert api(world.users["ke-admin"]).get(url).json()["collector_options"] == options
    assert api(world.users["ke-analyst"]).get(url).json()["collector_options"] is None
    listed = results(api(world.users["gh-analyst"]).get("/api/v1/feeds/"))
    assert all(row["collector_options"] is None for row in listed)


def test_wrong_collector_options_are_refused_with_the_reason(world: World, api: Api) -> None:
    response = api(world.users["ke-admin"]).patch(
        f"/api/v1/feeds/{world.ke_feed.pk}/",
        {"collector_options": {"colour": "red"}},
        format="json",
    )
    assert response.status_code == 400
    assert "Upload feeds take no collector options" in response.content.decode()


def test_a_team_admin_cannot_create_a_feed_for_another_team(world: World, api: Api) -> None:
    response = api(world.users["ke-admin"]).post(
        "/api/v1/feeds/",
        {"name": "x", "parser": "generic-csv", "owner_team": world.gh.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not Feed.objects.filter(name="x").exists()


# --- uploads ------------------------------------------------------------------------


def upload(rows: list[str], name: str = "report.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "\n" + "\n".join(rows) + "\n").encode())


def test_an_upload_answers_202_with_the_run_summary(world: World, api: Api) -> None:
    rows = [
        "192.0.2.99,64500,scanner,,2024-05-09 10:00:00",
        "2001:db8:200::99,64501,scanner,,2024-05-09 10:00:00",
        "100.64.9.9,64999,scanner,,2024-05-09 10:00:00",
        "bad,1,scanner,,",
    ]
    response = api(world.users["ke-analyst"]).post(
        f"/api/v1/feeds/{world.ke_feed.pk}/upload/", {"file": upload(rows)}, format="multipart"
    )
    assert response.status_code == 202, response.content
    summary = response.json()
    run = FeedRun.objects.get(pk=summary["run"])
    assert response["Location"] == f"/api/v1/runs/{run.pk}/"
    assert summary["status"] == RunStatus.DONE  # no workers: done already
    assert summary["feed"] == "ke-scans"
    assert (summary["parsed"], summary["stored"], summary["quarantined"]) == (4, 3, 1)
    assert summary["unrouted"] == 1
    assert summary["per_team"] == {"GH-CERT": 1, "KE-CIRT": 1}
    assert summary["errors"] == []
    assert Event.objects.get(source_ip="2001:db8:200::99").team == world.gh
    run_data = api(world.users["ng-viewer"]).get(f"/api/v1/runs/{run.pk}/").json()
    assert run_data["per_team"] == {"GH-CERT": 1, "KE-CIRT": 1}
    assert run_data["source"] == "upload (ke-analyst)"


@pytest.mark.parametrize(("who", "status"), [("ke-viewer", 403), ("gh-analyst", 403), (None, 401)])
def test_only_the_feeds_analysts_may_upload(
    world: World, api: Api, who: str | None, status: int
) -> None:
    client = api(world.users[who] if who else None)
    response = client.post(
        f"/api/v1/feeds/{world.ke_feed.pk}/upload/", {"file": upload([])}, format="multipart"
    )
    assert response.status_code == status
    assert FeedRun.objects.count() == 2


def test_an_upload_without_a_file_or_too_large_is_refused(
    world: World, api: Api, settings: Any
) -> None:
    client = api(world.users["ke-analyst"])
    url = f"/api/v1/feeds/{world.ke_feed.pk}/upload/"
    response = client.post(url, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    settings.COLLECTOR_MAX_BYTES = 10
    response = client.post(url, {"file": upload(["192.0.2.1,1,scanner,,"])}, format="multipart")
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]
    assert FeedRun.objects.count() == 2


def test_an_upload_to_a_disabled_feed_says_so(world: World, api: Api) -> None:
    Feed.objects.filter(pk=world.ke_feed.pk).update(enabled=False)
    response = api(world.users["ke-analyst"]).post(
        f"/api/v1/feeds/{world.ke_feed.pk}/upload/", {"file": upload([])}, format="multipart"
    )
    assert response.status_code == 400
    assert "disabled" in response.json()["file"][0]


# --- runs ---------------------------------------------------------------------------


def test_runs_are_listed_newest_first_and_filtered(world: World, api: Api) -> None:
    client = api(world.users["ng-viewer"])
    assert [row["id"] for row in results(client.get("/api/v1/runs/"))] == [
        world.gh_run.pk,
        world.ke_run.pk,
    ]
    rows = results(client.get("/api/v1/runs/", {"feed": "ke-scans", "status": "done"}))
    assert [row["id"] for row in rows] == [world.ke_run.pk]
    assert rows[0]["per_team"] == {"KE-CIRT": 3, "GH-CERT": 2, "NG-CERT": 1}
    assert (rows[0]["stored"], rows[0]["quarantined"], rows[0]["unrouted"]) == (7, 1, 1)
    assert client.get("/api/v1/runs/", {"status": "lost"}).status_code == 400
    assert api(world.users["loner"]).get("/api/v1/runs/").status_code == 403


# --- events -------------------------------------------------------------------------


@pytest.mark.parametrize("who", sorted(SEEN_BY))
def test_each_user_lists_exactly_the_events_the_rule_lets_them_see(
    world: World, api: Api, who: str
) -> None:
    assert addresses(api(world.users[who]).get("/api/v1/events/")) == SEEN_BY[who]


@pytest.mark.parametrize("who", sorted(SEEN_BY))
def test_hidden_events_answer_404(world: World, api: Api, who: str) -> None:
    client = api(world.users[who])
    for event in Event.objects.all():
        response = client.get(f"/api/v1/events/{event.pk}/")
        assert response.status_code == (200 if event.source_ip in SEEN_BY[who] else 404)


def test_outsiders_get_no_events(world: World, api: Api) -> None:
    assert api(None).get("/api/v1/events/").status_code == 401
    assert api(world.users["loner"]).get("/api/v1/events/").status_code == 403


def test_an_event_has_its_routing_and_every_field(world: World, api: Api) -> None:
    event = world.event("2001:db8:200::7")
    data = api(world.users["gh-analyst"]).get(f"/api/v1/events/{event.pk}/").json()
    assert data["team_short_name"] == "GH-CERT"
    assert data["route_step"] == "prefix"
    assert data["claim"] == event.claim_id
    assert data["feed_name"] == "ke-scans"
    assert data["classification_taxonomy"] == "vulnerable"
    assert data["data"]["source.ip"] == "2001:db8:200::7"
    assert data["data"]["raw"] == "2001:db8:200::7,64501,ddos-amplifier,,2024-05-04 10:00:00"
    assert data["tlp"] == "amber"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ip": "192.0.2.0/24"}, {"192.0.2.10", "192.0.2.11", "192.0.2.20"}),
        ({"ip": "192.0.2.20"}, {"192.0.2.20"}),
        ({"ip": "2001:db8::/32"}, {"2001:db8:100::5", "2001:db8:200::7"}),
        ({"ip": "2001:db8:100::/48"}, {"2001:db8:100::5"}),
        ({"asn": "AS64502"}, {"203.0.113.9"}),
        ({"team": "NG-CERT"}, {"203.0.113.9"}),
        ({"routed": "false"}, {"100.64.0.1"}),
        ({"classification": "ddos-amplifier"}, {"2001:db8:200::7"}),
        ({"classification": "fraud"}, {"203.0.113.9"}),
        ({"feed": "gh-honeypot"}, {"192.0.2.20"}),
        ({"since": "2024-05-06T00:00:00Z", "until": "2024-05-06"}, {"203.0.113.9"}),
        ({"q": "shop.example"}, {"198.51.100.7"}),
    ],
)
def test_event_filters(world: World, api: Api, params: dict[str, str], expected: set[str]) -> None:
    assert addresses(api(world.users["ke-viewer"]).get("/api/v1/events/", params)) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ip": "2001:db8::g/32"}, "is not an IP prefix"),
        ({"asn": "AS-1"}, "is not an AS number"),
        ({"classification": "nothing"}, "Select a valid choice"),
        ({"until": "soon"}, "Enter a valid date/time"),
    ],
)
def test_a_wrong_filter_is_a_400_saying_why(
    world: World, api: Api, params: dict[str, str], message: str
) -> None:
    response = api(world.users["ke-viewer"]).get("/api/v1/events/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_events_come_page_after_page_through_a_cursor(world: World, api: Api) -> None:
    client = api(world.users["ke-viewer"])
    seen: list[str] = []
    url: str | None = "/api/v1/events/?page_size=3"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen.extend(row["source_ip"] for row in page["results"])
        url = page["next"]
    assert len(seen) == len(set(seen)) == len(SEEN_BY["ke-viewer"])
    times = [world.event(address).time_observation for address in seen]
    assert times == sorted(times, reverse=True)


def test_the_event_list_needs_the_same_queries_however_many_events(world: World, api: Api) -> None:
    client = api(world.users["ke-viewer"])
    client.get("/api/v1/events/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/events/").status_code == 200
    rows = [f"192.0.2.{n},64500,scanner,,2024-06-01 10:{n:02d}:00" for n in range(30, 60)]
    ingest(world.ke_feed, world.folder, rows)
    with CaptureQueriesContext(connection) as many:
        assert len(results(client.get("/api/v1/events/"))) == 38
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


# --- quarantine ---------------------------------------------------------------------


def test_the_quarantine_is_for_those_who_submit_the_feeds_reports(world: World, api: Api) -> None:
    record = QuarantinedRecord.objects.get(feed=world.ke_feed)
    rows = results(api(world.users["ke-analyst"]).get("/api/v1/quarantine/"))
    assert [(row["id"], row["line"], row["field"]) for row in rows] == [(record.pk, 9, "source.ip")]
    assert rows[0]["raw"].startswith("not-an-address,")
    assert "is not an IP address" in rows[0]["reason"]
    for who in ("ke-viewer", "gh-analyst", "ng-viewer"):
        client = api(world.users[who])
        assert results(client.get("/api/v1/quarantine/")) == []
        assert client.get(f"/api/v1/quarantine/{record.pk}/").status_code == 404
        assert client.post(f"/api/v1/quarantine/{record.pk}/discard/").status_code == 404
    assert (
        results(api(world.users["ke-analyst"]).get("/api/v1/quarantine/", {"status": "discarded"}))
        == []
    )


def test_reprocess_and_discard(world: World, api: Api) -> None:
    client = api(world.users["ke-analyst"])
    record = QuarantinedRecord.objects.get(feed=world.ke_feed)
    response = client.post(f"/api/v1/quarantine/{record.pk}/reprocess/")
    assert response.status_code == 200
    assert response.json()["stored"] is False
    assert response.json()["record"]["status"] == QuarantineStatus.OPEN

    fixed = QuarantinedRecord.objects.create(
        feed=world.ke_feed,
        run=world.ke_run,
        chunk_index=0,
        line=10,
        raw="2001:db8:100::77,64500,scanner,,2024-05-08 11:00:00",
        reason="internal parser error",
    )
    response = client.post(f"/api/v1/quarantine/{fixed.pk}/reprocess/")
    assert response.json()["stored"] is True
    assert response.json()["record"]["status"] == QuarantineStatus.REPROCESSED
    assert Event.objects.get(source_ip="2001:db8:100::77").team == world.ke

    response = client.post(f"/api/v1/quarantine/{record.pk}/discard/")
    assert response.status_code == 200
    assert response.json()["status"] == QuarantineStatus.DISCARDED
    assert response.json()["resolved_at"]
