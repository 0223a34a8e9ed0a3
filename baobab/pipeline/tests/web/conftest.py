"""A small community with feeds and events ingested through the real runner
(the generic-csv parser, routing by the directory's claims), shared by the
tests of the pipeline's pages and API.

Teams KE, GH and NG hold prefixes and AS numbers; KE runs the feed
"ke-scans", GH runs "gh-honeypot". Each feed's events are routed to
whichever team claims their source, so every team sees a different slice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from baobab.core.choices import Role
from baobab.core.models import Team, User
from baobab.directory import services as directory_services
from baobab.pipeline import runner
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Event, Feed, FeedRun
from baobab.pipeline.services import create_feed

HEADER = "ip,asn,type,host,observed"
COLUMNS = {
    "ip": "source.ip",
    "asn": "source.asn",
    "type": "classification.type",
    "host": "source.fqdn",
    "observed": "time.observation",
}
# Feed "ke-scans", run by KE.
KE_ROWS = [
    "192.0.2.10,64500,scanner,,2024-05-01 10:00:00",  # KE (prefix)
    "192.0.2.11,64500,brute-force,,2024-05-02 10:00:00",  # KE (prefix)
    "198.51.100.7,64501,vulnerable-system,www.shop.example,2024-05-03 10:00:00",  # GH
    "2001:db8:200::7,64501,ddos-amplifier,,2024-05-04 10:00:00",  # GH (IPv6 prefix)
    "2001:db8:100::5,64500,scanner,,2024-05-05 10:00:00",  # KE (IPv6 prefix)
    "203.0.113.9,64502,phishing,login.bank.example,2024-05-06 10:00:00",  # NG
    "100.64.0.1,64999,scanner,,2024-05-07 10:00:00",  # nobody: unrouted
    "not-an-address,64500,scanner,,2024-05-08 10:00:00",  # quarantined
]
# Feed "gh-honeypot", run by GH.
GH_ROWS = [
    "192.0.2.20,64500,brute-force,,2024-05-01 12:00:00",  # KE
    "198.51.100.9,64501,brute-force,,2024-05-02 12:00:00",  # GH
    "100.64.0.2,64999,brute-force,,2024-05-03 12:00:00",  # unrouted
]

_files = itertools.count(1)


def csv_report(folder: Path, rows: list[str], name: str = "report.csv") -> Path:
    """A report of the test feeds' CSV layout."""
    path = folder / f"{next(_files)}-{name}"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def ingest(feed: Feed, folder: Path, rows: list[str]) -> FeedRun:
    """Run ``rows`` through the whole pipeline for ``feed``, as the runner does."""
    run = runner.start_run(feed, csv_report(folder, rows), source="test")
    assert run.status == RunStatus.DONE, run.errors
    return run


def make_csv_feed(name: str, team: Team | None, **fields: Any) -> Feed:
    """A feed reading the test CSV layout with the generic-csv parser."""
    return create_feed(
        acting_user=None,
        name=name,
        parser="generic-csv",
        parser_options={"columns": COLUMNS},
        owner_team=team,
        **fields,
    )


@dataclass
class World:
    """Teams, their users, the two feeds and their first runs."""

    ke: Team
    gh: Team
    ng: Team
    other: Team
    users: dict[str, User]
    ke_feed: Feed
    gh_feed: Feed
    ke_run: FeedRun
    gh_run: FeedRun
    folder: Path

    def event(self, address: str) -> Event:
        return Event.objects.get(source_ip=address)


@pytest.fixture(autouse=True)
def _quick_settings(settings: Any, tmp_path: Path) -> None:
    """Runs keep their reports in a data folder of the test's own; test
    passwords are hashed quickly (the real hasher takes a noticeable time)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User], tmp_path: Path) -> World:
    ke, gh = make_team("KE-CIRT", country="KE"), make_team("GH-CERT", country="GH")
    ng, other = make_team("NG-CERT", country="NG"), make_team("ZZ-CERT", country="ZZ")
    claims = [
        (ke, "prefix", "192.0.2.0/25"),
        (ke, "prefix", "2001:db8:100::/48"),
        (gh, "prefix", "198.51.100.0/24"),
        (gh, "prefix", "2001:db8:200::/48"),
        (ng, "prefix", "203.0.113.0/24"),
    ]
    for team, kind, value in claims:
        directory_services.create_claim(team, kind, value, acting_user=None)
    users = {
        "ke-admin": make_user("ke-admin", team=ke, role=Role.ADMIN),
        "ke-analyst": make_user("ke-analyst", team=ke, role=Role.ANALYST),
        "ke-viewer": make_user("ke-viewer", team=ke, role=Role.VIEWER),
        "gh-analyst": make_user("gh-analyst", team=gh, role=Role.ANALYST),
        "ng-viewer": make_user("ng-viewer", team=ng, role=Role.VIEWER),
        "zz-admin": make_user("zz-admin", team=other, role=Role.ADMIN),
        "community-admin": make_user("community-admin", is_community_admin=True),
        "loner": make_user("loner"),
    }
    folder = tmp_path / "reports"
    folder.mkdir()
    ke_feed = make_csv_feed("ke-scans", ke, provider="Scanner Watch")
    gh_feed = make_csv_feed("gh-honeypot", gh)
    return World(
        ke=ke,
        gh=gh,
        ng=ng,
        other=other,
        users=users,
        ke_feed=ke_feed,
        gh_feed=gh_feed,
        ke_run=ingest(ke_feed, folder, KE_ROWS),
        gh_run=ingest(gh_feed, folder, GH_ROWS),
        folder=folder,
    )


# Who sees which event (by source address) under the one visibility rule.
SEEN_BY = {
    "ke-viewer": {
        "192.0.2.10",
        "192.0.2.11",
        "198.51.100.7",
        "2001:db8:200::7",
        "2001:db8:100::5",
        "203.0.113.9",
        "100.64.0.1",
        "192.0.2.20",
    },
    "gh-analyst": {"198.51.100.7", "2001:db8:200::7", "192.0.2.20", "198.51.100.9", "100.64.0.2"},
    "ng-viewer": {"203.0.113.9"},
    "zz-admin": set(),
    "community-admin": set(),
}


def web(user: User | None) -> Client:
    """A browser session of ``user`` (anonymous for None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def api(api_client_for: Callable[[User | None], APIClient]) -> Callable[[User | None], APIClient]:
    """An API client with a fresh token of the user."""
    return api_client_for
