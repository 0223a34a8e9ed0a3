"""The pipeline's REST API: feeds (read by community members, written through
the services layer), report uploads, runs, events (through the one
visibility rule: an event the caller may not see is absent from lists and
answers 404) and the quarantine (for whoever may submit the feed's reports)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from baobab.core.api.permissions import AUTHENTICATED
from baobab.core.models import User
from baobab.directory.api.views import service_errors
from baobab.pipeline import services
from baobab.pipeline.access import may_read_pipeline, visible_events, visible_quarantine
from baobab.pipeline.api.serializers import (
    EventSerializer,
    FeedSerializer,
    QuarantinedRecordSerializer,
    ReprocessResultSerializer,
    RunSerializer,
    RunSummarySerializer,
    UploadSerializer,
)
from baobab.pipeline.collectors import CollectorError, TooLargeError, receive_upload
from baobab.pipeline.filtersets import EventFilterSet, FeedRunFilterSet, QuarantineFilterSet
from baobab.pipeline.management.commands.ingest import run_summary
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord


class ReportTooLarge(exceptions.APIException):
    """The uploaded report is over the size limit (``COLLECTOR_MAX_BYTES``)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The report is too large.")
    default_code = "too_large"


def _acting(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class PipelineReader(permissions.BasePermission):
    """Community members only (users in a team, community administrators)."""

    message = _("Only members of the community may see the pipeline.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return may_read_pipeline(request.user)


class FeedPermission(PipelineReader):
    """Members read feeds; the feed's analysts upload reports; its team's
    admins (and community administrators) change and delete it. Creating is
    checked by the service, which knows the team asked for."""

    def has_object_permission(self, request: Request, view: Any, obj: Feed) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = _("You may not do this with this feed.")
        user = request.user
        if not isinstance(user, User):  # services read None as the operator
            return False
        if getattr(view, "action", None) == "upload":
            return services.may_submit_reports(user, obj)
        return services.may_manage_feed(user, obj)


class FeedViewSet(viewsets.ModelViewSet[Feed]):
    """Feeds with the id of their newest run. ``upload/`` runs a report."""

    serializer_class = FeedSerializer
    permission_classes = [*AUTHENTICATED, FeedPermission]

    def get_queryset(self) -> QuerySet[Feed]:
        latest = FeedRun.objects.filter(feed=OuterRef("pk")).order_by("-created_at", "-id")
        return (
            Feed.objects.select_related("owner_team")
            .annotate(last_run_id=Subquery(latest.values("pk")[:1]))
            .order_by("name")
        )

    def perform_create(self, serializer: BaseSerializer[Feed]) -> None:
        with service_errors():
            serializer.instance = services.create_feed(
                acting_user=_acting(self.request), **serializer.validated_data
            )

    def perform_update(self, serializer: BaseSerializer[Feed]) -> None:
        assert serializer.instance is not None
        with service_errors():
            serializer.instance = services.update_feed(
                serializer.instance,
                dict(serializer.validated_data),
                acting_user=_acting(self.request),
            )

    def perform_destroy(self, instance: Feed) -> None:
        with service_errors(conflict=True):
            services.delete_feed(instance, acting_user=_acting(self.request))

    @extend_schema(
        operation_id="feeds_upload",
        summary="Submit a report",
        description=(
            "Run a report (multipart field ``file``) through the feed's pipeline: parse, "
            "normalise, deduplicate, enrich, route, store. A gzip'd report, or a ZIP archive "
            "holding one, is unpacked. Answers 202 with the run's summary; "
            "without workers (the embedded mode) the run is already done, with workers "
            "follow it at /api/v1/runs/{run}/. A report the parser cannot read at all gives a "
            "run whose status is failed, with the reason in its errors."
        ),
        request={"multipart/form-data": UploadSerializer},
        responses={
            202: RunSummarySerializer,
            400: OpenApiResponse(description="No file, an unreadable archive, a disabled feed."),
            413: OpenApiResponse(description="The report is over the size limit."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=UploadSerializer,
    )
    def upload(self, request: Request, pk: str | None = None) -> Response:
        """Run the uploaded report."""
        feed = self.get_object()
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            run = receive_upload(
                feed, upload, file_name=upload.name or "", acting_user=_acting(request)
            )
        except TooLargeError as error:
            raise ReportTooLarge(str(error)) from error
        except CollectorError as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from error
        return Response(
            run_summary(run),
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("run-detail", args=[run.pk])},
        )


class RunViewSet(viewsets.ReadOnlyModelViewSet[FeedRun]):
    """Runs of every feed, newest first; filter by ``feed`` (name) and ``status``."""

    serializer_class = RunSerializer
    permission_classes = [*AUTHENTICATED, PipelineReader]
    filterset_class = FeedRunFilterSet
    queryset = FeedRun.objects.select_related("feed").order_by("-created_at", "-id")


class EventPagination(CursorPagination):
    """Events newest first, page after page through a cursor (``next``), which
    stays fast and stable over millions of events as new ones arrive."""

    ordering = ("-time_observation", "-id")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class EventViewSet(viewsets.ReadOnlyModelViewSet[Event]):
    """The events the caller may see: those of the feeds their teams run and
    those routed to their teams. Filters: ``ip`` (an address or a CIDR prefix,
    IPv4 or IPv6), ``asn``, ``team`` (short name), ``routed``,
    ``classification`` (RSIT type or taxonomy), ``feed`` (name), ``run``,
    ``since``/``until`` (observation time) and ``q`` (host name or URL)."""

    serializer_class = EventSerializer
    permission_classes = [*AUTHENTICATED, PipelineReader]
    filterset_class = EventFilterSet
    pagination_class = EventPagination

    def get_queryset(self) -> QuerySet[Event]:
        return visible_events(self.request.user).order_by("-time_observation", "-id")


class QuarantineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quarantined records of the feeds the caller may submit reports for;
    ``reprocess/`` runs one through the chain again, ``discard/`` gives up on it."""

    serializer_class = QuarantinedRecordSerializer
    permission_classes = [*AUTHENTICATED, PipelineReader]
    filterset_class = QuarantineFilterSet

    def get_queryset(self) -> QuerySet[QuarantinedRecord]:
        return visible_quarantine(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        operation_id="quarantine_reprocess",
        request=None,
        responses={200: ReprocessResultSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        """Run the record through the chain again (after a fix to the parser,
        the feed or the directory): ``stored`` says whether it is now an event;
        if not, its reason is updated and it stays in quarantine."""
        record = self.get_object()
        stored = services.reprocess(record, acting_user=_acting(request))
        record.refresh_from_db()
        return Response(
            {"stored": stored, "record": QuarantinedRecordSerializer(record).data},
        )

    @extend_schema(
        operation_id="quarantine_discard",
        request=None,
        responses={200: QuarantinedRecordSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Give up on the record; it stays listed as discarded."""
        record = self.get_object()
        services.discard(record, acting_user=_acting(request))
        record.refresh_from_db()
        return Response(QuarantinedRecordSerializer(record).data)
