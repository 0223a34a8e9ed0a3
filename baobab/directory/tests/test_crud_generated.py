"""Generated CRUD, permission, audit-log and query-count tests of the
directory's API, one class per model (see ``baobab.utils.testing``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from baobab.core.choices import TLP, Distribution, TeamType
from baobab.core.models import Team
from baobab.directory.choices import ClaimKind, OrganisationKind
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import create_organisation
from baobab.directory.tests.world import PUBLIC_KEY, build_world
from baobab.utils.testing import APICrudTests, CrudCase

MakeTeam = Callable[..., Team]


class TestTeamAPI(APICrudTests):
    model = Team
    basename = "team"

    @pytest.fixture
    def case(self, make_team: MakeTeam) -> CrudCase:
        world = build_world(make_team)
        return CrudCase(
            obj=world.team_a,
            reader=world.viewer_b,
            creator=world.community_admin,
            create_data={
                "short_name": "GH-CERT",
                "name": "Ghana CERT",
                "team_type": TeamType.NATIONAL,
                "country": "gh",
                "timezone": "Africa/Accra",
            },
            expected_after_create={"country": "GH"},
            editor=world.admin_a,
            update_data={"name": "Kenya CIRT", "business_hours": "Mon-Fri 08:00-17:00"},
            deleter=world.community_admin,
            denied={"create": world.admin_a, "update": world.admin_b, "delete": world.admin_a},
            make_another=lambda i: make_team(f"EXTRA-{i}"),
            invalid_create_data={"short_name": "bad name!", "name": "x", "team_type": "national"},
            invalid_message="Use letters, digits",
        )

    @pytest.fixture(autouse=True)
    def _free_team_a(self, case: CrudCase) -> None:
        """Team A coordinates an organisation, which would block its deletion."""
        Organisation.objects.filter(managed_by_id=case.obj.pk).delete()


class TestOrganisationAPI(APICrudTests):
    model = Organisation
    basename = "organisation"

    @pytest.fixture
    def case(self, make_team: MakeTeam) -> CrudCase:
        world = build_world(make_team)
        return CrudCase(
            obj=world.org_a,
            reader=world.viewer_b,
            creator=world.admin_a,
            create_data={
                "short_name": "MINFIN-KE",
                "name": "Ministry of Finance",
                "kind": OrganisationKind.GOVERNMENT,
                "country": "KE",
                "managed_by": world.team_a.pk,
            },
            editor=world.admin_a,
            update_data={"name": "Savanna Networks", "website": "https://savanna.example/"},
            deleter=world.admin_a,
            denied={"create": world.admin_b, "update": world.admin_b, "delete": world.viewer_a},
            make_another=lambda i: create_organisation(
                acting_user=None,
                short_name=f"ORG-{i}",
                name=f"Organisation {i}",
                kind=OrganisationKind.BANK,
                managed_by=make_team(f"COORD-{i}"),
            ),
            invalid_create_data={
                "short_name": "BANK",
                "name": "A bank",
                "kind": "spaceship",
                "managed_by": world.team_a.pk,
            },
            invalid_message="is not a valid choice",
        )


class TestContactAPI(APICrudTests):
    model = Contact
    basename = "contact"

    @pytest.fixture
    def case(self, make_team: MakeTeam) -> CrudCase:
        world = build_world(make_team)
        return CrudCase(
            obj=world.contact(emails=["incident@ke.example"]),
            reader=world.viewer_b,
            creator=world.admin_a,
            create_data={
                "team": world.team_a.pk,
                "kind": "person",
                "name": "Duty manager",
                "emails": ["duty@ke.example"],
                "phones": [{"number": "+254 20 555 0100", "kind": "emergency"}],
                "languages": ["EN", "sw"],
                "pgp_key": PUBLIC_KEY,
                "tlp": TLP.AMBER,
                "distribution": Distribution.COMMUNITY,
                "recipient_teams": [world.team_b.pk],
            },
            expected_after_create={"languages": ["en", "sw"], "pgp_key": PUBLIC_KEY.strip()},
            editor=world.admin_a,
            update_data={"title": "Head of operations", "languages": ["fr", "pt_br"]},
            expected_after_update={"languages": ["fr", "pt-BR"]},
            deleter=world.admin_a,
            denied={"create": world.admin_b, "update": world.admin_b, "delete": world.viewer_a},
            make_another=lambda i: world.contact(
                world.org_a, name=f"Contact {i}", recipient_teams=[world.team_b]
            ),
            invalid_create_data={"team": world.team_a.pk, "name": "x", "pgp_key": "not a key"},
            invalid_message="ASCII-armoured OpenPGP public key",
        )


class TestClaimAPI(APICrudTests):
    model = ConstituencyClaim
    basename = "claim"

    @pytest.fixture
    def case(self, make_team: MakeTeam) -> CrudCase:
        world = build_world(make_team)
        return CrudCase(
            obj=world.claim(ClaimKind.PREFIX, "192.0.2.0/24"),
            reader=world.viewer_b,
            creator=world.admin_a,
            create_data={
                "organisation": world.org_a.pk,
                "kind": ClaimKind.ASN,
                "value": "AS64500",
                "source": "imported",
                "source_detail": "RIR delegated file",
            },
            expected_after_create={"value": "64500", "holder": "SAVANNA-NET"},
            editor=world.admin_a,
            update_data={"value": "192.0.2.0/25", "valid_until": "2030-12-31"},
            deleter=world.admin_a,
            denied={"create": world.admin_b, "update": world.admin_b, "delete": world.viewer_a},
            make_another=lambda i: world.claim(
                ClaimKind.DOMAIN, f"d{i}.example", holder=world.org_a
            ),
            invalid_create_data={
                "team": world.team_a.pk,
                "kind": ClaimKind.PREFIX,
                "value": "192.0.2.300/24",
            },
            invalid_message="is not an IP prefix",
        )
