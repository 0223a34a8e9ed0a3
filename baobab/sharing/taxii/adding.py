"""Adding objects to a collection (TAXII's POST objects): the envelope's
objects are imported as one STIX bundle, as the team the user writes as and
shared as the collection says, and the outcome is kept as a status resource.

The import runs while the request waits, so every status is ``complete``:
a bundle the STIX validator refuses is refused whole, each of its objects a
failure with the validator's messages, and nothing is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core.models import Team, User
from baobab.sharing.models import TaxiiStatus
from baobab.sharing.stix.importer import BundleRefusedError, Sharing, import_bundle
from baobab.sharing.stix.render import stix_time
from baobab.sharing.taxii.auth import unauthorized
from baobab.sharing.taxii.collections import Collection
from baobab.sharing.taxii.media import TaxiiError, check_content_type, taxii_response


def max_content_length() -> int:
    """The largest body the server accepts, in bytes (``TAXII_MAX_CONTENT_LENGTH``)."""
    return int(settings.TAXII_MAX_CONTENT_LENGTH)


def as_uuid(text: str) -> uuid.UUID:
    """A status id read from an address; 404 when it cannot be one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise TaxiiError(404, _("Not found"), _("There is no such status.")) from None


def _too_large() -> TaxiiError:
    return TaxiiError(
        413,
        _("Too large"),
        _("Send at most %(size)d bytes at once.") % {"size": max_content_length()},
    )


def _body(request: HttpRequest) -> bytes:
    """The request body, refused (413) beyond the largest size accepted."""
    limit = max_content_length()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise _too_large()
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large()
    return body


def _envelope_objects(body: bytes) -> list[dict[str, Any]]:
    """The objects of a TAXII envelope; 400 when the body is not one."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxiiError(
            400, _("Bad request"), _("The body is not valid JSON: %(error)s") % {"error": exc}
        ) from None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list) or not all(isinstance(obj, dict) for obj in objects):
        raise TaxiiError(
            400,
            _("Bad request"),
            _('Send a TAXII envelope: {"objects": [ … STIX objects … ]}.'),
        )
    return objects


def _detail(obj: Mapping[str, Any], message: str | None = None) -> dict[str, Any]:
    """A status detail: the object's id and version, and why when it failed."""
    detail: dict[str, Any] = {"id": str(obj.get("id", ""))}
    version = obj.get("modified") or obj.get("created")
    if version:
        detail["version"] = str(version)
    if message:
        detail["message"] = message
    return detail


def _import(
    objects: Sequence[dict[str, Any]], found: Collection, team: Team, user: User
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Import the objects; their successes and failures as status details."""
    if not objects:
        return [], []
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
    try:
        import_bundle(bundle, team=team, acting_user=user, sharing=Sharing(**found.sharing()))
    except BundleRefusedError as refused:
        message = " ".join(refused.messages) or str(refused)
        return [], [_detail(obj, message) for obj in objects]
    except PermissionDenied as denied:
        raise TaxiiError(403, _("Forbidden"), str(denied)) from None
    except ValidationError as invalid:
        raise TaxiiError(422, _("Unprocessable"), " ".join(invalid.messages)) from None
    # Created, a new or a past version, held already, or (a TLP marking
    # definition, a team's own identity) not needed: each one is done.
    return [_detail(obj) for obj in objects], []


def add_objects(
    request: HttpRequest, user: User | AnonymousUser, found: Collection
) -> HttpResponse:
    """Import a TAXII envelope into ``found``; answer 202 with the status."""
    if not isinstance(user, User):
        raise unauthorized(_("Authenticate to add objects."))
    check_content_type(request.headers.get("Content-Type"))
    team = found.writer_team(request.GET.get("team"))
    requested = timezone.now()
    objects = _envelope_objects(_body(request))
    successes, failures = _import(objects, found, team, user)
    status = TaxiiStatus.objects.create(
        collection=found.id,
        team=team,
        user=user,
        request_timestamp=requested,
        status="complete",
        total_count=len(objects),
        success_count=len(successes),
        failure_count=len(failures),
        pending_count=0,
        successes=successes,
        failures=failures,
    )
    return taxii_response(status_resource(status), status=202)


def status_resource(status: TaxiiStatus) -> dict[str, Any]:
    """The TAXII status resource of an addition."""
    resource: dict[str, Any] = {
        "id": str(status.id),
        "status": status.status,
        "request_timestamp": stix_time(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
        "pending_count": status.pending_count,
    }
    for name in ("successes", "failures", "pendings"):
        details = getattr(status, name)
        if details:
            resource[name] = details
    return resource
