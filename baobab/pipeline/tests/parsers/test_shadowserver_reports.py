"""The ShadowServer parser's report types: the built-in ones (as data), which
one a file is (its name or an explicit choice), and the errors for an
unknown type or a file that is not a report."""

from __future__ import annotations

import pytest

from baobab.pipeline.choices import TAXONOMY_OF_TYPE
from baobab.pipeline.fields import kind_of
from baobab.pipeline.parsers import get_parser
from baobab.pipeline.parsers.base import ReportError, UnknownReportError
from baobab.pipeline.parsers.shadowserver import ShadowServerParser, unique_names
from baobab.pipeline.parsers.shadowserver_reports import (
    builtin_reports,
    report_from_file_name,
    spec_from_entry,
)
from baobab.pipeline.parsers.shadowserver_reports.plan import target_field
from baobab.pipeline.tests.parsers._shadowserver import lines_of, sample

TELNET_HEADER = (
    b'"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region",'
    b'"city","naics","hostname_source","sector","banner"'
)

REQUIRED_REPORTS = [
    # accessible services
    "scan_telnet",
    "scan_ssh",
    "scan_rdp",
    "scan_smb",
    "scan_vnc",
    "scan_ftp",
    "scan_http",
    "scan_exchange",
    "scan_elasticsearch",
    "scan_mongodb",
    "scan_redis",
    "scan_mysql",
    "scan_postgres",
    "scan_memcached",
    # amplifiers
    "scan_dns",
    "scan_ntp",
    "scan_ntpmonitor",
    "scan_snmp",
    "scan_ssdp",
    "scan_ldap_udp",
    "scan_chargen",
    # sinkholes and honeypots
    "event4_sinkhole",
    "event4_sinkhole_http",
    "event4_honeypot_brute_force",
    "event4_honeypot_darknet",
    "event4_ddos_participant",
    "event4_ip_spoofer",
    # others
    "blocklist",
    "device_id",
    "compromised_website",
]


def test_the_parser_is_registered() -> None:
    parser = get_parser("shadowserver")
    assert isinstance(parser, ShadowServerParser)
    assert parser.provider == "Shadowserver Foundation"
    assert set(REQUIRED_REPORTS) <= set(parser.reports())


def test_builtin_report_types_cover_the_common_families() -> None:
    reports = builtin_reports()
    assert len(reports) >= 30
    assert set(REQUIRED_REPORTS) <= set(reports)


@pytest.mark.parametrize("name", sorted(builtin_reports()))
def test_builtin_report_is_consistent_data(name: str) -> None:
    spec = builtin_reports()[name]
    constants = dict(spec.constants)
    assert (
        TAXONOMY_OF_TYPE[constants["classification.type"]] == constants["classification.taxonomy"]
    )
    assert spec.required_columns[0] == "timestamp"
    for rule in (*spec.required, *spec.optional):
        target = target_field(rule.field, rule.column)
        assert target, rule
        assert kind_of(target) is not None, rule
    assert spec_from_entry(name, spec.as_json()) == spec  # what a run stores reads back


@pytest.mark.parametrize(
    ("file_name", "report"),
    [
        ("2024-05-01-scan_telnet-country-geo.csv", "scan_telnet"),
        ("2015-01-01-dns_openresolver-sample-asn.csv", "dns_openresolver"),
        ("2020-04-03-scan_ics-sample-asn-delayed.csv", "scan_ics"),
        ("2024-07-04-scan_dns-123-sample-asn.csv", "scan_dns"),
        ("2024-05-01-event4_honeypot_brute_force-asn.csv", "event4_honeypot_brute_force"),
        ("2024-05-01-SCAN_SSH-ASN.CSV", "scan_ssh"),
        ("scan_telnet.csv", "scan_telnet"),
        ("/var/spool/baobab/2024-05-01-event4_sinkhole_http-asn.csv", "event4_sinkhole_http"),
        ("C:\\reports\\2024-05-01-blocklist-country-geo.csv", "blocklist"),
        ("", ""),
    ],
)
def test_report_type_from_file_name(file_name: str, report: str) -> None:
    assert report_from_file_name(file_name) == report


def test_setup_finds_the_report_in_the_file_name() -> None:
    setup = ShadowServerParser().setup(
        [TELNET_HEADER + b"\r\n"],
        file_name="2024-05-01-scan_telnet-country-geo.csv",
        report="",
        options={},
    )
    assert setup.report == "scan_telnet"
    assert setup.skip_lines == 1
    assert setup.columns[:3] == ("timestamp", "severity", "ip")
    assert setup.columns[-1] == "banner"


@pytest.mark.parametrize("report", ["scan_ssh", "Accessible-SSH", " SCAN_SSH "])
def test_an_explicit_report_type_wins_over_the_file_name(report: str) -> None:
    setup = ShadowServerParser().setup(
        [TELNET_HEADER], file_name="2024-05-01-scan_telnet-asn.csv", report=report, options={}
    )
    assert setup.report == "scan_ssh"


def test_unknown_report_type_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownReportError) as raised:
        ShadowServerParser().setup(
            [TELNET_HEADER], file_name="2024-05-01-scan_gopher-asn.csv", report="", options={}
        )
    assert raised.value.report == "scan_gopher"
    assert raised.value.parser == "shadowserver"
    assert {"scan_telnet", "event4_sinkhole", "blocklist"} <= set(raised.value.valid)
    assert "'scan_gopher' is not a report type of the shadowserver parser" in str(raised.value)
    assert "scan_telnet" in str(raised.value)


def test_no_report_type_at_all_is_an_unknown_report() -> None:
    with pytest.raises(UnknownReportError, match="no report type"):
        ShadowServerParser().setup([TELNET_HEADER], file_name="", report="", options={})


def test_an_unknown_explicit_report_type_is_refused() -> None:
    with pytest.raises(UnknownReportError, match="'scan_nothing'"):
        ShadowServerParser().setup(
            [TELNET_HEADER],
            file_name="2024-05-01-scan_telnet.csv",
            report="scan_nothing",
            options={},
        )


@pytest.mark.parametrize("head", [[], [b""], [b"", b"  \r", b"\xef\xbb\xbf"]])
def test_a_file_without_header_is_a_report_error(head: list[bytes]) -> None:
    with pytest.raises(ReportError, match="no header line"):
        ShadowServerParser().setup(
            head, file_name="2024-05-01-scan_telnet.csv", report="", options={}
        )


def test_the_header_may_follow_blank_lines_and_a_byte_order_mark() -> None:
    setup = ShadowServerParser().setup(
        [b"", b"\r", b"\xef\xbb\xbf" + TELNET_HEADER + b"\r"],
        file_name="2024-05-01-scan_telnet.csv",
        report="",
        options={},
    )
    assert setup.skip_lines == 3
    assert setup.columns[0] == "timestamp"


def test_a_data_line_is_not_a_header() -> None:
    data = sample("scan_telnet").read_bytes()
    with pytest.raises(ReportError, match="must have the column"):
        ShadowServerParser().setup(
            lines_of(data)[1:], file_name="2024-05-01-scan_telnet.csv", report="", options={}
        )


def test_header_names_are_made_unique() -> None:
    assert unique_names(["ip", "tag", "", "tag", "tag"]) == (
        "ip",
        "tag",
        "column_3",
        "tag_2",
        "tag_3",
    )
