"""Parsing a look-up query: an IP, prefix, ASN, domain, URL or country code."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from baobab.directory.lookup.ranges import address_value

TEAM = "team"
ORGANISATION = "organisation"

# The precedence steps, in order; NONE when nothing answered.
STEP_PREFIX = "prefix"
STEP_ASN = "asn"
STEP_DOMAIN = "domain"
STEP_COUNTRY = "country"
STEP_NATIONAL = "national"
STEP_REGIONAL = "regional"
STEP_NONE = "none"
STEPS = (STEP_PREFIX, STEP_ASN, STEP_DOMAIN, STEP_COUNTRY, STEP_NATIONAL, STEP_REGIONAL)

MAX_ASN = 4_294_967_295
MAX_QUERY_LENGTH = 2048
_ASN = re.compile(r"^(?:ASN?\s*)?(\d{1,10})$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Country-code top-level domains whose code is not the ISO 3166 code.
CCTLD_COUNTRY = {"UK": "GB"}
NOT_COUNTRIES = frozenset({"EU", "SU", "AC"})


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation; the Django side translates it when shown."""
    return message


EXPECTED = gettext_noop(
    "Expected an IP address (198.51.100.7), an IP prefix (198.51.100.0/24), "
    "an AS number (AS37100 or 37100), a domain name (example.org), "
    "a URL (https://example.org/page) or a two-letter country code (KE)."
)
NATIONAL_REASON = gettext_noop("no claim matched; %(holder)s is the national CSIRT of %(country)s")
REGIONAL_REASON = gettext_noop(
    "no claim or national CSIRT matched; %(holder)s is the regional coordinator"
)


@dataclass(frozen=True, slots=True)
class Reason:
    """A human explanation: an English template and its parameters."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class UnsupportedQuery(ValueError):  # noqa: N818 - the name the look-up's callers know
    """A query that is none of the things the look-up answers.

    ``reason`` says what was given and what is expected; ``str()`` is English.
    """

    def __init__(self, text: str, template: str | None = None) -> None:
        self.text = text
        if template is None:
            template = (
                gettext_noop("Nothing to look up.")
                if not text.strip()
                else gettext_noop("%(value)s is not something Baobab can look up.")
            )
        self.reason = Reason(template, {"value": text[:100]})
        self.expected = Reason(EXPECTED)
        super().__init__(f"{self.reason} {self.expected}")


# --- queries ----------------------------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """An IP address, given as such or as the host of a URL."""

    text: str
    address: Address
    url: str | None = None

    @property
    def kind(self) -> str:
        return "url" if self.url else "ip"

    @property
    def normalised(self) -> str:
        return str(self.address)


@dataclass(frozen=True, slots=True)
class PrefixQuery:
    """An IP prefix (host bits are cleared)."""

    text: str
    network: Network
    kind: str = "prefix"

    @property
    def normalised(self) -> str:
        return str(self.network)


@dataclass(frozen=True, slots=True)
class AsnQuery:
    """An autonomous system number."""

    text: str
    asn: int
    kind: str = "asn"

    @property
    def normalised(self) -> str:
        return f"AS{self.asn}"


@dataclass(frozen=True, slots=True)
class DomainQuery:
    """A domain name, given as such or as the host of a URL."""

    text: str
    domain: str
    url: str | None = None

    @property
    def kind(self) -> str:
        return "url" if self.url else "domain"

    @property
    def normalised(self) -> str:
        return self.domain


@dataclass(frozen=True, slots=True)
class CountryQuery:
    """A two-letter ISO 3166 country code."""

    text: str
    country: str
    kind: str = "country"

    @property
    def normalised(self) -> str:
        return self.country


Query = AddressQuery | PrefixQuery | AsnQuery | DomainQuery | CountryQuery


def _domain(text: str) -> str | None:
    """The normalised domain name in ``text``, or None when it is not one."""
    value = text.strip().lower().rstrip(".").removeprefix("*.")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(labels) < 2 or len(value) > 253 or labels[-1].isdigit():
        return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return value


def _host_query(text: str, host: str, url: str) -> Query:
    try:
        return AddressQuery(text, ipaddress.ip_address(host), url=url)
    except ValueError:
        pass
    domain = _domain(host)
    if domain is None:
        raise UnsupportedQuery(text, gettext_noop("The URL %(value)s has no host name to look up."))
    return DomainQuery(text, domain, url=url)


def _url_query(text: str) -> Query | None:
    from urllib.parse import urlsplit  # noqa: PLC0415 - only URLs need it

    candidate = text if "://" in text else f"//{text}"
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        host = None
    if not host:
        if "://" in text:
            raise UnsupportedQuery(
                text, gettext_noop("The URL %(value)s has no host name to look up.")
            )
        return None
    return _host_query(text, host, url=text)


def parse_query(text: str) -> Query:
    """Recognise what ``text`` is: IP, prefix, ASN, domain, URL or country code.

    Raises :class:`UnsupportedQuery`, whose message says what is expected.
    """
    value = text.strip()
    if not value or len(value) > MAX_QUERY_LENGTH:
        raise UnsupportedQuery(text)
    if "/" not in value:
        try:
            return AddressQuery(text, ipaddress.ip_address(value))
        except ValueError:
            pass
    elif "://" not in value:
        try:
            return PrefixQuery(text, ipaddress.ip_network(value, strict=False))
        except ValueError:
            address, _slash, length = value.partition("/")
            if length.isdigit() and address_value(address) is not None:
                raise UnsupportedQuery(
                    text,
                    gettext_noop(
                        "%(value)s is not a valid IP prefix (such as 198.51.100.0/24 or "
                        "2001:db8::/32)."
                    ),
                ) from None
    match = _ASN.match(value)
    if match:
        asn = int(match.group(1))
        if asn > MAX_ASN:
            raise UnsupportedQuery(text, gettext_noop("%(value)s is too large for an AS number."))
        return AsnQuery(text, asn)
    if _COUNTRY.match(value):
        return CountryQuery(text, value.upper())
    if "://" in value or "/" in value or "?" in value or "#" in value:
        url_query = _url_query(value)
        if url_query is not None:
            return url_query
    domain = _domain(value)
    if domain is not None:
        return DomainQuery(text, domain)
    raise UnsupportedQuery(text)
