"""Normalising constituency claim values: one spelling per country, ASN,
prefix and domain, so equal claims compare equal."""

from __future__ import annotations

import ipaddress
import re

from django.utils.translation import gettext as _

from baobab.directory.choices import ClaimKind

_ASN = re.compile(r"^(?:AS)?(\d{1,10})$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_ASN = 4_294_967_295


class InvalidClaimError(ValueError):
    """A claim value that is not what its kind expects."""


def normalise_asn(text: str) -> int:
    match = _ASN.match(text.strip())
    if not match or int(match.group(1)) > MAX_ASN:
        raise InvalidClaimError(
            _("%(value)s is not an AS number (such as AS37100 or 37100).") % {"value": text}
        )
    return int(match.group(1))


def normalise_prefix(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError as exc:
        raise InvalidClaimError(
            _("%(value)s is not an IP prefix (such as 198.51.100.0/24 or 2001:db8::/32).")
            % {"value": text}
        ) from exc


def normalise_domain(text: str) -> str:
    value = text.strip().lower().rstrip(".").removeprefix("*.")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidClaimError(_("%(value)s is not a domain name.") % {"value": text}) from exc
    labels = value.split(".")
    if not value or len(value) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidClaimError(
            _("%(value)s is not a domain name (such as example.org).") % {"value": text}
        )
    return value


def normalise_country(text: str) -> str:
    value = text.strip().upper()
    if not _COUNTRY.match(value):
        raise InvalidClaimError(
            _("%(value)s is not a two-letter country code (such as KE).") % {"value": text}
        )
    return value


def normalise_claim_value(kind: str, value: str) -> str:
    """The canonical spelling of ``value`` for a claim of ``kind``."""
    if kind == ClaimKind.PREFIX:
        return normalise_prefix(value)
    if kind == ClaimKind.ASN:
        return str(normalise_asn(value))
    if kind == ClaimKind.DOMAIN:
        return normalise_domain(value)
    if kind == ClaimKind.COUNTRY:
        return normalise_country(value)
    raise InvalidClaimError(_("Unknown claim kind %(kind)s.") % {"kind": kind})
