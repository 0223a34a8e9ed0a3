"""Two teams with addresses, their users in each role, a feed of KE with
events routed to KE, a daily policy of KE and messages of KE's outbox in
several states; shared by the tests of the notification pages and API.

GH is the neighbour: a member of GH must never see KE's policies or outbox.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import Team, User
from baobab.notify import services
from baobab.notify.choices import MessageStatus, RecipientKind
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.pipeline.models import Event, Feed

_numbers = itertools.count(1)


def add_event(feed: Feed, team: Team | None, *, kind: str = "vulnerable-system") -> Event:
    """An event of ``feed`` routed to ``team``, as the pipeline stores one."""
    number = next(_numbers)
    now = timezone.now()
    return Event.objects.create(
        dedup_key=f"{number:040d}",
        feed=feed,
        time_source=now - dt.timedelta(minutes=number % 50),
        time_observation=now,
        source_ip=f"192.0.2.{number % 250 + 1}",
        source_port=23,
        classification_taxonomy="vulnerable",
        classification_type=kind,
        team=team,
        owner_team=feed.owner_team,
        tlp=TLP.AMBER,
        distribution=Distribution.TEAM,
        data={"raw": f"line {number}"},
    )


def add_message(team: Team, status: str = MessageStatus.SENT, **fields: Any) -> OutboxMessage:
    """A message of ``team``'s outbox in ``status``."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "digest_key": f"{number:064d}",
        "reference": f"{team.short_name.upper()}-{number:06d}",
        "team": team,
        "channel": RecipientKind.TEAM,
        "recipient": team.email or "soc@example.org",
        "subject": f"[{team.short_name}] message {number}",
        "body": f"Dear team,\n\nmessage {number} of {team.short_name}.\n",
        "attachment_name": f"events-{number}.csv",
        "attachment_type": "text/csv",
        "attachment": b"source.ip\n192.0.2.1\n",
        "language": "en",
        "tlp": TLP.AMBER,
        "event_count": 1,
        "status": status,
    }
    values.update(fields)
    return OutboxMessage.objects.create(**values)


@dataclass
class Notified:
    """Teams KE (with events and a policy) and GH, their users and KE's messages."""

    ke: Team
    gh: Team
    users: dict[str, User]
    feed: Feed
    policy: NotificationPolicy
    sent: OutboxMessage
    failed: OutboxMessage
    held: OutboxMessage


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def notified(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Notified:
    ke = make_team("KE-CIRT", name="KE-CIRT", email="soc@ke-cirt.example", timezone="UTC")
    gh = make_team("GH-CERT", name="GH-CERT", email="soc@gh-cert.example")
    users = {
        "ke-admin": make_user("ke-admin", team=ke, role=Role.ADMIN),
        "ke-analyst": make_user("ke-analyst", team=ke, role=Role.ANALYST),
        "ke-viewer": make_user("ke-viewer", team=ke, role=Role.VIEWER),
        "gh-admin": make_user("gh-admin", team=gh, role=Role.ADMIN),
        "gh-analyst": make_user("gh-analyst", team=gh, role=Role.ANALYST),
        "community-admin": make_user("community-admin", is_community_admin=True),
        "loner": make_user("loner"),
    }
    feed = Feed.objects.create(name="ke-telnet", parser="generic-csv", owner_team=ke)
    policy = services.create_policy(
        ke, {"name": "KE daily", "sign": False, "interval": "daily"}, acting_user=None
    )
    return Notified(
        ke=ke,
        gh=gh,
        users=users,
        feed=feed,
        policy=policy,
        sent=add_message(ke, MessageStatus.SENT, policy=policy, sent_at=timezone.now()),
        failed=add_message(
            ke, MessageStatus.FAILED, policy=policy, attempts=8, last_error="550 mailbox unknown"
        ),
        held=add_message(ke, MessageStatus.HELD, policy=policy),
    )


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
