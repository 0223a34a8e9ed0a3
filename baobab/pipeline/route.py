"""Routing: every event gets the team responsible for its source, through the
directory's look-up and its order of precedence (prefix, ASN, domain,
country's national CSIRT), with the claim that matched. Events nobody in the
community answers for (no match, or only the regional coordinator's
catch-all) stay unrouted. Pure: no Django, no I/O; one look-up per distinct
address, name or AS number."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from baobab.directory.lookup import TEAM, LookupIndex, Resolution
from baobab.pipeline import fields as f
from baobab.pipeline.enrichment.tables import ipv4_integers

UNROUTED_STEPS = frozenset({"regional", "none"})
_HOST = r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#\[\]]+)"


@dataclass(frozen=True, slots=True)
class Route:
    """What routing decided for one resolution."""

    team_id: int | None
    team: str | None
    organisation_id: int | None
    claim_id: int | None
    step: str
    abuse_contact: str | None
    conflict: bool


def _route_of(resolution: Resolution | None, teams: dict[int, str]) -> Route:
    if resolution is None or resolution.step in UNROUTED_STEPS or not resolution.matches:
        step = resolution.step if resolution is not None else "none"
        return Route(None, None, None, None, step, None, False)
    match = resolution.matches[0]
    holder = match.holder
    team_id: int | None
    organisation_id: int | None
    if holder.kind == TEAM:
        team_id, organisation_id = holder.id, None
    else:
        team_id, organisation_id = holder.managed_by_id, holder.id
    return Route(
        team_id=team_id,
        team=teams.get(team_id) if team_id is not None else None,
        organisation_id=organisation_id,
        claim_id=match.claim.id if match.claim is not None else None,
        step=resolution.step,
        abuse_contact=holder.email or None,
        conflict=resolution.conflict,
    )


def route(frame: pl.DataFrame, index: LookupIndex, teams: dict[int, str]) -> pl.DataFrame:
    """``frame`` with the routing columns: ``baobab.team_id``, ``baobab.team``
    (short name), ``baobab.organisation_id``, ``baobab.claim_id``,
    ``baobab.route.step`` and ``baobab.route.conflict``; ``source.abuse_contact``
    is filled from the responsible holder where the event has none.

    ``teams`` maps team ids to short names.
    """
    height = frame.height
    resolutions: list[Resolution | None] = [None] * height
    if "source.ip" in frame.columns:
        resolutions = _resolve_addresses(frame["source.ip"], index)
    pending = [i for i, found in enumerate(resolutions) if found is None]
    if pending:
        hosts = _hosts(frame)
        asns = frame["source.asn"].to_list() if "source.asn" in frame.columns else None
        networks = frame["source.network"].to_list() if "source.network" in frame.columns else None
        memo: dict[object, Resolution] = {}
        for i in pending:
            host = hosts[i] if hosts is not None else None
            network = networks[i] if networks is not None else None
            if network:
                found = memo.get(network)
                if found is None:  # the most specific claim covering the whole prefix
                    found = memo[network] = index.lookup(network).resolution
                resolutions[i] = found
            elif host:
                found = memo.get(host)
                if found is None:
                    found = memo[host] = index.resolve_domain(host)
                resolutions[i] = found
            elif asns is not None and asns[i] is not None:
                asn_key = ("asn", asns[i])
                found = memo.get(asn_key)
                if found is None:
                    found = memo[asn_key] = index.resolve_asn(int(asns[i]))
                resolutions[i] = found
    routes: dict[int, Route] = {}
    rows: list[Route] = []
    for resolution in resolutions:
        key = id(resolution)
        found_route = routes.get(key)
        if found_route is None:
            found_route = routes[key] = _route_of(resolution, teams)
        rows.append(found_route)
    columns = [
        pl.Series(f.TEAM_ID, [r.team_id for r in rows], dtype=pl.Int64),
        pl.Series(f.TEAM, [r.team for r in rows], dtype=pl.Utf8),
        pl.Series(f.ORGANISATION_ID, [r.organisation_id for r in rows], dtype=pl.Int64),
        pl.Series(f.CLAIM_ID, [r.claim_id for r in rows], dtype=pl.Int64),
        pl.Series(f.ROUTE_STEP, [r.step for r in rows], dtype=pl.Utf8),
        pl.Series("baobab.route.conflict", [r.conflict for r in rows], dtype=pl.Boolean),
    ]
    routed = frame.with_columns(columns)
    contacts = pl.Series("contact", [r.abuse_contact for r in rows], dtype=pl.Utf8)
    if "source.abuse_contact" in frame.columns:
        filled = pl.select(pl.coalesce(frame["source.abuse_contact"], contacts)).to_series()
    else:
        filled = contacts
    return routed.with_columns(filled.alias("source.abuse_contact"))


def _resolve_addresses(addresses: pl.Series, index: LookupIndex) -> list[Resolution | None]:
    """The resolution of each address (None where there is none): IPv4
    addresses turned into integers in one go and each distinct one resolved
    once; the others (IPv6) from their text."""
    values = ipv4_integers(addresses)
    distinct = values.drop_nulls().unique()
    found = index.resolve_integers(4, distinct.to_list())
    where = (
        values.to_frame("value")
        .join(
            distinct.to_frame("value").with_row_index("at"),
            on="value",
            how="left",
            maintain_order="left",
        )
        .get_column("at")
    )
    resolutions: list[Resolution | None] = [
        found[at] if at is not None else None for at in where.to_list()
    ]
    others = (values.is_null() & addresses.is_not_null()).arg_true().to_list()
    if others:
        wide = index.resolve_addresses(addresses.gather(others).to_list())
        for row, resolution in zip(others, wide, strict=True):
            resolutions[row] = resolution
    return resolutions


def _hosts(frame: pl.DataFrame) -> list[str | None] | None:
    """Per event, the host name to route by: ``source.fqdn``, else the URL's host."""
    candidates = []
    if "source.fqdn" in frame.columns:
        candidates.append(frame["source.fqdn"])
    if "source.url" in frame.columns:
        candidates.append(frame["source.url"].str.extract(_HOST, 1).str.to_lowercase())
    if not candidates:
        return None
    return pl.select(pl.coalesce(candidates)).to_series().to_list()
