"""PhishTank parser."""

from __future__ import annotations

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample


def test_online_valid() -> None:
    frame, rejected, setup = run("phishtank", sample("phishtank/online-valid.csv"))
    check_frame(frame)
    assert setup.skip_lines == 1
    assert frame.height == 3
    assert [item.line for item in rejected] == [5]
    first = event_at(frame, 2)
    assert first["source.url"] == "https://login.example.com/wp/"
    assert first["event_description.url"] == (
        "http://www.phishtank.com/phish_detail.php?phish_id=8386962"
    )
    assert first["time.source"] == "2024-05-01T11:05:33+00:00"
    assert first["extra.phish_id"] == "8386962"
    assert first["extra.verified"] == "yes"
    assert first["classification.taxonomy"] == "fraud"
    assert first["classification.type"] == "phishing"
    assert first["feed.provider"] == "PhishTank"
    assert event_at(frame, 3)["source.url"] == "http://198.51.100.33/paypal,login/index.html"
    assert event_at(frame, 4)["extra.target"] == "Example Bank, Inc."


def test_columns_reordered_and_one_dropped() -> None:
    data = b"url,target,phish_id,submission_time\nhttps://a.example.com/,Other,1,2024-05-01T00:00:00+00:00\n"
    frame, rejected, _setup = run("phishtank", data)
    assert not rejected
    event = event_at(frame, 2)
    assert event["source.url"] == "https://a.example.com/"
    assert event["extra.phish_id"] == "1"
