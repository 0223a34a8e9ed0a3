"""Spamhaus DROP / EDROP and ASN-DROP parsers, text and JSON-lines forms."""

from __future__ import annotations

from typing import Any

import pytest

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample

LISTED = {
    "classification.taxonomy": "other",
    "classification.type": "blacklist",
    "feed.provider": "Spamhaus",
}

CASES: list[tuple[str, str, int, list[int], dict[int, dict[str, Any]]]] = [
    (
        "spamhaus-drop",
        "spamhaus/drop.txt",
        4,
        [9],
        {
            5: {
                **LISTED,
                "source.network": "192.0.2.0/24",
                "extra.blocklist": "SBL256894",
                "time.source": "2024-05-01T11:36:42+00:00",
                "raw": "192.0.2.0/24 ; SBL256894",
            },
            7: {"source.network": "203.0.113.0/24", "extra.blocklist": "SBL301771"},
            8: {"source.network": "2001:db8:1000::/36"},
        },
    ),
    (
        "spamhaus-drop",
        "spamhaus/drop_v4.json",
        3,
        [4, 5],
        {
            1: {**LISTED, "source.network": "192.0.2.0/24", "source.registry": "APNIC"},
            2: {"source.registry": "RIPE", "extra.blocklist": "SBL389331"},
        },
    ),
    (
        "spamhaus-asndrop",
        "spamhaus/asndrop.json",
        3,
        [4],
        {
            1: {
                **LISTED,
                "source.asn": "64496",
                "source.as_name": "EXAMPLE-BP-AS",
                "source.geolocation.cc": "US",
                "source.registry": "ARIN",
                "extra.domain": "bulletproof.example",
            },
            3: {"source.asn": "64511", "source.registry": "AFRINIC"},
        },
    ),
    (
        "spamhaus-asndrop",
        "spamhaus/asndrop.txt",
        2,
        [7],
        {
            5: {
                **LISTED,
                "source.asn": "64496",
                "source.geolocation.cc": "US",
                "source.as_name": "EXAMPLE-BP-AS - Example Bulletproof Inc., US",
                "time.source": "2023-09-14T04:39:22+00:00",
            },
            6: {"source.asn": "64497", "source.as_name": "Example Design Group"},
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
    for line, fields in expected.items():
        event = event_at(frame, line)
        for name, value in fields.items():
            assert event.get(name) == value, (line, name)


def test_asndrop_without_country() -> None:
    frame, _rejected, _setup = run("spamhaus-asndrop", sample("spamhaus/asndrop.txt"))
    assert "source.geolocation.cc" not in event_at(frame, 6)


def test_json_metadata_line_is_not_an_entry_nor_rejected() -> None:
    frame, rejected, _setup = run("spamhaus-asndrop", sample("spamhaus/asndrop.json"))
    assert 5 not in frame["baobab.line"].to_list()
    assert 5 not in [item.line for item in rejected]


def test_bad_json_line_has_a_reason() -> None:
    _frame, rejected, _setup = run("spamhaus-drop", sample("spamhaus/drop_v4.json"))
    reasons = {item.line: item.reason for item in rejected}
    assert reasons[4] == "the JSON object has no 'cidr'"
    assert reasons[5].startswith("invalid JSON")
