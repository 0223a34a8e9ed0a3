"""Reading delimited text (CSV and the like) into frames, and mapping a
feed's columns onto event fields. The mapping is data (:class:`ColumnMapping`);
the same two functions serve every CSV-shaped feed.

Columns are matched by their header names, so added, missing (optional) or
reordered columns do not break a parser. Lines that cannot be read (bad
UTF-8, wrong number of fields, broken quoting) are rejected one by one with
their reason; the rest of the chunk goes on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from baobab.pipeline.fields import EXTRA_PREFIX
from baobab.pipeline.parsers.base import LINE_COLUMN, RAW, Rejected, raw_text


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How a feed's columns become event fields.

    ``columns`` maps a column name to a field name (an empty field name drops
    the column); ``required`` names columns the header must have; ``constants``
    are fields every event of the report gets (a classification, say) unless
    a column already gave them; unmapped columns go to ``extra.<column>``
    unless ``keep_unmapped`` is false.
    """

    columns: Mapping[str, str]
    required: frozenset[str] = frozenset()
    constants: Mapping[str, Any] = field(default_factory=dict)
    keep_unmapped: bool = True

    def missing_required(self, header: Sequence[str]) -> list[str]:
        present = set(header)
        return sorted(name for name in self.required if name not in present)


def header_columns(line: bytes, delimiter: str = ",") -> tuple[str, ...]:
    """The column names of a header line (BOM, quotes and spaces removed)."""
    text = line.decode("utf-8-sig", "replace").strip()
    try:
        row = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # a stray carriage return or the like: split plainly
        row = text.replace("\r", "").split(delimiter)
    return tuple(name.strip().strip('"') for name in row)


def _decode(lines: Sequence[bytes], first_line: int) -> tuple[list[int], list[str], list[Rejected]]:
    """The lines as text with their numbers; lines that are not UTF-8 are rejected."""
    try:
        text = b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        return _decode_each(lines, first_line)
    texts = text.split("\n")
    if len(texts) != len(lines):  # an empty chunk splits into [""]
        return _decode_each(lines, first_line)
    if "\r" in text:
        texts = [line.rstrip("\r") for line in texts]
    return list(range(first_line, first_line + len(lines))), texts, []


def _decode_each(
    lines: Sequence[bytes], first_line: int
) -> tuple[list[int], list[str], list[Rejected]]:
    """Line by line, when the chunk holds bytes that are not UTF-8."""
    numbers: list[int] = []
    texts: list[str] = []
    rejected: list[Rejected] = []
    for offset, line in enumerate(lines):
        number = first_line + offset
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            rejected.append(
                Rejected(number, raw_text(line), f"not UTF-8 text (byte {error.start})")
            )
            continue
        numbers.append(number)
        texts.append(text.rstrip("\r"))
    return numbers, texts, rejected


def read_delimited(
    lines: Sequence[bytes],
    first_line: int,
    columns: Sequence[str],
    *,
    delimiter: str = ",",
    comment_prefix: str | None = None,
) -> tuple[pl.DataFrame, list[Rejected]]:
    """Read ``lines`` (no header) into a frame with one Utf8 column per name in
    ``columns``, plus ``raw`` and ``baobab.line``.

    The fast path hands the whole chunk to polars; when a line breaks it
    (quotes, field counts) the chunk is read again line by line so that only
    the bad lines are rejected.
    """
    numbers, texts, rejected = _decode(lines, first_line)
    keep = [
        i
        for i, text in enumerate(texts)
        if text.strip() and not (comment_prefix and text.lstrip().startswith(comment_prefix))
    ]
    if len(keep) != len(texts):
        numbers = [numbers[i] for i in keep]
        texts = [texts[i] for i in keep]
    width = len(columns)
    if not texts:
        return _frame({name: [] for name in columns}, [], []), rejected
    read = _fast_read(texts, columns, delimiter) if width else None
    if read is None:
        return _slow_read(numbers, texts, columns, delimiter, rejected)
    frame, bad = read
    frame = frame.with_columns(
        pl.Series(LINE_COLUMN, numbers, dtype=pl.Int64), pl.Series(RAW, texts, dtype=pl.Utf8)
    )
    if not bad:
        return frame, rejected
    # Only the lines that broke the layout are read again, one by one.
    frame = frame.filter(~pl.int_range(pl.len()).is_in(bad))
    again, rejected = _slow_read(
        [numbers[i] for i in bad], [texts[i] for i in bad], columns, delimiter, rejected
    )
    return pl.concat([frame, again.select(frame.columns)]).sort(LINE_COLUMN), rejected


_END = "\x01"  # a sentinel field after each line: it lands elsewhere when fields are missing


def _fast_read(
    texts: list[str], columns: Sequence[str], delimiter: str
) -> tuple[pl.DataFrame, list[int]] | None:
    """The chunk read by polars in one call, with the positions of the lines
    whose fields do not fit the header (too many or too few); None when
    polars cannot read the chunk at all (a quote left open across lines)."""
    ending = f"{delimiter}{_END}"
    data = (ending + "\n").join(texts) + ending
    names = [*columns, "__end"]
    try:
        frame = pl.read_csv(
            io.BytesIO(data.encode()),
            has_header=False,
            new_columns=names,
            schema_overrides=dict.fromkeys(names, pl.Utf8),
            infer_schema=False,
            separator=delimiter,
            quote_char='"',
            empty_string_is_null=False,
            truncate_ragged_lines=True,
        )
    except Exception:  # any polars error sends the chunk to the careful path
        return None
    if frame.height != len(texts) or frame.width != len(names):
        return None
    bad = (frame["__end"] != _END).fill_null(True).arg_true().to_list()
    return frame.drop("__end"), bad


def _slow_read(
    numbers: list[int],
    texts: list[str],
    columns: Sequence[str],
    delimiter: str,
    rejected: list[Rejected],
) -> tuple[pl.DataFrame, list[Rejected]]:
    width = len(columns)
    values: dict[str, list[str]] = {name: [] for name in columns}
    good_numbers: list[int] = []
    good_texts: list[str] = []
    for number, text in zip(numbers, texts, strict=True):
        try:
            rows = list(csv.reader([text], delimiter=delimiter, strict=True))
        except csv.Error as error:
            rejected.append(Rejected(number, text[:65_536], f"unreadable line: {error}"))
            continue
        row = rows[0] if rows else []
        if len(row) != width:
            rejected.append(
                Rejected(
                    number,
                    text[:65_536],
                    f"the line has {len(row)} fields, the header has {width}",
                )
            )
            continue
        for name, value in zip(columns, row, strict=True):
            values[name].append(value)
        good_numbers.append(number)
        good_texts.append(text)
    return _frame(values, good_numbers, good_texts), rejected


def _frame(values: Mapping[str, list[str]], numbers: list[int], texts: list[str]) -> pl.DataFrame:
    data: dict[str, pl.Series] = {
        name: pl.Series(name, column, dtype=pl.Utf8) for name, column in values.items()
    }
    data[LINE_COLUMN] = pl.Series(LINE_COLUMN, numbers, dtype=pl.Int64)
    data[RAW] = pl.Series(RAW, texts, dtype=pl.Utf8)
    return pl.DataFrame(data)


def apply_mapping(frame: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """Rename the feed's columns to event fields, put the others under
    ``extra.``, and add the mapping's constants where no column gave them."""
    # Series, not pl.col(): a column may be named "*" or "^…$" (wildcard, regex).
    selections: list[pl.Series] = [frame[LINE_COLUMN], frame[RAW]]
    taken: set[str] = set()
    for column in frame.columns:
        if column in (LINE_COLUMN, RAW):
            continue
        target = mapping.columns.get(column)
        if target is None:
            if not mapping.keep_unmapped:
                continue
            target = EXTRA_PREFIX + _extra_name(column)
            suffix = 2
            while target in taken or target in mapping.columns.values():
                target = f"{EXTRA_PREFIX}{_extra_name(column)}_{suffix}"
                suffix += 1
        if not target or target in taken:
            continue
        taken.add(target)
        selections.append(frame[column].alias(target))
    result = pl.DataFrame(selections)
    constants = [
        pl.lit(value).alias(name) for name, value in mapping.constants.items() if name not in taken
    ]
    return result.with_columns(constants) if constants else result


def _extra_name(column: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in column.strip().lower())


def blank_to_null(frame: pl.DataFrame, names: Iterable[str] | None = None) -> pl.DataFrame:
    """Empty (or all-space) text values become nulls."""
    targets = [
        name
        for name in (names if names is not None else frame.columns)
        if name not in (LINE_COLUMN, RAW) and frame.schema[name] == pl.Utf8
    ]
    return frame.with_columns(
        pl.when(pl.col(name).str.strip_chars() == "").then(None).otherwise(pl.col(name)).alias(name)
        for name in targets
    )
