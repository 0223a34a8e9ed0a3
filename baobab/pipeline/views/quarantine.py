"""The quarantine: records a feed could not read or that failed validation,
with their reason, raw text and line, for whoever may submit the feed's
reports; each can be re-processed (after a fix) or discarded."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baobab.core.views.access import acting
from baobab.pipeline import services
from baobab.pipeline.access import visible_quarantine
from baobab.pipeline.choices import QuarantineStatus
from baobab.pipeline.filtersets import QuarantineFilterSet
from baobab.pipeline.models import QuarantinedRecord
from baobab.pipeline.views.access import get_quarantined, member_required, safe_next

PAGE_SIZE = 50


@member_required
@require_GET
def quarantine_list(request: HttpRequest) -> HttpResponse:
    """Quarantined records of the feeds the user submits reports for; the open
    ones unless another status is asked for."""
    query = request.GET.copy() if request.GET else QueryDict(mutable=True)
    if "status" not in query:
        query["status"] = QuarantineStatus.OPEN
    filterset = QuarantineFilterSet(query, queryset=visible_quarantine(request.user))
    invalid = not filterset.is_valid()
    records = QuarantinedRecord.objects.none() if invalid else filterset.qs
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/quarantine_list.html",
        {"filterset": filterset, "page": page, "open": QuarantineStatus.OPEN},
        status=400 if invalid else 200,
    )


@member_required
@require_POST
def quarantine_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a quarantined record through the chain again."""
    record = get_quarantined(request, pk)
    if services.reprocess(record, acting_user=acting(request)):
        messages.success(request, _("Record %(id)s was stored as an event.") % {"id": record.pk})
    else:
        record.refresh_from_db()
        messages.error(
            request,
            _("Record %(id)s stays in quarantine: %(reason)s")
            % {"id": record.pk, "reason": record.reason},
        )
    return redirect(safe_next(request, reverse("pipeline:quarantine")))


@member_required
@require_POST
def quarantine_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """Give up on a quarantined record (it stays listed as discarded)."""
    record = get_quarantined(request, pk)
    services.discard(record, acting_user=acting(request))
    messages.success(request, _("Record %(id)s was discarded.") % {"id": record.pk})
    return redirect(safe_next(request, reverse("pipeline:quarantine")))
