"""Benchmark of the TAXII 2.1 server: a page of 1,000 objects with
1,000,000 indicators in the database (the issue's figure: under 200 ms).

The database is filled with ``BENCH_TAXII_INDICATORS`` indicators spread
over 20 teams, every TLP and distribution and a sharing group
(:func:`bench.generate_indicators.fill_indicators`, bulk writes), each with
its current version. Then, as a viewer of one team (a community member who
is in the sharing group), GET requests go through Django's whole stack
(middleware, token authentication, the view, JSON; Django's test client,
no network):

- the first page of the ``community`` collection (``limit=1000``);
- a page in the middle of it (``next`` pointing half-way);
- the first page of the team's own collection (about one row in twenty is
  the team's: the server reads past the others);
- the manifest's first page.

Each is timed ``BENCH_TAXII_REPEAT`` times (after one warm-up request); the
median is printed, with the 95th percentile. The page query's plan is
printed to stderr, to show the ``(added_at, id)`` index serves it.

Runs on SQLite (a temporary folder) and on PostgreSQL (a database created
for the run on ``BENCH_TAXII_POSTGRES``, dropped after; "off" skips it),
each in a child process. Prints one JSON line per figure:
{"name": …, "value": …, "unit": …}. Environment: BENCH_TAXII_INDICATORS
(default 1,000,000), BENCH_TAXII_REPEAT (25), BENCH_TAXII_POSTGRES (default
postgres://postgres@127.0.0.1:5432/postgres), BENCH_TAXII_BACKENDS
("sqlite,postgresql").
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAMS = 20
BACKENDS = ("sqlite", "postgresql")
PAGE = 1000
TAXII = "application/taxii+json;version=2.1"


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- in the child process: Django set up on one database --------------------


def _setup_django() -> None:
    import django  # noqa: PLC0415 - after the environment is set

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baobab.settings")
    django.setup()


def _community(count: int) -> tuple[Any, str, str]:
    """Teams, a sharing group and ``count`` indicators; a viewer's token."""
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from generate_indicators import fill_indicators  # noqa: PLC0415

    from baobab.core.choices import Role, TeamType  # noqa: PLC0415
    from baobab.core.models import Membership, Team, User  # noqa: PLC0415
    from baobab.core.services import create_token  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    teams = [
        Team.objects.create(
            short_name=f"bench-{n:02d}", name=f"Bench team {n}", team_type=TeamType.NATIONAL
        )
        for n in range(TEAMS)
    ]
    reader = User.objects.create_user(username="bench-reader", password=None)
    # The last team: in the default sharing group (owned by the first).
    Membership.objects.create(user=reader, team=teams[-1], role=Role.VIEWER)
    started = time.perf_counter()
    fill_indicators(count, teams=teams)
    elapsed = time.perf_counter() - started
    note(f"filled {count} indicators in {elapsed:.1f} s")
    # Statistics, as autovacuum (PostgreSQL) or the optimize pragma (SQLite) keeps them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return teams[-1], create_token(reader, acting_user=None)[1], f"{elapsed:.1f}"


def _plan(sql: str, params: Any) -> str:
    from django.db import connection  # noqa: PLC0415

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        rows = cursor.fetchall()
    return "\n".join(" | ".join(str(cell) for cell in row) for row in rows)


def _page_query_plan(team: Any, user_id: int) -> str:
    """The plan of the community collection's page query for the reader."""
    from baobab.core.models import User  # noqa: PLC0415
    from baobab.sharing.queries import visible_versions  # noqa: PLC0415
    from baobab.sharing.taxii.collections import Scope, collections_for  # noqa: PLC0415
    from baobab.sharing.taxii.paging import Filters  # noqa: PLC0415

    user = User.objects.get(pk=user_id)
    found = next(c for c in collections_for(user) if c.scope is Scope.COMMUNITY)
    queryset = Filters().apply(visible_versions(user).filter(found.scope_q()))
    sql, params = queryset.query.sql_with_params()
    return _plan(sql, params)


def _timed(request: Callable[[], Any], repeat: int) -> list[float]:
    request()  # warm-up: caches, the token's first use
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = request()
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.content[:300]
    return times


def _report(name: str, times: list[float], objects: int) -> None:
    ordered = sorted(times)
    emit(f"{name}_median", statistics.median(ordered), "ms")
    emit(f"{name}_p95", ordered[max(0, round(len(ordered) * 0.95) - 1)], "ms")
    emit(f"{name}_objects", objects, "objects")


def run(backend: str, count: int, repeat: int) -> None:
    """Fill the database and time the pages (in the child process)."""
    _setup_django()
    from django.test import Client  # noqa: PLC0415

    from baobab.core.models import User  # noqa: PLC0415
    from baobab.sharing.models import ObjectVersion  # noqa: PLC0415
    from baobab.sharing.queries import visible_versions  # noqa: PLC0415
    from baobab.sharing.taxii.collections import Scope, collection_id  # noqa: PLC0415
    from baobab.sharing.taxii.paging import encode_cursor  # noqa: PLC0415

    team, key, _fill = _community(count)
    emit(f"sharing_taxii_{backend}_indicators", ObjectVersion.objects.count(), "versions")
    reader = User.objects.get(username="bench-reader")
    client = Client(HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Token {key}")
    community = f"/taxii2/api/collections/{collection_id(Scope.COMMUNITY)}/"
    own = f"/taxii2/api/collections/{collection_id(Scope.TEAM, team.pk)}/"
    # Half-way through what the reader gets from the community collection.
    in_scope = visible_versions(reader).filter(
        distribution__in=["community", "public"], is_current=True
    )
    middle = in_scope.order_by("added_at", "id")[in_scope.count() // 2]
    deep = encode_cursor(middle.added_at, middle.pk)
    note(_page_query_plan(team, reader.pk))

    pages: dict[str, tuple[str, dict[str, Any]]] = {
        "first_page": (community + "objects/", {"limit": PAGE}),
        "middle_page": (community + "objects/", {"limit": PAGE, "next": deep}),
        "team_page": (own + "objects/", {"limit": PAGE}),
        "manifest_page": (community + "manifest/", {"limit": PAGE}),
    }
    for name, (url, params) in pages.items():
        answer = client.get(url, params)
        objects = len(json.loads(answer.content)["objects"])
        times = _timed(functools.partial(client.get, url, params), repeat)
        _report(f"sharing_taxii_{backend}_{name}", times, objects)


# --- in the parent process -------------------------------------------------


@contextmanager
def postgres_database(server_url: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database on ``server_url``'s server (dropped after),
    or None when the server cannot be reached."""
    import psycopg  # noqa: PLC0415

    name = f"baobab_bench_taxii_{os.getpid()}"
    try:
        admin = psycopg.connect(server_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        note(f"PostgreSQL skipped: {server_url} cannot be reached ({error})")
        yield None
        return
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base, _slash, _db = server_url.rpartition("/")
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _child(backend: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, __file__, "--run", backend], env=env, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", choices=BACKENDS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    count = int(os.environ.get("BENCH_TAXII_INDICATORS", "1000000"))
    repeat = int(os.environ.get("BENCH_TAXII_REPEAT", "25"))
    if arguments.run:
        run(arguments.run, count, repeat)
        return
    backends = os.environ.get("BENCH_TAXII_BACKENDS", ",".join(BACKENDS)).split(",")
    postgres = os.environ.get("BENCH_TAXII_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-sharing-taxii-not-secret",
        "ALLOWED_HOSTS": "testserver",
    }
    env.pop("DATABASE_URL", None)
    folder = Path(tempfile.mkdtemp(prefix="baobab-bench-taxii-"))
    try:
        if "sqlite" in backends:
            _child("sqlite", {**env, "BAOBAB_DATA_DIR": str(folder)})
        if "postgresql" in backends and postgres != "off":
            with postgres_database(postgres) as url:
                if url is not None:
                    _child("postgresql", {**env, "DATABASE_URL": url})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
