"""Event search and event pages: filters (IPv4 and IPv6 prefixes, AS number,
team, classification, feed, run, time, host name), the visibility rule in
every list, search and detail, and a bounded number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from baobab.pipeline.models import Event
from baobab.pipeline.tests.web.conftest import SEEN_BY, World, ingest, web

pytestmark = pytest.mark.django_db

EVENTS_URL = "/pipeline/events/"


def listed(html: str) -> set[str]:
    """The source addresses in the events table of a page."""
    table = html.split('<table id="events">', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r'href="/pipeline/events/\d+/">([0-9a-f.:]+)</a>', table))


def search(world: World, who: str = "ke-viewer", **params: Any) -> Any:
    return web(world.users[who]).get(EVENTS_URL, params)


def assert_no_inline_code(html: str) -> None:
    """The Content-Security-Policy forbids inline scripts and style attributes."""
    assert "<script" not in html
    assert 'style="' not in html


# --- who may come in ----------------------------------------------------------


@pytest.mark.parametrize(
    "url", [EVENTS_URL, "/pipeline/events/1/", "/pipeline/feeds/", "/pipeline/quarantine/"]
)
def test_anonymous_visitors_are_sent_to_log_in(world: World, url: str) -> None:
    response = web(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("url", [EVENTS_URL, "/pipeline/feeds/", "/pipeline/quarantine/"])
def test_accounts_outside_the_community_are_refused(world: World, url: str) -> None:
    assert web(world.users["loner"]).get(url).status_code == 403


# --- the visibility rule --------------------------------------------------------


@pytest.mark.parametrize("who", sorted(SEEN_BY))
def test_each_user_lists_exactly_the_events_the_rule_lets_them_see(world: World, who: str) -> None:
    response = search(world, who)
    assert response.status_code == 200
    assert listed(response.content.decode()) == SEEN_BY[who]


@pytest.mark.parametrize("who", sorted(SEEN_BY))
def test_event_pages_of_hidden_events_answer_404(world: World, who: str) -> None:
    client = web(world.users[who])
    for event in Event.objects.all():
        response = client.get(reverse("pipeline:event", args=[event.pk]))
        expected = 200 if event.source_ip in SEEN_BY[who] else 404
        assert response.status_code == expected, (who, event.source_ip)
        if expected == 404:
            assert str(event.source_ip) not in response.content.decode()


def test_searches_never_reach_hidden_events(world: World) -> None:
    # NG sees only its own event of KE's feed, whatever it searches for.
    for params in (
        {"ip": "192.0.2.0/24"},
        {"ip": "2001:db8::/32"},
        {"asn": "AS64500"},
        {"team": "KE-CIRT"},
        {"team": "GH-CERT"},
        {"feed": "gh-honeypot"},
        {"routed": "false"},
        {"classification": "scanner"},
        {"q": "shop"},
        {"run": world.gh_run.pk},
    ):
        response = search(world, "ng-viewer", **params)
        assert response.status_code == 200, params
        assert listed(response.content.decode()) == set(), params
        assert "0 events match" in response.content.decode(), params
    assert listed(search(world, "ng-viewer", feed="ke-scans", team="NG-CERT").content.decode()) == {
        "203.0.113.9"
    }


def test_unrouted_events_are_seen_by_the_feeds_team_only(world: World) -> None:
    assert listed(search(world, "ke-viewer", routed="false").content.decode()) == {"100.64.0.1"}
    assert listed(search(world, "gh-analyst", routed="false").content.decode()) == {"100.64.0.2"}
    assert listed(search(world, "ng-viewer", routed="false").content.decode()) == set()


def test_community_administrators_see_no_more_than_their_teams(world: World) -> None:
    admin = world.users["community-admin"]
    assert listed(web(admin).get(EVENTS_URL).content.decode()) == set()
    event = world.event("203.0.113.9")
    assert web(admin).get(reverse("pipeline:event", args=[event.pk])).status_code == 404


# --- filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ip": "192.0.2.0/24"}, {"192.0.2.10", "192.0.2.11", "192.0.2.20"}),
        ({"ip": "192.0.2.8/29"}, {"192.0.2.10", "192.0.2.11"}),
        ({"ip": "192.0.2.11"}, {"192.0.2.11"}),
        ({"ip": " 192.0.2.16/28 "}, {"192.0.2.20"}),
        ({"ip": "2001:db8::/32"}, {"2001:db8:100::5", "2001:db8:200::7"}),
        ({"ip": "2001:db8:200::/48"}, {"2001:db8:200::7"}),
        ({"ip": "2001:DB8:100:0::5"}, {"2001:db8:100::5"}),
        ({"asn": "AS64501"}, {"198.51.100.7", "2001:db8:200::7"}),
        ({"asn": "64502"}, {"203.0.113.9"}),
        ({"team": "GH-CERT"}, {"198.51.100.7", "2001:db8:200::7"}),
        ({"routed": "true", "feed": "gh-honeypot"}, {"192.0.2.20"}),
        ({"classification": "scanner"}, {"192.0.2.10", "2001:db8:100::5", "100.64.0.1"}),
        ({"classification": "vulnerable"}, {"198.51.100.7", "2001:db8:200::7"}),
        ({"classification": "intrusion-attempts"}, {"192.0.2.11", "192.0.2.20"}),
        ({"feed": "gh-honeypot"}, {"192.0.2.20"}),
        ({"since": "2024-05-05"}, {"2001:db8:100::5", "203.0.113.9", "100.64.0.1"}),
        ({"until": "2024-05-01"}, {"192.0.2.10", "192.0.2.20"}),
        (
            {"since": "2024-05-01T11:00:00Z", "until": "2024-05-02T10:00:00Z"},
            {"192.0.2.20", "192.0.2.11"},
        ),
        ({"q": "bank"}, {"203.0.113.9"}),
        (
            {"ip": "192.0.2.0/24", "classification": "brute-force", "since": "2024-05-01T12:00:00"},
            {"192.0.2.11", "192.0.2.20"},
        ),
    ],
)
def test_filters(world: World, params: dict[str, str], expected: set[str]) -> None:
    response = search(world, "ke-viewer", **params)
    assert response.status_code == 200, response.content.decode()
    assert listed(response.content.decode()) == expected


def test_the_events_of_a_run(world: World) -> None:
    html = search(world, "gh-analyst", run=world.ke_run.pk).content.decode()
    assert listed(html) == {"198.51.100.7", "2001:db8:200::7"}
    assert f"Only the events of run {world.ke_run.pk}." in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ip": "192.0.2.300"}, "is not an IP prefix"),
        ({"ip": "10.0.0.0/33"}, "is not an IP prefix"),
        ({"asn": "ASX"}, "is not an AS number"),
        ({"team": "NOPE"}, "Select a valid choice"),
        ({"classification": "scaner"}, "Select a valid choice"),
        ({"since": "yesterday"}, "Enter a valid date/time"),
    ],
)
def test_a_wrong_filter_says_why_and_shows_nothing(
    world: World, params: dict[str, str], message: str
) -> None:
    response = search(world, "ke-viewer", **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert listed(html) == set()


def test_the_search_form_keeps_what_was_typed(world: World) -> None:
    html = search(world, "ke-viewer", ip="2001:db8::/32", asn="AS64500").content.decode()
    assert 'value="2001:db8::/32"' in html
    assert 'value="AS64500"' in html
    assert_no_inline_code(html)


def _rows(network: str, asn: int, day: str) -> list[str]:
    """Sixty scanner events from ``network``.30 to .89, a minute apart."""
    return [
        f"{network}.{n},{asn},scanner,,{day} {n // 60:02d}:{n % 60:02d}:00" for n in range(30, 90)
    ]


def test_pages_of_fifty_newest_first(world: World) -> None:
    ingest(world.ke_feed, world.folder, _rows("192.0.2", 64500, "2024-06-01"))
    first = search(world, "ke-viewer", ip="192.0.2.0/25").content.decode()
    assert "63 events match" in first
    assert "Page 1 of 2" in first
    assert "192.0.2.89" in listed(first)
    assert "192.0.2.10" not in listed(first)
    second = search(world, "ke-viewer", ip="192.0.2.0/25", page=2).content.decode()
    assert len(listed(second)) == 13
    assert "192.0.2.10" in listed(second)


def test_the_count_is_capped(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from baobab.pipeline.views import events  # noqa: PLC0415

    monkeypatch.setattr(events, "COUNT_CAP", 3)
    monkeypatch.setattr(events, "PAGE_SIZE", 2)
    html = search(world, "ke-viewer").content.decode()
    assert "More than 3 events match" in html
    assert "Page 1 of 2" in html


def test_the_event_list_needs_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    ingest(world.ke_feed, world.folder, _rows("192.0.2", 64500, "2024-06-01"))
    ingest(world.gh_feed, world.folder, _rows("198.51.100", 64501, "2024-06-02"))
    client = web(world.users["ke-viewer"])
    client.get(EVENTS_URL)
    # session, user, memberships, sharing groups, settings, count, page, two select lists
    with django_assert_max_num_queries(10):
        response = client.get(EVENTS_URL, {"ip": "0.0.0.0/0", "classification": "scanner"})
    assert len(listed(response.content.decode())) == 50


# --- an event's page ------------------------------------------------------------


def test_an_event_page_shows_every_field_and_the_routing(world: World) -> None:
    event = world.event("198.51.100.7")
    response = web(world.users["gh-analyst"]).get(reverse("pipeline:event", args=[event.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    fields = html.split('id="event-fields"', 1)[1]
    for name in ("source.ip", "source.asn", "classification.taxonomy", "feed.name", "raw"):
        assert f">{name}<" in fields, name
    assert "www.shop.example" in fields
    assert "198.51.100.7,64501,vulnerable-system,www.shop.example,2024-05-03 10:00:00" in fields
    assert ">source.fqdn<" in fields
    routing = html.split('id="event-routing"', 1)[1].split("</section>", 1)[0]
    assert "GH-CERT" in routing
    assert "198.51.100.0/24" in routing  # the claim that matched
    assert ">prefix<" in routing  # the precedence step
    assert f"/pipeline/runs/{world.ke_run.pk}/" in html
    assert_no_inline_code(html)


def test_an_unrouted_event_says_so(world: World) -> None:
    event = world.event("100.64.0.1")
    html = web(world.users["ke-viewer"]).get(reverse("pipeline:event", args=[event.pk])).content
    assert "Unrouted" in html.decode()
