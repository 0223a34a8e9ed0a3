"""The generated ShadowServer reports the benchmarks, the tests and the demo
use: in ShadowServer's format, reproducible, and holding what they say."""

from __future__ import annotations

import csv
import ipaddress
from pathlib import Path

import pytest

from baobab.pipeline.synthetic import REPORTS, Network, ReportGenerator, report_file_name


@pytest.mark.parametrize("report", REPORTS)
def test_a_report_has_shadowservers_columns_and_what_its_stats_say(
    report: str, tmp_path: Path
) -> None:
    path = tmp_path / report_file_name(report, ReportGenerator(report).day)
    inside = [Network("192.0.2.0/27", asn=64_500, cc="KE"), Network("2001:db8:100::/40")]
    generator = ReportGenerator(
        report, inside=inside, malformed_share=0.02, duplicate_share=0.02, ipv6_share=0.1
    )
    stats = generator.write(path, 2_000)

    lines = path.read_bytes().split(b"\n")[:-1]
    header = next(csv.reader([lines[0].decode()]))
    assert tuple(header) == generator.columns
    assert len(lines) == 1 + stats.rows == 2_001
    malformed = set(stats.malformed_lines)
    assert len(malformed) == stats.malformed > 0
    seen: set[bytes] = set()
    repeats = 0
    for number, line in enumerate(lines[1:], start=2):
        if number in malformed:
            continue
        row = next(csv.reader([line.decode()]))
        assert len(row) == len(header)
        address = row[generator.columns.index("src_ip" if "src_ip" in header else "ip")]
        ipaddress.ip_address(address)
        repeats += line in seen
        seen.add(line)
    assert repeats == stats.duplicates > 0
    assert stats.unique == len(seen)
    assert 0 < stats.ipv6 < stats.good
    assert stats.inside > stats.good // 2


def test_the_same_seed_gives_the_same_report(tmp_path: Path) -> None:
    first = ReportGenerator("event4_sinkhole", seed=7).write(tmp_path / "a.csv", 500)
    second = ReportGenerator("event4_sinkhole", seed=7).write(tmp_path / "b.csv", 500)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert first == second
    ReportGenerator("event4_sinkhole", seed=8).write(tmp_path / "c.csv", 500)
    assert (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()


def test_addresses_of_a_network_repeat_only_once_it_is_used_up(tmp_path: Path) -> None:
    generator = ReportGenerator(
        "scan_telnet",
        inside=[Network("198.51.100.0/28")],
        inside_share=1.0,
        ipv6_share=0.0,
        malformed_share=0.0,
        duplicate_share=0.0,
    )
    generator.write(tmp_path / "r.csv", 28)
    rows = list(csv.reader((tmp_path / "r.csv").read_text().splitlines()[1:]))
    addresses = [row[2] for row in rows]
    # 14 usable addresses (no network or broadcast address), each twice.
    assert len(set(addresses[:14])) == 14
    assert sorted(addresses[14:]) == sorted(addresses[:14])
    network = ipaddress.ip_network("198.51.100.0/28")
    assert all(ipaddress.ip_address(address) in network for address in addresses)
    assert not {"198.51.100.0", "198.51.100.15"} & set(addresses)
