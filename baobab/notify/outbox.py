"""Filling the outbox: for each policy that is due, the routed events after
its mark are loaded under the visibility rule, matched and grouped
(:mod:`baobab.notify.digest`), rendered in the recipient's language, and
stored as messages — together with the policy's new mark, in one
transaction, so a run repeated after a crash neither loses nor repeats a
message. A dry run builds the same messages and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.core.visibility import restrict, viewer_for_team
from baobab.notify.attachments import attachment_for, plain_events
from baobab.notify.choices import Delegation, MessageStatus, RecipientKind, Scope
from baobab.notify.digest import Digest, build_digests
from baobab.notify.intervals import policy_interval
from baobab.notify.mime import Attachment
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.notify.policy import DEFAULT_GROUP_BY, Interval, Policy
from baobab.notify.recipients import UnusableRecipientError, recipient_of
from baobab.notify.rendering import (
    TemplateProblem,
    digest_context,
    render_message,
    shipped_template,
)
from baobab.pipeline.event_record import event_record
from baobab.pipeline.models import Event

logger = logging.getLogger(__name__)

EVENT_ID = "baobab.event_id"
# Events read from the database at a time for one policy.
EVENTS_PER_PASS = 50_000


@dataclass(slots=True)
class RunReport:
    """What a run did: messages built (unsaved ones for a dry run), policies
    skipped and why."""

    built: list[OutboxMessage] = field(default_factory=list)
    skipped: list[tuple[NotificationPolicy, str]] = field(default_factory=list)
    policies_due: int = 0


def engine_policy(policy: NotificationPolicy) -> Policy:
    """The stored policy as the digest engine reads it."""
    team_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    if policy.scope == Scope.TEAM:
        team_ids = frozenset({policy.team_id})
    elif policy.scope == Scope.ORGANISATION and policy.contact is not None:
        organisation_ids = frozenset({policy.contact.organisation_id or 0})
    # TLP:RED only to a recipient named on purpose: the team or a chosen
    # contact whose policy's ceiling is RED; never to a webhook.
    allow_red = policy.tlp_ceiling == TLP.RED and policy.recipient_kind != RecipientKind.WEBHOOK
    return Policy(
        recipient=("policy", policy.pk),
        team_ids=team_ids,
        organisation_ids=organisation_ids,
        any_constituency=policy.scope == Scope.ANY,
        types=frozenset(policy.types),
        taxonomies=frozenset(policy.taxonomies),
        feeds=frozenset(policy.feeds),
        min_severity=policy.min_severity or None,
        tlp_ceiling=policy.tlp_ceiling,
        allow_red=allow_red,
        template=str(policy.template_id or "default"),
        format=policy.format,  # type: ignore[arg-type]
        language=policy.language,
        group_by=tuple(policy.group_by) or DEFAULT_GROUP_BY,
        max_inline=policy.max_inline,
        interval=Interval(policy.interval),
        timezone=policy.timezone,
        at_hour=policy.at_hour,
        weekday=policy.weekday,
    )


def pending_events(policy: NotificationPolicy, *, after: int) -> QuerySet[Event]:
    """The events after ``after`` the policy's team may see, in its scope."""
    events = restrict(Event.objects.filter(pk__gt=after), viewer_for_team(policy.team_id))
    if policy.scope == Scope.TEAM:
        events = events.filter(team_id=policy.team_id)
    elif policy.scope == Scope.ORGANISATION:
        organisation = policy.contact.organisation_id if policy.contact else None
        events = events.filter(organisation_id=organisation or 0)
    return events.select_related("feed").order_by("pk")


def events_frame(events: Iterable[Event]) -> pl.DataFrame:
    """Events as the digest engine reads them: every field, its TLP and id."""
    records = []
    for event in events:
        record = {name: value for name, value in event_record(event).items() if value is not None}
        record["tlp"] = event.tlp
        record[EVENT_ID] = event.pk
        record.setdefault("feed.name", event.feed.name)
        records.append(record)
    if not records:
        return pl.DataFrame()
    names = sorted({name for record in records for name in record})
    columns = {}
    for name in names:
        values = [record.get(name) for record in records]
        if name in (EVENT_ID, "source.port", "source.asn", "destination.port") or name.endswith(
            "_id"
        ):
            columns[name] = pl.Series(name, values, dtype=pl.Int64, strict=False)
        else:
            columns[name] = pl.Series(
                name, [None if v is None else str(v) for v in values], dtype=pl.Utf8
            )
    return pl.DataFrame(columns)


def reference_of(policy: NotificationPolicy, key: str, now: dt.datetime) -> str:
    """The number a recipient quotes: the team, the day, a part of the key."""
    return f"{policy.team.short_name.upper()[:10]}-{now:%Y%m%d}-{key[:10].upper()}"


def _digest_key(digest: Digest, first_event: int) -> str:
    """The outbox's unique key: the digest (policy, interval, grouping) and
    where in the event table its events start."""
    return hashlib.sha256(f"{digest.id}|{first_event}".encode()).hexdigest()


def due(policy: NotificationPolicy, now: dt.datetime) -> bool:
    """Whether the policy's interval has come round (at once: always)."""
    return policy.interval == Interval.IMMEDIATELY or (
        policy.due_at is not None and policy.due_at <= now
    )


def _next_due(policy: NotificationPolicy, now: dt.datetime) -> dt.datetime:
    _start, end = policy_interval(engine_policy(policy), now)
    return end


def message_parts(
    policy: NotificationPolicy,
    digest: Digest,
    plain: pl.DataFrame,
    *,
    reference: str,
    language: str,
) -> tuple[dict[str, Any], Attachment | None]:
    """What a template sees of ``digest`` (from the batch's plain events)
    and the file the policy's format asks for."""
    attachment = attachment_for(
        policy.format, digest.attachment(plain), reference=reference, plain=True
    )
    context = digest_context(
        digest,
        plain,
        reference=reference,
        recipient_name=recipient_name(policy),
        team_name=policy.team.name,
        interval_end=None if policy.interval == Interval.IMMEDIATELY else policy.due_at,
        attachment_name=attachment.filename if attachment else None,
        language=language,
        plain=True,
    )
    return context, attachment


def _message(
    policy: NotificationPolicy,
    digest: Digest,
    events: pl.DataFrame,
    plain: pl.DataFrame,
    *,
    recipient: str,
    now: dt.datetime,
) -> OutboxMessage:
    first = int(events[EVENT_ID][digest.rows[0]]) if digest.count else 0
    key = _digest_key(digest, first)
    reference = reference_of(policy, key, now)
    context, attachment = message_parts(
        policy, digest, plain, reference=reference, language=policy.language
    )
    template = policy.template
    subject_source, body_source = (
        (template.subject, template.body) if template else shipped_template(policy.language)
    )
    try:
        text = render_message(subject_source, body_source, context)
    except TemplateProblem as problem:
        # A team's template that passed the editor's check may still fail on
        # real data: the message goes out in the shipped wording.
        logger.warning("template %s of %s failed: %s", template, policy.team, problem)
        text = render_message(*shipped_template(policy.language), context)
    copies = [policy.team.email] if policy.delegation == Delegation.COPY_TEAM else []
    content = attachment.content if attachment else b""
    return OutboxMessage(
        digest_key=key,
        reference=reference,
        team=policy.team,
        policy=policy,
        channel=RecipientKind.WEBHOOK
        if policy.recipient_kind == RecipientKind.WEBHOOK
        else RecipientKind.TEAM,
        recipient=recipient,
        copy_to=[address for address in copies if address and address != recipient],
        subject=text.subject,
        body=text.body,
        attachment_name=attachment.filename if attachment else "",
        attachment_type=attachment.content_type if attachment else "",
        attachment=content.encode() if isinstance(content, str) else content,
        language=policy.language,
        tlp=digest.tlp,
        event_count=digest.count,
        sign=policy.sign and policy.recipient_kind != RecipientKind.WEBHOOK,
        encrypt=policy.encrypt and policy.recipient_kind != RecipientKind.WEBHOOK,
        status=MessageStatus.HELD if policy.delegation == Delegation.HOLD else MessageStatus.QUEUED,
        interval_start=digest.interval_start,
    )


def recipient_name(policy: NotificationPolicy) -> str:
    if policy.recipient_kind == RecipientKind.CONTACT and policy.contact is not None:
        organisation = policy.contact.organisation
        return organisation.name if organisation is not None else policy.contact.name
    return policy.team.name


def build_for_policy(
    policy: NotificationPolicy, now: dt.datetime, *, dry_run: bool = False
) -> list[OutboxMessage]:
    """The messages of one due policy's pending events (stored with its new
    mark unless ``dry_run``). Raises :class:`UnusableRecipientError` when its recipient
    cannot be written to."""
    recipient = recipient_of(policy, now=now)
    built: list[OutboxMessage] = []
    mark = policy.last_event_id
    while True:
        batch = list(pending_events(policy, after=mark)[:EVENTS_PER_PASS])
        if not batch:
            break
        events = events_frame(batch)
        digests = build_digests(events, [engine_policy(policy)], now=now)
        plain = plain_events(events)
        messages = [
            _message(policy, digest, events, plain, recipient=recipient, now=now)
            for digest in digests
        ]
        mark = batch[-1].pk
        if not dry_run:
            with transaction.atomic():
                OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
                NotificationPolicy.objects.filter(pk=policy.pk).update(last_event_id=mark)
        built.extend(messages)
        if len(batch) < EVENTS_PER_PASS or dry_run:
            break  # a dry run shows the first pass: a page waits for it
    if not dry_run:
        policy.last_event_id = mark
        policy.due_at = _next_due(policy, now)
        NotificationPolicy.objects.filter(pk=policy.pk).update(due_at=policy.due_at)
    return built


def _give_default_policies(team: Team | None) -> None:
    """Teams with an address and no policy at all get the default one (to
    stop their notifications, a team disables it rather than deleting it)."""
    from baobab.notify.services import ensure_default_policy  # noqa: PLC0415 - services import us

    teams = Team.objects.exclude(email="").filter(notification_policies__isnull=True)
    if team is not None:
        teams = teams.filter(pk=team.pk)
    for each in teams:
        ensure_default_policy(each)


def run(
    *,
    now: dt.datetime | None = None,
    force: bool = False,
    dry_run: bool = False,
    team: Team | None = None,
) -> RunReport:
    """Build the messages of every enabled policy that is due (``force``:
    every one, whatever its interval). A policy seen for the first time gets
    its first due moment: the end of its current interval."""
    now = now or timezone.now()
    report = RunReport()
    if not dry_run:
        _give_default_policies(team)
    policies = NotificationPolicy.objects.filter(enabled=True).select_related(
        "team", "contact__organisation", "template"
    )
    if team is not None:
        policies = policies.filter(team=team)
    for policy in policies.order_by("pk"):
        if policy.due_at is None and policy.interval != Interval.IMMEDIATELY and not force:
            if not dry_run:
                policy.due_at = _next_due(policy, now)
                NotificationPolicy.objects.filter(pk=policy.pk).update(due_at=policy.due_at)
            continue
        if not (force or due(policy, now)):
            continue
        report.policies_due += 1
        try:
            report.built.extend(build_for_policy(policy, now, dry_run=dry_run))
        except UnusableRecipientError as problem:
            report.skipped.append((policy, str(problem)))
            logger.warning("notification policy %s skipped: %s", policy.pk, problem)
    return report
