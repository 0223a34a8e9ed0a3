"""The demo community's shared intelligence: indicators and reports at every
TLP level and distribution, shared with the East Africa working group, named
to one team at TLP:RED, seen by other teams — so a newcomer logging in as
different demo users sees the rules at work (analyst-ke and analyst-mz see
the group's objects, viewer-ng does not; only KE and the named team see the
RED one). Values are documentation addresses and ``.example`` names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team
from baobab.sharing import services
from baobab.sharing.models import Indicator


@dataclass(frozen=True)
class DemoIndicator:
    team: str
    kind: str
    value: str
    tlp: TLP
    distribution: Distribution
    name: str
    named: tuple[str, ...] = ()


GROUP = "East Africa working group (demo)"

INDICATORS = [
    DemoIndicator(
        "KE-CIRT-DEMO",
        "ip",
        "192.0.2.66",
        TLP.CLEAR,
        Distribution.PUBLIC,
        "Scanner hitting SSH across the region",
    ),
    DemoIndicator(
        "KE-CIRT-DEMO",
        "domain",
        "mpesa-verify.example",
        TLP.GREEN,
        Distribution.COMMUNITY,
        "Mobile-money phishing domain",
    ),
    DemoIndicator(
        "KE-CIRT-DEMO",
        "url",
        "http://mpesa-verify.example/login.php",
        TLP.AMBER,
        Distribution.GROUP,
        "Phishing kit landing page",
    ),
    DemoIndicator(
        "KE-CIRT-DEMO",
        "sha256",
        "5f2b1c7e9a3d4b6f8e0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
        TLP.AMBER_STRICT,
        Distribution.GROUP,
        "Banking trojan dropper",
    ),
    DemoIndicator(
        "KE-CIRT-DEMO",
        "ip",
        "198.51.100.23",
        TLP.RED,
        Distribution.TEAM,
        "Command server under investigation",
        named=("TZ-CERT-DEMO",),
    ),
    DemoIndicator(
        "KE-CIRT-DEMO",
        "email",
        "support@mpesa-verify.example",
        TLP.AMBER,
        Distribution.TEAM,
        "Sender of the phishing wave (own team only)",
    ),
    DemoIndicator(
        "SN-CERT-DEMO",
        "domain",
        "mpesa-verify.example",
        TLP.GREEN,
        Distribution.COMMUNITY,
        "Domaine d'hameçonnage vu au Sénégal",
    ),
    DemoIndicator(
        "SN-CERT-DEMO",
        "ip",
        "203.0.113.45",
        TLP.GREEN,
        Distribution.COMMUNITY,
        "Serveur de commande (botnet)",
    ),
    DemoIndicator(
        "MA-CERT-DEMO",
        "md5",
        "9e107d9d372bb6826bd81d3542a419d6",
        TLP.CLEAR,
        Distribution.PUBLIC,
        "Macro document sample",
    ),
    DemoIndicator(
        "MZ-CSIRT-DEMO",
        "url",
        "http://mpesa-verify.example/login.php",
        TLP.AMBER,
        Distribution.GROUP,
        "Página de phishing vista em Moçambique",
    ),
    DemoIndicator(
        "MZ-CSIRT-DEMO",
        "asn",
        "AS64500",
        TLP.GREEN,
        Distribution.COMMUNITY,
        "Bulletproof hosting network",
    ),
]

REPORT_BODY = """\
## Mobile-money phishing wave (demo)

Since **{start}**, SMS messages ask customers to "verify" their mobile-money
account at a look-alike domain. The kit collects the PIN and the one-time code.

What to do:

1. Block the domain and the landing page at your resolvers.
2. Ask your mobile operators to filter the SMS sender.
3. Share what you see: add a sighting to the indicators below.
"""


def _teams() -> dict[str, Team]:
    return {team.short_name: team for team in Team.objects.filter(is_demo=True)}


def load() -> dict[str, int]:
    """Create the demo's shared objects once; counts of what was made."""
    if Indicator.objects.filter(owner_team__is_demo=True).exists():
        return {}
    teams = _teams()
    if "KE-CIRT-DEMO" not in teams:
        return {}
    group = SharingGroup.objects.filter(name=GROUP).first()
    indicators: list[Indicator] = []
    for spec in INDICATORS:
        indicators.append(
            services.create_indicator(
                teams[spec.team],
                acting_user=None,
                recipient_teams=[teams[name] for name in spec.named],
                kind=spec.kind,
                value=spec.value,
                name=spec.name,
                tlp=spec.tlp,
                distribution=spec.distribution,
                sharing_group=group if spec.distribution == Distribution.GROUP else None,
                confidence=80,
                valid_until=timezone.now() + dt.timedelta(days=90),
            )
        )
    by_value = {(i.owner_team.short_name, i.value): i for i in indicators}
    sightings = [
        services.create_sighting(
            teams["TZ-CERT-DEMO"],
            by_value[("KE-CIRT-DEMO", "mpesa-verify.example")],
            acting_user=None,
            count=14,
            tlp=TLP.GREEN,
        ),
        services.create_sighting(
            teams["NG-CERT-DEMO"],
            by_value[("SN-CERT-DEMO", "203.0.113.45")],
            acting_user=None,
            count=3,
            tlp=TLP.AMBER,
            distribution=Distribution.COMMUNITY,
        ),
    ]
    phishing = [
        by_value[("KE-CIRT-DEMO", "mpesa-verify.example")],
        by_value[("KE-CIRT-DEMO", "http://mpesa-verify.example/login.php")],
        by_value[("KE-CIRT-DEMO", "support@mpesa-verify.example")],
    ]
    start = (timezone.now() - dt.timedelta(days=9)).date().isoformat()
    reports = [
        services.create_report(
            teams["KE-CIRT-DEMO"],
            acting_user=None,
            title="Mobile-money phishing wave (demo)",
            body=REPORT_BODY.format(start=start),
            report_types=["campaign"],
            object_refs=[indicator.stix_id for indicator in phishing],
            tlp=TLP.AMBER,
            distribution=Distribution.GROUP,
            sharing_group=group,
        ),
        services.create_report(
            teams["MA-CERT-DEMO"],
            acting_user=None,
            title="Awareness: macro documents in invoices (demo)",
            body="Do not enable macros in documents you did not expect.",
            report_types=["threat-report"],
            object_refs=[by_value[("MA-CERT-DEMO", "9e107d9d372bb6826bd81d3542a419d6")].stix_id],
            tlp=TLP.CLEAR,
            distribution=Distribution.PUBLIC,
        ),
    ]
    relationships = [
        services.create_relationship(
            teams["KE-CIRT-DEMO"],
            acting_user=None,
            relationship_type="related-to",
            source_ref=phishing[0].stix_id,
            target_ref=phishing[1].stix_id,
            tlp=TLP.AMBER,
            distribution=Distribution.GROUP,
            sharing_group=group,
        )
    ]
    return {
        "indicators": len(indicators),
        "sightings": len(sightings),
        "reports": len(reports),
        "relationships": len(relationships),
    }
