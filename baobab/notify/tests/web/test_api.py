"""The notifications' REST API: policies (generated CRUD, permission and audit
tests; scoped to the caller's teams; the webhook secret written, never read)
and the outbox (filters, scoping, resend, release and discard)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from baobab.core.choices import Distribution
from baobab.core.models import User
from baobab.directory.models import Contact
from baobab.notify import services
from baobab.notify.choices import MessageStatus
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.notify.tests.web.conftest import Notified, add_message
from baobab.utils.testing import APICrudTests, CrudCase

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], APIClient]
POLICIES = "/api/v1/notification-policies/"
OUTBOX = "/api/v1/outbox/"


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


# --- policies: the generated tests ---------------------------------------------------


class TestNotificationPolicyAPI(APICrudTests):
    model = NotificationPolicy
    basename = "notification-policy"

    @pytest.fixture
    def case(self, notified: Notified) -> CrudCase:
        users = notified.users
        return CrudCase(
            obj=notified.policy,
            reader=users["ke-viewer"],
            creator=users["ke-admin"],
            create_data={
                "team": notified.ke.pk,
                "name": "Scanners, hourly",
                "types": ["scanner"],
                "feeds": ["ke-telnet"],
                "interval": "hourly",
                "format": "json",
                "tlp_ceiling": "green",
            },
            expected_after_create={"team_short_name": "KE-CIRT", "has_webhook_secret": False},
            editor=users["ke-admin"],
            update_data={"name": "KE weekly", "interval": "weekly", "weekday": 4},
            deleter=users["ke-admin"],
            denied={
                "create": users["ke-analyst"],
                "update": users["ke-analyst"],
                "delete": users["ke-viewer"],
            },
            make_another=lambda i: services.create_policy(
                notified.ke, {"name": f"another {i}"}, acting_user=None
            ),
            invalid_create_data={"team": notified.ke.pk, "name": "x", "types": ["phishnig"]},
            invalid_message="Unknown classification types: phishnig.",
        )


def test_a_member_of_another_team_never_sees_a_teams_policies(notified: Notified, api: Api) -> None:
    client = api(notified.users["gh-admin"])
    assert results(client.get(POLICIES)) == []
    detail = f"{POLICIES}{notified.policy.pk}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"name": "taken"}, format="json").status_code == 404
    assert client.delete(detail).status_code == 404
    assert NotificationPolicy.objects.get(pk=notified.policy.pk).name == "KE daily"


def test_a_team_admin_cannot_create_a_policy_for_another_team(notified: Notified, api: Api) -> None:
    response = api(notified.users["gh-admin"]).post(
        POLICIES, {"team": notified.ke.pk, "name": "hijack"}, format="json"
    )
    assert response.status_code == 403
    assert not NotificationPolicy.objects.filter(name="hijack").exists()


def test_community_admins_get_no_more_than_other_members(notified: Notified, api: Api) -> None:
    # Messages carry the team's events: the visibility rule gives admins no more.
    client = api(notified.users["community-admin"])
    assert notified.policy.pk not in [row["id"] for row in results(client.get(POLICIES))]
    assert results(client.get(OUTBOX)) == []
    detail = f"{POLICIES}{notified.policy.pk}/"
    assert client.get(detail).status_code == 404
    assert client.patch(detail, {"name": "x"}, format="json").status_code == 404
    assert client.get(f"{OUTBOX}{notified.sent.pk}/").status_code == 404


def test_the_webhook_secret_is_written_never_read(notified: Notified, api: Api) -> None:
    client = api(notified.users["ke-admin"])
    response = client.post(
        POLICIES,
        {
            "team": notified.ke.pk,
            "name": "Hook",
            "recipient_kind": "webhook",
            "webhook_url": "https://hooks.ke.example/baobab",
            "webhook_secret": "s3cret-value",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "webhook_secret" not in response.json()
    assert response.json()["has_webhook_secret"] is True
    policy = NotificationPolicy.objects.get(pk=response.json()["id"])
    assert policy.webhook_secret == "s3cret-value"
    listed = client.get(POLICIES).content.decode()
    assert "s3cret-value" not in listed


def test_a_policy_stays_with_its_team(notified: Notified, api: Api) -> None:
    response = api(notified.users["ke-admin"]).patch(
        f"{POLICIES}{notified.policy.pk}/", {"team": notified.gh.pk}, format="json"
    )
    assert response.status_code == 400
    assert NotificationPolicy.objects.get(pk=notified.policy.pk).team == notified.ke


def test_policies_filter_by_team(notified: Notified, api: Api) -> None:
    client = api(notified.users["gh-admin"])
    services.create_policy(notified.gh, {"name": "GH daily"}, acting_user=None)
    rows = results(client.get(POLICIES, {"team": "GH-CERT"}))
    assert [row["name"] for row in rows] == ["GH daily"]


# --- the outbox -----------------------------------------------------------------------


def test_the_outbox_lists_the_callers_teams_messages_newest_first(
    notified: Notified, api: Api
) -> None:
    add_message(notified.gh, MessageStatus.SENT)
    rows = results(api(notified.users["ke-viewer"]).get(OUTBOX))
    assert [row["id"] for row in rows] == [notified.held.pk, notified.failed.pk, notified.sent.pk]
    assert "body" not in rows[0]
    assert {row["team_short_name"] for row in rows} == {"KE-CIRT"}


def test_the_outbox_filters_by_team_and_status(notified: Notified, api: Api) -> None:
    add_message(notified.gh, MessageStatus.HELD)
    client = api(notified.users["ke-viewer"])
    rows = results(client.get(OUTBOX, {"team": "KE-CIRT", "status": "held"}))
    assert [row["id"] for row in rows] == [notified.held.pk]
    assert client.get(OUTBOX, {"status": "nope"}).status_code == 400


def test_a_member_of_another_team_never_sees_a_teams_outbox(notified: Notified, api: Api) -> None:
    client = api(notified.users["gh-admin"])
    assert results(client.get(OUTBOX)) == []
    assert results(client.get(OUTBOX, {"team": "KE-CIRT"})) == []
    assert client.get(f"{OUTBOX}{notified.sent.pk}/").status_code == 404
    for action in ("resend", "release", "discard"):
        response = client.post(f"{OUTBOX}{notified.held.pk}/{action}/")
        assert response.status_code == 404
    assert OutboxMessage.objects.get(pk=notified.held.pk).status == MessageStatus.HELD


def test_a_message_shows_its_text(notified: Notified, api: Api) -> None:
    data = api(notified.users["ke-viewer"]).get(f"{OUTBOX}{notified.failed.pk}/").json()
    assert data["body"].startswith("Dear team")
    assert data["last_error"] == "550 mailbox unknown"
    assert data["attachment_name"].endswith(".csv")
    assert data["attachment_size"] == len(b"source.ip\n192.0.2.1\n")


def test_resend_of_a_failed_message_requeues_it(notified: Notified, api: Api) -> None:
    response = api(notified.users["ke-analyst"]).post(f"{OUTBOX}{notified.failed.pk}/resend/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == MessageStatus.QUEUED
    assert response.json()["attempts"] == 0
    notified.failed.refresh_from_db()
    assert notified.failed.status == MessageStatus.QUEUED


def test_release_and_discard_of_held_messages(notified: Notified, api: Api) -> None:
    client = api(notified.users["ke-admin"])
    response = client.post(f"{OUTBOX}{notified.held.pk}/release/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == MessageStatus.QUEUED
    another = add_message(notified.ke, MessageStatus.HELD)
    response = client.post(f"{OUTBOX}{another.pk}/discard/")
    assert response.json()["status"] == MessageStatus.FAILED
    response = client.post(f"{OUTBOX}{notified.sent.pk}/release/")
    assert response.status_code == 400
    assert "Only a held message can be released." in response.content.decode()


@pytest.mark.parametrize(("who", "refused"), [("ke-viewer", 403), ("community-admin", 404)])
def test_viewers_and_community_admins_cannot_act_on_the_outbox(
    notified: Notified, api: Api, who: str, refused: int
) -> None:
    client = api(notified.users[who])
    assert client.post(f"{OUTBOX}{notified.failed.pk}/resend/").status_code == refused
    assert client.post(f"{OUTBOX}{notified.held.pk}/release/").status_code == refused
    assert OutboxMessage.objects.get(pk=notified.held.pk).status == MessageStatus.HELD


def test_the_outbox_list_query_count_is_constant(notified: Notified, api: Api) -> None:
    client = api(notified.users["ke-viewer"])
    client.get(OUTBOX)
    with CaptureQueriesContext(connection) as few:
        assert client.get(OUTBOX).status_code == 200
    for _ in range(10):
        add_message(notified.ke, MessageStatus.SENT)
    with CaptureQueriesContext(connection) as many:
        assert len(results(client.get(OUTBOX))) == 13
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_anonymous_and_accounts_outside_the_community(notified: Notified, api: Api) -> None:
    assert api(None).get(OUTBOX).status_code == 401
    assert api(notified.users["loner"]).get(OUTBOX).status_code == 403


def test_a_policy_writes_only_to_contacts_its_team_may_see(notified: Notified, api: Api) -> None:
    hidden = Contact.objects.create(
        team=notified.gh,
        owner_team=notified.gh,
        name="GH secret desk",
        emails=["x@gh.example"],
        distribution=Distribution.TEAM,
    )
    response = api(notified.users["ke-admin"]).post(
        POLICIES,
        {"team": notified.ke.pk, "name": "x", "recipient_kind": "contact", "contact": hidden.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "The team may not see this contact." in response.content.decode()
    assert not NotificationPolicy.objects.filter(contact=hidden).exists()
