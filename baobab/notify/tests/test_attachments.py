"""The events as the recipient gets them: CSV and JSON files, template rows,
the body's table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import polars as pl
import pytest

from baobab.notify.attachments import (
    EVENT_COLUMNS,
    attachment_for,
    csv_attachment,
    event_rows,
    inline_table,
    json_attachment,
)

TWO_HOURS = dt.timedelta(hours=2)


def _events() -> pl.DataFrame:
    """Four events with the fields feeds give, a few hostile values and
    Baobab's own fields, which must not reach a recipient."""
    return pl.DataFrame(
        {
            "baobab.team_id": [1, 1, 1, 1],
            "baobab.dedup_key": ["k1", "k2", "k3", "k4"],
            "raw": ["cmF3", "cmF3", "cmF3", "cmF3"],
            "time.source": [
                "2024-05-01T10:00:00+00:00",
                "2024-05-01T11:30:00+00:00",
                None,
                "2024-05-01T12:00:00+00:00",
            ],
            "classification.type": ["scanner", '=HYPERLINK("http://x")', "phishing", "scanner"],
            "classification.identifier": ["-42", "+1+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1"],
            "source.ip": ["192.0.2.1", "2001:db8::1", "198.51.100.2", "203.0.113.9"],
            "source.port": [-1, 443, None, 8080],
            "source.asn": [64500, 64501, 64502, None],
            "source.fqdn": ["café.example", None, "", "a.example"],
            "extra.severity": ["high", "-", "\r=2", "1e5"],
            "feed.name": ["feed-a", "feed-a", "feed-b", "feed-b"],
        }
    )


def _csv_rows(events: pl.DataFrame) -> list[list[str]]:
    attachment = csv_attachment(events, reference="BAO-2024-000042")
    assert isinstance(attachment.content, bytes)
    return list(csv.reader(io.StringIO(attachment.content.decode("utf-8"))))


def test_csv_has_a_header_and_one_row_per_event_without_internals() -> None:
    attachment = csv_attachment(_events(), reference="BAO-2024-000042")
    assert attachment.filename == "baobab-BAO-2024-000042.csv"
    assert attachment.content_type == "text/csv"
    rows = _csv_rows(_events())
    assert rows[0] == [
        "time.source",
        "classification.type",
        "classification.identifier",
        "source.ip",
        "source.port",
        "source.asn",
        "source.fqdn",
        "extra.severity",
        "feed.name",
    ]
    assert len(rows) == 1 + 4
    assert rows[1][:4] == ["2024-05-01T10:00:00+00:00", "scanner", "-42", "192.0.2.1"]
    assert rows[1][6] == "café.example"  # UTF-8
    assert rows[3][0] == ""  # no time
    assert rows[3][6] == ""  # empty text is no value


def test_csv_neutralises_formulas_and_keeps_numbers() -> None:
    rows = _csv_rows(_events())
    header = rows[0]
    identifier = [row[header.index("classification.identifier")] for row in rows[1:]]
    severity = [row[header.index("extra.severity")] for row in rows[1:]]
    port = [row[header.index("source.port")] for row in rows[1:]]
    kind = [row[header.index("classification.type")] for row in rows[1:]]
    # "-42" is a number written as text: it stays as it is
    assert identifier == ["-42", "'+1+cmd|' /C calc'!A0", "'@SUM(A1)", "'\t=1"]
    assert severity == ["high", "'-", "'\r=2", "1e5"]
    assert kind[1] == '\'=HYPERLINK("http://x")'
    assert port == ["-1", "443", "", "8080"]  # negative numbers stay numbers


def test_csv_and_json_of_moments_and_file_name_of_any_reference() -> None:
    events = pl.DataFrame(
        {
            "time.source": [
                dt.datetime(2024, 5, 1, 12, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
            ],
            "source.ip": ["192.0.2.1"],
        }
    )
    attachment = csv_attachment(events, reference="../BAO 7\r\n")
    assert attachment.filename == "baobab-BAO-7.csv"
    assert attachment.content == b"time.source,source.ip\r\n2024-05-01T10:00:05+00:00,192.0.2.1\r\n"
    data = json.loads(json_attachment(events, reference="x").content)
    assert data == [{"time.source": "2024-05-01T10:00:05+00:00", "source.ip": "192.0.2.1"}]


def test_json_is_a_list_of_objects_without_nulls_in_a_stable_order() -> None:
    attachment = json_attachment(_events(), reference="BAO-2024-000042")
    assert attachment.filename == "baobab-BAO-2024-000042.json"
    assert attachment.content_type == "application/json"
    data = json.loads(attachment.content)
    assert len(data) == 4
    assert data[2] == {
        "classification.type": "phishing",
        "classification.identifier": "@SUM(A1)",
        "source.ip": "198.51.100.2",
        "source.asn": 64502,
        "extra.severity": "\r=2",
        "feed.name": "feed-b",
    }
    assert data[0]["source.port"] == -1
    for record in data:
        assert list(record) == [name for name in EVENT_COLUMNS if name in record]
        assert not any(name == "raw" or name.startswith("baobab.") for name in record)


def test_json_leaves_out_nan_and_writes_an_empty_list() -> None:
    events = pl.DataFrame({"source.ip": ["192.0.2.1"], "extra.severity": [None]}).with_columns(
        pl.lit(float("nan")).alias("source.asn")
    )
    assert json.loads(json_attachment(events, reference="r").content) == [
        {"source.ip": "192.0.2.1"}
    ]
    assert json_attachment(events.head(0), reference="r").content == b"[]\n"


def test_attachment_for_each_format() -> None:
    events = _events()
    csv_file = attachment_for("csv", events, reference="R1")
    json_file = attachment_for("json", events, reference="R1")
    assert csv_file is not None
    assert csv_file.content_type == "text/csv"
    assert json_file is not None
    assert json_file.filename == "baobab-R1.json"
    assert attachment_for("inline", events, reference="R1") is None
    with pytest.raises(ValueError, match="xml"):
        attachment_for("xml", events, reference="R1")


def test_event_rows_have_every_field_with_underscores() -> None:
    rows = event_rows(_events().head(2))
    assert len(rows) == 2
    assert list(rows[0]) == [name.replace(".", "_") for name in EVENT_COLUMNS]
    assert rows[0]["source_ip"] == "192.0.2.1"
    assert rows[0]["source_port"] == -1
    assert rows[0]["source_geolocation_cc"] == ""  # a field the events lack
    assert rows[1]["source_fqdn"] == ""  # an event without the value
    assert "raw" not in rows[0]
    assert not any(key.startswith("baobab") for key in rows[0])


def test_inline_table_is_aligned() -> None:
    table = inline_table(_events())
    lines = table.splitlines()
    assert lines[0].split() == ["time", "(UTC)", "type", "ip", "port", "asn", "host"]
    assert len(lines) == 2 + 4
    assert set(lines[1]) == {"-", " "}
    # every column starts where its rule starts; port and asn are right-aligned
    rule = lines[1]
    starts = [i for i, c in enumerate(rule) if c == "-" and (i == 0 or rule[i - 1] == " ")]
    ends = [
        i for i, c in enumerate(rule) if c == "-" and (i + 1 == len(rule) or rule[i + 1] == " ")
    ]
    assert len(starts) == 6
    row = lines[2]
    assert row[starts[0] :].startswith("2024-05-01 10:00:00")
    assert row[starts[1] :].startswith("scanner ")
    assert row[starts[2] :].startswith("192.0.2.1 ")
    assert row[: ends[3] + 1].endswith(" -1")
    assert row[: ends[4] + 1].endswith(" 64500")
    assert row[starts[5] :] == "café.example"
    assert lines[4][starts[0] : starts[1]].strip() == ""  # no time
    assert lines[4][: ends[3] + 1].endswith("    ")  # no port
    for line in lines[2:]:
        assert line[starts[1] - 2 : starts[1]] == "  "


def test_inline_table_fits_the_width_and_shows_no_hidden_characters() -> None:
    events = pl.DataFrame(
        {
            "source.ip": ["192.0.2.1", "192.0.2.2"],
            "source.fqdn": ["x" * 150 + ".example", "evil\u202egnp.exe\nSubject: forged"],
        }
    )
    lines = inline_table(events, width=60).splitlines()
    assert lines[0].split() == ["ip", "host"]  # columns no event fills are left out
    assert all(len(line) <= 60 for line in lines)
    assert lines[2].endswith("x…")
    assert "\u202e" not in lines[3]
    assert lines[3].endswith("evil\ufffdgnp.exe Subject: forged")
    assert inline_table(events.head(0)) == ""
