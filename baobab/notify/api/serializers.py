"""REST representations of notifications: a team's policies and its outbox.
The serializers read and check the request; the services layer validates
the rest (the contact the team may see, the template of the team, who may)
and writes. A webhook's secret is written, never read back."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from baobab.core.models import Team
from baobab.directory.models import Contact
from baobab.notify.models import MessageTemplate, NotificationPolicy, OutboxMessage
from baobab.notify.policy_names import unknown_message, unknown_names
from baobab.notify.services import POLICY_FIELDS

_PROGRESS = ["last_event_id", "due_at", "created_at", "updated_at"]


class NamesField(serializers.ListField):
    """A list of names (RSIT types, taxonomies, feeds or event fields),
    duplicates dropped; unknown names are refused."""

    def __init__(self, *, names_of: str, **kwargs: Any) -> None:
        self.names_of = names_of
        kwargs.setdefault("child", serializers.CharField())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        names = list(dict.fromkeys(str(name).strip() for name in super().to_internal_value(data)))
        names = [name for name in names if name]
        unknown = unknown_names(self.names_of, names)
        if unknown:
            raise serializers.ValidationError(unknown_message(self.names_of, unknown))
        return names


class NotificationPolicySerializer(serializers.ModelSerializer[NotificationPolicy]):
    """A team's notification policy. ``team`` (an id) is given on creation and
    stays; ``webhook_secret`` is written, never shown (``has_webhook_secret``
    says whether one is set)."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    team_short_name = serializers.CharField(source="team.short_name", read_only=True)
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )
    template = serializers.PrimaryKeyRelatedField(
        queryset=MessageTemplate.objects.all(), required=False, allow_null=True
    )
    webhook_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200
    )
    has_webhook_secret = serializers.SerializerMethodField()
    types = NamesField(names_of="types")
    taxonomies = NamesField(names_of="taxonomies")
    feeds = NamesField(names_of="feeds")
    group_by = NamesField(names_of="group_by")

    class Meta:
        model = NotificationPolicy
        fields = [
            "id",
            "team",
            "team_short_name",
            *POLICY_FIELDS,
            "has_webhook_secret",
            *_PROGRESS,
        ]
        read_only_fields = ["id", *_PROGRESS]

    def get_has_webhook_secret(self, policy: NotificationPolicy) -> bool:
        return bool(policy.webhook_secret)

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.team_id:
            raise serializers.ValidationError(_("A policy stays with its team."))
        return team

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        team = attrs.get("team", getattr(self.instance, "team", None))
        template = attrs.get("template")
        if template is not None and team is not None and template.team_id != team.pk:
            raise serializers.ValidationError(
                {"template": _("Use one of the team's own templates.")}
            )
        return attrs


class OutboxMessageSerializer(serializers.ModelSerializer[OutboxMessage]):
    """A message of the outbox as listed: to whom, what about, where its
    delivery stands. The detail adds its text."""

    team_short_name = serializers.CharField(source="team.short_name", read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "reference",
            "team",
            "team_short_name",
            "policy",
            "channel",
            "recipient",
            "subject",
            "language",
            "tlp",
            "event_count",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class OutboxMessageDetailSerializer(OutboxMessageSerializer):
    """A message of the outbox with its text and what it carries."""

    attachment_size = serializers.SerializerMethodField()

    class Meta(OutboxMessageSerializer.Meta):
        fields = [
            *OutboxMessageSerializer.Meta.fields,
            "copy_to",
            "body",
            "attachment_name",
            "attachment_type",
            "attachment_size",
            "sign",
            "encrypt",
        ]
        read_only_fields = fields

    def get_attachment_size(self, message: OutboxMessage) -> int:
        """The attachment's size in bytes (0 without one)."""
        return len(message.attachment or b"")
