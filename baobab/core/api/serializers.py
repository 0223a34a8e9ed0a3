"""REST representations of the requesting user, their API tokens and the audit log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from baobab.core.models import ApiToken, AuditEntry, Membership, User


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    """One team the user belongs to, with their role in it."""

    team = serializers.CharField(source="team.short_name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["team", "team_name", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer[User]):
    """Who the request is authenticated as."""

    teams = MembershipSerializer(source="memberships", many=True, read_only=True)
    totp_enabled = serializers.BooleanField(source="totp_confirmed", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "is_community_admin", "totp_enabled", "teams"]
        read_only_fields = fields


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """An API token as listed: never its key, which is not stored."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at", "is_active"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """A token just created: the only time its key is shown."""

    key = serializers.SerializerMethodField(
        help_text=_(
            "The key, shown only in this response. Send it as 'Authorization: Token <key>'."
        )
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]

    def get_key(self, obj: ApiToken) -> str:
        key: str = self.context["key"]
        return key


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    """One change: who (``actor``), through which channel, what, before and after."""

    actor = serializers.CharField(source="actor_name", read_only=True)
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)
    before = serializers.JSONField(read_only=True, allow_null=True)
    after = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_id",
            "channel",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]
        read_only_fields = fields
