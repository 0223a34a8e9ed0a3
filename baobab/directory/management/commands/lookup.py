"""``baobab lookup QUERY [--json]``: who handles an IP, prefix, ASN, domain,
URL or country? The operator at the command line sees every contact, unless
``--user`` asks for the answer as one user would see it."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.utils.translation import gettext as _

from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import User
from baobab.directory.choices import PhoneKind
from baobab.directory.index import HolderView, LookupResult, lookup, unsupported_message
from baobab.directory.lookup import UnsupportedQuery


class Command(BaobabCommand):
    help = (
        "Who handles this? Answer the responsible teams, the claim that matched "
        "and the contacts to use, for an IP address, IP prefix, AS number, "
        "domain name, URL or two-letter country code."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "query", help="198.51.100.7, 198.51.100.0/24, AS37100, example.org, a URL or KE"
        )
        parser.add_argument("--json", action="store_true", help="Print the answer as JSON.")
        parser.add_argument(
            "--user",
            help="Show only the contacts this user may see (default: every contact).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise UsageError(_("There is no user %(name)s.") % {"name": options["user"]})
        try:
            result = lookup(options["query"], user)
        except UnsupportedQuery as error:
            raise UsageError(unsupported_message(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
            return
        self.stdout.write("\n".join(format_result(result)))


def _phone_kind(kind: str) -> str:
    try:
        return str(PhoneKind(kind).label)
    except ValueError:
        return kind


def _holder_lines(holder: HolderView, indent: str, why: str = "") -> list[str]:
    kind = _("Team") if holder.kind == "team" else _("Organisation")
    details = ", ".join(part for part in (holder.category_label, holder.country) if part)
    lines = [f"{indent}{kind} {holder.short_name} — {holder.name} ({details})"]
    if why:
        lines.append(f"{indent}  {_('Why')}: {why}")
    if holder.email:
        lines.append(f"{indent}  {_('e-mail')}: {holder.email}")
    if holder.phone_24x7:
        lines.append(f"{indent}  {_('24/7 phone')}: {holder.phone_24x7}")
    if not holder.contacts:
        lines.append(f"{indent}  {_('No contacts.')}")
    for contact in holder.contacts:
        title = f" ({contact.title})" if contact.title else ""
        always = f" [{_('24/7')}]" if contact.is_24x7 else ""
        lines.append(
            f"{indent}  {_('Contact')}: {contact.name}{title}{always} TLP:{contact.tlp.upper()}"
        )
        lines.extend(f"{indent}    {_('e-mail')}: {email}" for email in contact.emails)
        for phone in contact.phones:
            kind_text = f" ({_phone_kind(phone.get('kind', ''))})" if phone.get("kind") else ""
            lines.append(f"{indent}    {_('phone')}: {phone.get('number', '')}{kind_text}")
        if contact.languages:
            lines.append(f"{indent}    {_('languages')}: {', '.join(contact.languages)}")
        if contact.pgp_fingerprint:
            lines.append(f"{indent}    {_('PGP fingerprint')}: {contact.pgp_fingerprint}")
    return lines


def format_result(result: LookupResult) -> list[str]:
    """The answer as lines of text for a terminal."""
    lines = [
        f"{_('Query')}: {result.normalised} ({result.kind_label})",
        f"{_('Answered by')}: {result.step_label}",
    ]
    if result.country:
        lines.append(f"{_('Country')}: {result.country} — {result.country_reason}")
    if result.asn is not None:
        lines.append(f"{_('AS number')}: AS{result.asn}")
    if result.conflict:
        lines.append(_("Conflict: several holders claim the same most specific item."))
    if not result.matches:
        lines.append(_("No team or organisation handles this."))
    for match in result.matches:
        claim = match.claim
        claim_text = f" ({_('claim')} #{claim.id}: {claim.kind} {claim.value})" if claim else ""
        lines.append("")
        lines.extend(_holder_lines(match.holder, "", why=f"{match.reason}{claim_text}"))
        if match.coordinating_team is not None:
            lines.append(f"  {_('Coordinating team')}:")
            lines.extend(_holder_lines(match.coordinating_team, "    "))
    return lines
