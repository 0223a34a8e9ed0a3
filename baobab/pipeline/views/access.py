"""Who may open the pipeline's pages, and finding the objects they name."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _lazy

from baobab.core.views.access import members_only
from baobab.pipeline.access import may_read_pipeline, visible_events, visible_quarantine
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord

member_required = members_only(
    may_read_pipeline, _lazy("Only members of the community may see the pipeline.")
)


def get_feed(name: str) -> Feed:
    """The feed with this name, or 404."""
    return get_object_or_404(Feed.objects.select_related("owner_team"), name=name)


def get_run(pk: int) -> FeedRun:
    """A run with its feed, or 404."""
    return get_object_or_404(FeedRun.objects.select_related("feed", "feed__owner_team"), pk=pk)


def get_event(request: HttpRequest, pk: int) -> Event:
    """An event the user may see, or 404 (whether it exists or is hidden)."""
    events = visible_events(request.user).select_related(
        "run", "organisation", "claim", "claim__team", "claim__organisation", "owner_team"
    )
    return get_object_or_404(events, pk=pk)


def get_quarantined(request: HttpRequest, pk: int) -> QuarantinedRecord:
    """A quarantined record the user may act on, or 404."""
    return get_object_or_404(visible_quarantine(request.user), pk=pk)


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address of a form when it stays on this site, else ``default``."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default
