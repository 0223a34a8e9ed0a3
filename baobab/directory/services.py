"""All writes to the directory: organisations, contacts and constituency claims.

Each function checks that the acting user may make the change (``None``
stands for the operator at the command line or a trusted import), validates,
writes in one transaction and records the change in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.utils.translation import gettext as _

from baobab.core import services as core_services
from baobab.core.choices import Role
from baobab.core.models import Team, User
from baobab.core.permissions import (
    has_role,
    is_community_admin,
    is_community_member,
    require_community_admin,
    require_role,
)
from baobab.core.services import (
    check_sharing_group,
    create_object,
    delete_object,
    update_object,
)
from baobab.directory.choices import PhoneKind
from baobab.directory.claims import InvalidClaimError, normalise_claim_value
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.pgp import InvalidKeyError, parse_public_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

_PHONE = re.compile(r"^\+?[0-9(][0-9 ().\-/]{2,38}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_HOLDER_FIELDS = (
    "team",
    "team_id",
    "organisation",
    "organisation_id",
    "owner_team",
    "owner_team_id",
)


# --- who may read and edit ---------------------------------------------------


def may_read_directory(user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` is a community member, who may read the directory."""
    return is_community_member(user)


def managing_team(holder: Team | Organisation) -> Team:
    """The team whose admins may edit ``holder`` and its contacts and claims."""
    return holder if isinstance(holder, Team) else holder.managed_by


def may_edit(user: User | AnonymousUser | None, holder: Team | Organisation) -> bool:
    """Whether ``user`` may edit ``holder`` (a team or an organisation), its
    contacts and its claims: an admin of the managing team, or a community admin."""
    return has_role(user, managing_team(holder), Role.ADMIN)


def teams_administered_by(user: User) -> QuerySet[Team]:
    """Teams ``user`` may place organisations under: all for community admins."""
    teams = Team.objects.order_by("short_name")
    if is_community_admin(user):
        return teams
    return teams.filter(memberships__user=user, memberships__role=Role.ADMIN)


def _require_editor(acting_user: User | None, holder: Team | Organisation) -> None:
    if acting_user is not None:
        require_role(acting_user, managing_team(holder), Role.ADMIN)


def _holder_fields(holder: Team | Organisation) -> dict[str, Any]:
    if isinstance(holder, Team):
        return {"team": holder, "organisation": None}
    return {"team": None, "organisation": holder}


def _refuse_holder_change(changes: dict[str, Any], message: str) -> None:
    moved = [name for name in _HOLDER_FIELDS if name in changes]
    if moved:
        raise ValidationError({moved[0].removesuffix("_id"): message})


def _contact_stays() -> str:
    return _(
        "A contact cannot move to another team or organisation; delete it and add it there instead."
    )


def _claim_stays() -> str:
    return _(
        "A claim cannot move to another team or organisation; delete it and add it there instead."
    )


def _protected_message(exc: ProtectedError | RestrictedError, what: object) -> str:
    blockers = sorted({str(obj) for obj in list(exc.args[1])[:5]})
    return _("%(what)s cannot be deleted while other records refer to it: %(blockers)s.") % {
        "what": what,
        "blockers": ", ".join(blockers),
    }


# --- teams -------------------------------------------------------------------


def delete_team_entry(team: Team, *, acting_user: User | None) -> None:
    """Delete a team from the directory with its own contacts and claims.

    Each contact and claim is deleted (and audited) on its own. A team that
    still coordinates organisations, or that other records depend on, is
    refused with a :class:`ValidationError` saying why.
    """
    if acting_user is not None:
        require_community_admin(acting_user)
    organisations = list(team.organisations.order_by("short_name")[:5])
    if organisations:
        raise ValidationError(
            _(
                "%(team)s still coordinates organisations (%(names)s); "
                "move them to another team or delete them first."
            )
            % {"team": team, "names": ", ".join(str(org) for org in organisations)}
        )
    try:
        with transaction.atomic():
            for contact in Contact.objects.filter(owner_team=team):
                delete_object(contact, acting_user=acting_user)
            for claim in team.claims.all():
                delete_object(claim, acting_user=acting_user)
            core_services.delete_team(team, acting_user=acting_user)
    except (ProtectedError, RestrictedError) as exc:
        raise ValidationError(_protected_message(exc, team)) from exc


# --- organisations -----------------------------------------------------------


def create_organisation(*, acting_user: User | None, **fields: Any) -> Organisation:
    """Add an organisation to the constituency of its coordinating team."""
    organisation = Organisation(**fields)
    if acting_user is not None:
        require_role(acting_user, organisation.managed_by_id, Role.ADMIN)
    return create_object(organisation, acting_user=acting_user)


def update_organisation(
    organisation: Organisation, changes: dict[str, Any], *, acting_user: User | None
) -> Organisation:
    """Change an organisation; moving it to another team needs admin rights in both."""
    _require_editor(acting_user, organisation)
    if "managed_by" in changes:
        _require_editor(acting_user, changes["managed_by"])
    return update_object(organisation, changes, acting_user=acting_user)


def delete_organisation(organisation: Organisation, *, acting_user: User | None) -> None:
    """Delete an organisation with its contacts and claims, each audited."""
    _require_editor(acting_user, organisation)
    try:
        with transaction.atomic():
            for contact in organisation.contacts.all():
                delete_object(contact, acting_user=acting_user)
            for claim in organisation.claims.all():
                delete_object(claim, acting_user=acting_user)
            delete_object(organisation, acting_user=acting_user)
    except (ProtectedError, RestrictedError) as exc:
        raise ValidationError(_protected_message(exc, organisation)) from exc


# --- contacts ----------------------------------------------------------------


def clean_emails(values: Iterable[str]) -> list[str]:
    """Validated e-mail addresses, blanks and repeats left out."""
    result: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if not value:
            continue
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationError(
                _("%(value)s is not a valid e-mail address.") % {"value": value}
            ) from exc
        if value.lower() not in {existing.lower() for existing in result}:
            result.append(value)
    return result


def clean_phones(values: Iterable[dict[str, str] | str]) -> list[dict[str, str]]:
    """Validated phone numbers as ``{"number": …, "kind": "emergency"|"voice"}``.

    A bare string is taken as a voice number.
    """
    result: list[dict[str, str]] = []
    for raw in values:
        if isinstance(raw, str):
            number, kind = raw.strip(), PhoneKind.VOICE.value
        elif isinstance(raw, dict):
            number = str(raw.get("number", "")).strip()
            kind = str(raw.get("kind") or PhoneKind.VOICE.value)
        else:
            raise ValidationError(_("Give each phone as a number and a kind."))
        if not number:
            continue
        if not _PHONE.match(number):
            raise ValidationError(
                _("%(value)s is not a phone number (such as +254 20 123 4567).") % {"value": number}
            )
        if kind not in PhoneKind.values:
            raise ValidationError(
                _("%(kind)s is not a phone kind; use emergency or voice.") % {"kind": kind}
            )
        result.append({"number": number, "kind": kind})
    return result


def clean_languages(values: Iterable[str]) -> list[str]:
    """Language codes (ISO 639, optionally with a region: en, fr, pt-BR), repeats left out."""
    result: list[str] = []
    for raw in values:
        value = str(raw).strip().replace("_", "-")
        if not value:
            continue
        if not _LANGUAGE.match(value.lower()):
            raise ValidationError(
                _("%(value)s is not a language code (such as en, fr, ar or pt-BR).")
                % {"value": value}
            )
        primary, *rest = value.lower().split("-")
        code = "-".join([primary, *(part.upper() if len(part) == 2 else part for part in rest)])
        if code not in result:
            result.append(code)
    return result


def _clean_contact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the list fields and parse the PGP key (if given) in ``fields``."""
    fields = dict(fields)
    cleaners = {"emails": clean_emails, "phones": clean_phones, "languages": clean_languages}
    errors: dict[str, list[str]] = {}
    for name, cleaner in cleaners.items():
        if name in fields:
            try:
                fields[name] = cleaner(fields[name] or [])
            except ValidationError as exc:
                errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return _with_key_details(fields)


def _with_key_details(fields: dict[str, Any]) -> dict[str, Any]:
    """Parse the PGP key in ``fields`` (if given) and add what it says."""
    if "pgp_key" not in fields:
        return fields
    key_text = (fields["pgp_key"] or "").strip()
    if not key_text:
        return {
            **fields,
            "pgp_key": "",
            "pgp_fingerprint": "",
            "pgp_expires_at": None,
            "pgp_user_ids": [],
        }
    try:
        info = parse_public_key(key_text)
    except InvalidKeyError as exc:
        raise ValidationError({"pgp_key": str(exc)}) from exc
    return {
        **fields,
        "pgp_key": key_text,
        "pgp_fingerprint": info.fingerprint,
        "pgp_expires_at": info.expires_at,
        "pgp_user_ids": info.user_ids,
    }


def create_contact(
    holder: Team | Organisation,
    *,
    acting_user: User | None,
    recipient_teams: list[Team] | None = None,
    **fields: Any,
) -> Contact:
    """Add a point of contact to a team or an organisation."""
    _require_editor(acting_user, holder)
    _refuse_holder_change(fields, _contact_stays())
    check_sharing_group(managing_team(holder), fields.get("sharing_group"))
    contact = Contact(
        **_holder_fields(holder), owner_team=managing_team(holder), **_clean_contact_fields(fields)
    )
    return create_object(
        contact, acting_user=acting_user, m2m={"recipient_teams": recipient_teams or []}
    )


def update_contact(
    contact: Contact,
    changes: dict[str, Any],
    *,
    acting_user: User | None,
    recipient_teams: list[Team] | None = None,
) -> Contact:
    """Change a contact; it stays with its team or organisation."""
    _require_editor(acting_user, contact.holder)
    _refuse_holder_change(changes, _contact_stays())
    if changes.get("sharing_group") is not None:
        check_sharing_group(contact.owner_team, changes["sharing_group"])
    m2m: dict[str, Iterable[Any]] | None = (
        {"recipient_teams": recipient_teams} if recipient_teams is not None else None
    )
    return update_object(contact, _clean_contact_fields(changes), acting_user=acting_user, m2m=m2m)


def delete_contact(contact: Contact, *, acting_user: User | None) -> None:
    """Remove a point of contact."""
    _require_editor(acting_user, contact.holder)
    delete_object(contact, acting_user=acting_user)


# --- constituency claims -----------------------------------------------------


def _normalised(kind: str, value: str) -> str:
    try:
        return normalise_claim_value(kind, value)
    except InvalidClaimError as exc:
        raise ValidationError({"value": str(exc)}) from exc


def _check_dates(valid_from: Any, valid_until: Any) -> None:
    if valid_from and valid_until and valid_until < valid_from:
        raise ValidationError({"valid_until": _("The claim cannot end before it starts.")})


def _check_not_claimed_twice(
    holder: Team | Organisation, kind: str, value: str, exclude_pk: int | None = None
) -> None:
    existing = ConstituencyClaim.objects.filter(**_holder_fields(holder), kind=kind, value=value)
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    if existing.exists():
        raise ValidationError(
            {
                "value": _("%(holder)s already claims %(value)s.")
                % {"holder": holder, "value": value}
            }
        )


def create_claim(
    holder: Team | Organisation, kind: str, value: str, *, acting_user: User | None, **fields: Any
) -> ConstituencyClaim:
    """Add a constituency claim; the value is normalised first."""
    _require_editor(acting_user, holder)
    _refuse_holder_change(fields, _claim_stays())
    _check_dates(fields.get("valid_from"), fields.get("valid_until"))
    value = _normalised(kind, value)
    _check_not_claimed_twice(holder, kind, value)
    claim = ConstituencyClaim(**_holder_fields(holder), kind=kind, value=value, **fields)
    return create_object(claim, acting_user=acting_user)


def update_claim(
    claim: ConstituencyClaim, changes: dict[str, Any], *, acting_user: User | None
) -> ConstituencyClaim:
    """Change a claim (normalising a new value); it stays with its holder."""
    _require_editor(acting_user, claim.holder)
    _refuse_holder_change(changes, _claim_stays())
    changes = dict(changes)
    if "value" in changes or "kind" in changes:
        kind = changes.get("kind", claim.kind)
        changes["value"] = _normalised(kind, changes.get("value", claim.value))
        _check_not_claimed_twice(claim.holder, kind, changes["value"], exclude_pk=claim.pk)
    _check_dates(
        changes.get("valid_from", claim.valid_from), changes.get("valid_until", claim.valid_until)
    )
    return update_object(claim, changes, acting_user=acting_user)


def delete_claim(claim: ConstituencyClaim, *, acting_user: User | None) -> None:
    """Withdraw a constituency claim."""
    _require_editor(acting_user, claim.holder)
    delete_object(claim, acting_user=acting_user)
