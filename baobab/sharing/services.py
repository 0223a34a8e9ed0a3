"""All writes to shared objects: indicators, reports, sightings and
relationships. Each checks that the acting user is an analyst of the owner
team, validates, writes the object and its new version in one transaction
and records the change in the audit log, whichever channel calls it."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core.choices import Role
from baobab.core.models import Team, User
from baobab.core.permissions import has_role, is_community_admin, require_role
from baobab.core.services import check_sharing_group, create_object, delete_object, update_object
from baobab.sharing.models import (
    Indicator,
    ObjectVersion,
    Relationship,
    Report,
    ReportAttachment,
    SharedObject,
    Sighting,
)
from baobab.sharing.queries import Who, hidden_ids, visible
from baobab.sharing.stix.render import in_milliseconds
from baobab.sharing.values import InvalidValueError, normalise
from baobab.sharing.versions import record_version

_S = TypeVar("_S", bound=SharedObject)

# What a change to an object may not touch: who owns it and what it is.
_FIXED = frozenset({"owner_team", "owner_team_id", "stix_id", "created", "created_by"})


def may_share(user: User | None, team: Team | int) -> bool:
    """Whether ``user`` may add and change the shared objects of ``team``."""
    return has_role(user, team, Role.ANALYST)


def new_stix_id(stix_type: str) -> str:
    return f"{stix_type}--{uuid.uuid4()}"


def _create(
    obj: _S,
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None,
) -> _S:
    if acting_user is not None:
        require_role(acting_user, obj.owner_team, Role.ANALYST)
        obj.created_by = acting_user
    check_sharing_group(obj.owner_team, obj.sharing_group)
    now = in_milliseconds(timezone.now())
    obj.created = obj.modified = obj.added_at = now
    with transaction.atomic():
        create_object(obj, acting_user=acting_user, m2m={"recipient_teams": recipient_teams or []})
        record_version(obj)
    return obj


def _update(
    obj: _S,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None,
) -> _S:
    if acting_user is not None:
        require_role(acting_user, obj.owner_team_id, Role.ANALYST)
    fixed = _FIXED & set(changes)
    if fixed:
        raise ValidationError(_("These cannot change: %s.") % ", ".join(sorted(fixed)))
    if "sharing_group" in changes:
        check_sharing_group(obj.owner_team, changes["sharing_group"])
    now = in_milliseconds(timezone.now())
    if now <= obj.modified:  # two changes in one millisecond are two versions
        now = obj.modified + dt.timedelta(milliseconds=1)
    m2m: dict[str, Iterable[Any]] | None = (
        {"recipient_teams": list(recipient_teams)} if recipient_teams is not None else None
    )
    with transaction.atomic():
        update_object(
            obj, {**changes, "modified": now, "added_at": now}, acting_user=acting_user, m2m=m2m
        )
        record_version(obj)
    return obj


def _delete(obj: SharedObject, *, acting_user: User | None) -> None:
    if acting_user is not None:
        require_role(acting_user, obj.owner_team_id, Role.ANALYST)
    with transaction.atomic():
        ObjectVersion.objects.filter(owner_team_id=obj.owner_team_id, stix_id=obj.stix_id).delete()
        delete_object(obj, acting_user=acting_user)


# --- indicators -------------------------------------------------------------


def _normalised_value(fields: dict[str, Any], kind: str) -> dict[str, Any]:
    if "value" not in fields:
        return fields
    try:
        return {**fields, "value": normalise(kind, str(fields["value"]))}
    except InvalidValueError as exc:
        raise ValidationError({"value": str(exc)}) from None


def create_indicator(
    team: Team,
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Indicator:
    """Share a value (its type in ``kind``) as an indicator of ``team``."""
    kind = str(fields.get("kind", ""))
    indicator = Indicator(
        owner_team=team, stix_id=new_stix_id("indicator"), **_normalised_value(fields, kind)
    )
    return _create(indicator, acting_user=acting_user, recipient_teams=recipient_teams)


def update_indicator(
    indicator: Indicator,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
) -> Indicator:
    """Change an indicator; the change is a new version."""
    kind = str(changes.get("kind", indicator.kind))
    if "kind" in changes and "value" not in changes:
        changes = {**changes, "value": indicator.value}
    return _update(
        indicator,
        _normalised_value(changes, kind),
        acting_user=acting_user,
        recipient_teams=recipient_teams,
    )


def delete_indicator(indicator: Indicator, *, acting_user: User | None) -> None:
    """Remove an indicator, its versions and its sightings."""
    _delete(indicator, acting_user=acting_user)


# --- reports ----------------------------------------------------------------


def create_report(
    team: Team,
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Report:
    """Share a written report of ``team``."""
    report = Report(owner_team=team, stix_id=new_stix_id("report"), **fields)
    return _create(report, acting_user=acting_user, recipient_teams=recipient_teams)


def update_report(
    report: Report,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
) -> Report:
    """Change a report; the change is a new version."""
    return _update(report, changes, acting_user=acting_user, recipient_teams=recipient_teams)


def delete_report(report: Report, *, acting_user: User | None) -> None:
    """Remove a report, its versions and its attachments."""
    for attachment in report.attachments.all():
        attachment.file.delete(save=False)
    _delete(report, acting_user=acting_user)


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def attach_file(
    report: Report, upload: UploadedFile, *, acting_user: User | None
) -> ReportAttachment:
    """Attach an uploaded file to a report (an analyst of its team)."""
    if acting_user is not None and not may_share(acting_user, report.owner_team_id):
        raise PermissionDenied(_("Only the analysts of the report's team attach files."))
    name = (upload.name or "attachment").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    attachment = ReportAttachment(
        report=report,
        name=name,
        content_type=(upload.content_type or mimetypes.guess_type(name)[0] or "")[:100],
        size=upload.size or 0,
        sha256=_sha256(upload),
    )
    attachment.file.save(name, upload, save=False)
    try:
        return create_object(attachment, acting_user=acting_user)
    except Exception:
        attachment.file.delete(save=False)  # nothing half-written stays behind
        raise


def detach_file(attachment: ReportAttachment, *, acting_user: User | None) -> None:
    """Remove a file from its report (an analyst of the report's team)."""
    if acting_user is not None and not may_share(acting_user, attachment.report.owner_team_id):
        raise PermissionDenied(_("Only the analysts of the report's team remove files."))
    with transaction.atomic():
        delete_object(attachment, acting_user=acting_user)
        transaction.on_commit(lambda: attachment.file.delete(save=False))


# --- sightings --------------------------------------------------------------


def create_sighting(
    team: Team,
    indicator: Indicator,
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Sighting:
    """Record that ``team`` saw ``indicator`` (which it must be able to see)."""
    if not visible(Indicator, team).filter(pk=indicator.pk).exists():
        raise ValidationError({"indicator": _("There is no such indicator.")})
    sighting = Sighting(
        owner_team=team,
        stix_id=new_stix_id("sighting"),
        indicator=indicator,
        sighting_of_ref=indicator.stix_id,
        **fields,
    )
    return _create(sighting, acting_user=acting_user, recipient_teams=recipient_teams)


def update_sighting(
    sighting: Sighting,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
) -> Sighting:
    """Change a sighting (times, count, description, marking)."""
    if {"indicator", "sighting_of_ref"} & set(changes):
        raise ValidationError(_("A sighting stays with what was seen; record a new one."))
    return _update(sighting, changes, acting_user=acting_user, recipient_teams=recipient_teams)


def delete_sighting(sighting: Sighting, *, acting_user: User | None) -> None:
    _delete(sighting, acting_user=acting_user)


# --- relationships ----------------------------------------------------------


def create_relationship(
    team: Team,
    *,
    acting_user: User | None,
    recipient_teams: Iterable[Team] | None = None,
    **fields: Any,
) -> Relationship:
    """Link two objects (by STIX id) on behalf of ``team``."""
    relationship = Relationship(owner_team=team, stix_id=new_stix_id("relationship"), **fields)
    return _create(relationship, acting_user=acting_user, recipient_teams=recipient_teams)


def delete_relationship(relationship: Relationship, *, acting_user: User | None) -> None:
    _delete(relationship, acting_user=acting_user)


# --- who shares, and what an editor could not see ------------------------------


def sharing_teams(user: User) -> QuerySet[Team]:
    """The teams ``user`` may share for: those they are an analyst or an
    admin of (every team, for a community administrator)."""
    teams = Team.objects.order_by("short_name")
    if is_community_admin(user):
        return teams
    return teams.filter(
        memberships__user=user, memberships__role__in=[Role.ANALYST, Role.ADMIN]
    ).distinct()


def require_sharer_of_a_team(user: User) -> None:
    """Refuse (403) a user who shares for no team."""
    if not sharing_teams(user).exists():
        raise PermissionDenied(
            _("You need the %(role)s role in a team to share.") % {"role": Role.ANALYST.label}
        )


def keep_hidden_refs(report: Report, refs: Iterable[str], who: Who) -> list[str]:
    """``refs`` as an editor chose them, plus the report's references the
    editor could not see (and so could not keep or drop)."""
    hidden = hidden_ids(report.object_refs, who)
    chosen = list(dict.fromkeys(refs))
    return chosen + [ref for ref in report.object_refs if ref in hidden and ref not in chosen]
