"""Who handles this? The in-memory look-up index and its order of precedence.

Pure Python, no Django and no I/O: the index is built from plain records
(:class:`HolderRecord`, :class:`ClaimRecord`, :class:`DelegatedRecord`) and
answers a parsed query (:func:`parse_query`) with the responsible teams or
organisations, the claim that matched and why. Most specific wins:

1. an IP prefix claim (longest prefix; for a prefix query, the most specific
   claim covering the whole prefix);
2. an ASN claim (for an IP, only when an IP → ASN mapping is plugged in);
3. a domain claim, for names and URLs (longest suffix on label boundaries);
4. the country's national CSIRT: country claims first, then national teams
   of that country. The country comes from the RIR delegated statistics (IPs,
   ASNs), the country-code top-level domain (names) or the query itself;
5. the regional coordinator(s).

When several holders claim the same most specific item, all of them are
returned (a conflict). IP ranges are flattened into sorted, non-overlapping
integer segments searched with :mod:`bisect`; ASNs, domains and countries are
dictionaries. Reasons carry an English template and its parameters so that the
Django side can translate them; :func:`gettext_noop` marks them for extraction.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")

TEAM = "team"
ORGANISATION = "organisation"

# The precedence steps, in order; NONE when nothing answered.
STEP_PREFIX = "prefix"
STEP_ASN = "asn"
STEP_DOMAIN = "domain"
STEP_COUNTRY = "country"
STEP_NATIONAL = "national"
STEP_REGIONAL = "regional"
STEP_NONE = "none"
STEPS = (STEP_PREFIX, STEP_ASN, STEP_DOMAIN, STEP_COUNTRY, STEP_NATIONAL, STEP_REGIONAL)

MAX_ASN = 4_294_967_295
MAX_QUERY_LENGTH = 2048
_ASN = re.compile(r"^(?:ASN?\s*)?(\d{1,10})$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Country-code top-level domains whose code is not the ISO 3166 code.
_CCTLD_COUNTRY = {"UK": "GB"}
_NOT_COUNTRIES = frozenset({"EU", "SU", "AC"})


def gettext_noop(message: str) -> str:
    """Mark ``message`` for translation; the Django side translates it when shown."""
    return message


EXPECTED = gettext_noop(
    "Expected an IP address (198.51.100.7), an IP prefix (198.51.100.0/24), "
    "an AS number (AS37100 or 37100), a domain name (example.org), "
    "a URL (https://example.org/page) or a two-letter country code (KE)."
)
_NATIONAL_REASON = gettext_noop("no claim matched; %(holder)s is the national CSIRT of %(country)s")
_REGIONAL_REASON = gettext_noop(
    "no claim or national CSIRT matched; %(holder)s is the regional coordinator"
)


@dataclass(frozen=True, slots=True)
class Reason:
    """A human explanation: an English template and its parameters."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template % self.params if self.params else self.template


class UnsupportedQuery(ValueError):  # noqa: N818 - the name the look-up's callers know
    """A query that is none of the things the look-up answers.

    ``reason`` says what was given and what is expected; ``str()`` is English.
    """

    def __init__(self, text: str, template: str | None = None) -> None:
        self.text = text
        if template is None:
            template = (
                gettext_noop("Nothing to look up.")
                if not text.strip()
                else gettext_noop("%(value)s is not something Baobab can look up.")
            )
        self.reason = Reason(template, {"value": text[:100]})
        self.expected = Reason(EXPECTED)
        super().__init__(f"{self.reason} {self.expected}")


# --- queries ----------------------------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """An IP address, given as such or as the host of a URL."""

    text: str
    address: Address
    url: str | None = None

    @property
    def kind(self) -> str:
        return "url" if self.url else "ip"

    @property
    def normalised(self) -> str:
        return str(self.address)


@dataclass(frozen=True, slots=True)
class PrefixQuery:
    """An IP prefix (host bits are cleared)."""

    text: str
    network: Network
    kind: str = "prefix"

    @property
    def normalised(self) -> str:
        return str(self.network)


@dataclass(frozen=True, slots=True)
class AsnQuery:
    """An autonomous system number."""

    text: str
    asn: int
    kind: str = "asn"

    @property
    def normalised(self) -> str:
        return f"AS{self.asn}"


@dataclass(frozen=True, slots=True)
class DomainQuery:
    """A domain name, given as such or as the host of a URL."""

    text: str
    domain: str
    url: str | None = None

    @property
    def kind(self) -> str:
        return "url" if self.url else "domain"

    @property
    def normalised(self) -> str:
        return self.domain


@dataclass(frozen=True, slots=True)
class CountryQuery:
    """A two-letter ISO 3166 country code."""

    text: str
    country: str
    kind: str = "country"

    @property
    def normalised(self) -> str:
        return self.country


Query = AddressQuery | PrefixQuery | AsnQuery | DomainQuery | CountryQuery


def _domain(text: str) -> str | None:
    """The normalised domain name in ``text``, or None when it is not one."""
    value = text.strip().lower().rstrip(".").removeprefix("*.")
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = value.split(".")
    if len(labels) < 2 or len(value) > 253 or labels[-1].isdigit():
        return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return value


def _host_query(text: str, host: str, url: str) -> Query:
    try:
        return AddressQuery(text, ipaddress.ip_address(host), url=url)
    except ValueError:
        pass
    domain = _domain(host)
    if domain is None:
        raise UnsupportedQuery(text, gettext_noop("The URL %(value)s has no host name to look up."))
    return DomainQuery(text, domain, url=url)


def _url_query(text: str) -> Query | None:
    from urllib.parse import urlsplit  # noqa: PLC0415 - only URLs need it

    candidate = text if "://" in text else f"//{text}"
    try:
        host = urlsplit(candidate).hostname
    except ValueError:
        host = None
    if not host:
        if "://" in text:
            raise UnsupportedQuery(
                text, gettext_noop("The URL %(value)s has no host name to look up.")
            )
        return None
    return _host_query(text, host, url=text)


def parse_query(text: str) -> Query:
    """Recognise what ``text`` is: IP, prefix, ASN, domain, URL or country code.

    Raises :class:`UnsupportedQuery`, whose message says what is expected.
    """
    value = text.strip()
    if not value or len(value) > MAX_QUERY_LENGTH:
        raise UnsupportedQuery(text)
    if "/" not in value:
        try:
            return AddressQuery(text, ipaddress.ip_address(value))
        except ValueError:
            pass
    elif "://" not in value:
        try:
            return PrefixQuery(text, ipaddress.ip_network(value, strict=False))
        except ValueError:
            address, _slash, length = value.partition("/")
            if length.isdigit() and _address_value(address) is not None:
                raise UnsupportedQuery(
                    text,
                    gettext_noop(
                        "%(value)s is not a valid IP prefix (such as 198.51.100.0/24 or "
                        "2001:db8::/32)."
                    ),
                ) from None
    match = _ASN.match(value)
    if match:
        asn = int(match.group(1))
        if asn > MAX_ASN:
            raise UnsupportedQuery(text, gettext_noop("%(value)s is too large for an AS number."))
        return AsnQuery(text, asn)
    if _COUNTRY.match(value):
        return CountryQuery(text, value.upper())
    if "://" in value or "/" in value or "?" in value or "#" in value:
        url_query = _url_query(value)
        if url_query is not None:
            return url_query
    domain = _domain(value)
    if domain is not None:
        return DomainQuery(text, domain)
    raise UnsupportedQuery(text)


# --- records the index is built from -----------------------------------------


@dataclass(frozen=True, slots=True)
class HolderRecord:
    """A team or an organisation that can hold claims.

    ``category`` is the team type or the organisation kind; ``managed_by_id``
    the coordinating team of an organisation.
    """

    kind: str
    id: int
    short_name: str
    name: str
    category: str = ""
    country: str = ""
    managed_by_id: int | None = None
    email: str = ""
    phone_24x7: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A constituency claim with its normalised value (see ``directory.claims``)."""

    id: int
    kind: str
    value: str
    holder_kind: str
    holder_id: int
    valid_from: date | None = None
    valid_until: date | None = None

    @property
    def holder_key(self) -> tuple[str, int]:
        return (self.holder_kind, self.holder_id)

    def valid_on(self, day: date | None) -> bool:
        """Whether the claim applies on ``day`` (always, when no day is given)."""
        if day is None:
            return True
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class DelegatedRecord:
    """A row of RIR delegated statistics: IPv4 first address + count, IPv6
    first address + prefix length, ASN first number + count."""

    registry: str
    kind: str
    first: str
    size: int
    country: str


# --- sorted integer ranges ---------------------------------------------------


@dataclass(slots=True, eq=False)
class RangeNode(Generic[V]):
    """One range of a :class:`RangeTable` and the range that encloses it."""

    first: int
    last: int
    value: V
    parent: RangeNode[V] | None = None
    memo: Any = None


class RangeTable(Generic[V]):
    """Nested or disjoint integer ranges, flattened into non-overlapping
    segments each carrying its most specific range, searched with bisect.

    A range that partly overlaps an earlier one, or repeats it exactly, is
    left out and counted in ``dropped``; callers merge equal ranges first.
    """

    __slots__ = ("_nodes", "_starts", "dropped", "size")

    def __init__(self, ranges: Iterable[tuple[int, int, V]]) -> None:
        starts: list[int] = []
        nodes: list[RangeNode[V] | None] = []
        stack: list[RangeNode[V]] = []
        dropped = size = 0

        def mark(position: int, node: RangeNode[V] | None) -> None:
            if starts and starts[-1] == position:
                nodes[-1] = node
            else:
                starts.append(position)
                nodes.append(node)

        for first, last, value in sorted(ranges, key=lambda item: (item[0], -item[1])):
            while stack and stack[-1].last < first:
                ended = stack.pop()
                mark(ended.last + 1, stack[-1] if stack else None)
            parent = stack[-1] if stack else None
            if parent is not None and (
                last > parent.last or (first == parent.first and last == parent.last)
            ):
                dropped += 1
                continue
            node = RangeNode(first, last, value, parent)
            mark(first, node)
            stack.append(node)
            size += 1
        while stack:
            ended = stack.pop()
            mark(ended.last + 1, stack[-1] if stack else None)
        self._starts = starts
        self._nodes = nodes
        self.dropped = dropped
        self.size = size

    def __len__(self) -> int:
        return self.size

    def find(self, value: int) -> RangeNode[V] | None:
        """The most specific range holding ``value``."""
        i = bisect_right(self._starts, value) - 1
        return self._nodes[i] if i >= 0 else None

    def covering(self, first: int, last: int) -> RangeNode[V] | None:
        """The most specific range holding all of ``first`` … ``last``."""
        node = self.find(first)
        while node is not None and node.last < last:
            node = node.parent
        return node

    def values_between(self, first: int, last: int) -> list[V | None]:
        """The values of the segments meeting ``first`` … ``last`` (None for gaps)."""
        low = bisect_right(self._starts, first) - 1
        high = bisect_right(self._starts, last)
        found: list[V | None] = [] if low >= 0 else [None]
        found.extend(
            node.value if node is not None else None for node in self._nodes[max(low, 0) : high]
        )
        return found


def _address_value(text: str) -> tuple[int, int] | None:
    """(IP version, integer) of an address in ``text``, or None."""
    try:
        if ":" in text:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError):
        pass
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.version, int(address)


def _prefix_range(text: str) -> tuple[int, int, int]:
    """(version, first, last) of a prefix written ``address/length``."""
    address, _slash, length_text = text.partition("/")
    parsed = _address_value(address)
    bits = 128 if parsed is not None and parsed[0] == 6 else 32
    if parsed is None or not length_text.isdigit() or int(length_text) > bits:
        network = ipaddress.ip_network(text, strict=False)  # raises ValueError
        return network.version, int(network.network_address), int(network.broadcast_address)
    host_mask = (1 << (bits - int(length_text))) - 1
    first = parsed[1] & ~host_mask
    return parsed[0], first, first | host_mask


class IpToAsn(Protocol):
    """What the index needs from an IP → ASN mapping (routing tables)."""

    def asn_for(self, version: int, value: int) -> int | None: ...

    def asn_covering(self, version: int, first: int, last: int) -> int | None: ...


class RoutingTable:
    """An IP → ASN mapping from announced prefixes (longest prefix wins)."""

    def __init__(self, routes: Iterable[tuple[str, int]]) -> None:
        per_version: dict[int, dict[tuple[int, int], int]] = {4: {}, 6: {}}
        for prefix, asn in routes:
            version, first, last = _prefix_range(prefix)
            per_version[version].setdefault((first, last), asn)
        self._tables = {
            version: RangeTable((first, last, asn) for (first, last), asn in routes_.items())
            for version, routes_ in per_version.items()
        }

    def asn_for(self, version: int, value: int) -> int | None:
        """The origin AS of the most specific route holding the address."""
        node = self._tables[version].find(value)
        return node.value if node is not None else None

    def asn_covering(self, version: int, first: int, last: int) -> int | None:
        """The origin AS of the most specific route holding the whole range."""
        node = self._tables[version].covering(first, last)
        return node.value if node is not None else None


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
        return _prefix_range(f"{record.first}/{record.size}")
    parsed = _address_value(record.first)
    if parsed is None or parsed[0] != 4:
        raise ValueError(record.first)
    return 4, parsed[1], parsed[1] + record.size - 1


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
                    version, first, last = _prefix_range(claim.value)
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
        country = _CCTLD_COUNTRY.get(tld, tld)
        if len(tld) == 2 and tld.isalpha() and tld not in _NOT_COUNTRIES:
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
                parsed = _address_value(address)
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
                (STEP_NATIONAL, _NATIONAL_REASON) if national else (STEP_REGIONAL, _REGIONAL_REASON)
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
