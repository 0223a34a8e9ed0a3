"""Trusted Introducer's public team directory (``teams.json``).

The file is a JSON list of teams, each with ``short_name``, ``official_name``,
``country`` (``{"code": "AT", "name": …}``), ``constituency`` (``types``,
``asns``, ``domains``, ``ipranges``, ``countries``), ``business_hours``,
``business_hours_timezone``, ``phones`` (``number`` and ``usage``: voice,
emergency, fax), ``emails`` (``address`` and ``usage``) and ``pgp_keys``.

How it maps onto Baobab:

* the team's short name is TI's ``short_name`` with anything a Baobab short
  name may not hold turned into dashes (``ACN IBE CSIRT`` → ``ACN-IBE-CSIRT``);
  its name is ``official_name``; country, business hours and time zone come
  across; the first ``contact`` e-mail address becomes the team's e-mail and
  the first emergency number its 24/7 phone;
* the team type is guessed from the constituency types, only when the team
  is created ("National" → national, "Government" → government, "Research
  & Education" → academic, CIIP/financial/energy/… → sectoral, anything else
  → private); the vetting level is the community's own and is never touched;
* one role contact named ``Trusted Introducer contact`` holds every e-mail
  address and the voice and emergency numbers (fax numbers are left out); it
  is created TLP:GREEN, shared with the community;
* the constituency's ASNs, domains and IP ranges become claims; its
  countries become country claims only for a team whose constituency is
  "National" (other teams name countries they merely work in);
* TI publishes only the fingerprints of teams' PGP keys, not the keys, so no
  key is imported from this format.

A value the file carries that Baobab cannot take (a bad country, ASN,
domain or prefix, an invalid e-mail address) refuses the whole team, with
the reason; a time zone Baobab does not know is left out with a warning.
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
    prefixes_of,
)
from baobab.directory.importers.records import (
    TEAM,
    ClaimItem,
    HolderRef,
    Record,
    TeamItem,
)
from baobab.directory.importers.team_directory import put_hours, put_website, team_contact

FORMAT = "trusted-introducer"
CONTACT_NAME = "Trusted Introducer contact"


def parse(text: str, *, name: str) -> Iterator[Record]:
    """The records of a TI ``teams.json`` file (raises UnusableFileError if it is not one)."""
    data = load_json(text, name=name)
    if isinstance(data, dict) and isinstance(data.get("teams"), list):
        data = data["teams"]
    if not isinstance(data, list):
        raise UnusableFileError(
            _("%(name)s is not a Trusted Introducer team list (a JSON list of teams).")
            % {"name": name}
        )
    for number, entry in enumerate(data, start=1):
        yield team_record(entry, number)


def _code(value: Any) -> str:
    """A country given as ``{"code": "AT"}`` or as ``"AT"``."""
    if isinstance(value, dict):
        return as_text(value.get("code"))
    return as_text(value)


def _usage(entry: dict[str, Any]) -> set[str]:
    return {usage.lower() for usage in as_text_list(entry.get("usage"))}


def _phones(entries: Any) -> list[dict[str, str]]:
    """Voice and emergency numbers, each once (emergency wins), fax left out."""
    phones: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        number = as_text(entry.get("number"))
        usage = _usage(entry)
        if not number or not usage & {"voice", "emergency"}:
            continue
        if "emergency" in usage:
            phones[number] = PhoneKind.EMERGENCY
        else:
            phones.setdefault(number, PhoneKind.VOICE)
    return [{"number": number, "kind": str(kind)} for number, kind in phones.items()]


def _emails(entries: Any) -> tuple[list[str], str]:
    """All addresses, and the one to use as the team's address."""
    addresses: list[str] = []
    main = ""
    for entry in entries if isinstance(entries, list) else []:
        address = as_text(entry.get("address")) if isinstance(entry, dict) else as_text(entry)
        if not address:
            continue
        if not is_email(address):
            raise BadValueError(_("%(value)s is not an e-mail address.") % {"value": address})
        if address not in addresses:
            addresses.append(address)
        if not main and isinstance(entry, dict) and "contact" in _usage(entry):
            main = address
    return addresses, main or (addresses[0] if addresses else "")


def _claims(holder: HolderRef, constituency: dict[str, Any], *, national: bool) -> list[ClaimItem]:
    claims = [
        ClaimItem(holder, ClaimKind.ASN, as_text(asn))
        for asn in constituency.get("asns") or []
        if as_text(asn)
    ]
    claims += [
        ClaimItem(holder, ClaimKind.DOMAIN, domain)
        for domain in as_text_list(constituency.get("domains") or [])
    ]
    for iprange in as_text_list(constituency.get("ipranges") or []):
        claims += [ClaimItem(holder, ClaimKind.PREFIX, prefix) for prefix in prefixes_of(iprange)]
    if national:
        for country in constituency.get("countries") or []:
            code = _code(country)
            if code:
                claims.append(ClaimItem(holder, ClaimKind.COUNTRY, code))
    return claims


def team_record(entry: Any, number: int) -> Record:
    """One TI team as a record: the team, its contact and its claims."""
    if not isinstance(entry, dict):
        return Record(Where("record", number), refusal=_("A team must be a JSON object."))
    short_name = make_short_name(as_text(entry.get("short_name")))
    where = Where("record", number, short_name)
    if not short_name:
        return Record(where, refusal=_("The team has no short_name."))
    record = Record(where)
    try:
        fields: dict[str, Any] = {"name": as_text(entry.get("official_name")) or short_name}
        country = _code(entry.get("country"))
        if country:
            fields["country"] = normalise_country(country)
        emails, main_email = _emails(entry.get("emails"))
    except (InvalidClaimError, BadValueError) as exc:
        record.refusal = str(exc)
        return record
    phones = _phones(entry.get("phones"))
    emergency = [phone["number"] for phone in phones if phone["kind"] == PhoneKind.EMERGENCY]
    if main_email:
        fields["email"] = main_email
    if emergency:
        fields["phone_24x7"] = emergency[0]
    put_hours(fields, record, entry.get("business_hours"), entry.get("business_hours_timezone"))
    put_website(fields, record, as_text(entry.get("website") or entry.get("url")))
    raw_constituency = entry.get("constituency")
    constituency: dict[str, Any] = raw_constituency if isinstance(raw_constituency, dict) else {}
    types = as_text_list(constituency.get("types") or [])
    team_type = guess_team_type(types)
    holder = HolderRef(TEAM, short_name)
    record.items.append(TeamItem(short_name, fields, create_only={"team_type": team_type}))
    if emails or phones:
        record.items.append(
            team_contact(
                holder,
                CONTACT_NAME,
                {"emails": emails, "phones": phones, "is_24x7": bool(emergency)},
            )
        )
    record.items.extend(_claims(holder, constituency, national=team_type == "national"))
    return record
