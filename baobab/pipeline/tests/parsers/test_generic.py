"""Generic CSV and JSON parsers, mapped by feed options."""

from __future__ import annotations

from typing import Any

import pytest

from baobab.pipeline.parsers.base import ReportError
from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample

SCANNERS = {
    "delimiter": ";",
    "skip_comments": "#",
    "columns": {
        "src": "source.ip",
        "port": "source.port",
        "proto": "protocol.transport",
        "seen": "time.source",
    },
    "constants": {
        "classification.taxonomy": "information-gathering",
        "classification.type": "scanner",
    },
}


def test_csv_with_header() -> None:
    frame, rejected, setup = run("generic-csv", sample("generic/scanners.csv"), options=SCANNERS)
    check_frame(frame)
    assert setup.skip_lines == 3
    assert frame.height == 3
    assert [item.line for item in rejected] == [8]
    assert event_at(frame, 4) == {
        "baobab.line": 4,
        "raw": "192.0.2.50;23;tcp;2024-05-01T10:00:00Z;honeypot-1",
        "source.ip": "192.0.2.50",
        "source.port": "23",
        "protocol.transport": "tcp",
        "time.source": "2024-05-01T10:00:00Z",
        "extra.sensor_name": "honeypot-1",
        "classification.taxonomy": "information-gathering",
        "classification.type": "scanner",
    }
    assert event_at(frame, 7)["extra.sensor_name"] == "honeypot;3"


def test_csv_unmapped_columns_can_be_dropped_and_names_match_any_case() -> None:
    options = {**SCANNERS, "keep_unmapped": False, "columns": {"SRC": "source.ip"}}
    frame, _rejected, _setup = run("generic-csv", sample("generic/scanners.csv"), options=options)
    assert set(event_at(frame, 5)) == {
        "baobab.line",
        "raw",
        "source.ip",
        "classification.taxonomy",
        "classification.type",
    }


def test_csv_without_header() -> None:
    options = {
        "delimiter": "tab",
        "has_header": False,
        "columns": {"1": "source.ip", "2": "source.port"},
        "constants": {"classification.type": "scanner"},
    }
    frame, rejected, _setup = run("generic-csv", sample("generic/noheader.tsv"), options=options)
    assert event_at(frame, 1)["source.ip"] == "203.0.113.60"
    assert event_at(frame, 1)["extra.3"] == "example-a"
    assert [item.line for item in rejected] == [2]


def test_csv_without_header_named_columns() -> None:
    options = {
        "delimiter": "\t",
        "has_header": False,
        "names": ["ip", "port", "label"],
        "columns": {"ip": "source.ip", "label": ""},
    }
    frame, _rejected, _setup = run("generic-csv", sample("generic/noheader.tsv"), options=options)
    assert event_at(frame, 1) == {
        "baobab.line": 1,
        "raw": "203.0.113.60\t8080\texample-a",
        "source.ip": "203.0.113.60",
        "extra.port": "8080",
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "'columns' is missing"),
        ({"columns": {}}, "non-empty object"),
        ({"columns": {"src": "sorce.ip"}}, "'sorce.ip' is not an event field"),
        ({"columns": {"src": "ip"}}, "did you mean destination.ip, source.ip"),
        ({"columns": {"src": "source.ip"}, "delimiter": ";;"}, "'delimiter' must be one"),
        ({"colums": {"src": "source.ip"}}, "unknown option(s) colums"),
        ({"columns": {"src": "source.ip"}, "constants": {"baobab.team": "x"}}, "Baobab's own"),
        ({"columns": {"src": "raw"}}, "Baobab's own"),
        ({"columns": {"src": "source.ip"}, "has_header": "yes"}, "true or false"),
        ({"columns": {"src": "source.ip"}, "skip_lines": -1}, "skip_lines"),
        ({"columns": {"src": "source.ip"}, "constants": {"tlp": ["x"]}}, "text or a number"),
        ({**SCANNERS, "columns": {"nothere": "source.ip"}}, "none of the mapped columns"),
        (
            {**SCANNERS, "required": ["src", "missing"]},
            "required column(s) missing from the report: missing",
        ),
    ],
)
def test_csv_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportError) as error:
        run("generic-csv", sample("generic/scanners.csv"), options=options)
    assert message in str(error.value)


def test_json_lines() -> None:
    options = {
        "fields": {"host.address": "source.ip", "host.port": "source.port", "seen": "time.source"},
        "keep_unmapped": True,
        "constants": {"classification.type": "scanner"},
    }
    frame, rejected, _setup = run("generic-json", sample("generic/lines.jsonl"), options=options)
    check_frame(frame)
    assert frame.height == 2
    first = event_at(frame, 1)
    assert first["source.ip"] == "192.0.2.70"
    assert first["source.port"] == "445"
    assert first["extra.tags"] == '["smb","worm"]'
    assert first["extra.sensor"] == "s1"
    assert first["classification.type"] == "scanner"
    reasons = {item.line: item.reason for item in rejected}
    assert reasons[3].startswith("none of the mapped paths")
    assert reasons[4].startswith("invalid JSON")


def test_json_array_keeps_each_record_text_and_line() -> None:
    options = {"fields": {"ip": "source.ip", "domain": "source.fqdn", "last": "time.source"}}
    frame, rejected, _setup = run("generic-json", sample("generic/array.json"), options=options)
    assert frame["baobab.line"].to_list() == [2, 3]
    assert event_at(frame, 3)["raw"].startswith('{"ip": "198.51.100.81",\n')
    assert event_at(frame, 3)["source.fqdn"] == "worse.example.com"
    reasons = {item.line: item.reason for item in rejected}
    assert reasons[6] == "a record is not a JSON object"
    assert reasons[7].startswith("unreadable JSON array from here on")


def test_json_records_path() -> None:
    options = {"records": "data", "fields": {"ip": "source.ip", "asn": "source.asn"}}
    frame, rejected, _setup = run("generic-json", sample("generic/wrapped.json"), options=options)
    assert not rejected
    assert frame["source.asn"].to_list() == ["AS64505", "64506"]
    options = {"records": "nothing", "fields": {"ip": "source.ip"}}
    frame, rejected, _setup = run("generic-json", sample("generic/wrapped.json"), options=options)
    assert frame.height == 0
    assert "no list of records at 'nothing'" in rejected[0].reason


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "'fields' is missing"),
        ({"fields": {"ip": "source.address"}}, "'source.address' is not an event field"),
        ({"fields": {"ip": "source.ip"}, "records": 3}, "'records' must be"),
        ({"fields": {"ip": "source.ip"}, "columns": {}}, "unknown option(s) columns"),
    ],
)
def test_json_bad_options(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ReportError) as error:
        run("generic-json", sample("generic/lines.jsonl"), options=options)
    assert message in str(error.value)
