"""Property-based tests: no input crashes the ShadowServer parser. Arbitrary
bytes, truncated lines, text in the wrong encoding and huge fields either
become events or are rejected with their reason, and every line is
accounted for."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baobab.pipeline.fields import LINE
from baobab.pipeline.parsers.base import RAW, ReportError, Setup, UnknownReportError
from baobab.pipeline.parsers.shadowserver import ShadowServerParser
from baobab.pipeline.tests.parsers._shadowserver import lines_of, sample

REPORTS = [
    "scan_telnet",
    "event4_sinkhole_http",
    "blocklist",
    "compromised_website",
    "scan_exchange",
]
PARSER = ShadowServerParser()


def _report_lines(report: str) -> tuple[Setup, list[bytes]]:
    path = sample(report)
    lines = lines_of(path.read_bytes())
    setup = PARSER.setup(lines[:1], file_name=path.name, report="", options={})
    return Setup.from_json(setup.as_json()), lines[1:]


SETUPS = {report: _report_lines(report) for report in REPORTS}


@st.composite
def damaged_line(draw: st.DrawFn, good: list[bytes]) -> bytes:
    """A line as a broken feed might send it."""
    line = draw(st.sampled_from(good))
    kind = draw(
        st.sampled_from(
            ["good", "truncated", "bytes", "latin-1", "utf-16", "huge", "quotes", "mixed"]
        )
    )
    if kind == "truncated":
        line = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
    elif kind == "bytes":
        line = draw(st.binary(max_size=300))
    elif kind == "latin-1":
        line = line.decode().replace("ZA", "Côte d’Ivoire é").encode("latin-1", "replace")
    elif kind == "utf-16":
        line = line.decode().encode("utf-16")
    elif kind == "huge":
        fields = line.split(b",")
        index = draw(st.integers(0, len(fields) - 1))
        fields[index] = b'"' + b"A" * draw(st.integers(10_000, 300_000)) + b'"'
        line = b",".join(fields)
    elif kind == "quotes":
        position = draw(st.integers(0, len(line)))
        line = (
            line[:position]
            + draw(st.sampled_from([b'"', b'""', b'"\r', b"\x00"]))
            + line[position:]
        )
    elif kind == "mixed":
        line = line + draw(st.binary(max_size=40))
    return line.replace(b"\n", b" ")  # the runner splits lines: none holds a line feed


def _blank(line: bytes) -> bool:
    """A line read_delimited skips (text with nothing in it)."""
    try:
        return not line.decode("utf-8").rstrip("\r").strip()
    except UnicodeDecodeError:
        return False


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), report=st.sampled_from(REPORTS), first_line=st.integers(2, 10_000))
def test_parse_never_raises_and_accounts_for_every_line(
    data: st.DataObject, report: str, first_line: int
) -> None:
    setup, good = SETUPS[report]
    lines = data.draw(st.lists(damaged_line(good), max_size=12))
    parsed = PARSER.parse(lines, first_line, setup)
    frame, rejected = parsed.frame, parsed.rejected
    numbers = range(first_line, first_line + len(lines))
    expected = [number for number, line in zip(numbers, lines, strict=True) if not _blank(line)]
    assert sorted([*frame[LINE].to_list(), *(item.line for item in rejected)]) == expected
    for item in rejected:
        assert item.reason
        assert len(item.raw) <= 65_536
    for name, dtype in frame.schema.items():
        assert dtype == (pl.Int64 if name == LINE else pl.Utf8), name
    if frame.height:
        assert frame[RAW].null_count() == 0
        assert frame["classification.taxonomy"].null_count() == 0


@settings(max_examples=100, deadline=None)
@given(
    head=st.lists(st.binary(max_size=200), max_size=4),
    file_name=st.text(max_size=60),
    report=st.sampled_from(["", "scan_telnet", "blocklist", "nope"]),
)
def test_setup_of_any_head_gives_a_setup_or_a_clear_error(
    head: list[bytes], file_name: str, report: str
) -> None:
    outcome: Setup | ValueError
    try:
        outcome = PARSER.setup(head, file_name=file_name, report=report, options={})
    except (ReportError, UnknownReportError) as error:
        outcome = error
    if isinstance(outcome, Setup):
        assert outcome.report
        assert outcome.skip_lines >= 1
        assert len(set(outcome.columns)) == len(outcome.columns)
    else:
        assert str(outcome)


@settings(max_examples=60, deadline=None)
@given(
    header=st.lists(
        st.text(
            alphabet=st.characters(exclude_categories=["Cs"], exclude_characters='\n"'),
            max_size=12,
        ),
        max_size=20,
    ),
    rows=st.lists(st.binary(max_size=120), max_size=6),
)
def test_any_header_with_the_required_columns_parses(header: list[str], rows: list[bytes]) -> None:
    names = ["timestamp", "ip", "port", *header]
    head = ",".join(f'"{name}"' for name in names).encode()
    setup = PARSER.setup([head], file_name="2024-05-01-scan_telnet-asn.csv", report="", options={})
    lines = [row.replace(b"\n", b" ") for row in rows]
    parsed = PARSER.parse(lines, 2, setup)
    assert parsed.frame.height + len(parsed.rejected) == sum(not _blank(line) for line in lines)
