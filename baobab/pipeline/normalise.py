"""Validate and normalise every field of a batch of events, column by column.

A row with any value that fails is rejected whole, with the field and the
reason, and goes to quarantine; the good rows go on. Values come out in one
canonical form (addresses compressed, names lower case, moments in UTC, RSIT
types checked) so that deduplication and search see one spelling. Pure: no
Django, no I/O; per-row Python runs only for unusual values (IPv6, odd dates),
once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import polars as pl

from baobab.pipeline.choices import RSIT, TAXONOMY_OF_TYPE
from baobab.pipeline.fields import (
    BAOBAB_PREFIX,
    EXTRA_PREFIX,
    IDENTIFYING,
    MOMENT_FORMAT,
    Kind,
    kind_of,
)
from baobab.pipeline.parsers.base import LINE_COLUMN, RAW, Rejected

MAX_TEXT = 65_536
# Columns stored in fixed-width database columns.
MAX_LENGTH = {
    "classification.identifier": 100,
    "protocol.transport": 20,
    "protocol.application": 60,
    "malware.name": 100,
    "source.geolocation.cc": 2,
}
MAX_URL = 8_192
_IPV4 = r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_FQDN = rf"^{_LABEL}(\.{_LABEL})*$"
_URL = r"(?i)^[a-z][a-z0-9+.-]*://[^\s/?#@]*@?[^\s/?#]+([/?#]\S*)?$"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%.fZ",
)
# The canonical form first: what parsers and the feed defaults write.
_FORMATS = (MOMENT_FORMAT, *_NAIVE_FORMATS)
_CANONICAL_LENGTH = len("2024-05-01T00:00:00+00:00")
_TRUE = ("true", "1", "yes", "y", "t")
_FALSE = ("false", "0", "no", "n", "f")

Normaliser = Callable[[str, pl.Series], tuple[pl.Series, pl.Series]]


def normalise(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
    """The valid rows of ``frame`` with every field in canonical form, and the
    rejected rows with their reasons."""
    if frame.height == 0:
        return frame, []
    frame = _rename_unknown(frame)
    columns: dict[str, pl.Series] = {}
    problems: list[pl.Series] = []
    for name in frame.columns:
        series = frame[name]
        if name in (LINE_COLUMN, RAW):
            columns[name] = series
            continue
        kind = kind_of(name) or Kind.TEXT
        text = _as_text(series)
        value, problem = NORMALISERS[kind](name, text)
        limit = MAX_LENGTH.get(name)
        if limit is not None and value.dtype == pl.Utf8:
            too_long = value.str.len_chars() > limit
            problem = _first(
                problem, _message(too_long, name, f"is longer than {limit} characters")
            )
        columns[name] = value
        problems.append(problem)
    result = pl.DataFrame(columns)
    result, type_problem = _classification(result)
    problems.append(type_problem)
    problems.append(_identifying(result))
    problem = pl.select(pl.coalesce(problems)).to_series()
    if problem.null_count() == problem.len():
        return result, []
    bad = problem.is_not_null()
    rejected_rows = result.select(LINE_COLUMN, RAW).with_columns(problem.alias("problem"))
    rejected = [
        Rejected(line, raw or "", reason, reason.split(":", 1)[0])
        for line, raw, reason in rejected_rows.filter(bad).iter_rows()
    ]
    return result.filter(~bad), rejected


def _rename_unknown(frame: pl.DataFrame) -> pl.DataFrame:
    renames = {
        name: EXTRA_PREFIX + name
        for name in frame.columns
        if name not in (LINE_COLUMN, RAW) and kind_of(name) is None
    }
    if renames:
        clashing = [target for target in renames.values() if target in frame.columns]
        frame = frame.drop(clashing).rename(renames)
    return frame


def _as_text(series: pl.Series) -> pl.Series:
    text = series if series.dtype == pl.Utf8 else series.cast(pl.Utf8, strict=False)
    text = text.str.strip_chars()
    return text.set(text == "", None) if text.null_count() < text.len() else text


def _message(condition: pl.Series, name: str, what: str) -> pl.Series:
    """A reason where ``condition`` holds, else null."""
    return pl.select(pl.when(condition).then(pl.lit(f"{name}: {what}")).otherwise(None)).to_series()


def _value_message(bad: pl.Series, text: pl.Series, name: str, what: str) -> pl.Series:
    """``name: 'value' what`` where ``bad`` holds (values cut at 80 characters)."""
    return pl.select(
        pl.when(bad)
        .then(pl.format(f"{name}: '{{}}' {what}", text.str.slice(0, 80)))
        .otherwise(None)
    ).to_series()


def _first(*problems: pl.Series) -> pl.Series:
    return pl.select(pl.coalesce(problems)).to_series()


def _failed(text: pl.Series, value: pl.Series) -> pl.Series:
    return text.is_not_null() & value.is_null()


# --- one normaliser per kind of value -------------------------------------------


def _ip(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    fast = text.str.contains(_IPV4).fill_null(False)
    unusual = text.filter(~fast & text.is_not_null()).unique().to_list()
    canonical: dict[str, str | None] = {}
    for value in unusual:
        try:
            canonical[value] = str(ipaddress.ip_address(value.strip("[]")))
        except ValueError:
            canonical[value] = None
    slow = text.replace_strict(canonical, default=None, return_dtype=pl.Utf8)
    value = pl.select(pl.when(fast).then(text).otherwise(slow)).to_series().alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not an IP address")


def _network(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    canonical: dict[str, str | None] = {}
    for value in text.drop_nulls().unique().to_list():
        try:
            canonical[value] = str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            canonical[value] = None
    value = text.replace_strict(canonical, default=None, return_dtype=pl.Utf8).alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not an IP prefix")


def _integer(low: int, high: int, what: str, prefix: str | None = None) -> Normaliser:
    def normalise_integer(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
        digits = text.str.replace(prefix, "") if prefix else text
        value = digits.cast(pl.Int64, strict=False)
        if value.null_count() > text.null_count():  # "23.0" and the like
            as_float = digits.cast(pl.Float64, strict=False)
            whole = as_float.is_not_null() & (as_float == as_float.floor())
            value = pl.select(
                pl.when(value.is_null() & whole)
                .then(as_float.cast(pl.Int64, strict=False))  # 1E100: null, then refused
                .otherwise(value)
            ).to_series()
        bad = (
            _failed(text, value) | (value < low).fill_null(False) | (value > high).fill_null(False)
        )
        value = value.set(bad, None).alias(name)
        return value, _value_message(bad, text, name, what)

    return normalise_integer


def _float(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    value = text.cast(pl.Float64, strict=False).alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not a number")


def _bool(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    lower = text.str.to_lowercase()
    value = (
        pl.select(
            pl.when(lower.is_in(_TRUE))
            .then(pl.lit(True))
            .when(lower.is_in(_FALSE))
            .then(pl.lit(False))
            .otherwise(None)
        )
        .to_series()
        .alias(name)
    )
    return value, _value_message(_failed(text, value), text, name, "is not true or false")


def _datetime(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    # Each format is tried on the values no earlier one read; most are read by
    # the first (parsers write moments canonically), and those need no
    # rewriting (the length rules out unpadded fields). No parsing cache: a
    # day's report holds tens of thousands of distinct moments.
    parsed = text.str.strptime(pl.Datetime("us"), _FORMATS[0], strict=False, cache=False)
    canonical = parsed.is_not_null() & (text.str.len_bytes() == _CANONICAL_LENGTH)
    missing = text.null_count()
    for fmt in _FORMATS[1:]:
        if parsed.null_count() == missing:
            break
        pending = text.set(parsed.is_not_null(), None)
        attempt = pending.str.strptime(pl.Datetime("us"), fmt, strict=False, cache=False)
        parsed = pl.select(pl.coalesce(parsed, attempt)).to_series()
    parsed = parsed.dt.replace_time_zone("UTC")
    unusual = text.filter(parsed.is_null() & text.is_not_null()).unique().to_list()
    slow: dict[str, str | None] = {value: _parse_moment(value) for value in unusual}
    if canonical.sum() == text.len() - missing:
        formatted = text
    else:
        formatted = pl.select(
            pl.when(canonical).then(text).otherwise(parsed.dt.strftime(MOMENT_FORMAT))
        ).to_series()
    if slow:
        formatted = pl.select(
            pl.when(parsed.is_null())
            .then(text.replace_strict(slow, default=None, return_dtype=pl.Utf8))
            .otherwise(formatted)
        ).to_series()
    in_range = pl.select(
        pl.when(parsed.is_not_null())
        .then((parsed >= _EARLIEST) & (parsed < _LATEST))
        .otherwise(True)
    ).to_series()
    value = formatted.set(~in_range, None).alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not a date and time")


def _parse_moment(text: str) -> str | None:
    """One unusual timestamp in UTC (ISO 8601 with offsets, epoch seconds, e-mail dates)."""
    moment: dt.datetime | None = None
    try:
        if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
            moment = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
        else:
            candidate = text.replace(" UTC", "+00:00").replace("Z", "+00:00")
            moment = dt.datetime.fromisoformat(candidate)
    except (ValueError, OverflowError, OSError):
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment is None:
        return None
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    if not _EARLIEST <= moment < _LATEST:
        return None
    return moment.strftime(MOMENT_FORMAT)


def _cc(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    upper = text.str.to_uppercase()
    good = upper.str.contains(r"^[A-Z]{2}$").fill_null(False)
    value = upper.set(~good, None).alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not a country code")


def _fqdn(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    lower = text.str.to_lowercase().str.strip_chars_end(".")
    good = (lower.str.contains(_FQDN) & (lower.str.len_bytes() <= 253)).fill_null(False)
    unusual = lower.filter(~good & lower.is_not_null()).unique().to_list()
    encoded: dict[str, str | None] = {}
    for value in unusual:
        try:
            ascii_name = value.encode("idna").decode("ascii")
        except (UnicodeError, ValueError):
            ascii_name = None
        encoded[value] = ascii_name if ascii_name and re.fullmatch(_FQDN, ascii_name) else None
    value = pl.select(
        pl.when(good)
        .then(lower)
        .otherwise(lower.replace_strict(encoded, default=None, return_dtype=pl.Utf8))
    ).to_series()
    value = value.alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not a host name")


def _url(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    with_scheme = pl.select(
        pl.when(text.str.contains("://", literal=True))
        .then(text)
        .otherwise(pl.concat_str(pl.lit("http://"), text))
    ).to_series()
    good = (with_scheme.str.contains(_URL) & (with_scheme.str.len_chars() <= MAX_URL)).fill_null(
        False
    )
    value = with_scheme.set(~good, None).alias(name)
    return value, _value_message(_failed(text, value), text, name, "is not a URL")


def _member(allowed: frozenset[str], what: str) -> Normaliser:
    def normalise_member(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
        lower = text.str.to_lowercase()
        good = lower.is_in(list(allowed)).fill_null(False)
        value = lower.set(~good, None).alias(name)
        return value, _value_message(_failed(text, value), text, name, what)

    return normalise_member


def _text(name: str, text: pl.Series) -> tuple[pl.Series, pl.Series]:
    value = text.str.replace_all(_CONTROL, "").alias(name)
    too_long = (value.str.len_chars() > MAX_TEXT).fill_null(False)
    return value.set(too_long, None), _message(
        too_long, name, f"is longer than {MAX_TEXT} characters"
    )


NORMALISERS: dict[Kind, Normaliser] = {
    Kind.IP: _ip,
    Kind.NETWORK: _network,
    Kind.PORT: _integer(0, 65_535, "is not a port number"),
    Kind.ASN: _integer(0, 4_294_967_295, "is not an AS number", prefix=r"^(?i)ASN?\s*"),
    Kind.INT: _integer(-(2**63), 2**63 - 1, "is not a whole number"),
    Kind.FLOAT: _float,
    Kind.BOOL: _bool,
    Kind.DATETIME: _datetime,
    Kind.CC: _cc,
    Kind.FQDN: _fqdn,
    Kind.URL: _url,
    Kind.TAXONOMY: _member(frozenset(RSIT), "is not an RSIT taxonomy"),
    Kind.CLASSIFICATION: _member(frozenset(TAXONOMY_OF_TYPE), "is not an RSIT type"),
    Kind.TEXT: _text,
}


# --- checks across fields ---------------------------------------------------------


def _classification(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """Derive the taxonomy from the type; a taxonomy that contradicts it fails."""
    none = pl.Series("problem", [None] * frame.height, dtype=pl.Utf8)
    if "classification.type" not in frame.columns:
        return frame, none
    derived = frame["classification.type"].replace_strict(
        TAXONOMY_OF_TYPE, default=None, return_dtype=pl.Utf8
    )
    if "classification.taxonomy" not in frame.columns:
        return frame.with_columns(derived.alias("classification.taxonomy")), none
    given = frame["classification.taxonomy"]
    clash = (given.is_not_null() & derived.is_not_null() & (given != derived)).fill_null(False)
    problem = _value_message(
        clash, given, "classification.taxonomy", "does not match classification.type"
    )
    filled = pl.select(pl.coalesce(derived, given)).to_series().alias("classification.taxonomy")
    return frame.with_columns(filled), problem


def _identifying(frame: pl.DataFrame) -> pl.Series:
    present = [frame[name].is_not_null() for name in IDENTIFYING if name in frame.columns]
    if not present:
        anything = pl.Series([False] * frame.height)
    else:
        anything = pl.select(pl.any_horizontal(present)).to_series()
    return _message(
        ~anything,
        "source",
        "the event has no source IP address, prefix, host name, URL, AS number or file hash",
    )


def is_event_field(name: str) -> bool:
    """Whether ``name`` is an event field rather than bookkeeping."""
    return name not in (LINE_COLUMN, RAW) and not name.startswith(BAOBAB_PREFIX)
