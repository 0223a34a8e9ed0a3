"""Generic CSV and JSON parsers: the mapping from a feed's columns (or JSON
paths) to event fields is declared in the feed's parser options, so a new
tabular feed needs configuration, not code.

``generic-csv`` options::

    {"delimiter": ",", "has_header": true, "skip_comments": "#",
     "columns": {"src": "source.ip", "port": "source.port", "seen": "time.source"},
     "constants": {"classification.taxonomy": "information-gathering",
                   "classification.type": "scanner"}}

plus ``skip_lines`` (lines before the header), ``names`` (the column names of
a file without header; without them columns are named ``1``, ``2``…),
``required`` (columns the header must have) and ``keep_unmapped`` (unmapped
columns go to ``extra.<column>``; default true).

``generic-json`` reads JSON lines (one object a line), a JSON array of
objects, or, with ``records``, the array found at that path of one document::

    {"fields": {"host.address": "source.ip", "seen": "time.source"},
     "records": "data", "constants": {...}, "keep_unmapped": false}

A path walks nested objects (``a.b.c``; a number picks a list item), and a
key holding dots literally is found too. A bad or missing option is a
:class:`ReportError` saying which and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from baobab.pipeline.fields import BAOBAB_PREFIX, EXTRA_PREFIX, FIELDS, kind_of
from baobab.pipeline.parsers._chunks import finish, guarded, text_frame
from baobab.pipeline.parsers._csvfeed import split_row, unique_names
from baobab.pipeline.parsers._json import (
    flatten,
    frame_from_rows,
    iter_json_array,
    json_objects,
    json_text,
    line_finder,
    loads,
)
from baobab.pipeline.parsers.base import (
    LINE_COLUMN,
    MAX_RAW_CHARS,
    RAW,
    Parsed,
    Parser,
    Rejected,
    ReportError,
    Setup,
    raw_text,
)
from baobab.pipeline.parsers.tabular import ColumnMapping, apply_mapping, read_delimited

CSV_OPTIONS = frozenset(
    {
        "delimiter",
        "has_header",
        "columns",
        "constants",
        "skip_comments",
        "skip_lines",
        "names",
        "required",
        "keep_unmapped",
    }
)
JSON_OPTIONS = frozenset({"fields", "constants", "records", "keep_unmapped"})
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
EXAMPLES = "e.g. source.ip, source.url, time.source, classification.type, extra.anything"


def _fail(message: str) -> ReportError:
    return ReportError(f"parser options: {message}")


def check_field(name: Any, where: str) -> str:
    """``name`` when it is an event field a feed may fill, else a ReportError."""
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"{where}: the field name must be a non-empty text ({EXAMPLES})")
    name = name.strip()
    if name in (RAW, LINE_COLUMN) or name.startswith(BAOBAB_PREFIX):
        raise _fail(f"{where}: {name!r} is Baobab's own field and cannot be mapped")
    if kind_of(name) is None:
        close = sorted(field for field in FIELDS if field.split(".")[-1] == name.split(".")[-1])
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise _fail(f"{where}: {name!r} is not an event field{hint}; {EXAMPLES}")
    return name


def _mapping(value: Any, option: str, *, allow_drop: bool) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(f"{option!r} must be a non-empty object of name → event field")
    result: dict[str, str] = {}
    for key, target in value.items():
        if not isinstance(key, str) or not key:
            raise _fail(f"{option!r}: every key must be a non-empty text")
        if allow_drop and target in ("", None):
            result[key] = ""
            continue
        result[key] = check_field(target, f"{option}[{key!r}]")
    return result


def _constants(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail("'constants' must be an object of event field → value")
    result: dict[str, str] = {}
    for key, constant in value.items():
        field = check_field(key, "constants")
        if not isinstance(constant, str | int | float) or isinstance(constant, bool):
            raise _fail(f"constants[{key!r}] must be a text or a number")
        result[field] = str(constant)
    return result


def _flag(options: Mapping[str, Any], name: str, default: bool) -> bool:
    value = options.get(name, default)
    if not isinstance(value, bool):
        raise _fail(f"{name!r} must be true or false, not {value!r}")
    return value


def _unknown(options: Mapping[str, Any], valid: frozenset[str]) -> None:
    unknown = sorted(str(key) for key in options if key not in valid)
    if unknown:
        raise _fail(f"unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """The generic CSV parser's options, checked."""

    columns: dict[str, str]
    constants: dict[str, str]
    delimiter: str = ","
    has_header: bool = True
    comment: str | None = None
    skip_lines: int = 0
    names: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    keep_unmapped: bool = True


def csv_options(options: Mapping[str, Any]) -> CsvOptions:
    """The options checked; a :class:`ReportError` says what is wrong."""
    _unknown(options, CSV_OPTIONS)
    if "columns" not in options:
        raise _fail("'columns' is missing: map the feed's columns to event fields")
    delimiter = options.get("delimiter", ",")
    if isinstance(delimiter, str):
        delimiter = DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise _fail(f"'delimiter' must be one character (or tab), not {delimiter!r}")
    comment = options.get("skip_comments")
    if comment is True:
        comment = "#"
    if comment is False or comment == "":
        comment = None
    if comment is not None and not isinstance(comment, str):
        raise _fail("'skip_comments' must be the prefix of comment lines (e.g. \"#\")")
    skip = options.get("skip_lines", 0)
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise _fail(f"'skip_lines' must be a whole number ≥ 0, not {skip!r}")
    names = options.get("names", ())
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise _fail("'names' must be a list of column names")
    required = options.get("required", ())
    if not isinstance(required, list | tuple) or not all(isinstance(n, str) for n in required):
        raise _fail("'required' must be a list of column names")
    return CsvOptions(
        columns=_mapping(options["columns"], "columns", allow_drop=True),
        constants=_constants(options.get("constants")),
        delimiter=delimiter,
        has_header=_flag(options, "has_header", default=True),
        comment=comment,
        skip_lines=skip,
        names=unique_names([name.strip() for name in names]),
        required=tuple(required),
        keep_unmapped=_flag(options, "keep_unmapped", default=True),
    )


def _matched(columns: tuple[str, ...], mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping keyed by the report's own column names (matched ignoring case)."""
    folded = {key.strip().lower(): target for key, target in mapping.items()}
    return {
        name: mapping[name] if name in mapping else folded[name.strip().lower()]
        for name in columns
        if name in mapping or name.strip().lower() in folded
    }


class GenericCsvParser(Parser):
    """Any delimited text feed, mapped by its feed options."""

    name = "generic-csv"
    description = "Any CSV-like feed, columns mapped to fields in the feed's parser options"

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Check the options, find the header (or name the columns)."""
        checked = csv_options(options)
        index = checked.skip_lines
        while index < len(head):
            text = head[index].decode("utf-8-sig", "replace").strip()
            if text and not (checked.comment and text.startswith(checked.comment)):
                break
            index += 1
        if index >= len(head):
            if checked.has_header and any(line.strip() for line in head):
                raise ReportError("no header line in the report's head (only comments)")
            return Setup(report=report, skip_lines=index, columns=checked.names, options=options)
        if checked.has_header:
            text = head[index].decode("utf-8-sig", "replace").strip()
            columns = unique_names([name.strip() for name in split_row(text, checked.delimiter)])
            skip = index + 1
        else:
            width = len(split_row(head[index].decode("utf-8", "replace"), checked.delimiter))
            columns = checked.names or tuple(str(n) for n in range(1, width + 1))
            skip = checked.skip_lines
        matched = _matched(columns, checked.columns)
        if not any(matched.values()):
            raise ReportError(
                f"none of the mapped columns ({', '.join(checked.columns)}) is in the "
                f"report, whose columns are: {', '.join(columns)}"
            )
        missing = [name for name in checked.required if name not in columns]
        if missing:
            raise ReportError(f"required column(s) missing from the report: {', '.join(missing)}")
        return Setup(report=report, skip_lines=skip, columns=columns, options=options)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The chunk's rows as events."""
        checked = csv_options(setup.options)
        columns = setup.columns
        if not columns:
            width = max(
                (
                    len(split_row(line.decode("utf-8", "replace"), checked.delimiter))
                    for line in lines
                ),
                default=0,
            )
            columns = checked.names or tuple(str(n) for n in range(1, width + 1))
        frame, rejected = read_delimited(
            lines,
            first_line,
            columns,
            delimiter=checked.delimiter,
            comment_prefix=checked.comment,
        )
        mapping = ColumnMapping(
            columns=_matched(columns, checked.columns),
            constants=checked.constants,
            keep_unmapped=checked.keep_unmapped,
        )
        return Parsed(finish(apply_mapping(frame, mapping), checked.constants), rejected)


@dataclass(frozen=True, slots=True)
class JsonOptions:
    """The generic JSON parser's options, checked."""

    fields: dict[str, str]
    constants: dict[str, str]
    records: str | None = None
    keep_unmapped: bool = False


def json_options(options: Mapping[str, Any]) -> JsonOptions:
    """The options checked; a :class:`ReportError` says what is wrong."""
    _unknown(options, JSON_OPTIONS)
    if "fields" not in options:
        raise _fail("'fields' is missing: map JSON paths to event fields")
    records = options.get("records")
    if records is not None and (not isinstance(records, str) or not records.strip()):
        raise _fail("'records' must be the path of the list of records (e.g. \"data\")")
    return JsonOptions(
        fields=_mapping(options["fields"], "fields", allow_drop=False),
        constants=_constants(options.get("constants")),
        records=records,
        keep_unmapped=_flag(options, "keep_unmapped", default=False),
    )


_MISSING = object()


def get_path(value: Any, path: str) -> Any:
    """The value at ``path`` (``a.b.0.c``) in nested objects and lists; a key
    holding the dots literally wins. A missing path gives ``_MISSING``."""
    if isinstance(value, dict) and path in value:
        return value[path]
    current = value
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _extra_key(path: str) -> str:
    return EXTRA_PREFIX + "".join(
        ch if ch.isalnum() or ch in "._-" else "_" for ch in path.strip().lower()
    )


class GenericJsonParser(Parser):
    """Any JSON feed (lines, array, or a list inside a document), mapped by options."""

    name = "generic-json"
    description = "Any JSON feed (JSON lines or an array of objects), mapped in the feed's options"
    line_based = False

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Check the options."""
        json_options(options)
        return Setup(report=report, options=options)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """Every record of the document (or of each line) as an event."""
        checked = json_options(setup.options)
        start = next((line.lstrip()[:1] for line in lines if line.strip()), b"")
        if checked.records is None and start != b"[":
            frame, rejected = text_frame(lines, first_line, comments=())
            per_line, bad = json_objects(frame)
            return self._events(checked, per_line, rejected + bad)
        document_bytes = b"\n".join(lines)
        try:
            document = document_bytes.decode("utf-8")
        except UnicodeDecodeError as error:
            reason = f"not UTF-8 text (byte {error.start})"
            return Parsed(
                finish(pl.DataFrame()), [Rejected(first_line, raw_text(document_bytes), reason)]
            )
        records, rejected = self._records(checked, document, first_line)
        objects: list[tuple[int, str, dict[str, Any]]] = []
        for line, text, value in records:
            if isinstance(value, dict):
                objects.append((line, text, value))
            else:
                rejected.append(
                    Rejected(line, text[:MAX_RAW_CHARS], "a record is not a JSON object")
                )
        return self._events(checked, objects, rejected)

    @staticmethod
    def _records(
        checked: JsonOptions, document: str, first_line: int
    ) -> tuple[list[tuple[int, str, Any]], list[Rejected]]:
        """The records of a whole document, with their line and text."""
        line_of = line_finder(document)
        records: list[tuple[int, str, Any]] = []
        if checked.records is None:
            done = 0  # where the last good record ended
            try:
                for begin, end, value in iter_json_array(document):
                    records.append((first_line + line_of(begin), document[begin:end], value))
                    done = end
            except ValueError as error:
                rest = document[done:].lstrip(", \t\r\n")
                offset = len(document) - len(rest)
                reason = f"unreadable JSON array from here on: {error}"
                return records, [
                    Rejected(first_line + line_of(offset), rest[:MAX_RAW_CHARS], reason)
                ]
            return records, []
        try:
            data = loads(document)
        except ValueError as error:
            return [], [Rejected(first_line, raw_text(document.encode()), f"invalid JSON: {error}")]
        found = get_path(data, checked.records)
        if not isinstance(found, list):
            reason = f"the document has no list of records at {checked.records!r}"
            return [], [Rejected(first_line, raw_text(document.encode()), reason)]
        for number, value in enumerate(found, start=first_line):
            records.append((number, json.dumps(value, ensure_ascii=False), value))
        return records, []

    @staticmethod
    def _events(
        checked: JsonOptions,
        objects: list[tuple[int, str, dict[str, Any]]],
        rejected: list[Rejected],
    ) -> Parsed:
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []
        raws: list[str] = []
        for line, text, value in objects:
            row: dict[str, str | None] = {}
            for path, target in checked.fields.items():
                found = get_path(value, path)
                if found is not _MISSING and row.get(target) is None:
                    row[target] = json_text(found)
            if not any(item is not None for item in row.values()):
                rejected.append(
                    Rejected(
                        line,
                        text[:MAX_RAW_CHARS],
                        f"none of the mapped paths ({', '.join(checked.fields)}) is in the record",
                    )
                )
                continue
            if checked.keep_unmapped:
                for key, item in flatten(value).items():
                    if key not in checked.fields:
                        row.setdefault(_extra_key(key), json_text(item))
            rows.append(row)
            numbers.append(line)
            raws.append(text)
        frame = frame_from_rows(rows, numbers, raws)
        return Parsed(finish(frame, checked.constants), rejected)
