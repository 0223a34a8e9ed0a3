"""The pure look-up: query parsing, the order of precedence, nested prefixes,
conflicts, the country fallbacks, and the index against a brute-force reference."""

from __future__ import annotations

import ipaddress
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.directory.lookup import (
    ORGANISATION,
    TEAM,
    AddressQuery,
    AsnQuery,
    ClaimRecord,
    CountryQuery,
    DelegatedRecord,
    DomainQuery,
    HolderRecord,
    LookupIndex,
    PrefixQuery,
    RangeTable,
    RoutingTable,
    UnsupportedQuery,
    parse_query,
    render_reason,
)

NATIONAL_KE = HolderRecord(TEAM, 1, "ke-cirt", "Kenya CIRT", "national", "KE")
REGIONAL = HolderRecord(TEAM, 2, "africacert", "AfricaCERT", "regional", "")
ISP = HolderRecord(ORGANISATION, 3, "safcom", "Safaricom", "isp", "KE", managed_by_id=1)
ACADEMIC = HolderRecord(TEAM, 4, "kenet", "KENET CERT", "academic", "KE")
NATIONAL_GH = HolderRecord(TEAM, 5, "gh-cert", "Ghana CERT", "national", "GH")
SECTORAL = HolderRecord(TEAM, 6, "bank-cert", "Bank CERT", "sectoral", "KE")
HOLDERS = [NATIONAL_KE, REGIONAL, ISP, ACADEMIC, NATIONAL_GH, SECTORAL]

DELEGATED = [
    # IPv4: first address + count (not a CIDR block: 3 × 65,536 addresses).
    DelegatedRecord("afrinic", "ipv4", "41.80.0.0", 3 * 65536, "KE"),
    DelegatedRecord("afrinic", "ipv4", "41.83.0.0", 65536, "GH"),
    # IPv6: first address + prefix length.
    DelegatedRecord("afrinic", "ipv6", "2c0f:fe38::", 32, "KE"),
    # ASNs: first number + count.
    DelegatedRecord("afrinic", "asn", "36860", 10, "KE"),
    DelegatedRecord("afrinic", "asn", "37000", 1, "ZA"),
]


def claim(pk: int, kind: str, value: str, holder: HolderRecord, **fields: date) -> ClaimRecord:
    return ClaimRecord(pk, kind, value, holder.kind, holder.id, **fields)


def index(
    *claims: ClaimRecord,
    holders: list[HolderRecord] | None = None,
    ip_to_asn: RoutingTable | None = None,
    today: date | None = None,
) -> LookupIndex:
    return LookupIndex(
        HOLDERS if holders is None else holders,
        claims,
        DELEGATED,
        ip_to_asn=ip_to_asn,
        today=today,
    )


def holders_of(answer_index: LookupIndex, query: str) -> list[str]:
    return [match.holder.short_name for match in answer_index.lookup(query).matches]


# --- parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "normalised"),
    [
        ("198.51.100.7", "ip", "198.51.100.7"),
        ("  198.51.100.7 ", "ip", "198.51.100.7"),
        ("2001:DB8::1", "ip", "2001:db8::1"),
        ("198.51.100.0/24", "prefix", "198.51.100.0/24"),
        ("198.51.100.77/24", "prefix", "198.51.100.0/24"),
        ("2001:db8::/32", "prefix", "2001:db8::/32"),
        ("AS37100", "asn", "AS37100"),
        ("as37100", "asn", "AS37100"),
        ("37100", "asn", "AS37100"),
        ("ASN 37100", "asn", "AS37100"),
        ("Example.ORG.", "domain", "example.org"),
        ("www.example.co.ke", "domain", "www.example.co.ke"),
        ("bücher.example", "domain", "xn--bcher-kva.example"),
        ("https://www.Example.org/path?q=1#top", "url", "www.example.org"),
        ("http://user@example.org:8080/", "url", "example.org"),
        ("example.org/login.php", "url", "example.org"),
        ("http://198.51.100.7/admin", "url", "198.51.100.7"),
        ("http://[2001:db8::7]:8443/x", "url", "2001:db8::7"),
        ("ke", "country", "KE"),
        ("GH", "country", "GH"),
    ],
)
def test_parse_query_recognises_each_kind(text: str, kind: str, normalised: str) -> None:
    query = parse_query(text)
    assert query.kind == kind
    assert query.normalised == normalised


def test_parse_query_types() -> None:
    assert isinstance(parse_query("198.51.100.7"), AddressQuery)
    assert isinstance(parse_query("https://198.51.100.7/"), AddressQuery)
    assert isinstance(parse_query("198.51.100.0/24"), PrefixQuery)
    assert isinstance(parse_query("AS1"), AsnQuery)
    assert isinstance(parse_query("example.org"), DomainQuery)
    assert isinstance(parse_query("KE"), CountryQuery)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "1.2.3",
        "198.51.100.0/33",
        "2001:db8::/129",
        "AS99999999999",
        "4294967296",
        "http:///nothing",
        "two words",
        "-bad-.example",
        "K",
        "x" * 3000,
    ],
)
def test_unsupported_queries_say_what_is_expected(text: str) -> None:
    with pytest.raises(UnsupportedQuery) as caught:
        parse_query(text)
    message = str(caught.value)
    assert "Expected an IP address" in message
    assert "AS37100 or 37100" in message
    assert "two-letter country code" in message


def test_a_bad_prefix_is_named_as_such() -> None:
    with pytest.raises(UnsupportedQuery, match="not a valid IP prefix"):
        parse_query("198.51.100.0/33")


# --- precedence ----------------------------------------------------------------


def test_prefix_claim_wins_over_asn_domain_and_country() -> None:
    routing = RoutingTable([("41.80.0.0/16", 36866)])
    idx = index(
        claim(1, "prefix", "41.80.10.0/24", ISP),
        claim(2, "asn", "36866", ACADEMIC),
        claim(3, "country", "KE", SECTORAL),
        ip_to_asn=routing,
    )
    answer = idx.lookup("41.80.10.5")
    assert answer.step == "prefix"
    assert [m.holder.short_name for m in answer.matches] == ["safcom"]
    match = answer.matches[0]
    assert match.claim is not None
    assert (match.claim.id, match.claim.kind, match.claim.value) == (1, "prefix", "41.80.10.0/24")
    assert str(match.reason) == "longest matching prefix 41.80.10.0/24 claimed by safcom"
    # Outside the prefix, the routed ASN's claim answers …
    answer = idx.lookup("41.80.11.5")
    assert (answer.step, answer.resolution.asn) == ("asn", 36866)
    assert str(answer.matches[0].reason) == "routed by AS36866, claimed by kenet"
    # … and outside the route, the country of registration.
    answer = idx.lookup("41.81.0.1")
    assert answer.step == "country"
    assert answer.resolution.country == "KE"
    assert [m.holder.short_name for m in answer.matches] == ["bank-cert"]
    assert "afrinic" in str(answer.resolution.country_reason)


def test_reasons_are_translated_before_their_parameters_are_filled_in() -> None:
    french = {
        "longest matching prefix %(item)s claimed by %(holder)s": (
            "plus long préfixe correspondant %(item)s, revendiqué par %(holder)s"
        )
    }
    reason = index(claim(1, "prefix", "41.80.10.0/24", ISP)).lookup("41.80.10.5").matches[0].reason
    translated = render_reason(reason, lambda text: french.get(text, text))
    assert translated == "plus long préfixe correspondant 41.80.10.0/24, revendiqué par safcom"
    error = UnsupportedQuery("what?")
    quoted = render_reason(error.reason, lambda text: f"« {text} »")
    assert quoted == "« what? is not something Baobab can look up. »"


def test_without_ip_to_asn_an_ip_skips_the_asn_step() -> None:
    idx = index(claim(2, "asn", "36866", ACADEMIC))
    assert idx.lookup("41.80.11.5").step == "national"
    with_routes = idx.with_ip_to_asn(RoutingTable([("41.80.0.0/16", 36866)]))
    assert with_routes.lookup("41.80.11.5").step == "asn"
    assert idx.lookup("41.80.11.5").step == "national"  # the original is unchanged


def test_organisation_claims_answer_with_the_coordinating_team() -> None:
    match = index(claim(1, "asn", "36866", ISP)).lookup("AS36866").matches[0]
    assert match.holder == ISP
    assert match.coordinating_team == NATIONAL_KE
    assert str(match.reason) == "AS36866 claimed by safcom"


def test_ipv6_precedence() -> None:
    idx = index(
        claim(1, "prefix", "2c0f:fe38::/32", ACADEMIC),
        claim(2, "prefix", "2c0f:fe38:2000::/48", ISP),
    )
    assert holders_of(idx, "2c0f:fe38:2000::1") == ["safcom"]
    assert holders_of(idx, "2c0f:fe38:2001::1") == ["kenet"]
    answer = idx.lookup("2c0f:fe39::1")
    assert answer.step == "regional"  # delegated only 2c0f:fe38::/32
    assert index().lookup("2c0f:fe38:ffff::1").step == "national"
    assert holders_of(index(), "2c0f:fe38:ffff::1") == ["ke-cirt"]


def test_ipv4_mapped_ipv6_address_is_looked_up_as_ipv4() -> None:
    idx = index(claim(1, "prefix", "198.51.100.0/24", ACADEMIC))
    assert holders_of(idx, "::ffff:198.51.100.9") == ["kenet"]


def test_nested_prefixes_longest_wins_at_every_boundary() -> None:
    idx = index(
        claim(1, "prefix", "10.0.0.0/8", NATIONAL_KE),
        claim(2, "prefix", "10.1.0.0/16", ACADEMIC),
        claim(3, "prefix", "10.1.2.0/24", ISP),
        claim(4, "prefix", "10.1.2.128/25", SECTORAL),
        claim(5, "prefix", "10.1.3.0/24", NATIONAL_GH),
    )
    expected = {
        "9.255.255.255": "africacert",
        "10.0.0.0": "ke-cirt",
        "10.0.255.255": "ke-cirt",
        "10.1.0.0": "kenet",
        "10.1.1.255": "kenet",
        "10.1.2.0": "safcom",
        "10.1.2.127": "safcom",
        "10.1.2.128": "bank-cert",
        "10.1.2.255": "bank-cert",
        "10.1.3.0": "gh-cert",
        "10.1.3.255": "gh-cert",
        "10.1.4.0": "kenet",
        "10.1.255.255": "kenet",
        "10.2.0.0": "ke-cirt",
        "10.255.255.255": "ke-cirt",
        "11.0.0.0": "africacert",
    }
    for address, holder in expected.items():
        assert holders_of(idx, address) == [holder], address


def test_prefix_query_answers_the_claim_covering_the_whole_prefix() -> None:
    idx = index(
        claim(1, "prefix", "10.0.0.0/8", NATIONAL_KE),
        claim(2, "prefix", "10.1.2.0/24", ISP),
    )
    assert holders_of(idx, "10.1.2.0/25") == ["safcom"]
    assert holders_of(idx, "10.1.2.0/24") == ["safcom"]
    # A /16 holding the /24 is covered only by the /8.
    answer = idx.lookup("10.1.0.0/16")
    assert [m.holder.short_name for m in answer.matches] == ["ke-cirt"]
    assert "10.0.0.0/8" in str(answer.matches[0].reason)
    assert idx.lookup("0.0.0.0/0").step == "regional"


def test_prefix_query_country_needs_one_country_for_the_whole_prefix() -> None:
    assert index().lookup("41.80.0.0/15").resolution.country == "KE"  # two KE /16s
    assert index().lookup("41.82.0.0/15").resolution.country is None  # KE and GH
    assert index().lookup("41.79.0.0/15").resolution.country is None  # a gap and KE


def test_conflicts_return_every_holder_of_the_most_specific_item() -> None:
    idx = index(
        claim(1, "prefix", "198.51.100.0/24", ISP),
        claim(2, "prefix", "198.51.100.0/24", ACADEMIC),
        claim(3, "prefix", "198.51.0.0/16", NATIONAL_KE),
        claim(4, "domain", "example.ke", ACADEMIC),
        claim(5, "domain", "example.ke", SECTORAL),
    )
    answer = idx.lookup("198.51.100.1")
    assert answer.resolution.conflict
    assert {m.holder.short_name for m in answer.matches} == {"safcom", "kenet"}
    assert {m.claim.id for m in answer.matches if m.claim} == {1, 2}
    assert not idx.lookup("198.51.1.1").resolution.conflict
    assert {m.holder.short_name for m in idx.lookup("www.example.ke").matches} == {
        "kenet",
        "bank-cert",
    }


def test_domain_longest_suffix_on_label_boundaries() -> None:
    idx = index(
        claim(1, "domain", "ke", NATIONAL_GH),
        claim(2, "domain", "ac.ke", ACADEMIC),
        claim(3, "domain", "uonbi.ac.ke", ISP),
    )
    assert holders_of(idx, "www.uonbi.ac.ke") == ["safcom"]
    assert holders_of(idx, "uonbi.ac.ke") == ["safcom"]
    assert holders_of(idx, "xuonbi.ac.ke") == ["kenet"]
    assert holders_of(idx, "https://mail.strathmore.ac.ke/owa") == ["kenet"]
    assert holders_of(idx, "example.co.ke") == ["gh-cert"]
    reason = str(idx.lookup("www.uonbi.ac.ke").matches[0].reason)
    assert reason == "longest matching domain uonbi.ac.ke claimed by safcom"


def test_cctld_gives_the_country_of_an_unclaimed_domain() -> None:
    idx = index(claim(1, "country", "GB", SECTORAL))
    answer = idx.lookup("www.example.ke")
    assert (answer.step, answer.resolution.country) == ("national", "KE")
    assert holders_of(idx, "www.example.ke") == ["ke-cirt"]
    assert ".ke" in str(answer.resolution.country_reason)
    assert holders_of(idx, "example.co.uk") == ["bank-cert"]  # .uk is GB
    assert idx.lookup("example.org").step == "regional"
    assert idx.lookup("example.eu").resolution.country is None


def test_url_with_an_ip_host_is_an_ip_lookup() -> None:
    idx = index(claim(1, "prefix", "198.51.100.0/24", ISP))
    answer = idx.lookup("http://198.51.100.7:8080/login")
    assert answer.query.kind == "url"
    assert answer.step == "prefix"


def test_delegated_fallback_for_ips_and_asns() -> None:
    idx = index()
    answer = idx.lookup("41.82.255.255")  # the last address of the 3 × /16 KE range
    assert (answer.step, answer.resolution.country) == ("national", "KE")
    assert idx.lookup("41.83.0.0").resolution.country == "GH"
    assert holders_of(idx, "41.83.0.0") == ["gh-cert"]
    assert idx.lookup("AS36869").resolution.country == "KE"
    assert idx.lookup("AS36870").resolution.country is None
    # A country without a national CSIRT falls to the regional coordinator.
    answer = idx.lookup("AS37000")
    assert (answer.step, answer.resolution.country) == ("regional", "ZA")
    assert holders_of(idx, "AS37000") == ["africacert"]


def test_registered_country_of_addresses_and_the_flat_table() -> None:
    idx = index()
    ke_last = int(ipaddress.ip_address("41.82.255.255"))
    assert idx.registered_country(4, ke_last) == "KE"
    assert idx.registered_country(4, ke_last + 1) == "GH"
    assert idx.registered_country(4, int(ipaddress.ip_address("8.8.8.8"))) is None
    mapped = int(ipaddress.ip_address("::ffff:41.83.0.1"))
    assert idx.registered_country(6, mapped) == "GH"
    assert idx.registered_country(6, int(ipaddress.ip_address("2c0f:fe38::1"))) == "KE"

    starts, countries = idx.registered_countries(4)
    assert starts[0] == 0
    assert starts == sorted(starts)
    assert list(zip(starts, countries, strict=True)) == [
        (0, None),
        (int(ipaddress.ip_address("41.80.0.0")), "KE"),
        (int(ipaddress.ip_address("41.83.0.0")), "GH"),
        (int(ipaddress.ip_address("41.84.0.0")), None),
    ]
    # The same lists every time, also from a copy with another IP → ASN mapping.
    assert idx.registered_countries(4) is idx.registered_countries(4)
    copy = idx.with_ip_to_asn(RoutingTable([("41.80.0.0/16", 33771)]))
    assert copy.registered_countries(4) is idx.registered_countries(4)
    assert copy.registered_countries(6)[1] == [None, "KE", None]


def test_country_claims_come_before_national_teams() -> None:
    idx = index(claim(1, "country", "KE", SECTORAL))
    assert holders_of(idx, "KE") == ["bank-cert"]
    assert holders_of(idx, "GH") == ["gh-cert"]
    assert holders_of(idx, "ZA") == ["africacert"]


def test_nobody_when_there_is_no_regional_coordinator() -> None:
    idx = index(holders=[NATIONAL_KE])
    answer = idx.lookup("ZA")
    assert answer.step == "none"
    assert answer.matches == ()


def test_expired_and_future_claims_do_not_match() -> None:
    today = date(2026, 3, 1)
    idx = index(
        claim(1, "domain", "old.ke", ISP, valid_until=date(2026, 2, 28)),
        claim(2, "domain", "new.ke", ISP, valid_from=date(2026, 3, 2)),
        claim(3, "domain", "now.ke", ISP, valid_from=today, valid_until=today),
        today=today,
    )
    assert idx.lookup("old.ke").step == "national"
    assert idx.lookup("new.ke").step == "national"
    assert idx.lookup("now.ke").step == "domain"


def test_claims_of_unknown_holders_and_bad_values_are_skipped() -> None:
    idx = index(
        ClaimRecord(1, "prefix", "198.51.100.0/24", TEAM, 999),
        claim(2, "prefix", "not a prefix", ISP),
        claim(3, "asn", "AS-bad", ISP),
    )
    assert idx.skipped == 2
    assert idx.lookup("198.51.100.1").step == "regional"


def test_batch_resolution_matches_single_lookups() -> None:
    idx = index(
        claim(1, "prefix", "198.51.100.0/24", ISP),
        claim(2, "prefix", "2001:db8::/32", ACADEMIC),
    )
    batch = [
        "198.51.100.7",
        ipaddress.ip_address("198.51.100.8"),
        "2001:db8::1",
        "41.80.0.1",
        "198.51.100.7",
        None,
        "not an address",
        "::ffff:198.51.100.1",
    ]
    results = idx.resolve_addresses(batch)
    assert results[5] is None
    assert results[6] is None
    for item, result in zip(batch, results, strict=True):
        if item is None or item == "not an address":
            continue
        assert result == idx.lookup(str(item)).resolution
    assert idx.resolve_integers(4, [int(ipaddress.ip_address("198.51.100.9"))]) == [results[0]]


def test_range_table_drops_partial_overlaps_and_repeats() -> None:
    table = RangeTable([(0, 9, "a"), (5, 14, "b"), (0, 9, "c"), (2, 3, "d")])
    assert table.dropped == 2
    found = [table.find(x) for x in (0, 2, 4, 9, 10)]
    assert [node.value if node else None for node in found] == ["a", "d", "a", "a", None]


# --- the index against a brute-force reference ---------------------------------


def brute_force(claims: list[ClaimRecord], first: int, last: int, version: int) -> set[int]:
    """The ids of the most specific prefix claims holding first … last."""
    best: set[int] = set()
    best_length = -1
    for item in claims:
        network = ipaddress.ip_network(item.value)
        if network.version != version:
            continue
        if int(network.network_address) <= first and last <= int(network.broadcast_address):
            if network.prefixlen > best_length:
                best, best_length = {item.id}, network.prefixlen
            elif network.prefixlen == best_length:
                best.add(item.id)
    return best


def _prefix(version: int, value: int, length: int) -> str:
    bits = 32 if version == 4 else 128
    network = ipaddress.ip_network((value >> (bits - length) << (bits - length), length))
    return str(network)


# Addresses from a small space (a few varying bits) so that prefixes nest,
# repeat and border each other often.
_V4 = st.builds(
    lambda a, b, c: (10 << 24) | (a << 20) | (b << 8) | c,
    st.integers(0, 7),
    st.integers(0, 7),
    st.integers(0, 3),
)
_V6 = st.builds(
    lambda a, b, c: (0x20010DB8 << 96) | (a << 80) | (b << 16) | c,
    st.integers(0, 7),
    st.integers(0, 7),
    st.integers(0, 3),
)


@st.composite
def prefix_claims(draw: st.DrawFn, version: int) -> list[ClaimRecord]:
    addresses, lengths = (_V4, st.integers(8, 32)) if version == 4 else (_V6, st.integers(32, 128))
    items = draw(st.lists(st.tuples(addresses, lengths, st.sampled_from(HOLDERS)), max_size=30))
    return [
        claim(pk, "prefix", _prefix(version, value, length), holder)
        for pk, (value, length, holder) in enumerate(items, start=1)
    ]


@settings(max_examples=150, deadline=None)
@given(
    v4=prefix_claims(4),
    v6=prefix_claims(6),
    v4_addresses=st.lists(_V4, min_size=1, max_size=20),
    v6_addresses=st.lists(_V6, min_size=1, max_size=20),
)
def test_index_agrees_with_brute_force(
    v4: list[ClaimRecord],
    v6: list[ClaimRecord],
    v4_addresses: list[int],
    v6_addresses: list[int],
) -> None:
    claims = v4 + [
        ClaimRecord(item.id + 1000, item.kind, item.value, item.holder_kind, item.holder_id)
        for item in v6
    ]
    idx = LookupIndex(HOLDERS, claims)
    for version, addresses in ((4, v4_addresses), (6, v6_addresses)):
        for value in addresses:
            expected = brute_force(claims, value, value, version)
            resolution = idx.resolve_ip(version, value)
            found = {m.claim.id for m in resolution.matches if m.claim is not None}
            assert found == expected
            assert (resolution.step == "prefix") == bool(expected)
            text = str(ipaddress.ip_address(value))
            assert idx.lookup(text).resolution == resolution
        # Prefix queries: the most specific claims covering the whole prefix,
        # around the queried addresses and around the claimed prefixes
        # themselves (the prefix, one bit shorter, one bit longer).
        networks = [
            ipaddress.ip_network(_prefix(version, value, length))
            for value in addresses[:5]
            for length in ((8, 20, 24, 31, 32) if version == 4 else (32, 64, 100, 127, 128))
        ]
        for item in (v4 if version == 4 else v6)[:10]:
            network = ipaddress.ip_network(item.value)
            networks.append(network)
            if network.prefixlen > 0:
                networks.append(network.supernet())
            if network.prefixlen < network.max_prefixlen:
                networks.extend(network.subnets())
        for network in networks:
            first, last = int(network.network_address), int(network.broadcast_address)
            expected = brute_force(claims, first, last, version)
            answer = idx.lookup(str(network))
            found = {m.claim.id for m in answer.matches if m.claim is not None}
            assert found == expected, str(network)
