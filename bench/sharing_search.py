"""Benchmark of the exact-value indicator search (the issue's figure: under
50 ms with 1,000,000 indicators).

A throwaway data folder and SQLite database get 20 teams, a sharing group
and ``BENCH_SHARING_INDICATORS`` indicators (default 1,000,000) spread over
the teams and every TLP and distribution (:mod:`bench.generate_indicators`).
Then, as an analyst of one team (a community member in the group), values
are searched as a person pastes them, defanged (``192.0.2[.]7``,
``hxxp://…``): some the user may see, some hidden from them, some Baobab
does not hold.

(a) The search itself, through the same query the search page and the API
    use (:class:`baobab.sharing.filtersets.IndicatorFilterSet` over
    :func:`baobab.sharing.queries.visible`, then the page's count and rows):
    median and worst, in milliseconds.
(b) The same through the REST API, ``GET /api/v1/indicators/?q=…`` with a
    token, end to end in the process (authentication, query, JSON): median
    and worst.

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}.
Environment: BENCH_SHARING_INDICATORS (1,000,000), BENCH_SHARING_SEARCHES
(60), BENCH_KEEP_DATA=1 keeps the temporary folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAMS = 20
PAGE = 100  # rows of a page of the API (and more than the search page's 50)


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def defang(value: str) -> str:
    """``value`` as analysts write it so nobody clicks it."""
    return value.replace("http", "hxxp").replace(".", "[.]").replace("@", "[@]")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="baobab-bench-sharing-"))
    os.environ.update(
        {
            "BAOBAB_DATA_DIR": str(work),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "localhost,testserver",
            "DJANGO_SETTINGS_MODULE": "baobab.settings",
        }
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    try:
        measure(
            int(os.environ.get("BENCH_SHARING_INDICATORS", "1000000")),
            int(os.environ.get("BENCH_SHARING_SEARCHES", "60")),
        )
    finally:
        if os.environ.get("BENCH_KEEP_DATA") == "1":
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _community(count: int) -> Any:
    """Migrate, make the teams and the group, fill ``count`` indicators, and
    return an analyst of one team (in the group)."""
    from django.core.management import call_command  # noqa: PLC0415
    from generate_indicators import fill_indicators  # noqa: PLC0415

    from baobab.core.choices import Role, TeamType  # noqa: PLC0415
    from baobab.core.models import Membership, SharingGroup, Team, User  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    teams = [
        Team.objects.create(
            short_name=f"cert-{number:02d}", name=f"CERT {number}", team_type=TeamType.NATIONAL
        )
        for number in range(TEAMS)
    ]
    group = SharingGroup.objects.create(name="bench-west", owner_team=teams[0])
    group.member_teams.set(teams[1:10])
    started = time.perf_counter()
    fill_indicators(count, teams=teams, sharing_groups=[group])
    emit("sharing_fill_indicators", count / (time.perf_counter() - started), "rows/s")
    analyst = User.objects.create_user(username="bench-analyst", password=None)
    Membership.objects.create(user=analyst, team=teams[3], role=Role.ANALYST)
    return analyst


def _search(user_id: int, text: str) -> int:
    """Search ``text`` as the search page and the API do: the filter over
    what the user may see, the count and a page of rows."""
    from baobab.core.models import User  # noqa: PLC0415
    from baobab.sharing.filtersets import IndicatorFilterSet  # noqa: PLC0415
    from baobab.sharing.models import Indicator  # noqa: PLC0415
    from baobab.sharing.queries import visible  # noqa: PLC0415

    viewer = User.objects.get(pk=user_id)  # a fresh request's user
    filterset = IndicatorFilterSet(
        {"q": text},
        queryset=visible(Indicator, viewer).select_related("owner_team", "sharing_group"),
    )
    assert filterset.is_valid(), filterset.errors
    rows = filterset.qs
    total = rows.count()
    page = list(rows[:PAGE])
    assert len(page) == min(total, PAGE)
    return total


def measure(count: int, searches: int) -> None:
    import django  # noqa: PLC0415 - after the environment is set

    django.setup()
    from generate_indicators import indicator_value  # noqa: PLC0415
    from rest_framework.test import APIClient  # noqa: PLC0415

    from baobab.core.services import create_token  # noqa: PLC0415

    analyst = _community(count)
    step = max(1, count // searches)
    texts = [defang(indicator_value(number)[1]) for number in range(7, count, step)][:searches]
    texts += ["203.0.113.254", "not-held[.]example"]  # values Baobab does not hold

    for text in texts[:3]:  # warm the caches as a running server has them
        _search(analyst.pk, text)
    found = 0
    times = []
    for text in texts:
        started = time.perf_counter()
        found += _search(analyst.pk, text) > 0
        times.append((time.perf_counter() - started) * 1000)
    emit("sharing_search_query_median", statistics.median(times), "ms")
    emit("sharing_search_query_worst", max(times), "ms")
    emit("sharing_search_values_seen", found, f"of {len(texts)}")

    _token, key = create_token(analyst, acting_user=None)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for text in texts[:3]:  # the first request loads the URLs and views
        api.get("/api/v1/indicators/", {"q": text})
    times = []
    for text in texts:
        started = time.perf_counter()
        response = api.get("/api/v1/indicators/", {"q": text})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    emit("sharing_search_api_median", statistics.median(times), "ms")
    emit("sharing_search_api_worst", max(times), "ms")


if __name__ == "__main__":
    main()
