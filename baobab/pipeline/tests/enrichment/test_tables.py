"""The range tables: flattened prefixes agree with the directory's own
routing table, and the bulk IPv4 search agrees with one-at-a-time look-ups."""

from __future__ import annotations

import ipaddress

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.directory.lookup import RoutingTable
from baobab.pipeline.enrichment.tables import (
    AsnTable,
    CountryTable,
    Ipv4Table,
    Segments,
    ipv4_integers,
)


def table_of(routes: list[tuple[str, int]]) -> AsnTable:
    v4: list[tuple[int, int, int]] = []
    v6: list[tuple[int, int, int]] = []
    for prefix, asn in routes:
        network = ipaddress.ip_network(prefix, strict=False)
        row = (int(network.network_address), int(network.broadcast_address), asn)
        (v4 if network.version == 4 else v6).append(row)
    frame = pl.DataFrame(
        v4, schema={"first": pl.Int64, "last": pl.Int64, "asn": pl.Int64}, orient="row"
    )
    return AsnTable(frame, v6)


def test_ipv4_integers_accepts_dotted_quads_only() -> None:
    texts = pl.Series(
        "source.ip",
        ["0.0.0.0",  # noqa: S104 (an address, not a binding)
         "255.255.255.255", "41.90.4.7", "256.1.1.1", "1.2.3", "1.2.3.4.5",
         " 1.2.3.4", "2001:db8::1", "1.2.3.+4", None, ""],
    )  # fmt: skip
    assert ipv4_integers(texts).to_list() == [
        0, 4294967295, 0x295A0407, None, None, None, None, None, None, None, None,
    ]  # fmt: skip
    assert ipv4_integers(texts).name == "source.ip"


def test_segments_start_at_zero() -> None:
    segments = Segments([10, 20], ["a", None])
    assert list(segments.starts) == [0, 10, 20]
    assert [segments.find(value) for value in (0, 9, 10, 19, 20, 10**9)] == [
        None, None, "a", "a", None, None,
    ]  # fmt: skip


def test_an_empty_table_finds_nothing() -> None:
    table = table_of([])
    assert table.asn_for(4, 1) is None
    assert table.asn_for(6, 1) is None
    assert table.asn_covering(4, 0, 10) is None
    starts, asns = table.ipv4_columns()
    assert (starts.to_list(), asns.to_list()) == ([0], [None])


_V4 = st.builds(lambda a, b: (10 << 24) | (a << 16) | b, st.integers(0, 3), st.integers(0, 65535))
_V6 = st.builds(
    lambda a, b: (0x20010DB8 << 96) | (a << 80) | b, st.integers(0, 3), st.integers(0, 2**16)
)


@st.composite
def routes(draw: st.DrawFn, version: int) -> list[tuple[str, int]]:
    values, lengths = (_V4, st.integers(8, 32)) if version == 4 else (_V6, st.integers(32, 128))
    items = draw(st.lists(st.tuples(values, lengths, st.integers(1, 9)), max_size=25))
    return [
        (str(ipaddress.ip_network((value, length), strict=False)), asn)
        for value, length, asn in items
    ]


@settings(max_examples=150, deadline=None)
@given(
    v4=routes(4),
    v6=routes(6),
    v4_addresses=st.lists(_V4, min_size=1, max_size=20),
    v6_addresses=st.lists(_V6, min_size=1, max_size=20),
    lengths=st.lists(st.integers(0, 16), min_size=1, max_size=5),
)
def test_agrees_with_the_directory_routing_table(
    v4: list[tuple[str, int]],
    v6: list[tuple[str, int]],
    v4_addresses: list[int],
    v6_addresses: list[int],
    lengths: list[int],
) -> None:
    ours, reference = table_of(v4 + v6), RoutingTable(v4 + v6)
    for version, addresses in ((4, v4_addresses), (6, v6_addresses)):
        for value in addresses:
            assert ours.asn_for(version, value) == reference.asn_for(version, value)
            for host_bits in lengths:
                first = value >> host_bits << host_bits
                last = first | ((1 << host_bits) - 1)
                assert ours.asn_covering(version, first, last) == reference.asn_covering(
                    version, first, last
                )
    # The bulk IPv4 search gives what one-at-a-time look-ups give.
    asn, cc = Ipv4Table(ours, None).search(pl.Series([*v4_addresses, None], dtype=pl.Int64))
    assert cc is None
    assert asn is not None
    assert asn.to_list() == [reference.asn_for(4, value) for value in v4_addresses] + [None]


def test_merged_table_searches_asn_and_country_together() -> None:
    asns = table_of([("41.80.0.0/14", 33771), ("41.90.4.0/22", 36866)])
    countries = CountryTable(
        Segments([int(ipaddress.ip_address("41.80.0.0")), int(ipaddress.ip_address("41.83.0.0")),
                  int(ipaddress.ip_address("41.84.0.0")), int(ipaddress.ip_address("41.85.0.0"))],
                 ["KE", "GH", None, None]),
        Segments([0], [None]),
    )  # fmt: skip
    table = Ipv4Table(asns, countries)
    addresses = ["41.79.255.255", "41.80.0.0", "41.82.9.9", "41.83.0.1", "41.90.4.7", "8.8.8.8"]
    asn, cc = table.search(ipv4_integers(pl.Series(addresses)))
    assert asn is not None
    assert cc is not None
    assert asn.to_list() == [None, 33771, 33771, 33771, 36866, None]
    assert cc.to_list() == [None, "KE", "KE", "GH", None, None]
    # Neighbouring segments with the same values are merged (41.84.0.0 and 41.85.0.0).
    assert len(table) == 6
    assert Ipv4Table(None, countries).search(pl.Series([1], dtype=pl.Int64))[0] is None
