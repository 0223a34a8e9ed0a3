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

from baobab.directory.lookup.engine import (
    Answer,
    LookupIndex,
    Match,
    Resolution,
    Translate,
    render_reason,
)
from baobab.directory.lookup.queries import (
    EXPECTED,
    ORGANISATION,
    STEPS,
    TEAM,
    Address,
    AddressQuery,
    AsnQuery,
    CountryQuery,
    DomainQuery,
    PrefixQuery,
    Query,
    Reason,
    UnsupportedQuery,
    parse_query,
)
from baobab.directory.lookup.ranges import IpToAsn, RangeTable, RoutingTable
from baobab.directory.lookup.records import ClaimRecord, DelegatedRecord, HolderRecord

__all__ = [
    "EXPECTED",
    "ORGANISATION",
    "STEPS",
    "TEAM",
    "Address",
    "AddressQuery",
    "Answer",
    "AsnQuery",
    "ClaimRecord",
    "CountryQuery",
    "DelegatedRecord",
    "DomainQuery",
    "HolderRecord",
    "IpToAsn",
    "LookupIndex",
    "Match",
    "PrefixQuery",
    "Query",
    "RangeTable",
    "Reason",
    "Resolution",
    "RoutingTable",
    "Translate",
    "UnsupportedQuery",
    "parse_query",
    "render_reason",
]
