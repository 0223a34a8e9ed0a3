"""Benchmark of "who handles this?": the in-process index and the HTTP API.

(a) In process, on one core: build an index of 100,000 random prefix claims
    (IPv4 and IPv6) with delegated ranges, then time look-ups of random
    addresses, one query at a time (text parsed each time) and in batches.
(b) Over HTTP: a throwaway data folder, 10,000 claims created through the
    services, gunicorn with 3 workers on a loopback port, several client
    processes with keep-alive connections for about 10 s: requests per second
    and latency percentiles.

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}.
Environment: BENCH_LOOKUP_SECONDS (default 10), BENCH_LOOKUP_CLIENTS (4),
BENCH_LOOKUP_WORKERS (3), BENCH_LOOKUP_CLAIMS (10000).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from baobab.directory.lookup import (  # noqa: E402 - after the path is set
    ClaimRecord,
    DelegatedRecord,
    HolderRecord,
    LookupIndex,
)

SEED = 20240601


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


# --- (a) in process ------------------------------------------------------------


def random_prefix(rnd: random.Random, version: int) -> str:
    """A random IPv4 (/8–/28) or IPv6 (/20–/64, inside 2000::/3) prefix."""
    if version == 4:
        length = rnd.randint(8, 28)
        value = rnd.randint(1 << 24, (224 << 24) - 1) >> (32 - length) << (32 - length)
        return f"{ipaddress.IPv4Address(value)}/{length}"
    length = rnd.randint(20, 64)
    value = ((0x2000 << 112) | rnd.getrandbits(125)) >> (128 - length) << (128 - length)
    return f"{ipaddress.IPv6Address(value)}/{length}"


def build_records(
    count: int, rnd: random.Random
) -> tuple[list[HolderRecord], list[ClaimRecord], list[DelegatedRecord]]:
    """Holders, ``count`` prefix claims (10 % IPv6) and delegated IPv4 ranges."""
    holders = [
        HolderRecord("team", i, f"team-{i}", f"Team {i}", "national", f"{chr(65 + i % 26)}K")
        for i in range(1, 201)
    ]
    holders += [
        HolderRecord(
            "organisation", i, f"org-{i}", f"Org {i}", "isp", "", managed_by_id=1 + i % 200
        )
        for i in range(1, 2001)
    ]
    claims = []
    for pk in range(1, count + 1):
        holder = rnd.choice(holders)
        prefix = random_prefix(rnd, 6 if pk % 10 == 0 else 4)
        claims.append(ClaimRecord(pk, "prefix", prefix, holder.kind, holder.id))
    delegated = [
        DelegatedRecord("afrinic", "ipv4", str(ipaddress.IPv4Address(i << 16)), 65536, "KE")
        for i in range(1 << 8, 1 << 14, 3)
    ]
    return holders, claims, delegated


def bench_in_process() -> None:
    """Build time and look-ups per second of the pure index on one core."""
    rnd = random.Random(SEED)
    holders, claims, delegated = build_records(100_000, rnd)
    started = time.perf_counter()
    index = LookupIndex(holders, claims, delegated)
    emit("lookup_index_build_100k_prefixes", time.perf_counter() - started, "s")

    inside = [ipaddress.ip_network(claim.value) for claim in rnd.sample(claims, 5000)]
    addresses = []
    for i in range(200_000):
        if i % 2:
            network = inside[i % len(inside)]
            offset = rnd.randrange(network.num_addresses)
            addresses.append(str(network.network_address + offset))
        elif i % 10 == 0:
            addresses.append(str(ipaddress.IPv6Address((0x2000 << 112) | rnd.getrandbits(125))))
        else:
            addresses.append(str(ipaddress.IPv4Address(rnd.getrandbits(32))))

    lookup = index.lookup
    started = time.perf_counter()
    for text in addresses:
        lookup(text)
    elapsed = time.perf_counter() - started
    emit("lookup_in_process_per_second", len(addresses) / elapsed, "lookups/s")
    emit("lookup_in_process_latency", elapsed / len(addresses) * 1e6, "us")

    started = time.perf_counter()
    index.resolve_addresses(addresses)
    elapsed = time.perf_counter() - started
    emit("lookup_batch_per_second", len(addresses) / elapsed, "addresses/s")


# --- (b) over HTTP ---------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_community(claim_count: int) -> tuple[str, list[str]]:
    """Create teams, organisations, contacts and claims through the services;
    return an API key and the queries to send."""
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import transaction  # noqa: PLC0415

    from baobab.core import services as core_services  # noqa: PLC0415
    from baobab.core.choices import TLP, Role, TeamType  # noqa: PLC0415
    from baobab.directory import services  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    rnd = random.Random(SEED)
    countries = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "KLMNO"][:50]
    queries: list[str] = []
    with transaction.atomic():
        core_services.create_team(
            acting_user=None, short_name="regional", name="Regional", team_type=TeamType.REGIONAL
        )
        teams = [
            core_services.create_team(
                acting_user=None,
                short_name=f"cert-{country.lower()}",
                name=f"CERT {country}",
                team_type=TeamType.NATIONAL,
                country=country,
                email=f"incident@cert-{country.lower()}.example",
            )
            for country in countries
        ]
        for team in teams:
            services.create_contact(
                team,
                acting_user=None,
                name="Duty officer",
                emails=[f"duty@{team.short_name}.example"],
                is_24x7=True,
                tlp=TLP.GREEN,
            )
        organisations = []
        for i in range(1, 1001):
            team = teams[i % len(teams)]
            organisation = services.create_organisation(
                acting_user=None,
                short_name=f"org-{i}",
                name=f"Organisation {i}",
                kind="isp",
                country=team.country,
                managed_by=team,
            )
            services.create_contact(
                organisation,
                acting_user=None,
                name="Abuse desk",
                emails=[f"abuse@org-{i}.example"],
                tlp=TLP.GREEN,
            )
            organisations.append(organisation)
        created = 0
        seen: set[tuple[int, str, str]] = set()
        while created < claim_count:
            holder = rnd.choice(organisations)
            roll = rnd.random()
            if roll < 0.75:
                kind, value = "prefix", random_prefix(rnd, 6 if roll < 0.05 else 4)
                network = ipaddress.ip_network(value)
                queries.append(str(network.network_address + rnd.randrange(network.num_addresses)))
            elif roll < 0.85:
                kind, value = "asn", str(rnd.randint(1, 400_000))
                queries.append(f"AS{value}")
            else:
                kind, value = "domain", f"d{rnd.getrandbits(32):x}.example"
                queries.append(f"https://www.{value}/login")
            if (holder.pk, kind, value) in seen:
                continue
            seen.add((holder.pk, kind, value))
            services.create_claim(holder, kind, value, acting_user=None)
            created += 1
        user = core_services.add_user("bench", team=teams[0], role=Role.VIEWER, acting_user=None)
        _token, key = core_services.create_token(user, name="bench", acting_user=None)
    queries += [str(ipaddress.IPv4Address(rnd.getrandbits(32))) for _ in range(claim_count // 5)]
    queries += rnd.choices(countries, k=claim_count // 20)
    rnd.shuffle(queries)
    return key, queries


def client(args: tuple[int, str, list[str], float, float]) -> tuple[list[float], int, int]:
    """Send look-ups until ``stop_at`` on one keep-alive connection (reopened
    when the server closes it); latencies after ``measure_from`` only."""
    port, key, queries, measure_from, stop_at = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {key}", "Connection": "keep-alive"}
    latencies: list[float] = []
    errors = i = 0
    offset = os.getpid()
    while True:
        now = time.perf_counter()
        if now >= stop_at:
            break
        query = queries[(offset + i) % len(queries)]
        i += 1
        try:
            connection.request("GET", f"/api/v1/lookup/?q={quote(query, safe='')}", headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()
            ok = False
        done = time.perf_counter()
        if now >= measure_from:
            latencies.append(done - now)
            errors += not ok
    connection.close()
    return latencies, errors, i


def wait_until_up(port: int, deadline: float) -> None:
    """Wait for the server's health check to answer."""
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within the time limit")


def start_server(
    port: int, workers: int, env: dict[str, str], data_dir: str
) -> subprocess.Popen[bytes]:
    """Start gunicorn on a loopback port, its log in the data folder."""
    with Path(data_dir, "gunicorn.log").open("wb") as log:
        return subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "baobab.wsgi",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def drive(
    port: int, key: str, queries: list[str], clients: int, seconds: float
) -> tuple[list[float], int]:
    """Run the client processes: 3 s of warm-up, then ``seconds`` measured."""
    warm_up = 3.0
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        pool.map(time.sleep, [0.0] * clients)  # the clock starts once all clients run
        now = time.perf_counter()
        jobs = [(port, key, queries, now + warm_up, now + warm_up + seconds)] * clients
        results = pool.map(client, jobs)
    latencies = sorted(latency for result in results for latency in result[0])
    return latencies, sum(result[1] for result in results)


def bench_http() -> None:
    """Requests per second and latency of GET /api/v1/lookup/ under gunicorn."""
    seconds = float(os.environ.get("BENCH_LOOKUP_SECONDS", "10"))
    clients = int(os.environ.get("BENCH_LOOKUP_CLIENTS", "4"))
    workers = int(os.environ.get("BENCH_LOOKUP_WORKERS", "3"))
    claim_count = int(os.environ.get("BENCH_LOOKUP_CLAIMS", "10000"))
    data_dir = tempfile.mkdtemp(prefix="baobab-bench-lookup-")
    os.environ.update({"BAOBAB_DATA_DIR": data_dir, "DEBUG": "true"})
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baobab.settings")
    server: subprocess.Popen[bytes] | None = None
    try:
        import django  # noqa: PLC0415

        django.setup()
        from django.db import connections  # noqa: PLC0415

        started = time.perf_counter()
        key, queries = create_community(claim_count)
        connections.close_all()
        emit("lookup_http_setup_claims", claim_count, "claims")
        emit("lookup_http_setup_time", time.perf_counter() - started, "s")

        port = free_port()
        server = start_server(port, workers, dict(os.environ), data_dir)
        wait_until_up(port, time.monotonic() + 60)
        latencies, errors = drive(port, key, queries, clients, seconds)
        if not latencies:
            raise RuntimeError("no request completed")
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        emit("lookup_http_requests_per_second", len(latencies) / seconds, "requests/s")
        emit("lookup_http_p50", latencies[len(latencies) // 2] * 1000, "ms")
        emit("lookup_http_p99", p99 * 1000, "ms")
        emit("lookup_http_clients", clients, "processes")
        emit("lookup_http_workers", workers, "gunicorn workers")
        emit("lookup_http_errors", errors, "requests")
        if errors:
            raise RuntimeError(f"{errors} requests failed; see {data_dir}/gunicorn.log")
    except BaseException:
        os.environ["BENCH_KEEP_DATA"] = "1"  # keep the log for a look
        raise
    finally:
        if server is not None:
            stop(server)
        if os.environ.get("BENCH_KEEP_DATA") != "1":
            shutil.rmtree(data_dir, ignore_errors=True)


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn (its master and workers, which share its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)


def main() -> None:
    """Run both benchmarks; the in-process one pinned to one core."""
    cores: set[int] | None = None
    if hasattr(os, "sched_setaffinity"):
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cores)})
    try:
        bench_in_process()
    finally:
        if cores is not None:
            os.sched_setaffinity(0, cores)
    bench_http()


if __name__ == "__main__":
    main()
