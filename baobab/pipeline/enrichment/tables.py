"""In-memory range tables of the offline enrichment.

IP ranges are flattened into sorted, non-overlapping segments, each carrying
the value of its most specific range. One address is looked up with
:func:`bisect.bisect_right`; a whole IPv4 column at once with polars'
``search_sorted``. Pure: no Django, no I/O.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import MutableSequence, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import polars as pl

V = TypeVar("V")

_IPV4_PATTERN = r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$"
_MAPPED_PREFIX = 0xFFFF  # ::ffff:a.b.c.d, an IPv4 address written as IPv6


def unmapped(version: int, value: int) -> tuple[int, int]:
    """(version, integer) of an address, an IPv4-mapped IPv6 address as IPv4."""
    if version == 6 and value >> 32 == _MAPPED_PREFIX:
        return 4, value & 0xFFFFFFFF
    return version, value


def ipv4_integers(texts: pl.Series) -> pl.Series:
    """The IPv4 addresses of a text column as Int64 (null for anything else)."""
    octets = [pl.col(str(group)).cast(pl.Int64) for group in (1, 2, 3, 4)]
    value = octets[0] * 16_777_216 + octets[1] * 65_536 + octets[2] * 256 + octets[3]
    return (  # the lazy engine runs this about twice as fast as eager calls
        texts.cast(pl.Utf8)
        .to_frame("text")
        .lazy()
        .select(pl.col("text").str.extract_groups(_IPV4_PATTERN).alias("octets"))
        .unnest("octets")
        .select(pl.when(pl.max_horizontal(octets) <= 255).then(value).alias(texts.name))
        .collect()
        .to_series()
    )


class Segments(Generic[V]):
    """Sorted, non-overlapping segments of one address space: segment ``i``
    runs from ``starts[i]`` to ``starts[i + 1] - 1`` and carries ``values[i]``
    (None for a gap). The first segment starts at 0."""

    __slots__ = ("starts", "values")

    def __init__(self, starts: Sequence[int], values: Sequence[V | None]) -> None:
        if len(starts) != len(values):
            raise ValueError("starts and values differ in length")
        if not starts or starts[0] != 0:
            starts, values = [0, *starts], [None, *values]
        self.starts = starts
        self.values = values

    def __len__(self) -> int:
        return len(self.starts)

    def find(self, value: int) -> V | None:
        """The value of the segment holding ``value``."""
        return self.values[bisect_right(self.starts, value) - 1]


@dataclass(slots=True)
class Flattened:
    """Nested-or-disjoint ranges flattened: the segments (whose values are the
    index of their most specific range, -1 for a gap), each range's
    enclosing range (-1 for none) and how many ranges were left out."""

    segments: Segments[int]
    parents: MutableSequence[int]
    dropped: int


def flatten(firsts: Sequence[int], lasts: Sequence[int], *, wide: bool = False) -> Flattened:
    """Flatten ranges sorted by (first, -last), given as parallel sequences.

    A range that repeats or partly overlaps the range enclosing it is left out
    (prefixes never partly overlap). ``wide`` keeps the segment starts in a
    list (IPv6 integers do not fit a 64-bit array).
    """
    starts: MutableSequence[int] = [0] if wide else array("q", [0])
    owners: MutableSequence[int] = array("q", [-1])
    parents: MutableSequence[int] = array("q", [-1]) * len(firsts)
    stack: list[int] = []  # the open ranges, innermost last
    dropped = 0
    # A hot loop (a million routes): segment marks are inlined.
    for index, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        while stack and lasts[stack[-1]] < first:
            ended = stack.pop()
            position, owner = lasts[ended] + 1, (stack[-1] if stack else -1)
            if starts[-1] == position:
                owners[-1] = owner
            else:
                starts.append(position)
                owners.append(owner)
        if stack:
            parent = stack[-1]
            if last > lasts[parent] or (first == firsts[parent] and last == lasts[parent]):
                dropped += 1
                continue
            parents[index] = parent
        if starts[-1] == first:
            owners[-1] = index
        else:
            starts.append(first)
            owners.append(index)
        stack.append(index)
    while stack:
        ended = stack.pop()
        position, owner = lasts[ended] + 1, (stack[-1] if stack else -1)
        if starts[-1] == position:
            owners[-1] = owner
        else:
            starts.append(position)
            owners.append(owner)
    return Flattened(Segments(starts, owners), parents, dropped)


def _array(column: pl.Series) -> array[int]:
    """A 64-bit integer column as a compact array (converted a slice at a time)."""
    values = array("q")
    for offset in range(0, len(column), 65_536):
        values.extend(column.slice(offset, 65_536).to_list())
    return values


@dataclass(slots=True)
class _Routes:
    """The routes of one IP version, flattened."""

    flat: Flattened
    lasts: Sequence[int]
    asns: Sequence[int]


class AsnTable:
    """IP → origin AS from announced prefixes: the most specific route wins.

    It is what the directory index needs from an IP → ASN mapping
    (``asn_for``/``asn_covering``), so it can be plugged in with
    ``baobab.directory.index.set_ip_to_asn``.
    """

    __slots__ = ("_routes", "dropped", "size")

    def __init__(self, ipv4: pl.DataFrame, ipv6: Sequence[tuple[int, int, int]]) -> None:
        """``ipv4``: columns first, last, asn (Int64); ``ipv6``: (first, last, asn) tuples."""
        ipv4 = ipv4.unique(subset=["first", "last"], keep="first", maintain_order=True).sort(
            ["first", "last"], descending=[False, True]
        )
        firsts, lasts, asns = (_array(ipv4.get_column(name)) for name in ("first", "last", "asn"))
        wide: dict[tuple[int, int], int] = {}
        for first, last, asn in ipv6:
            wide.setdefault((first, last), asn)
        ordered = sorted(wide.items(), key=lambda item: (item[0][0], -item[0][1]))
        v6_firsts = [first for (first, _last), _asn in ordered]
        v6_lasts = [last for (_first, last), _asn in ordered]
        self._routes = {
            4: _Routes(flatten(firsts, lasts), lasts, asns),
            6: _Routes(flatten(v6_firsts, v6_lasts, wide=True), v6_lasts, [a for _r, a in ordered]),
        }
        self.dropped = sum(routes.flat.dropped for routes in self._routes.values())
        self.size = len(firsts) + len(v6_firsts) - self.dropped

    def __len__(self) -> int:
        return self.size

    def asn_for(self, version: int, value: int) -> int | None:
        """The origin AS of the most specific route holding the address."""
        version, value = unmapped(version, value)
        routes = self._routes[version]
        index = routes.flat.segments.find(value)
        return routes.asns[index] if index is not None and index >= 0 else None

    def asn_covering(self, version: int, first: int, last: int) -> int | None:
        """The origin AS of the most specific route holding all of ``first`` … ``last``."""
        routes = self._routes[version]
        index = routes.flat.segments.find(first)
        while index is not None and index >= 0 and routes.lasts[index] < last:
            index = routes.flat.parents[index]
        return routes.asns[index] if index is not None and index >= 0 else None

    def ipv4_columns(self) -> tuple[pl.Series, pl.Series]:
        """The IPv4 segments as polars columns: starts and origin AS (null in gaps)."""
        routes = self._routes[4]
        starts = pl.Series("start", routes.flat.segments.starts, dtype=pl.Int64)
        owners = pl.Series("owner", routes.flat.segments.values, dtype=pl.Int64)
        asns = pl.Series("asn", routes.asns, dtype=pl.Int64)
        # The gaps (owner -1) gather null.
        asn = asns.gather(pl.select(pl.when(owners >= 0).then(owners)).to_series())
        return starts, asn.alias("asn")


class CountryTable:
    """IP → country of registration, from the directory's delegated statistics."""

    __slots__ = ("_segments",)

    def __init__(self, ipv4: Segments[str], ipv6: Segments[str]) -> None:
        self._segments = {4: ipv4, 6: ipv6}

    def country_for(self, version: int, value: int) -> str | None:
        """The country of registration of one address, or None."""
        version, value = unmapped(version, value)
        return self._segments[version].find(value)

    def ipv4_columns(self) -> tuple[pl.Series, pl.Series]:
        """The IPv4 segments as polars columns: starts and country (null in gaps)."""
        segments = self._segments[4]
        return (
            pl.Series("start", segments.starts, dtype=pl.Int64),
            pl.Series("cc", segments.values, dtype=pl.Utf8),
        )


class Ipv4Table:
    """The origin AS and the country of every IPv4 segment in one table, so a
    column of addresses is searched once for both."""

    __slots__ = ("_asn", "_cc", "_starts")

    def __init__(self, asns: AsnTable | None, countries: CountryTable | None) -> None:
        parts = [
            (name, columns)
            for name, columns in (
                ("asn", asns.ipv4_columns() if asns is not None else None),
                ("cc", countries.ipv4_columns() if countries is not None else None),
            )
            if columns is not None
        ]
        starts = (
            pl.concat([starts for _name, (starts, _values) in parts]).unique().sort()
            if parts
            else pl.Series("start", [0], dtype=pl.Int64)
        )
        merged = pl.DataFrame({"start": starts})
        for name, (own_starts, values) in parts:
            where = own_starts.search_sorted(starts, side="right") - 1
            merged = merged.with_columns(values.gather(where).alias(name))
        # Neighbouring segments with the same values are one segment.
        keys = [name for name, _columns in parts]
        if keys:
            changed = pl.any_horizontal(
                pl.col(key).ne_missing(pl.col(key).shift(1)) for key in keys
            ) | (pl.int_range(pl.len()) == 0)
            merged = merged.filter(changed)
        self._starts = merged.get_column("start")
        self._asn = merged.get_column("asn") if "asn" in merged.columns else None
        self._cc = merged.get_column("cc") if "cc" in merged.columns else None

    def __len__(self) -> int:
        return len(self._starts)

    def search(self, addresses: pl.Series) -> tuple[pl.Series | None, pl.Series | None]:
        """The origin AS and the country of each address (Int64; null stays
        null), or None for the part this table has no data for."""
        where = self._starts.search_sorted(addresses, side="right").cast(pl.Int64) - 1
        where = pl.select(pl.when(addresses.is_not_null()).then(where)).to_series()
        asn = self._asn.gather(where) if self._asn is not None else None
        cc = self._cc.gather(where) if self._cc is not None else None
        return asn, cc
