"""Indicator values: their types and one canonical spelling each, so that the
same indicator shared by two teams is the same string (search, correlation,
the database's unique key) whatever the tool or person that wrote it.

Defanged values, as analysts write them so nobody clicks them
(``hxxp://evil[.]example``, ``192.0.2[.]1``, ``abuse[@]example.org``), are
read back. A value that is not of its type raises :class:`InvalidValueError`
with a sentence saying why. Pure: no Django, no I/O.
"""

from __future__ import annotations

import ipaddress
import re
import string
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

# Bytes (UTF-8) of any value: a URL may be long, not endless, and the value
# stays within what a database index entry may hold.
MAX_VALUE = 2_048


class IndicatorType(StrEnum):
    """What an indicator's value is."""

    IP = "ip"
    PREFIX = "prefix"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA512 = "sha512"
    ASN = "asn"
    FILE_NAME = "file-name"


class InvalidValueError(ValueError):
    """A value that is not of its indicator type."""


HASH_LENGTHS = {
    IndicatorType.MD5: 32,
    IndicatorType.SHA1: 40,
    IndicatorType.SHA256: 64,
    IndicatorType.SHA512: 128,
}
_HEX = frozenset(string.hexdigits)
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_DEFANGS = (
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("[:]", ":"),
    ("[@]", "@"),
    ("(@)", "@"),
    ("[at]", "@"),
    ("[/]", "/"),
)
_DEFANGED_SCHEMES = {"hxxp": "http", "hxxps": "https", "fxp": "ftp"}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_ASN = re.compile(r"^(?:as)?\s*(\d{1,10})$", re.IGNORECASE)


def refang(text: str) -> str:
    """``text`` with the usual defanging undone (case-insensitive brackets)."""
    for defanged, plain in _DEFANGS:
        if defanged in text.lower():
            text = re.sub(re.escape(defanged), plain, text, flags=re.IGNORECASE)
    return text


def _clean(raw: str) -> str:
    if not isinstance(raw, str):
        raise InvalidValueError("The value must be text.")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise InvalidValueError("The value is empty.")
    if len(text.encode()) > MAX_VALUE:
        raise InvalidValueError(f"The value is longer than {MAX_VALUE:,} bytes.")
    if _CONTROL.search(text):
        raise InvalidValueError("The value holds control or invisible characters.")
    return text


def _ip(text: str) -> str:
    text = refang(text).strip("[]")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidValueError(f"{text!r} is not an IP address.") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _prefix(text: str) -> str:
    text = refang(text)
    if "/" not in text:
        raise InvalidValueError(f"{text!r} is not a prefix (address/length); use the IP type.")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidValueError(f"{text!r} is not an IP prefix.") from None
    return str(network)


def _domain(text: str) -> str:
    name = refang(text).lower().rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise InvalidValueError(f"{text!r} is not a valid internationalised domain name.") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(map(_LABEL.match, labels)):
        raise InvalidValueError(f"{text!r} is not a domain name (such as example.org).")
    if labels[-1].isdigit():
        raise InvalidValueError(f"{text!r} is an address, not a domain name.")
    return ascii_name


def _host(text: str) -> str:
    """A URL's host: an address (IPv6 in brackets) or a domain name."""
    try:
        address = _ip(text)
    except InvalidValueError:
        return _domain(text)
    return f"[{address}]" if ":" in address else address


def _url(text: str) -> str:
    text = refang(text)
    scheme, separator, rest = text.partition("://")
    if not separator:
        raise InvalidValueError(f"{text!r} is not a URL (scheme://host/…).")
    scheme = _DEFANGED_SCHEMES.get(scheme.lower(), scheme.lower())
    if not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise InvalidValueError(f"{text!r} has no valid scheme.")
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        port = parts.port
    except ValueError as error:
        raise InvalidValueError(f"{text!r} is not a URL: {error}.") from None
    if not parts.hostname:
        raise InvalidValueError(f"{text!r} has no host.")
    netloc = _host(parts.hostname)
    if parts.username is not None or parts.password is not None:
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def _email(text: str) -> str:
    text = refang(text)
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in local) or "@" in local:
        raise InvalidValueError(f"{text!r} is not an e-mail address.")
    if len(local) > 64:
        raise InvalidValueError(f"{text!r}: the part before @ is longer than 64 characters.")
    return f"{local}@{_domain(domain)}"


def _hash(kind: IndicatorType) -> Callable[[str], str]:
    length = HASH_LENGTHS[kind]

    def normalise_hash(text: str) -> str:
        value = text.lower()
        if len(value) != length or not _HEX.issuperset(value):
            raise InvalidValueError(
                f"{text!r} is not an {kind.name.replace('SHA', 'SHA-')} hash "
                f"({length} hexadecimal digits)."
            )
        return value

    return normalise_hash


def _asn(text: str) -> str:
    found = _ASN.match(text.replace("AS ", "AS").replace("as ", "as"))
    number = int(found.group(1)) if found else 0
    if not 1 <= number <= 4_294_967_295:
        raise InvalidValueError(f"{text!r} is not an AS number (AS1 to AS4294967295).")
    return f"AS{number}"


def _file_name(text: str) -> str:
    if "/" in text or "\\" in text:
        raise InvalidValueError(f"{text!r} is a path: give the file's name alone.")
    if len(text) > 255:
        raise InvalidValueError("A file name is at most 255 characters.")
    return text


_NORMALISERS: dict[IndicatorType, Callable[[str], str]] = {
    IndicatorType.IP: _ip,
    IndicatorType.PREFIX: _prefix,
    IndicatorType.DOMAIN: _domain,
    IndicatorType.URL: _url,
    IndicatorType.EMAIL: _email,
    IndicatorType.ASN: _asn,
    IndicatorType.FILE_NAME: _file_name,
    **{kind: _hash(kind) for kind in HASH_LENGTHS},
}


def normalise(kind: IndicatorType | str, raw: str) -> str:
    """The canonical spelling of ``raw`` as a value of type ``kind``."""
    try:
        indicator_type = IndicatorType(kind)
    except ValueError:
        known = ", ".join(IndicatorType)
        raise InvalidValueError(f"Unknown indicator type {kind!r}. Types: {known}.") from None
    normaliser = _NORMALISERS[indicator_type]
    value = normaliser(_clean(raw))
    if len(value.encode()) > MAX_VALUE:  # IDNA and default parts can lengthen it
        raise InvalidValueError(f"The value is longer than {MAX_VALUE:,} bytes.")
    return value


# Types tried, in order, when guessing a value's type.
_GUESS_ORDER = (
    IndicatorType.URL,
    IndicatorType.PREFIX,
    IndicatorType.IP,
    IndicatorType.EMAIL,
    *HASH_LENGTHS,
    IndicatorType.ASN,
    IndicatorType.DOMAIN,
)


def guess(raw: str) -> tuple[IndicatorType, str] | None:
    """The type a bare value most likely has and its canonical spelling
    (a search box, a list pasted in), or None. File names are never guessed."""
    for kind in _GUESS_ORDER:
        try:
            return kind, normalise(kind, raw)
        except InvalidValueError:
            continue
    return None
