"""The TAXII 2.1 endpoints: discovery, the API root, collections, objects
(get and add), one object, its versions, the manifest and the status of an
addition. Each answers in TAXII JSON, errors included."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from baobab.core.models import User
from baobab.sharing.models import ObjectVersion, TaxiiStatus
from baobab.sharing.queries import visible_versions
from baobab.sharing.stix.render import stix_time
from baobab.sharing.taxii import adding
from baobab.sharing.taxii.auth import request_user, unauthorized
from baobab.sharing.taxii.collections import Collection, collections_for, find_collection
from baobab.sharing.taxii.media import (
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    TaxiiError,
    check_accept,
    error_response,
    taxii_response,
)
from baobab.sharing.taxii.paging import Filters, fetch_page

Reader = User | AnonymousUser
Endpoint = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[Endpoint], Endpoint]:
    """A TAXII endpoint answering ``methods``: checks the Accept header,
    authenticates, and turns refusals into TAXII error messages.

    CSRF protection is not needed: only the Authorization header
    authenticates here (never a session cookie), and a body is only taken
    as ``application/taxii+json``, which no cross-site form can send.
    """

    def decorate(view: Endpoint) -> Endpoint:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise TaxiiError(
                        405,
                        _("Method not allowed"),
                        _("This endpoint answers %(methods)s.") % {"methods": ", ".join(methods)},
                        headers={"Allow": ", ".join(methods)},
                    )
                check_accept(request.headers.get("Accept"))
                return view(request, request_user(request), **kwargs)
            except TaxiiError as error:
                return error_response(error)

        return wrapper

    return decorate


def _api_root_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("taxii:api-root"))


@endpoint("GET")
def discovery(request: HttpRequest, user: Reader) -> HttpResponse:
    """Server discovery: the one API root."""
    root = _api_root_url(request)
    return taxii_response(
        {
            "title": _("%(community)s TAXII server") % {"community": settings.COMMUNITY_NAME},
            "description": _(
                "Indicators, reports and sightings the community shares, under TLP 2.0."
            ),
            "contact": settings.SECURITY_CONTACT,
            "default": root,
            "api_roots": [root],
        }
    )


@endpoint("GET")
def api_root(request: HttpRequest, user: Reader) -> HttpResponse:
    """The API root's information."""
    return taxii_response(
        {
            "title": settings.COMMUNITY_NAME,
            "description": _("One collection per sharing scope: community, public, team, group."),
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": adding.max_content_length(),
        }
    )


@endpoint("GET")
def collections(request: HttpRequest, user: Reader) -> HttpResponse:
    """The collections the user may read."""
    return taxii_response({"collections": [c.resource() for c in collections_for(user)]})


@endpoint("GET")
def collection(request: HttpRequest, user: Reader, collection_id: str) -> HttpResponse:
    """One collection the user may read."""
    return taxii_response(find_collection(user, collection_id).resource())


def _versions(found: Collection, user: Reader) -> QuerySet[ObjectVersion]:
    """What ``user`` may read of the collection: its scope and the rule."""
    return visible_versions(user).filter(found.scope_q())


@endpoint("GET", "POST")
def objects(request: HttpRequest, user: Reader, collection_id: str) -> HttpResponse:
    """The objects of a collection, a page at a time; or add objects to it."""
    found = find_collection(user, collection_id)
    if request.method == "POST":
        return adding.add_objects(request, user, found)
    page = fetch_page(_versions(found, user), Filters.read(request.GET), user)
    body = {**page.paging(), "objects": [content for _row, content in page.rows]}
    return taxii_response(body, headers=page.headers())


@endpoint("GET")
def object_detail(
    request: HttpRequest, user: Reader, collection_id: str, object_id: str
) -> HttpResponse:
    """The versions of one object the match[version] filter picks (objects
    are deleted in Baobab itself, not through TAXII)."""
    found = find_collection(user, collection_id)
    filters = Filters.read(request.GET)
    page = fetch_page(_versions(found, user).filter(stix_id=object_id), filters, user)
    if not page.rows and filters.position is None:
        raise TaxiiError(404, _("Not found"), _("There is no such object in this collection."))
    body = {**page.paging(), "objects": [content for _row, content in page.rows]}
    return taxii_response(body, headers=page.headers())


@endpoint("GET")
def versions(
    request: HttpRequest, user: Reader, collection_id: str, object_id: str
) -> HttpResponse:
    """The versions of one object the user may see, in the order they
    reached Baobab."""
    found = find_collection(user, collection_id)
    filters = Filters.read(request.GET)
    page = fetch_page(
        _versions(found, user).filter(stix_id=object_id), filters, user, all_versions=True
    )
    if not page.rows and filters.position is None:
        raise TaxiiError(404, _("Not found"), _("There is no such object in this collection."))
    body = {**page.paging(), "versions": [stix_time(row.modified) for row, _c in page.rows]}
    return taxii_response(body, headers=page.headers())


@endpoint("GET")
def manifest(request: HttpRequest, user: Reader, collection_id: str) -> HttpResponse:
    """What a page of objects holds, without the objects."""
    found = find_collection(user, collection_id)
    page = fetch_page(_versions(found, user), Filters.read(request.GET), user)
    records = [
        {
            "id": row.stix_id,
            "date_added": stix_time(row.added_at),
            "version": stix_time(row.modified),
            "media_type": STIX_MEDIA_TYPE,
        }
        for row, _content in page.rows
    ]
    return taxii_response({**page.paging(), "objects": records}, headers=page.headers())


@endpoint("GET")
def status(request: HttpRequest, user: Reader, status_id: str) -> HttpResponse:
    """The status of an addition, to the user who made it."""
    if not isinstance(user, User):
        raise unauthorized(_("Authenticate to read the status of an addition."))
    found = TaxiiStatus.objects.filter(pk=adding.as_uuid(status_id), user=user).first()
    if found is None:
        raise TaxiiError(404, _("Not found"), _("There is no such status."))
    return taxii_response(adding.status_resource(found))
