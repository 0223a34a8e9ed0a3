"""DataPlane.org parser: pipe-separated reports of every category."""

from __future__ import annotations

from typing import Any

import pytest

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample

CASES: list[tuple[str, int, list[int], dict[int, dict[str, Any]]]] = [
    (
        "dataplane/sshpwauth.txt",
        4,
        [13],
        {
            9: {
                "source.ip": "192.0.2.183",
                "time.source": "2024-05-01T04:26:48+00:00",
                "classification.taxonomy": "intrusion-attempts",
                "classification.type": "brute-force",
                "classification.identifier": "sshpwauth",
                "protocol.application": "ssh",
                "feed.provider": "DataPlane.org",
            },
            10: {
                "source.asn": "64496",
                "source.as_name": "EXAMPLE-BACKBONE No.31,Jin-ro",
                "source.ip": "198.51.100.121",
            },
            11: {"source.as_name": "TEST-AS company | With | pipe", "source.ip": "203.0.113.4"},
            12: {"source.ip": "2001:db8::22"},
        },
    ),
    (
        "dataplane/proto41.txt",
        1,
        [],
        {
            6: {
                "source.ip": "192.0.2.1",
                "extra.first_seen": "2024-04-28T05:00:18+00:00",
                "time.source": "2024-05-01T05:00:18+00:00",
                "classification.taxonomy": "other",
                "classification.type": "proxy",
                "protocol.application": "6to4",
            }
        },
    ),
    (
        "dataplane/mixed.txt",
        3,
        [],
        {
            2: {"classification.type": "scanner", "protocol.application": "dns"},
            3: {"classification.type": "brute-force", "protocol.application": "sip"},
            4: {
                "classification.taxonomy": "other",
                "classification.type": "undetermined",
                "classification.identifier": "brandnewcategory",
            },
        },
    ),
]


@pytest.mark.parametrize(("path", "count", "bad_lines", "expected"), CASES)
def test_sample(
    path: str, count: int, bad_lines: list[int], expected: dict[int, dict[str, Any]]
) -> None:
    frame, rejected, _setup = run("dataplane", sample(path))
    check_frame(frame)
    assert frame.height == count
    assert [item.line for item in rejected] == bad_lines
    for line, fields in expected.items():
        event = event_at(frame, line)
        for name, value in fields.items():
            assert event.get(name) == value, (line, name)


def test_na_is_no_value() -> None:
    frame, _rejected, _setup = run("dataplane", sample("dataplane/sshpwauth.txt"))
    event = event_at(frame, 9)
    assert "source.asn" not in event
    assert "source.as_name" not in event
