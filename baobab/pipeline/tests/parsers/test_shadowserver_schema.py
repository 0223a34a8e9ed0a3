"""ShadowServer's own published report schema (the JSON file IntelMQ
consumes), supplied by an operator through the ``schema_file`` option: its
report types work like built-in ones, its version of a type wins, and a
broken file is a clear error."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from baobab.pipeline.parsers.base import ReportError, UnknownReportError
from baobab.pipeline.parsers.shadowserver import ShadowServerParser
from baobab.pipeline.parsers.shadowserver_reports import load_schema_file, parse_schema
from baobab.pipeline.tests.parsers._shadowserver import (
    SAMPLES,
    lines_of,
    run,
    run_file,
    sample,
    value,
)

SCHEMA_DIR = SAMPLES / "schema"
SCHEMA = SCHEMA_DIR / "shadowserver-schema.json"
STUN = SCHEMA_DIR / "2024-05-01-scan_stun-country-geo.csv"
ROCKETMQ = SCHEMA_DIR / "2024-05-01-event4_honeypot_rocketmq_scan-asn.csv"
OPTIONS = {"schema_file": str(SCHEMA)}


def test_a_report_type_only_the_schema_knows_needs_the_schema() -> None:
    with pytest.raises(UnknownReportError, match="scan_stun"):
        run_file(STUN)


def test_a_report_type_from_the_schema_file_is_parsed() -> None:
    frame, rejected, setup = run_file(STUN, options=OPTIONS)
    assert rejected == []
    assert setup.report == "scan_stun"
    assert frame.height == 2
    expected = {
        "time.source": "2024-05-01T02:10:00+00:00",
        "source.ip": "192.0.2.44",
        "source.port": "3478",
        "source.asn": "64497",
        "source.geolocation.cc": "GH",
        "protocol.transport": "udp",
        "protocol.application": "Session Traversal Utilities for NAT",
        "classification.taxonomy": "other",
        "classification.type": "other",
        "classification.identifier": "open-stun",
        "extra.stun_software": "Coturn-4.5.2 'dan Eider'",  # an extra.* name of the schema
        "extra.user_agent": "0x4d2b9a1c",  # a name the harmonisation lacks goes to extra
        "extra.amplification": "1.51",  # an unknown conversion keeps the value
        "extra.mapped_address": "198.51.100.7",  # a column no rule names goes to extra
        "extra.hostname_source": None,  # the schema says: ignore this column
    }
    for field, expected_value in expected.items():
        assert value(frame, 0, field) == expected_value, field
    assert value(frame, 1, "source.asn") is None  # invalidate_zero


def test_a_schema_entry_is_found_by_file_name_and_by_key() -> None:
    for report in ("", "event_honeypot_rocketmq_scan", "Honeypot-RocketMQ-Scanner"):
        frame, rejected, setup = run_file(ROCKETMQ, report=report, options=OPTIONS)
        assert setup.report == "event4_honeypot_rocketmq_scan"
        assert rejected == []
        assert frame["classification.type"].to_list() == ["scanner", "scanner"]
        assert frame["source.ip"].to_list() == ["203.0.113.77", "2001:db8:77::1"]
        assert frame["destination.port"].to_list() == ["9876", "9876"]
        assert frame["extra.body_base64"].to_list() == ["e30=", "cGxhaW4gdGV4dCBib2R5"]


def test_the_schema_files_version_of_a_type_wins_over_the_builtin_one() -> None:
    dns = sample("scan_dns")
    builtin, _, _ = run_file(dns)
    from_schema, _, _ = run_file(dns, options=OPTIONS)
    assert builtin["classification.type"][0] == "ddos-amplifier"
    assert from_schema["classification.type"][0] == "vulnerable-system"


def test_the_report_list_of_an_unknown_type_includes_the_schemas() -> None:
    with pytest.raises(UnknownReportError) as raised:
        run_file(STUN, report="nope", options=OPTIONS)
    assert {"scan_stun", "event4_honeypot_rocketmq_scan", "scan_telnet"} <= set(raised.value.valid)


def test_workers_need_not_have_the_schema_file(tmp_path: Path) -> None:
    schema = tmp_path / "shadowserver-schema.json"
    shutil.copy(SCHEMA, schema)
    parser = ShadowServerParser()
    lines = lines_of(STUN.read_bytes())
    setup = parser.setup(
        lines[:1], file_name=STUN.name, report="", options={"schema_file": str(schema)}
    )
    schema.unlink()
    parsed = parser.parse(lines[1:], 2, setup)
    assert parsed.frame["classification.identifier"].to_list() == ["open-stun", "open-stun"]


def test_a_changed_schema_file_is_read_again(tmp_path: Path) -> None:
    schema = tmp_path / "shadowserver-schema.json"
    data = json.loads(SCHEMA.read_text())
    schema.write_text(json.dumps(data))
    assert load_schema_file(schema)["scan_stun"].feed_name.startswith("Accessible-Session")
    data["scan_stun"]["feed_name"] = "Accessible-STUN, renamed by ShadowServer"
    schema.write_text(json.dumps(data))
    os.utime(schema, ns=(1, 1))
    assert load_schema_file(schema)["scan_stun"].feed_name.endswith("renamed by ShadowServer")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not JSON"),
        (b"\xff\xfe\x00", "is not JSON"),
        (b"[1, 2]", "is not a JSON object"),
        (b'{"_meta": {}}', "holds no report type"),
        (b'{"scan_x": 3}', "'scan_x' is not an object"),
        (b'{"scan_x": {"required_fields": [["source.ip"]]}}', "malformed rule"),
        (b'{"scan_x": {"required_fields": "ip"}}', "required_fields is not a list"),
        (b'{"scan_x": {"constant_fields": []}}', "constant_fields is not an object"),
    ],
)
def test_a_broken_schema_file_is_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    schema = tmp_path / "schema.json"
    schema.write_bytes(content)
    with pytest.raises(ReportError, match=message):
        run_file(STUN, options={"schema_file": str(schema)})


def test_a_missing_schema_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="Cannot read the ShadowServer schema file"):
        run_file(STUN, options={"schema_file": str(tmp_path / "absent.json")})


def test_the_schema_file_option_must_be_a_path() -> None:
    with pytest.raises(ReportError, match="must be a file path"):
        run_file(STUN, options={"schema_file": 42})


def test_an_empty_schema_file_option_means_none() -> None:
    frame, _, _ = run_file(sample("scan_telnet"), options={"schema_file": ""})
    assert frame.height == 3


def test_parse_schema_skips_meta_and_keys_reports_by_file_name() -> None:
    reports = parse_schema(json.loads(SCHEMA.read_text()))
    assert sorted(reports) == ["event4_honeypot_rocketmq_scan", "scan_dns", "scan_stun"]
    assert reports["event4_honeypot_rocketmq_scan"].key == "event_honeypot_rocketmq_scan"


def test_a_with_row_conversion_of_the_schema_reads_other_columns(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {
                "special_web": {
                    "file_name": "special_web",
                    "constant_fields": {"classification.taxonomy": "other"},
                    "required_fields": [["source.ip", "ip", "validate_ip"]],
                    "optional_fields": [
                        ["source.url", "url", "convert_http_host_and_url", True],
                        ["event_description.text", "category", "category_or_detail", True],
                    ],
                }
            }
        )
    )
    data = (
        b'"ip","http_host","url","category","detail","application"\n'
        b'"192.0.2.1","www.example.org","GET /a?b=1 HTTP/1.1",,"defaced","https"\n'
        b'"192.0.2.2","www.example.org","http://www.example.org/full/url","phishing",,"http"\n'
        b'"192.0.2.3",,"/only/a/path","malware",,"http"\n'
    )
    frame, _, _ = run(
        data, file_name="2024-05-01-special_web-asn.csv", options={"schema_file": str(schema)}
    )
    assert value(frame, 0, "source.url") == "https://www.example.org/a?b=1"
    assert value(frame, 0, "event_description.text") == "defaced"
    assert value(frame, 0, "extra.detail") == "defaced"  # read by a rule, not mapped by one
    assert value(frame, 1, "source.url") == "http://www.example.org/full/url"  # already a URL
    assert value(frame, 1, "event_description.text") == "phishing"
    assert value(frame, 2, "source.url") is None  # a path without a host is no URL
