"""A small community for the directory's page and API tests: two national
teams with an admin and a viewer each, a community administrator in the
regional team, and an organisation coordinated by the first team."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from baobab.core.choices import TLP, Distribution, Role, TeamType
from baobab.core.models import Membership, Team, User
from baobab.directory.choices import ClaimKind, OrganisationKind
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.pgp import new_public_key
from baobab.directory.services import create_claim, create_contact, create_organisation

PUBLIC_KEY = new_public_key("KE incident desk <incident@ke.example>")
assert "PRIVATE KEY" not in PUBLIC_KEY


@dataclass
class World:
    team_a: Team
    team_b: Team
    regional: Team
    admin_a: User
    viewer_a: User
    admin_b: User
    viewer_b: User
    community_admin: User
    org_a: Organisation

    def contact(self, holder: Team | Organisation | None = None, **fields: Any) -> Contact:
        """A contact of ``holder`` (team A by default), TLP:GREEN to the community."""
        fields.setdefault("name", "Incident desk")
        fields.setdefault("tlp", TLP.GREEN)
        fields.setdefault("distribution", Distribution.COMMUNITY)
        return create_contact(holder or self.team_a, acting_user=None, **fields)

    def claim(
        self, kind: str, value: str, holder: Team | Organisation | None = None, **fields: Any
    ) -> ConstituencyClaim:
        """A claim of ``holder`` (team A by default)."""
        return create_claim(holder or self.team_a, kind, value, acting_user=None, **fields)


def _user(username: str, team: Team, role: Role, **fields: Any) -> User:
    """A user in ``team`` without a usable password (tests log in with force_login;
    skipping the password hash keeps the tests fast)."""
    user = User.objects.create_user(username=username, password=None, **fields)
    Membership.objects.create(user=user, team=team, role=role)
    return user


def build_world(make_team: Callable[..., Team]) -> World:
    """Create the teams, users and organisation of :class:`World`."""
    team_a = make_team("KE-CIRT", name="Kenya National CIRT", country="KE")
    team_b = make_team("SN-CERT", name="CERT Senegal", country="SN")
    regional = make_team("AFR-CC", name="Regional Coordination Centre", team_type=TeamType.REGIONAL)
    org_a = create_organisation(
        acting_user=None,
        short_name="SAVANNA-NET",
        name="Savanna Net ISP",
        kind=OrganisationKind.ISP,
        country="KE",
        managed_by=team_a,
    )
    world = World(
        team_a=team_a,
        team_b=team_b,
        regional=regional,
        admin_a=_user("admin-a", team_a, Role.ADMIN),
        viewer_a=_user("viewer-a", team_a, Role.VIEWER),
        admin_b=_user("admin-b", team_b, Role.ADMIN),
        viewer_b=_user("viewer-b", team_b, Role.VIEWER),
        community_admin=_user("coordinator", regional, Role.ADMIN, is_community_admin=True),
        org_a=org_a,
    )
    world.claim(ClaimKind.COUNTRY, "KE")
    return world
