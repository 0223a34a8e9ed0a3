"""Event search and an event's page. Only events the user may see (the one
visibility rule) are searched, counted or shown; any other answers 404."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from baobab.core.choices import TLP
from baobab.pipeline import fields as f
from baobab.pipeline.access import visible_events
from baobab.pipeline.event_record import event_record
from baobab.pipeline.filtersets import EventFilterSet
from baobab.pipeline.models import Event
from baobab.pipeline.views.access import get_event, member_required

PAGE_SIZE = 50
# Counting every match of a broad search over millions of events costs more
# than the page is worth: beyond this many, the page says "more than".
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Pages over at most :data:`COUNT_CAP` rows, counted with a bounded query."""

    @cached_property
    def count(self) -> int:
        matches: Any = self.object_list
        return int(matches[: COUNT_CAP + 1].count())

    @property
    def capped(self) -> bool:
        """Whether there are more matches than the pages reach."""
        return self.count > COUNT_CAP

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-min(self.count, COUNT_CAP) // self.per_page))


@member_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """Search the events the user may see by address or prefix, AS number,
    team, classification, feed and time; newest first, paginated."""
    filterset = EventFilterSet(request.GET or None, queryset=visible_events(request.user))
    invalid = filterset.is_bound and not filterset.is_valid()
    events = Event.objects.none() if invalid else filterset.qs
    page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/event_list.html",
        {
            "filterset": filterset,
            "page": page,
            "count_cap": COUNT_CAP,
            "run": filterset.form.cleaned_data.get("run") if filterset.is_bound else None,
        },
        status=400 if invalid else 200,
    )


def _shown(value: Any) -> str:
    """A field's value as the API writes it (true, 443, text as it is)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def event_fields(event: Event) -> list[tuple[str, str]]:
    """Every field the event holds a value for, sorted by name, ``raw`` last."""
    data = event_record(event)
    items = sorted(
        (name, _shown(value)) for name, value in data.items() if name != "raw" and value is not None
    )
    if data.get("raw") is not None:
        items.append(("raw", _shown(data["raw"])))
    return items


@member_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An event: every field it holds, how it was routed (team, claim, step,
    reason) and where it came from (feed, run)."""
    event = get_event(request, pk)
    data = event_record(event)
    return render(
        request,
        "pipeline/event_detail.html",
        {
            "event": event,
            "fields": event_fields(event),
            "route_reason": data.get(f.ROUTE_REASON, ""),
            "tlp_label": TLP(event.tlp).label,
        },
    )
