"""Correlation: who else shares or has seen the same value.

Only what the viewer may see counts: an invisible indicator or sighting of
the same value changes nothing in the answer, so the answer never reveals
that invisible data exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max

from baobab.core.models import Team
from baobab.sharing.models import Indicator, Sighting
from baobab.sharing.queries import Who, as_viewer, visible


@dataclass(frozen=True)
class SeenBy:
    """A team that shares the same value or saw it, as far as the viewer sees."""

    team: Team
    indicators: int
    sightings: int
    last: dt.datetime


def also_seen_by(kind: str, value: str, who: Who, *, besides: Team | None = None) -> list[SeenBy]:
    """The teams (but ``besides``) whose visible indicators or sightings
    have this (canonical) value, latest first."""
    viewer = as_viewer(who)
    same = visible(Indicator, viewer).filter(kind=kind, value=value)
    shared = {
        row["owner_team"]: (row["n"], row["last"])
        for row in same.values("owner_team").annotate(n=Count("id"), last=Max("modified"))
    }
    seen = {
        row["owner_team"]: (row["n"], row["last"])
        for row in visible(Sighting, viewer)
        .filter(indicator__in=same)
        .values("owner_team")
        .annotate(n=Count("id"), last=Max("last_seen"))
    }
    team_ids = (set(shared) | set(seen)) - ({besides.pk} if besides is not None else set())
    teams = Team.objects.in_bulk(team_ids)
    found = [
        SeenBy(
            team=teams[team_id],
            indicators=shared.get(team_id, (0, None))[0],
            sightings=seen.get(team_id, (0, None))[0],
            last=max(
                moment
                for moment in (shared.get(team_id, (0, None))[1], seen.get(team_id, (0, None))[1])
                if moment is not None
            ),
        )
        for team_id in team_ids
    ]
    return sorted(found, key=lambda entry: (entry.last, entry.team.short_name), reverse=True)


def correlations(indicator: Indicator, who: Who) -> list[SeenBy]:
    """The other teams that share or saw ``indicator``'s value."""
    return also_seen_by(indicator.kind, indicator.value, who, besides=indicator.owner_team)
