"""The enrichment stage: for the source and the destination of every event,
the AS number and name, the country of registration and whether the address
is a Tor exit node, from in-memory tables.

Only what is missing is filled in: a value the feed gave is kept. Pure: no
Django, no I/O; :class:`Enrichment` holds the tables, loaded around it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from baobab.directory.lookup.ranges import address_value
from baobab.pipeline.enrichment.tables import AsnTable, CountryTable, Ipv4Table, ipv4_integers

SIDES = ("source", "destination")


@dataclass(frozen=True, eq=False)
class Enrichment:
    """The look-up data of the stage. A part left out (None) is not looked up
    and its columns are not added."""

    asns: AsnTable | None = None
    as_names: Mapping[int, str] | None = None
    tor_exits: frozenset[str] | None = None
    countries: CountryTable | None = None

    @cached_property
    def ipv4(self) -> Ipv4Table:
        """AS numbers and countries of IPv4 addresses, searched together."""
        return Ipv4Table(self.asns, self.countries)

    @cached_property
    def tor_list(self) -> pl.Series:
        """The Tor exit addresses as a one-row list column, for ``is_in``."""
        return pl.Series("tor", sorted(self.tor_exits or ()), dtype=pl.Utf8).implode()


def enrich(frame: pl.DataFrame, data: Enrichment) -> pl.DataFrame:
    """The frame with ``{side}.asn``, ``.as_name``, ``.geolocation.cc`` and
    ``.tor_node`` filled in where they are missing (``side`` is source and
    destination).

    ``tor_node`` becomes True for a Tor exit and is otherwise left as it was.
    Addresses are read from ``{side}.ip`` (canonical text); a column is added
    when its data are loaded and the frame has what it is derived from.
    """
    for side in SIDES:
        frame = frame.with_columns(_side_columns(frame, data, side))
    return frame


def _fill(frame: pl.DataFrame, name: str, found: pl.Series, dtype: pl.DataType) -> pl.Series:
    """``name``'s values, with ``found`` where they are missing."""
    found = found.cast(dtype)
    if name not in frame.columns:
        return found.alias(name)
    return pl.select(pl.coalesce(frame.get_column(name), found)).to_series().alias(name)


def _side_columns(frame: pl.DataFrame, data: Enrichment, side: str) -> list[pl.Series]:
    ip, asn_name, cc_name = f"{side}.ip", f"{side}.asn", f"{side}.geolocation.cc"
    columns: dict[str, pl.Series] = {}
    if ip in frame.columns:
        texts = frame.get_column(ip).cast(pl.Utf8)
        if data.asns is not None or data.countries is not None:
            asn, cc = _look_up(texts, data)
            if asn is not None:
                columns[asn_name] = _fill(frame, asn_name, asn, pl.Int64())
            if cc is not None:
                columns[cc_name] = _fill(frame, cc_name, cc, pl.Utf8())
        if data.tor_exits is not None:
            exit_node = pl.select(
                pl.when(texts.is_in(data.tor_list)).then(pl.lit(True)).otherwise(None)
            ).to_series()
            columns[f"{side}.tor_node"] = _fill(frame, f"{side}.tor_node", exit_node, pl.Boolean())
    asn = columns.get(asn_name, frame.get_column(asn_name) if asn_name in frame.columns else None)
    if data.as_names is not None and asn is not None:
        name = f"{side}.as_name"
        columns[name] = _fill(frame, name, _as_names(asn, data.as_names), pl.Utf8())
    return list(columns.values())


def _look_up(texts: pl.Series, data: Enrichment) -> tuple[pl.Series | None, pl.Series | None]:
    """The origin AS and the country of registration of each address."""
    asn, cc = data.ipv4.search(ipv4_integers(texts))
    rows = texts.str.contains(":", literal=True).fill_null(value=False).arg_true()
    if rows.is_empty():
        return asn, cc
    # IPv6 (and IPv4-mapped) addresses: each distinct one once, in Python.
    wide = texts.gather(rows)
    distinct = wide.unique().to_list()
    parsed = [address_value(text) for text in distinct]
    if asn is not None and data.asns is not None:
        found = [data.asns.asn_for(*where) if where else None for where in parsed]
        asn = _patch(asn, rows, wide, distinct, pl.Series(found, dtype=pl.Int64))
    if cc is not None and data.countries is not None:
        found_cc = [data.countries.country_for(*where) if where else None for where in parsed]
        cc = _patch(cc, rows, wide, distinct, pl.Series(found_cc, dtype=pl.Utf8))
    return asn, cc


def _patch(
    values: pl.Series, rows: pl.Series, texts: pl.Series, keys: list[str], found: pl.Series
) -> pl.Series:
    """``values`` with, at ``rows`` (whose addresses are ``texts``), the
    ``found`` value of each address in ``keys``."""
    mapped = texts.replace_strict(keys, found, default=None, return_dtype=found.dtype)
    return values.scatter(rows, mapped)


def _as_names(asns: pl.Series, names: Mapping[int, str]) -> pl.Series:
    """The name of each AS number (null when unknown)."""
    known = [asn for asn in asns.drop_nulls().unique().to_list() if asn in names]
    return asns.replace_strict(
        known, [names[asn] for asn in known], default=None, return_dtype=pl.Utf8
    )
