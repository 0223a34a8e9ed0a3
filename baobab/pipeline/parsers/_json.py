"""JSON helpers shared by the feed parsers: decoding lines and arrays with
each record's place, and turning JSON values into event text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from baobab.pipeline.parsers.base import LINE_COLUMN, MAX_RAW_CHARS, RAW, Rejected


def json_text(value: Any) -> str | None:
    """A JSON value as the text an event field holds (objects and lists as compact JSON)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def frame_from_rows(
    rows: Sequence[Mapping[str, str | None]], numbers: Sequence[int], raws: Sequence[str]
) -> pl.DataFrame:
    """A frame from records already turned into field → text mappings."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    data: dict[str, pl.Series] = {
        LINE_COLUMN: pl.Series(LINE_COLUMN, list(numbers), dtype=pl.Int64),
        RAW: pl.Series(RAW, [raw[:MAX_RAW_CHARS] for raw in raws], dtype=pl.Utf8),
    }
    for name in names:
        data[name] = pl.Series(name, [row.get(name) for row in rows], dtype=pl.Utf8)
    return pl.DataFrame(data)


def line_finder(document: str) -> Callable[[int], int]:
    """A function from a character offset in ``document`` to its 0-based line."""
    starts = [match.end() for match in re.finditer("\n", document)]

    def line_of(offset: int) -> int:
        low, high = 0, len(starts)
        while low < high:
            middle = (low + high) // 2
            if starts[middle] <= offset:
                low = middle + 1
            else:
                high = middle
        return low

    return line_of


_DECODER = json.JSONDecoder()


def loads(text: str | bytes) -> Any:
    """``json.loads`` whose every failure (nesting too deep included) is a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


_SPACE = re.compile(r"[ \t\r\n]*")


def iter_json_array(document: str) -> Iterable[tuple[int, int, Any]]:
    """The elements of a JSON array document as (start, end, value), in order.

    Raises :class:`ValueError` (with the offset) at the first element that is
    not valid JSON; the elements before it have been yielded.
    """
    position = _SPACE.match(document, 0).end()  # type: ignore[union-attr]
    if not document.startswith("[", position):
        raise ValueError(f"not a JSON array (offset {position})")
    position = _SPACE.match(document, position + 1).end()  # type: ignore[union-attr]
    if document.startswith("]", position):
        return
    while True:
        try:
            value, end = _DECODER.raw_decode(document, position)
        except json.JSONDecodeError as error:
            raise ValueError(f"invalid JSON: {error.msg} (offset {error.pos})") from None
        except RecursionError:
            raise ValueError(f"JSON nested too deeply (offset {position})") from None
        yield position, end, value
        position = _SPACE.match(document, end).end()  # type: ignore[union-attr]
        if document.startswith(",", position):
            position = _SPACE.match(document, position + 1).end()  # type: ignore[union-attr]
            continue
        if document.startswith("]", position):
            return
        raise ValueError(f"expected ',' or ']' (offset {position})")


def json_objects(
    frame: pl.DataFrame,
) -> tuple[list[tuple[int, str, dict[str, Any]]], list[Rejected]]:
    """The JSON object on each row of a text frame, as (line, raw, object);
    rows that are not a JSON object are rejected with the reason."""
    objects: list[tuple[int, str, dict[str, Any]]] = []
    rejected: list[Rejected] = []
    for line, text in zip(frame[LINE_COLUMN].to_list(), frame[RAW].to_list(), strict=True):
        try:
            value = loads(text)
        except ValueError as error:
            rejected.append(Rejected(line, text[:MAX_RAW_CHARS], f"invalid JSON: {error}"))
            continue
        if not isinstance(value, dict):
            rejected.append(
                Rejected(line, text[:MAX_RAW_CHARS], "not a JSON object (one object a line)")
            )
            continue
        objects.append((line, text, value))
    return objects, rejected


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested object as flat dotted keys (``{"source": {"ip": …}}`` →
    ``{"source.ip": …}``); lists stay values."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            flat.update(flatten(item, f"{name}."))
        else:
            flat[name] = item
    return flat
