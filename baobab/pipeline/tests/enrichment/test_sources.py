"""The readers of the data files, on sample files in their real formats:
good, bad and comment lines, IPv4 and IPv6, gzip'd or not."""

from __future__ import annotations

import gzip
import ipaddress
from pathlib import Path

import pytest

from baobab.pipeline.enrichment.sources import (
    SOURCES,
    read_asnames,
    read_ipasn,
    read_tor_exits,
)

from .conftest import SAMPLES


def ip(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return address.version, int(address)


def test_ipasn_sample_is_read_with_its_bad_lines_counted() -> None:
    reading = read_ipasn(SAMPLES / "ipasn.dat")
    assert reading.entries == 16  # 12 IPv4 and 4 IPv6 routes (one IPv4 route twice)
    assert reading.skipped == 5
    assert reading.problems[0] == (
        "line 24: not an IP prefix and an AS number: 'this is not a route'"
    )
    assert [problem.split(":")[0] for problem in reading.problems] == [
        "line 24",
        "line 25",
        "line 26",
        "line 27",
        "line 28",
    ]
    table = reading.value
    assert len(table) == 15  # the repeated prefix counts once: the first one wins


@pytest.mark.parametrize(
    ("address", "asn"),
    [
        ("41.80.0.0", 33771),
        ("41.83.255.255", 33771),
        ("41.84.0.0", None),
        ("41.90.3.255", 33771),
        ("41.90.4.7", 36866),  # the more specific /22 inside the /16
        ("41.90.8.0", 33771),
        ("203.0.113.127", 64501),
        ("203.0.113.128", 64502),  # the first of the two identical /25 lines
        ("8.8.8.8", 15169),
        ("0.0.0.0", None),  # noqa: S104 (an address, not a binding)
        ("255.255.255.255", None),
        ("2c0f:fe38::1", 33771),
        ("2c0f:fe38:2fff::1", 36866),
        ("2c0f:fe38:3000::", 33771),
        ("2001:db8:1000::7", 64503),
        ("2001:db8:2000::7", 64500),
        ("2001:db9::", None),
        ("::ffff:41.90.4.7", 36866),  # IPv4-mapped: looked up as IPv4
    ],
)
def test_ipasn_longest_prefix_wins(address: str, asn: int | None) -> None:
    assert read_ipasn(SAMPLES / "ipasn.dat").value.asn_for(*ip(address)) == asn


def test_ipasn_route_covering_a_range() -> None:
    table = read_ipasn(SAMPLES / "ipasn.dat").value
    first, last = ip("41.90.4.0")[1], ip("41.90.7.255")[1]
    assert table.asn_covering(4, first, last) == 36866
    assert table.asn_covering(4, first, last + 1) == 33771  # leaves the /22
    assert table.asn_covering(4, ip("41.84.0.0")[1], ip("41.84.0.9")[1]) is None
    v6_first = ip("2c0f:fe38:2000::")[1]
    assert table.asn_covering(6, v6_first, v6_first + (1 << 92)) == 33771


def test_gzipped_and_plain_files_read_the_same(tmp_path: Path) -> None:
    zipped = tmp_path / "ipasn.dat"
    zipped.write_bytes(gzip.compress((SAMPLES / "ipasn.dat").read_bytes()))
    plain, packed = read_ipasn(SAMPLES / "ipasn.dat"), read_ipasn(zipped)
    assert (packed.entries, packed.skipped) == (plain.entries, plain.skipped)
    assert packed.value.asn_for(*ip("41.90.4.7")) == 36866


def test_empty_and_comment_only_files_hold_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("; nothing here\n\n", encoding="utf-8")
    reading = read_ipasn(empty)
    assert (reading.entries, reading.skipped, len(reading.value)) == (0, 0, 0)
    assert reading.value.asn_for(*ip("41.90.4.7")) is None
    assert read_asnames(empty).entries == 0
    assert read_tor_exits(empty).entries == 0


def test_an_html_page_is_no_routing_table(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body>Service unavailable</body></html>\n", encoding="utf-8")
    reading = read_ipasn(page)
    assert (reading.entries, reading.skipped) == (0, 1)


def test_undecodable_bytes_do_not_stop_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "asnames.txt"
    path.write_bytes(b"64500 R\xe9seau \xff Example, FR\n64501 OK-NET, KE\n")
    names = read_asnames(path).value
    assert names[64500] == "R\ufffdseau \ufffd Example"
    assert names[64501] == "OK-NET"


def test_asnames_sample() -> None:
    reading = read_asnames(SAMPLES / "asnames.txt")
    names = reading.value
    assert names[33771] == "SAFARICOM-LIMITED"  # ", KE" is the AS holder's country
    assert names[3333] == ("RIPE-NCC-AS Reseau IP Europeens Network Coordination Centre (RIPE NCC)")
    assert names[64501] == "EXAMPLE-HOSTING"  # no country
    assert names[64503] == "EXAMPLE-V6"  # an "AS" prefix is accepted
    assert reading.entries == 10
    assert reading.skipped == 2
    assert reading.problems[1] == "line 13: not an AS number and a name: '64504'"


def test_tor_bulk_exit_list_sample() -> None:
    reading = read_tor_exits(SAMPLES / "tor-exits.txt")
    assert reading.value == {
        "185.220.101.1",
        "185.220.101.2",
        "41.90.4.7",
        "2001:db8:1000::7",
        "203.0.113.200",
    }
    assert reading.skipped == 1
    assert reading.problems == ("line 7: not an IP address: 'not-an-address'",)


def test_tor_exit_addresses_format() -> None:
    reading = read_tor_exits(SAMPLES / "exit-addresses")
    assert reading.value == {"185.220.101.1", "41.90.4.7"}
    assert reading.skipped == 0


def test_ipv6_exits_are_written_canonically(tmp_path: Path) -> None:
    path = tmp_path / "tor"
    path.write_text("2001:DB8:0:0::0007\n", encoding="utf-8")
    assert read_tor_exits(path).value == {"2001:db8::7"}


def test_sources_and_their_file_names() -> None:
    assert list(SOURCES) == ["ipasn", "asnames", "tor"]
    assert SOURCES["ipasn"].default_url is None  # RouteViews publishes no ipasn file
    assert SOURCES["tor"].candidates()[:3] == (
        "tor-exits.txt",
        "torbulkexitlist",
        "exit-addresses",
    )
    assert "asn.txt.gz" in SOURCES["asnames"].candidates()
