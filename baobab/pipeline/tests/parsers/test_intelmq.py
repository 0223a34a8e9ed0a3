"""IntelMQ event JSON lines parser."""

from __future__ import annotations

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample


def test_events() -> None:
    frame, rejected, _setup = run("intelmq", sample("intelmq/events.jsonl"))
    check_frame(frame)
    assert frame.height == 3
    reasons = {item.line: item.reason for item in rejected}
    assert sorted(line for line in reasons if line is not None) == [4, 5, 6]
    assert reasons[4].startswith("invalid JSON")
    assert reasons[5].startswith("not a JSON object")
    assert reasons[6] == "the event has no field"

    feodo = event_at(frame, 1)
    assert feodo["raw"] == '"2024-01-17 07:30:05","192.0.2.10","443","online","2024-05-01","Dridex"'
    assert feodo["source.ip"] == "192.0.2.10"
    assert feodo["source.port"] == "443"
    assert feodo["source.asn"] == "64496"
    assert feodo["feed.accuracy"] == "100.0"
    assert feodo["time.observation"] == "2024-05-01T12:10:00+00:00"
    assert feodo["extra.first_seen"] == "2024-01-17T07:30:05+00:00"
    assert "__type" not in feodo
    assert "extra.__type" not in feodo


def test_unknown_fields_go_to_extra_and_bad_base64_keeps_the_line() -> None:
    frame, _rejected, _setup = run("intelmq", sample("intelmq/events.jsonl"))
    event = event_at(frame, 2)
    assert event["raw"].startswith('{"feed.name": "Blocklist.de SSH"')
    assert event["extra.source.geolocation.state"] == "Gauteng"
    assert event["extra.reports"] == "3"
    assert event["extra.tags"] == '["ssh","bruteforce"]'
    assert event["extra.baobab.team"] == "spoofed"
    assert "baobab.team" not in event
    assert event["source.tor_node"] == "false"


def test_nested_output_is_flattened() -> None:
    frame, _rejected, _setup = run("intelmq", sample("intelmq/events.jsonl"))
    event = event_at(frame, 3)
    assert event["source.fqdn"] == "phish.example.com"
    assert event["classification.type"] == "phishing"
