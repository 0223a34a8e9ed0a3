"""Running the ShadowServer parser over a sample the way the runner does
(head → setup → stored setup → chunks), for the ShadowServer tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from baobab.pipeline.parsers.base import Rejected, Setup
from baobab.pipeline.parsers.shadowserver import ShadowServerParser

SAMPLES = Path(__file__).parent / "samples" / "shadowserver"


def lines_of(data: bytes) -> list[bytes]:
    """A report's lines without their line ends."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def run(
    data: bytes,
    *,
    file_name: str = "",
    report: str = "",
    options: Mapping[str, Any] | None = None,
    chunk_lines: int = 2,
) -> tuple[pl.DataFrame, list[Rejected], Setup]:
    """Every event and rejected record of ``data``, parsed in small chunks from
    the setup as a run stores it (JSON), as a worker would."""
    parser = ShadowServerParser()
    lines = lines_of(data)
    setup = parser.setup(
        lines[:16], file_name=file_name, report=report, options=dict(options or {})
    )
    setup = Setup.from_json(setup.as_json())
    body = lines[setup.skip_lines :]
    first = setup.skip_lines + 1
    results = [
        parser.parse(body[start : start + chunk_lines], first + start, setup)
        for start in range(0, len(body), chunk_lines)
    ]
    frames = [result.frame for result in results if result.frame.height]
    frame = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    return frame, [item for result in results for item in result.rejected], setup


def run_file(path: Path, **kwargs: Any) -> tuple[pl.DataFrame, list[Rejected], Setup]:
    """:func:`run` over a sample file, its name giving the report type."""
    return run(path.read_bytes(), file_name=path.name, **kwargs)


def sample(report: str) -> Path:
    """The built-in sample file of a report type."""
    return next(SAMPLES.glob(f"2024-05-01-{report}-*.csv"))


def value(frame: pl.DataFrame, row: int, field: str) -> Any:
    """A field's value in a row (None when the field is absent or null)."""
    return frame[field][row] if field in frame.columns else None
