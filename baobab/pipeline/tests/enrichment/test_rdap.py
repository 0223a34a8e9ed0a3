"""Optional RDAP look-ups against a real local HTTP server: what is asked,
what is cached and for how long, and the limits."""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import pytest

from baobab.pipeline.enrichment import RdapClient, enrich_rdap
from baobab.pipeline.enrichment.rdap import RdapAnswer, missing_addresses, parse_answer

from .conftest import Route, Server


def rdap(country: str | None = None, origins: list[int] | None = None) -> Route:
    body: dict[str, object] = {"objectClassName": "ip network", "handle": "NET-TEST"}
    if country:
        body["country"] = country
    if origins is not None:
        body["arin_originas0_originautnums"] = origins
    return Route(json.dumps(body).encode(), headers={"Content-Type": "application/rdap+json"})


@pytest.fixture
def server(http_server: Server) -> Server:
    http_server.routes.update(
        {
            "/rdap/ip/8.8.8.8": rdap("US", [15169]),
            "/rdap/ip/1.1.1.1": Route(b'{"errorCode": 404}', 404),
            "/rdap/ip/9.9.9.9": Route(b"oops", 500),
            "/rdap/ip/2001:4860:4860::8888": rdap("us"),
            "/rdap/ip/196.200.1.1": rdap("NG"),
        }
    )
    return http_server


def client_for(server: Server, tmp_path: Path, **options: float) -> RdapClient:
    return RdapClient(server.url("/rdap/"), tmp_path / "rdap-cache.json", **options)  # type: ignore[arg-type]


def test_parse_answer() -> None:
    assert parse_answer(
        {"country": "ke", "arin_originas0_originautnums": [36866, 1]}
    ) == RdapAnswer("KE", 36866)
    assert parse_answer({"country": "Kenya", "arin_originas0_originautnums": ["x"]}) == RdapAnswer()
    assert parse_answer([1, 2]) == RdapAnswer()


def test_missing_addresses() -> None:
    frame = pl.DataFrame(
        {
            "source.ip": ["8.8.8.8", "41.90.4.7", None, "8.8.8.8"],
            "source.asn": [None, 36866, None, None],
            "source.geolocation.cc": ["US", "KE", None, "US"],
            "destination.ip": ["1.1.1.1", None, None, None],
        }
    )
    assert missing_addresses(frame) == ["1.1.1.1", "8.8.8.8"]


def test_missing_values_are_asked_and_cached(server: Server, tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "source.ip": ["8.8.8.8", "1.1.1.1", "192.168.1.1", "2001:4860:4860::8888", "9.9.9.9"],
            "source.asn": [None, None, None, None, None],
            "source.geolocation.cc": [None, "AU", None, None, None],
        },
        schema_overrides={"source.asn": pl.Int64},
    )
    client = client_for(server, tmp_path)
    out = enrich_rdap(frame, client, as_names={15169: "GOOGLE"})
    assert out.select("source.asn", "source.as_name", "source.geolocation.cc").rows() == [
        (15169, "GOOGLE", "US"),
        (None, None, "AU"),
        (None, None, None),  # a private address is never sent
        (None, None, "US"),
        (None, None, None),  # the server failed: asked again next time
    ]
    assert sorted(server.requests) == [
        "/rdap/ip/1.1.1.1",
        "/rdap/ip/2001:4860:4860::8888",
        "/rdap/ip/8.8.8.8",
        "/rdap/ip/9.9.9.9",
    ]
    cache = json.loads((tmp_path / "rdap-cache.json").read_text())
    assert sorted(cache["entries"]) == ["1.1.1.1", "2001:4860:4860::8888", "8.8.8.8"]
    # Another client (another process) uses the cache: only the failure is asked again.
    server.requests.clear()
    again = enrich_rdap(frame, client_for(server, tmp_path))
    assert again.get_column("source.asn").to_list() == [15169, None, None, None, None]
    assert server.requests == ["/rdap/ip/9.9.9.9"]


def test_answers_expire(server: Server, tmp_path: Path) -> None:
    client = client_for(server, tmp_path, ttl=60)
    assert client.answers(["8.8.8.8"]) == {"8.8.8.8": RdapAnswer("US", 15169)}
    cache_path = tmp_path / "rdap-cache.json"
    cache = json.loads(cache_path.read_text())
    cache["entries"]["8.8.8.8"]["at"] = time.time() - 120
    cache_path.write_text(json.dumps(cache))
    server.requests.clear()
    assert client.answers(["8.8.8.8"]) == {"8.8.8.8": RdapAnswer("US", 15169)}
    assert server.requests == ["/rdap/ip/8.8.8.8"]


def test_at_most_max_queries_per_batch(server: Server, tmp_path: Path) -> None:
    client = client_for(server, tmp_path, max_queries=2)
    found = client.answers(["8.8.8.8", "1.1.1.1", "196.200.1.1", "9.9.9.9"])
    assert len(server.requests) == 2
    assert set(found) == {"8.8.8.8", "1.1.1.1"}
    found = client.answers(["8.8.8.8", "1.1.1.1", "196.200.1.1", "9.9.9.9"])
    assert len(server.requests) == 4  # the next batch goes on where this one stopped
    assert found["196.200.1.1"] == RdapAnswer("NG", None)


def test_slow_down_stops_the_batch(server: Server, tmp_path: Path) -> None:
    server.routes["/rdap/ip/8.8.8.8"] = Route(b"slow down", 429)
    found = client_for(server, tmp_path).answers(["8.8.8.8", "1.1.1.1"])
    assert found == {}
    assert server.requests == ["/rdap/ip/8.8.8.8"]


def test_timeout(server: Server, tmp_path: Path) -> None:
    server.routes["/rdap/ip/8.8.8.8"] = Route(b"{}", delay=2)
    started = time.monotonic()
    found = client_for(server, tmp_path, timeout=0.3).answers(["8.8.8.8", "1.1.1.1"])
    assert time.monotonic() - started < 2
    assert found == {"1.1.1.1": RdapAnswer()}


def test_a_broken_cache_file_is_ignored(server: Server, tmp_path: Path) -> None:
    (tmp_path / "rdap-cache.json").write_text("{not json", encoding="utf-8")
    assert client_for(server, tmp_path).answers(["8.8.8.8"])["8.8.8.8"].asn == 15169
    assert json.loads((tmp_path / "rdap-cache.json").read_text())["version"] == 1


def test_only_http_base_urls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an http"):
        RdapClient("file:///etc", tmp_path / "cache.json")
