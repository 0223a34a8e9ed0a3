"""Normalisation, table-driven: each kind of value, good and bad spellings."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.pipeline.normalise import normalise


def _one(field: str, value: Any) -> tuple[dict[str, Any] | None, str | None]:
    frame = pl.DataFrame(
        {"baobab.line": [7], "raw": ["the raw line"], "source.ip": ["192.0.2.1"], field: [value]}
    )
    good, rejected = normalise(frame)
    if rejected:
        assert good.height == 0
        assert rejected[0].line == 7
        assert rejected[0].raw == "the raw line"
        return None, rejected[0].reason
    return good.row(0, named=True), None


GOOD = [
    ("source.ip", " 198.51.100.7 ", "198.51.100.7"),
    ("source.ip", "2001:DB8:0:0::1", "2001:db8::1"),
    ("destination.ip", "[2001:db8::2]", "2001:db8::2"),
    ("source.port", "23", 23),
    ("source.port", "443.0", 443),
    ("source.asn", "AS64496", 64496),
    ("source.asn", "asn 64497", 64497),
    ("source.asn", "64498", 64498),
    ("time.source", "2024-05-01 00:01:02", "2024-05-01T00:01:02+00:00"),
    ("time.source", "2024-05-01T00:01:02Z", "2024-05-01T00:01:02+00:00"),
    ("time.source", "2024-05-01T02:01:02+02:00", "2024-05-01T00:01:02+00:00"),
    ("time.source", "2024-05-01T00:01:02.123456Z", "2024-05-01T00:01:02+00:00"),
    ("time.source", "1714521662", "2024-05-01T00:01:02+00:00"),
    ("time.source", "Wed, 01 May 2024 00:01:02 +0000", "2024-05-01T00:01:02+00:00"),
    ("source.geolocation.cc", "ke", "KE"),
    ("source.fqdn", "Mail.Example.COM.", "mail.example.com"),
    ("source.fqdn", "bücher.example", "xn--bcher-kva.example"),
    ("source.url", "http://198.51.100.7/x?a=b", "http://198.51.100.7/x?a=b"),
    ("source.url", "example.com/login.php", "http://example.com/login.php"),
    ("classification.type", "Scanner", "scanner"),
    ("source.tor_node", "yes", True),
    ("extra.tag", "a\x00b\x07c", "abc"),
]


@pytest.mark.parametrize(("field", "given", "expected"), GOOD)
def test_good_values_come_out_canonical(field: str, given: str, expected: Any) -> None:
    row, reason = _one(field, given)
    assert reason is None
    assert row is not None
    assert row[field] == expected


BAD = [
    ("source.ip", "300.1.2.3", "is not an IP address"),
    ("source.ip", "010.1.2.3", "is not an IP address"),
    ("source.port", "70000", "is not a port number"),
    ("source.port", "ssh", "is not a port number"),
    ("source.asn", "AS-64496x", "is not an AS number"),
    ("time.source", "yesterday", "is not a date and time"),
    ("time.source", "1899-01-01 00:00:00", "is not a date and time"),
    ("source.geolocation.cc", "KEN", "is not a country code"),
    ("source.fqdn", "bad host.example", "is not a host name"),
    ("source.url", "http:// spaced.example/", "is not a URL"),
    ("classification.type", "nonsense", "is not an RSIT type"),
    ("classification.taxonomy", "bogus", "is not an RSIT taxonomy"),
    ("source.tor_node", "maybe", "is not true or false"),
    ("protocol.transport", "x" * 30, "longer than 20"),
]


@pytest.mark.parametrize(("field", "given", "reason"), BAD)
def test_bad_values_reject_the_row_with_the_field_and_reason(
    field: str, given: str, reason: str
) -> None:
    row, found = _one(field, given)
    assert row is None
    assert found is not None
    assert found.startswith(f"{field}:")
    assert reason in found


def test_taxonomy_comes_from_the_type_and_must_agree() -> None:
    frame = pl.DataFrame(
        {
            "baobab.line": [1, 2],
            "raw": ["a", "b"],
            "source.ip": ["192.0.2.1", "192.0.2.2"],
            "classification.type": ["infected-system", "infected-system"],
            "classification.taxonomy": [None, "fraud"],
        }
    )
    good, rejected = normalise(frame)
    assert good["classification.taxonomy"].to_list() == ["malicious-code"]
    assert [r.line for r in rejected] == [2]
    assert "does not match" in rejected[0].reason


def test_an_event_needs_a_source_to_identify() -> None:
    frame = pl.DataFrame({"baobab.line": [1], "raw": ["x"], "malware.name": ["mirai"]})
    good, rejected = normalise(frame)
    assert good.height == 0
    assert "no source" in rejected[0].reason


def test_unknown_fields_go_under_extra() -> None:
    frame = pl.DataFrame(
        {"baobab.line": [1], "raw": ["x"], "source.ip": ["192.0.2.1"], "naics": ["517311"]}
    )
    good, _rejected = normalise(frame)
    assert good["extra.naics"].to_list() == ["517311"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "source.ip",
                    "source.port",
                    "source.asn",
                    "time.source",
                    "source.fqdn",
                    "source.url",
                    "source.geolocation.cc",
                    "classification.type",
                    "extra.anything",
                ]
            ),
            st.text(max_size=40),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_no_value_makes_normalise_raise(pairs: list[tuple[str, str]]) -> None:
    data: dict[str, list[Any]] = {"baobab.line": [1], "raw": ["r"]}
    for name, value in pairs:
        data[name] = [value]
    good, rejected = normalise(pl.DataFrame(data))
    assert good.height + len(rejected) == 1
