"""Chunk helpers shared by the feed parsers (a helper module: the registry
skips modules whose name starts with an underscore).

They work on whole chunks: decoding lines, dropping comments and blank lines,
splitting off bad rows in bulk, writing UTC timestamps, adding constants, and
the net that keeps ``parse()`` from ever raising.
"""

from __future__ import annotations

import datetime
import email.utils
import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import wraps
from typing import Any

import polars as pl

from baobab.pipeline.parsers.base import (
    LINE_COLUMN,
    MAX_RAW_CHARS,
    RAW,
    Parsed,
    Rejected,
    Setup,
    empty_frame,
    raw_text,
)

INTERNAL_ERROR = "internal parser error"


# "2024-05-01 12:04:22" (optionally with a T, fractions or a trailing "UTC"):
# a feed's own UTC time without an offset.
_NAIVE_TIME = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"


_UTC_SUFFIX = r"(?i)\s*(\(utc\)|utc|z)$"


def text_frame(
    lines: Sequence[bytes], first_line: int, *, comments: Sequence[str] = ("#",)
) -> tuple[pl.DataFrame, list[Rejected]]:
    """The chunk's readable lines as a frame of ``baobab.line`` and ``raw``.

    Windows line ends and a byte-order mark are removed; blank lines and lines
    starting (after spaces) with one of ``comments`` are left out; lines that
    are not UTF-8 are rejected.
    """
    rejected: list[Rejected] = []
    numbers: list[int] | None = None
    texts: list[str] | None = None
    try:
        joined = b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        texts = joined.split("\n") if lines else []
        if len(texts) != len(lines):  # a line held its own newline: go line by line
            texts = None
    if texts is None:
        numbers, texts = [], []
        for offset, line in enumerate(lines):
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as error:
                rejected.append(
                    Rejected(
                        first_line + offset,
                        raw_text(line),
                        f"not UTF-8 text (byte {error.start})",
                    )
                )
                continue
            numbers.append(first_line + offset)
            texts.append(text)
    frame = pl.DataFrame(
        {
            LINE_COLUMN: pl.Series(
                LINE_COLUMN,
                numbers if numbers is not None else range(first_line, first_line + len(texts)),
                dtype=pl.Int64,
            ),
            RAW: pl.Series(RAW, texts, dtype=pl.Utf8),
        }
    )
    frame = frame.with_columns(
        pl.col(RAW).str.strip_chars_end("\r\n").str.strip_chars_start("\ufeff")
    )
    stripped = pl.col(RAW).str.strip_chars()
    keep = stripped != ""
    for prefix in comments:
        keep = keep & ~stripped.str.starts_with(prefix)
    return frame.filter(keep), rejected


def original_texts(lines: Sequence[bytes]) -> pl.Series:
    """Every line of a chunk as text (undecodable bytes replaced), for putting
    back the exact record text after a chunk was rewritten before reading."""
    joined = b"\n".join(lines).decode("utf-8", "replace")
    texts = joined.split("\n") if lines else []
    if len(texts) != len(lines):
        texts = [line.decode("utf-8", "replace") for line in lines]
    return pl.Series(RAW, texts, dtype=pl.Utf8).str.strip_chars_end("\r\n")


def split_bad(
    frame: pl.DataFrame, bad: pl.Expr, reason: str
) -> tuple[pl.DataFrame, list[Rejected]]:
    """The rows for which ``bad`` is false, and the others as rejected records."""
    marked = frame.with_columns(bad.fill_null(value=False).alias("__bad"))
    bad_rows = marked.filter(pl.col("__bad"))
    rejected = [
        Rejected(line, text[:MAX_RAW_CHARS], reason)
        for line, text in zip(bad_rows[LINE_COLUMN].to_list(), bad_rows[RAW].to_list(), strict=True)
    ]
    return marked.filter(~pl.col("__bad")).drop("__bad"), rejected


def utc_time(expr: pl.Expr) -> pl.Expr:
    """A feed's UTC time written without an offset ("2024-05-01 12:04:22",
    "… UTC") as ISO 8601 with ``+00:00``; other values are left for the
    normalisation stage to judge."""
    text = expr.str.strip_chars().str.replace(_UTC_SUFFIX, "")
    return (
        pl.when(text.str.contains(_NAIVE_TIME))
        .then(text.str.replace(" ", "T", literal=True) + "+00:00")
        .otherwise(expr)
    )


def null_words(name: str, words: Iterable[str] = ("None", "NA", "N/A", "null")) -> pl.Expr:
    """Column ``name`` with the placeholder words some feeds write for "no
    value" turned into nulls."""
    text = pl.col(name).str.strip_chars()
    return pl.when(text.is_in(list(words))).then(None).otherwise(text).alias(name)


def finish(frame: pl.DataFrame, constants: Mapping[str, str] | None = None) -> pl.DataFrame:
    """The frame as every parser hands it on: ``baobab.line`` and ``raw`` first,
    every field a text column, blanks as nulls, the constants filled in where no
    column gave them (or gave a null)."""
    if frame.height == 0 and frame.width <= 2:
        return empty_frame()
    fields = [name for name in frame.columns if name not in (LINE_COLUMN, RAW)]
    columns: list[pl.Expr] = [
        pl.col(LINE_COLUMN).cast(pl.Int64),
        pl.col(RAW).cast(pl.Utf8),
    ]
    for name in fields:
        text = pl.col(name).cast(pl.Utf8).str.strip_chars()
        value = pl.when(text == "").then(None).otherwise(text)
        if constants and name in constants:
            value = value.fill_null(pl.lit(constants[name], dtype=pl.Utf8))
        columns.append(value.alias(name))
    for name, constant in (constants or {}).items():
        if name not in fields:
            columns.append(pl.lit(constant, dtype=pl.Utf8).alias(name))
    return frame.select(columns)


def guarded(
    parse: Callable[[Any, list[bytes], int, Setup], Parsed],
) -> Callable[[Any, list[bytes], int, Setup], Parsed]:
    """Make ``parse`` keep its promise never to raise: should a chunk hit an
    error no line-level check foresaw, its lines are rejected with the error
    (the rest of the report goes on) instead of the exception escaping."""

    @wraps(parse)
    def safe(self: Any, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        try:
            return parse(self, lines, first_line, setup)
        except Exception as error:
            reason = f"{INTERNAL_ERROR}: {type(error).__name__}: {error}"[:500]
            return Parsed(
                empty_frame(),
                [
                    Rejected(first_line + offset, raw_text(line), reason)
                    for offset, line in enumerate(lines)
                    if line.strip()
                ],
            )

    return safe


def canonical_networks(values: Sequence[str | None]) -> list[str | None]:
    """Each value as a canonical network prefix ("192.0.2.0/24"), None where it is none."""
    cache: dict[str, str | None] = {}
    result: list[str | None] = []
    for value in values:
        if value is None:
            result.append(None)
            continue
        if value not in cache:
            try:
                cache[value] = str(ipaddress.ip_network(value.strip(), strict=False))
            except ValueError:
                cache[value] = None
        result.append(cache[value])
    return result


def http_date(text: str) -> str | None:
    """An e-mail/HTTP date ("Wed, 01 May 2024 11:36:42 GMT") or a ctime-like
    date ("Tue Dec 15 15:33:38 2015 UTC") as ISO 8601 in UTC, None if neither."""
    text = text.strip()
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        for pattern in ("%a %b %d %H:%M:%S %Y %Z", "%a %b %d %H:%M:%S %Y", "%Y-%m-%d %H:%M:%S %Z"):
            try:
                moment = datetime.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat()
