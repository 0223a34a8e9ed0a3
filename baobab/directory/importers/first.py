"""FIRST's public team directory, as its API answers ``/data/v1/teams``.

The file is ``{"status": "OK", "data": [ … ]}`` (or, with ``envelope=false``,
the bare list). Each team carries ``id``, ``team`` (the short team name),
``team-full``, ``host``, ``country``, ``website`` (a list), ``email``,
``phone`` (a list), ``phone-emergency``, ``timezone``, ``operating-hours``,
``constituency`` and, in the ``pgp`` and ``members`` scopes,
``pgp-fingerprint`` and ``pgp-key``.

How it maps onto Baobab:

* the short name is ``team`` (or ``id`` when that is missing) with anything a
  Baobab short name may not hold turned into dashes; the name is
  ``team-full``; country, first web site, e-mail, emergency phone (as the
  24/7 phone), operating hours and time zone come across (``UTC-0500`` and
  ``GMT+2`` become ``Etc/GMT+5`` and ``Etc/GMT-2``; what cannot be read as
  a time zone is left out with a warning);
* the team type is guessed from ``constituency``, only when the team is
  created (see :func:`~baobab.directory.importers.common.guess_team_type`);
* one role contact named ``FIRST contact`` holds the e-mail address, the
  phone numbers (the emergency one marked so) and the PGP key when the file
  has one; it is created TLP:GREEN, shared with the community;
* a team whose constituency is "National" gets a country claim; FIRST lists
  no ASNs, domains or prefixes.

An invalid PGP key — or one whose fingerprint is not the ``pgp-fingerprint``
the file gives — refuses the whole team with the reason: a directory entry
whose key cannot be trusted is fixed at the source, not imported half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from baobab.directory.choices import ClaimKind, PhoneKind
from baobab.directory.claims import InvalidClaimError, normalise_country
from baobab.directory.importers.common import (
    BadValueError,
    UnusableFileError,
    Where,
    as_text,
    as_text_list,
    guess_team_type,
    is_email,
    load_json,
    make_short_name,
)
from baobab.directory.importers.records import (
    TEAM,
    ClaimItem,
    HolderRef,
    Record,
    TeamItem,
)
from baobab.directory.importers.team_directory import put_hours, put_website, team_contact
from baobab.directory.pgp import InvalidKeyError, parse_public_key

FORMAT = "first"
CONTACT_NAME = "FIRST contact"


def parse(text: str, *, name: str) -> Iterator[Record]:
    """The records of a FIRST API teams answer (raises UnusableFileError if it is not one)."""
    data = load_json(text, name=name)
    if isinstance(data, dict):
        status = as_text(data.get("status"))
        if status and status.upper() != "OK":
            raise UnusableFileError(
                _("%(name)s is an error answer of the FIRST API (status %(status)s).")
                % {"name": name, "status": status}
            )
        data = data.get("data")
    if not isinstance(data, list):
        raise UnusableFileError(
            _('%(name)s is not a FIRST teams answer ({"status": "OK", "data": [...]}).')
            % {"name": name}
        )
    for number, entry in enumerate(data, start=1):
        yield team_record(entry, number)


def _digits(text: str) -> bool:
    return sum(char.isdigit() for char in text) >= 3


def _phones(entry: dict[str, Any]) -> tuple[list[dict[str, str]], str]:
    emergency = as_text(entry.get("phone-emergency"))
    if emergency and not _digits(emergency):
        emergency = ""
    phones = [{"number": emergency, "kind": str(PhoneKind.EMERGENCY)}] if emergency else []
    for number in as_text_list(entry.get("phone") or []):
        if _digits(number) and number != emergency:
            phones.append({"number": number, "kind": str(PhoneKind.VOICE)})
    return phones, emergency


def _checked_key(entry: dict[str, Any]) -> str:
    """The team's PGP key text ("" when there is none); InvalidKeyError when it is unusable."""
    key = as_text(entry.get("pgp-key"))
    if not key:
        return ""
    info = parse_public_key(key)
    expected = "".join(as_text(entry.get("pgp-fingerprint")).split()).upper()
    if expected and expected != info.fingerprint:
        raise InvalidKeyError(
            _("The key's fingerprint %(actual)s is not the pgp-fingerprint %(expected)s.")
            % {"actual": info.fingerprint, "expected": expected}
        )
    return key


def team_record(entry: Any, number: int) -> Record:
    """One FIRST team as a record: the team, its contact and its country claim."""
    if not isinstance(entry, dict):
        return Record(Where("record", number), refusal=_("A team must be a JSON object."))
    short_name = make_short_name(as_text(entry.get("team")) or as_text(entry.get("id")))
    where = Where("record", number, short_name)
    if not short_name:
        return Record(where, refusal=_("The team has neither a team nor an id."))
    record = Record(where)
    fields: dict[str, Any] = {"name": as_text(entry.get("team-full")) or short_name}
    email = as_text(entry.get("email"))
    try:
        country = as_text(entry.get("country"))
        if country:
            fields["country"] = normalise_country(country)
        if email and not is_email(email):
            raise BadValueError(_("%(value)s is not an e-mail address.") % {"value": email})
        key = _checked_key(entry)
    except (InvalidClaimError, BadValueError) as exc:
        record.refusal = str(exc)
        return record
    except InvalidKeyError as exc:
        record.refusal = _("PGP key: %(reason)s") % {"reason": exc}
        return record
    phones, emergency = _phones(entry)
    if email:
        fields["email"] = email
    if emergency:
        fields["phone_24x7"] = emergency
    put_hours(fields, record, entry.get("operating-hours"), entry.get("timezone"))
    sites = as_text_list(entry.get("website") or [])
    put_website(fields, record, sites[0] if sites else "")
    team_type = guess_team_type(as_text_list(entry.get("constituency") or []))
    holder = HolderRef(TEAM, short_name)
    record.items.append(TeamItem(short_name, fields, create_only={"team_type": team_type}))
    contact_fields: dict[str, Any] = {
        "emails": [email] if email else [],
        "phones": phones,
        "is_24x7": bool(emergency),
    }
    if key:
        contact_fields["pgp_key"] = key
    if email or phones or key:
        record.items.append(team_contact(holder, CONTACT_NAME, contact_fields))
    if team_type == "national" and "country" in fields:
        record.items.append(ClaimItem(holder, ClaimKind.COUNTRY, fields["country"]))
    return record
