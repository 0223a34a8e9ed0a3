"""Delivering the outbox: e-mail over SMTP (signed and/or encrypted with
PGP/MIME when the policy asks), or a signed JSON POST to a webhook.

A message is claimed (``sending``) before it leaves and marked ``sent``,
``retrying`` (with back-off) or ``failed`` after. A process that dies in
between leaves it ``sending``: the next pass marks it failed as
"interrupted" — it may have arrived, so it is not sent again on its own;
the team sees it and may resend. Nothing is sent twice, nothing is lost
silently.

Without ``EMAIL_HOST`` (the embedded mode) e-mails are written as ``.eml``
files under ``BAOBAB_DATA_DIR/mail`` instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from baobab.notify.choices import DELIVERABLE, MessageStatus, RecipientKind
from baobab.notify.mime import Attachment, build_message
from baobab.notify.models import OutboxMessage
from baobab.notify.outcome import Outcome
from baobab.notify.pgpkeys import PgpError, SecretKey, load_recipient_key, load_secret_key
from baobab.notify.pgpmime import encrypt_message, sign_message
from baobab.notify.smtp import SmtpConfig, SmtpSession
from baobab.notify.webhook import post_json

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Waits before the attempts after the first: 1, 2, 4 … minutes, at most 6 hours.
FIRST_WAIT = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=6)
# A message left "sending" this long was interrupted.
INTERRUPTED_AFTER = dt.timedelta(minutes=15)


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    errors: list[str] = field(default_factory=list)


def wait_before(attempts: int) -> dt.timedelta:
    """The back-off after ``attempts`` failed attempts."""
    return min(FIRST_WAIT * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def signing_key() -> SecretKey | None:
    """The key messages are signed with (``BAOBAB_NOTIFY_PGP_KEY``), if any."""
    path = getattr(settings, "BAOBAB_NOTIFY_PGP_KEY", "")
    if not path:
        return None
    return load_secret_key(path, getattr(settings, "BAOBAB_NOTIFY_PGP_PASSWORD", "") or None)


def email_of(message: OutboxMessage, key: SecretKey | None) -> EmailMessage:
    """The message as it goes on the wire (signed/encrypted as asked)."""
    attachments = (
        [
            Attachment(
                message.attachment_name,
                bytes(message.attachment),
                message.attachment_type or "application/octet-stream",
            )
        ]
        if message.attachment_name
        else []
    )
    email = build_message(
        subject=message.subject,
        sender=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        cc=list(message.copy_to or []),
        text=message.body,
        attachments=attachments,
        reference=message.reference,
        tlp=message.tlp,
        language=message.language,
        reply_to=message.team.email or None,
    )
    if message.encrypt:
        contact = message.policy.contact if message.policy else None
        if contact is None or not contact.pgp_key:
            raise PgpError("the recipient has no PGP key")
        cert = load_recipient_key(contact.pgp_key)
        return encrypt_message(email, [cert], sign_with=key if message.sign else None)
    if message.sign and key is not None:
        return sign_message(email, key)
    return email


def webhook_payload(message: OutboxMessage) -> dict[str, Any]:
    """What a webhook receives: the message's data, the attachment inline."""
    attachment: Any = None
    if message.attachment_name:
        raw = bytes(message.attachment)
        if message.attachment_type == "application/json":
            attachment = json.loads(raw)
        else:
            attachment = base64.b64encode(raw).decode()
    return {
        "reference": message.reference,
        "team": message.team.short_name,
        "tlp": message.tlp,
        "subject": message.subject,
        "body": message.body,
        "event_count": message.event_count,
        "interval_start": message.interval_start.isoformat() if message.interval_start else None,
        "attachment_name": message.attachment_name or None,
        "attachment": attachment,
    }


def _claim(message: OutboxMessage, now: dt.datetime) -> bool:
    """Mark the message as being sent, and since when (an interruption shows
    later); False when another pass took it first."""
    return bool(
        OutboxMessage.objects.filter(pk=message.pk, status__in=DELIVERABLE).update(
            status=MessageStatus.SENDING, attempts=message.attempts + 1, next_attempt_at=now
        )
    )


def _record(message: OutboxMessage, outcome: Outcome, detail: str, now: dt.datetime) -> str:
    attempts = message.attempts + 1
    changes: dict[str, Any] = {"last_error": "" if outcome is Outcome.SENT else detail[:2000]}
    if outcome is Outcome.SENT:
        changes |= {"status": MessageStatus.SENT, "sent_at": now, "next_attempt_at": None}
    elif outcome is Outcome.RETRY and attempts < MAX_ATTEMPTS:
        changes |= {
            "status": MessageStatus.RETRYING,
            "next_attempt_at": now + wait_before(attempts),
        }
    else:
        changes |= {"status": MessageStatus.FAILED, "next_attempt_at": None}
    OutboxMessage.objects.filter(pk=message.pk).update(**changes)
    return str(changes["status"])


def _mark_interrupted(now: dt.datetime) -> int:
    return OutboxMessage.objects.filter(
        status=MessageStatus.SENDING, next_attempt_at__lt=now - INTERRUPTED_AFTER
    ).update(
        status=MessageStatus.FAILED,
        last_error="Delivery was interrupted: the message may or may not have arrived. "
        "Resend it if the recipient did not get it.",
    )


@contextmanager
def _mail_transport() -> Iterator[Any]:
    """An SMTP session, or (without ``EMAIL_HOST``) a writer of ``.eml`` files."""
    if getattr(settings, "EMAIL_HOST", ""):
        with SmtpSession(SmtpConfig.from_settings()) as session:
            yield session
        return
    yield _FileTransport(Path(getattr(settings, "EMAIL_FILE_PATH", settings.DATA_DIR / "mail")))


class _FileTransport:
    """The embedded mode's post office: each message a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, email: EmailMessage, reference: str) -> tuple[Outcome, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{reference}.eml"
        path.write_bytes(email.as_bytes())
        return Outcome.SENT, f"written to {path}"


def _send_email(transport: Any, email: EmailMessage, reference: str) -> tuple[Outcome, str]:
    if isinstance(transport, _FileTransport):
        return transport.deliver(email, reference)
    report = transport.send(email)
    if report.all_sent:
        return Outcome.SENT, ""
    details = "; ".join(
        f"{result.recipient}: {result.stage} {result.code or ''} {result.detail}".strip()
        for result in report.results
        if result.outcome is not Outcome.SENT
    )
    retry = any(result.outcome is Outcome.RETRY for result in report.results)
    return (Outcome.RETRY if retry else Outcome.FAILED), details


def deliver(*, now: dt.datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send the messages that are due (queued, or retrying whose wait is over)."""
    now = now or timezone.now()
    report = DeliveryReport(interrupted=_mark_interrupted(now))
    due = (
        OutboxMessage.objects.filter(status__in=DELIVERABLE)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("team", "policy__contact")
        .order_by("pk")
    )
    messages = list(due[:limit] if limit else due)
    if not messages:
        return report
    try:
        key = signing_key() if any(m.sign for m in messages) else None
    except PgpError as error:
        report.errors.append(f"BAOBAB_NOTIFY_PGP_KEY: {error}")
        key = None
    emails = [m for m in messages if m.channel != RecipientKind.WEBHOOK]
    hooks = [m for m in messages if m.channel == RecipientKind.WEBHOOK]
    if emails:
        with _mail_transport() as transport:
            for message in emails:
                if not _claim(message, now):
                    continue
                try:
                    outcome, detail = _send_email(
                        transport, email_of(message, key), message.reference
                    )
                except PgpError as error:
                    outcome, detail = Outcome.FAILED, f"PGP: {error}"
                _count(report, _record(message, outcome, detail, now))
    for message in hooks:
        if not _claim(message, now):
            continue
        secret = message.policy.webhook_secret if message.policy else ""
        if not secret:
            _count(report, _record(message, Outcome.FAILED, "the webhook has no secret", now))
            continue
        result = post_json(
            message.recipient,
            webhook_payload(message),
            secret=secret,
            timeout=float(getattr(settings, "NOTIFY_WEBHOOK_TIMEOUT", 10)),
            delivery_id=message.reference,
        )
        _count(report, _record(message, result.outcome, result.detail, now))
    return report


def _count(report: DeliveryReport, status: str) -> None:
    if status == MessageStatus.SENT:
        report.sent += 1
    elif status == MessageStatus.RETRYING:
        report.retrying += 1
    else:
        report.failed += 1
