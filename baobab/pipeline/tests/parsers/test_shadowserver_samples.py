"""Table-driven tests over the ShadowServer sample files (written for the
project in the current formats, documentation addresses only): each file,
named as ShadowServer names its reports, gives the expected events
(``samples/shadowserver/expected.json``: count and field values), and the
hand-picked cases below check what each report family means."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from baobab.pipeline.choices import TAXONOMY_OF_TYPE
from baobab.pipeline.fields import LINE, kind_of
from baobab.pipeline.parsers.base import RAW
from baobab.pipeline.tests.parsers._shadowserver import SAMPLES, run_file, value

EXPECTED: dict[str, dict[str, Any]] = json.loads((SAMPLES / "expected.json").read_text())
FILE_OF_REPORT = {case["report"]: file_name for file_name, case in EXPECTED.items()}


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_sample_gives_the_expected_events(file_name: str) -> None:
    case = EXPECTED[file_name]
    frame, rejected, setup = run_file(SAMPLES / file_name)
    assert setup.report == case["report"]
    assert rejected == []
    assert frame.height == case["count"]
    assert frame[LINE].to_list() == list(range(2, 2 + case["count"]))
    for row, fields in enumerate(case["rows"]):
        for field, expected in fields.items():
            assert value(frame, row, field) == expected, f"row {row}, {field}"


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_sample_events_are_text_with_known_fields_and_an_rsit_class(file_name: str) -> None:
    frame, _, _ = run_file(SAMPLES / file_name)
    for name, dtype in frame.schema.items():
        assert kind_of(name) is not None or name == RAW, name
        assert dtype == (pl.Int64 if name == LINE else pl.Utf8), name
    for taxonomy, type_ in zip(
        frame["classification.taxonomy"], frame["classification.type"], strict=True
    ):
        assert TAXONOMY_OF_TYPE[type_] == taxonomy


# (report, row, field, expected): what the report families mean.
CASES: list[tuple[str, int, str, str | None]] = [
    # Accessible services.
    ("scan_telnet", 0, "classification.taxonomy", "vulnerable"),
    ("scan_telnet", 0, "classification.type", "vulnerable-system"),
    ("scan_telnet", 0, "classification.identifier", "accessible-telnet"),
    ("scan_telnet", 0, "protocol.application", "telnet"),
    ("scan_telnet", 0, "source.port", "23"),
    ("scan_telnet", 0, "source.reverse_dns", "host-10.isp.example.net"),
    (
        "scan_telnet",
        0,
        "extra.source.sector",
        "Communications, Service Provider, and Hosting Service",
    ),
    ("scan_telnet", 1, "source.reverse_dns", None),
    ("scan_telnet", 2, "extra.banner", 'Welcome, "admin"\\r\\nlogin:'),
    ("scan6_telnet", 0, "source.ip", "2001:db8:10::5"),
    ("scan_ssh", 0, "classification.type", "potentially-unwanted-accessible"),
    ("scan_http", 0, "classification.type", "potentially-unwanted-accessible"),
    ("scan_rdp", 0, "classification.identifier", "accessible-rdp"),
    ("scan_smb", 0, "protocol.application", "smb"),
    ("scan_vnc", 0, "classification.identifier", "open-vnc"),
    ("scan_ftp", 0, "extra.source.sector", None),  # the FTP report has no sector column
    ("scan_elasticsearch", 0, "classification.identifier", "open-elasticsearch"),
    ("scan_mongodb", 0, "protocol.application", "mongodb"),
    ("scan_redis", 0, "classification.type", "vulnerable-system"),
    ("scan_mysql", 0, "protocol.application", "mysql"),
    ("scan_postgres", 0, "classification.identifier", "accessible-postgresql"),
    ("scan_ldap_tcp", 0, "source.local_hostname", "dc01.corp.example"),
    # Vulnerable Exchange: the tag decides, row by row.
    ("scan_exchange", 0, "classification.taxonomy", "vulnerable"),
    ("scan_exchange", 0, "classification.type", "vulnerable-system"),
    ("scan_exchange", 0, "classification.identifier", "vulnerable-exchange-server"),
    ("scan_exchange", 0, "extra.version", "15.1.2176"),
    ("scan_exchange", 2, "classification.taxonomy", "intrusions"),
    ("scan_exchange", 2, "classification.type", "system-compromise"),
    ("scan_exchange", 2, "classification.identifier", "exchange-server-webshell"),
    ("scan_exchange", 2, "extra.tag", "exchange;webshell"),
    # Amplifiers.
    ("scan_dns", 0, "classification.type", "ddos-amplifier"),
    ("scan_dns", 0, "classification.identifier", "dns-open-resolver"),
    ("scan_dns", 0, "protocol.transport", "udp"),
    ("scan_dns", 0, "extra.min_amplification", "4.5"),
    ("scan_ntp", 0, "classification.identifier", "ntp-version"),
    ("scan_ntpmonitor", 0, "classification.type", "ddos-amplifier"),
    ("scan_snmp", 0, "classification.type", "ddos-amplifier"),
    ("scan_ssdp", 0, "extra.server", "Linux/2.6 UPnP/1.0 miniupnpd/1.0"),
    ("scan_ldap_udp", 0, "extra.amplification", "55.2"),
    ("scan_chargen", 0, "classification.identifier", "open-chargen"),
    ("scan_memcached", 0, "classification.type", "ddos-amplifier"),
    # Sinkholes.
    ("event4_sinkhole", 0, "classification.taxonomy", "malicious-code"),
    ("event4_sinkhole", 0, "classification.type", "infected-system"),
    ("event4_sinkhole", 0, "classification.identifier", "andromeda"),
    ("event4_sinkhole", 0, "malware.name", "andromeda"),
    ("event4_sinkhole", 0, "source.port", "40000"),
    ("event4_sinkhole", 0, "destination.port", "80"),
    ("event4_sinkhole", 0, "destination.geolocation.cc", "NL"),
    ("event4_sinkhole", 0, "extra.destination.naics", "518210"),
    ("event4_sinkhole", 1, "malware.name", None),
    ("event4_sinkhole", 2, "destination.ip", None),  # "not.an.ip.1.2" is no address
    ("event6_sinkhole", 0, "source.ip", "2001:db8:10::5"),
    ("event4_sinkhole_http", 0, "protocol.application", "http"),
    ("event4_sinkhole_http", 0, "destination.url", "http://c2.example.net/gate.php?id=1"),
    ("event4_sinkhole_http", 0, "destination.fqdn", "c2.example.net"),
    ("event4_sinkhole_http", 0, "extra.http_agent", "Mozilla/4.0 (compatible; MSIE 6.0)"),
    ("event4_sinkhole_http", 1, "destination.fqdn", None),  # an address is not a host name
    ("event4_sinkhole_http", 1, "destination.url", None),
    ("event4_sinkhole_http", 2, "destination.url", "http://dl.example.com/bins/x86"),
    ("event4_sinkhole_dns", 0, "extra.dns_query", "c2.example.net"),
    ("event4_sinkhole_dns", 0, "protocol.application", "dns"),
    # Honeypots, DDoS, spoofing.
    ("event4_honeypot_brute_force", 0, "classification.taxonomy", "intrusion-attempts"),
    ("event4_honeypot_brute_force", 0, "classification.type", "brute-force"),
    ("event4_honeypot_brute_force", 0, "classification.identifier", "ssh"),
    ("event4_honeypot_brute_force", 0, "destination.account", "root"),
    ("event4_honeypot_brute_force", 0, "extra.password", "123456"),
    ("event4_honeypot_brute_force", 0, "extra.start_time", "2024-05-01T00:00:59+00:00"),
    ("event4_honeypot_brute_force", 1, "classification.identifier", "honeypot-brute-force"),
    ("event4_honeypot_brute_force", 2, "classification.identifier", "telnet"),
    ("event4_honeypot_darknet", 0, "classification.taxonomy", "other"),
    ("event4_honeypot_darknet", 0, "classification.type", "other"),
    ("event4_honeypot_darknet", 0, "classification.identifier", "telnet"),
    ("event4_honeypot_darknet", 0, "extra.tag", "telnet"),
    ("event4_honeypot_darknet", 0, "extra.count", "17"),
    ("event4_honeypot_darknet", 1, "classification.identifier", "darknet"),
    ("event4_ddos_participant", 0, "classification.taxonomy", "availability"),
    ("event4_ddos_participant", 0, "classification.type", "ddos"),
    ("event4_ddos_participant", 0, "extra.http_usessl", "false"),
    ("event4_ddos_participant", 1, "extra.http_usessl", "true"),
    ("event4_ip_spoofer", 0, "classification.taxonomy", "fraud"),
    ("event4_ip_spoofer", 0, "classification.type", "masquerade"),
    ("event4_ip_spoofer", 0, "source.network", "192.0.2.0/24"),
    ("event4_ip_spoofer", 0, "source.port", None),
    ("event4_ip_spoofer", 0, "extra.nat", "true"),
    ("event4_ip_spoofer", 0, "malware.name", "ip-spoofer"),
    ("event4_ip_spoofer", 2, "extra.nat", "false"),
    # Blocklist, device identification, compromised websites, malware URLs.
    ("blocklist", 0, "classification.taxonomy", "other"),
    ("blocklist", 0, "classification.type", "blacklist"),
    ("blocklist", 0, "extra.reason", "botnet"),
    ("blocklist", 2, "source.network", "203.0.113.0/24"),
    ("device_id", 0, "classification.type", "undetermined"),
    ("compromised_website", 0, "classification.taxonomy", "intrusions"),
    ("compromised_website", 0, "classification.type", "system-compromise"),
    ("compromised_website", 0, "source.url", "http://www.example.org/wp-content/plugins/x.php"),
    ("compromised_website", 0, "source.fqdn", "www.example.org"),
    ("compromised_website", 0, "event_description.text", "malware"),
    ("compromised_website", 0, "malware.name", "socgholish"),
    ("compromised_website", 0, "protocol.application", "http"),
    ("compromised_website", 1, "source.url", "https://shop.example.com/"),
    ("compromised_website", 1, "event_description.text", "defaced page"),
    ("compromised_website", 2, "source.url", None),
    ("compromised_website", 2, "event_description.text", "phishing"),
    ("malware_url", 0, "classification.type", "malware-distribution"),
    ("malware_url", 0, "source.url", "http://malware.example.com/a.exe"),
    ("malware_url", 0, "source.fqdn", "malware.example.com"),
    ("malware_url", 0, "source.reverse_dns", None),
    (
        "malware_url",
        0,
        "malware.hash.sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    ("malware_url", 2, "source.fqdn", None),
]


@pytest.mark.parametrize(("report", "row", "field", "expected"), CASES)
def test_report_semantics(report: str, row: int, field: str, expected: str | None) -> None:
    frame, _, _ = run_file(SAMPLES / FILE_OF_REPORT[report])
    assert value(frame, row, field) == expected


def test_raw_keeps_the_line_as_it_was() -> None:
    path = SAMPLES / FILE_OF_REPORT["scan_telnet"]
    frame, _, _ = run_file(path)
    assert frame[RAW].to_list() == path.read_text().splitlines()[1:]
