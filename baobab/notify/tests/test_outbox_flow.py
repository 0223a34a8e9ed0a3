"""From routed events to delivered messages, against real servers on
loopback: an aiosmtpd SMTP server, a local HTTP endpoint for webhooks.

Covers grouping (one message per recipient and classification, never one
per event), the CSV rows, TLP enforcement, PGP encryption decrypted with the
recipient's key, an SMTP server that is down then back (messages wait and
are sent once), an interrupted delivery (not sent twice), held messages,
intervals, dry runs, and recipients that cannot be written to (skipped and
reported, not a crash)."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import json
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pysequoia
import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.core.choices import TLP, Distribution
from baobab.core.models import Team
from baobab.directory.models import Contact, Organisation
from baobab.notify import delivery, outbox, services
from baobab.notify.choices import Delegation, MessageStatus, RecipientKind, Scope
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.notify.pgpkeys import SecretKey, load_secret_key
from baobab.notify.pgpmime import decrypt_message
from baobab.notify.tests.transport_servers import (
    WEBHOOK_SECRET,
    LoopbackController,
    Recorder,
    WebhookReceiver,
    start_smtp,
    unused_port,
    webhook_receiver,
)
from baobab.notify.webhook import verify_signature
from baobab.pipeline.models import Event, Feed

__all__ = ["start_smtp", "webhook_receiver"]  # fixtures

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
_numbers = iter(range(1, 1_000_000))


@pytest.fixture
def teams(make_team: Callable[..., Team]) -> dict[str, Team]:
    return {
        "a": make_team("cert-a", name="CERT A", email="soc@cert-a.example"),
        "b": make_team("cert-b", name="CERT B", email="soc@cert-b.example"),
    }


@pytest.fixture
def feed(teams: dict[str, Team]) -> Feed:
    return Feed.objects.create(name="scan-telnet", parser="shadowserver", owner_team=teams["a"])


def add_event(
    feed: Feed,
    team: Team | None,
    *,
    kind: str = "vulnerable-system",
    tlp: str = TLP.AMBER,
    **more: Any,
) -> Event:
    number = next(_numbers)
    return Event.objects.create(
        dedup_key=f"{number:040d}",
        feed=feed,
        time_source=NOW - dt.timedelta(minutes=number % 50),
        time_observation=NOW,
        source_ip=f"192.0.2.{number % 250 + 1}",
        source_port=23,
        classification_taxonomy="vulnerable",
        classification_type=kind,
        team=team,
        owner_team=feed.owner_team,
        tlp=tlp,
        distribution=Distribution.TEAM,
        data={"raw": f"line {number}", "extra.severity": "medium", **more},
    )


@pytest.fixture
def smtp(start_smtp: Callable[..., LoopbackController], settings: SettingsWrapper) -> Recorder:
    recorder = Recorder()
    server = start_smtp(recorder)
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 5
    settings.BAOBAB_NOTIFY_PGP_KEY = ""
    return recorder


def policy(team: Team, **fields: Any) -> NotificationPolicy:
    values: dict[str, Any] = {"name": "test", "interval": "immediately", "sign": False}
    values.update(fields)
    return services.create_policy(team, values, acting_user=None)


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def csv_rows(message: EmailMessage) -> list[dict[str, str]]:
    for part in message.iter_attachments():
        if part.get_content_type() == "text/csv":
            return list(csv.DictReader(io.StringIO(part.get_content())))
    raise AssertionError("no CSV attachment")


def test_one_message_per_classification_with_the_events_attached(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    policy(teams["a"])
    for _ in range(5):
        add_event(feed, teams["a"])
    for _ in range(3):
        add_event(feed, teams["a"], kind="infected-system")
    for _ in range(4):
        add_event(feed, teams["b"])  # another team's: never in A's messages
    out = io.StringIO()
    call_command("notify", "run", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["built"] == 2
    assert summary["sent"] == 2
    assert summary["events"] == 8
    assert len(smtp.messages) == 2
    rows_by_subject = {}
    for received in smtp.messages:
        assert received.rcpt_tos == ["soc@cert-a.example"]
        message = parsed(received.content)
        subject = str(message["Subject"])
        reference = str(message["X-Baobab-Reference"])
        assert "TLP:AMBER" in subject
        assert reference in subject
        body = message.get_body(("plain",))
        assert body is not None
        assert reference in body.get_content()
        rows = csv_rows(message)
        assert {row["classification.type"] for row in rows} == {rows[0]["classification.type"]}
        rows_by_subject[subject] = len(rows)
    assert sorted(rows_by_subject.values()) == [3, 5]
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == 2
    # Nothing new: nothing more is built or sent.
    call_command("notify", "run", stdout=io.StringIO())
    assert len(smtp.messages) == 2
    assert OutboxMessage.objects.count() == 2


def test_tlp_red_goes_only_to_a_recipient_named_for_it(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    default = policy(teams["a"])  # ceiling TLP:AMBER+STRICT
    add_event(feed, teams["a"], tlp=TLP.RED)
    add_event(feed, teams["a"], tlp=TLP.AMBER_STRICT)
    outbox.run(now=NOW)
    assert list(OutboxMessage.objects.values_list("event_count", "tlp")) == [(1, "amber+strict")]
    services.update_policy(default, {"enabled": False}, acting_user=None)
    policy(teams["a"], name="red ok", tlp_ceiling=TLP.RED)
    add_event(feed, teams["a"], tlp=TLP.RED)
    outbox.run(now=NOW)
    red = OutboxMessage.objects.get(tlp=TLP.RED)
    assert red.event_count == 3  # the new policy reads from the start: one digest, RED
    assert "TLP:RED" in red.subject


def test_a_webhook_never_receives_red(teams: dict[str, Team], feed: Feed) -> None:
    policy(
        teams["a"],
        recipient_kind=RecipientKind.WEBHOOK,
        webhook_url="http://127.0.0.1:9/hook",
        webhook_secret="s3cret",
        tlp_ceiling=TLP.RED,
    )
    add_event(feed, teams["a"], tlp=TLP.RED)
    assert outbox.run(now=NOW).built == []


def _contact_key() -> tuple[SecretKey, str]:
    key = load_secret_key(bytes(pysequoia.Tsk.generate("Abuse <abuse@isp.example>")))
    return key, str(key.certificate)


def test_encrypted_for_the_contact_and_decrypted_with_its_key(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    key, public = _contact_key()
    isp = Organisation.objects.create(
        short_name="isp", name="ISP", kind="isp", country="KE", managed_by=teams["a"]
    )
    contact = Contact.objects.create(
        organisation=isp,
        owner_team=teams["a"],
        name="ISP abuse desk",
        emails=["abuse@isp.example"],
        pgp_key=public,
        tlp=TLP.AMBER,
        distribution=Distribution.TEAM,
    )
    policy(
        teams["a"],
        recipient_kind=RecipientKind.CONTACT,
        contact=contact,
        scope=Scope.ORGANISATION,
        encrypt=True,
        delegation=Delegation.COPY_TEAM,
    )
    for _ in range(2):
        event = add_event(feed, teams["a"])
        Event.objects.filter(pk=event.pk).update(organisation=isp)
    add_event(feed, teams["a"])  # the team's, not the organisation's
    delivery.deliver(now=NOW)
    outbox.run(now=NOW)
    report = delivery.deliver(now=NOW)
    assert report.sent == 1
    (received,) = smtp.messages
    assert sorted(received.rcpt_tos) == ["abuse@isp.example", "soc@cert-a.example"]
    assert b"192.0.2." not in received.content  # nothing readable on the wire
    clear = decrypt_message(received.content, key).message
    assert len(csv_rows(clear)) == 2


def test_smtp_down_then_back_sends_each_message_once(
    teams: dict[str, Team],
    feed: Feed,
    start_smtp: Callable[..., LoopbackController],
    settings: SettingsWrapper,
) -> None:
    port = unused_port()
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    policy(teams["a"])
    add_event(feed, teams["a"])
    outbox.run(now=NOW)
    report = delivery.deliver(now=NOW)
    assert report.retrying == 1
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.RETRYING
    assert message.attempts == 1
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > NOW
    assert message.last_error
    assert delivery.deliver(now=NOW).sent == 0  # not before its wait is over
    recorder = Recorder()
    start_smtp(recorder, port=port)
    later = NOW + dt.timedelta(hours=1)
    assert delivery.deliver(now=later).sent == 1
    assert delivery.deliver(now=later + dt.timedelta(hours=1)).sent == 0
    assert len(recorder.messages) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.attempts == 2


def test_a_refused_recipient_fails_for_good(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    smtp.rcpt_replies["soc@cert-a.example"] = "550 5.1.1 No such mailbox"
    policy(teams["a"])
    add_event(feed, teams["a"])
    outbox.run(now=NOW)
    assert delivery.deliver(now=NOW).failed == 1
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "550" in message.last_error
    services.resend(message, acting_user=None)
    smtp.rcpt_replies.clear()
    assert delivery.deliver(now=NOW).sent == 1


def test_an_interrupted_delivery_is_not_sent_again_by_itself(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    policy(teams["a"])
    add_event(feed, teams["a"])
    outbox.run(now=NOW)
    # A worker died after claiming the message, before recording the result.
    OutboxMessage.objects.update(status=MessageStatus.SENDING, next_attempt_at=NOW)
    report = delivery.deliver(now=NOW + dt.timedelta(hours=1))
    assert report.interrupted == 1
    assert report.sent == 0
    assert smtp.messages == []
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.FAILED
    assert "interrupted" in message.last_error


def test_held_messages_wait_for_review(teams: dict[str, Team], feed: Feed, smtp: Recorder) -> None:
    policy(teams["a"], delegation=Delegation.HOLD)
    add_event(feed, teams["a"])
    outbox.run(now=NOW)
    assert delivery.deliver(now=NOW).sent == 0
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.HELD
    services.release(message, acting_user=None)
    assert delivery.deliver(now=NOW).sent == 1


def test_a_daily_policy_waits_for_its_hour(teams: dict[str, Team], feed: Feed) -> None:
    daily = policy(teams["a"], interval="daily", at_hour=6, timezone="Africa/Nairobi")
    add_event(feed, teams["a"])
    assert outbox.run(now=NOW).built == []  # first sight: due at the end of the interval
    daily.refresh_from_db()
    assert daily.due_at == dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)  # 06:00 in Nairobi
    assert outbox.run(now=NOW + dt.timedelta(hours=2)).built == []
    add_event(feed, teams["a"])
    built = outbox.run(now=dt.datetime(2026, 12, 2, 3, 5, tzinfo=dt.UTC)).built
    assert [item.event_count for item in built] == [2]
    # --now takes what is pending whatever the interval.
    add_event(feed, teams["a"])
    assert [item.event_count for item in outbox.run(now=NOW, force=True).built] == [1]


def test_a_dry_run_stores_and_sends_nothing(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    policy(teams["a"])
    add_event(feed, teams["a"])
    out = io.StringIO()
    call_command("notify", "run", "--dry-run", "--json", stdout=out)
    assert json.loads(out.getvalue())["built"] == 1
    assert not OutboxMessage.objects.exists()
    assert smtp.messages == []
    out = io.StringIO()
    call_command("notify", "preview", "--team", "cert-a", stdout=out)
    assert "soc@cert-a.example" in out.getvalue()
    assert "TLP:AMBER" in out.getvalue()
    assert not OutboxMessage.objects.exists()


def test_recipients_that_cannot_be_written_to_are_skipped_and_reported(
    teams: dict[str, Team], feed: Feed, smtp: Recorder
) -> None:
    nobody = Contact.objects.create(
        team=teams["a"],
        owner_team=teams["a"],
        name="No address",
        emails=["not an address"],
        tlp=TLP.AMBER,
        distribution=Distribution.TEAM,
    )
    policy(teams["a"], recipient_kind=RecipientKind.CONTACT, contact=nobody)
    policy(teams["a"], name="needs a key", recipient_kind=RecipientKind.CONTACT, contact=nobody)
    NotificationPolicy.objects.filter(name="needs a key").update(encrypt=True)
    add_event(feed, teams["a"])
    report = outbox.run(now=NOW)
    assert report.built == []
    assert len(report.skipped) == 2
    reasons = [reason for _policy, reason in services.unusable_policies(teams["a"], now=NOW)]
    assert len(reasons) == 2
    assert all("No address" in reason for reason in reasons)


def test_a_webhook_gets_a_signed_json_post(
    teams: dict[str, Team], feed: Feed, webhook_receiver: WebhookReceiver
) -> None:
    policy(
        teams["a"],
        recipient_kind=RecipientKind.WEBHOOK,
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        format="json",
    )
    for _ in range(3):
        add_event(feed, teams["a"])
    outbox.run(now=NOW)
    assert delivery.deliver(now=NOW).sent == 1
    (hit,) = webhook_receiver.hits
    assert hit.verified  # the receiver checked the HMAC signature
    assert verify_signature(WEBHOOK_SECRET, hit.body, hit.headers, now=timezone.now())
    assert not verify_signature("another secret", hit.body, hit.headers, now=timezone.now())
    payload = json.loads(hit.body)
    assert payload["event_count"] == 3
    assert len(payload["attachment"]) == 3
    assert payload["tlp"] == "amber"


def test_a_new_team_gets_a_daily_digest_without_configuration(
    teams: dict[str, Team], feed: Feed
) -> None:
    add_event(feed, teams["a"])
    assert outbox.run(now=NOW).built == []  # the default policy is made, due at 06:00
    (default,) = NotificationPolicy.objects.filter(team=teams["a"])
    assert (default.interval, default.format, default.at_hour) == ("daily", "csv", 6)
    assert default.tlp_ceiling == TLP.AMBER_STRICT
    built = outbox.run(now=NOW + dt.timedelta(days=1)).built
    assert [(item.recipient, item.event_count) for item in built] == [("soc@cert-a.example", 1)]
    # Disabled, it stays disabled (and is not made again).
    services.update_policy(default, {"enabled": False}, acting_user=None)
    outbox.run(now=NOW + dt.timedelta(days=2))
    assert NotificationPolicy.objects.filter(team=teams["a"]).count() == 1


def test_a_webhook_that_times_out_is_retried(
    teams: dict[str, Team], feed: Feed, webhook_receiver: WebhookReceiver, settings: SettingsWrapper
) -> None:
    settings.NOTIFY_WEBHOOK_TIMEOUT = 1
    webhook_receiver.script = [(204, b"", 2.0), (204, b"", 0.0)]
    policy(
        teams["a"],
        recipient_kind=RecipientKind.WEBHOOK,
        webhook_url=webhook_receiver.url,
        webhook_secret=WEBHOOK_SECRET,
    )
    add_event(feed, teams["a"])
    outbox.run(now=NOW)
    assert delivery.deliver(now=NOW).retrying == 1
    message = OutboxMessage.objects.get()
    assert message.status == MessageStatus.RETRYING
    assert delivery.deliver(now=NOW + dt.timedelta(hours=1)).sent == 1
    assert len(webhook_receiver.hits) == 2
    assert {hit.headers.get("X-Baobab-Delivery") for hit in webhook_receiver.hits} == {
        message.reference
    }
