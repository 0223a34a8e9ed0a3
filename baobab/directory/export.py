"""The directory as Baobab's own CSV and JSON: teams, organisations, the
contacts the requesting user may see, and constituency claims.

Both layouts are exactly what ``baobab directory import --format csv|json``
reads, so an export imported again changes nothing.

CSV: one row per object, with a ``record`` column (``team``,
``organisation``, ``contact``, ``claim``) and the columns of
:data:`CSV_COLUMNS`; a row fills only the columns of its kind. Contacts and
claims name what they belong to in ``holder`` (``team:CERT-KE``,
``organisation:safaricom``); ``type`` holds the team type, organisation kind,
contact kind or claim kind; ``description`` the team's RFC 2350 text or the
organisation's notes. Lists are separated by ``;`` (phones as
``kind:number``), booleans are ``true``/``false``, dates ``YYYY-MM-DD``. A
cell that would start with ``=``, ``+``, ``-``, ``@`` or a tab is written with
a leading ``'`` so a spreadsheet does not run it; the importer removes it.

JSON: ``{"format": "baobab-directory", "version": 1, "exported_at": …,
"teams": [...], "organisations": [...]}``; each team and organisation holds
its ``contacts`` and ``claims``, with the model's field names.

Contacts go through the one visibility rule (:func:`baobab.core.visibility.restrict`);
only the operator at the command line may ask for all of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models.functions import Lower
from django.utils import timezone

from baobab.core.models import Team
from baobab.core.visibility import restrict
from baobab.directory.models import ConstituencyClaim, Contact, Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import User

FORMAT_NAME = "baobab-directory"
FORMAT_VERSION = 1

CSV_COLUMNS = (
    "record",
    "holder",
    "short_name",
    "name",
    "type",
    "country",
    "vetting_level",
    "member_since",
    "website",
    "email",
    "phone_24x7",
    "timezone",
    "business_hours",
    "managed_by",
    "description",
    "title",
    "emails",
    "phones",
    "languages",
    "is_24x7",
    "pgp_key",
    "pgp_fingerprint",
    "tlp",
    "distribution",
    "sharing_group",
    "recipients",
    "value",
    "valid_from",
    "valid_until",
    "source",
    "source_detail",
)
LIST_SEPARATOR = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TEAM_FIELDS = (
    "name",
    "team_type",
    "country",
    "vetting_level",
    "member_since",
    "website",
    "email",
    "phone_24x7",
    "timezone",
    "business_hours",
    "rfc2350",
)
ORGANISATION_FIELDS = ("name", "kind", "country", "website", "notes")
CONTACT_FIELDS = (
    "kind",
    "title",
    "emails",
    "phones",
    "languages",
    "is_24x7",
    "pgp_key",
    "tlp",
    "distribution",
)
CLAIM_FIELDS = ("valid_from", "valid_until")


@dataclass
class DirectorySnapshot:
    """Everything one export holds, read once."""

    teams: list[Team]
    organisations: list[Organisation]
    contacts: list[Contact]
    claims: list[ConstituencyClaim]


def collect(user: User | AnonymousUser | None, *, operator: bool = False) -> DirectorySnapshot:
    """The directory as ``user`` may see it; ``operator=True`` (command line only) sees
    every contact."""
    contacts = Contact.objects.select_related("team", "organisation", "sharing_group")
    if not operator:
        contacts = restrict(contacts, user)
    claims = ConstituencyClaim.objects.select_related("team", "organisation")
    return DirectorySnapshot(
        teams=list(Team.objects.order_by(Lower("short_name"))),
        organisations=list(
            Organisation.objects.select_related("managed_by").order_by(Lower("short_name"))
        ),
        contacts=sorted(
            contacts.prefetch_related("recipient_teams"),
            key=lambda c: (*_holder_key(c.team, c.organisation), c.name.lower(), c.pk),
        ),
        claims=sorted(
            claims, key=lambda c: (*_holder_key(c.team, c.organisation), c.kind, c.value)
        ),
    )


def _holder_key(team: Team | None, organisation: Organisation | None) -> tuple[int, str]:
    if team is not None:
        return 0, team.short_name.lower()
    assert organisation is not None
    return 1, organisation.short_name.lower()


def holder_label(team: Team | None, organisation: Organisation | None) -> str:
    """``team:CERT-KE`` or ``organisation:safaricom``."""
    if team is not None:
        return f"team:{team.short_name}"
    assert organisation is not None
    return f"organisation:{organisation.short_name}"


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# --- JSON -----------------------------------------------------------------


def contact_data(contact: Contact) -> dict[str, Any]:
    """One contact as JSON data (the PGP fingerprint and expiry are for reading only)."""
    data = {name: _json_value(getattr(contact, name)) for name in CONTACT_FIELDS}
    data = {"name": contact.name, **data}
    data["pgp_fingerprint"] = contact.pgp_fingerprint
    data["pgp_expires_at"] = _json_value(contact.pgp_expires_at)
    data["sharing_group"] = contact.sharing_group.name if contact.sharing_group else None
    data["recipients"] = sorted(team.short_name for team in contact.recipient_teams.all())
    return data


def claim_data(claim: ConstituencyClaim) -> dict[str, Any]:
    """One claim as JSON data."""
    data = {"kind": claim.kind, "value": claim.value}
    data.update({name: _json_value(getattr(claim, name)) for name in CLAIM_FIELDS})
    data.update({"source": claim.source, "source_detail": claim.source_detail})
    return data


def as_json_data(snapshot: DirectorySnapshot) -> dict[str, Any]:
    """The snapshot in Baobab's JSON layout."""
    contacts: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for contact in snapshot.contacts:
        key = (0, contact.team_id) if contact.team_id else (1, contact.organisation_id or 0)
        contacts.setdefault(key, []).append(contact_data(contact))
    claims: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for claim in snapshot.claims:
        key = (0, claim.team_id) if claim.team_id else (1, claim.organisation_id or 0)
        claims.setdefault(key, []).append(claim_data(claim))
    teams = []
    for team in snapshot.teams:
        data: dict[str, Any] = {"short_name": team.short_name}
        data.update({name: _json_value(getattr(team, name)) for name in TEAM_FIELDS})
        data["contacts"] = contacts.get((0, team.pk), [])
        data["claims"] = claims.get((0, team.pk), [])
        teams.append(data)
    organisations = []
    for organisation in snapshot.organisations:
        data = {"short_name": organisation.short_name}
        data.update({name: getattr(organisation, name) for name in ORGANISATION_FIELDS})
        data["managed_by"] = organisation.managed_by.short_name
        data["contacts"] = contacts.get((1, organisation.pk), [])
        data["claims"] = claims.get((1, organisation.pk), [])
        organisations.append(data)
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "teams": teams,
        "organisations": organisations,
    }


# --- CSV ------------------------------------------------------------------


def protect_cell(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (undone by :func:`unprotect_cell`)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def unprotect_cell(text: str) -> str:
    """Undo :func:`protect_cell`."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _phone_cell(phone: Any) -> str:
    """``kind:number`` for one entry of a contact's phones."""
    if isinstance(phone, dict):
        return f"{phone.get('kind') or 'voice'}:{phone.get('number', '')}"
    return f"voice:{phone}"


def _join(values: list[str]) -> str:
    return LIST_SEPARATOR.join(values)


def csv_rows(snapshot: DirectorySnapshot) -> list[dict[str, str]]:
    """The snapshot as CSV rows (dicts keyed by :data:`CSV_COLUMNS`)."""
    rows: list[dict[str, Any]] = []
    for team in snapshot.teams:
        row = {name: getattr(team, name) for name in TEAM_FIELDS if name != "rfc2350"}
        row.update(record="team", short_name=team.short_name, description=team.rfc2350)
        row["type"] = row.pop("team_type")
        rows.append(row)
    for organisation in snapshot.organisations:
        rows.append(
            {
                "record": "organisation",
                "short_name": organisation.short_name,
                "name": organisation.name,
                "type": organisation.kind,
                "country": organisation.country,
                "website": organisation.website,
                "managed_by": organisation.managed_by.short_name,
                "description": organisation.notes,
            }
        )
    for contact in snapshot.contacts:
        rows.append(
            {
                "record": "contact",
                "holder": holder_label(contact.team, contact.organisation),
                "name": contact.name,
                "type": contact.kind,
                "title": contact.title,
                "emails": _join(list(contact.emails)),
                "phones": _join([_phone_cell(phone) for phone in contact.phones]),
                "languages": _join(list(contact.languages)),
                "is_24x7": contact.is_24x7,
                "pgp_key": contact.pgp_key,
                "pgp_fingerprint": contact.pgp_fingerprint,
                "tlp": contact.tlp,
                "distribution": contact.distribution,
                "sharing_group": contact.sharing_group.name if contact.sharing_group else "",
                "recipients": _join(sorted(t.short_name for t in contact.recipient_teams.all())),
            }
        )
    for claim in snapshot.claims:
        rows.append(
            {
                "record": "claim",
                "holder": holder_label(claim.team, claim.organisation),
                "type": claim.kind,
                "value": claim.value,
                "valid_from": claim.valid_from,
                "valid_until": claim.valid_until,
                "source": claim.source,
                "source_detail": claim.source_detail,
            }
        )
    return [
        {column: protect_cell(_cell(row.get(column))) for column in CSV_COLUMNS} for row in rows
    ]


def as_csv_text(snapshot: DirectorySnapshot) -> str:
    """The snapshot as CSV text, with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(snapshot))
    return buffer.getvalue()
