"""The community directory: organisations, contacts, constituency claims and the
RIR delegation data used as the country fallback. Teams live in ``core``."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from baobab.core.models import (
    Shared,
    Team,
    country_validator,
    short_name_validator,
    validate_unreserved_short_name,
)
from baobab.directory.choices import (
    ClaimKind,
    ClaimSource,
    ContactKind,
    DelegatedKind,
    OrganisationKind,
)


class Organisation(models.Model):
    """A constituent or partner: an ISP, a ministry, a bank, an expert …"""

    short_name = models.CharField(
        _("short name"),
        max_length=64,
        validators=[short_name_validator, validate_unreserved_short_name],
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[country_validator]
    )
    website = models.URLField(_("website"), blank=True)
    managed_by = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name=_("coordinating team"),
        help_text=_("The team whose constituency this organisation belongs to."),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["short_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("short_name"), name="organisation_short_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.short_name


class Contact(Shared):
    """A point of contact of a team or an organisation: a person or a role mailbox.

    ``owner_team`` is the team that maintains the entry: the team itself, or
    the organisation's coordinating team. TLP and distribution decide who
    sees it, through the visibility rule.
    """

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=ContactKind.choices, default=ContactKind.ROLE
    )
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("function"), max_length=120, blank=True)
    emails = models.JSONField(_("e-mail addresses"), default=list, blank=True)
    phones = models.JSONField(
        _("phone numbers"),
        default=list,
        blank=True,
        help_text=_('A list of {"number": …, "kind": "emergency" or "voice"}.'),
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    is_24x7 = models.BooleanField(_("reachable 24/7"), default=False)
    pgp_key = models.TextField(_("PGP public key"), blank=True)
    pgp_fingerprint = models.CharField(_("PGP fingerprint"), max_length=64, blank=True)
    pgp_expires_at = models.DateTimeField(_("PGP key expiry"), null=True, blank=True)
    pgp_user_ids = models.JSONField(default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(organisation__isnull=True))
                | (Q(team__isnull=True) & Q(organisation__isnull=False)),
                name="contact_has_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def holder(self) -> Team | Organisation:
        holder = self.team or self.organisation
        assert holder is not None
        return holder


class ConstituencyClaim(models.Model):
    """A team's or an organisation's claim to a country, an ASN, a prefix or a domain.

    ``value`` is normalised: ``KE``; ``37100``; ``198.51.100.0/24``;
    ``example.org``.
    """

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="claims"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="claims"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=ClaimKind.choices)
    value = models.CharField(_("value"), max_length=255)
    source = models.CharField(
        _("source"), max_length=8, choices=ClaimSource.choices, default=ClaimSource.MANUAL
    )
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["kind", "value"]
        indexes: ClassVar = [models.Index(fields=["kind", "value"])]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(organisation__isnull=True))
                | (Q(team__isnull=True) & Q(organisation__isnull=False)),
                name="claim_has_one_holder",
            ),
            models.UniqueConstraint(
                fields=["team", "kind", "value"],
                condition=Q(team__isnull=False),
                name="claim_unique_per_team",
            ),
            models.UniqueConstraint(
                fields=["organisation", "kind", "value"],
                condition=Q(organisation__isnull=False),
                name="claim_unique_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def holder(self) -> Team | Organisation:
        holder = self.team or self.organisation
        assert holder is not None
        return holder


class DelegatedRange(models.Model):
    """One row of an RIR delegated-extended statistics file: a range of
    addresses or AS numbers and its country of registration."""

    registry = models.CharField(max_length=16)
    kind = models.CharField(max_length=4, choices=DelegatedKind.choices)
    first = models.CharField(max_length=45, help_text="First address or AS number")
    size = models.CharField(
        max_length=40,
        help_text="Number of addresses/ASNs (IPv4, ASN) or prefix length (IPv6)",
    )
    country = models.CharField(max_length=2)
    status = models.CharField(max_length=16)
    date = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["kind", "id"]
        indexes: ClassVar = [models.Index(fields=["registry"])]

    def __str__(self) -> str:
        return f"{self.registry} {self.kind} {self.first}/{self.size} {self.country}"


class LookupIndexState(models.Model):
    """A counter bumped on every change the look-up index depends on, so that
    every process knows when its in-memory index is stale (one row)."""

    generation = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"look-up index generation {self.generation}"
