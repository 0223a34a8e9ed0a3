"""REST representations of the directory: teams, organisations, contacts,
constituency claims and conflicting claims.

The serializers read and check the request; the services layer validates the
rest (normalised claim values, PGP keys, e-mail and phone lists) and writes.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from baobab.core.models import SharingGroup, Team, country_validator
from baobab.directory.choices import PhoneKind
from baobab.directory.conflicts import Conflict
from baobab.directory.models import ConstituencyClaim, Contact, Organisation

_TIMESTAMPS = ["created_at", "updated_at"]


def _unique_short_name(
    model: type[Team | Organisation], value: str, instance: Team | Organisation | None
) -> str:
    others = model.objects.filter(short_name__iexact=value)
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        raise serializers.ValidationError(
            _("The short name %(name)s is already taken.") % {"name": value}
        )
    return value


def _country(value: str) -> str:
    value = value.strip().upper()
    if value:
        country_validator(value)
    return value


class TeamSerializer(serializers.ModelSerializer[Team]):
    """A team's directory profile. Changing ``vetting_level`` needs a community admin."""

    country = serializers.CharField(max_length=2, required=False, allow_blank=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "short_name",
            "name",
            "team_type",
            "country",
            "vetting_level",
            "member_since",
            "website",
            "email",
            "phone_24x7",
            "timezone",
            "business_hours",
            "rfc2350",
            "is_demo",
            *_TIMESTAMPS,
        ]
        read_only_fields = ["id", "is_demo", *_TIMESTAMPS]

    def validate_short_name(self, value: str) -> str:
        return _unique_short_name(Team, value, self.instance)

    def validate_country(self, value: str) -> str:
        return _country(value)


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    """An organisation and the team that coordinates it (``managed_by``, a team id)."""

    managed_by_short_name = serializers.CharField(source="managed_by.short_name", read_only=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "short_name",
            "name",
            "kind",
            "country",
            "website",
            "managed_by",
            "managed_by_short_name",
            "notes",
            "is_demo",
            *_TIMESTAMPS,
        ]
        read_only_fields = ["id", "is_demo", *_TIMESTAMPS]

    def validate_short_name(self, value: str) -> str:
        return _unique_short_name(Organisation, value, self.instance)

    def validate_country(self, value: str) -> str:
        return _country(value)


class ContactPhoneSerializer(serializers.Serializer[dict[str, str]]):
    """One phone number and whether it is the emergency line."""

    number = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=PhoneKind.choices, default=PhoneKind.VOICE)


class HolderMixin:
    """Exactly one holder (``team`` or ``organisation``) on create; fixed afterwards."""

    instance: Any
    moved_message: Any = _lazy("This cannot move to another team or organisation.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # type: ignore[misc]
        if self.instance is None:
            if bool(attrs.get("team")) == bool(attrs.get("organisation")):
                raise serializers.ValidationError(
                    _("Give a team or an organisation: exactly one of the two.")
                )
            return attrs
        for name in ("team", "organisation"):
            if name in attrs and attrs[name] != getattr(self.instance, name):
                raise serializers.ValidationError({name: str(self.moved_message)})
            attrs.pop(name, None)
        return attrs


class ContactSerializer(HolderMixin, serializers.ModelSerializer[Contact]):
    """A point of contact; only those the requester may see are ever returned.

    ``pgp_key`` takes an ASCII-armoured public key; the fingerprint, expiry and
    user ids are read from it. ``owner_team`` is the team maintaining the entry.
    """

    moved_message = _lazy("A contact cannot move to another team or organisation.")
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    emails = serializers.ListField(child=serializers.EmailField(), required=False)
    phones = ContactPhoneSerializer(many=True, required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    pgp_key = serializers.CharField(required=False, allow_blank=True)
    pgp_expired = serializers.SerializerMethodField()
    sharing_group = serializers.PrimaryKeyRelatedField(
        queryset=SharingGroup.objects.all(), required=False, allow_null=True
    )
    recipient_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "team",
            "organisation",
            "owner_team",
            "kind",
            "name",
            "title",
            "emails",
            "phones",
            "languages",
            "is_24x7",
            "pgp_key",
            "pgp_fingerprint",
            "pgp_expires_at",
            "pgp_user_ids",
            "pgp_expired",
            "tlp",
            "distribution",
            "sharing_group",
            "recipient_teams",
            *_TIMESTAMPS,
        ]
        read_only_fields = [
            "id",
            "owner_team",
            "pgp_fingerprint",
            "pgp_expires_at",
            "pgp_user_ids",
            *_TIMESTAMPS,
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_pgp_expired(self, contact: Contact) -> bool:
        """Whether the contact's key has passed its expiry date."""
        now = self.context.get("now")
        return bool(contact.pgp_expires_at and now and contact.pgp_expires_at <= now)


class ClaimSerializer(HolderMixin, serializers.ModelSerializer[ConstituencyClaim]):
    """A constituency claim; ``value`` is stored normalised (``AS64500`` → ``64500``)."""

    moved_message = _lazy("A claim cannot move to another team or organisation.")
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    holder = serializers.SerializerMethodField()

    class Meta:
        model = ConstituencyClaim
        fields = [
            "id",
            "team",
            "organisation",
            "holder",
            "kind",
            "value",
            "source",
            "source_detail",
            "valid_from",
            "valid_until",
            *_TIMESTAMPS,
        ]
        read_only_fields = ["id", *_TIMESTAMPS]
        # Uniqueness is checked by the service on the normalised value.
        validators: list[Any] = []

    @extend_schema_field(serializers.CharField())
    def get_holder(self, claim: ConstituencyClaim) -> str:
        """The short name of the team or organisation making the claim."""
        return claim.holder.short_name


class ConflictSerializer(serializers.Serializer[Conflict]):
    """A value claimed by several holders, or (``overlap``) a prefix inside
    another team's prefix (``covering``)."""

    kind = serializers.CharField()
    value = serializers.CharField()
    overlap = serializers.BooleanField()
    single_team = serializers.BooleanField()
    claims = ClaimSerializer(many=True)
    covering = ClaimSerializer(allow_null=True)
