"""Events pass the one visibility rule: the team running the feed owns them,
the responsible team is their named recipient, nobody else sees them unless
TLP and distribution allow it — and the queryset and per-object forms agree."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.utils import timezone

from baobab.core.choices import TLP, Distribution
from baobab.core.models import Team, User
from baobab.core.visibility import can_see, restrict
from baobab.pipeline.models import Event, Feed

pytestmark = pytest.mark.django_db


def test_events_are_seen_by_their_owner_and_responsible_team_only(
    make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    owner, routed, other = make_team("owner"), make_team("routed"), make_team("other")
    users = {
        "owner": make_user(team=owner),
        "routed": make_user(team=routed),
        "other": make_user(team=other),
        "nobody": make_user(),
    }
    feed = Feed.objects.create(name="f", parser="intelmq", owner_team=owner)
    combos = itertools.product(
        TLP.values, [Distribution.TEAM, Distribution.COMMUNITY, Distribution.PUBLIC], [routed, None]
    )
    for n, (tlp, distribution, team) in enumerate(combos):
        Event.objects.create(
            dedup_key=f"k{n}",
            feed=feed,
            time_observation=timezone.now(),
            source_ip="192.0.2.1",
            team=team,
            owner_team=owner,
            tlp=tlp,
            distribution=distribution,
            data={},
        )
    for who, user in users.items():
        visible = set(restrict(Event.objects.all(), user).values_list("pk", flat=True))
        for event in Event.objects.all():
            expected = (
                who == "owner"
                or (who == "routed" and event.team_id == routed.pk)
                or (
                    event.tlp != TLP.RED
                    and (
                        (event.distribution == Distribution.PUBLIC and event.tlp == TLP.CLEAR)
                        or (
                            who in ("routed", "other")
                            and event.distribution in (Distribution.COMMUNITY, Distribution.PUBLIC)
                        )
                    )
                )
            )
            assert (event.pk in visible) == expected, (who, event.tlp, event.distribution)
            assert can_see(user, event) == expected, (who, event.tlp, event.distribution)
