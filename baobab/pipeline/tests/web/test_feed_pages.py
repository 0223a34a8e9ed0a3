"""Feed pages: the list with last runs and errors, a feed with its runs, an
upload that runs a report end to end, a run's page, and creating, changing
and deleting feeds through the services (permissions and audit log)."""

from __future__ import annotations

import gzip
from html import escape
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from baobab.core.choices import AuditChannel
from baobab.core.models import AuditEntry
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Event, Feed, FeedRun
from baobab.pipeline.tests.web.conftest import HEADER, World, web

pytestmark = pytest.mark.django_db

FEEDS_URL = "/pipeline/feeds/"


def feed_url(name: str, action: str = "") -> str:
    return f"{FEEDS_URL}{name}/{action + '/' if action else ''}"


def report(rows: list[str], name: str = "2024-05-09-scan.csv") -> SimpleUploadedFile:
    body = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    return SimpleUploadedFile(name, body, content_type="text/csv")


def feed_form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "ke-telnet",
        "provider": "Scanner Watch",
        "description": "Open telnet services.",
        "parser": "generic-csv",
        "report": "",
        "parser_options": '{"columns": {"ip": "source.ip"}}',
        "collector": "upload",
        "collector_options": "{}",
        "schedule_minutes": "",
        "enabled": "on",
        "tlp": "amber",
        "classification_taxonomy": "",
        "classification_type": "vulnerable-system",
        "classification_identifier": "telnet",
        "dedup_fields": "",
        "dedup_window_hours": "24",
        "retention_days": "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- reading --------------------------------------------------------------------


def test_the_feed_list_shows_last_runs_and_their_errors(world: World) -> None:
    FeedRun.objects.create(
        feed=world.gh_feed, status=RunStatus.FAILED, errors=["the report has no header line"]
    )
    response = web(world.users["ng-viewer"]).get(FEEDS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    rows = {
        name: html.split(f">{name}</a>", 1)[1].split("</tr>", 1)[0]
        for name in ("ke-scans", "gh-honeypot")
    }
    assert "Done" in rows["ke-scans"]
    assert ">7<" in rows["ke-scans"]  # stored
    assert "Failed" in rows["gh-honeypot"]
    assert "the report has no header line" in rows["gh-honeypot"]
    assert "New feed" not in html  # a viewer administers no team


def test_the_feed_list_needs_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        feed = Feed.objects.create(name=f"extra-{n}", parser="generic-csv", owner_team=world.gh)
        FeedRun.objects.create(feed=feed, status=RunStatus.DONE, stored=n)
    client = web(world.users["ke-admin"])
    client.get(FEEDS_URL)
    with django_assert_max_num_queries(10):
        assert client.get(FEEDS_URL).status_code == 200


def test_a_feed_page_shows_its_runs_with_counts_teams_errors_and_duration(world: World) -> None:
    html = web(world.users["ng-viewer"]).get(feed_url("ke-scans")).content.decode()
    runs = html.split('<table class="runs">', 1)[1]
    assert f"#{world.ke_run.pk}" in runs
    assert "KE-CIRT" in runs
    assert "GH-CERT" in runs
    assert " s<" in runs  # duration in seconds
    assert 'id="upload-form"' not in html  # viewers of another team cannot submit
    assert "Edit feed" not in html


def test_the_upload_form_is_for_the_feeds_analysts(world: World) -> None:
    for who, shown in [("ke-analyst", True), ("ke-viewer", False), ("gh-analyst", False)]:
        html = web(world.users[who]).get(feed_url("ke-scans")).content.decode()
        assert ('id="upload-form"' in html) is shown, who
        assert 'enctype="multipart/form-data"' in html or not shown


def test_a_run_page_shows_counts_routing_and_errors(world: World) -> None:
    run = world.ke_run
    html = web(world.users["gh-analyst"]).get(reverse("pipeline:run", args=[run.pk])).content
    text = html.decode()
    counts = text.split('id="run-counts"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>8</dd>" in counts  # parsed
    assert "<dd>7</dd>" in counts  # stored
    assert "<dd>1</dd>" in counts  # quarantined, unrouted
    teams = text.split('id="run-teams"', 1)[1].split("</table>", 1)[0]
    assert "KE-CIRT" in teams
    assert "NG-CERT" in teams
    assert f"?run={run.pk}&amp;team=GH-CERT" in teams
    assert "1 of 1 done" in text


def test_unknown_feeds_and_runs_answer_404(world: World) -> None:
    client = web(world.users["ke-admin"])
    assert client.get(feed_url("nope")).status_code == 404
    assert client.get("/pipeline/runs/999999/").status_code == 404


# --- uploads --------------------------------------------------------------------


def test_an_analyst_uploads_a_report_that_is_run_routed_and_stored(world: World) -> None:
    client = web(world.users["ke-analyst"])
    rows = ["192.0.2.99,64500,scanner,,2024-05-09 10:00:00", "198.51.100.99,64501,scanner,,"]
    response = client.post(feed_url("ke-scans", "upload"), {"file": report(rows)}, follow=True)
    assert response.status_code == 200
    run = FeedRun.objects.filter(feed=world.ke_feed).first()
    assert run is not None
    assert run.pk != world.ke_run.pk
    assert response.redirect_chain[-1][0] == reverse("pipeline:run", args=[run.pk])
    assert f"The report was received (run {run.pk})." in response.content.decode()
    assert (run.status, run.stored, run.per_team) == (
        RunStatus.DONE,
        2,
        {"KE-CIRT": 1, "GH-CERT": 1},
    )
    assert run.source == "upload (ke-analyst)"
    assert Event.objects.get(source_ip="198.51.100.99").team == world.gh


def test_a_gzipped_upload_is_unpacked(world: World) -> None:
    body = gzip.compress((HEADER + "\n192.0.2.98,64500,scanner,,\n").encode())
    upload = SimpleUploadedFile("report.csv.gz", body, content_type="application/gzip")
    web(world.users["ke-analyst"]).post(feed_url("ke-scans", "upload"), {"file": upload})
    assert Event.objects.filter(source_ip="192.0.2.98").exists()


def test_uploading_the_same_report_again_stores_nothing_new(world: World) -> None:
    client = web(world.users["ke-analyst"])
    rows = ["192.0.2.99,64500,scanner,,2024-05-09 10:00:00"]
    client.post(feed_url("ke-scans", "upload"), {"file": report(rows)})
    client.post(feed_url("ke-scans", "upload"), {"file": report(rows)})
    newest = FeedRun.objects.filter(feed=world.ke_feed).first()
    assert newest is not None
    assert (newest.stored, newest.duplicates) == (0, 1)
    assert Event.objects.filter(source_ip="192.0.2.99").count() == 1


def test_a_report_the_parser_cannot_read_gives_a_failed_run_with_its_reason(
    world: World,
) -> None:
    Feed.objects.filter(pk=world.ke_feed.pk).update(parser_options={"columns": {"ip": "x.y"}})
    client = web(world.users["ke-analyst"])
    response = client.post(
        feed_url("ke-scans", "upload"), {"file": report(["192.0.2.1,1,scanner,,"])}, follow=True
    )
    run = FeedRun.objects.filter(feed=world.ke_feed).first()
    assert run is not None
    assert run.status == RunStatus.FAILED
    assert run.errors
    html = response.content.decode()
    assert "The report could not be read" in html
    assert escape(run.errors[0]) in html.split('id="run-errors"', 1)[1]


@pytest.mark.parametrize("who", ["ke-viewer", "gh-analyst", "ng-viewer"])
def test_only_the_feeds_analysts_may_upload(world: World, who: str) -> None:
    before = FeedRun.objects.count()
    response = web(world.users[who]).post(
        feed_url("ke-scans", "upload"), {"file": report(["192.0.2.99,64500,scanner,,"])}
    )
    assert response.status_code == 403
    assert FeedRun.objects.count() == before


def test_an_upload_without_a_file_says_so(world: World) -> None:
    response = web(world.users["ke-analyst"]).post(feed_url("ke-scans", "upload"), follow=True)
    assert "Choose the report to upload." in response.content.decode()
    assert FeedRun.objects.count() == 2


def test_an_upload_over_the_size_limit_is_refused(world: World, settings: Any) -> None:
    settings.COLLECTOR_MAX_BYTES = 10
    response = web(world.users["ke-analyst"]).post(
        feed_url("ke-scans", "upload"),
        {"file": report(["192.0.2.99,64500,scanner,,"])},
        follow=True,
    )
    assert "larger than the limit" in response.content.decode()
    assert FeedRun.objects.count() == 2


def test_uploads_need_the_csrf_token(world: World) -> None:
    from django.test import Client  # noqa: PLC0415

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["ke-analyst"])
    response = client.post(feed_url("ke-scans", "upload"), {"file": report([])})
    assert response.status_code == 403
    assert FeedRun.objects.count() == 2


# --- creating, changing, deleting ---------------------------------------------------


def audit(action: str, feed: Feed | int) -> AuditEntry:
    pk = feed if isinstance(feed, int) else feed.pk
    return AuditEntry.objects.get(action=action, object_type="pipeline.feed", object_id=str(pk))


def test_a_team_admin_creates_a_feed_for_their_team(world: World) -> None:
    client = web(world.users["ke-admin"])
    page = client.get(reverse("pipeline:feed-create")).content.decode()
    assert "GH-CERT" not in page.split('name="owner_team"', 1)[1].split("</select>", 1)[0]
    response = client.post(
        reverse("pipeline:feed-create"), feed_form(owner_team=world.ke.pk), follow=True
    )
    assert response.redirect_chain[-1][0] == feed_url("ke-telnet")
    feed = Feed.objects.get(name="ke-telnet")
    assert feed.owner_team == world.ke
    assert feed.classification_taxonomy == "vulnerable"  # from the type
    assert feed.parser_options == {"columns": {"ip": "source.ip"}}
    entry = audit("create", feed)
    assert entry.channel == AuditChannel.WEB
    assert entry.actor_id == world.users["ke-admin"].pk


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"parser": "nope"}, "parser", "Select a valid choice"),
        ({"name": "ke-scans"}, "name", "already taken"),
        ({"name": "bad name"}, "name", "Use letters, digits"),
        ({"name": "new"}, "name", "new is reserved"),
        ({"parser_options": "[1]"}, "parser_options", "Enter a JSON object"),
        ({"collector_options": '{"colour": "red"}'}, "collector_options", "Upload feeds take no"),
        ({"dedup_fields": "source.ip\nsource.colour"}, "dedup_fields", "source.colour"),
        (
            {"classification_taxonomy": "fraud"},
            "classification_taxonomy",
            "belongs to the taxonomy vulnerable",
        ),
    ],
)
def test_a_wrong_feed_is_refused_with_the_reason(
    world: World, changes: dict[str, str], field: str, message: str
) -> None:
    response = web(world.users["ke-admin"]).post(
        reverse("pipeline:feed-create"), feed_form(owner_team=world.ke.pk, **changes)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Feed.objects.filter(name="ke-telnet").exists()


def test_the_service_refuses_a_report_type_the_parser_does_not_know(world: World) -> None:
    response = web(world.users["ke-admin"]).post(
        reverse("pipeline:feed-create"),
        feed_form(owner_team=world.ke.pk, parser="shadowserver", report="scan_nothing"),
    )
    assert response.status_code == 400
    assert "Unknown report type scan_nothing" in response.content.decode()


def test_a_team_admin_cannot_create_a_feed_for_another_team(world: World) -> None:
    response = web(world.users["ke-admin"]).post(
        reverse("pipeline:feed-create"), feed_form(owner_team=world.gh.pk)
    )
    assert response.status_code == 400
    assert not Feed.objects.filter(name="ke-telnet").exists()


@pytest.mark.parametrize("who", ["ke-analyst", "ke-viewer"])
def test_analysts_and_viewers_cannot_create_feeds(world: World, who: str) -> None:
    client = web(world.users[who])
    assert client.get(reverse("pipeline:feed-create")).status_code == 403
    response = client.post(reverse("pipeline:feed-create"), feed_form(owner_team=world.ke.pk))
    assert response.status_code == 403
    assert not Feed.objects.filter(name="ke-telnet").exists()


def test_a_team_admin_edits_their_feed_and_the_change_is_audited(world: World) -> None:
    client = web(world.users["ke-admin"])
    page = client.get(feed_url("ke-scans", "edit")).content.decode()
    assert "Scanner Watch" in page
    response = client.post(
        feed_url("ke-scans", "edit"),
        feed_form(name="ke-scans", owner_team=world.ke.pk, tlp="green", parser_options="{}"),
    )
    assert response.status_code == 302
    feed = Feed.objects.get(pk=world.ke_feed.pk)
    assert feed.tlp == "green"
    entry = audit("update", feed)
    assert (entry.after or {}).get("tlp") == "green"
    assert entry.actor_id == world.users["ke-admin"].pk


@pytest.mark.parametrize("who", ["ke-analyst", "gh-analyst", "zz-admin"])
def test_others_cannot_edit_or_delete_a_feed(world: World, who: str) -> None:
    client = web(world.users[who])
    assert client.get(feed_url("ke-scans", "edit")).status_code == 403
    assert client.post(feed_url("ke-scans", "edit"), feed_form(name="x")).status_code == 403
    assert client.post(feed_url("ke-scans", "delete")).status_code == 403
    assert Feed.objects.get(pk=world.ke_feed.pk).name == "ke-scans"


def test_a_team_admin_deletes_their_feed_with_its_events(world: World) -> None:
    client = web(world.users["ke-admin"])
    assert (
        "Do you really want to delete ke-scans?"
        in client.get(feed_url("ke-scans", "delete")).content.decode()
    )
    response = client.post(feed_url("ke-scans", "delete"))
    assert response.status_code == 302
    assert not Feed.objects.filter(name="ke-scans").exists()
    assert not Event.objects.filter(feed_id=world.ke_feed.pk).exists()
    assert (audit("delete", world.ke_feed.pk).before or {}).get("name") == "ke-scans"


def test_a_community_admin_manages_any_feed(world: World) -> None:
    client = web(world.users["community-admin"])
    html = client.get(feed_url("gh-honeypot")).content.decode()
    assert "Edit feed" in html
    assert client.get(feed_url("gh-honeypot", "edit")).status_code == 200
