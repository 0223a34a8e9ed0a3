"""Notification policies, message templates and the outbox.

A policy belongs to a team: it picks routed events (scope and filters), a
recipient (the team's own address, a contact of the directory, or a
webhook), a rhythm, a form and a TLP ceiling. ``last_event_id`` is how far
it has read the event table: each run builds digests of the events after it
and moves it on, in the same transaction as the messages it adds to the
outbox. The outbox keeps every message as it was (or will be) sent, with its
state; ``digest_key`` is unique, so a run repeated after a crash adds nothing
twice.
"""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.directory.models import Contact
from baobab.notify.choices import (
    Delegation,
    FormatChoice,
    IntervalChoice,
    Language,
    MessageStatus,
    RecipientKind,
    Scope,
    Severity,
)


class MessageTemplate(models.Model):
    """A team's own wording of its messages in one language (Jinja syntax,
    rendered in a sandbox). Without one, the shipped template is used."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="message_templates", verbose_name=_("team")
    )
    name = models.CharField(_("name"), max_length=80)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), max_length=20_000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["team__short_name", "name", "language"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["team", "name", "language"], name="notify_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class NotificationPolicy(models.Model):
    """Which routed events a team sends to whom, how often and in which form."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="notification_policies", verbose_name=_("team")
    )
    name = models.CharField(_("name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Recipient.
    recipient_kind = models.CharField(
        _("recipient"), max_length=16, choices=RecipientKind.choices, default=RecipientKind.TEAM
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_policies",
        verbose_name=_("contact"),
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True, max_length=500)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    # Which events.
    scope = models.CharField(_("events"), max_length=16, choices=Scope.choices, default=Scope.TEAM)
    types = models.JSONField(_("classification types"), default=list, blank=True)
    taxonomies = models.JSONField(_("taxonomies"), default=list, blank=True)
    feeds = models.JSONField(_("feeds"), default=list, blank=True)
    min_severity = models.CharField(
        _("minimum severity"), max_length=16, choices=Severity.choices, blank=True
    )
    tlp_ceiling = models.CharField(
        _("TLP ceiling"), max_length=16, choices=TLP.choices, default=TLP.AMBER_STRICT
    )
    # Rhythm and form.
    interval = models.CharField(
        _("interval"), max_length=16, choices=IntervalChoice.choices, default=IntervalChoice.DAILY
    )
    at_hour = models.PositiveSmallIntegerField(_("at hour"), default=6)
    weekday = models.PositiveSmallIntegerField(_("weekday"), default=0)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    format = models.CharField(
        _("format"), max_length=8, choices=FormatChoice.choices, default=FormatChoice.CSV
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.EN
    )
    template = models.ForeignKey(
        MessageTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("template"),
    )
    group_by = models.JSONField(_("grouped by"), default=list, blank=True)
    max_inline = models.PositiveIntegerField(_("events listed in the message"), default=50)
    sign = models.BooleanField(_("sign with PGP"), default=True)
    encrypt = models.BooleanField(_("encrypt with PGP"), default=False)
    delegation = models.CharField(
        _("delivery"), max_length=16, choices=Delegation.choices, default=Delegation.SEND
    )
    # Progress.
    last_event_id = models.BigIntegerField(default=0, editable=False)
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["team__short_name", "name"]
        verbose_name_plural = _("notification policies")

    def __str__(self) -> str:
        return f"{self.team.short_name}: {self.name}"

    def clean(self) -> None:
        super().clean()
        problems: dict[str, Any] = {}
        if self.recipient_kind == RecipientKind.CONTACT and self.contact_id is None:
            problems["contact"] = _("Choose the contact to write to.")
        if self.recipient_kind == RecipientKind.WEBHOOK and not self.webhook_url:
            problems["webhook_url"] = _("Give the webhook's URL.")
        if self.scope == Scope.ORGANISATION and (
            self.recipient_kind != RecipientKind.CONTACT
            or self.contact is None
            or self.contact.organisation_id is None
        ):
            problems["scope"] = _("Only a contact of an organisation receives its events.")
        if self.at_hour > 23:
            problems["at_hour"] = _("An hour is 0 to 23.")
        if self.weekday > 6:
            problems["weekday"] = _("A weekday is 0 (Monday) to 6 (Sunday).")
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            problems["timezone"] = _("Unknown time zone.")
        if self.template is not None and self.template.team_id != self.team_id:
            problems["template"] = _("Use one of the team's own templates.")
        for name in ("types", "taxonomies", "feeds", "group_by"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems[name] = _("A list of names.")
        if problems:
            raise ValidationError(problems)


class OutboxMessage(models.Model):
    """One message built from one digest: what was (or will be) sent, to
    whom, and how its delivery went."""

    digest_key = models.CharField(max_length=64, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("team")
    )
    policy = models.ForeignKey(
        NotificationPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("policy"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=RecipientKind.choices)
    recipient = models.CharField(_("recipient"), max_length=500)
    copy_to = models.JSONField(_("copies"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    body = models.TextField(_("body"))
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(blank=True, default=b"")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices)
    event_count = models.PositiveIntegerField(_("events"))
    sign = models.BooleanField(default=False)
    encrypt = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    interval_start = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["team", "-created_at"], name="outbox_team_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} → {self.recipient}"
