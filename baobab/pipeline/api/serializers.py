"""REST representations of the pipeline: feeds, runs, events and quarantined
records. The serializers read and check the request; the services layer
validates the rest (parser, report type, RSIT type, who may) and writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from baobab.core.models import Team, User
from baobab.pipeline.choices import TAXONOMY_OF_TYPE, Collector
from baobab.pipeline.collectors import validate_options
from baobab.pipeline.event_record import event_record
from baobab.pipeline.fields import kind_of
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord
from baobab.pipeline.services import may_manage_feed

_TIMESTAMPS = ["created_at", "updated_at"]


class FeedSerializer(serializers.ModelSerializer[Feed]):
    """A feed. ``owner_team`` is the id of the team running it; its
    ``collector_options`` are shown only to those who may manage the feed."""

    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    owner_team_short_name = serializers.CharField(
        source="owner_team.short_name", read_only=True, allow_null=True, default=None
    )
    collector_options = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="A JSON object; null for those who may not manage the feed.",
    )
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = Feed
        fields = [
            "id",
            "name",
            "provider",
            "description",
            "owner_team",
            "owner_team_short_name",
            "parser",
            "report",
            "parser_options",
            "collector",
            "collector_options",
            "schedule_minutes",
            "enabled",
            "tlp",
            "classification_taxonomy",
            "classification_type",
            "classification_identifier",
            "dedup_fields",
            "dedup_window_hours",
            "retention_days",
            "last_run",
            *_TIMESTAMPS,
        ]
        read_only_fields = ["id", *_TIMESTAMPS]
        # The service checks the name's uniqueness again inside its transaction.
        validators: list[Any] = []

    def validate_name(self, value: str) -> str:
        others = Feed.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                _("The name %(name)s is already taken.") % {"name": value}
            )
        return value

    def validate_parser_options(self, value: Any) -> dict[str, Any]:
        return _json_object(value)

    def validate_collector_options(self, value: Any) -> dict[str, Any]:
        return _json_object(value)

    def validate_dedup_fields(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise serializers.ValidationError(_("Give a list of event field names."))
        unknown = [name for name in value if kind_of(name) is None]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown event fields: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return list(dict.fromkeys(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The collector's options are checked; the taxonomy follows the RSIT
        type when it is not given."""
        if "collector" in attrs or "collector_options" in attrs:
            collector = attrs.get("collector", getattr(self.instance, "collector", None))
            options = attrs.get(
                "collector_options", getattr(self.instance, "collector_options", {})
            )
            try:
                validate_options(collector or Collector.UPLOAD, options)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"collector_options": exc.messages}) from exc
        type_ = attrs.get("classification_type")
        if type_ in TAXONOMY_OF_TYPE:
            expected = TAXONOMY_OF_TYPE[type_]
            taxonomy = attrs.get("classification_taxonomy")
            if not taxonomy:
                attrs["classification_taxonomy"] = expected
            elif taxonomy != expected:
                raise serializers.ValidationError(
                    {
                        "classification_taxonomy": _(
                            "The type %(type)s belongs to the taxonomy %(taxonomy)s."
                        )
                        % {"type": type_, "taxonomy": expected}
                    }
                )
        return attrs

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_last_run(self, feed: Feed) -> int | None:
        """The id of the feed's newest run (null before the first)."""
        return getattr(feed, "last_run_id", None)

    def to_representation(self, instance: Feed) -> dict[str, Any]:
        data = super().to_representation(instance)
        user = getattr(self.context.get("request"), "user", None)
        if not isinstance(user, User) or not may_manage_feed(user, instance):
            data["collector_options"] = None
        return data


def _json_object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise serializers.ValidationError(_("Give a JSON object, such as {}."))
    return value


class RunSerializer(serializers.ModelSerializer[FeedRun]):
    """A run of a feed: its counts, routing per team, errors and duration."""

    feed_name = serializers.CharField(source="feed.name", read_only=True)
    per_team = serializers.DictField(
        child=serializers.IntegerField(), help_text="Events routed, by team short name."
    )
    # A field named like Serializer.errors: DRF takes it out of the class.
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]

    class Meta:
        model = FeedRun
        fields = [
            "id",
            "feed",
            "feed_name",
            "status",
            "source",
            "report",
            "input_sha256",
            "input_size",
            "created_at",
            "started_at",
            "finished_at",
            "chunk_count",
            "parsed",
            "stored",
            "duplicates",
            "quarantined",
            "unrouted",
            "per_team",
            "errors",
            "duration_seconds",
        ]
        read_only_fields = fields


class RunSummarySerializer(serializers.Serializer[dict[str, Any]]):
    """What a report upload started: the run's counts as ``baobab ingest --json``
    prints them. Without workers the run is done already."""

    run = serializers.IntegerField()
    feed = serializers.CharField()
    status = serializers.CharField()
    report = serializers.CharField(allow_blank=True)
    parsed = serializers.IntegerField()
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    unrouted = serializers.IntegerField()
    per_team = serializers.DictField(child=serializers.IntegerField())
    chunks = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    duration_seconds = serializers.FloatField(allow_null=True)


class UploadSerializer(serializers.Serializer[dict[str, Any]]):
    """A report, as a multipart file field named ``file``."""

    file = serializers.FileField()


class EventSerializer(serializers.ModelSerializer[Event]):
    """A stored event: its searchable columns, its routing, and ``data``, the
    whole event with its flat dotted field names (IntelMQ's harmonisation)."""

    feed_name = serializers.CharField(source="feed.name", read_only=True)
    team_short_name = serializers.CharField(
        source="team.short_name", read_only=True, allow_null=True, default=None
    )
    # A field named like Serializer.data: DRF takes it out of the class.
    data = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Every field of the event, flat dotted names."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "feed",
            "feed_name",
            "run",
            "time_source",
            "time_observation",
            "source_ip",
            "source_port",
            "source_asn",
            "source_cc",
            "source_fqdn",
            "source_url",
            "destination_ip",
            "destination_port",
            "classification_taxonomy",
            "classification_type",
            "classification_identifier",
            "protocol_transport",
            "protocol_application",
            "malware_name",
            "team",
            "team_short_name",
            "organisation",
            "claim",
            "route_step",
            "owner_team",
            "tlp",
            "data",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, event: Event) -> dict[str, Any]:
        return event_record(event)


class QuarantinedRecordSerializer(serializers.ModelSerializer[QuarantinedRecord]):
    """A record kept in quarantine with its raw text, line and reason."""

    feed_name = serializers.CharField(source="feed.name", read_only=True)

    class Meta:
        model = QuarantinedRecord
        fields = [
            "id",
            "feed",
            "feed_name",
            "run",
            "chunk_index",
            "line",
            "raw",
            "reason",
            "field",
            "status",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = fields


class ReprocessResultSerializer(serializers.Serializer[dict[str, Any]]):
    """Whether a re-processed record is now stored, and the record as it stands."""

    stored = serializers.BooleanField()
    record = QuarantinedRecordSerializer()
