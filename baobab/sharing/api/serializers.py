"""REST representations of shared objects and sharing groups.

The serializers read and check the request; the services layer validates
the rest (values normalised as their type, a sharing group the team is in,
who may) and writes. ``tlp`` is written out with the official labels
(``TLP:AMBER+STRICT``) and read in any spelling :meth:`TLP.from_label`
knows; ``team`` is the owner team, given on creation and kept.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team
from baobab.sharing.choices import IndicatorKind
from baobab.sharing.correlation import SeenBy
from baobab.sharing.models import (
    Indicator,
    Relationship,
    Report,
    ReportAttachment,
    SharedObject,
    Sighting,
)

STIX_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F-]{36}$")
TLP_LABELS = [str(label) for label in TLP.labels]


class TLPField(serializers.Field):
    """A TLP level: written as its official label, read in any spelling."""

    default_error_messages = {
        "invalid": _lazy("Unknown TLP {value}; use one of {labels}."),
    }

    def to_representation(self, value: str) -> str:
        return str(TLP(value).label)

    def to_internal_value(self, data: Any) -> str:
        text = str(data)
        for spelling in (text, text.strip().replace(" ", "+")):
            try:
                return TLP.from_label(spelling).value
            except ValueError:
                continue
        self.fail("invalid", value=repr(text), labels=", ".join(TLP_LABELS))
        return ""  # not reached: fail() raises


class TLPFieldSchema(OpenApiSerializerFieldExtension):
    """Documents :class:`TLPField` as the ``TlpLabelEnum`` component: the
    official labels (the lower-case values are accepted too)."""

    target_class = "baobab.sharing.api.serializers.TLPField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        component = ResolvedComponent(
            name="TlpLabelEnum",
            type=ResolvedComponent.SCHEMA,
            object="TlpLabelEnum",
            schema={
                "type": "string",
                "enum": TLP_LABELS,
                "description": "A TLP 2.0 label. Lower-case values (amber+strict) are "
                "accepted on input too.",
            },
        )
        auto_schema.registry.register_on_missing(component)
        return dict(component.ref)


def stix_ids(values: list[str]) -> list[str]:
    """``values`` if each is a STIX id (``type--uuid``), duplicates dropped."""
    bad = [value for value in values if not STIX_ID.match(value)]
    if bad:
        raise serializers.ValidationError(
            _("Not STIX ids (type--uuid): %(ids)s.") % {"ids": ", ".join(bad[:5])}
        )
    return list(dict.fromkeys(values))


_MARKING = ["tlp", "distribution", "sharing_group", "recipient_teams"]
_VALIDITY = ["confidence", "valid_from", "valid_until", "revoked", "expired"]
_STIX = ["created", "modified"]


class SharedObjectSerializer(serializers.ModelSerializer[SharedObject]):
    """What every shared object carries: its owner team, its STIX identity,
    its marking, confidence and validity."""

    team = serializers.PrimaryKeyRelatedField(
        source="owner_team",
        queryset=Team.objects.all(),
        required=False,
        help_text=_lazy(
            "The id of the team that shares it; given on creation (optional when "
            "you share for one team only) and kept."
        ),
    )
    team_short_name = serializers.CharField(source="owner_team.short_name", read_only=True)
    tlp = TLPField(required=False, default=TLP.GREEN.value)
    distribution = serializers.ChoiceField(
        choices=Distribution.choices,
        required=False,
        default=Distribution.COMMUNITY.value,
        help_text=_lazy(
            "team: the own team only; group: the sharing group's teams; "
            "community: every member; public: anybody (with TLP:CLEAR)."
        ),
    )
    sharing_group = serializers.PrimaryKeyRelatedField(
        queryset=SharingGroup.objects.all(),
        required=False,
        allow_null=True,
        help_text=_lazy("The group shared with (distribution group only)."),
    )
    recipient_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        many=True,
        required=False,
        help_text=_lazy("Teams named as recipients: they see it whatever the TLP."),
    )
    expired = serializers.BooleanField(source="is_expired", read_only=True)

    class Meta:
        model = SharedObject
        fields: list[str] = []
        read_only_fields = ["id", "stix_id", "created", "modified"]

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.owner_team_id:
            raise serializers.ValidationError(_("It stays with the team that shares it."))
        return team

    def validate_recipient_teams(self, teams: list[Team]) -> list[Team]:
        return list({team.pk: team for team in teams}.values())


class IndicatorSerializer(SharedObjectSerializer):
    """An indicator: a value of a type (``ip``, ``domain``, ``url``, ``sha256``
    …) stored in its canonical spelling; defanged input is read back. Without
    ``type`` on creation, the type is guessed from the value."""

    type = serializers.ChoiceField(source="kind", choices=IndicatorKind.choices, required=False)
    labels = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )

    class Meta(SharedObjectSerializer.Meta):
        model = Indicator
        fields = [
            "id",
            "stix_id",
            "team",
            "team_short_name",
            "type",
            "value",
            "name",
            "description",
            "labels",
            *_MARKING,
            *_VALIDITY,
            *_STIX,
        ]


class SeenBySerializer(serializers.Serializer[SeenBy]):
    """Another team that shares or saw the same value (as far as you may see)."""

    team = serializers.IntegerField(source="team.pk")
    team_short_name = serializers.CharField(source="team.short_name")
    indicators = serializers.IntegerField()
    sightings = serializers.IntegerField()
    last = serializers.DateTimeField()


class IndicatorDetailSerializer(IndicatorSerializer):
    """An indicator with the other teams that share or saw its value."""

    also_seen_by = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "also_seen_by"]

    @extend_schema_field(SeenBySerializer(many=True))
    def get_also_seen_by(self, indicator: Indicator) -> list[dict[str, Any]]:
        seen: list[SeenBy] = self.context.get("also_seen_by", [])
        return [dict(SeenBySerializer(entry).data) for entry in seen]


class AttachmentSerializer(serializers.ModelSerializer[ReportAttachment]):
    """A file attached to a report; ``url`` downloads it (from the web pages)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ReportAttachment
        fields = ["id", "name", "content_type", "size", "sha256", "added_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment: ReportAttachment) -> str:
        from django.urls import reverse  # noqa: PLC0415 - only when serialising

        path = reverse("sharing:attachment", args=[attachment.report_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportSerializer(SharedObjectSerializer):
    """A report: its Markdown text and the STIX ids of what it is about
    (``object_refs`` names only the objects you may see)."""

    labels = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    report_types = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )
    object_refs = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=10_000
    )
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(SharedObjectSerializer.Meta):
        model = Report
        fields = [
            "id",
            "stix_id",
            "team",
            "team_short_name",
            "title",
            "body",
            "published",
            "report_types",
            "labels",
            "object_refs",
            "attachments",
            *_MARKING,
            *_VALIDITY,
            *_STIX,
        ]

    def validate_object_refs(self, values: list[str]) -> list[str]:
        return stix_ids(values)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        hidden: set[str] = self.context.get("hidden_ids", set())
        data["object_refs"] = [ref for ref in data.get("object_refs", []) if ref not in hidden]
        return data


class SightingSerializer(SharedObjectSerializer):
    """A team saw an indicator (the id of one you may see): when, how often."""

    indicator = serializers.PrimaryKeyRelatedField(
        queryset=Indicator.objects.none(),
        error_messages={"does_not_exist": _lazy("There is no such indicator you may see.")},
    )

    class Meta(SharedObjectSerializer.Meta):
        model = Sighting
        fields = [
            "id",
            "stix_id",
            "team",
            "team_short_name",
            "indicator",
            "sighting_of_ref",
            "first_seen",
            "last_seen",
            "count",
            "description",
            *_MARKING,
            *_VALIDITY,
            *_STIX,
        ]
        read_only_fields = [*SharedObjectSerializer.Meta.read_only_fields, "sighting_of_ref"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicator: Any = self.fields["indicator"]
        indicator.queryset = self.context.get("indicators", Indicator.objects.none())

    def validate_indicator(self, indicator: Indicator) -> Indicator:
        if self.instance is not None and indicator.pk != getattr(
            self.instance, "indicator_id", None
        ):
            raise serializers.ValidationError(
                _("A sighting stays with what was seen; record a new one.")
            )
        return indicator

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        first = attrs.get("first_seen", getattr(self.instance, "first_seen", None))
        last = attrs.get("last_seen", getattr(self.instance, "last_seen", None))
        if first and last and last < first:
            raise serializers.ValidationError(
                {"last_seen": _("It cannot be seen last before it was first.")}
            )
        return attrs


class RelationshipSerializer(SharedObjectSerializer):
    """A link between two objects, by STIX id (``indicates``, ``related-to`` …)."""

    class Meta(SharedObjectSerializer.Meta):
        model = Relationship
        fields = [
            "id",
            "stix_id",
            "team",
            "team_short_name",
            "relationship_type",
            "source_ref",
            "target_ref",
            "description",
            *_MARKING,
            *_VALIDITY,
            *_STIX,
        ]

    def validate_source_ref(self, value: str) -> str:
        return stix_ids([value])[0]

    def validate_target_ref(self, value: str) -> str:
        return stix_ids([value])[0]


class SharingGroupSerializer(serializers.ModelSerializer[SharingGroup]):
    """A sharing group: its owner team (whose admins manage it), its member
    teams, and whether members may add teams. ``member_teams`` is given on
    creation; afterwards teams come and go through ``add-team`` and
    ``remove-team``."""

    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    owner_team_short_name = serializers.CharField(source="owner_team.short_name", read_only=True)
    member_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False
    )
    member_team_short_names = serializers.SerializerMethodField()

    class Meta:
        model = SharingGroup
        fields = [
            "id",
            "name",
            "description",
            "owner_team",
            "owner_team_short_name",
            "member_teams",
            "member_team_short_names",
            "members_can_add",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def get_member_team_short_names(self, group: SharingGroup) -> list[str]:
        return sorted(team.short_name for team in group.member_teams.all())

    def validate_owner_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.owner_team_id:
            raise serializers.ValidationError(_("A group stays with the team that owns it."))
        return team

    def validate_member_teams(self, teams: list[Team]) -> list[Team]:
        if self.instance is not None and {team.pk for team in teams} != {
            team.pk for team in self.instance.member_teams.all()
        }:
            raise serializers.ValidationError(
                _("Add and remove teams with add-team and remove-team.")
            )
        return teams


class GroupTeamSerializer(serializers.Serializer[Any]):
    """The team to add to a group or take out of it."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
