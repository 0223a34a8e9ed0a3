"""Benchmark of notification grouping: routed events into per-recipient digests.

A community of 100 teams and 900 organisations (each managed by a team) and
about 1,700 policies for some 1,100 recipients: per team, for its duty
contact, a daily CSV digest (TLP:RED allowed) and an hourly inline digest of
high-severity events in the team's time zone, and a JSON webhook run
immediately, grouped by type and feed; per organisation a daily digest for
its abuse desk at 08:00 local time in one of four languages, for a third of
them also a weekly digest of scanning, for a fifth a second policy feeding
the same daily digest; one regional coordinator taking everything, grouped
by feed. 1,000,000
routed events (about 20 classification types, a dozen feeds, a realistic mix
of TLP and severity, 5 % unrouted) are generated, then matched and grouped
on one core (``POLARS_MAX_THREADS=1``, pinned to one CPU).

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}; the
events per second are the median of ``BENCH_NOTIFY_REPEAT`` runs.
Environment: BENCH_NOTIFY_EVENTS (default 1,000,000), BENCH_NOTIFY_REPEAT (3).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ["POLARS_MAX_THREADS"] = "1"  # before polars is imported: one core

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402 - after the thread count is set

from baobab.notify.digest import group  # noqa: E402 - after the path is set
from baobab.notify.policy import Interval, Policy  # noqa: E402
from baobab.notify.policy_match import match  # noqa: E402

SEED = 20240701
TEAMS = range(1, 101)
ORGANISATIONS = range(1001, 1901)
NOW = dt.datetime(2024, 5, 2, 6, 30, tzinfo=dt.UTC)
# (taxonomy, type, weight): a scanning- and infection-heavy mix, as feeds give it.
CLASSIFICATIONS = (
    ("vulnerable", "vulnerable-system", 22),
    ("information-gathering", "scanner", 18),
    ("malicious-code", "infected-system", 15),
    ("vulnerable", "ddos-amplifier", 8),
    ("intrusion-attempts", "brute-force", 7),
    ("vulnerable", "potentially-unwanted-accessible", 6),
    ("fraud", "phishing", 4),
    ("malicious-code", "malware-distribution", 3),
    ("malicious-code", "c2-server", 2),
    ("abusive-content", "spam", 3),
    ("intrusion-attempts", "exploit", 2),
    ("vulnerable", "weak-crypto", 2),
    ("vulnerable", "information-disclosure", 2),
    ("intrusions", "system-compromise", 1),
    ("availability", "ddos", 1),
    ("other", "blacklist", 1),
    ("other", "tor", 1),
    ("other", "proxy", 1),
    ("intrusion-attempts", "ids-alert", 1),
    ("information-content-security", "data-leak", 1),
)
FEEDS = (
    "shadowserver-scan-telnet",
    "shadowserver-scan-rdp",
    "shadowserver-scan-ssl",
    "shadowserver-sinkhole",
    "shadowserver-sinkhole-http",
    "shadowserver-blocklist",
    "abusech-feodo",
    "abusech-urlhaus",
    "openphish",
    "spamhaus-drop",
    "dshield-top",
    "blocklistde-ssh",
)
TLPS = (("clear", 5), ("green", 25), ("amber", 60), ("amber+strict", 8), ("red", 2))
SEVERITIES = (("info", 20), ("low", 25), ("medium", 30), ("high", 20), ("critical", 5))
ZONES = ("Africa/Nairobi", "Africa/Lagos", "Africa/Cairo", "Africa/Casablanca", "UTC")
LANGUAGES = ("en", "fr", "ar", "pt")


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def weighted(rnd: random.Random, pairs: tuple[tuple[str, int], ...], count: int) -> list[str]:
    """``count`` values drawn by weight."""
    return rnd.choices([value for value, _ in pairs], [weight for _, weight in pairs], k=count)


def make_events(count: int, rnd: random.Random) -> pl.DataFrame:
    """``count`` routed events as the pipeline stores them (flat dotted names)."""
    organisations = list(ORGANISATIONS)
    sizes = [1 / (rank + 1) ** 0.8 for rank in range(len(organisations))]  # a few large ISPs
    routes = rnd.choices(("organisation", "team", "none"), (80, 15, 5), k=count)
    owners = rnd.choices(organisations, sizes, k=count)
    teams = rnd.choices(list(TEAMS), k=count)
    team_ids: list[int | None] = []
    organisation_ids: list[int | None] = []
    for route, owner, team in zip(routes, owners, teams, strict=True):
        if route == "organisation":
            team_ids.append(1 + owner % len(TEAMS))
            organisation_ids.append(owner)
        else:
            team_ids.append(team if route == "team" else None)
            organisation_ids.append(None)
    kinds = rnd.choices(CLASSIFICATIONS, [weight for *_, weight in CLASSIFICATIONS], k=count)
    start = int(dt.datetime(2024, 5, 1, tzinfo=dt.UTC).timestamp())
    seconds = [start + rnd.randrange(86_400) for _ in range(count)]
    addresses = [rnd.getrandbits(32) for _ in range(count)]
    return pl.DataFrame(
        {
            "source.ip": addresses,
            "classification.taxonomy": [kind[0] for kind in kinds],
            "classification.type": [kind[1] for kind in kinds],
            "feed.name": rnd.choices(FEEDS, k=count),
            "baobab.team_id": pl.Series(team_ids, dtype=pl.Int64),
            "baobab.organisation_id": pl.Series(organisation_ids, dtype=pl.Int64),
            "time.source": pl.Series(seconds, dtype=pl.Int64),
            "tlp": weighted(rnd, TLPS, count),
            "extra.severity": weighted(rnd, SEVERITIES, count),
        }
    ).with_columns(
        pl.concat_str(
            [(pl.col("source.ip") // 256**i % 256).cast(pl.Utf8) for i in (3, 2, 1, 0)],
            separator=".",
        ).alias("source.ip"),
        pl.from_epoch("time.source").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").alias("time.source"),
    )


def make_policies() -> list[Policy]:
    """About 1,700 policies for some 1,100 recipients, as a community of this
    size would set them (several per recipient, some sharing a digest)."""
    policies = [
        Policy(("team", 0), any_constituency=True, group_by=("feed.name",), format="json"),
    ]
    for team in TEAMS:
        duty = ("contact", team * 10 + 1)
        scope = frozenset({team})
        policies += [
            Policy(duty, team_ids=scope, tlp_ceiling="red", allow_red=True),
            Policy(
                duty,
                team_ids=scope,
                min_severity="high",
                format="inline",
                max_inline=20,
                interval=Interval.HOURLY,
                timezone=ZONES[team % len(ZONES)],
            ),
            Policy(
                ("webhook", team),
                team_ids=scope,
                format="json",
                interval=Interval.IMMEDIATELY,
                group_by=("classification.type", "feed.name"),
            ),
        ]
    scanning = frozenset({"scanner", "vulnerable-system", "ddos-amplifier", "brute-force"})
    for number, organisation in enumerate(ORGANISATIONS):
        desk = ("contact", 100_000 + organisation)
        scope = frozenset({organisation})
        daily = Policy(
            desk,
            organisation_ids=scope,
            language=LANGUAGES[number % len(LANGUAGES)],
            timezone=ZONES[number % len(ZONES)],
            at_hour=8,
        )
        policies.append(daily)
        if number % 3 == 0:  # a weekly summary of scanning, in French, as JSON
            policies.append(
                replace(
                    daily,
                    types=scanning,
                    tlp_ceiling="green",
                    format="json",
                    language="fr",
                    interval=Interval.WEEKLY,
                )
            )
        if number % 5 == 0:  # AMBER+STRICT from two feeds, in the same daily digest
            policies.append(replace(daily, feeds=frozenset(FEEDS[:2]), tlp_ceiling="amber+strict"))
    return policies


def main() -> None:
    """Generate the events and policies, then time matching and grouping."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    count = int(os.environ.get("BENCH_NOTIFY_EVENTS", "1000000"))
    repeat = int(os.environ.get("BENCH_NOTIFY_REPEAT", "3"))
    rnd = random.Random(SEED)
    events = make_events(count, rnd)
    policies = make_policies()
    recipients = {policy.recipient for policy in policies}
    emit("notify_policies", len(policies), "policies")
    emit("notify_recipients", len(recipients), "recipients")

    match_times, group_times = [], []
    pairs = digests = 0
    for _ in range(repeat):
        started = time.perf_counter()
        matches = match(events, policies)
        matched = time.perf_counter()
        built = group(events, matches, policies, now=NOW)
        match_times.append(matched - started)
        group_times.append(time.perf_counter() - matched)
        pairs, digests = matches.height, len(built)
    total = statistics.median(m + g for m, g in zip(match_times, group_times, strict=True))
    emit("notify_events", count, "events")
    emit("notify_matched_pairs", pairs, "(event, policy) pairs")
    emit("notify_digests", digests, "digests")
    emit("notify_match_time", statistics.median(match_times), "s")
    emit("notify_group_time", statistics.median(group_times), "s")
    emit("notify_grouping_per_second", count / total, "events/s")


if __name__ == "__main__":
    main()
