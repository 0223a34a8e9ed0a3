"""The notification pages: policies, templates, what would be sent and the
outbox of a team, for its members only (another team's member gets 404,
community administrators get no more than others); changes by the team's admins, outbox actions
by its analysts, through the services (audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from baobab.core.choices import Distribution
from baobab.core.models import AuditEntry
from baobab.directory.models import Contact
from baobab.notify.choices import MessageStatus, RecipientKind
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage
from baobab.notify.rendering import shipped_template
from baobab.notify.tests.web.conftest import Notified, add_event, add_message, web

pytestmark = pytest.mark.django_db


def url(name: str, notified: Notified, *args: Any) -> str:
    return reverse(f"notify:{name}", args=[notified.ke.short_name, *args])


def team_pages(notified: Notified) -> list[str]:
    return [
        url("policies", notified),
        url("templates", notified),
        url("dry-run", notified),
        url("outbox", notified),
        url("message", notified, notified.sent.pk),
        url("message-attachment", notified, notified.sent.pk),
    ]


def policy_form(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Phishing to the team",
        "enabled": "on",
        "recipient_kind": "team",
        "contact": "",
        "webhook_url": "",
        "webhook_secret": "",
        "scope": "team",
        "types": "phishing, scanner",
        "taxonomies": "",
        "feeds": "ke-telnet",
        "min_severity": "",
        "tlp_ceiling": "amber",
        "interval": "hourly",
        "at_hour": "6",
        "weekday": "0",
        "timezone": "Africa/Nairobi",
        "format": "csv",
        "language": "fr",
        "template": "",
        "group_by": "",
        "max_inline": "50",
        "delegation": "send",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- who sees what ---------------------------------------------------------------


def test_a_community_admin_reads_no_teams_notifications(notified: Notified) -> None:
    # Messages carry the team's events: the visibility rule gives admins no more.
    client = web(notified.users["community-admin"])
    for page in team_pages(notified):
        assert client.get(page).status_code == 404, page


@pytest.mark.parametrize("who", ["ke-admin", "ke-analyst", "ke-viewer"])
def test_the_team_pages_render_for_its_members(notified: Notified, who: str) -> None:
    client = web(notified.users[who])
    for page in team_pages(notified):
        response = client.get(page)
        assert response.status_code == 200, (who, page)
        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert "<script" not in html
            assert "style=" not in html


def test_the_admin_pages_carry_no_inline_script_or_style(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    for page in (
        reverse("notify:teams"),
        url("policy-create", notified),
        url("policy-edit", notified, notified.policy.pk),
        url("policy-delete", notified, notified.policy.pk),
        url("template-create", notified),
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<script" not in html, page
        assert "style=" not in html, page


def test_the_index_counts_policies_held_and_failed_messages(notified: Notified) -> None:
    add_message(notified.ke, MessageStatus.HELD)
    html = web(notified.users["ke-viewer"]).get(reverse("notify:teams")).content.decode()
    row = html.split("KE-CIRT</a>", 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in row  # one policy
    assert '?status=held">2</a>' in row
    assert '?status=failed" class="danger-text">1</a>' in row


@pytest.mark.parametrize("who", ["gh-admin", "gh-analyst"])
def test_a_member_of_another_team_gets_404_everywhere(notified: Notified, who: str) -> None:
    client = web(notified.users[who])
    for page in [
        *team_pages(notified),
        url("policy-create", notified),
        url("policy-edit", notified, notified.policy.pk),
        url("template-create", notified),
    ]:
        assert client.get(page).status_code == 404, page
    for action in ("message-resend", "message-release", "message-discard"):
        assert client.post(url(action, notified, notified.held.pk)).status_code == 404
    assert OutboxMessage.objects.get(pk=notified.held.pk).status == MessageStatus.HELD
    index = client.get(reverse("notify:teams")).content.decode()
    assert "GH-CERT" in index
    assert "KE-CIRT" not in index


def test_a_team_cannot_reach_another_teams_message_through_its_own_address(
    notified: Notified,
) -> None:
    other = add_message(notified.gh, MessageStatus.HELD)
    client = web(notified.users["ke-admin"])
    assert client.get(url("message", notified, other.pk)).status_code == 404
    assert client.post(url("message-release", notified, other.pk)).status_code == 404
    assert OutboxMessage.objects.get(pk=other.pk).status == MessageStatus.HELD


def test_anonymous_visitors_log_in_and_accounts_outside_the_community_are_refused(
    notified: Notified,
) -> None:
    response = web(None).get(url("outbox", notified))
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert web(notified.users["loner"]).get(url("outbox", notified)).status_code == 403


def test_the_navigation_links_to_notifications(notified: Notified) -> None:
    html = web(notified.users["ke-viewer"]).get("/").content.decode()
    assert f'href="{reverse("notify:teams")}"' in html


# --- policies --------------------------------------------------------------------------


def test_the_policy_list_shows_recipient_rhythm_form_and_tlp(notified: Notified) -> None:
    html = web(notified.users["ke-viewer"]).get(url("policies", notified)).content.decode()
    row = html.split(f'id="policy-{notified.policy.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "KE daily" in row
    assert "soc@ke-cirt.example" in row
    assert "Daily" in row
    assert "CSV attachment" in row
    assert "TLP:AMBER+STRICT" in row
    assert "New policy" not in html  # a viewer changes nothing
    assert url("policy-edit", notified, notified.policy.pk) not in html


def test_unusable_policies_are_warned_about_on_the_list_and_the_team_page(
    notified: Notified,
) -> None:
    type(notified.ke).objects.filter(pk=notified.ke.pk).update(email="")
    client = web(notified.users["ke-viewer"])
    for page in (url("policies", notified), reverse("directory:team", args=["KE-CIRT"])):
        html = client.get(page).content.decode()
        warning = html.split('id="unusable-policies"', 1)[1].split("</section>", 1)[0]
        assert "KE daily" in warning
        assert "The team has no usable e-mail address." in warning
    # Another team's members see the directory page, not the warnings.
    response = web(notified.users["gh-admin"]).get(reverse("directory:team", args=["KE-CIRT"]))
    assert 'id="unusable-policies"' not in response.content.decode()


def test_a_team_admin_creates_a_policy_through_the_form(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    assert client.get(url("policy-create", notified)).status_code == 200
    response = client.post(url("policy-create", notified), policy_form())
    assert response.status_code == 302, response.content.decode()
    policy = NotificationPolicy.objects.get(name="Phishing to the team")
    assert policy.team == notified.ke
    assert policy.types == ["phishing", "scanner"]
    assert policy.feeds == ["ke-telnet"]
    assert policy.interval == "hourly"
    assert policy.language == "fr"
    entry = AuditEntry.objects.get(
        object_type="notify.notificationpolicy", object_id=str(policy.pk), action="create"
    )
    assert entry.actor_id == notified.users["ke-admin"].pk


def test_the_policy_form_refuses_unknown_names_with_the_reason(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    response = client.post(
        url("policy-create", notified), policy_form(types="phishing, phishnig", feeds="nope")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown classification types: phishnig." in html
    assert "Unknown feeds: nope." in html
    assert not NotificationPolicy.objects.filter(name="Phishing to the team").exists()


def test_the_contact_choice_is_limited_to_contacts_the_team_may_see(notified: Notified) -> None:
    own = Contact.objects.create(
        team=notified.ke, owner_team=notified.ke, name="KE duty desk", emails=["duty@ke.example"]
    )
    hidden = Contact.objects.create(
        team=notified.gh,
        owner_team=notified.gh,
        name="GH secret desk",
        emails=["x@gh.example"],
        distribution=Distribution.TEAM,
    )
    client = web(notified.users["ke-admin"])
    html = client.get(url("policy-create", notified)).content.decode()
    assert "KE duty desk" in html
    assert "GH secret desk" not in html
    response = client.post(
        url("policy-create", notified),
        policy_form(recipient_kind=RecipientKind.CONTACT, contact=str(hidden.pk)),
    )
    assert response.status_code == 400
    assert not NotificationPolicy.objects.filter(contact=hidden).exists()
    response = client.post(
        url("policy-create", notified),
        policy_form(recipient_kind=RecipientKind.CONTACT, contact=str(own.pk)),
    )
    assert response.status_code == 302
    assert NotificationPolicy.objects.get(contact=own).team == notified.ke


def test_a_webhook_secret_is_never_shown_and_kept_when_left_empty(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    data = policy_form(
        recipient_kind="webhook",
        webhook_url="https://hooks.ke.example/baobab",
        webhook_secret="s3cret-value",
    )
    assert client.post(url("policy-create", notified), data).status_code == 302
    policy = NotificationPolicy.objects.get(name="Phishing to the team")
    assert policy.webhook_secret == "s3cret-value"
    html = client.get(url("policy-edit", notified, policy.pk)).content.decode()
    assert "s3cret-value" not in html
    data["webhook_secret"] = ""
    data["name"] = "Renamed"
    assert client.post(url("policy-edit", notified, policy.pk), data).status_code == 302
    policy.refresh_from_db()
    assert policy.name == "Renamed"
    assert policy.webhook_secret == "s3cret-value"


@pytest.mark.parametrize(
    ("who", "refused"), [("ke-analyst", 403), ("ke-viewer", 403), ("community-admin", 404)]
)
def test_only_team_admins_change_policies(notified: Notified, who: str, refused: int) -> None:
    client = web(notified.users[who])
    policy = notified.policy
    assert client.get(url("policy-create", notified)).status_code == refused
    assert client.post(url("policy-create", notified), policy_form()).status_code == refused
    edit = url("policy-edit", notified, policy.pk)
    assert client.post(edit, policy_form()).status_code == refused
    assert client.post(url("policy-delete", notified, policy.pk)).status_code == refused
    assert NotificationPolicy.objects.filter(pk=policy.pk, name="KE daily").exists()
    assert not NotificationPolicy.objects.filter(name="Phishing to the team").exists()


def test_a_team_admin_edits_and_deletes_a_policy(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    policy = notified.policy
    response = client.post(
        url("policy-edit", notified, policy.pk), policy_form(name="KE hourly", interval="hourly")
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.name, policy.interval) == ("KE hourly", "hourly")
    assert (
        "Do you really want to delete"
        in client.get(url("policy-delete", notified, policy.pk)).content.decode()
    )
    assert client.post(url("policy-delete", notified, policy.pk)).status_code == 302
    assert not NotificationPolicy.objects.filter(pk=policy.pk).exists()


# --- templates --------------------------------------------------------------------------


def template_form(**changes: Any) -> dict[str, str]:
    subject, body = shipped_template("en")
    data = {"name": "Ours", "language": "en", "subject": subject, "body": body, "action": "save"}
    data.update(changes)
    return data


def test_a_team_admin_creates_a_template_from_the_shipped_wording(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    html = client.get(url("template-create", notified), {"language": "fr"}).content.decode()
    assert 'value="fr" selected' in html
    response = client.post(url("template-create", notified), template_form())
    assert response.status_code == 302, response.content.decode()
    template = MessageTemplate.objects.get(team=notified.ke, name="Ours")
    listing = client.get(url("templates", notified)).content.decode()
    assert f'id="template-{template.pk}"' in listing


def test_a_template_that_does_not_render_is_refused(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    response = client.post(url("template-create", notified), template_form(body="{% if %}"))
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert not MessageTemplate.objects.filter(team=notified.ke).exists()


def test_the_template_preview_renders_with_the_teams_events(notified: Notified) -> None:
    for _ in range(3):
        add_event(notified.feed, notified.ke)
    client = web(notified.users["ke-admin"])
    response = client.post(
        url("template-create", notified),
        template_form(subject="Ref {{ reference }}", action="preview"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    preview = html.split('id="template-preview"', 1)[1].split("</section>", 1)[0]
    assert 'id="preview-body"' in preview
    subject = preview.split('id="preview-subject">', 1)[1].split("<", 1)[0]
    assert "Ref KE-CIRT-" in subject
    assert not MessageTemplate.objects.exists()  # a preview saves nothing


def test_the_template_preview_shows_the_problems(notified: Notified) -> None:
    client = web(notified.users["ke-admin"])
    response = client.post(
        url("template-create", notified), template_form(body="{% if %}", action="preview")
    )
    preview = response.content.decode().split('id="template-preview"', 1)[1]
    assert 'class="errorlist"' in preview.split("</section>", 1)[0]


@pytest.mark.parametrize(("who", "refused"), [("ke-analyst", 403), ("community-admin", 404)])
def test_only_team_admins_change_templates(notified: Notified, who: str, refused: int) -> None:
    client = web(notified.users[who])
    assert client.get(url("template-create", notified)).status_code == refused
    assert client.post(url("template-create", notified), template_form()).status_code == refused
    assert not MessageTemplate.objects.exists()


# --- what would be sent -------------------------------------------------------------------


def test_the_dry_run_shows_what_would_be_sent_and_stores_nothing(notified: Notified) -> None:
    for _ in range(2):
        add_event(notified.feed, notified.ke)
    add_event(notified.feed, notified.ke, kind="infected-system")
    add_event(notified.feed, notified.gh)  # another team's event
    before = OutboxMessage.objects.count()
    response = web(notified.users["ke-viewer"]).get(url("dry-run", notified))
    assert response.status_code == 200
    table = response.content.decode().split('id="dry-run"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 3  # the header and one message per classification
    assert "soc@ke-cirt.example" in table
    assert "KE daily" in table
    assert "<td>2</td>" in table
    assert "<td>1</td>" in table
    assert OutboxMessage.objects.count() == before
    notified.policy.refresh_from_db()
    assert notified.policy.last_event_id == 0


def test_the_dry_run_lists_skipped_policies_with_the_reason(notified: Notified) -> None:
    add_event(notified.feed, notified.ke)
    type(notified.ke).objects.filter(pk=notified.ke.pk).update(email="")
    html = web(notified.users["ke-viewer"]).get(url("dry-run", notified)).content.decode()
    skipped = html.split('id="dry-run-skipped"', 1)[1].split("</section>", 1)[0]
    assert "KE daily" in skipped
    assert "The team has no usable e-mail address." in skipped


# --- the outbox ------------------------------------------------------------------------


def test_the_outbox_lists_messages_newest_first_and_filters_by_status(
    notified: Notified,
) -> None:
    client = web(notified.users["ke-viewer"])
    html = client.get(url("outbox", notified)).content.decode()
    places = [html.index(f'id="message-{m.pk}"') for m in (notified.held, notified.failed)]
    assert places == sorted(places)  # newest first
    assert "550 mailbox unknown" in html
    html = client.get(url("outbox", notified), {"status": "held"}).content.decode()
    assert f'id="message-{notified.held.pk}"' in html
    assert f'id="message-{notified.failed.pk}"' not in html
    assert client.get(url("outbox", notified), {"status": "nope"}).status_code == 400


def test_the_outbox_list_needs_a_bounded_number_of_queries(notified: Notified) -> None:
    client = web(notified.users["ke-viewer"])
    client.get(url("outbox", notified))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("outbox", notified)).status_code == 200
    for _ in range(30):
        add_message(notified.ke, MessageStatus.SENT, policy=notified.policy)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("outbox", notified))
    assert response.content.decode().count('id="message-') == 33
    assert len(many) == len(few) <= 10, [query["sql"] for query in many.captured_queries]


def test_a_message_page_shows_its_text_delivery_and_attachment(notified: Notified) -> None:
    client = web(notified.users["ke-viewer"])
    message = notified.failed
    html = client.get(url("message", notified, message.pk)).content.decode()
    assert "message " in html.split('id="message-body"', 1)[1].split("</pre>", 1)[0]
    assert "550 mailbox unknown" in html
    assert url("message-attachment", notified, message.pk) in html
    assert "Resend" not in html  # a viewer acts on nothing
    download = client.get(url("message-attachment", notified, message.pk))
    assert download["Content-Type"] == "text/csv"
    assert "attachment" in download["Content-Disposition"]
    assert download.content == b"source.ip\n192.0.2.1\n"


def test_resending_a_failed_message_queues_it_again(notified: Notified) -> None:
    client = web(notified.users["ke-analyst"])
    message = notified.failed
    html = client.get(url("message", notified, message.pk)).content.decode()
    assert url("message-resend", notified, message.pk) in html
    response = client.post(url("message-resend", notified, message.pk))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == 0
    assert message.last_error == ""
    assert AuditEntry.objects.filter(
        object_type="notify.outboxmessage", object_id=str(message.pk), action="resend"
    ).exists()


def test_resending_a_sent_message_queues_a_copy(notified: Notified) -> None:
    client = web(notified.users["ke-analyst"])
    response = client.post(url("message-resend", notified, notified.sent.pk))
    copy = OutboxMessage.objects.get(reference=f"{notified.sent.reference}-R1")
    assert response["Location"] == url("message", notified, copy.pk)
    assert copy.status == MessageStatus.QUEUED
    notified.sent.refresh_from_db()
    assert notified.sent.status == MessageStatus.SENT


def test_releasing_and_discarding_held_messages(notified: Notified) -> None:
    client = web(notified.users["ke-analyst"])
    held = notified.held
    html = client.get(url("message", notified, held.pk)).content.decode()
    assert url("message-release", notified, held.pk) in html
    assert url("message-discard", notified, held.pk) in html
    assert client.post(url("message-release", notified, held.pk)).status_code == 302
    held.refresh_from_db()
    assert held.status == MessageStatus.QUEUED
    another = add_message(notified.ke, MessageStatus.HELD)
    assert client.post(url("message-discard", notified, another.pk)).status_code == 302
    another.refresh_from_db()
    assert another.status == MessageStatus.FAILED


def test_an_action_the_status_does_not_allow_is_refused_with_the_reason(
    notified: Notified,
) -> None:
    client = web(notified.users["ke-analyst"])
    response = client.post(url("message-release", notified, notified.sent.pk), follow=True)
    assert "Only a held message can be released." in response.content.decode()
    notified.sent.refresh_from_db()
    assert notified.sent.status == MessageStatus.SENT


@pytest.mark.parametrize(("who", "refused"), [("ke-viewer", 403), ("community-admin", 404)])
def test_viewers_and_community_admins_do_not_act_on_the_outbox(
    notified: Notified, who: str, refused: int
) -> None:
    client = web(notified.users[who])
    for action, message in [
        ("message-resend", notified.failed),
        ("message-release", notified.held),
        ("message-discard", notified.held),
    ]:
        assert client.post(url(action, notified, message.pk)).status_code == refused
    assert OutboxMessage.objects.get(pk=notified.failed.pk).status == MessageStatus.FAILED
    assert OutboxMessage.objects.get(pk=notified.held.pk).status == MessageStatus.HELD


def test_outbox_actions_need_post(notified: Notified) -> None:
    client = web(notified.users["ke-analyst"])
    assert client.get(url("message-resend", notified, notified.failed.pk)).status_code == 405
