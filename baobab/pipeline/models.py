"""Feeds, their runs (split into chunks), the events they store and the
records they quarantine."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team, validate_unreserved_short_name
from baobab.directory.models import ConstituencyClaim, Organisation
from baobab.pipeline.choices import (
    ChunkStatus,
    Collector,
    QuarantineStatus,
    RunStatus,
    Taxonomy,
)

feed_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
    _("Use letters, digits, dots, dashes or underscores (at most 100)."),
)


class Feed(models.Model):
    """A source of security events: where its reports come from, how to read
    them, and how the events it gives are marked and deduplicated."""

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        validators=[feed_name_validator, validate_unreserved_short_name],
    )
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Empty for a MISP feed: its events become shared objects, not parsed rows.
    parser = models.CharField(_("parser"), max_length=64, blank=True)
    report = models.CharField(
        _("report type"),
        max_length=100,
        blank=True,
        help_text=_("For parsers with several report types; empty: from the file name."),
    )
    parser_options = models.JSONField(_("parser options"), default=dict, blank=True)
    collector = models.CharField(
        _("collector"), max_length=16, choices=Collector.choices, default=Collector.UPLOAD
    )
    collector_options = models.JSONField(_("collector options"), default=dict, blank=True)
    # What the collector remembers between runs (ETag, Last-Modified, seen UIDs…).
    collector_state = models.JSONField(default=dict, blank=True, editable=False)
    schedule_minutes = models.PositiveIntegerField(
        _("fetch every (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: only when run by hand or when a report arrives."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feeds",
        verbose_name=_("team running the feed"),
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    classification_taxonomy = models.CharField(
        _("default taxonomy"), max_length=40, choices=Taxonomy.choices, blank=True
    )
    classification_type = models.CharField(_("default type"), max_length=60, blank=True)
    classification_identifier = models.CharField(
        _("default identifier"), max_length=100, blank=True
    )
    dedup_fields = models.JSONField(
        _("deduplication fields"),
        default=list,
        blank=True,
        help_text=_("Empty: every field but raw and time.observation."),
    )
    dedup_window_hours = models.PositiveIntegerField(
        _("deduplication window (hours)"),
        default=24,
        help_text=_("The same event again within this window is a duplicate."),
    )
    retention_days = models.PositiveIntegerField(
        _("keep events (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the community's default."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class FeedRun(models.Model):
    """One report going through the pipeline: its counts, errors and chunks."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    source = models.CharField(_("source"), max_length=500, blank=True)
    # The report, kept in the data folder so chunks can be processed (again).
    input_path = models.CharField(max_length=500, blank=True)
    input_sha256 = models.CharField(max_length=64, blank=True)
    input_size = models.BigIntegerField(default=0)
    report = models.CharField(_("report type"), max_length=100, blank=True)
    # What the parser read from the report's head (columns, lines to skip…),
    # so that any worker can parse any chunk.
    setup = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    parsed = models.BigIntegerField(_("parsed"), default=0)
    stored = models.BigIntegerField(_("stored"), default=0)
    duplicates = models.BigIntegerField(_("duplicates"), default=0)
    quarantined = models.BigIntegerField(_("quarantined"), default=0)
    unrouted = models.BigIntegerField(_("unrouted"), default=0)
    per_team = models.JSONField(_("routed per team"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["feed", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.feed} run {self.pk}"


class RunChunk(models.Model):
    """A slice of a run's report (byte range), processed in one transaction:
    its events, its quarantined records and its ``done`` mark commit together,
    so a killed worker leaves the chunk pending and nothing half-written."""

    run = models.ForeignKey(FeedRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    start_offset = models.BigIntegerField()
    end_offset = models.BigIntegerField()
    first_line = models.BigIntegerField(help_text="Line number of the chunk's first line.")
    status = models.CharField(
        max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["run", "index"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["run", "index"], name="chunk_unique_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class Event(models.Model):
    """A normalised, enriched and routed security event.

    The columns hold what is searched; ``data`` holds the whole event with its
    flat dotted field names. Visibility follows the one rule: the team running
    the feed owns it, the responsible team (``team``) is its named recipient.
    """

    # The visibility rule reads the named recipient from this foreign key.
    recipient_team_field = "team"

    # Unique through Meta.constraints (no extra LIKE index on PostgreSQL).
    dedup_key = models.CharField(max_length=40)
    # Foreign keys the composite indexes below already cover carry no index of
    # their own: every index costs each of the millions of inserts. No foreign
    # key is a database constraint either (db_constraint=False): checking seven
    # of them per row doubled PostgreSQL's work on a bulk COPY. Deletions still
    # cascade or empty the reference through Django (on_delete), and the store
    # leaves out references to rows deleted while a chunk was processed.
    feed = models.ForeignKey(
        Feed, on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False
    )
    run = models.ForeignKey(
        FeedRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_constraint=False,
    )
    time_source = models.DateTimeField(null=True, blank=True)
    time_observation = models.DateTimeField()
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    # 16 bytes (IPv4 mapped into IPv6) so that a prefix is a range of keys.
    source_ip_key = models.BinaryField(max_length=16, null=True, blank=True)
    source_port = models.PositiveIntegerField(null=True, blank=True)
    source_asn = models.BigIntegerField(null=True, blank=True)
    source_cc = models.CharField(max_length=2, blank=True)
    source_fqdn = models.CharField(max_length=255, blank=True)
    source_url = models.TextField(blank=True)
    destination_ip = models.GenericIPAddressField(null=True, blank=True)
    destination_port = models.PositiveIntegerField(null=True, blank=True)
    classification_taxonomy = models.CharField(max_length=40, blank=True)
    classification_type = models.CharField(max_length=60, blank=True)
    classification_identifier = models.CharField(max_length=100, blank=True)
    protocol_transport = models.CharField(max_length=20, blank=True)
    protocol_application = models.CharField(max_length=60, blank=True)
    malware_name = models.CharField(max_length=100, blank=True)
    # Routing: the responsible team (directly or as the organisation's
    # coordinating team), the organisation when one matched, and the claim.
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_constraint=False,
    )
    claim = models.ForeignKey(
        ConstituencyClaim,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    route_step = models.CharField(max_length=16, blank=True)
    # Visibility, as the one rule reads it.
    owner_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    tlp = models.CharField(max_length=16, choices=TLP.choices, default=TLP.AMBER)
    distribution = models.CharField(
        max_length=16, choices=Distribution.choices, default=Distribution.TEAM
    )
    sharing_group = models.ForeignKey(
        SharingGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-time_observation", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["source_ip_key"], name="event_ip_key"),
            models.Index(fields=["source_asn"], name="event_asn"),
            models.Index(fields=["team", "-time_observation"], name="event_team_time"),
            models.Index(fields=["classification_type"], name="event_type"),
            models.Index(fields=["-time_observation"], name="event_time"),
            models.Index(fields=["feed", "-time_observation"], name="event_feed_time"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["dedup_key"], name="event_dedup_key_unique")
        ]

    def __str__(self) -> str:
        what = self.source_ip or self.source_fqdn or self.source_url or "?"
        return f"{self.classification_type or 'event'} {what}"


class QuarantinedRecord(models.Model):
    """A record that could not be read or failed validation, kept with its raw
    text and the reason until it is re-processed or discarded."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="quarantine")
    run = models.ForeignKey(
        FeedRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="quarantine"
    )
    chunk_index = models.PositiveIntegerField(null=True, blank=True)
    line = models.BigIntegerField(_("line"), null=True, blank=True)
    raw = models.TextField(_("raw record"))
    reason = models.TextField(_("reason"))
    field = models.CharField(_("field"), max_length=100, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=QuarantineStatus.choices,
        default=QuarantineStatus.OPEN,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [models.Index(fields=["feed", "status"])]
        constraints: ClassVar = [
            # A chunk processed again (after a crash) quarantines nothing twice.
            models.UniqueConstraint(
                fields=["run", "chunk_index", "line"], name="quarantine_unique_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.feed} line {self.line}: {self.reason[:60]}"
