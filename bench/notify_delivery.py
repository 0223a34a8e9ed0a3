"""Benchmark of notification delivery: rendering 10,000 digests into the
outbox, then handing them to a local SMTP server.

A fresh SQLite database (in a temporary folder) holds one team with an
immediate policy grouped by source address, and ``BENCH_NOTIFY_DIGESTS``
addresses × 3 routed events. ``baobab.notify.outbox.run`` builds one message
per address (sandboxed template in the team's language, CSV attachment,
stored with its state); ``baobab.notify.delivery.deliver`` sends them over
one SMTP session to an aiosmtpd ``Sink`` running in a child process on
loopback. Messages are neither signed nor encrypted (PGP costs are those of
``bench/notify.py``'s neighbours in the test suite, not measured here).

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}.
Environment: BENCH_NOTIFY_DIGESTS (default 10,000).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVENTS_PER_DIGEST = 3


def emit(name: str, value: float, unit: str) -> None:
    """One figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    """aiosmtpd's Sink handler (accepts and drops every message) in a child."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return child
        time.sleep(0.05)
    child.kill()
    raise RuntimeError("the SMTP sink did not start")


def main() -> None:
    digests = int(os.environ.get("BENCH_NOTIFY_DIGESTS", "10000"))
    work = Path(tempfile.mkdtemp(prefix="baobab-bench-notify-"))
    port = free_port()
    sink = start_sink(port)
    try:
        os.environ.update(
            {
                "BAOBAB_DATA_DIR": str(work),
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "ALLOWED_HOSTS": "localhost",
                "DJANGO_SETTINGS_MODULE": "baobab.settings",
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(port),
            }
        )
        for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
        measure(digests)
    finally:
        sink.kill()
        sink.wait()
        shutil.rmtree(work, ignore_errors=True)


def measure(digests: int) -> None:
    import django  # noqa: PLC0415 - after the environment is set

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from baobab.core.choices import TLP, Distribution, TeamType  # noqa: PLC0415
    from baobab.core.models import Team  # noqa: PLC0415
    from baobab.notify import delivery, outbox, services  # noqa: PLC0415
    from baobab.notify.models import OutboxMessage  # noqa: PLC0415
    from baobab.pipeline.models import Event, Feed  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    team = Team.objects.create(
        short_name="cert-bench",
        name="CERT Bench",
        team_type=TeamType.NATIONAL,
        email="soc@cert-bench.example",
    )
    feed = Feed.objects.create(name="bench", parser="shadowserver", owner_team=team)
    now = dt.datetime.now(dt.UTC)
    kinds = ("vulnerable-system", "infected-system", "scanner")
    Event.objects.bulk_create(
        (
            Event(
                dedup_key=f"{number:040d}",
                feed=feed,
                time_source=now - dt.timedelta(seconds=number),
                time_observation=now,
                source_ip=f"10.{number // 3 // 65536 % 256}.{number // 3 // 256 % 256}."
                f"{number // 3 % 256}",
                source_port=23,
                source_asn=64500,
                classification_taxonomy="vulnerable",
                classification_type=kinds[number % 3],
                team=team,
                owner_team=team,
                tlp=TLP.AMBER,
                distribution=Distribution.TEAM,
                data={"raw": f"line {number}", "extra.severity": "medium"},
            )
            for number in range(digests * EVENTS_PER_DIGEST)
        ),
        batch_size=5000,
    )
    services.create_policy(
        team,
        {"name": "bench", "interval": "immediately", "group_by": ["source.ip"], "sign": False},
        acting_user=None,
    )
    started = time.perf_counter()
    built = outbox.run()
    rendered = time.perf_counter() - started
    started = time.perf_counter()
    report = delivery.deliver()
    sent = time.perf_counter() - started
    stored = OutboxMessage.objects.count()
    emit("notify_delivery_digests", len(built.built), "digests")
    emit("notify_render_messages_per_second", stored / rendered, "messages/s")
    emit("notify_smtp_messages_per_second", report.sent / sent, "messages/s")
    emit(
        "notify_render_and_send_messages_per_second", report.sent / (rendered + sent), "messages/s"
    )
    if report.sent != digests:
        print(f"bench/notify_delivery: sent {report.sent} of {digests}", file=sys.stderr)


if __name__ == "__main__":
    main()
