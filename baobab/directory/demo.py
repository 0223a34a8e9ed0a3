"""A fictional regional community for trying Baobab: a dozen national teams in
African countries, a regional coordinator, ISPs, a ministry, a bank and
experts. Every address, AS number and domain comes from the ranges reserved
for documentation (RFC 5737, RFC 3849, RFC 5398, RFC 2606), every name is
marked "(demo)", and every row has ``is_demo`` set."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.db import transaction

from baobab.core.choices import TLP, Distribution, Role, TeamType, VettingLevel
from baobab.core.models import Membership, SharingGroup, Team, User
from baobab.core.services import create_object, create_team
from baobab.directory.choices import ClaimKind, ContactKind, DelegatedKind, OrganisationKind
from baobab.directory.index_state import mark_changed
from baobab.directory.models import DelegatedRange
from baobab.directory.pgp import new_public_key
from baobab.directory.services import create_claim, create_contact, create_organisation

DEMO_PASSWORD = "baobab-demo"  # noqa: S105 - published demo log-in, demo data only


@dataclass(frozen=True)
class DemoTeam:
    short_name: str
    country: str
    name: str
    timezone: str
    language: str


TEAMS = [
    DemoTeam("KE-CIRT-DEMO", "KE", "Kenya National CIRT (demo)", "Africa/Nairobi", "en"),
    DemoTeam("SN-CERT-DEMO", "SN", "CERT Sénégal (demo)", "Africa/Dakar", "fr"),
    DemoTeam("NG-CERT-DEMO", "NG", "Nigeria CERT (demo)", "Africa/Lagos", "en"),
    DemoTeam("MA-CERT-DEMO", "MA", "maCERT Maroc (demo)", "Africa/Casablanca", "ar"),
    DemoTeam("CI-CERT-DEMO", "CI", "CI-CERT Côte d'Ivoire (demo)", "Africa/Abidjan", "fr"),
    DemoTeam("GH-CERT-DEMO", "GH", "Ghana CERT (demo)", "Africa/Accra", "en"),
    DemoTeam("TZ-CERT-DEMO", "TZ", "TZ-CERT Tanzania (demo)", "Africa/Dar_es_Salaam", "en"),
    DemoTeam("RW-CSIRT-DEMO", "RW", "Rwanda CSIRT (demo)", "Africa/Kigali", "fr"),
    DemoTeam("TN-CERT-DEMO", "TN", "tunCERT Tunisie (demo)", "Africa/Tunis", "ar"),
    DemoTeam("CM-CIRT-DEMO", "CM", "CIRT Cameroun (demo)", "Africa/Douala", "fr"),
    DemoTeam("MZ-CSIRT-DEMO", "MZ", "CSIRT Moçambique (demo)", "Africa/Maputo", "pt"),
    DemoTeam("EG-CERT-DEMO", "EG", "EG-CERT Egypt (demo)", "Africa/Cairo", "ar"),
]
REGIONAL = DemoTeam(
    "AFR-CC-DEMO", "", "African Regional CERT Coordination Centre (demo)", "Africa/Kigali", "en"
)

# Documentation space split among the teams: /27s of the three RFC 5737 /24s
# (24 blocks), /48s of 2001:db8::/32, and the RFC 5398 AS numbers.
_V4_BLOCKS = [
    str(net)
    for base in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    for net in ipaddress.ip_network(base).subnets(new_prefix=27)
]
_ASNS = [*range(64496, 64512), *range(65536, 65552)]

USERS = [
    # username, team short name, role, community admin
    ("coordinator", REGIONAL.short_name, Role.ADMIN, True),
    ("analyst-ke", "KE-CIRT-DEMO", Role.ANALYST, False),
    ("admin-sn", "SN-CERT-DEMO", Role.ADMIN, False),
    ("viewer-ng", "NG-CERT-DEMO", Role.VIEWER, False),
    ("analyst-ma", "MA-CERT-DEMO", Role.ANALYST, False),
    ("analyst-mz", "MZ-CSIRT-DEMO", Role.ANALYST, False),
]


def is_loaded() -> bool:
    return Team.objects.filter(is_demo=True).exists()


def _team(spec: DemoTeam, team_type: str, index: int) -> Team:
    domain = f"{spec.short_name.lower()}.example"
    return create_team(
        acting_user=None,
        short_name=spec.short_name,
        name=spec.name,
        team_type=team_type,
        country=spec.country,
        vetting_level=VettingLevel.FULL_MEMBER if index % 3 else VettingLevel.VETTED,
        member_since=dt.date(2010 + index % 12, 1 + index % 12, 1),
        website=f"https://www.{domain}/",
        email=f"incident@{domain}",
        phone_24x7=f"+000 555 01{index:02d}",
        timezone=spec.timezone,
        business_hours="Mon–Fri 08:00–17:00",
        rfc2350=(
            f"1. Document information\n   This is a demo RFC 2350 profile of {spec.name}.\n"
            f"2. Contact information\n   E-mail: incident@{domain}\n"
            "3. Charter\n   Constituency: the networks of its country (demo data)."
        ),
        is_demo=True,
    )


def load() -> dict[str, int]:
    """Create the demo community in one transaction; return counts of what was made."""
    with transaction.atomic():
        return _load()


def _load() -> dict[str, int]:
    regional = _team(REGIONAL, TeamType.REGIONAL, 0)
    teams = {REGIONAL.short_name: regional}
    for index, spec in enumerate(TEAMS, start=1):
        teams[spec.short_name] = _team(spec, TeamType.NATIONAL, index)

    east_africa = create_object(
        SharingGroup(
            name="East Africa working group (demo)",
            description="Teams of East Africa sharing early warnings (demo data).",
            owner_team=teams["KE-CIRT-DEMO"],
            members_can_add=True,
        ),
        acting_user=None,
        m2m={
            "member_teams": [teams[s] for s in ("TZ-CERT-DEMO", "RW-CSIRT-DEMO", "MZ-CSIRT-DEMO")]
        },
    )

    counts = {"teams": len(teams), "organisations": 0, "contacts": 0, "claims": 0}
    for index, spec in enumerate(TEAMS):
        team = teams[spec.short_name]
        domain = f"{spec.short_name.lower()}.example"
        create_claim(team, ClaimKind.COUNTRY, spec.country, acting_user=None)
        create_claim(team, ClaimKind.PREFIX, _V4_BLOCKS[index], acting_user=None)
        create_claim(team, ClaimKind.PREFIX, f"2001:db8:{index + 1:x}00::/40", acting_user=None)
        create_claim(team, ClaimKind.DOMAIN, domain, acting_user=None)
        counts["claims"] += 4
        create_contact(
            team,
            acting_user=None,
            kind=ContactKind.ROLE,
            name=f"{spec.short_name} incident desk",
            emails=[f"incident@{domain}"],
            phones=[{"number": f"+000 555 01{index:02d}", "kind": "emergency"}],
            languages=[spec.language, "en"] if spec.language != "en" else ["en"],
            is_24x7=True,
            tlp=TLP.GREEN,
            distribution=Distribution.COMMUNITY,
            pgp_key=new_public_key(f"{spec.short_name} incident desk <incident@{domain}>"),
        )
        create_contact(
            team,
            acting_user=None,
            kind=ContactKind.PERSON,
            name=f"Duty manager of {spec.short_name}",
            title="Duty manager",
            emails=[f"duty@{domain}"],
            phones=[{"number": f"+000 555 02{index:02d}", "kind": "voice"}],
            languages=[spec.language],
            tlp=TLP.AMBER,
            distribution=Distribution.COMMUNITY,
        )
        counts["contacts"] += 2

    # Contacts at every TLP level and distribution, held by the Kenyan team.
    kenya = teams["KE-CIRT-DEMO"]
    sharing_examples = [
        ("Public reporting address", TLP.CLEAR, Distribution.PUBLIC, None, []),
        ("Head of team (team only)", TLP.AMBER_STRICT, Distribution.TEAM, None, []),
        ("East Africa liaison", TLP.AMBER, Distribution.GROUP, east_africa, []),
        (
            "Crisis line for Tanzania only",
            TLP.RED,
            Distribution.TEAM,
            None,
            [teams["TZ-CERT-DEMO"]],
        ),
    ]
    for name, tlp, distribution, group, recipients in sharing_examples:
        create_contact(
            kenya,
            acting_user=None,
            kind=ContactKind.ROLE,
            name=f"{name} (demo)",
            emails=[f"{name.split()[0].lower()}@ke-cirt-demo.example"],
            languages=["en", "sw"],
            tlp=tlp,
            distribution=distribution,
            sharing_group=group,
            recipient_teams=recipients,
        )
        counts["contacts"] += 1

    organisations = [
        (
            "SAVANNA-NET-DEMO",
            "Savanna Net ISP (demo)",
            OrganisationKind.ISP,
            "KE",
            "KE-CIRT-DEMO",
            24,
        ),
        (
            "TERANGA-TEL-DEMO",
            "Teranga Télécom (demo)",
            OrganisationKind.TELECOM,
            "SN",
            "SN-CERT-DEMO",
            25,
        ),
        (
            "NIGER-DELTA-ISP-DEMO",
            "Niger Delta Online (demo)",
            OrganisationKind.ISP,
            "NG",
            "NG-CERT-DEMO",
            26,
        ),
        (
            "ATLAS-TELECOM-DEMO",
            "Atlas Télécom (demo)",
            OrganisationKind.TELECOM,
            "MA",
            "MA-CERT-DEMO",
            27,
        ),
        (
            "MINFIN-KE-DEMO",
            "Ministry of Finance (demo)",
            OrganisationKind.GOVERNMENT,
            "KE",
            "KE-CIRT-DEMO",
            None,
        ),
        (
            "BANQUE-OUEST-DEMO",
            "Banque de l'Ouest (demo)",
            OrganisationKind.BANK,
            "CI",
            "CI-CERT-DEMO",
            None,
        ),
        (
            "UNI-MAPUTO-DEMO",
            "Universidade do Índico (demo)",
            OrganisationKind.ACADEMIC,
            "MZ",
            "MZ-CSIRT-DEMO",
            None,
        ),
        (
            "EXPERT-AMINA-DEMO",
            "Amina Diallo, malware analyst (demo)",
            OrganisationKind.EXPERT,
            "SN",
            "SN-CERT-DEMO",
            None,
        ),
        (
            "EXPERT-JOAO-DEMO",
            "João Matsinhe, forensics (demo)",
            OrganisationKind.EXPERT,
            "MZ",
            "MZ-CSIRT-DEMO",
            None,
        ),
    ]
    for index, (short, name, kind, country, managed_by, block) in enumerate(organisations):
        domain = f"{short.lower()}.example"
        org = create_organisation(
            acting_user=None,
            short_name=short,
            name=name,
            kind=kind,
            country=country,
            website=f"https://www.{domain}/",
            managed_by=teams[managed_by],
            is_demo=True,
        )
        counts["organisations"] += 1
        create_contact(
            org,
            acting_user=None,
            kind=ContactKind.ROLE,
            name=f"{name} abuse desk",
            emails=[f"abuse@{domain}"],
            languages=["en"],
            tlp=TLP.GREEN,
            distribution=Distribution.COMMUNITY,
        )
        counts["contacts"] += 1
        create_claim(org, ClaimKind.DOMAIN, domain, acting_user=None)
        counts["claims"] += 1
        if block is not None:
            # An ISP holds a /28 inside its national team's space and its own AS.
            parent = ipaddress.ip_network(
                _V4_BLOCKS[[t.short_name for t in TEAMS].index(managed_by)]
            )
            create_claim(
                org, ClaimKind.PREFIX, str(next(parent.subnets(new_prefix=28))), acting_user=None
            )
            create_claim(org, ClaimKind.ASN, str(_ASNS[index]), acting_user=None)
            counts["claims"] += 2

    # Each national team's own AS, and one AS claimed twice: a conflict to resolve.
    for index, spec in enumerate(TEAMS):
        create_claim(
            teams[spec.short_name], ClaimKind.ASN, str(_ASNS[16 + index]), acting_user=None
        )
        counts["claims"] += 1
    create_claim(
        teams["GH-CERT-DEMO"],
        ClaimKind.ASN,
        str(_ASNS[16 + TEAMS.index(TEAMS[2])]),
        acting_user=None,
        source_detail="disputed with NG-CERT-DEMO",
    )
    counts["claims"] += 1

    _load_delegated()
    counts["users"] = _load_users(teams)
    mark_changed()
    return counts


def _load_delegated() -> None:
    """Country of registration for the documentation space not claimed by any team,
    so the look-up's country fallback can be seen at work."""
    rows = [
        DelegatedRange(
            registry="demo",
            kind=DelegatedKind.IPV4,
            first=str(net.network_address),
            size=str(net.num_addresses),
            country=TEAMS[i % len(TEAMS)].country,
            status="allocated",
            date=dt.date(2020, 1, 1),
        )
        for i, net in enumerate(ipaddress.ip_network(b) for b in _V4_BLOCKS[len(TEAMS) :])
    ]
    rows.append(
        DelegatedRange(
            registry="demo",
            kind=DelegatedKind.ASN,
            first="65540",
            size="12",
            country="KE",
            status="allocated",
            date=dt.date(2020, 1, 1),
        )
    )
    DelegatedRange.objects.bulk_create(rows)


def _load_users(teams: dict[str, Team]) -> int:
    for username, short_name, role, community_admin in USERS:
        user = User(
            username=username,
            email=f"{username}@baobab-demo.example",
            is_community_admin=community_admin,
        )
        user.set_password(DEMO_PASSWORD)
        create_object(user, acting_user=None)
        create_object(Membership(user=user, team=teams[short_name], role=role), acting_user=None)
    return len(USERS)
