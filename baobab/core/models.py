"""Users, teams and their memberships, API tokens, sharing groups, the audit log
and the community's own settings."""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import (
    TLP,
    AuditChannel,
    Distribution,
    Role,
    TeamType,
    VettingLevel,
)

short_name_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    _("Use letters, digits, dots, dashes or underscores (at most 64)."),
)
# Words the directory's addresses use after /teams/ or /organisations/.
RESERVED_SHORT_NAMES = frozenset({"new"})


def validate_unreserved_short_name(value: str) -> None:
    """Refuse short names that would collide with a page address."""
    if value.lower() in RESERVED_SHORT_NAMES:
        raise ValidationError(
            _("%(value)s is reserved; choose another short name.") % {"value": value}
        )


country_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use a two-letter ISO 3166 country code, such as KE.")
)


def validate_timezone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone (for example Africa/Nairobi)."),
            params={"value": value},
        )


class User(AbstractUser):
    """A person who logs in to Baobab."""

    is_community_admin = models.BooleanField(
        _("community administrator"),
        default=False,
        help_text=_("Manages the community: teams, membership, vetting and settings."),
    )
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    totp_confirmed = models.BooleanField(_("second factor enabled"), default=False)
    # The time step of the last code accepted: a code is good once (RFC 6238, 5.2).
    totp_last_step = models.PositiveBigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.username


class Team(models.Model):
    """A CSIRT/CERT of the community: its identity and directory profile."""

    short_name = models.CharField(
        _("short name"),
        max_length=64,
        validators=[short_name_validator, validate_unreserved_short_name],
    )
    name = models.CharField(_("name"), max_length=200)
    team_type = models.CharField(_("type"), max_length=16, choices=TeamType.choices)
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[country_validator]
    )
    vetting_level = models.CharField(
        _("vetting level"),
        max_length=16,
        choices=VettingLevel.choices,
        default=VettingLevel.LISTED,
    )
    member_since = models.DateField(_("member since"), null=True, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone_24x7 = models.CharField(_("24/7 phone"), max_length=40, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_timezone]
    )
    business_hours = models.CharField(_("business hours"), max_length=120, blank=True)
    rfc2350 = models.TextField(
        _("RFC 2350 description"),
        blank=True,
        help_text=_("The team's description in the RFC 2350 format, or a link to it."),
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    members = models.ManyToManyField(User, through="Membership", related_name="teams")

    class Meta:
        ordering: ClassVar = ["short_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("short_name"), name="team_short_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.short_name


class Membership(models.Model):
    """A user's role in one team."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["team__short_name", "user__username"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class ApiToken(models.Model):
    """An API key: only its SHA-256 hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SharingGroup(models.Model):
    """A named set of teams that share objects with each other."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="owned_sharing_groups"
    )
    member_teams = models.ManyToManyField(Team, related_name="sharing_groups", blank=True)
    members_can_add = models.BooleanField(_("members may add teams"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Shared(models.Model):
    """Fields every shared object carries so the visibility rule can judge it."""

    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner team")
    )
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.GREEN)
    distribution = models.CharField(
        _("distribution"),
        max_length=16,
        choices=Distribution.choices,
        default=Distribution.COMMUNITY,
    )
    sharing_group = models.ForeignKey(
        SharingGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sharing group"),
    )
    recipient_teams = models.ManyToManyField(
        Team, blank=True, related_name="+", verbose_name=_("named recipients")
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.distribution == Distribution.GROUP and self.sharing_group_id is None:
            raise ValidationError({"sharing_group": _("Choose the sharing group to share with.")})
        if self.distribution != Distribution.GROUP and self.sharing_group_id is not None:
            raise ValidationError(
                {"sharing_group": _("A sharing group is only used with group distribution.")}
            )


class AuditEntry(models.Model):
    """One change to Baobab's data: who, through which channel, what, before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=8, choices=AuditChannel.choices)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class CommunitySettings(models.Model):
    """Settings the community administrators change at run time (one row)."""

    name = models.CharField(_("community name"), max_length=120, blank=True)
    totp_required_roles = models.JSONField(
        _("roles that must use a second factor"),
        default=list,
        blank=True,
        help_text=_("Any of viewer, analyst, admin, community_admin."),
    )

    class Meta:
        verbose_name_plural = "community settings"

    def __str__(self) -> str:
        return self.name or "community settings"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> CommunitySettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
