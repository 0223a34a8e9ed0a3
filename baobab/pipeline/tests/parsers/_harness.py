"""Run a parser over a whole report as the runner does (head → setup, then
chunks), for the parser tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from baobab.pipeline.parsers import get_parser
from baobab.pipeline.parsers.base import Parsed, Rejected, Setup

SAMPLES = Path(__file__).parent / "samples"
HEAD_LINES = 64


def sample(path: str) -> bytes:
    """A sample report's bytes (``path`` under ``samples/``)."""
    return (SAMPLES / path).read_bytes()


def run(
    parser_name: str,
    data: bytes,
    *,
    file_name: str = "",
    report: str = "",
    options: Mapping[str, Any] | None = None,
    chunk_lines: int = 3,
) -> tuple[pl.DataFrame, list[Rejected], Setup]:
    """Every event and rejected record of ``data`` (lines numbered from 1),
    read in small chunks so that chunk edges are exercised."""
    parser = get_parser(parser_name)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    setup = parser.setup(
        lines[:HEAD_LINES], file_name=file_name, report=report, options=dict(options or {})
    )
    setup = Setup.from_json(setup.as_json())  # what the run stores is all a worker gets
    body = lines[setup.skip_lines :]
    first = setup.skip_lines + 1
    step = len(body) or 1 if not parser.line_based else chunk_lines
    results: list[Parsed] = [
        parser.parse(body[start : start + step], first + start, setup)
        for start in range(0, len(body), step)
    ]
    frames = [result.frame for result in results if result.frame.height]
    frame = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    rejected = [item for result in results for item in result.rejected]
    return frame, rejected, setup


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The events as dicts without their null fields."""
    return [
        {key: value for key, value in row.items() if value is not None} for row in frame.to_dicts()
    ]


def event_at(frame: pl.DataFrame, line: int) -> dict[str, Any]:
    """The event read from ``line`` (its null fields left out)."""
    found = [row for row in rows(frame) if row["baobab.line"] == line]
    assert len(found) == 1, f"expected one event from line {line}, found {len(found)}"
    return found[0]


def check_frame(frame: pl.DataFrame) -> None:
    """What every parsed frame promises: a line number, the raw text, text fields."""
    assert frame.schema["baobab.line"] == pl.Int64
    for name, dtype in frame.schema.items():
        if name != "baobab.line":
            assert dtype == pl.Utf8, f"{name} is {dtype}, not text"
    assert frame["raw"].null_count() == 0
