"""Built-in event reports: connections ShadowServer's sinkholes and honeypots
saw (one connection per row, ``src_*`` → ``dst_*``), as data.

Classifications follow ShadowServer's schema: a host talking to a sinkhole
is ``malicious-code/infected-system`` (the infection names the malware and
identifies the event); brute-force attempts on honeypots are
``intrusion-attempts/brute-force``; darknet traffic is ``other/other``; DDoS
participants and victims are ``availability/ddos``; networks that let
spoofed packets out are ``fraud/masquerade``.
"""

from __future__ import annotations

from typing import Any

from baobab.pipeline.parsers.shadowserver_reports.blocks import (
    EVENT_OPTIONAL,
    EVENT_REQUIRED,
    HTTP_OPTIONAL,
    SINKHOLE_OPTIONAL,
    SOURCE_OPTIONAL,
    TIME,
    classification,
    entry,
)

INFECTED = classification("malicious-code", "infected-system")
INFECTED_HTTP = {**INFECTED, "protocol.application": "http"}

SINKHOLES: dict[str, dict[str, Any]] = {
    file_name: entry(file_name, feed_name, INFECTED, required=EVENT_REQUIRED, optional=rules)
    for file_name, feed_name, rules in (
        ("event4_sinkhole", "Sinkhole-Events IPv4", SINKHOLE_OPTIONAL),
        ("event6_sinkhole", "Sinkhole-Events IPv6", SINKHOLE_OPTIONAL),
        ("event4_microsoft_sinkhole", "Microsoft-Sinkhole-Events IPv4", SINKHOLE_OPTIONAL),
    )
} | {
    file_name: entry(
        file_name,
        feed_name,
        INFECTED_HTTP,
        required=EVENT_REQUIRED,
        optional=(*SINKHOLE_OPTIONAL, *HTTP_OPTIONAL),
    )
    for file_name, feed_name in (
        ("event4_sinkhole_http", "Sinkhole-Events-HTTP IPv4"),
        ("event6_sinkhole_http", "Sinkhole-Events-HTTP IPv6"),
        ("event4_microsoft_sinkhole_http", "Microsoft-Sinkhole-Events-HTTP IPv4"),
    )
}

HONEYPOTS: dict[str, dict[str, Any]] = {
    "event4_honeypot_brute_force": entry(
        "event4_honeypot_brute_force",
        "Honeypot-Brute-Force-Events",
        # The identifier is the attacked service (ssh, telnet, …); this when none.
        classification("intrusion-attempts", "brute-force", "honeypot-brute-force"),
        required=EVENT_REQUIRED,
        optional=(
            ("classification.identifier", "application", "validate_to_none"),
            ("destination.account", "username", "validate_to_none"),
            ("extra.", "application", "validate_to_none"),
            ("extra.start_time", "start_time", "convert_date_utc"),
            ("extra.end_time", "end_time", "convert_date_utc"),
            *EVENT_OPTIONAL,
        ),
    ),
    "event4_honeypot_darknet": entry(
        "event4_honeypot_darknet",
        "Honeypot-Darknet",
        # The identifier is ShadowServer's tag (the kind of traffic); this when none.
        classification("other", "other", "darknet"),
        required=EVENT_REQUIRED,
        optional=(
            ("classification.identifier", "tag", "validate_to_none"),
            ("extra.", "tag", "validate_to_none"),
            *EVENT_OPTIONAL,
        ),
    ),
    "event4_honeypot_http_scan": entry(
        "event4_honeypot_http_scan",
        "Honeypot-HTTP-Scan",
        {
            **classification("information-gathering", "scanner", "honeypot-http-scan"),
            "protocol.application": "http",
        },
        required=EVENT_REQUIRED,
        optional=EVENT_OPTIONAL,
    ),
    "event4_honeypot_ddos_amp": entry(
        "event4_honeypot_ddos_amp",
        "Honeypot-Amplification-DDoS-Events",
        classification("availability", "ddos", "amplification-ddos-victim"),
        required=EVENT_REQUIRED,
        optional=(("extra.end_time", "end_time", "convert_date_utc"), *EVENT_OPTIONAL),
    ),
    "event4_ddos_participant": entry(
        "event4_ddos_participant",
        "DDoS-Participant",
        classification("availability", "ddos", "ddos-participant"),
        required=EVENT_REQUIRED,
        optional=(
            ("extra.", "http_usessl", "convert_bool"),
            ("extra.", "packet_randomized", "convert_bool"),
            *EVENT_OPTIONAL,
        ),
    ),
    "event4_ip_spoofer": entry(
        "event4_ip_spoofer",
        "IP-Spoofer-Events",
        classification("fraud", "masquerade", "ip-spoofer"),
        # A spoofing network is reported by its address; there is no source port.
        required=(TIME, ("source.ip", "src_ip", "validate_ip")),
        optional=(
            ("source.network", "network", "validate_network"),
            ("extra.", "nat", "convert_bool"),
            ("source.port", "src_port", "convert_int"),
            *EVENT_OPTIONAL,
        ),
    ),
    "event4_sinkhole_dns": entry(
        "event4_sinkhole_dns",
        "Sinkhole-DNS",
        {**classification("other", "other", "sinkhole-dns"), "protocol.application": "dns"},
        required=(TIME, ("source.ip", "src_ip", "validate_ip")),
        optional=(
            ("source.port", "src_port", "convert_int"),
            ("malware.name", "infection", "validate_to_none"),
            ("extra.dns_query", "query", "validate_to_none"),
            ("extra.dns_query_type", "query_type", "validate_to_none"),
            *SOURCE_OPTIONAL,
        ),
    ),
}

REPORTS: dict[str, dict[str, Any]] = SINKHOLES | HONEYPOTS
