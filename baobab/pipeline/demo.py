"""The demo community's feeds and events, so that a newcomer sees the
pipeline's result on first start.

Reports are generated in their real formats (ShadowServer's ``scan_telnet``
and ``event4_sinkhole`` CSV files for the regional coordinator, a blocklist.de
list for the Kenyan team) over the last few days. Their addresses come from
the documentation space the demo teams and organisations claim or that is
registered to their countries, plus some from space nobody in the community
answers for (RFC 2544's benchmarking range, an unclaimed part of
2001:db8::/32), and a few lines are malformed on purpose. Each report goes
through the real runner: parsed, normalised, deduplicated, enriched, routed to
the demo teams (or left unrouted) and stored; the malformed lines wait in
quarantine. Runs after :func:`baobab.directory.demo.load`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.directory.choices import ClaimKind, DelegatedKind
from baobab.directory.models import ConstituencyClaim, DelegatedRange
from baobab.pipeline.choices import QuarantineStatus
from baobab.pipeline.models import Event, Feed, QuarantinedRecord
from baobab.pipeline.services import create_feed, submit_report
from baobab.pipeline.synthetic import Network, ReportGenerator, report_file_name

SEED = 20100530  # the CERT-Africa meeting in Kigali
# Space no demo team answers for: events from it stay unrouted.
OUTSIDE = (Network("198.18.0.0/15", asn=64_999, cc="ZZ"), Network("2001:db8:f000::/36"))
INSIDE_SHARE = 0.85
MALFORMED_SHARE = 0.004


@dataclass(frozen=True)
class DemoFeed:
    """A demo feed and the reports it gets: ``rows`` lines on each of ``days``."""

    name: str
    team: str
    parser: str
    report: str
    provider: str
    tlp: str
    description: str
    rows: int
    days: int


FEEDS = (
    DemoFeed(
        "shadowserver-telnet-demo",
        "AFR-CC-DEMO",
        "shadowserver",
        "scan_telnet",
        "Shadowserver Foundation",
        TLP.AMBER,
        "Devices with Telnet open to the internet in the region (demo data).",
        rows=800,
        days=3,
    ),
    DemoFeed(
        "shadowserver-sinkhole-demo",
        "AFR-CC-DEMO",
        "shadowserver",
        "event4_sinkhole",
        "Shadowserver Foundation",
        TLP.AMBER,
        "Infected machines seen connecting to sinkholes (demo data).",
        rows=600,
        days=2,
    ),
    DemoFeed(
        "blocklist-de-ssh-demo",
        "KE-CIRT-DEMO",
        "blocklist-de",
        "ssh",
        "blocklist.de",
        TLP.CLEAR,
        "Addresses reported for SSH attacks, as published by blocklist.de (demo data).",
        rows=300,
        days=1,
    ),
)


def is_loaded() -> bool:
    """Whether the demo feeds exist already."""
    return Feed.objects.filter(name__in=[feed.name for feed in FEEDS]).exists()


def networks() -> list[Network]:
    """The demo community's address space, as reports should show it: the
    prefixes its teams and organisations claim (with their AS number and
    country) and the ranges registered to its countries."""
    asns: dict[tuple[int | None, int | None], int] = {}
    for team_id, organisation_id, value in ConstituencyClaim.objects.filter(
        kind=ClaimKind.ASN
    ).values_list("team_id", "organisation_id", "value"):
        asns.setdefault((team_id, organisation_id), int(value))
    found: list[Network] = []
    claims = ConstituencyClaim.objects.filter(kind=ClaimKind.PREFIX).select_related(
        "team", "organisation"
    )
    for claim in claims.order_by("id"):
        holder = claim.team or claim.organisation
        if holder is None or not getattr(holder, "is_demo", False):
            continue
        found.append(
            Network(
                claim.value,
                asn=asns.get((claim.team_id, claim.organisation_id)),
                cc=holder.country,
                domain=f"{holder.short_name.lower()}.example",
            )
        )
    for first, size, country in DelegatedRange.objects.filter(
        registry="demo", kind=DelegatedKind.IPV4
    ).values_list("first", "size", "country"):
        prefix = ipaddress.IPv4Network((first, 32 - (int(size) - 1).bit_length()))
        found.append(Network(str(prefix), cc=country))
    return found


def _write(feed: DemoFeed, day: dt.date, folder: Path, inside: list[Network], seed: int) -> Path:
    if feed.parser == "shadowserver":
        path = folder / report_file_name(feed.report, day, "afr-cc-demo")
        ReportGenerator(
            feed.report,
            seed=seed,
            day=day,
            inside=inside,
            outside=OUTSIDE,
            inside_share=INSIDE_SHARE,
            malformed_share=MALFORMED_SHARE,
        ).write(path, feed.rows)
        return path
    # blocklist.de: one address a line.
    rnd = random.Random(seed)
    v4 = [network for network in inside if ":" not in network.prefix]
    lines: list[str] = []
    for _ in range(feed.rows):
        network = rnd.choice(v4) if rnd.random() < INSIDE_SHARE else OUTSIDE[0]
        net = ipaddress.ip_network(network.prefix)
        lines.append(str(net.network_address + rnd.randrange(1, net.num_addresses - 1)))
    lines.append("not-an-address")  # a line for the quarantine
    path = folder / f"{feed.report}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def load_events() -> dict[str, int]:
    """Create the demo feeds and run their generated reports; counts of what
    was made. Does nothing when the demo feeds exist already."""
    if is_loaded():
        return {}
    teams = {team.short_name: team for team in Team.objects.filter(is_demo=True)}
    inside = networks()
    today = timezone.now().date()
    feeds = []
    with tempfile.TemporaryDirectory(prefix="baobab-demo-") as temporary:
        folder = Path(temporary)
        for number, spec in enumerate(FEEDS):
            feed = create_feed(
                acting_user=None,
                name=spec.name,
                provider=spec.provider,
                description=spec.description,
                parser=spec.parser,
                report=spec.report,
                owner_team=teams.get(spec.team),
                tlp=spec.tlp,
            )
            feeds.append(feed)
            for back in range(spec.days, 0, -1):
                day = today - dt.timedelta(days=back)
                path = _write(spec, day, folder, inside, SEED + 100 * number + back)
                submit_report(
                    feed,
                    path,
                    source="demo",
                    file_name=path.name,
                    acting_user=None,
                    move=True,
                )
    return {
        "feeds": len(feeds),
        "events": Event.objects.filter(feed__in=feeds).count(),
        "quarantined records": QuarantinedRecord.objects.filter(
            feed__in=feeds, status=QuarantineStatus.OPEN
        ).count(),
    }
