"""Downloading the directory as Baobab's CSV or JSON (``/directory/export.csv``,
``/directory/export.json``): community members only, and only the contacts the
requesting user may see."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from baobab.directory import export
from baobab.directory.views.access import member_required


def export_filename(extension: str) -> str:
    """``baobab-directory-20250301.csv``: the name a downloaded export is saved as."""
    return f"baobab-directory-{timezone.now():%Y%m%d}.{extension}"


def _download(body: str, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(extension)}"'
    return response


@never_cache
@require_GET
@member_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The directory as CSV, re-importable with ``baobab directory import --format csv``."""
    snapshot = export.collect(request.user)
    return _download(export.as_csv_text(snapshot), "text/csv; charset=utf-8", "csv")


@never_cache
@require_GET
@member_required
def export_json(request: HttpRequest) -> HttpResponse:
    """The directory as JSON, re-importable with ``baobab directory import --format json``."""
    snapshot = export.collect(request.user)
    body = json.dumps(export.as_json_data(snapshot), indent=2, ensure_ascii=False)
    return _download(body, "application/json; charset=utf-8", "json")
