"""From a report's rules and the header a file actually has, the column
operations that turn a chunk into events: the converted columns, the
:class:`~baobab.pipeline.parsers.tabular.ColumnMapping`, and the constants.

Columns are matched by name, so added, missing (optional) or reordered
columns change the plan, not the result; a missing required column is a
:class:`ReportError` naming it. Columns no rule names go to ``extra.<column>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl

from baobab.pipeline.fields import BAOBAB_PREFIX, EXTRA_PREFIX, kind_of
from baobab.pipeline.parsers.base import LINE_COLUMN, MAX_RAW_CHARS, RAW, Rejected, ReportError
from baobab.pipeline.parsers.shadowserver_reports.conversions import changes_values, convert
from baobab.pipeline.parsers.shadowserver_reports.spec import ReportSpec
from baobab.pipeline.parsers.tabular import ColumnMapping, apply_mapping


@dataclass(frozen=True, slots=True)
class Plan:
    """The column operations for one report type and one header."""

    derived: tuple[pl.Expr, ...]  # converted columns, computed before the mapping
    mapping: ColumnMapping
    # Constants a column may also give: they fill the rows where it is empty.
    defaults: Mapping[str, str] = field(default_factory=dict)
    # Required columns whose conversion may refuse a value: (column, the
    # columns converted from it, field, conversion). A row whose value every
    # conversion refused (it went nowhere) is rejected.
    checks: tuple[tuple[str, tuple[str, ...], str, str], ...] = ()

    def apply(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        """The chunk's events (converted, renamed, empty values as nulls,
        constants added) and the rows whose required value was refused."""
        if self.derived:
            frame = frame.with_columns(self.derived)
        frame, rejected = self._refused(frame)
        events = apply_mapping(frame, self.mapping)
        return events.with_columns(
            _or_default(name, self.defaults.get(name))
            for name, dtype in events.schema.items()
            if dtype == pl.Utf8 and name not in (RAW, LINE_COLUMN)
        ), rejected

    def _refused(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        """Split off the rows where a required column has a value its
        conversion refused (``validate_ip`` on ``not-an-address``): they go to
        quarantine rather than on as events without it."""
        if not self.checks or not frame.height:
            return frame, []
        failures = [
            (
                pl.col(column).str.strip_chars().str.len_bytes().fill_null(0).gt(0)
                & pl.all_horizontal([pl.col(name).is_null() for name in converted]),
                column,
                target,
                conversion,
            )
            for column, converted, target, conversion in self.checks
        ]
        refused = pl.any_horizontal([failure for failure, *_ in failures])
        reason: pl.Expr = pl.lit(None, dtype=pl.Utf8)
        for failure, column, target, conversion in reversed(failures):
            text = pl.concat_str(
                pl.lit(f"{target}: '"), pl.col(column), pl.lit(f"' {_refusal(conversion)}")
            )
            reason = pl.when(failure).then(text).otherwise(reason)
        bad = frame.filter(refused).select(LINE_COLUMN, RAW, reason.alias("reason"))
        rejected = [
            Rejected(line, (raw or "")[:MAX_RAW_CHARS], text[:2000], text.split(":", 1)[0])
            for line, raw, text in bad.iter_rows()
        ]
        return (frame.filter(~refused) if rejected else frame), rejected


def _refusal(conversion: str) -> str:
    return {
        "validate_ip": "is not an IP address",
        "validate_network": "is not a network",
        "validate_fqdn": "is not a host name",
    }.get(conversion, f"is refused by {conversion}")


def _or_default(name: str, default: str | None) -> pl.Expr:
    """The column with empty values as nulls, or as ``default`` when there is one."""
    value = pl.col(name)
    empty = pl.lit(default, dtype=pl.Utf8)
    return (
        pl.when(value.str.len_bytes() == 0)
        .then(empty)
        .otherwise(value)
        .fill_null(empty)
        .alias(name)
    )


def missing_columns(spec: ReportSpec, columns: Sequence[str]) -> list[str]:
    """The report's required columns that the header lacks."""
    present = set(columns)
    return [column for column in spec.required_columns if column not in present]


def check_columns(spec: ReportSpec, columns: Sequence[str]) -> None:
    """:class:`ReportError` when the header lacks a required column."""
    missing = missing_columns(spec, columns)
    if missing:
        header = ", ".join(columns) if columns else "(empty)"
        raise ReportError(
            f"The {spec.name} report must have the column(s) {', '.join(missing)}; "
            f"this file's header has: {header}."
        )


@lru_cache(maxsize=256)
def plan_for(spec: ReportSpec, columns: tuple[str, ...]) -> Plan:
    """The plan for ``spec`` over a file whose header is ``columns``."""
    check_columns(spec, columns)
    present = frozenset(columns)
    renames: dict[str, str] = {}
    derived: list[pl.Expr] = []
    taken: set[str] = set()
    consumed: set[str] = set()
    converted_from: dict[str, list[str]] = {}
    kept_as_is: set[str] = set()
    refusable: list[tuple[str, str, str]] = []
    for rule in (*spec.required, *spec.optional):
        if rule.column not in present:
            continue
        target = target_field(rule.field, rule.column)
        if not target:
            consumed.add(rule.column)  # the schema says: ignore this column
            continue
        if target in taken:
            continue
        taken.add(target)
        consumed.add(rule.column)
        if not changes_values(rule.conversion) and rule.column not in renames:
            renames[rule.column] = target
            kept_as_is.add(rule.column)
            continue
        name = _derived_name(len(derived), present)
        derived.append(convert(rule.conversion, rule.column, present).alias(name))
        renames[name] = target
        converted_from.setdefault(rule.column, []).append(name)
        if rule in spec.required:
            refusable.append((rule.column, target, rule.conversion))
    for column in consumed:
        renames.setdefault(column, "")  # mapped through a conversion: not also in extra
    constants: dict[str, str] = {}
    for name, value in spec.constants:
        target = target_field(name, "")
        if target:
            constants.setdefault(target, value)
    return Plan(
        derived=tuple(derived),
        mapping=ColumnMapping(
            columns=renames,
            required=frozenset(spec.required_columns),
            constants={name: value for name, value in constants.items() if name not in taken},
        ),
        defaults={name: value for name, value in constants.items() if name in taken},
        checks=tuple(
            (column, tuple(converted_from[column]), target, conversion)
            for column, target, conversion in refusable
            if column not in kept_as_is
        ),
    )


def target_field(name: str, column: str) -> str:
    """The event field a rule writes: ``extra.`` becomes ``extra.<column>``;
    a name the harmonisation lacks goes under ``extra.`` (as IntelMQ does);
    empty means "ignore"."""
    name = name.strip()
    if not name:
        return ""
    if name == EXTRA_PREFIX:
        return EXTRA_PREFIX + extra_name(column) if column.strip() else ""
    if name.startswith(EXTRA_PREFIX):
        return name
    if name in (RAW, LINE_COLUMN) or name.startswith(BAOBAB_PREFIX) or kind_of(name) is None:
        return EXTRA_PREFIX + extra_name(name)
    return name


def extra_name(column: str) -> str:
    """A column name as the part after ``extra.`` (as the tabular mapping writes it)."""
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in column.strip().lower())


def _derived_name(index: int, present: frozenset[str]) -> str:
    name = f"\x1fshadowserver.{index}"
    while name in present:
        name += "_"
    return name
