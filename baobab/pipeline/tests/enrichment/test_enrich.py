"""The enrichment stage on IPv4 and IPv6 frames: what it fills, what it
leaves alone, and frames with missing columns."""

from __future__ import annotations

import ipaddress

import polars as pl
import pytest

from baobab.pipeline.enrichment import Enrichment, enrich
from baobab.pipeline.enrichment.sources import read_asnames, read_ipasn, read_tor_exits
from baobab.pipeline.enrichment.tables import CountryTable, Segments

from .conftest import SAMPLES


def at(text: str) -> int:
    return int(ipaddress.ip_address(text))


@pytest.fixture(scope="module")
def data() -> Enrichment:
    """The sample files, and countries as the directory's delegated data give them."""
    countries = CountryTable(
        Segments([at("41.80.0.0"), at("41.83.0.0"), at("41.84.0.0")], ["KE", "GH", None]),
        Segments([at("2c0f:fe38::"), at("2c0f:fe39::")], ["KE", None]),
    )
    return Enrichment(
        asns=read_ipasn(SAMPLES / "ipasn.dat").value,
        as_names=read_asnames(SAMPLES / "asnames.txt").value,
        tor_exits=read_tor_exits(SAMPLES / "tor-exits.txt").value,
        countries=countries,
    )


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    return frame.select(columns).rows()


def test_ipv4_frame_gets_asn_name_country_and_tor(data: Enrichment) -> None:
    frame = pl.DataFrame(
        {
            "source.ip": ["41.80.1.2", "41.83.0.9", "41.90.4.7", "8.8.8.8", "192.0.2.1", None],
            "source.port": [23, 22, 443, 53, 80, 25],
        }
    )
    out = enrich(frame, data)
    assert rows(
        out, "source.asn", "source.as_name", "source.geolocation.cc", "source.tor_node"
    ) == [
        (33771, "SAFARICOM-LIMITED", "KE", None),
        (33771, "SAFARICOM-LIMITED", "GH", None),
        (36866, "JTL", None, True),
        (15169, "GOOGLE", None, None),
        (None, None, None, None),
        (None, None, None, None),
    ]
    assert out.schema["source.asn"] == pl.Int64
    assert out.schema["source.tor_node"] == pl.Boolean
    assert out.get_column("source.port").to_list() == [23, 22, 443, 53, 80, 25]
    assert "destination.asn" not in out.columns  # no destination address: nothing added


def test_ipv6_frame(data: Enrichment) -> None:
    frame = pl.DataFrame(
        {
            "source.ip": [
                "2c0f:fe38::1",
                "2c0f:fe38:2fff::1",
                "2001:db8:1000::7",
                "2001:db9::1",
                "::ffff:41.90.4.7",  # an IPv4-mapped address is looked up as IPv4
                "41.80.0.1",
                "2c0f:fe38::1",
            ]
        }
    )
    out = enrich(frame, data)
    assert rows(
        out, "source.asn", "source.as_name", "source.geolocation.cc", "source.tor_node"
    ) == [
        (33771, "SAFARICOM-LIMITED", "KE", None),
        (36866, "JTL", "KE", None),
        (64503, "EXAMPLE-V6", None, True),
        (None, None, None, None),
        (36866, "JTL", None, None),
        (33771, "SAFARICOM-LIMITED", "KE", None),
        (33771, "SAFARICOM-LIMITED", "KE", None),
    ]


def test_only_what_is_missing_is_filled(data: Enrichment) -> None:
    frame = pl.DataFrame(
        {
            "source.ip": ["41.80.1.2", "41.80.1.2", "41.90.4.7"],
            "source.asn": [64999, None, None],
            "source.as_name": ["FEED-GIVEN", None, None],
            "source.geolocation.cc": ["US", None, "TZ"],
            "source.tor_node": [None, None, False],
        },
        schema_overrides={"source.tor_node": pl.Boolean},
    )
    out = enrich(frame, data)
    assert rows(
        out, "source.asn", "source.as_name", "source.geolocation.cc", "source.tor_node"
    ) == [
        (64999, "FEED-GIVEN", "US", None),
        (33771, "SAFARICOM-LIMITED", "KE", None),
        (36866, "JTL", "TZ", False),
    ]


def test_the_name_of_an_asn_the_feed_gave(data: Enrichment) -> None:
    frame = pl.DataFrame({"source.asn": [37100, 64504, None], "feed.name": ["a", "b", "c"]})
    out = enrich(frame, data)
    assert out.get_column("source.as_name").to_list() == ["SEACOM-AS", None, None]
    assert "source.geolocation.cc" not in out.columns  # no address to look up


def test_destination_side(data: Enrichment) -> None:
    frame = pl.DataFrame(
        {
            "source.ip": ["198.51.100.7", "203.0.113.200"],
            "destination.ip": ["41.90.4.7", "2c0f:fe38::53"],
        }
    )
    out = enrich(frame, data)
    assert rows(out, "source.asn", "source.tor_node", "destination.asn", "destination.as_name",
                "destination.geolocation.cc", "destination.tor_node") == [
        (64500, None, 36866, "JTL", None, True),
        (64502, True, 33771, "SAFARICOM-LIMITED", "KE", None),
    ]  # fmt: skip


def test_parts_not_loaded_are_neither_looked_up_nor_added(data: Enrichment) -> None:
    frame = pl.DataFrame({"source.ip": ["41.90.4.7"]})
    assert enrich(frame, Enrichment()).columns == ["source.ip"]
    only_tor = enrich(frame, Enrichment(tor_exits=data.tor_exits))
    assert only_tor.columns == ["source.ip", "source.tor_node"]
    only_countries = enrich(frame, Enrichment(countries=data.countries))
    assert only_countries.columns == ["source.ip", "source.geolocation.cc"]
    without_names = enrich(frame, Enrichment(asns=data.asns))
    assert without_names.columns == ["source.ip", "source.asn"]


def test_odd_frames(data: Enrichment) -> None:
    empty = pl.DataFrame(schema={"source.ip": pl.Utf8})
    assert enrich(empty, data).height == 0
    all_null = pl.DataFrame({"source.ip": [None, None]})  # a column of type Null
    out = enrich(all_null, data)
    assert out.get_column("source.asn").to_list() == [None, None]
    garbage = pl.DataFrame({"source.ip": ["not an address", "1.2.3.999", ":::", ""]})
    assert enrich(garbage, data).get_column("source.asn").to_list() == [None] * 4


def test_a_large_frame_keeps_its_order(data: Enrichment) -> None:
    addresses = ["41.80.1.2", "2c0f:fe38::1", "8.8.8.8", "41.90.4.7", None] * 20_000
    out = enrich(pl.DataFrame({"source.ip": addresses}), data)
    assert out.get_column("source.asn").to_list() == [33771, 33771, 15169, 36866, None] * 20_000
    assert out.get_column("source.ip").to_list() == addresses
