"""abuse.ch parsers (Feodo Tracker, URLhaus, ThreatFox, SSLBL) over sample files
written in each feed's real layouts."""

from __future__ import annotations

from typing import Any

import pytest

from baobab.pipeline.parsers.base import ReportError
from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample

C2 = {"classification.taxonomy": "malicious-code", "classification.type": "c2-server"}

# (parser, sample, events, rejected lines, {line: expected fields})
CASES: list[tuple[str, str, int, list[int], dict[int, dict[str, Any]]]] = [
    (
        "feodotracker",
        "abusech/feodotracker.csv",
        4,
        [14],
        {
            10: {
                **C2,
                "source.ip": "192.0.2.10",
                "source.port": "443",
                "time.source": "2024-01-17T07:30:05+00:00",
                "status": "online",
                "extra.last_online": "2024-05-01",
                "malware.name": "dridex",
                "feed.provider": "abuse.ch",
                "raw": '"2024-01-17 07:30:05","192.0.2.10","443","online","2024-05-01","Dridex"',
            },
            12: {"source.ip": "2001:db8::c2", "malware.name": "pikabot"},
        },
    ),
    (
        "feodotracker",
        "abusech/feodotracker-2019.csv",
        2,
        [],
        {
            7: {**C2, "source.ip": "192.0.2.101", "source.port": "990", "malware.name": "heodo"},
            9: {"raw": "2019-03-04 22:12:00,198.51.100.7,8080,TrickBot"},
        },
    ),
    (
        "feodotracker",
        "abusech/feodotracker-recommended.txt",
        2,
        [],
        {8: {**C2, "source.ip": "203.0.113.77"}},
    ),
    (
        "urlhaus",
        "abusech/urlhaus.csv",
        3,
        [13],
        {
            10: {
                "classification.taxonomy": "malicious-code",
                "classification.type": "malware-distribution",
                "classification.identifier": "malware_download",
                "source.url": "http://192.0.2.44:47806/i",
                "time.source": "2024-05-01T12:04:06+00:00",
                "status": "online",
                "extra.tags": "32-bit,elf,mips,Mozi",
                "extra.urlhaus_id": "2836540",
                "extra.reporter": "geenensp",
                "event_description.url": "https://urlhaus.abuse.ch/url/2836540/",
            },
            12: {"source.url": "http://[2001:db8::44]/bins/x86", "status": "offline"},
        },
    ),
    (
        "urlhaus",
        "abusech/urlhaus-country.csv",
        2,
        [],
        {
            12: {
                "source.fqdn": "shop.example.org",
                "source.ip": "198.51.100.42",
                "source.asn": "64496",
                "source.geolocation.cc": "ZA",
            },
            # the "host" of an address-only URL is an address, not a name
            13: {"source.ip": "203.0.113.9", "source.asn": "64497"},
        },
    ),
    (
        "threatfox",
        "abusech/threatfox.csv",
        6,
        [],
        {
            10: {
                **C2,
                "source.ip": "192.0.2.66",
                "source.port": "443",
                "malware.name": "cobalt strike",
                "extra.malware_id": "win.cobalt_strike",
                "extra.malware_alias": "Agentemis,BEACON,CobaltStrike,cobeacon",
                "feed.accuracy": "100",
                "extra.ioc_id": "1270034",
                "time.source": "2024-05-01T11:55:04+00:00",
                "extra.last_seen": "2024-05-01T11:59:00+00:00",
            },
            11: {
                **C2,
                "source.fqdn": "c2.example.net",
                "extra.reference": "https://example.com/report",
            },
            12: {
                "classification.type": "malware-distribution",
                "source.url": "https://dl.example.org/p.exe",
            },
            13: {
                "classification.taxonomy": "other",
                "classification.type": "malware",
                "malware.hash.sha256": "0123456789abcdef" * 4,
            },
            14: {"source.ip": "2001:db8::66", "source.port": "8443"},
        },
    ),
    (
        "threatfox-json",
        "abusech/threatfox.json",
        2,
        [],
        {
            1: {**C2, "source.ip": "192.0.2.66", "source.port": "443", "extra.ioc_id": "1270034"},
            2: {**C2, "source.fqdn": "c2.example.net", "feed.accuracy": "75"},
        },
    ),
    (
        "sslbl",
        "abusech/sslbl.csv",
        2,
        [12],
        {
            10: {
                **C2,
                "source.ip": "192.0.2.200",
                "source.port": "443",
                "time.source": "2024-01-02T17:46:51+00:00",
            }
        },
    ),
]


@pytest.mark.parametrize(("parser", "path", "count", "bad_lines", "expected"), CASES)
def test_sample(
    parser: str, path: str, count: int, bad_lines: list[int], expected: dict[int, dict[str, Any]]
) -> None:
    frame, rejected, _setup = run(parser, sample(path))
    check_frame(frame)
    assert frame.height == count
    assert sorted(item.line for item in rejected if item.line is not None) == bad_lines
    assert all(item.reason for item in rejected)
    for line, fields in expected.items():
        event = event_at(frame, line)
        for name, value in fields.items():
            assert event.get(name) == value, (line, name)


def test_threatfox_keeps_the_exact_raw_line() -> None:
    frame, _rejected, _setup = run("threatfox", sample("abusech/threatfox.csv"))
    assert event_at(frame, 11)["raw"].startswith('"2024-05-01 11:50:00", "1270033", ')


def test_threatfox_placeholder_none_is_no_value() -> None:
    frame, _rejected, _setup = run("threatfox", sample("abusech/threatfox.csv"))
    event = event_at(frame, 12)
    assert "extra.reference" not in event
    assert "extra.tags" not in event


def test_reordered_and_added_columns_are_read_by_name() -> None:
    data = (
        b"# comment\n"
        b'"malware","dst_port","dst_ip","new_column","first_seen_utc"\n'
        b'"QakBot","443","198.51.100.9","whatever","2024-05-01 00:00:00"\n'
    )
    frame, rejected, _setup = run("feodotracker", data)
    assert not rejected
    event = event_at(frame, 3)
    assert event["source.ip"] == "198.51.100.9"
    assert event["source.port"] == "443"
    assert event["extra.new_column"] == "whatever"


def test_header_met_again_is_not_an_event() -> None:
    data = (
        b'"first_seen_utc","dst_ip"\n"2024-05-01 00:00:00","192.0.2.1"\n"first_seen_utc","dst_ip"\n'
    )
    frame, rejected, _setup = run("feodotracker", data)
    assert frame.height == 1
    assert not rejected


def test_a_report_without_the_needed_columns_is_refused() -> None:
    data = b"# Listingdate,SHA1,Listingreason\n2024-01-02 08:10:51,0123456789abcdef,AsyncRAT C&C\n"
    with pytest.raises(ReportError, match=r"source\.ip"):
        run("sslbl", data)


def test_json_export_that_is_not_json_is_rejected_whole() -> None:
    frame, rejected, _setup = run("threatfox-json", b'{"123": [{"ioc_value": ')
    assert frame.height == 0
    assert len(rejected) == 1
    assert "not a JSON document" in rejected[0].reason


def test_threatfox_api_answer() -> None:
    data = (
        b'{"query_status": "ok", "data": [{"id": "41", "ioc": "198.51.100.4:8080", '
        b'"threat_type": "botnet_cc", "ioc_type": "ip:port", "malware_printable": "Mirai", '
        b'"first_seen": "2024-05-01 10:00:00 UTC", "confidence_level": 50}]}'
    )
    frame, rejected, _setup = run("threatfox-json", data)
    assert not rejected
    event = event_at(frame, 1)
    assert event["source.ip"] == "198.51.100.4"
    assert event["source.port"] == "8080"
    assert event["time.source"] == "2024-05-01T10:00:00+00:00"
    assert event["extra.ioc_id"] == "41"
