"""The normalised event: its field names (IntelMQ's harmonisation, flat and
dotted) and the kind of value each holds. Pure data, no Django.

Baobab's own fields live under ``baobab.`` (routing, TLP); anything a feed
carries that has no harmonised name goes under ``extra.``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

# How a moment is written in an event (Kind.DATETIME): ISO 8601, in UTC.
MOMENT_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def moment_text(moment: dt.datetime) -> str:
    """``moment`` (aware) as an event writes it."""
    return moment.astimezone(dt.UTC).strftime(MOMENT_FORMAT)


class Kind(StrEnum):
    """How a field is validated and normalised."""

    IP = "ip"  # an IPv4 or IPv6 address, written canonically
    NETWORK = "network"  # an IPv4 or IPv6 prefix (198.51.100.0/24), written canonically
    PORT = "port"  # 0..65535
    ASN = "asn"  # 0..4294967295 (an "AS" prefix is accepted)
    FQDN = "fqdn"  # a host name, lower case, no trailing dot
    URL = "url"  # an absolute URL with a scheme and a host
    DATETIME = "datetime"  # a moment, written as ISO 8601 in UTC
    CC = "cc"  # a two-letter country code, upper case
    TAXONOMY = "taxonomy"  # an RSIT taxonomy
    CLASSIFICATION = "classification"  # an RSIT type
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    TEXT = "text"  # free text (trimmed; control characters removed)


def _side(prefix: str) -> dict[str, Kind]:
    return {
        f"{prefix}.ip": Kind.IP,
        f"{prefix}.port": Kind.PORT,
        f"{prefix}.asn": Kind.ASN,
        f"{prefix}.as_name": Kind.TEXT,
        f"{prefix}.fqdn": Kind.FQDN,
        f"{prefix}.url": Kind.URL,
        f"{prefix}.network": Kind.NETWORK,
        f"{prefix}.reverse_dns": Kind.FQDN,
        f"{prefix}.local_hostname": Kind.TEXT,
        f"{prefix}.local_ip": Kind.IP,
        f"{prefix}.geolocation.cc": Kind.CC,
        f"{prefix}.geolocation.region": Kind.TEXT,
        f"{prefix}.geolocation.city": Kind.TEXT,
        f"{prefix}.geolocation.latitude": Kind.FLOAT,
        f"{prefix}.geolocation.longitude": Kind.FLOAT,
        f"{prefix}.registry": Kind.TEXT,
        f"{prefix}.allocated": Kind.DATETIME,
        f"{prefix}.abuse_contact": Kind.TEXT,
        f"{prefix}.tor_node": Kind.BOOL,
        f"{prefix}.account": Kind.TEXT,
        f"{prefix}.urlpath": Kind.TEXT,
        f"{prefix}.domain_suffix": Kind.FQDN,
    }


FIELDS: dict[str, Kind] = {
    **_side("source"),
    **_side("destination"),
    "time.source": Kind.DATETIME,
    "time.observation": Kind.DATETIME,
    "feed.name": Kind.TEXT,
    "feed.provider": Kind.TEXT,
    "feed.accuracy": Kind.FLOAT,
    "feed.url": Kind.URL,
    "feed.documentation": Kind.TEXT,
    "feed.code": Kind.TEXT,
    "classification.taxonomy": Kind.TAXONOMY,
    "classification.type": Kind.CLASSIFICATION,
    "classification.identifier": Kind.TEXT,
    "protocol.transport": Kind.TEXT,
    "protocol.application": Kind.TEXT,
    "malware.name": Kind.TEXT,
    "malware.hash.md5": Kind.TEXT,
    "malware.hash.sha1": Kind.TEXT,
    "malware.hash.sha256": Kind.TEXT,
    "malware.version": Kind.TEXT,
    "event_description.text": Kind.TEXT,
    "event_description.url": Kind.URL,
    "comment": Kind.TEXT,
    "status": Kind.TEXT,
    "screenshot_url": Kind.URL,
    "tlp": Kind.TEXT,
    "raw": Kind.TEXT,
}
EXTRA_PREFIX = "extra."
BAOBAB_PREFIX = "baobab."

# Baobab's own fields, written by the routing stage and the runner.
TEAM = "baobab.team"  # short name of the responsible team or organisation's team
TEAM_ID = "baobab.team_id"
ORGANISATION_ID = "baobab.organisation_id"
CLAIM_ID = "baobab.claim_id"
ROUTE_STEP = "baobab.route.step"  # prefix, asn, domain, country, national, regional, none
ROUTE_REASON = "baobab.route.reason"
DEDUP_KEY = "baobab.dedup_key"
LINE = "baobab.line"  # the record's line (or record) number in its report

# The fields an event must have one of to be worth anything (hash-only
# indicators are kept, unrouted: they name no network).
IDENTIFYING = (
    "source.ip",
    "source.network",
    "source.fqdn",
    "source.url",
    "source.asn",
    "malware.hash.md5",
    "malware.hash.sha1",
    "malware.hash.sha256",
)

# Deduplication: by default every field but these.
NOT_IN_DEDUP_KEY = frozenset({"raw", "time.observation", LINE})


def kind_of(name: str) -> Kind | None:
    """The kind of value ``name`` holds; None for a name Baobab does not know."""
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith(EXTRA_PREFIX) and len(name) > len(EXTRA_PREFIX):
        return Kind.TEXT
    if name.startswith(BAOBAB_PREFIX):
        return Kind.TEXT
    return None
