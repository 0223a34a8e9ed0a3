"""OpenPhish parser."""

from __future__ import annotations

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample


def test_feed() -> None:
    frame, rejected, _setup = run("openphish", sample("openphish/feed.txt"))
    check_frame(frame)
    assert not rejected
    assert frame.height == 4
    assert event_at(frame, 3) == {
        "baobab.line": 3,
        "raw": "https://secure-update.example.net/?id=42&session=abc",
        "source.url": "https://secure-update.example.net/?id=42&session=abc",
        "classification.taxonomy": "fraud",
        "classification.type": "phishing",
        "feed.provider": "OpenPhish",
    }
    assert 4 not in frame["baobab.line"].to_list()
