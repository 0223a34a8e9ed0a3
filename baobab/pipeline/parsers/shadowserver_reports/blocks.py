"""The column rules ShadowServer's report families share, in the schema's own
shape (``[field, column, conversion?, with_row?]``), and :func:`entry` to
write one report type as a schema entry.

Two families cover most reports: the *scan* reports (one host per row:
``timestamp, severity, ip, protocol, port, hostname, tag, asn, geo, region,
city, naics, hostname_source, sector, …``) and the *event* reports (a
connection per row: ``src_*`` and ``dst_*`` columns). Report-specific
columns need no rule unless they map onto a harmonised field: columns no
rule names go to ``extra.<column>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Rule = tuple[Any, ...]  # (field, column, conversion?, with_row?)

TIME: Rule = ("time.source", "timestamp", "add_UTC_to_timestamp")

# Scan reports: the scanned host is the source.
SCAN_REQUIRED: tuple[Rule, ...] = (
    TIME,
    ("source.ip", "ip", "validate_ip"),
    ("source.port", "port", "convert_int"),
)
NETWORK_OPTIONAL: tuple[Rule, ...] = (
    ("source.asn", "asn", "invalidate_zero"),
    ("source.geolocation.cc", "geo"),
    ("source.geolocation.region", "region"),
    ("source.geolocation.city", "city"),
    ("extra.source.naics", "naics", "invalidate_zero"),
    ("extra.source.sector", "sector", "validate_to_none"),
)
HOST_OPTIONAL: tuple[Rule, ...] = (
    ("protocol.transport", "protocol"),
    ("source.reverse_dns", "hostname"),
    *NETWORK_OPTIONAL,
)

# Event reports (sinkholes, honeypots): a connection from src to dst.
EVENT_REQUIRED: tuple[Rule, ...] = (
    TIME,
    ("source.ip", "src_ip", "validate_ip"),
    ("source.port", "src_port", "convert_int"),
)
SOURCE_OPTIONAL: tuple[Rule, ...] = (
    ("protocol.transport", "protocol"),
    ("source.asn", "src_asn", "invalidate_zero"),
    ("source.geolocation.cc", "src_geo"),
    ("source.geolocation.region", "src_region"),
    ("source.geolocation.city", "src_city"),
    ("source.reverse_dns", "src_hostname"),
    ("extra.source.naics", "src_naics", "invalidate_zero"),
    ("extra.source.sector", "src_sector", "validate_to_none"),
)
DESTINATION_OPTIONAL: tuple[Rule, ...] = (
    ("destination.ip", "dst_ip", "validate_ip"),
    ("destination.port", "dst_port", "convert_int"),
    ("destination.asn", "dst_asn", "invalidate_zero"),
    ("destination.geolocation.cc", "dst_geo"),
    ("destination.geolocation.region", "dst_region"),
    ("destination.geolocation.city", "dst_city"),
    ("destination.reverse_dns", "dst_hostname", "validate_to_none"),
    ("extra.destination.naics", "dst_naics", "invalidate_zero"),
    ("extra.destination.sector", "dst_sector", "validate_to_none"),
)
EVENT_OPTIONAL: tuple[Rule, ...] = (
    *SOURCE_OPTIONAL,
    *DESTINATION_OPTIONAL,
    ("malware.name", "infection", "validate_to_none"),
)
# Sinkholes: the infection names the malware and identifies the event.
SINKHOLE_OPTIONAL: tuple[Rule, ...] = (
    ("classification.identifier", "infection", "validate_to_none"),
    *EVENT_OPTIONAL,
)
HTTP_OPTIONAL: tuple[Rule, ...] = (
    ("destination.url", "http_url", "convert_http_host_and_url", True),
    ("destination.fqdn", "http_host", "validate_fqdn"),
)


def classification(taxonomy: str, type_: str, identifier: str = "") -> dict[str, str]:
    """The classification constants of a report type."""
    fields = {"classification.taxonomy": taxonomy, "classification.type": type_}
    if identifier:
        fields["classification.identifier"] = identifier
    return fields


def entry(
    file_name: str,
    feed_name: str,
    constants: Mapping[str, str],
    *,
    required: Iterable[Rule],
    optional: Iterable[Rule] = (),
    url: str = "",
) -> dict[str, Any]:
    """One report type as an entry of ShadowServer's report schema."""
    return {
        "feed_name": feed_name,
        "file_name": file_name,
        "constant_fields": dict(constants),
        "required_fields": [list(rule) for rule in required],
        "optional_fields": [list(rule) for rule in optional],
        "url": url,
    }
