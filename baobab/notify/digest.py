"""Grouping routed events into digests: one message per (recipient, template,
format, language, grouping key) per interval, never one per event.

Within a stream (see :mod:`baobab.notify.streams`) events are grouped by the
values of the policy's grouping fields (by default ``classification.type``).
Each digest carries its counts by classification, its most restricted TLP,
its earliest and latest ``time.source`` and its events' row numbers,
earliest first: the first ``max_inline`` are listed in the message, all of
them go in the attachment.

Batch-oriented: the matched pairs become one integer each (stream, grouping
key, place in time), sorted once; digests are the runs of equal stream and
key. Python runs once per digest, not per event. Pure: no Django, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from baobab.notify.event_columns import EventColumns
from baobab.notify.policy import TLP_ORDER, Format, Policy, RecipientKey
from baobab.notify.policy_match import POLICY, ROW, match
from baobab.notify.streams import Stream, digest_id, streams_of

__all__ = ["Digest", "build_digests", "digest_id", "group"]

TYPE_FIELD = "classification.type"
_STREAM, _GROUP, _AT, _DIGEST = "stream", "group", "at", "digest"
PACKED_BITS = 64  # (stream, key, at) packed into one integer when they fit in this


@dataclass(frozen=True, slots=True, eq=False)
class Digest:
    """One message's worth of events for one recipient and interval.

    ``rows`` are positions in the events frame the digest was built from,
    earliest ``time.source`` first (events without one last).
    """

    id: str
    recipient: RecipientKey
    template: str
    format: Format
    language: str
    interval_start: dt.datetime
    group_by: tuple[str, ...]
    key: tuple[object, ...]  # the values of ``group_by`` its events share
    count: int
    by_classification: dict[str, int]  # classification.type → events ("" for none)
    tlp: str  # the most restricted TLP among its events
    earliest: dt.datetime | None
    latest: dt.datetime | None
    rows: pl.Series
    max_inline: int
    policies: tuple[int, ...]  # the policies (positions) of its stream

    @property
    def grouping(self) -> dict[str, object]:
        """The grouping key by field name."""
        return dict(zip(self.group_by, self.key, strict=True))

    @property
    def inline_rows(self) -> pl.Series:
        """The rows listed in the message itself."""
        return self.rows.head(self.max_inline)

    @property
    def truncated(self) -> bool:
        """Whether some events are only in the attachment."""
        return self.count > self.max_inline

    def attachment(self, events: pl.DataFrame) -> pl.DataFrame:
        """All its events, taken from the frame it was built from."""
        return events[self.rows]

    def inline(self, events: pl.DataFrame) -> pl.DataFrame:
        """The events listed in the message itself."""
        return events[self.inline_rows]


def _bits(count: int) -> int:
    """Bits to write the numbers 0 … count - 1."""
    return max(1, (count - 1).bit_length())


def _sorted_pairs(
    stream: pl.Series, key: pl.Series, at: pl.Series, sizes: tuple[int, int, int]
) -> pl.DataFrame:
    """The (stream, key, at) triples sorted and without repeats, with
    ``group`` numbering the distinct (stream, key) in order. One UInt64 per
    triple when they fit (one sort of integers), else a three-column sort."""
    stream_bits, key_bits, at_bits = (_bits(size) for size in sizes)
    if stream_bits + key_bits + at_bits <= PACKED_BITS:
        packed = (
            (stream.cast(pl.UInt64) * (1 << key_bits) + key) * (1 << at_bits) + at.cast(pl.UInt64)
        ).sort()
        packed = packed.filter((packed != packed.shift(1)).fill_null(value=True))
        whole = pl.lit(1 << at_bits, dtype=pl.UInt64)
        return pl.DataFrame([packed.alias("packed")]).select(
            (pl.col("packed") // (whole * (1 << key_bits))).cast(pl.UInt32).alias(_STREAM),
            (pl.col("packed") // whole).alias(_GROUP),
            (pl.col("packed") % whole).cast(pl.UInt32).alias(_AT),
        )
    table = pl.DataFrame([stream.alias(_STREAM), key.alias("key"), at.alias(_AT)]).sort(
        _STREAM, "key", _AT
    )
    changed = [
        (pl.col(name) != pl.col(name).shift(1)).fill_null(value=True) for name in table.columns
    ]
    return table.filter(pl.any_horizontal(changed)).select(
        _STREAM,
        (changed[0] | changed[1]).cum_sum().cast(pl.UInt64).alias(_GROUP),
        _AT,
    )


def _type_counts(
    digest: pl.Series, types: pl.Series, names: list[object], digests: int
) -> list[dict[str, int]]:
    """Per digest, its events by classification type."""
    width = len(names) + 1
    packed = (digest.cast(pl.UInt64) * width + types.cast(pl.UInt64)).sort()
    runs = packed.rle().struct.unnest()
    counts: list[dict[str, int]] = [{} for _ in range(digests)]
    for length, value in runs.iter_rows():
        which, code = divmod(value, width)
        name = names[code] if code < len(names) else None
        counts[which][str(name) if name is not None else ""] = length
    return counts


def _digests_of(
    columns: EventColumns,
    rows: pl.Series,
    stream: pl.Series,
    streams: Sequence[Stream],
    group_by: tuple[str, ...],
) -> list[tuple[int, Digest]]:
    """The digests, with their stream, of pairs whose streams group by ``group_by``."""
    keys, key_count = columns.key_codes(group_by)
    table = _sorted_pairs(
        stream,
        keys.gather(rows),
        columns.position.gather(rows),
        (len(streams), key_count, columns.events.height),
    )
    starts = (pl.col(_GROUP) != pl.col(_GROUP).shift(1)).fill_null(value=True)
    table = table.with_columns((starts.cum_sum() - 1).cast(pl.UInt32).alias(_DIGEST))
    at = table.get_column(_AT)
    ordered_rows = columns.order.gather(at)
    table = table.with_columns(
        pl.col(_DIGEST).set_sorted(),
        ordered_rows.alias(ROW),
        columns.tlp.gather(ordered_rows).alias("tlp"),
        columns.times.gather(at).alias("time"),
    )
    summary = table.group_by(_DIGEST, maintain_order=True).agg(
        pl.len().alias("count"),
        pl.first(_STREAM),
        pl.first(ROW).alias("first"),
        pl.max("tlp"),
        pl.min("time").alias("earliest"),
        pl.max("time").alias("latest"),
    )
    type_codes, type_names = columns.codes(TYPE_FIELD)
    counts = _type_counts(
        table.get_column(_DIGEST), type_codes.gather(ordered_rows), type_names, summary.height
    )
    firsts = summary.get_column("first")
    values = []
    for name in group_by:
        coded, distinct = columns.codes(name)
        values.append(
            [distinct[code] if code < len(distinct) else None for code in coded.gather(firsts)]
        )
    keys_of = list(zip(*values, strict=True)) if group_by else [()] * summary.height
    found: list[tuple[int, Digest]] = []
    offset = 0
    for digest, (count, stream_index, tlp, earliest, latest) in enumerate(
        summary.select("count", _STREAM, "tlp", "earliest", "latest").iter_rows()
    ):
        owner = streams[stream_index]
        key = tuple(keys_of[digest])
        found.append(
            (
                stream_index,
                Digest(
                    id=owner.digest_id(key),
                    recipient=owner.recipient,
                    template=owner.template,
                    format=owner.format,
                    language=owner.language,
                    interval_start=owner.interval_start,
                    group_by=group_by,
                    key=key,
                    count=count,
                    by_classification=counts[digest],
                    tlp=TLP_ORDER[min(tlp, len(TLP_ORDER) - 1)],
                    earliest=earliest,
                    latest=latest,
                    rows=ordered_rows.slice(offset, count),
                    max_inline=owner.max_inline,
                    policies=owner.policies,
                ),
            )
        )
        offset += count
    return found


def group(
    events: pl.DataFrame,
    matches: pl.DataFrame,
    policies: Sequence[Policy],
    *,
    now: dt.datetime,
) -> list[Digest]:
    """The digests of the matched (``row``, ``policy``) pairs (see
    :func:`baobab.notify.policy_match.match`), each policy's interval being
    the one containing ``now`` (an aware datetime). Every matched event is
    grouped: the caller gives the events pending for the interval. Ordered
    by stream (recipient, template, format, language …), then by key."""
    if not matches.height or not policies:
        return []
    streams, stream_of = streams_of(policies, now)
    columns = EventColumns.of(events)
    rows = matches.get_column(ROW).cast(pl.UInt32)
    stream = pl.Series(_STREAM, stream_of, dtype=pl.UInt32).gather(matches.get_column(POLICY))
    found: list[tuple[int, Digest]] = []
    for fields in sorted({each.group_by for each in streams}):
        chosen = [i for i, each in enumerate(streams) if each.group_by == fields]
        if len(chosen) == len(streams):
            found += _digests_of(columns, rows, stream, streams, fields)
            continue
        mask = stream.is_in(pl.Series(chosen, dtype=pl.UInt32).implode())
        if mask.any():
            found += _digests_of(columns, rows.filter(mask), stream.filter(mask), streams, fields)
    found.sort(key=lambda item: item[0])  # stable: keys stay in order within a stream
    return [digest for _stream, digest in found]


def build_digests(
    events: pl.DataFrame, policies: Sequence[Policy], *, now: dt.datetime
) -> list[Digest]:
    """Match ``events`` against ``policies`` and group them: the digests of
    the intervals containing ``now``."""
    return group(events, match(events, policies), policies, now=now)
