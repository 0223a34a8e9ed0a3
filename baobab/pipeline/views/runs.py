"""A run's page (its counts, per-team routing, errors and chunks) and the
upload of a report through the web page, which the upload collector takes
(size limit, gzip and ZIP unpacked) and hands to the runner."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baobab.core.views.access import acting
from baobab.pipeline import services
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.collectors import CollectorError, receive_upload
from baobab.pipeline.forms import UploadForm
from baobab.pipeline.views.access import get_feed, get_run, member_required


@member_required
@require_POST
def feed_upload(request: HttpRequest, name: str) -> HttpResponse:
    """Take a report for the feed and show the run it started."""
    feed = get_feed(name)
    user = acting(request)
    if not services.may_submit_reports(user, feed):
        raise PermissionDenied(_("You may not do this with this feed."))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, str(error))
        return redirect("pipeline:feed", feed.name)
    upload = form.cleaned_data["file"]
    try:
        run = receive_upload(feed, upload, file_name=upload.name or "", acting_user=user)
    except CollectorError as error:
        messages.error(request, str(error))
        return redirect("pipeline:feed", feed.name)
    if run.status == RunStatus.FAILED:
        messages.error(
            request,
            _("The report could not be read: %(errors)s") % {"errors": "; ".join(run.errors)},
        )
    else:
        messages.success(request, _("The report was received (run %(run)s).") % {"run": run.pk})
    return redirect(reverse("pipeline:run", args=[run.pk]))


@member_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: what it read, stored, found twice, quarantined and routed to whom."""
    run = get_run(pk)
    chunks = dict(run.chunks.order_by().values_list("status").annotate(count=Count("pk")))
    user = acting(request)
    return render(
        request,
        "pipeline/run_detail.html",
        {
            "run": run,
            "feed": run.feed,
            "per_team": sorted(run.per_team.items(), key=lambda item: (-item[1], item[0])),
            "chunks": chunks,
            "can_submit": services.may_submit_reports(user, run.feed),
        },
    )
