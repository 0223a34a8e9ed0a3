"""Enumerations of the pipeline: the RSIT classification, collectors, run states."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The Reference Security Incident Taxonomy as IntelMQ uses it: type -> taxonomy.
# ("other" and "test" are outside RSIT proper.)
RSIT: dict[str, tuple[str, ...]] = {
    "abusive-content": ("spam", "harmful-speech", "violence"),
    "availability": ("ddos", "dos", "outage", "sabotage", "misconfiguration"),
    "fraud": ("copyright", "masquerade", "phishing", "unauthorized-use-of-resources"),
    "information-content-security": (
        "unauthorised-information-access",
        "unauthorised-information-modification",
        "data-loss",
        "data-leak",
    ),
    "information-gathering": ("scanner", "sniffing", "social-engineering"),
    "intrusion-attempts": ("brute-force", "exploit", "ids-alert"),
    "intrusions": (
        "application-compromise",
        "burglary",
        "privileged-account-compromise",
        "system-compromise",
        "unprivileged-account-compromise",
    ),
    "malicious-code": (
        "c2-server",
        "infected-system",
        "malware-configuration",
        "malware-distribution",
    ),
    "vulnerable": (
        "ddos-amplifier",
        "information-disclosure",
        "potentially-unwanted-accessible",
        "vulnerable-system",
        "weak-crypto",
    ),
    "other": ("blacklist", "dga-domain", "malware", "other", "proxy", "tor", "undetermined"),
    "test": ("test",),
}
# Every type belongs to exactly one taxonomy ("other" and "malware" excepted by
# name only: each type string appears once).
TAXONOMY_OF_TYPE: dict[str, str] = {
    type_: taxonomy for taxonomy, types in RSIT.items() for type_ in types
}


class Taxonomy(models.TextChoices):
    ABUSIVE_CONTENT = "abusive-content", _("Abusive content")
    AVAILABILITY = "availability", _("Availability")
    FRAUD = "fraud", _("Fraud")
    INFORMATION_CONTENT_SECURITY = "information-content-security", _("Information content security")
    INFORMATION_GATHERING = "information-gathering", _("Information gathering")
    INTRUSION_ATTEMPTS = "intrusion-attempts", _("Intrusion attempts")
    INTRUSIONS = "intrusions", _("Intrusions")
    MALICIOUS_CODE = "malicious-code", _("Malicious code")
    VULNERABLE = "vulnerable", _("Vulnerable")
    OTHER = "other", _("Other")
    TEST = "test", _("Test")


class Collector(models.TextChoices):
    """Where a feed's reports come from."""

    FILE = "file", _("A file or a watched folder")
    UPLOAD = "upload", _("Uploads (web page or API)")
    HTTP = "http", _("An HTTP(S) address fetched on a schedule")
    IMAP = "imap", _("An IMAP mailbox (report attachments)")
    MISP = "misp", _("A MISP feed (address or folder), imported as shared objects")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ChunkStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")


class QuarantineStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REPROCESSED = "reprocessed", _("Re-processed")
    DISCARDED = "discarded", _("Discarded")
