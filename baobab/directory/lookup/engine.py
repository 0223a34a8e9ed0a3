"""The look-up index itself: the order of precedence and the answers it gives."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from baobab.directory.lookup.queries import (
    CCTLD_COUNTRY,
    NATIONAL_REASON,
    NOT_COUNTRIES,
    ORGANISATION,
    REGIONAL_REASON,
    STEP_ASN,
    STEP_COUNTRY,
    STEP_DOMAIN,
    STEP_NATIONAL,
    STEP_NONE,
    STEP_PREFIX,
    STEP_REGIONAL,
    TEAM,
    Address,
    AddressQuery,
    AsnQuery,
    DomainQuery,
    PrefixQuery,
    Query,
    Reason,
    gettext_noop,
    parse_query,
)
from baobab.directory.lookup.ranges import IpToAsn, RangeTable, address_value, prefix_range
from baobab.directory.lookup.records import ClaimRecord, DelegatedRecord, HolderRecord

# --- answers -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """One responsible holder: the claim (if any) that matched and why."""

    basis: str
    holder: HolderRecord
    claim: ClaimRecord | None
    reason: Reason
    coordinating_team: HolderRecord | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """What the precedence rules decided, independent of the query's spelling."""

    step: str
    matches: tuple[Match, ...] = ()
    country: str | None = None
    country_reason: Reason | None = None
    asn: int | None = None

    @property
    def conflict(self) -> bool:
        """Whether several holders share the deciding step."""
        return len({match.holder.key for match in self.matches}) > 1


@dataclass(frozen=True, slots=True)
class Answer:
    """A query and its resolution."""

    query: Query
    resolution: Resolution

    @property
    def step(self) -> str:
        return self.resolution.step

    @property
    def matches(self) -> tuple[Match, ...]:
        return self.resolution.matches


_GroupKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class _ClaimGroup:
    item: str
    claims: tuple[ClaimRecord, ...]


@dataclass(slots=True)
class _Family:
    """The tables of one IP version."""

    claims: RangeTable[_ClaimGroup]
    delegated: RangeTable[DelegatedRecord]


def _delegated_range(record: DelegatedRecord) -> tuple[int, int, int]:
    """(table, first, last) of a delegated row: table 4, 6 or 0 for ASNs."""
    if record.kind == "asn":
        first = int(record.first)
        return 0, first, first + record.size - 1
    if record.kind == "ipv6":
        return prefix_range(f"{record.first}/{record.size}")
    parsed = address_value(record.first)
    if parsed is None or parsed[0] != 4:
        raise ValueError(record.first)
    return 4, parsed[1], parsed[1] + record.size - 1


def _country_of(record: DelegatedRecord) -> str | None:
    """The country code of a delegated row, upper case; None when it has none."""
    return record.country.upper() if len(record.country) == 2 else None


def _delegated_label(record: DelegatedRecord) -> str:
    if record.kind == "asn":
        return f"AS{record.first}-AS{int(record.first) + record.size - 1}"
    if record.kind == "ipv6":
        return f"{record.first}/{record.size}"
    return f"{record.first} + {record.size}"


class LookupIndex:
    """The "who handles this?" index over claims, holders and delegated data.

    Immutable once built; build a new one when the data change. ``ip_to_asn``
    (for example a :class:`RoutingTable`) adds the ASN step for IPs.
    """

    def __init__(
        self,
        holders: Iterable[HolderRecord],
        claims: Iterable[ClaimRecord],
        delegated: Iterable[DelegatedRecord] = (),
        *,
        ip_to_asn: IpToAsn | None = None,
        today: date | None = None,
    ) -> None:
        self.today = today
        self.ip_to_asn = ip_to_asn
        self.holders = {holder.key: holder for holder in holders}
        self.skipped = 0
        prefixes: dict[int, dict[_GroupKey, list[ClaimRecord]]] = {4: {}, 6: {}}
        labels: dict[tuple[int, int, int], str] = {}
        self._asn: dict[int, list[ClaimRecord]] = defaultdict(list)
        self._domain: dict[str, list[ClaimRecord]] = defaultdict(list)
        self._country: dict[str, list[ClaimRecord]] = defaultdict(list)
        for claim in claims:
            if claim.holder_key not in self.holders or not claim.valid_on(today):
                continue
            try:
                if claim.kind == STEP_PREFIX:
                    version, first, last = prefix_range(claim.value)
                    prefixes[version].setdefault((first, last), []).append(claim)
                    labels.setdefault((version, first, last), claim.value)
                elif claim.kind == STEP_ASN:
                    self._asn[int(claim.value)].append(claim)
                elif claim.kind == STEP_DOMAIN:
                    self._domain[claim.value].append(claim)
                elif claim.kind == STEP_COUNTRY:
                    self._country[claim.value.upper()].append(claim)
                else:
                    self.skipped += 1
            except ValueError:
                self.skipped += 1
        delegated_ranges: dict[int, list[tuple[int, int, DelegatedRecord]]] = {0: [], 4: [], 6: []}
        for record in delegated:
            try:
                table, first, last = _delegated_range(record)
            except ValueError:
                self.skipped += 1
                continue
            delegated_ranges[table].append((first, last, record))
        self._families = {
            version: _Family(
                claims=RangeTable(
                    (first, last, _ClaimGroup(labels[version, first, last], tuple(group)))
                    for (first, last), group in prefixes[version].items()
                ),
                delegated=RangeTable(delegated_ranges[version]),
            )
            for version in (4, 6)
        }
        self._asn_delegated = RangeTable(delegated_ranges[0])
        self._national: dict[str, list[HolderRecord]] = defaultdict(list)
        self._regional: list[HolderRecord] = []
        for holder in sorted(self.holders.values(), key=lambda item: item.short_name.lower()):
            if holder.kind != TEAM:
                continue
            if holder.category == STEP_NATIONAL and holder.country:
                self._national[holder.country].append(holder)
            elif holder.category == STEP_REGIONAL:
                self._regional.append(holder)
        self._memo: dict[tuple[Any, ...], Resolution] = {}
        # Shared with the copies made by with_ip_to_asn (same delegated data).
        self._registered_tables: dict[int, tuple[list[int], list[str | None]]] = {}

    def with_ip_to_asn(self, ip_to_asn: IpToAsn | None) -> LookupIndex:
        """A copy of this index that uses another IP → ASN mapping.

        The claim tables are shared: a prefix claim wins before any ASN.
        """
        copy = object.__new__(LookupIndex)
        copy.__dict__.update(self.__dict__)
        copy.ip_to_asn = ip_to_asn
        copy._memo = {}
        return copy

    # -- sizes --

    def counts(self) -> dict[str, int]:
        """How many items of each kind the index holds."""
        return {
            "holders": len(self.holders),
            "ipv4_prefixes": len(self._families[4].claims),
            "ipv6_prefixes": len(self._families[6].claims),
            "asns": len(self._asn),
            "domains": len(self._domain),
            "countries": len(self._country),
            "delegated": len(self._families[4].delegated)
            + len(self._families[6].delegated)
            + len(self._asn_delegated),
        }

    # -- the public look-ups --

    def lookup(self, query: Query | str) -> Answer:
        """Answer a query (text is parsed first and may raise UnsupportedQuery)."""
        if isinstance(query, str):
            query = parse_query(query)
        if isinstance(query, AddressQuery):
            return Answer(query, self.resolve_ip(query.address.version, int(query.address)))
        if isinstance(query, PrefixQuery):
            network = query.network
            return Answer(
                query,
                self._resolve_range(
                    network.version,
                    int(network.network_address),
                    int(network.broadcast_address),
                ),
            )
        if isinstance(query, AsnQuery):
            return Answer(query, self.resolve_asn(query.asn))
        if isinstance(query, DomainQuery):
            return Answer(query, self.resolve_domain(query.domain))
        return Answer(query, self.resolve_country(query.country))

    def resolve_ip(self, version: int, value: int) -> Resolution:
        """The resolution for one address given as (IP version, integer).

        IPv4-mapped IPv6 addresses (``::ffff:198.51.100.7``) are IPv4.
        """
        if version == 6 and value >> 32 == 0xFFFF:
            version, value = 4, value & 0xFFFFFFFF
        family = self._families[version]
        node = family.claims.find(value)
        if node is not None:
            resolution: Resolution | None = node.memo
            if resolution is None:
                resolution = node.memo = self._claim_resolution(
                    STEP_PREFIX,
                    node.value.claims,
                    gettext_noop("longest matching prefix %(item)s claimed by %(holder)s"),
                    node.value.item,
                )
            return resolution
        asn = self.ip_to_asn.asn_for(version, value) if self.ip_to_asn is not None else None
        registered = family.delegated.find(value)
        return self._after_prefix(asn, registered.value if registered is not None else None)

    def resolve_asn(self, asn: int) -> Resolution:
        """The resolution for an AS number."""
        key = ("asn", asn)
        found = self._memo.get(key)
        if found is None:
            claims = self._asn.get(asn)
            if claims:
                found = self._claim_resolution(
                    STEP_ASN, claims, gettext_noop("AS%(item)s claimed by %(holder)s"), asn, asn=asn
                )
            else:
                registered = self._asn_delegated.find(asn)
                country, reason = self._registered(registered.value if registered else None)
                found = self._country_fallback(country, reason, asn)
            self._memo[key] = found
        return found

    def resolve_domain(self, domain: str) -> Resolution:
        """The resolution for a normalised domain name (longest claimed suffix)."""
        labels = domain.split(".")
        for start in range(len(labels)):
            suffix = ".".join(labels[start:])
            claims = self._domain.get(suffix)
            if claims:
                key = ("domain", suffix)
                found = self._memo.get(key)
                if found is None:
                    found = self._memo[key] = self._claim_resolution(
                        STEP_DOMAIN,
                        claims,
                        gettext_noop("longest matching domain %(item)s claimed by %(holder)s"),
                        suffix,
                    )
                return found
        tld = labels[-1].upper()
        country = CCTLD_COUNTRY.get(tld, tld)
        if len(tld) == 2 and tld.isalpha() and tld not in NOT_COUNTRIES:
            reason = Reason(
                gettext_noop("the top-level domain .%(tld)s is the country code of %(country)s"),
                {"tld": tld.lower(), "country": country},
            )
            return self._country_fallback(country, reason, None)
        return self._country_fallback(None, None, None)

    def resolve_country(self, country: str) -> Resolution:
        """The resolution for a two-letter country code."""
        country = country.upper()
        reason = Reason(
            gettext_noop("the query is the country code %(country)s"), {"country": country}
        )
        return self._country_fallback(country, reason, None)

    def registered_country(self, version: int, value: int) -> str | None:
        """The country of registration of one address (IP version, integer)
        according to the RIR delegated statistics, or None."""
        if version == 6 and value >> 32 == 0xFFFF:
            version, value = 4, value & 0xFFFFFFFF
        node = self._families[version].delegated.find(value)
        return _country_of(node.value) if node is not None else None

    def registered_countries(self, version: int) -> tuple[list[int], list[str | None]]:
        """The countries of registration of one IP version as a flat table for
        bulk look-ups: sorted segment starts (the first is 0) and the country of
        each segment up to the next start (None where nothing is registered).

        Built once per index; the same (read-only) lists are returned on every
        call and by copies made with :meth:`with_ip_to_asn`, so a caller that
        derives its own table from them can tell when the data changed.
        """
        table = self._registered_tables.get(version)
        if table is None:
            starts, records = self._families[version].delegated.segments()
            countries = [_country_of(record) if record is not None else None for record in records]
            if not starts or starts[0] != 0:
                starts.insert(0, 0)
                countries.insert(0, None)
            table = self._registered_tables[version] = (starts, countries)
        return table

    def resolve_addresses(
        self, addresses: Iterable[str | Address | None]
    ) -> list[Resolution | None]:
        """Resolve a batch of IPv4/IPv6 addresses (text or ip_address objects).

        Repeated addresses are resolved once; None stands for a missing or
        unreadable address.
        """
        seen: dict[Any, Resolution | None] = {}
        results: list[Resolution | None] = []
        append = results.append
        resolve = self.resolve_ip
        for address in addresses:
            if address in seen:
                append(seen[address])
                continue
            resolution: Resolution | None = None
            if isinstance(address, str):
                parsed = address_value(address)
                if parsed is not None:
                    resolution = resolve(*parsed)
            elif address is not None:
                resolution = resolve(address.version, int(address))
            seen[address] = resolution
            append(resolution)
        return results

    def resolve_integers(self, version: int, values: Sequence[int]) -> list[Resolution]:
        """Resolve a batch of addresses of one IP version given as integers."""
        resolve = self.resolve_ip
        return [resolve(version, value) for value in values]

    # -- precedence --

    def _resolve_range(self, version: int, first: int, last: int) -> Resolution:
        family = self._families[version]
        node = family.claims.covering(first, last)
        if node is not None:
            return self._claim_resolution(
                STEP_PREFIX,
                node.value.claims,
                gettext_noop(
                    "most specific prefix %(item)s covering the query, claimed by %(holder)s"
                ),
                node.value.item,
            )
        asn = (
            self.ip_to_asn.asn_covering(version, first, last)
            if self.ip_to_asn is not None
            else None
        )
        records = family.delegated.values_between(first, last)
        countries = {record.country if record is not None else None for record in records}
        return self._after_prefix(asn, records[0] if len(countries) == 1 else None)

    def _after_prefix(self, asn: int | None, registered: DelegatedRecord | None) -> Resolution:
        key = ("ip", asn, id(registered))
        found = self._memo.get(key)
        if found is None:
            claims = self._asn.get(asn) if asn is not None else None
            if claims:
                found = self._claim_resolution(
                    STEP_ASN,
                    claims,
                    gettext_noop("routed by AS%(item)s, claimed by %(holder)s"),
                    asn,
                    asn=asn,
                )
            else:
                country, reason = self._registered(registered)
                found = self._country_fallback(country, reason, asn)
            self._memo[key] = found
        return found

    @staticmethod
    def _registered(record: DelegatedRecord | None) -> tuple[str | None, Reason | None]:
        if record is None or len(record.country) != 2:
            return None, None
        return record.country.upper(), Reason(
            gettext_noop(
                "registered in %(country)s according to the %(registry)s delegated statistics "
                "(%(range)s)"
            ),
            {
                "country": record.country.upper(),
                "registry": record.registry,
                "range": _delegated_label(record),
            },
        )

    def _country_fallback(
        self, country: str | None, country_reason: Reason | None, asn: int | None
    ) -> Resolution:
        key = ("country", country, asn, str(country_reason))
        found = self._memo.get(key)
        if found is not None:
            return found
        claims = self._country.get(country) if country else None
        national = self._national.get(country) if country else None
        if claims:
            found = self._claim_resolution(
                STEP_COUNTRY,
                claims,
                gettext_noop("country %(item)s claimed by %(holder)s"),
                country,
                country=country,
                country_reason=country_reason,
                asn=asn,
            )
        elif national or self._regional:
            step, template = (
                (STEP_NATIONAL, NATIONAL_REASON) if national else (STEP_REGIONAL, REGIONAL_REASON)
            )
            matches = tuple(
                Match(
                    step,
                    team,
                    None,
                    Reason(template, {"holder": team.short_name, "country": country}),
                )
                for team in national or self._regional
            )
            found = Resolution(step, matches, country, country_reason, asn)
        else:
            found = Resolution(STEP_NONE, (), country, country_reason, asn)
        self._memo[key] = found
        return found

    def _claim_resolution(
        self,
        step: str,
        claims: Iterable[ClaimRecord],
        template: str,
        item: object,
        *,
        country: str | None = None,
        country_reason: Reason | None = None,
        asn: int | None = None,
    ) -> Resolution:
        matches = []
        for claim in sorted(claims, key=lambda c: (c.holder_kind, self._name(c), c.id)):
            holder = self.holders[claim.holder_key]
            coordinating = (
                self.holders.get((TEAM, holder.managed_by_id))
                if holder.kind == ORGANISATION and holder.managed_by_id is not None
                else None
            )
            reason = Reason(template, {"item": item, "holder": holder.short_name})
            matches.append(Match(step, holder, claim, reason, coordinating))
        return Resolution(step, tuple(matches), country, country_reason, asn)

    def _name(self, claim: ClaimRecord) -> str:
        return self.holders[claim.holder_key].short_name.lower()


Translate = Callable[[str], str]


def render_reason(reason: Reason, translate: Translate = gettext_noop) -> str:
    """The reason's text through ``translate`` (for example Django's gettext)."""
    text = translate(reason.template)
    return text % reason.params if reason.params else text
