"""CSV feeds whose columns are named in a header (or a commented header line)
in the report's head: header discovery and the shared parser for them.

Header names are matched in a normal form (lower case, words joined by
``_``), so the older and newer layouts of a feed read alike.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import polars as pl

from baobab.pipeline.parsers._chunks import finish, guarded, null_words, original_texts
from baobab.pipeline.parsers.base import (
    LINE_COLUMN,
    RAW,
    Parsed,
    Parser,
    ReportError,
    Setup,
)
from baobab.pipeline.parsers.tabular import ColumnMapping, apply_mapping, read_delimited


def unique_names(names: Sequence[str]) -> tuple[str, ...]:
    """Column names made usable: empty ones named by position, repeated ones numbered."""
    seen: dict[str, int] = {}
    result: list[str] = []
    for position, name in enumerate(names, start=1):
        base = name or f"column_{position}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        result.append(base if count == 1 else f"{base}_{count}")
    return tuple(result)


def split_row(text: str, delimiter: str = ",") -> list[str]:
    """One delimited line's fields (quotes honoured, spaces after a delimiter skipped)."""
    try:
        return next(csv.reader([text], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error:
        return text.split(delimiter)


def column_key(name: str) -> str:
    """A header name as this module matches it: lower case, words joined by ``_``
    ("Dateadded (UTC)" → ``dateadded_utc``, ``"DstIP"`` → ``dstip``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().strip('"').lower()).strip("_")


def column_keys(expr: pl.Expr) -> pl.Expr:
    """:func:`column_key` over a whole column."""
    return (
        expr.str.strip_chars()
        .str.strip_chars('"')
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", "_")
        .str.strip_chars("_")
    )


_HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_ ()/-]*$")


def _header_like(fields: Sequence[str]) -> bool:
    """Whether fields read like column names rather than values."""
    names = [field.strip().strip('"').strip() for field in fields]
    return len(names) >= 2 and all(_HEADER_NAME.match(name) for name in names)


def find_header(
    head: Sequence[bytes], known: frozenset[str]
) -> tuple[tuple[str, ...] | None, int, int]:
    """The column names a CSV export declares, the number of lines before its
    first record, and the field count of that record (0 when the head holds none).

    The names come from a header line naming at least two known columns or,
    failing that, from a commented line that does, or from the commented line
    just before the first record when it reads like column names.
    """
    commented: tuple[str, ...] | None = None
    last_comment: tuple[str, ...] | None = None
    for index, line in enumerate(head):
        text = line.decode("utf-8-sig", "replace").strip()
        if not text:
            continue
        if text.startswith("#"):
            fields = split_row(text.lstrip("#").strip())
            names = tuple(column_key(name) for name in fields)
            if len(known.intersection(names)) >= 2:
                commented = names
            last_comment = names if _header_like(fields) else None
            continue
        names = tuple(column_key(name) for name in split_row(text))
        if len(known.intersection(names)) >= 2:
            return names, index + 1, 0
        return commented or last_comment, index, len(names)
    return commented, 0, 0


class CsvFeedParser(Parser):
    """A CSV feed whose columns are named in a header (or a commented header
    line) in its head: header discovery, reading, mapping. Subclasses give the
    mapping, the known layouts and the fields the header must give."""

    mapping: ClassVar[ColumnMapping]
    # The column layouts without a header, by their field count; the first is the current one.
    layouts: ClassVar[tuple[tuple[str, ...], ...]]
    # Fields the header must give (each: at least one column mapped to it).
    required_fields: ClassVar[frozenset[str]]
    # True where fields are written `"a", "b"` (a space after each comma).
    spaced: ClassVar[bool] = False
    # Values that mean "no value" in this feed.
    null_values: ClassVar[tuple[str, ...]] = ("",)

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Find the header; a report without the columns this feed needs is refused."""
        names, skip, width = find_header(head, frozenset(self.mapping.columns))
        if names is None:
            names = next((n for n in self.layouts if len(n) == width), self.layouts[0])
        names = unique_names(names)
        given = {self.mapping.columns.get(name) for name in names}
        missing = sorted(self.required_fields - given)
        if missing:
            raise ReportError(
                f"this is not a {self.description} report: its columns "
                f"({', '.join(names)}) give no {', '.join(missing)}"
            )
        return Setup(report=report, skip_lines=skip, columns=names, options=options)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The chunk's records as events; unreadable lines are rejected."""
        columns = setup.columns or self.layouts[0]
        source = [line.replace(b'", "', b'","') for line in lines] if self.spaced else lines
        frame, rejected = read_delimited(
            source, first_line, columns, delimiter=",", comment_prefix="#"
        )
        if self.spaced and frame.height:
            frame = frame.with_columns(
                original_texts(lines).gather(frame[LINE_COLUMN] - first_line).alias(RAW)
            )
        # A header line met again (the head was too short to see it, files joined…).
        first = columns[0]
        frame = frame.filter(column_keys(pl.col(first)).ne_missing(first))
        frame = frame.with_columns(null_words(name, self.null_values) for name in columns)
        events = self.refine(apply_mapping(frame, self.mapping))
        return Parsed(finish(events, self.mapping.constants), rejected)

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Feed-specific touches on the mapped frame (times, names, derived fields)."""
        return frame


def with_present(frame: pl.DataFrame, *exprs: pl.Expr) -> pl.DataFrame:
    """``exprs`` applied to the columns they name that the frame has."""
    present = [expr for expr in exprs if expr.meta.output_name() in frame.columns]
    return frame.with_columns(present) if present else frame
