"""``GET /api/v1/directory/export/?format=csv|json``: the directory in Baobab's
own CSV or JSON layout (JSON when no format is asked for), with only the
contacts the requesting user may see. Errors are always answered in JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, renderers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baobab.core.api.permissions import AUTHENTICATED
from baobab.directory import export, services
from baobab.directory.views.export import export_filename


class CSVRenderer(renderers.BaseRenderer):
    """``text/csv``, chosen with ``?format=csv`` or ``Accept: text/csv``."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The CSV text the view built (anything else as JSON text)."""
        text = data if isinstance(data, str) else json.dumps(data)
        return text.encode(self.charset)


class CommunityMember(permissions.BasePermission):
    """Only community members may read the directory."""

    message = gettext_lazy("Only members of the community may use the directory.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return services.may_read_directory(request.user)


class DirectoryExportView(APIView):
    """The directory as CSV or JSON, re-importable with ``baobab directory import``."""

    permission_classes = [*AUTHENTICATED, CommunityMember]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """Answer an unknown ``?format=`` with 400 and the formats there are."""
        try:
            return super().perform_content_negotiation(request, force)
        except Http404 as exc:
            raise exceptions.ValidationError(
                {"format": [_("Use format=csv or format=json.")]}
            ) from exc

    def handle_exception(self, exc: Exception) -> Response:
        """Errors are answered in JSON, whatever format was asked for."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = renderers.JSONRenderer.media_type
        return response

    @extend_schema(
        operation_id="directory_export",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "json"],
                description="csv or json (the default).",
            )
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request) -> Response:
        """Export the directory."""
        snapshot = export.collect(request.user)
        renderer = request.accepted_renderer
        if renderer is not None and getattr(renderer, "format", "") == "csv":
            return Response(
                export.as_csv_text(snapshot),
                content_type="text/csv; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{export_filename("csv")}"',
                    "Cache-Control": "no-store",
                },
            )
        return Response(export.as_json_data(snapshot), headers={"Cache-Control": "no-store"})
