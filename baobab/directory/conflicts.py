"""Conflicting constituency claims, for the community administrators to resolve.

Two kinds are reported, never resolved silently:

* a **duplicate**: the same prefix, AS number or domain claimed by two or more
  different holders (teams or organisations);
* an **overlap**: a prefix that lies inside a prefix claimed for another
  team (routing sends it to the more specific claim, which may or may not be
  what the community agreed).

Claims whose ``valid_until`` has passed are left out: they no longer route.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from baobab.core.models import Team
from baobab.directory.choices import ClaimKind
from baobab.directory.models import ConstituencyClaim, Organisation

CONFLICT_KINDS = (ClaimKind.PREFIX, ClaimKind.ASN, ClaimKind.DOMAIN)
_KIND_ORDER = {kind.value: index for index, kind in enumerate(CONFLICT_KINDS)}


def responsible_team_id(claim: ConstituencyClaim) -> int:
    """The team a claim routes to: its team, or its organisation's coordinating team."""
    if claim.team_id is not None:
        return claim.team_id
    assert claim.organisation is not None
    return claim.organisation.managed_by_id


def _holder_key(claim: ConstituencyClaim) -> tuple[str, int]:
    if claim.team_id is not None:
        return ("team", claim.team_id)
    assert claim.organisation_id is not None
    return ("organisation", claim.organisation_id)


@dataclass(frozen=True)
class Conflict:
    """One conflict: the claims involved and, for an overlap, the covering claim."""

    kind: str
    value: str
    claims: tuple[ConstituencyClaim, ...]
    overlap: bool = False
    covering: ConstituencyClaim | None = None

    @property
    def holders(self) -> list[Team | Organisation]:
        """Every holder involved, the covering claim's last."""
        claims = [*self.claims, *([self.covering] if self.covering else [])]
        return [claim.holder for claim in claims]

    @property
    def single_team(self) -> bool:
        """True when every claim routes to the same team (a team and one of its
        own organisations): redundant rather than disputed."""
        claims = [*self.claims, *([self.covering] if self.covering else [])]
        return len({responsible_team_id(claim) for claim in claims}) == 1


def active_claims(today: dt.date | None = None) -> list[ConstituencyClaim]:
    """Prefix, ASN and domain claims that have not expired, with their holders."""
    today = today or timezone.localdate()
    return list(
        ConstituencyClaim.objects.filter(kind__in=CONFLICT_KINDS)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("team", "organisation", "organisation__managed_by")
        .order_by("kind", "value", "id")
    )


def duplicate_claims(claims: Iterable[ConstituencyClaim]) -> list[Conflict]:
    """Values of the same kind claimed by two or more different holders."""
    groups: dict[tuple[str, str], list[ConstituencyClaim]] = defaultdict(list)
    for claim in claims:
        if claim.kind in _KIND_ORDER:
            groups[(claim.kind, claim.value)].append(claim)
    conflicts = [
        Conflict(kind=kind, value=value, claims=tuple(group))
        for (kind, value), group in groups.items()
        if len({_holder_key(claim) for claim in group}) > 1
    ]
    return sorted(conflicts, key=_sort_key)


def overlapping_prefixes(claims: Iterable[ConstituencyClaim]) -> list[Conflict]:
    """Prefixes that lie strictly inside a prefix routed to another team.

    Prefixes of one IP version are either nested or disjoint, so one sweep in
    address order with a stack of the open (covering) prefixes finds them all.
    """
    by_version: dict[int, list[tuple[int, int, ConstituencyClaim]]] = defaultdict(list)
    for claim in claims:
        if claim.kind != ClaimKind.PREFIX:
            continue
        network = ipaddress.ip_network(claim.value, strict=False)
        by_version[network.version].append(
            (int(network.network_address), int(network.broadcast_address), claim)
        )
    conflicts: list[Conflict] = []
    for items in by_version.values():
        items.sort(key=lambda item: (item[0], -item[1]))
        open_prefixes: list[tuple[int, int, ConstituencyClaim]] = []
        for start, end, claim in items:
            while open_prefixes and open_prefixes[-1][1] < start:
                open_prefixes.pop()
            team_id = responsible_team_id(claim)
            conflicts.extend(
                Conflict(
                    kind=ClaimKind.PREFIX,
                    value=claim.value,
                    claims=(claim,),
                    overlap=True,
                    covering=outer,
                )
                for outer_start, outer_end, outer in open_prefixes
                if (outer_start, outer_end) != (start, end)
                and responsible_team_id(outer) != team_id
            )
            open_prefixes.append((start, end, claim))
    return sorted(conflicts, key=_sort_key)


def find_conflicts(claims: Iterable[ConstituencyClaim] | None = None) -> list[Conflict]:
    """Every duplicate and overlap among ``claims`` (by default, all active claims)."""
    claim_list = list(claims) if claims is not None else active_claims()
    return duplicate_claims(claim_list) + overlapping_prefixes(claim_list)


def _sort_key(conflict: Conflict) -> tuple[int, int, str, str]:
    sortable = conflict.value
    if conflict.kind == ClaimKind.PREFIX:
        network = ipaddress.ip_network(conflict.value, strict=False)
        sortable = f"{network.version}:{int(network.network_address):040d}:{network.prefixlen:03d}"
    elif conflict.kind == ClaimKind.ASN:
        sortable = f"{int(conflict.value):012d}"
    covering = conflict.covering.value if conflict.covering else ""
    return (_KIND_ORDER.get(conflict.kind, 99), int(conflict.overlap), sortable, covering)
