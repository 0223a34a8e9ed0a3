"""The feed pages: the list with each feed's last run, a feed with its runs
and the upload form, and creating, changing and deleting feeds. Every change
goes through the services layer, which checks who may and audits."""

from __future__ import annotations

import copy
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from baobab.core.views.access import acting
from baobab.directory.forms import add_service_errors
from baobab.directory.services import teams_administered_by
from baobab.pipeline import services
from baobab.pipeline.choices import QuarantineStatus
from baobab.pipeline.forms import FeedForm, UploadForm
from baobab.pipeline.models import Feed, FeedRun, QuarantinedRecord
from baobab.pipeline.views.access import get_feed, member_required

GET_POST = require_http_methods(["GET", "POST"])
RUNS_PAGE_SIZE = 20


def _feed_url(feed: Feed) -> str:
    return reverse("pipeline:feed", args=[feed.name])


def _open_quarantine() -> Subquery:
    """How many records of the outer feed wait in quarantine."""
    return Subquery(
        QuarantinedRecord.objects.filter(feed=OuterRef("pk"), status=QuarantineStatus.OPEN)
        .order_by()
        .values("feed")
        .annotate(count=Count("pk"))
        .values("count"),
        output_field=IntegerField(),
    )


def feeds_with_last_run(feeds: QuerySet[Feed]) -> list[Feed]:
    """``feeds`` with ``last_run`` (or None) and ``open_quarantine`` set, in two queries."""
    latest = FeedRun.objects.filter(feed=OuterRef("pk")).order_by("-created_at", "-id")
    rows: list[Feed] = list(
        feeds.select_related("owner_team").annotate(
            last_run_id=Subquery(latest.values("pk")[:1]),
            open_quarantine=Coalesce(_open_quarantine(), 0),
        )
    )
    wanted = [row.last_run_id for row in rows if row.last_run_id]  # type: ignore[attr-defined]
    runs = FeedRun.objects.in_bulk(wanted)
    for row in rows:
        row.last_run = runs.get(row.last_run_id)  # type: ignore[attr-defined]
    return rows


@member_required
def feed_list(request: HttpRequest) -> HttpResponse:
    """Every feed with its team, parser, collector and last run (status, counts, errors)."""
    return render(
        request,
        "pipeline/feed_list.html",
        {
            "feeds": feeds_with_last_run(Feed.objects.order_by("name")),
            "can_create": teams_administered_by(acting(request)).exists(),
        },
    )


@member_required
def feed_detail(request: HttpRequest, name: str) -> HttpResponse:
    """A feed's settings, its runs (newest first) and, for its analysts, the upload form."""
    feed = get_feed(name)
    user = acting(request)
    runs = Paginator(feed.runs.all(), RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    may_submit = services.may_submit_reports(user, feed)
    return render(
        request,
        "pipeline/feed_detail.html",
        {
            "feed": feed,
            "page": runs,
            "can_manage": services.may_manage_feed(user, feed),
            "can_submit": may_submit,
            "upload_form": UploadForm() if may_submit else None,
            "open_quarantine": feed.quarantine.filter(status=QuarantineStatus.OPEN).count()
            if may_submit
            else None,
        },
    )


def _form_page(
    request: HttpRequest,
    form: FeedForm,
    save: Callable[[], Feed],
    *,
    title: str,
    cancel_url: str,
    done: str,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``save`` and go to the saved feed."""
    if request.method == "POST" and form.is_valid():
        try:
            feed = save()
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(_feed_url(feed))
    return render(
        request,
        "pipeline/form.html",
        {"form": form, "title": title, "cancel_url": cancel_url},
        status=400 if request.method == "POST" else 200,
    )


@member_required
@GET_POST
def feed_create(request: HttpRequest) -> HttpResponse:
    """A new feed, run by a team the user administers."""
    user = acting(request)
    if not teams_administered_by(user).exists():
        raise PermissionDenied(_("Only team admins may add feeds."))
    form = FeedForm(request.POST if request.method == "POST" else None, user=user)
    return _form_page(
        request,
        form,
        lambda: services.create_feed(acting_user=user, **form.changes()),
        title=_("New feed"),
        cancel_url=reverse("pipeline:feeds"),
        done=_("The feed was created."),
    )


@member_required
@GET_POST
def feed_edit(request: HttpRequest, name: str) -> HttpResponse:
    """Change a feed (admins of its team, community administrators)."""
    feed = get_feed(name)
    user = acting(request)
    if not services.may_manage_feed(user, feed):
        raise PermissionDenied(_("You may not do this with this feed."))
    form = FeedForm(
        request.POST if request.method == "POST" else None, instance=copy.copy(feed), user=user
    )
    return _form_page(
        request,
        form,
        lambda: services.update_feed(feed, form.changes(), acting_user=user),
        title=_("Edit %(name)s") % {"name": feed.name},
        cancel_url=_feed_url(feed),
        done=_("The feed was saved."),
    )


@member_required
@GET_POST
def feed_delete(request: HttpRequest, name: str) -> HttpResponse:
    """Delete a feed with its runs, events and quarantined records, after confirmation."""
    feed = get_feed(name)
    user = acting(request)
    if not services.may_manage_feed(user, feed):
        raise PermissionDenied(_("You may not do this with this feed."))
    if request.method == "POST":
        services.delete_feed(feed, acting_user=user)
        messages.success(request, _("%(object)s was deleted.") % {"object": feed.name})
        return redirect("pipeline:feeds")
    return render(
        request,
        "pipeline/confirm_delete.html",
        {
            "object": feed.name,
            "title": _("Delete %(name)s") % {"name": feed.name},
            "warning": _(
                "The feed, its runs, its events and its quarantined records will be deleted."
            ),
            "cancel_url": _feed_url(feed),
        },
    )
