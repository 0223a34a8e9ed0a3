"""Benchmark of the threat-data pipeline on realistic ShadowServer reports.

A community of about 1,000 claims (teams, organisations, IPv4 and IPv6
prefixes, AS numbers, domains, countries) and its enrichment data (a routing
table, AS names, Tor exits, RIR delegated ranges) are generated, then
``scan_telnet`` reports in ShadowServer's format whose addresses fall 70 %
inside the claimed prefixes (see :mod:`baobab.pipeline.synthetic`).

(a) In memory, on one core (``POLARS_MAX_THREADS=1``, pinned to one CPU):
    parse + normalise + deduplication key + enrich + route through
    ``process_lines`` over the report's chunks, events per second; then the
    time each stage takes per event.
(b) End to end: ``baobab ingest`` in a child process (report kept, chunked,
    processed, stored) into SQLite and into PostgreSQL (a database created
    for the run and dropped after it), events per second and peak memory.
(c) Peak memory (the child's ``ru_maxrss``) of ``baobab ingest`` of a
    ``BENCH_PIPELINE_ROWS``-row report into SQLite, to compare with (b):
    memory is bounded by the chunk size, not the report's.

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}.
Environment: BENCH_PIPELINE_ROWS (rows of the large report, default
5,000,000; (a) and (b) use at most 1,000,000), BENCH_PIPELINE_CLAIMS (1000),
BENCH_PIPELINE_POSTGRES (a PostgreSQL server URL, default
postgres://postgres@127.0.0.1:5432/postgres; "off" skips it),
BENCH_PIPELINE_FIGURES (which to measure, default
"in-memory,sqlite,postgresql,peak-memory"), BENCH_KEEP_DATA=1 keeps the
temporary folder.

Rates are given per second of wall time and per second of the measuring
process's CPU time (user + system; for PostgreSQL the server's own work is
not in it): on a machine busy with other work the second shows what an idle
core would do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baobab.pipeline.synthetic import (  # noqa: E402 - after the path is set
    Network,
    ReportGenerator,
    ReportStats,
    report_file_name,
)

SEED = 20240501
REPORT = "scan_telnet"  # ShadowServer's most common kind of report
DAY = dt.date(2024, 5, 1)
FEED = "bench-shadowserver-telnet"
E2E_ROWS = 1_000_000
OBSERVED = "2024-05-02T06:00:00+00:00"
FIGURES = ("in-memory", "sqlite", "postgresql", "peak-memory")
# The community's region: AFRINIC's /8s. Its claims are there, and so is the
# country of registration of every address; other space is the world's.
REGION = (41, 102, 105, 154, 196, 197)
COUNTRIES = [f"{a}{b}" for a in "ABCDEFGHKLMN" for b in "AEGKMRSTZ"][:40]


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def note(text: str) -> None:
    """A remark for the reader, on standard error (standard output is JSON lines)."""
    print(f"bench/pipeline: {text}", file=sys.stderr, flush=True)


# --- the community and its data ------------------------------------------------------


@dataclass
class Community:
    """Teams, organisations, claims, delegated ranges and routes, as plain data.

    Holders are numbered from 1 in list order (teams, then organisations),
    which is also the order they are created in the database.
    """

    teams: list[tuple[str, str, str]] = field(default_factory=list)  # short, type, country
    organisations: list[tuple[str, str, int]] = field(default_factory=list)  # short, cc, team
    claims: list[tuple[str, int, str, str]] = field(default_factory=list)  # kind, #, kind, value
    delegated: list[tuple[str, int, str]] = field(default_factory=list)  # first, size, cc
    routes: list[tuple[str, int]] = field(default_factory=list)  # prefix, ASN
    networks: list[Network] = field(default_factory=list)  # claimed prefixes, for reports
    tor_exits: list[str] = field(default_factory=list)


def _public_prefix(
    rnd: random.Random, length: int, firsts: tuple[int, ...] = ()
) -> ipaddress.IPv4Network:
    """A random prefix of public-looking IPv4 space (in the /8s ``firsts`` if given)."""
    while True:
        first = rnd.choice(firsts) if firsts else rnd.randint(1, 223)
        if first in (10, 100, 127, 169, 172, 192, 198, 203):
            continue
        value = (first << 24 | rnd.getrandbits(24)) >> (32 - length) << (32 - length)
        return ipaddress.IPv4Network((value, length))


def community(claim_count: int, seed: int = SEED) -> Community:
    """The benchmark's community: 40 national teams and a regional one, 300
    organisations, ``claim_count`` claims (80 % prefixes in the region's
    space, one in ten IPv6; AS numbers, domains and the teams' countries),
    the region's RIR delegated ranges and a routing table of 100,000 routes."""
    rnd = random.Random(seed)
    data = Community()
    data.teams.append(("bench-regional", "regional", ""))
    data.teams += [(f"cert-{cc.lower()}", "national", cc) for cc in COUNTRIES]
    national = range(2, len(data.teams) + 1)  # holder numbers of the national teams
    data.organisations = [
        (f"isp-{i}", COUNTRIES[i % len(COUNTRIES)], 2 + i % len(COUNTRIES)) for i in range(300)
    ]
    first_organisation = len(data.teams) + 1
    for number, cc in zip(national, COUNTRIES, strict=True):
        data.claims.append(("team", number, "country", cc))
    seen: set[str] = set()
    while len(data.claims) < claim_count:
        roll = rnd.random()
        organisation = rnd.randrange(len(data.organisations))
        holder = ("organisation", first_organisation + organisation)
        cc = data.organisations[organisation][1]
        if roll < 0.72:
            net = _public_prefix(rnd, rnd.choice((16, 18, 20, 22, 24, 24, 24)), REGION)
            value = str(net)
        elif roll < 0.80:
            length = rnd.choice((32, 36, 40, 48))
            bits = (0x2A00 << 112 | rnd.getrandbits(108) << 8) >> (128 - length) << (128 - length)
            value = str(ipaddress.IPv6Network((bits, length)))
        elif roll < 0.90:
            value = str(rnd.randrange(30_000, 400_000))
        else:
            value = f"isp{rnd.getrandbits(24):x}.example"
        if value in seen:
            continue
        seen.add(value)
        kind = "prefix" if roll < 0.80 else "asn" if roll < 0.90 else "domain"
        data.claims.append((holder[0], holder[1], kind, value))
        if kind == "prefix":
            asn = rnd.randrange(30_000, 400_000)
            data.routes.append((value, asn))
            data.networks.append(
                Network(value, asn=asn, cc=cc, domain=f"isp-{organisation}.example")
            )
    # The region's RIR delegated statistics: every /16 of its /8s registered in a country.
    for first in REGION:
        for second in range(256):
            data.delegated.append((f"{first}.{second}.0.0", 1 << 16, rnd.choice(COUNTRIES)))
    # The rest of the routing table.
    while len(data.routes) < 100_000:
        net = _public_prefix(rnd, rnd.choice((12, 16, 19, 20, 22, 23, 24, 24, 24)))
        data.routes.append((str(net), rnd.randrange(1_000, 400_000)))
    for _ in range(5_000):
        bits = 0x2A00 << 112 | rnd.getrandbits(100) << 12
        data.routes.append(
            (str(ipaddress.IPv6Network((bits >> 96 << 96, 32))), rnd.randrange(1_000, 400_000))
        )
    data.tor_exits = [str(_public_prefix(rnd, 32).network_address) for _ in range(1_500)]
    return data


def write_enrichment(data: Community, folder: Path) -> None:
    """The enrichment data files (routing table, AS names, Tor exits) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "ipasn.dat").open("w") as out:
        out.write("; IP-ASN32-DAT file (bench)\n")
        out.writelines(f"{prefix}\t{asn}\n" for prefix, asn in data.routes)
    asns = sorted({asn for _prefix, asn in data.routes})
    with (folder / "asnames.txt").open("w") as out:
        out.writelines(f"{asn} BENCH-AS{asn} Bench network {asn}, ZZ\n" for asn in asns)
    (folder / "tor-exits.txt").write_text("\n".join(data.tor_exits) + "\n")


def write_report(path: Path, rows: int, data: Community, seed: int = SEED) -> ReportStats:
    """A ``scan_telnet`` report of ``rows`` lines, 70 % inside the claimed prefixes."""
    return ReportGenerator(REPORT, seed=seed, day=DAY, inside=data.networks).write(path, rows)


# --- (a) in memory, one core -------------------------------------------------------------


def _lookup(data: Community, folder: Path) -> tuple[Any, Any, dict[int, str]]:
    """The look-up index (with the routing table plugged in, as the runner
    does), the enrichment tables and the team names, built without Django."""
    from baobab.directory.lookup import (  # noqa: PLC0415
        ClaimRecord,
        DelegatedRecord,
        HolderRecord,
        LookupIndex,
    )
    from baobab.pipeline.enrichment import Enrichment  # noqa: PLC0415
    from baobab.pipeline.enrichment.sources import (  # noqa: PLC0415
        read_asnames,
        read_ipasn,
        read_tor_exits,
    )
    from baobab.pipeline.enrichment.tables import CountryTable, Segments  # noqa: PLC0415

    holders = [
        HolderRecord("team", number, short, short, kind, cc)
        for number, (short, kind, cc) in enumerate(data.teams, start=1)
    ]
    holders += [
        HolderRecord("organisation", number, short, short, "isp", cc, managed_by_id=team)
        for number, (short, cc, team) in enumerate(data.organisations, start=len(holders) + 1)
    ]
    claims = [
        ClaimRecord(pk, kind, value, holder_kind, holder)
        for pk, (holder_kind, holder, kind, value) in enumerate(data.claims, start=1)
    ]
    delegated = [DelegatedRecord("bench", "ipv4", a, size, cc) for a, size, cc in data.delegated]
    asns = read_ipasn(folder / "ipasn.dat").value
    index = LookupIndex(holders, claims, delegated, ip_to_asn=asns)
    enrichment = Enrichment(
        asns=asns,
        as_names=read_asnames(folder / "asnames.txt").value,
        tor_exits=read_tor_exits(folder / "tor-exits.txt").value,
        countries=CountryTable(
            Segments(*index.registered_countries(4)), Segments(*index.registered_countries(6))
        ),
    )
    teams = {holder.id: holder.short_name for holder in holders if holder.kind == "team"}
    return index, enrichment, teams


def in_memory(path: Path, data_dir: Path, claim_count: int) -> None:
    """Child process: time the chain over the report's chunks, on one core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import polars as pl  # noqa: PLC0415 - after POLARS_MAX_THREADS is set

    from baobab.pipeline.chunks import read_head, read_lines, split  # noqa: PLC0415
    from baobab.pipeline.enrichment import enrich  # noqa: PLC0415
    from baobab.pipeline.parsers import get_parser  # noqa: PLC0415
    from baobab.pipeline.process import FeedDefaults, process_lines  # noqa: PLC0415

    note(f"(a) polars threads: {pl.thread_pool_size()}")
    index, enrichment, teams = _lookup(community(claim_count), data_dir / "enrichment")
    parser = get_parser("shadowserver")
    setup = parser.setup(read_head(path), file_name=path.name, report="", options={})
    chunk_bytes = int(os.environ.get("PIPELINE_CHUNK_BYTES", str(16 * 1024 * 1024)))
    spans = split(path, skip_lines=setup.skip_lines, chunk_bytes=chunk_bytes)
    chunks = [(span.first_line, read_lines(path, span)) for span in spans]
    feed = FeedDefaults(name=FEED, provider="Shadowserver Foundation")

    def run(first_line: int, lines: list[bytes]) -> tuple[int, int]:
        result = process_lines(
            parser,
            setup,
            lines,
            first_line,
            feed=feed,
            observed_at=OBSERVED,
            index=index,
            teams=teams,
            enrich=lambda frame: enrich(frame, enrichment),
        )
        return result.events.height, len(result.rejected)

    run(*chunks[0])  # warm-up: first calls compile regular expressions and the like
    events = rejected = 0
    started, cpu = time.perf_counter(), time.process_time()
    for first_line, lines in chunks:
        good, bad = run(first_line, lines)
        events += good
        rejected += bad
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    emit("pipeline_in_memory_events_per_second_one_core", events / elapsed, "events/s")
    # The same per second of this process's CPU time: what one idle core would do.
    emit("pipeline_in_memory_events_per_cpu_second", events / cpu, "events/s")
    emit("pipeline_in_memory_events", events, "events")
    emit("pipeline_in_memory_rejected", rejected, "records")
    emit("pipeline_in_memory_rows_per_chunk", (events + rejected) / len(chunks), "rows")
    stages = time_stages(parser, setup, chunks, feed, (index, enrichment, teams))
    for stage, seconds in stages.items():
        emit(f"pipeline_stage_{stage}_per_event", seconds / events * 1e6, "us")


def time_stages(
    parser: Any,
    setup: Any,
    chunks: list[tuple[int, list[bytes]]],
    feed: Any,
    lookup: tuple[Any, Any, dict[int, str]],
) -> dict[str, float]:
    """Seconds spent in each stage over all chunks (the calls process_lines makes)."""
    from baobab.pipeline.dedup import add_dedup_keys  # noqa: PLC0415
    from baobab.pipeline.enrichment import enrich  # noqa: PLC0415
    from baobab.pipeline.normalise import normalise  # noqa: PLC0415
    from baobab.pipeline.process import with_feed_defaults  # noqa: PLC0415
    from baobab.pipeline.route import route  # noqa: PLC0415

    index, enrichment, teams = lookup
    stages = dict.fromkeys(
        ("parse", "feed_defaults", "normalise", "dedup_key", "enrich", "route"), 0.0
    )
    for first_line, lines in chunks:
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            stages[stage] += now - clock
            clock = now

        parsed = parser.parse(lines, first_line, setup)
        lap("parse")
        frame = with_feed_defaults(parsed.frame, feed, OBSERVED)
        lap("feed_defaults")
        frame, _invalid = normalise(frame)
        lap("normalise")
        frame = add_dedup_keys(frame)
        lap("dedup_key")
        frame = enrich(frame, enrichment)
        lap("enrich")
        route(frame, index, teams)
        lap("route")
    return stages


# --- (b) and (c) end to end ------------------------------------------------------------


def child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of a ``baobab`` child: production mode, its own data folder."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "POLARS_MAX_THREADS"):
        env.pop(name, None)
    env.update(
        {
            "BAOBAB_DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "localhost",
            "DJANGO_SETTINGS_MODULE": "baobab.settings",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def setup_database(claim_count: int) -> None:
    """Child process: migrate, create the community and the feed, write the
    enrichment files (the environment says which database and folder)."""
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415

    from baobab.core.services import create_team  # noqa: PLC0415
    from baobab.directory.index_state import mark_changed  # noqa: PLC0415
    from baobab.directory.models import DelegatedRange  # noqa: PLC0415
    from baobab.directory.services import create_claim, create_organisation  # noqa: PLC0415
    from baobab.pipeline.services import create_feed  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    data = community(claim_count)
    with transaction.atomic():
        holders: list[Any] = []
        for short, kind, cc in data.teams:
            holders.append(
                create_team(
                    acting_user=None, short_name=short, name=short, team_type=kind, country=cc
                )
            )
        for short, cc, team in data.organisations:
            holders.append(
                create_organisation(
                    acting_user=None,
                    short_name=short,
                    name=short,
                    kind="isp",
                    country=cc,
                    managed_by=holders[team - 1],
                )
            )
        for _holder_kind, number, kind, value in data.claims:
            create_claim(holders[number - 1], kind, value, acting_user=None)
        DelegatedRange.objects.bulk_create(
            DelegatedRange(
                registry="bench",
                kind="ipv4",
                first=first,
                size=str(size),
                country=cc,
                status="allocated",
            )
            for first, size, cc in data.delegated
        )
        create_feed(
            acting_user=None,
            name=FEED,
            parser="shadowserver",
            provider="Shadowserver Foundation",
            owner_team=holders[0],
        )
        mark_changed()
    write_enrichment(data, Path(settings.DATA_DIR) / "enrichment")


@dataclass
class Ingest:
    """What one ``baobab ingest`` child did."""

    summary: dict[str, Any]
    seconds: float
    cpu_seconds: float
    max_rss_mib: float


def run_child(args: list[str], env: dict[str, str]) -> Ingest:
    """Run a child to its end; its JSON output, wall time and peak memory."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{' '.join(args[:3])} … failed with exit code {child.returncode}")
    summary = json.loads(output) if output.strip().startswith(b"{") else {}
    return Ingest(summary, seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def ingest(report: Path, env: dict[str, str]) -> Ingest:
    """``baobab ingest`` of ``report`` into the (set-up) database of ``env``."""
    baobab = str(Path(sys.executable).with_name("baobab"))
    result = run_child([baobab, "ingest", "--feed", FEED, str(report), "--json"], env)
    summary = result.summary
    if summary.get("status") != "done":
        raise RuntimeError(f"the run did not finish: {summary}")
    return result


def end_to_end(name: str, report: Path, stats: ReportStats, env: dict[str, str]) -> Ingest:
    """Set up a database, ingest the report, print the figures."""
    subprocess.run([sys.executable, __file__, "--setup-database"], env=env, cwd=ROOT, check=True)
    result = ingest(report, env)
    summary = result.summary
    events = summary["parsed"] - summary["quarantined"]
    emit(f"pipeline_ingest_{name}_events_per_second", events / result.seconds, "events/s")
    emit(f"pipeline_ingest_{name}_events_per_cpu_second", events / result.cpu_seconds, "events/s")
    if summary.get("duration_seconds"):
        emit(
            f"pipeline_ingest_{name}_run_events_per_second",
            events / summary["duration_seconds"],
            "events/s",
        )
    emit(f"pipeline_ingest_{name}_rows", stats.rows, "rows")
    emit(f"pipeline_ingest_{name}_stored", summary["stored"], "events")
    emit(f"pipeline_ingest_{name}_duplicates", summary["duplicates"], "events")
    emit(f"pipeline_ingest_{name}_quarantined", summary["quarantined"], "records")
    emit(f"pipeline_ingest_{name}_unrouted", summary["unrouted"], "events")
    emit(f"pipeline_ingest_{name}_peak_memory", result.max_rss_mib, "MiB")
    expected = (stats.unique, stats.malformed)
    if (summary["stored"], summary["quarantined"]) != expected:
        note(
            f"{name}: stored/quarantined {summary['stored']}/{summary['quarantined']}, "
            f"expected {expected[0]}/{expected[1]}"
        )
    return result


@contextmanager
def postgres_database(server_url: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database on ``server_url``'s server (dropped after),
    or None when the server cannot be reached."""
    import psycopg  # noqa: PLC0415

    name = f"baobab_bench_{os.getpid()}"
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


def main() -> None:
    """Generate the community and the reports, then measure (a), (b) and (c)."""
    rows = int(os.environ.get("BENCH_PIPELINE_ROWS", "5000000"))
    claim_count = int(os.environ.get("BENCH_PIPELINE_CLAIMS", "1000"))
    postgres = os.environ.get(
        "BENCH_PIPELINE_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    figures = set(os.environ.get("BENCH_PIPELINE_FIGURES", ",".join(FIGURES)).split(","))
    if unknown := figures - set(FIGURES):
        raise SystemExit(f"BENCH_PIPELINE_FIGURES: unknown {', '.join(sorted(unknown))}")
    small_rows = min(rows, E2E_ROWS)
    work = Path(tempfile.mkdtemp(prefix="baobab-bench-pipeline-"))
    try:
        started = time.perf_counter()
        data = community(claim_count)
        write_enrichment(data, work / "memory" / "enrichment")
        small = work / report_file_name(REPORT, DAY, "bench")
        small_stats = write_report(small, small_rows, data)
        emit(
            "pipeline_generate_rows_per_second",
            small_rows / (time.perf_counter() - started),
            "rows/s",
        )
        emit("pipeline_claims", len(data.claims), "claims")

        if "in-memory" in figures:
            env = child_env(work / "memory", None)
            env["POLARS_MAX_THREADS"] = "1"
            command = ["--in-memory", str(small), str(work / "memory"), str(claim_count)]
            subprocess.run([sys.executable, __file__, *command], env=env, cwd=ROOT, check=True)
        if "sqlite" in figures:
            end_to_end("sqlite", small, small_stats, child_env(work / "sqlite", None))
        if "postgresql" in figures and postgres and postgres != "off":
            with postgres_database(postgres) as url:
                if url is not None:
                    postgresql = child_env(work / "postgresql", url)
                    end_to_end("postgresql", small, small_stats, postgresql)
        if "peak-memory" in figures:
            big = work / "big" / report_file_name(REPORT, DAY + dt.timedelta(days=1), "bench")
            big.parent.mkdir()
            big_stats = write_report(big, rows, data, seed=SEED + 1)
            emit("pipeline_large_report_rows", rows, "rows")
            emit("pipeline_large_report_size", big.stat().st_size / 2**20, "MiB")
            large = child_env(work / "large", None)
            result = end_to_end("sqlite_large", big, big_stats, large)
            emit("pipeline_peak_memory_large_report", result.max_rss_mib, "MiB")
            if result.max_rss_mib >= 1024:
                note(f"peak memory {result.max_rss_mib:.0f} MiB is over the 1 GiB target")
    except BaseException:
        os.environ["BENCH_KEEP_DATA"] = "1"
        raise
    finally:
        if os.environ.get("BENCH_KEEP_DATA") == "1":
            note(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def entry() -> None:
    """The benchmark, or one of its child processes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in-memory", nargs=3, metavar=("REPORT", "DATA_DIR", "CLAIMS"))
    parser.add_argument("--setup-database", action="store_true")
    args = parser.parse_args()
    if args.in_memory:
        report, data_dir, claims = args.in_memory
        in_memory(Path(report), Path(data_dir), int(claims))
    elif args.setup_database:
        setup_database(int(os.environ.get("BENCH_PIPELINE_CLAIMS", "1000")))
    else:
        main()


if __name__ == "__main__":
    entry()
