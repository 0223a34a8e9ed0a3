"""The per-event columns grouping needs, computed once per batch: the order
of the events in time, their moments, TLP ranks and the integer codes of the
fields digests are grouped by. Pure: no Django, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from baobab.notify.policy_match import codes, tlp_ranks

TIME_FIELD = "time.source"
_UTC = pl.Datetime("us", "UTC")


def utc_moments(values: pl.Series) -> pl.Series:
    """Moments as ``Datetime("us", "UTC")``, whether given as ISO 8601 text
    (as the pipeline writes them) or as datetimes (naive ones are UTC).
    Text that is no moment counts as missing."""
    if values.dtype == pl.Utf8:
        if values.null_count() == values.len():
            return pl.Series(values.name, [None] * values.len(), dtype=_UTC)
        return values.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    if isinstance(values.dtype, pl.Datetime):
        if values.dtype.time_zone is None:
            values = values.dt.replace_time_zone("UTC")
        return values.dt.convert_time_zone("UTC").cast(_UTC)
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.Series(values.name, [None] * values.len(), dtype=_UTC)


@dataclass(slots=True)
class EventColumns:
    """A batch's events and what grouping derives from them.

    ``order`` lists the rows earliest ``time.source`` first (events without
    one last, ties by row): ``order[at]`` is a row, ``position[row]`` its
    ``at``. ``times`` are the moments in that same order.
    """

    events: pl.DataFrame
    order: pl.Series
    position: pl.Series
    times: pl.Series
    tlp: pl.Series  # TLP ranks, by row
    _codes: dict[str, tuple[pl.Series, list[object]]] = field(default_factory=dict)

    @classmethod
    def of(cls, events: pl.DataFrame) -> EventColumns:
        """Derive the columns of ``events``."""
        if TIME_FIELD in events.columns:
            moments = utc_moments(events.get_column(TIME_FIELD))
        else:
            moments = pl.Series(TIME_FIELD, [None] * events.height, dtype=_UTC)
        order = (
            pl.DataFrame([moments.alias("time")])
            .with_row_index("row")
            .sort("time", nulls_last=True, maintain_order=True)
        )
        at = order.get_column("row")
        return cls(
            events=events,
            order=at,
            position=at.arg_sort().cast(pl.UInt32),
            times=order.get_column("time"),
            tlp=tlp_ranks(events),
        )

    def codes(self, name: str) -> tuple[pl.Series, list[object]]:
        """The codes of field ``name`` (see :func:`~baobab.notify.policy_match.codes`)
        and its distinct values; a field the events lack is all nulls."""
        found = self._codes.get(name)
        if found is None:
            if name in self.events.columns:
                values = self.events.get_column(name)
            else:
                values = pl.Series(name, [None] * self.events.height, dtype=pl.Utf8)
            found = self._codes[name] = codes(values)
        return found

    def key_codes(self, fields: tuple[str, ...]) -> tuple[pl.Series, int]:
        """Each event's grouping key as one integer (UInt64; equal values in
        ``fields``, equal codes, in the order of the values) and how many
        codes there may be."""
        combined = pl.Series("key", [0] * self.events.height, dtype=pl.UInt64)
        size = 1
        for name in fields:
            coded, distinct = self.codes(name)
            width = len(distinct) + 1  # the last code: no value
            combined = combined * width + coded.cast(pl.UInt64)
            size *= width
            if len(fields) > 1:  # keep the codes small
                combined, found = codes(combined)
                combined, size = combined.cast(pl.UInt64), len(found)
        return combined, size
