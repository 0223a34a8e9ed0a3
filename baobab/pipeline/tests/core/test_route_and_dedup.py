"""Deduplication keys, routing on IPv4, IPv6, names and AS numbers, and chunking."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from baobab.directory.lookup import ClaimRecord, HolderRecord, LookupIndex
from baobab.pipeline.chunks import read_lines, split
from baobab.pipeline.dedup import add_dedup_keys
from baobab.pipeline.route import route

TEAMS = {1: "ke-cirt", 2: "africacert", 3: "gh-cert"}


def _index() -> LookupIndex:
    holders = [
        HolderRecord("team", 1, "ke-cirt", "Kenya CIRT", "national", "KE", email="ke@example.org"),
        HolderRecord("team", 2, "africacert", "AfricaCERT", "regional"),
        HolderRecord("team", 3, "gh-cert", "Ghana CERT", "national", "GH"),
        HolderRecord(
            "organisation",
            10,
            "isp",
            "An ISP",
            "isp",
            "KE",
            managed_by_id=1,
            email="abuse@isp.example",
        ),
    ]
    claims = [
        ClaimRecord(100, "prefix", "198.51.100.0/24", "organisation", 10),
        ClaimRecord(101, "prefix", "2001:db8:100::/48", "team", 1),
        ClaimRecord(102, "domain", "go.ke", "team", 1),
        ClaimRecord(103, "asn", "64500", "team", 3),
    ]
    return LookupIndex(holders, claims, [], today=date(2026, 12, 1))


def _frame(**columns: Any) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    return pl.DataFrame(
        {"baobab.line": list(range(1, height + 1)), "raw": ["r"] * height, **columns}
    )


def test_routing_on_ipv4_ipv6_names_urls_and_asns() -> None:
    frame = _frame(
        **{
            "source.ip": ["198.51.100.7", "2001:db8:100::5", None, None, None, "203.0.113.9"],
            "source.fqdn": [None, None, "mail.go.ke", None, None, None],
            "source.url": [None, None, None, "https://www.go.ke/x", None, None],
            "source.asn": [None, None, None, None, 64500, None],
        }
    )
    routed = route(frame, _index(), TEAMS)
    assert routed["baobab.team"].to_list() == [
        "ke-cirt",
        "ke-cirt",
        "ke-cirt",
        "ke-cirt",
        "gh-cert",
        None,
    ]
    assert routed["baobab.organisation_id"].to_list()[0] == 10
    assert routed["baobab.claim_id"].to_list() == [100, 101, 102, 102, 103, None]
    assert routed["baobab.route.step"].to_list() == [
        "prefix",
        "prefix",
        "domain",
        "domain",
        "asn",
        "regional",
    ]
    # The responsible holder's address fills the abuse contact.
    assert routed["source.abuse_contact"].to_list()[:2] == ["abuse@isp.example", "ke@example.org"]


def test_dedup_keys_ignore_raw_observation_time_and_absent_fields() -> None:
    base = {
        "source.ip": ["192.0.2.1", "192.0.2.1", "192.0.2.1", "192.0.2.2"],
        "time.source": ["2024-05-01T00:00:00+00:00"] * 4,
        "time.observation": ["2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"] * 2,
    }
    frame = _frame(**base).with_columns(pl.Series("raw", ["a", "b", "c", "d"]))
    keys = add_dedup_keys(frame)["baobab.dedup_key"].to_list()
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    with_null_column = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("extra.new"))
    assert add_dedup_keys(with_null_column)["baobab.dedup_key"].to_list() == keys


def test_dedup_window_separates_the_same_event_on_another_day() -> None:
    frame = _frame(
        **{
            "source.ip": ["192.0.2.1", "192.0.2.1"],
            "time.source": ["2024-05-03T01:00:00+00:00", "2024-05-04T01:00:00+00:00"],
        }
    )
    # By default time.source is part of the key: another moment, another event.
    assert len(set(add_dedup_keys(frame)["baobab.dedup_key"].to_list())) == 2
    # Keyed on the address only, the window decides.
    daily = add_dedup_keys(frame, fields=["source.ip"], window_hours=24)
    weekly = add_dedup_keys(frame, fields=["source.ip"], window_hours=24 * 7)
    assert len(set(daily["baobab.dedup_key"].to_list())) == 2
    assert len(set(weekly["baobab.dedup_key"].to_list())) == 1


def test_chunks_cover_every_line_once(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    lines = [b"header"] + [f"line {n},{'x' * (n % 17)}".encode() for n in range(1, 1001)]
    report.write_bytes(b"\r\n".join(lines) + b"\r\n")
    spans = split(report, skip_lines=1, chunk_bytes=997)
    assert len(spans) > 5
    seen: list[bytes] = []
    for span in spans:
        chunk = read_lines(report, span)
        assert chunk[0].startswith(f"line {span.first_line - 1},".encode())
        seen.extend(chunk)
    assert [line.rstrip(b"\r") for line in seen] == lines[1:]
    assert split(report, skip_lines=1, chunk_bytes=997, whole=True)[0].first_line == 2


def test_a_prefix_is_routed_by_the_claim_covering_all_of_it() -> None:
    frame = _frame(**{"source.network": ["198.51.100.0/25", "198.51.0.0/16"]})
    routed = route(frame, _index(), TEAMS)
    assert routed["baobab.claim_id"].to_list() == [100, None]
    assert routed["baobab.team"].to_list() == ["ke-cirt", None]
