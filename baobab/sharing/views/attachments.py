"""Files attached to reports: added by the report team's analysts, removed
by them, and downloaded by whoever may see the report (404 for anybody
else, as for the report itself). A file is always sent as a download."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baobab.core.views.access import acting
from baobab.sharing.models import Report, ReportAttachment
from baobab.sharing.services import detach_file
from baobab.sharing.views.access import get_visible, member_required, require_sharer

# Types a browser may be told; anything else is sent as bytes.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/json",
        "application/zip",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
    }
)


def _attachment(request: HttpRequest, pk: int, attachment: int) -> tuple[Report, ReportAttachment]:
    report = get_visible(request, Report, pk)
    return report, get_object_or_404(report.attachments.all(), pk=attachment)


@member_required  # type: ignore[arg-type]  # a file is streamed, not an HttpResponse
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment: int) -> FileResponse:
    """A report's file, as a download, to those who may see the report."""
    _report, found = _attachment(request, pk, attachment)
    content_type = found.content_type if found.content_type in SAFE_TYPES else None
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@member_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    """Remove a file from a report (an analyst of the report's team)."""
    report, found = _attachment(request, pk, attachment)
    require_sharer(request, report)
    detach_file(found, acting_user=acting(request))
    messages.success(request, _("%(file)s was removed.") % {"file": found.name})
    return redirect(reverse("sharing:report-edit", args=[report.pk]))
