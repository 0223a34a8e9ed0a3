"""The chain one chunk goes through, in memory: parse → feed defaults →
normalise → deduplication key → enrich → route. Pure: the runner reads the
chunk and stores the result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from baobab.directory.lookup import LookupIndex
from baobab.pipeline.dedup import add_dedup_keys
from baobab.pipeline.normalise import normalise
from baobab.pipeline.parsers.base import Parser, Rejected, Setup
from baobab.pipeline.route import route

Enricher = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True, slots=True)
class FeedDefaults:
    """What a feed adds to each of its events where the report says nothing."""

    name: str
    provider: str = ""
    taxonomy: str = ""
    type: str = ""
    identifier: str = ""
    dedup_fields: Sequence[str] = ()
    dedup_window_hours: int = 24
    constants: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ChunkResult:
    """A chunk's events, ready to store, and its rejected records."""

    events: pl.DataFrame
    rejected: list[Rejected]
    read: int  # records read from the chunk, good and bad


def with_feed_defaults(frame: pl.DataFrame, feed: FeedDefaults, observed_at: str) -> pl.DataFrame:
    """Fill feed name and provider, the feed's classification defaults and the
    observation time where the report left them empty."""
    defaults = {
        "feed.name": feed.name,
        "feed.provider": feed.provider,
        "classification.taxonomy": feed.taxonomy,
        "classification.type": feed.type,
        "classification.identifier": feed.identifier,
        "time.observation": observed_at,
        **feed.constants,
    }
    if "classification.type" in frame.columns:  # the taxonomy follows the report's type
        defaults.pop("classification.taxonomy")
    columns = []
    for name, value in defaults.items():
        if not value:
            continue
        if name in frame.columns:
            columns.append(pl.coalesce(pl.col(name).cast(pl.Utf8), pl.lit(value)).alias(name))
        else:
            columns.append(pl.lit(value, dtype=pl.Utf8).alias(name))
    if feed.name and "feed.name" in frame.columns:  # the feed's own name always wins
        columns = [c for c in columns if c.meta.output_name() != "feed.name"]
        columns.append(pl.lit(feed.name, dtype=pl.Utf8).alias("feed.name"))
    return frame.with_columns(columns) if columns else frame


def process_lines(
    parser: Parser,
    setup: Setup,
    lines: list[bytes],
    first_line: int,
    *,
    feed: FeedDefaults,
    observed_at: str,
    index: LookupIndex | None,
    teams: dict[int, str],
    enrich: Enricher | None = None,
) -> ChunkResult:
    """Run one chunk's lines through the whole chain."""
    parsed = parser.parse(lines, first_line, setup)
    frame = with_feed_defaults(parsed.frame, feed, observed_at)
    frame, invalid = normalise(frame)
    frame = add_dedup_keys(frame, fields=feed.dedup_fields, window_hours=feed.dedup_window_hours)
    if enrich is not None and frame.height:
        frame = enrich(frame)
    if index is not None and frame.height:
        frame = route(frame, index, teams)
    return ChunkResult(
        events=frame,
        rejected=[*parsed.rejected, *invalid],
        read=parsed.frame.height + len(parsed.rejected),
    )
