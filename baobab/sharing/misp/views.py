"""The published MISP feed over HTTP: ``manifest.json``, ``hashes.csv`` and
one ``<uuid>.json`` per event, built for whoever asks.

A Baobab API token (``Authorization: Token <key>``, or HTTP Basic with the
token as the password) reads what its user may see; no credentials reads
only public TLP:CLEAR content; wrong credentials are refused. A MISP
instance takes the token as a custom header of its feed settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from baobab.core.models import Team, User
from baobab.sharing.misp.export import (
    is_uuid,
    report_event,
    team_event,
    team_event_uuid,
    visible_events,
)
from baobab.sharing.misp.feed_publish import feed_event, feed_of
from baobab.sharing.models import Indicator
from baobab.sharing.queries import visible
from baobab.sharing.taxii.auth import request_user
from baobab.sharing.taxii.media import TaxiiError

Reader = User | AnonymousUser
FeedView = Callable[..., HttpResponse]


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def feed_view(view: FeedView) -> FeedView:
    """A feed file: GET only, the reader from the Authorization header (not
    from a session, so no CSRF), private to that reader."""

    @csrf_exempt
    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            reader = request_user(request)
        except TaxiiError as error:
            return _plain(error.status, error.description or error.title, error.headers)
        response = view(request, reader, **kwargs)
        patch_vary_headers(response, ["Authorization"])
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapper


def _json(content: Any) -> HttpResponse:
    return HttpResponse(
        json.dumps(content, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


@feed_view
def manifest(request: HttpRequest, reader: Reader) -> HttpResponse:
    """``manifest.json``: the events the reader may see."""
    return _json(feed_of(visible_events(reader)).manifest)


@feed_view
def hashes(request: HttpRequest, reader: Reader) -> HttpResponse:
    """``hashes.csv``: the MD5 of each value the reader may see, with its event."""
    return HttpResponse(
        feed_of(visible_events(reader)).hashes_csv(), content_type="text/csv; charset=utf-8"
    )


@feed_view
def event(request: HttpRequest, reader: Reader, event_uuid: str) -> HttpResponse:
    """``<uuid>.json``: one event, if the reader may see it."""
    missing = _plain(404, _("There is no such event."))
    if not is_uuid(event_uuid):
        return missing
    found = report_event(f"report--{event_uuid.lower()}", reader)
    if found is None:
        team_ids = visible(Indicator, reader).values_list("owner_team_id", flat=True).distinct()
        for team in Team.objects.filter(pk__in=list(team_ids)):
            if team_event_uuid(team) == event_uuid.lower():
                found = team_event(team, reader)
                break
    if found is None:
        return missing
    return _json(feed_event(found))
