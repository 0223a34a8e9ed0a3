"""Built-in reports outside the scan and event families, as data: the IP
blocklist (``other/blacklist``), device identification (``other/undetermined``),
compromised websites (``intrusions/system-compromise``) and malware URLs
(``malicious-code/malware-distribution``)."""

from __future__ import annotations

from typing import Any

from baobab.pipeline.parsers.shadowserver_reports.blocks import (
    HOST_OPTIONAL,
    NETWORK_OPTIONAL,
    SCAN_REQUIRED,
    TIME,
    classification,
    entry,
)

BLOCKLIST = entry(
    "blocklist",
    "Blocklist",
    classification("other", "blacklist", "blacklisted-ip"),
    # The ip column holds an address or a network: each goes to its own field.
    required=(TIME, ("source.ip", "ip", "validate_ip")),
    optional=(("source.network", "ip", "validate_network"), *HOST_OPTIONAL),
)

DEVICE_ID = classification("other", "undetermined", "device-id")

COMPROMISED_WEBSITE = classification("intrusions", "system-compromise", "compromised-website")
COMPROMISED_WEBSITE_RULES = (
    ("protocol.application", "application", "validate_to_none"),
    ("source.url", "url", "convert_http_host_and_url", True),
    ("source.fqdn", "http_host", "validate_fqdn"),
    ("event_description.text", "category", "category_or_detail", True),
    ("malware.name", "family", "validate_to_none"),
    ("source.account", "account", "validate_to_none"),
    *HOST_OPTIONAL,
)

MALWARE_URL = entry(
    "malware_url",
    "Malware-URL",
    classification("malicious-code", "malware-distribution", "malware-url"),
    required=(TIME, ("source.url", "url")),
    optional=(
        ("source.ip", "ip", "validate_ip"),
        ("source.port", "port", "convert_int"),
        ("source.fqdn", "hostname", "validate_fqdn"),
        ("malware.hash.sha256", "sha256", "validate_to_none"),
        ("protocol.application", "application", "validate_to_none"),
        *NETWORK_OPTIONAL,  # not hostname: it is the URL's host, not a reverse DNS name
    ),
)

REPORTS: dict[str, dict[str, Any]] = {
    "blocklist": BLOCKLIST,
    "device_id": entry(
        "device_id",
        "Device-Identification IPv4",
        DEVICE_ID,
        required=SCAN_REQUIRED,
        optional=HOST_OPTIONAL,
    ),
    "device_id6": entry(
        "device_id6",
        "Device-Identification IPv6",
        DEVICE_ID,
        required=SCAN_REQUIRED,
        optional=HOST_OPTIONAL,
    ),
    "compromised_website": entry(
        "compromised_website",
        "Compromised-Website",
        COMPROMISED_WEBSITE,
        required=SCAN_REQUIRED,
        optional=COMPROMISED_WEBSITE_RULES,
    ),
    "compromised_website6": entry(
        "compromised_website6",
        "IPv6-Compromised-Website",
        COMPROMISED_WEBSITE,
        required=SCAN_REQUIRED,
        optional=COMPROMISED_WEBSITE_RULES,
    ),
    "malware_url": MALWARE_URL,
}
