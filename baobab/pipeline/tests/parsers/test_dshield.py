"""DShield block list parser."""

from __future__ import annotations

from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample


def test_block_list() -> None:
    frame, rejected, setup = run("dshield-block", sample("dshield/block.txt"))
    check_frame(frame)
    assert frame.height == 3
    assert [item.line for item in rejected] == [33]
    assert "tab-separated" in rejected[0].reason
    first = event_at(frame, 30)
    assert first == {
        "baobab.line": 30,
        "raw": "192.0.2.0\t192.0.2.255\t24\t20444\tEXAMPLE-NET-1\tNL\tabuse@example.net",
        "source.network": "192.0.2.0/24",
        "extra.end": "192.0.2.255",
        "extra.attacks": "20444",
        "extra.network_name": "EXAMPLE-NET-1",
        "source.geolocation.cc": "NL",
        "source.abuse_contact": "abuse@example.net",
        "classification.taxonomy": "other",
        "classification.type": "blacklist",
        "feed.provider": "DShield",
        "time.source": "2024-05-01T11:36:42+00:00",
    }
    assert setup.options["report_time"] == "2024-05-01T11:36:42+00:00"
    assert "source.abuse_contact" not in event_at(frame, 31)
    short = event_at(frame, 32)
    assert short["source.network"] == "203.0.113.0/24"
    assert "extra.network_name" not in short


def test_netblock_that_is_no_prefix() -> None:
    frame, rejected, _setup = run("dshield-block", b"192.0.2.0\t192.0.2.255\t99\n")
    assert frame.height == 0
    assert rejected[0].reason == "start and netblock make no network prefix"
