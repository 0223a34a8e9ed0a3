"""Cutting a report into chunks at line boundaries, and reading a chunk back.
Memory stays bounded by the chunk size, whatever the report's size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEAD_LINES = 50  # what a parser sees of a report to set itself up


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    """A byte range of a report and the number of its first line."""

    start: int
    end: int
    first_line: int


def read_head(path: Path, lines: int = HEAD_LINES, max_bytes: int = 1 << 20) -> list[bytes]:
    """The report's first ``lines`` lines (without line ends), at most ``max_bytes``."""
    head: list[bytes] = []
    with path.open("rb") as report:
        data = report.read(max_bytes)
    for line in data.split(b"\n")[:lines]:
        head.append(line.rstrip(b"\r"))
    return head


def split(path: Path, *, skip_lines: int, chunk_bytes: int, whole: bool = False) -> list[ChunkSpan]:
    """The report's chunks after its first ``skip_lines`` lines; ``whole``: one chunk."""
    spans: list[ChunkSpan] = []
    with path.open("rb") as report:
        offset, line = 0, 1
        for _ in range(skip_lines):
            skipped = report.readline()
            if not skipped:
                break
            offset += len(skipped)
            line += 1
        size = path.stat().st_size
        if whole:
            return [ChunkSpan(offset, size, line)] if size > offset else []
        while offset < size:
            report.seek(offset)
            data = report.read(chunk_bytes)
            if not data:
                break
            if len(data) == chunk_bytes and not data.endswith(b"\n"):
                data += report.readline()
            spans.append(ChunkSpan(offset, offset + len(data), line))
            line += data.count(b"\n")
            offset += len(data)
    return spans


def read_lines(path: Path, span: ChunkSpan) -> list[bytes]:
    """The chunk's lines, without their line ends."""
    with path.open("rb") as report:
        report.seek(span.start)
        data = report.read(span.end - span.start)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def iter_chunks(path: Path, spans: list[ChunkSpan]) -> Iterator[tuple[ChunkSpan, list[bytes]]]:
    """Each span with its lines, one at a time."""
    for span in spans:
        yield span, read_lines(path, span)
