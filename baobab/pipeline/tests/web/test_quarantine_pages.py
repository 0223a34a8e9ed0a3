"""The quarantine page: records with their reason, raw text and line, for
whoever may submit the feed's reports; re-process and discard (POST, CSRF)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from baobab.core.models import AuditEntry
from baobab.pipeline.choices import QuarantineStatus
from baobab.pipeline.models import Event, QuarantinedRecord
from baobab.pipeline.tests.web.conftest import World, web

pytestmark = pytest.mark.django_db

QUARANTINE_URL = "/pipeline/quarantine/"


def bad_record(world: World) -> QuarantinedRecord:
    return QuarantinedRecord.objects.get(feed=world.ke_feed, line=9)


def fixed_record(world: World) -> QuarantinedRecord:
    """A record kept when the parser could not read it, readable now (after a fix)."""
    return QuarantinedRecord.objects.create(
        feed=world.ke_feed,
        run=world.ke_run,
        chunk_index=0,
        line=10,
        raw="192.0.2.77,64500,scanner,,2024-05-08 11:00:00",
        reason="internal parser error",
    )


def test_analysts_of_the_feeds_team_see_its_quarantine(world: World) -> None:
    response = web(world.users["ke-analyst"]).get(QUARANTINE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    record = bad_record(world)
    row = html.split(f'id="record-{record.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "not-an-address,64500,scanner,,2024-05-08 10:00:00" in row
    assert "is not an IP address" in row
    assert "<td>9</td>" in row  # the line
    assert "ke-scans" in row
    assert "Re-process" in row
    assert "Discard" in row


@pytest.mark.parametrize("who", ["ke-viewer", "gh-analyst", "ng-viewer", "zz-admin"])
def test_others_do_not_see_a_feeds_quarantine(world: World, who: str) -> None:
    response = web(world.users[who]).get(QUARANTINE_URL, {"status": ""})
    assert response.status_code == 200
    assert "not-an-address" not in response.content.decode()
    record = bad_record(world)
    client = web(world.users[who])
    assert client.post(reverse("pipeline:reprocess", args=[record.pk])).status_code == 404
    assert client.post(reverse("pipeline:discard", args=[record.pk])).status_code == 404
    assert QuarantinedRecord.objects.get(pk=record.pk).status == QuarantineStatus.OPEN


def test_open_records_are_shown_unless_another_status_is_asked_for(world: World) -> None:
    record = bad_record(world)
    QuarantinedRecord.objects.filter(pk=record.pk).update(status=QuarantineStatus.DISCARDED)
    client = web(world.users["ke-analyst"])
    assert "not-an-address" not in client.get(QUARANTINE_URL).content.decode()
    assert "not-an-address" in client.get(QUARANTINE_URL, {"status": ""}).content.decode()
    assert "not-an-address" in client.get(QUARANTINE_URL, {"status": "discarded"}).content.decode()


def test_community_admins_do_not_see_the_raw_data_of_a_team_s_feed(world: World) -> None:
    body = web(world.users["community-admin"]).get(QUARANTINE_URL).content.decode()
    assert "not-an-address" not in body


def test_filters_by_feed_and_run(world: World) -> None:
    client = web(world.users["ke-analyst"])
    assert "not-an-address" in client.get(QUARANTINE_URL, {"feed": "ke-scans"}).content.decode()
    assert (
        "not-an-address" not in client.get(QUARANTINE_URL, {"feed": "gh-honeypot"}).content.decode()
    )
    assert (
        "not-an-address"
        not in client.get(QUARANTINE_URL, {"run": world.gh_run.pk}).content.decode()
    )


def test_reprocessing_a_record_still_wrong_keeps_it_with_its_reason(world: World) -> None:
    record = bad_record(world)
    response = web(world.users["ke-analyst"]).post(
        reverse("pipeline:reprocess", args=[record.pk]), follow=True
    )
    assert response.status_code == 200
    assert "stays in quarantine" in response.content.decode()
    record.refresh_from_db()
    assert record.status == QuarantineStatus.OPEN
    assert "is not an IP address" in record.reason


def test_reprocessing_a_fixed_record_stores_and_routes_its_event(world: World) -> None:
    record = fixed_record(world)
    next_url = f"{QUARANTINE_URL}?feed=ke-scans"
    response = web(world.users["ke-analyst"]).post(
        reverse("pipeline:reprocess", args=[record.pk]), {"next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    record.refresh_from_db()
    assert record.status == QuarantineStatus.REPROCESSED
    assert record.resolved_at is not None
    event = Event.objects.get(source_ip="192.0.2.77")
    assert event.team == world.ke
    assert event.feed == world.ke_feed
    assert AuditEntry.objects.filter(
        object_type="pipeline.quarantinedrecord", object_id=str(record.pk), action="update"
    ).exists()


def test_discarding_a_record_keeps_it_listed_as_discarded(world: World) -> None:
    record = bad_record(world)
    client = web(world.users["ke-analyst"])
    response = client.post(
        reverse("pipeline:discard", args=[record.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == QUARANTINE_URL  # never sent off the site
    record.refresh_from_db()
    assert record.status == QuarantineStatus.DISCARDED
    html = client.get(QUARANTINE_URL, {"status": "discarded"}).content.decode()
    assert "not-an-address" in html


def test_actions_are_posts_with_the_csrf_token(world: World) -> None:
    record = bad_record(world)
    client = web(world.users["ke-analyst"])
    assert client.get(reverse("pipeline:discard", args=[record.pk])).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.users["ke-analyst"])
    assert strict.post(reverse("pipeline:discard", args=[record.pk])).status_code == 403
    assert QuarantinedRecord.objects.get(pk=record.pk).status == QuarantineStatus.OPEN
    assert 'name="csrfmiddlewaretoken"' in client.get(QUARANTINE_URL).content.decode()
