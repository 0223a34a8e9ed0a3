"""The enumerations of notifications, as stored and shown."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecipientKind(models.TextChoices):
    """Who a policy writes to."""

    TEAM = "team", _("The team itself")
    CONTACT = "contact", _("A contact")
    WEBHOOK = "webhook", _("A webhook")


class Scope(models.TextChoices):
    """Which routed events a policy considers."""

    TEAM = "team", _("Routed to the team")
    ORGANISATION = "organisation", _("Routed to the contact's organisation")
    ANY = "any", _("Every event the team may see")


class Delegation(models.TextChoices):
    """What happens to a message once built."""

    SEND = "send", _("Send to the recipient")
    COPY_TEAM = "copy-team", _("Send and copy the team")
    HOLD = "hold", _("Hold for review")


class IntervalChoice(models.TextChoices):
    """How often a recipient hears (baobab.notify.policy.Interval)."""

    IMMEDIATELY = "immediately", _("At once")
    HOURLY = "hourly", _("Hourly")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class FormatChoice(models.TextChoices):
    """How the events travel."""

    CSV = "csv", _("CSV attachment")
    JSON = "json", _("JSON attachment")
    INLINE = "inline", _("Table in the message")


class Language(models.TextChoices):
    """The languages messages are shipped in."""

    EN = "en", "English"
    FR = "fr", "Français"
    AR = "ar", "العربية"
    PT = "pt", "Português"


class Severity(models.TextChoices):
    """ShadowServer's severities, least first (baobab.notify.policy.SEVERITY_ORDER)."""

    INFO = "info", _("Info")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class MessageStatus(models.TextChoices):
    """Where a message of the outbox stands."""

    HELD = "held", _("Held for review")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


# Messages a delivery pass picks up.
DELIVERABLE = (MessageStatus.QUEUED, MessageStatus.RETRYING)
