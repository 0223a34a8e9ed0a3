"""Which policies want which routed events, for a whole batch at once.

The events are a polars frame with the pipeline's flat dotted field names;
a field it lacks counts as empty. Scope is a join of the events' team and
organisation ids with the policies' (so the work grows with the pairs found,
not with events × policies); the other filters are comparisons and look-ups
over the pairs, one vectorised step each. Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from baobab.notify.policy import (
    DEFAULT_TLP,
    SEVERITY_FIELD,
    SEVERITY_RANK,
    TLP_RANK,
    Policy,
    normalise_tlp,
)
from baobab.pipeline import fields as f

ROW = "row"
POLICY = "policy"
_NOT_A_LABEL = len(TLP_RANK)  # above RED: an event with such a TLP goes to nobody
_UNKNOWN_SEVERITY = -1
_EMPTY = pl.DataFrame(schema={ROW: pl.UInt32, POLICY: pl.UInt32})

# The set filters: the policy's set and the event field it tests.
_SET_FILTERS: tuple[tuple[Callable[[Policy], frozenset[str]], str], ...] = (
    (lambda policy: policy.types, "classification.type"),
    (lambda policy: policy.taxonomies, "classification.taxonomy"),
    (lambda policy: policy.feeds, "feed.name"),
)


def column(events: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Series:
    """``events[name]`` as ``dtype``; all nulls when the frame lacks it."""
    if name in events.columns:
        return events.get_column(name).cast(dtype)
    return pl.Series(name, [None] * events.height, dtype=dtype)


def codes(values: pl.Series) -> tuple[pl.Series, list[object]]:
    """Each value's position among the sorted distinct values (UInt32); null
    gets one past the last. Returns the codes and the distinct values."""
    distinct = values.drop_nulls().unique().sort()
    coded = values.replace_strict(
        distinct,
        pl.int_range(distinct.len(), dtype=pl.UInt32, eager=True),
        default=distinct.len(),
        return_dtype=pl.UInt32,
    )
    return coded, distinct.to_list()


def _ranks(values: pl.Series, rank_of: Callable[[str | None], int]) -> pl.Series:
    """Each value mapped through ``rank_of`` (called once per distinct value)."""
    distinct = values.drop_nulls().unique().to_list()
    return values.replace_strict(
        distinct,
        [rank_of(value) for value in distinct],
        default=rank_of(None),
        return_dtype=pl.Int8,
    )


def tlp_ranks(events: pl.DataFrame) -> pl.Series:
    """Each event's TLP rank (``clear`` 0 … ``red`` 4; a missing or empty TLP
    is the pipeline's default, text that is no TLP label ranks above RED)."""
    if "tlp" not in events.columns:
        return pl.Series("tlp", [TLP_RANK[DEFAULT_TLP]] * events.height, dtype=pl.Int8)

    def rank_of(label: str | None) -> int:
        value = normalise_tlp(label or None)
        return TLP_RANK[value] if value is not None else _NOT_A_LABEL

    return _ranks(events.get_column("tlp").cast(pl.Utf8()), rank_of)


def _severity_ranks(events: pl.DataFrame) -> pl.Series:
    def rank_of(label: str | None) -> int:
        return SEVERITY_RANK.get((label or "").strip().lower(), _UNKNOWN_SEVERITY)

    return _ranks(column(events, SEVERITY_FIELD, pl.Utf8()), rank_of)


def _scope_pairs(events: pl.DataFrame, policies: Sequence[Policy]) -> pl.DataFrame:
    """(row, policy) for every event inside a policy's scope, each pair once."""
    rows = pl.int_range(events.height, dtype=pl.UInt32, eager=True).alias(ROW)
    parts: list[pl.DataFrame] = []
    for name, wanted in ((f.TEAM_ID, "team_ids"), (f.ORGANISATION_ID, "organisation_ids")):
        scope = [
            (holder, index)
            for index, policy in enumerate(policies)
            if not policy.any_constituency
            for holder in getattr(policy, wanted)
        ]
        if not scope:
            continue
        table = pl.DataFrame(scope, schema={"holder": pl.Int64, POLICY: pl.UInt32}, orient="row")
        side = pl.DataFrame([rows, column(events, name, pl.Int64()).alias("holder")])
        parts.append(side.join(table, on="holder").select(ROW, POLICY))
    # Policies scoped by team and organisation: the same pair may come from both.
    both = [
        index
        for index, policy in enumerate(policies)
        if policy.team_ids and policy.organisation_ids and not policy.any_constituency
    ]
    everywhere = [index for index, policy in enumerate(policies) if policy.any_constituency]
    if everywhere:
        wanted_by_all = pl.Series(POLICY, everywhere, dtype=pl.UInt32).to_frame()
        parts.append(rows.to_frame().join(wanted_by_all, how="cross"))
    if not parts:
        return _EMPTY
    pairs = pl.concat(parts)
    if len(parts) > 1 and both:
        twice = pl.col(POLICY).is_in(pl.Series(both, dtype=pl.UInt32).implode())
        pairs = pl.concat([pairs.filter(~twice), pairs.filter(twice).unique()])
    return pairs


def _set_filter(
    pairs: pl.DataFrame,
    events: pl.DataFrame,
    policies: Sequence[Policy],
    wanted: Callable[[Policy], frozenset[str]],
    name: str,
) -> pl.Series | None:
    """Whether each pair's event has a value its policy's set names (always
    true for a policy with an empty set); None when no policy sets one. The
    sets form a policies × values table looked up in one gather."""
    if not any(wanted(policy) for policy in policies):
        return None
    coded, values = codes(column(events, name, pl.Utf8()))
    width = len(values) + 1  # the last column: the event has no value
    table: list[bool] = []
    for policy in policies:
        chosen = wanted(policy)
        table.extend([value in chosen for value in values] if chosen else [True] * len(values))
        table.append(not chosen)
    offsets = pairs.get_column(POLICY).cast(pl.UInt64) * width
    at = offsets + coded.gather(pairs.get_column(ROW)).cast(pl.UInt64)
    return pl.Series(table, dtype=pl.Boolean).gather(at)


def match(events: pl.DataFrame, policies: Sequence[Policy]) -> pl.DataFrame:
    """The (``row``, ``policy``) pairs, both UInt32, of every event (its
    position in ``events``) each policy wants (its position in ``policies``):
    inside its scope, of its classifications and feeds, severe enough, and
    no more restricted than its TLP allows. Sorted by row, then policy."""
    if not events.height or not policies:
        return _EMPTY
    pairs = _scope_pairs(events, policies)
    if not pairs.height:
        return _EMPTY
    rows, chosen = pairs.get_column(ROW), pairs.get_column(POLICY)
    ceilings = pl.Series([policy.max_tlp_rank for policy in policies], dtype=pl.Int8)
    keep = tlp_ranks(events).gather(rows) <= ceilings.gather(chosen)
    if any(policy.min_severity for policy in policies):
        floors = pl.Series(
            [SEVERITY_RANK[p.min_severity] if p.min_severity else 0 for p in policies],
            dtype=pl.Int8,
        )
        severity = _severity_ranks(events).gather(rows)
        keep &= (severity == _UNKNOWN_SEVERITY) | (severity >= floors.gather(chosen))
    for wanted, name in _SET_FILTERS:
        allowed = _set_filter(pairs, events, policies, wanted, name)
        if allowed is not None:
            keep &= allowed
    return _sorted(pairs.filter(keep), len(policies))


def _sorted(pairs: pl.DataFrame, width_: int) -> pl.DataFrame:
    """``pairs`` by row, then policy (< ``width_``): one sort of one integer per pair."""
    width = pl.lit(width_, dtype=pl.UInt64)
    packed = pairs.select((pl.col(ROW).cast(pl.UInt64) * width + pl.col(POLICY)).sort())
    return packed.select(
        (pl.first() // width).cast(pl.UInt32).alias(ROW),
        (pl.first() % width).cast(pl.UInt32).alias(POLICY),
    )
