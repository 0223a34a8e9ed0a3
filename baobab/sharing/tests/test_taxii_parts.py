"""The TAXII server's parts on their own: media types, cursors, filters,
collection ids, and the number of queries a page costs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import Team, User
from baobab.core.services import create_token
from baobab.sharing import services
from baobab.sharing.models import ObjectVersion
from baobab.sharing.taxii.collections import Scope, collection_id
from baobab.sharing.taxii.media import TaxiiError, accepts_taxii, is_taxii_content
from baobab.sharing.taxii.paging import MAX_PAGE, Filters, decode_cursor, encode_cursor

TAXII = "application/taxii+json;version=2.1"


@pytest.mark.parametrize(
    ("accept", "ok"),
    [
        (None, True),
        ("", True),
        (TAXII, True),
        ("application/taxii+json", True),
        ("application/taxii+json; version=2.1", True),
        ('application/taxii+json;version="2.1"', True),
        ("APPLICATION/TAXII+JSON;VERSION=2.1", True),
        ("*/*", True),
        ("application/*", True),
        ("text/html, application/taxii+json;version=2.1;q=0.5", True),
        ("application/taxii+json;version=2.0", False),
        ("application/json", False),
        ("application/stix+json;version=2.1", False),
        ("application/taxii+json;version=2.1;q=0", False),
    ],
)
def test_accept_headers(accept: str | None, ok: bool) -> None:
    assert accepts_taxii(accept) is ok


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        (TAXII, True),
        ("application/taxii+json", True),
        ("application/taxii+json; version=2.1; charset=utf-8", True),
        ("application/taxii+json;version=2.0", False),
        ("application/json", False),
        ("", False),
        (None, False),
    ],
)
def test_content_types(content_type: str | None, ok: bool) -> None:
    assert is_taxii_content(content_type) is ok


def test_a_cursor_reads_back_and_hides_its_position() -> None:
    moment = dt.datetime(2024, 5, 1, 6, 0, 0, 123456, tzinfo=dt.UTC)
    cursor = encode_cursor(moment, 4242)
    assert decode_cursor(cursor) == (moment, 4242)
    # Two cursors for the same position differ: nothing to compare or count.
    assert encode_cursor(moment, 4242) != cursor
    assert "4242" not in cursor
    for forged in ("", "abc", cursor[:-1], cursor[1:], cursor.swapcase(), cursor + "AAAA"):
        with pytest.raises(TaxiiError) as refused:
            decode_cursor(forged)
        assert refused.value.status == 400


def test_filters_are_read_from_the_query() -> None:
    filters = Filters.read(
        QueryDict(
            "added_after=2024-05-01T00:00:00Z&limit=5000&match[type]=indicator,report"
            "&match[id]=indicator--1&match[id]=indicator--2&match[version]=first,all"
            "&match[spec_version]=2.1"
        )
    )
    assert filters.added_after == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert filters.limit == MAX_PAGE
    assert filters.types == ["indicator", "report"]
    assert filters.ids == ["indicator--1", "indicator--2"]
    assert filters.versions == ["first", "all"]
    assert filters.spec_versions == ["2.1"]
    assert Filters.read(QueryDict("")).limit == MAX_PAGE
    assert Filters.read(QueryDict("limit=3")).limit == 3
    for bad in ("limit=-1", "limit=x", "added_after=soon", "match[version]=2024-13-01T00:00Z"):
        with pytest.raises(TaxiiError):
            Filters.read(QueryDict(bad))


def test_collection_ids_are_stable_and_distinct() -> None:
    assert collection_id(Scope.COMMUNITY) == collection_id(Scope.COMMUNITY)
    ids = {
        collection_id(Scope.COMMUNITY),
        collection_id(Scope.PUBLIC),
        collection_id(Scope.TEAM, 1),
        collection_id(Scope.TEAM, 2),
        collection_id(Scope.GROUP, 1),
    }
    assert len(ids) == 5


@pytest.mark.django_db
def test_a_page_costs_the_same_few_queries_whatever_its_size(
    make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    team, other = make_team("cert-q"), make_team("cert-r")
    analyst = make_user("analyst-q", team=team, role=Role.ANALYST)
    reader = make_user("reader-r", team=other, role=Role.VIEWER)
    key = create_token(reader, acting_user=None)[1]
    client = Client(HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/taxii2/api/collections/{collection_id(Scope.COMMUNITY)}/objects/"

    def queries() -> tuple[int, dict[str, Any]]:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(url)
        assert answer.status_code == 200
        assert answer["Content-Type"] == TAXII
        return len(captured), answer.json()

    def share(count: int) -> None:
        for n in range(count):
            indicator = services.create_indicator(
                team, acting_user=analyst, kind="domain", value=f"q{n}-{count}.example"
            )
            services.create_relationship(
                team,
                acting_user=analyst,
                relationship_type="indicates",
                source_ref=indicator.stix_id,
                target_ref=indicator.stix_id,
            )
        services.create_indicator(
            team,
            acting_user=analyst,
            kind="domain",
            value=f"hidden-{count}.example",
            tlp=TLP.RED,
            distribution=Distribution.TEAM,
        )

    queries()  # the token's first use is recorded once
    share(2)
    few, body = queries()
    assert len(body["objects"]) == 4
    share(20)
    many, body = queries()
    assert len(body["objects"]) == 44
    assert many == few
    assert ObjectVersion.objects.count() == 46


@pytest.mark.django_db
def test_a_body_too_large_is_413_and_deleting_is_not_offered(
    make_team: Callable[..., Team], make_user: Callable[..., User], settings: Any
) -> None:
    settings.TAXII_MAX_CONTENT_LENGTH = 100
    team = make_team("cert-s")
    analyst = make_user("analyst-s", team=team, role=Role.ANALYST)
    key = create_token(analyst, acting_user=None)[1]
    client = Client(HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Token {key}")
    root = client.get("/taxii2/api/").json()
    assert root["max_content_length"] == 100
    url = f"/taxii2/api/collections/{collection_id(Scope.TEAM, team.pk)}/objects/"
    large = client.post(url, data=b'{"objects": [' + b" " * 200 + b"]}", content_type=TAXII)
    assert large.status_code == 413
    assert large.json()["http_status"] == "413"
    deleted = client.delete(f"{url}indicator--0b0c2d6e-9f3a-4e49-8b7a-5f1a3c6b2d10/")
    assert deleted.status_code == 405
    assert deleted["Allow"] == "GET"
