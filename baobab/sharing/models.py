"""Shared threat intelligence: indicators, reports, sightings, relationships
and the STIX objects of other types a team received, each with its versions.

Every object is a :class:`~baobab.core.models.Shared` (owner team, TLP,
distribution, sharing group, named recipients), so the one visibility rule
judges it. Each carries its STIX identity (``stix_id``; the same id held by
two teams is two objects), STIX ``created``/``modified`` times, confidence
and a validity window. Each change stores an :class:`ObjectVersion`: the
object's STIX form at that version with that version's own marking, which
the TAXII server and the exports read.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from baobab.core.models import Shared
from baobab.sharing.choices import IndicatorKind
from baobab.sharing.values import MAX_VALUE

STIX_ID_LENGTH = 300  # "<type>--<uuid>"; a STIX type name may have 250 characters


class SharedObject(Shared):
    """What every shared STIX object holds besides its marking."""

    stix_id = models.CharField(_("STIX id"), max_length=STIX_ID_LENGTH)
    created = models.DateTimeField(_("created"), default=timezone.now)
    modified = models.DateTimeField(_("modified"), default=timezone.now)
    # When this version reached Baobab: TAXII's date_added.
    added_at = models.DateTimeField(_("added"), default=timezone.now)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)
    # The STIX identity that made it, when it came from elsewhere.
    created_by_ref = models.CharField(max_length=STIX_ID_LENGTH, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta(Shared.Meta):
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.valid_until is not None and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("It must end after it starts to be valid.")})

    @property
    def is_expired(self) -> bool:
        return self.valid_until is not None and self.valid_until <= timezone.now()


def _unique_stix_id(name: str) -> models.UniqueConstraint:
    # STIX id first: the same index finds every holder of an id (references
    # are looked up by id alone, on every TAXII page and export).
    return models.UniqueConstraint(fields=["stix_id", "owner_team"], name=name)


class Indicator(SharedObject):
    """A value (address, domain, URL, hash …) a team shares as a sign of harm."""

    kind = models.CharField(_("type"), max_length=16, choices=IndicatorKind.choices)
    value = models.CharField(_("value"), max_length=MAX_VALUE)
    name = models.CharField(_("name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=20_000)
    labels = models.JSONField(_("labels"), default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["-modified", "-id"]
        constraints: ClassVar = [_unique_stix_id("sharing_indicator_stix_id")]
        indexes: ClassVar = [
            models.Index(fields=["value", "kind"], name="sharing_indicator_value"),
            models.Index(fields=["added_at"], name="sharing_indicator_added"),
            # The search page and API list, newest first.
            models.Index(fields=["-modified", "-id"], name="sharing_indicator_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class Report(SharedObject):
    """A written analysis (Markdown) and the objects it is about."""

    title = models.CharField(_("title"), max_length=250)
    body = models.TextField(_("text"), blank=True, max_length=200_000)
    published = models.DateTimeField(_("published"), default=timezone.now)
    report_types = models.JSONField(_("report types"), default=list, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    # STIX ids of the objects the report is about (shown only where visible).
    object_refs = models.JSONField(_("objects"), default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["-published", "-id"]
        constraints: ClassVar = [_unique_stix_id("sharing_report_stix_id")]

    def __str__(self) -> str:
        return self.title


def _attachment_path(instance: ReportAttachment, filename: str) -> str:
    return f"sharing/reports/{instance.report_id}/{filename}"


class ReportAttachment(models.Model):
    """A file attached to a report; seen by whoever may see the report."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Sighting(SharedObject):
    """A team saw an indicator: when first and last, how many times, where."""

    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sightings",
        verbose_name=_("indicator"),
    )
    # What was seen, as STIX names it (an indicator id, or another object).
    sighting_of_ref = models.CharField(max_length=STIX_ID_LENGTH)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now)
    count = models.PositiveIntegerField(_("times seen"), default=1)
    description = models.TextField(_("description"), blank=True, max_length=20_000)

    class Meta:
        ordering: ClassVar = ["-last_seen", "-id"]
        constraints: ClassVar = [_unique_stix_id("sharing_sighting_stix_id")]

    def clean(self) -> None:
        super().clean()
        if self.first_seen and self.last_seen and self.last_seen < self.first_seen:
            raise ValidationError({"last_seen": _("It cannot be seen last before it was first.")})

    def __str__(self) -> str:
        return f"{self.sighting_of_ref} ×{self.count}"


class Relationship(SharedObject):
    """A link between two objects ("this domain indicates that campaign")."""

    relationship_type = models.CharField(_("relationship"), max_length=100)
    source_ref = models.CharField(_("from"), max_length=STIX_ID_LENGTH)
    target_ref = models.CharField(_("to"), max_length=STIX_ID_LENGTH)
    description = models.TextField(_("description"), blank=True, max_length=20_000)

    class Meta:
        ordering: ClassVar = ["-modified", "-id"]
        constraints: ClassVar = [_unique_stix_id("sharing_relationship_stix_id")]
        indexes: ClassVar = [
            models.Index(fields=["source_ref"], name="sharing_relationship_source"),
            models.Index(fields=["target_ref"], name="sharing_relationship_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source_ref} {self.relationship_type} {self.target_ref}"


class KeptObject(SharedObject):
    """A STIX object of a type Baobab does not model (identity, malware,
    observed-data, x-… types): kept as received, shared and exported again."""

    stix_type = models.CharField(_("STIX type"), max_length=250)
    content = models.JSONField()

    class Meta:
        ordering: ClassVar = ["stix_type", "-modified", "-id"]
        constraints: ClassVar = [_unique_stix_id("sharing_keptobject_stix_id")]

    def __str__(self) -> str:
        return self.stix_id


class ObjectVersion(Shared):
    """One version of a shared object as STIX, with that version's marking.

    ``is_current`` marks the newest version of each object; TAXII's objects,
    manifest and versions endpoints and the STIX export read this table.
    """

    stix_id = models.CharField(max_length=STIX_ID_LENGTH)
    stix_type = models.CharField(max_length=250)
    modified = models.DateTimeField()
    added_at = models.DateTimeField(default=timezone.now)
    is_current = models.BooleanField(default=True)
    content = models.JSONField()

    class Meta:
        ordering: ClassVar = ["added_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["owner_team", "stix_id", "modified"], name="sharing_version_unique"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["added_at", "id"], name="sharing_version_added"),
            models.Index(fields=["stix_id", "modified"], name="sharing_version_stix_id"),
        ]

    def __str__(self) -> str:
        return f"{self.stix_id} @ {self.modified.isoformat()}"


class TaxiiStatus(models.Model):
    """What became of one request adding objects to a TAXII collection: the
    TAXII status resource, kept so that its author can read it again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The TAXII id of the collection written to (a uuid5 of its scope).
    collection = models.UUIDField(_("collection"))
    team = models.ForeignKey(
        "core.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    request_timestamp = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, default="complete")
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    # Lists of TAXII status details: {"id", "version", "message"?}.
    successes = models.JSONField(default=list, blank=True)
    failures = models.JSONField(default=list, blank=True)
    pendings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["-request_timestamp"]
        verbose_name_plural = "TAXII statuses"

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"
