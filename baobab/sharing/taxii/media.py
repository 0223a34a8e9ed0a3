"""TAXII's media types: what a request may accept and send, and the JSON
responses (resources and error messages) the server answers with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

TAXII_TYPE = "application/taxii+json"
TAXII_MEDIA_TYPE = f"{TAXII_TYPE};version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
VERSION = "2.1"


class TaxiiError(Exception):
    """A request the server refuses: answered as a TAXII error message."""

    def __init__(
        self,
        status: int,
        title: str,
        description: str = "",
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description
        self.headers = dict(headers or {})


def _media_ranges(header: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept or Content-Type header, with their
    parameters (names lower-cased, quotes removed)."""
    ranges = []
    for item in header.split(","):
        parts = [part.strip() for part in item.split(";")]
        if not parts[0]:
            continue
        params: dict[str, str] = {}
        for part in parts[1:]:
            name, _sep, value = part.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        ranges.append((parts[0].lower(), params))
    return ranges


def _is_taxii(media: str, params: Mapping[str, str]) -> bool:
    return media == TAXII_TYPE and params.get("version", VERSION) == VERSION


def accepts_taxii(header: str | None) -> bool:
    """Whether an Accept header lets the server answer in TAXII 2.1 JSON.

    No header, ``*/*`` and ``application/*`` accept it too; a range given a
    quality of 0 refuses it.
    """
    if not header or not header.strip():
        return True
    for media, params in _media_ranges(header):
        if params.get("q", "1").strip() in {"0", "0.0", "0.00", "0.000"}:
            continue
        if media in {"*/*", "application/*"} or _is_taxii(media, params):
            return True
    return False


def is_taxii_content(header: str | None) -> bool:
    """Whether a Content-Type header names TAXII 2.1 JSON."""
    ranges = _media_ranges(header or "")
    return len(ranges) == 1 and _is_taxii(*ranges[0])


def check_accept(header: str | None) -> None:
    """Refuse (406) a request whose Accept header TAXII JSON cannot meet."""
    if not accepts_taxii(header):
        raise TaxiiError(
            406,
            _("Not acceptable"),
            _("This server answers in %(media)s; ask for it in the Accept header.")
            % {"media": TAXII_MEDIA_TYPE},
        )


def check_content_type(header: str | None) -> None:
    """Refuse (415) a request body that is not TAXII JSON."""
    if not is_taxii_content(header):
        raise TaxiiError(
            415,
            _("Unsupported media type"),
            _("Send the objects as %(media)s.") % {"media": TAXII_MEDIA_TYPE},
        )


def taxii_response(
    data: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A TAXII resource as the response, in TAXII 2.1 JSON."""
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=TAXII_MEDIA_TYPE,
    )
    # The answer depends on who asks: never kept by a shared cache.
    response["Cache-Control"] = "no-store"
    response["Vary"] = "Accept, Authorization"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: TaxiiError) -> HttpResponse:
    """A TAXII error message (title, description, http_status)."""
    body: dict[str, Any] = {"title": error.title, "http_status": str(error.status)}
    if error.description:
        body["description"] = error.description
    return taxii_response(body, error.status, error.headers)
