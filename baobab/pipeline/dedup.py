"""Deduplication keys: one deterministic hash per event over its key fields
and the time window it falls in. The database holds the key as unique, so an
event seen again within the window (a report ingested twice, a feed that
repeats itself) is stored once. Pure: no Django, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import blake2b

import polars as pl

from baobab.pipeline.fields import BAOBAB_PREFIX, DEDUP_KEY, MOMENT_FORMAT, NOT_IN_DEDUP_KEY
from baobab.pipeline.parsers.base import LINE_COLUMN, RAW


def key_fields(frame: pl.DataFrame, fields: Sequence[str] = ()) -> list[str]:
    """The fields the key is computed over: ``fields`` when given, else every
    event field but ``raw``, ``time.observation`` and Baobab's own."""
    if fields:
        return sorted(name for name in set(fields) if name in frame.columns)
    return sorted(
        name
        for name in frame.columns
        if name not in NOT_IN_DEDUP_KEY
        and name not in (LINE_COLUMN, RAW)
        and not name.startswith(BAOBAB_PREFIX)
    )


def add_dedup_keys(
    frame: pl.DataFrame, *, fields: Sequence[str] = (), window_hours: int = 24
) -> pl.DataFrame:
    """``frame`` with a ``baobab.dedup_key`` column (40 hex digits).

    A null field counts as absent, so a column a feed adds later with no value
    changes no key. The window is counted from ``time.source`` (or, for events
    without one, ``time.observation``) in whole periods since 1970.
    """
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(DEDUP_KEY))
    names = key_fields(frame, fields)
    # "name=value", or null when the value is null (and then left out).
    parts = [pl.concat_str(pl.lit(f"{name}="), pl.col(name).cast(pl.Utf8)) for name in names]
    window_seconds = max(window_hours, 1) * 3600
    moments = [
        pl.col(name).str.strptime(pl.Datetime("us"), MOMENT_FORMAT, strict=False)
        for name in ("time.source", "time.observation")
        if name in frame.columns
    ]
    if moments:
        bucket = (pl.coalesce(moments).dt.epoch("s") // window_seconds).cast(pl.Utf8)
    else:
        bucket = pl.lit("")
    text = frame.select(
        pl.concat_str(
            [*parts, pl.concat_str(pl.lit("window="), bucket)], separator="\x1f", ignore_nulls=True
        )
    ).to_series()
    keys = [blake2b(value, digest_size=20).hexdigest() for value in text.cast(pl.Binary).to_list()]
    return frame.with_columns(pl.Series(DEDUP_KEY, keys, dtype=pl.Utf8))
