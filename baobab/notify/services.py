"""Every write of notifications (policies, templates, the outbox's resend,
release and discard), audited; and who may do them: a team's administrators
manage its policies and templates, its analysts act on its outbox."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core import audit
from baobab.core.choices import Role
from baobab.core.models import Team, User
from baobab.core.permissions import role_in
from baobab.core.services import create_object, delete_object, update_object
from baobab.core.visibility import can_see, viewer_for_team
from baobab.notify.choices import MessageStatus, RecipientKind
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage
from baobab.notify.recipients import UnusableRecipientError, recipient_of
from baobab.notify.rendering import check_template

# Fields a policy form or the API may set.
POLICY_FIELDS = (
    "name",
    "enabled",
    "recipient_kind",
    "contact",
    "webhook_url",
    "webhook_secret",
    "scope",
    "types",
    "taxonomies",
    "feeds",
    "min_severity",
    "tlp_ceiling",
    "interval",
    "at_hour",
    "weekday",
    "timezone",
    "format",
    "language",
    "template",
    "group_by",
    "max_inline",
    "sign",
    "encrypt",
    "delegation",
)


def may_manage_notifications(user: User | None, team: Team) -> bool:
    """Policies and templates: the team's administrators."""
    return role_in(user, team) == Role.ADMIN


def may_act_on_outbox(user: User | None, team: Team) -> bool:
    """Resend, release, discard: the team's analysts and administrators."""
    return role_in(user, team) in (Role.ANALYST, Role.ADMIN)


def may_read_outbox(user: User | None, team: Team) -> bool:
    """The outbox and the policies: the team's members. Community administrators
    get no more: the messages carry the team's events (the visibility rule)."""
    return role_in(user, team) is not None


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this for this team."))


def _check_policy(policy: NotificationPolicy) -> None:
    if policy.contact is not None and not can_see(viewer_for_team(policy.team_id), policy.contact):
        raise ValidationError({"contact": _("The team may not see this contact.")})
    if policy.recipient_kind != RecipientKind.CONTACT:
        policy.contact = None
    if policy.recipient_kind != RecipientKind.WEBHOOK:
        policy.webhook_url = ""
        policy.webhook_secret = ""


def create_policy(
    team: Team, values: dict[str, Any], *, acting_user: User | None
) -> NotificationPolicy:
    """A new policy of ``team``."""
    if acting_user is not None:
        _require(may_manage_notifications(acting_user, team))
    policy = NotificationPolicy(
        team=team, **{k: v for k, v in values.items() if k in POLICY_FIELDS}
    )
    _check_policy(policy)
    return create_object(policy, acting_user=acting_user)


def update_policy(
    policy: NotificationPolicy, values: dict[str, Any], *, acting_user: User | None
) -> NotificationPolicy:
    if acting_user is not None:
        _require(may_manage_notifications(acting_user, policy.team))
    changes = {k: v for k, v in values.items() if k in POLICY_FIELDS}
    for name, value in changes.items():
        setattr(policy, name, value)
    _check_policy(policy)
    changes |= {
        "contact": policy.contact,
        "webhook_url": policy.webhook_url,
        "webhook_secret": policy.webhook_secret,
    }
    return update_object(
        policy, changes, acting_user=acting_user, leave=("last_event_id", "due_at")
    )


def delete_policy(policy: NotificationPolicy, *, acting_user: User | None) -> None:
    if acting_user is not None:
        _require(may_manage_notifications(acting_user, policy.team))
    delete_object(policy, acting_user=acting_user)


def save_template(
    team: Team,
    values: dict[str, Any],
    *,
    acting_user: User | None,
    template: MessageTemplate | None = None,
) -> MessageTemplate:
    """Create or change a template; refused when it does not render."""
    if acting_user is not None:
        _require(may_manage_notifications(acting_user, team))
    problems = check_template(values.get("subject", ""), values.get("body", ""))
    if problems:
        raise ValidationError({"body": problems})
    fields: dict[str, Any] = {
        k: values[k] for k in ("name", "language", "subject", "body") if k in values
    }
    if template is None:
        return create_object(MessageTemplate(team=team, **fields), acting_user=acting_user)
    return update_object(template, fields, acting_user=acting_user)


def delete_template(template: MessageTemplate, *, acting_user: User | None) -> None:
    if acting_user is not None:
        _require(may_manage_notifications(acting_user, template.team))
    delete_object(template, acting_user=acting_user)


def ensure_default_policy(
    team: Team, *, acting_user: User | None = None
) -> NotificationPolicy | None:
    """A team with an address and no policy gets the default one: a daily
    CSV digest at 06:00 in its time zone of the events routed to it, up to
    TLP:AMBER+STRICT, signed."""
    if not team.email or team.notification_policies.exists():
        return None
    return create_object(
        NotificationPolicy(
            team=team,
            name=_("Daily digest"),
            timezone=team.timezone or "UTC",
        ),
        acting_user=acting_user,
    )


def unusable_policies(
    team: Team, *, now: dt.datetime | None = None
) -> list[tuple[NotificationPolicy, str]]:
    """The team's enabled policies whose recipient cannot be written to, and why."""
    now = now or timezone.now()
    viewer = viewer_for_team(team.pk)
    found = []
    for policy in team.notification_policies.filter(enabled=True).select_related(
        "team", "contact__organisation"
    ):
        try:
            recipient_of(policy, now=now, viewer=viewer)
        except UnusableRecipientError as problem:
            found.append((policy, str(problem)))
    return found


def _act(message: OutboxMessage, acting_user: User | None, action: str, **changes: Any) -> None:
    if acting_user is not None:
        _require(may_act_on_outbox(acting_user, message.team))
    before = audit.snapshot(message)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(message, name, value)
        message.save(update_fields=list(changes))
        audit.record(
            acting_user=acting_user,
            action=action,
            obj=message,
            before=before,
            after=audit.snapshot(message),
        )


def release(message: OutboxMessage, *, acting_user: User | None) -> None:
    """Send a message held for review."""
    if message.status != MessageStatus.HELD:
        raise ValidationError(_("Only a held message can be released."))
    _act(message, acting_user, "release", status=MessageStatus.QUEUED, next_attempt_at=None)


def discard(message: OutboxMessage, *, acting_user: User | None) -> None:
    """Never send a message held for review."""
    if message.status != MessageStatus.HELD:
        raise ValidationError(_("Only a held message can be discarded."))
    _act(message, acting_user, "discard", status=MessageStatus.FAILED, last_error=_("Discarded."))


def resend(message: OutboxMessage, *, acting_user: User | None) -> OutboxMessage:
    """Send again: a failed message goes back in the queue; a sent one is
    copied as a new message (its reference with ``-R`` and a number)."""
    if message.status == MessageStatus.FAILED:
        _act(
            message,
            acting_user,
            "resend",
            status=MessageStatus.QUEUED,
            attempts=0,
            next_attempt_at=None,
            last_error="",
        )
        return message
    if message.status != MessageStatus.SENT:
        raise ValidationError(_("Only a sent or failed message can be sent again."))
    if acting_user is not None:
        _require(may_act_on_outbox(acting_user, message.team))
    copies = OutboxMessage.objects.filter(reference__startswith=f"{message.reference}-R").count()
    copy = OutboxMessage.objects.get(pk=message.pk)
    copy.pk = None
    copy.reference = f"{message.reference}-R{copies + 1}"
    copy.digest_key = hashlib.sha256(f"{message.digest_key}|{copy.reference}".encode()).hexdigest()
    copy.status = MessageStatus.QUEUED
    copy.attempts = 0
    copy.sent_at = None
    copy.next_attempt_at = None
    copy.last_error = ""
    return create_object(copy, acting_user=acting_user)
