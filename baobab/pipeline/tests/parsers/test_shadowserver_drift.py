"""ShadowServer changes its columns every month or two: added, dropped or
reordered optional columns must not change the events; a missing required
column is a clear error; a line that does not fit the header is rejected
alone."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from baobab.pipeline.fields import LINE
from baobab.pipeline.parsers.base import MAX_RAW_CHARS, RAW, ReportError
from baobab.pipeline.tests.parsers._shadowserver import run, sample, value


def table(report: str) -> list[list[str]]:
    """A sample report as rows of fields (the header first)."""
    return list(csv.reader(io.StringIO(sample(report).read_text())))


def render(rows: list[list[str]]) -> bytes:
    """Rows as ShadowServer writes them (every field quoted)."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def events(report: str, rows: list[list[str]]) -> pl.DataFrame:
    frame, rejected, _ = run(render(rows), file_name=f"2024-05-01-{report}-asn.csv")
    assert rejected == []
    body = frame.drop(RAW)
    return body.select(sorted(body.columns))


def without(rows: list[list[str]], *names: str) -> list[list[str]]:
    keep = [i for i, name in enumerate(rows[0]) if name not in names]
    return [[row[i] for i in keep] for row in rows]


@pytest.mark.parametrize("report", ["scan_telnet", "event4_sinkhole_http", "compromised_website"])
def test_reordered_columns_give_the_same_events(report: str) -> None:
    rows = table(report)
    order = list(reversed(range(len(rows[0]))))
    reordered = [[row[i] for i in order] for row in rows]
    assert events(report, reordered).equals(events(report, rows))


@pytest.mark.parametrize("report", ["scan_telnet", "event4_sinkhole_http", "blocklist"])
def test_an_added_column_goes_to_extra_and_changes_nothing_else(report: str) -> None:
    rows = table(report)
    added = [
        [*row[:3], value_, *row[3:]]
        for row, value_ in zip(rows, ["new_field", "a", "b", "c"], strict=True)
    ]
    before, after = events(report, rows), events(report, added)
    assert after["extra.new_field"].to_list() == ["a", "b", "c"]
    assert after.drop("extra.new_field").equals(before)


def test_missing_optional_columns_only_lose_their_fields() -> None:
    rows = table("scan_telnet")
    before = events("scan_telnet", rows)
    after = events("scan_telnet", without(rows, "hostname", "region", "sector", "banner"))
    lost = {
        "source.reverse_dns",
        "source.geolocation.region",
        "extra.source.sector",
        "extra.banner",
    }
    assert set(before.columns) - set(after.columns) == lost
    assert after.equals(before.drop(sorted(lost)))


def test_missing_optional_event_columns_only_lose_their_fields() -> None:
    rows = table("event4_sinkhole_http")
    after = events("event4_sinkhole_http", without(rows, "http_host", "dst_ip", "infection"))
    assert "destination.ip" not in after.columns
    assert "destination.fqdn" not in after.columns
    assert "malware.name" not in after.columns
    assert after["destination.url"].to_list() == [None, None, None]  # no host to build it from
    assert after["source.ip"].to_list() == ["192.0.2.10", "198.51.100.23", "203.0.113.200"]


@pytest.mark.parametrize(
    ("report", "dropped", "message"),
    [
        ("scan_telnet", ("port",), "must have the column(s) port"),
        ("scan_telnet", ("ip", "timestamp"), "must have the column(s) timestamp, ip"),
        ("event4_sinkhole", ("src_ip",), "must have the column(s) src_ip"),
    ],
)
def test_a_missing_required_column_is_a_clear_error(
    report: str, dropped: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ReportError) as raised:
        run(render(without(table(report), *dropped)), file_name=f"2024-05-01-{report}-asn.csv")
    assert message in str(raised.value)
    assert f"The {report} report" in str(raised.value)
    assert "this file's header has: " in str(raised.value)


def test_spaces_around_header_names_do_not_matter() -> None:
    rows = table("scan_telnet")
    rows[0] = [f" {name} " for name in rows[0]]
    frame = events("scan_telnet", rows)
    assert frame["source.ip"].to_list() == ["192.0.2.10", "198.51.100.23", "203.0.113.200"]


def test_a_repeated_column_keeps_both_values() -> None:
    rows = table("scan_telnet")
    doubled = [[*row, row[6]] for row in rows]  # "tag" again
    frame = events("scan_telnet", doubled)
    assert frame["extra.tag"].to_list() == frame["extra.tag_2"].to_list() == ["telnet"] * 3


def test_a_line_that_does_not_fit_the_header_is_rejected_alone() -> None:
    rows = table("scan_telnet")
    data = render(rows).splitlines()
    data.insert(2, data[1] + b',"one too many"')
    data.insert(3, b'"2024-05-01 00:09:00","high","192.0.2.99"')
    data.insert(4, b'"2024-05-01 00:09:00","high","192.0.2.98","tcp",23,"unterminated')
    frame, rejected, _ = run(b"\n".join(data) + b"\n", file_name="2024-05-01-scan_telnet-asn.csv")
    assert frame[LINE].to_list() == [2, 6, 7]
    assert [item.line for item in rejected] == [3, 4, 5]
    assert "fields" in rejected[0].reason
    assert rejected[1].raw.startswith('"2024-05-01 00:09:00"')
    assert value(frame, 2, "source.ip") == "203.0.113.200"


def test_a_required_address_that_is_none_is_rejected_with_the_reason() -> None:
    # IntelMQ's validate_ip drops such a value and keeps the event (routed by
    # its ASN alone, to the wrong team perhaps): Baobab quarantines the row.
    rows = table("scan_telnet")
    at = rows[0].index("ip")
    rows[2][at] = "not-an-address"
    rows[3][at] = "2001:db8::g1"
    frame, rejected, _ = run(render(rows), file_name="2024-05-01-scan_telnet-asn.csv")
    assert [item.line for item in rejected] == [3, 4]
    assert rejected[0].reason == "source.ip: 'not-an-address' is not an IP address"
    assert rejected[0].field == "source.ip"
    assert "not-an-address" in rejected[0].raw
    assert frame[LINE].to_list() == [2, *range(5, len(rows) + 1)]
    # An empty optional column stays what it was: no value, no rejection.
    rows = table("scan_telnet")
    rows[2][rows[0].index("hostname")] = ""
    assert run(render(rows), file_name="2024-05-01-scan_telnet-asn.csv")[1] == []


def test_a_huge_refused_value_is_kept_cut_to_size() -> None:
    rows = table("scan_telnet")
    rows[2][rows[0].index("ip")] = "x" * 70_000
    _frame, rejected, _ = run(render(rows), file_name="2024-05-01-scan_telnet-asn.csv")
    (refused,) = rejected
    assert len(refused.raw) == MAX_RAW_CHARS
    assert len(refused.reason) <= 2000
