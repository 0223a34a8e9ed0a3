"""The import runner: writes records through the services layer, all in one
transaction, each record in its own savepoint.

A record that cannot be written (a bad value, an unknown team, an invalid
PGP key) is rolled back to its savepoint and reported as refused; the others
go on. Anything unexpected — a crash, a file that turns out unreadable half
way — leaves the outer transaction and so leaves nothing behind. A dry run
does all the work and rolls the transaction back at the end.

Matching, so that a second run of the same file changes nothing: teams and
organisations on their short name (case-insensitive), contacts on their
holder and name (case-insensitive), claims on holder, kind and normalised
value. Only what the file carries is compared and updated, and nothing is
deleted: a contact or claim that is no longer in the file stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from baobab.core.models import SharingGroup, Team, User
from baobab.core.services import create_team, update_team
from baobab.directory.choices import ClaimSource
from baobab.directory.claims import InvalidClaimError, normalise_claim_value
from baobab.directory.importers.common import (
    ImportReport,
    Outcome,
    Problem,
    Where,
    validation_message,
)
from baobab.directory.importers.records import (
    TEAM,
    ClaimItem,
    ContactItem,
    HolderRef,
    Item,
    OrganisationItem,
    Record,
    TeamItem,
)
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import (
    clean_emails,
    clean_languages,
    clean_phones,
    create_claim,
    create_contact,
    create_organisation,
    update_claim,
    update_contact,
    update_organisation,
)

# The contact services store these lists cleaned; the import cleans them the
# same way first, so that what it compares is what would be stored.
_CONTACT_CLEANERS: dict[str, Callable[[Any], list[Any]]] = {
    "emails": clean_emails,
    "phones": clean_phones,
    "languages": clean_languages,
}


class RefusedError(Exception):
    """A record cannot be written, for the reason given."""


@dataclass(frozen=True)
class ImportContext:
    """Who imports, and what imported claims say about where they came from."""

    acting_user: User | None
    source_detail: str


def run_import(
    records: Iterable[Record],
    *,
    source: str,
    fmt: str,
    source_detail: str,
    acting_user: User | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Write ``records``; return what was created, updated, left unchanged and refused."""
    report = ImportReport(source=source, format=fmt, dry_run=dry_run)
    context = ImportContext(acting_user=acting_user, source_detail=source_detail[:200])
    with transaction.atomic():
        for record in records:
            if record.refusal is not None:
                report.refused.append(Problem(record.where, record.refusal))
                continue
            outcome = ImportReport(source=source, format=fmt)
            try:
                with transaction.atomic():
                    for item in record.items:
                        _apply(item, record.where, outcome, context)
            except ValidationError as exc:
                report.refused.append(Problem(record.where, validation_message(exc)))
                continue
            except (RefusedError, InvalidClaimError, PermissionDenied) as exc:
                report.refused.append(Problem(record.where, str(exc)))
                continue
            except IntegrityError as exc:
                report.refused.append(
                    Problem(record.where, _("The database refused it: %(error)s") % {"error": exc})
                )
                continue
            outcome.warnings.extend(Problem(record.where, text) for text in record.warnings)
            report.merge(outcome)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _apply(item: Item, where: Where, out: ImportReport, context: ImportContext) -> None:
    if isinstance(item, TeamItem):
        _apply_team(item, where, out, context)
    elif isinstance(item, OrganisationItem):
        _apply_organisation(item, where, out, context)
    elif isinstance(item, ContactItem):
        _apply_contact(item, where, out, context)
    else:
        _apply_claim(item, where, out, context)


def _changes(obj: models.Model, fields: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``fields`` whose value differs from what ``obj`` holds."""
    return {name: value for name, value in fields.items() if getattr(obj, name) != value}


def _record(out: ImportReport, where: Where, what: str, *, created: bool, changed: bool) -> None:
    if created:
        out.created.append(Outcome(where, what))
    elif changed:
        out.updated.append(Outcome(where, what))
    else:
        out.unchanged.append(Outcome(where, what))


def find_team(short_name: str) -> Team | None:
    """The team with this short name, whatever its case."""
    return Team.objects.filter(short_name__iexact=short_name).first()


def _holder(ref: HolderRef) -> Team | Organisation:
    if ref.kind == TEAM:
        team = find_team(ref.short_name)
        if team is None:
            raise RefusedError(_("There is no team %(name)s.") % {"name": ref.short_name})
        return team
    organisation = Organisation.objects.filter(short_name__iexact=ref.short_name).first()
    if organisation is None:
        raise RefusedError(_("There is no organisation %(name)s.") % {"name": ref.short_name})
    return organisation


def _holder_filter(holder: Team | Organisation) -> dict[str, Any]:
    return {"team": holder} if isinstance(holder, Team) else {"organisation": holder}


def _describe_holder(holder: Team | Organisation) -> str:
    if isinstance(holder, Team):
        return _("team %(name)s") % {"name": holder.short_name}
    return _("organisation %(name)s") % {"name": holder.short_name}


def _apply_team(item: TeamItem, where: Where, out: ImportReport, context: ImportContext) -> None:
    what = _("team %(name)s") % {"name": item.short_name}
    team = find_team(item.short_name)
    if team is None:
        create_team(
            acting_user=context.acting_user,
            short_name=item.short_name,
            **{**item.create_only, **item.fields},
        )
        _record(out, where, what, created=True, changed=True)
        return
    changes = _changes(team, item.fields)
    if changes:
        update_team(team, changes, acting_user=context.acting_user)
    _record(out, where, what, created=False, changed=bool(changes))


def _apply_organisation(
    item: OrganisationItem, where: Where, out: ImportReport, context: ImportContext
) -> None:
    what = _("organisation %(name)s") % {"name": item.short_name}
    fields = dict(item.fields)
    if item.managed_by is not None:
        manager = find_team(item.managed_by)
        if manager is None:
            raise RefusedError(
                _("The coordinating team %(name)s does not exist.") % {"name": item.managed_by}
            )
        fields["managed_by"] = manager
    organisation = Organisation.objects.filter(short_name__iexact=item.short_name).first()
    if organisation is None:
        if "managed_by" not in fields:
            raise RefusedError(_("An organisation needs its coordinating team (managed_by)."))
        create_organisation(
            acting_user=context.acting_user,
            short_name=item.short_name,
            **{**item.create_only, **fields},
        )
        _record(out, where, what, created=True, changed=True)
        return
    changes = _changes(organisation, fields)
    if changes:
        update_organisation(organisation, changes, acting_user=context.acting_user)
    _record(out, where, what, created=False, changed=bool(changes))


def _sharing_group(name: str) -> SharingGroup | None:
    if not name:
        return None
    group = SharingGroup.objects.filter(name=name).first()
    if group is None:
        raise RefusedError(_("There is no sharing group %(name)s.") % {"name": name})
    return group


def _recipient_teams(names: list[str]) -> list[Team]:
    teams = []
    for name in names:
        team = find_team(name)
        if team is None:
            raise RefusedError(
                _("The named recipient team %(name)s does not exist.") % {"name": name}
            )
        teams.append(team)
    return teams


def _apply_contact(
    item: ContactItem, where: Where, out: ImportReport, context: ImportContext
) -> None:
    holder = _holder(item.holder)
    what = _("contact %(name)s of %(holder)s") % {
        "name": item.name,
        "holder": _describe_holder(holder),
    }
    fields = dict(item.fields)
    for name, cleaner in _CONTACT_CLEANERS.items():
        if name in fields:
            try:
                fields[name] = cleaner(fields[name] or [])
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from exc
    if "pgp_key" in fields:
        fields["pgp_key"] = (fields["pgp_key"] or "").strip()
    if item.sharing_group is not None:
        fields["sharing_group"] = _sharing_group(item.sharing_group)
    recipients = _recipient_teams(item.recipients) if item.recipients is not None else None
    matches = list(
        Contact.objects.filter(**_holder_filter(holder), name__iexact=item.name).order_by("pk")[:2]
    )
    if len(matches) > 1:
        raise RefusedError(
            _("%(holder)s has several contacts named %(name)s; rename one first.")
            % {"holder": _describe_holder(holder), "name": item.name}
        )
    if not matches:
        create_contact(
            holder,
            acting_user=context.acting_user,
            recipient_teams=recipients,
            name=item.name,
            **{**item.create_only, **fields},
        )
        _record(out, where, what, created=True, changed=True)
        return
    contact = matches[0]
    changes = _changes(contact, fields)
    new_recipients = None
    if recipients is not None:
        current = set(contact.recipient_teams.values_list("pk", flat=True))
        if current != {team.pk for team in recipients}:
            new_recipients = recipients
    if changes or new_recipients is not None:
        update_contact(
            contact, changes, acting_user=context.acting_user, recipient_teams=new_recipients
        )
    _record(out, where, what, created=False, changed=bool(changes) or new_recipients is not None)


def _apply_claim(item: ClaimItem, where: Where, out: ImportReport, context: ImportContext) -> None:
    holder = _holder(item.holder)
    value = normalise_claim_value(item.kind, item.value)
    what = _("claim %(kind)s %(value)s of %(holder)s") % {
        "kind": item.kind,
        "value": value,
        "holder": _describe_holder(holder),
    }
    claim = ConstituencyClaim.objects.filter(
        **_holder_filter(holder), kind=item.kind, value=value
    ).first()
    if claim is None:
        create_claim(
            holder,
            item.kind,
            value,
            acting_user=context.acting_user,
            source=ClaimSource.IMPORTED,
            source_detail=context.source_detail,
            **item.fields,
        )
        _record(out, where, what, created=True, changed=True)
        return
    changes = _changes(claim, item.fields)
    if changes:
        update_claim(claim, changes, acting_user=context.acting_user)
    _record(out, where, what, created=False, changed=bool(changes))
