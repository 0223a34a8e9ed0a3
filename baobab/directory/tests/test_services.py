"""The directory's services layer: who may edit, validation of contact lists,
claims and keys, holders that stay put, and audited deletes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from baobab.core import audit
from baobab.core import services as core_services
from baobab.core.choices import AuditChannel
from baobab.core.models import AuditEntry, SharingGroup, Team, User
from baobab.directory import services
from baobab.directory.choices import ClaimKind
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.tests.world import PUBLIC_KEY, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_team: Callable[..., Team]) -> World:
    return build_world(make_team)


# --- who may --------------------------------------------------------------------


def test_may_read_directory(world: World) -> None:
    assert services.may_read_directory(world.viewer_a)
    assert services.may_read_directory(world.community_admin)
    assert not services.may_read_directory(AnonymousUser())
    assert not services.may_read_directory(User.objects.create_user("loner", password=None))
    outsider_admin = User.objects.create_user("boss", password=None, is_community_admin=True)
    assert services.may_read_directory(outsider_admin)


@pytest.mark.parametrize(
    ("who", "holder", "allowed"),
    [
        ("admin_a", "team_a", True),
        ("admin_a", "org_a", True),
        ("viewer_a", "team_a", False),
        ("viewer_a", "org_a", False),
        ("admin_b", "team_a", False),
        ("admin_b", "org_a", False),
        ("community_admin", "org_a", True),
    ],
)
def test_may_edit(world: World, who: str, holder: str, allowed: bool) -> None:
    assert services.may_edit(getattr(world, who), getattr(world, holder)) is allowed


def test_services_refuse_non_admins(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.create_contact(world.team_a, acting_user=world.viewer_a, name="x")
    with pytest.raises(PermissionDenied):
        services.create_claim(world.org_a, "asn", "64500", acting_user=world.admin_b)
    with pytest.raises(PermissionDenied):
        services.delete_team_entry(world.team_b, acting_user=world.admin_b)
    assert not AuditEntry.objects.filter(actor__isnull=False).exists()


# --- contact lists ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([" a@b.example ", "", "A@B.example", "c@d.example"], ["a@b.example", "c@d.example"]),
        ([], []),
    ],
)
def test_clean_emails(values: list[str], expected: list[str]) -> None:
    assert services.clean_emails(values) == expected


def test_clean_emails_names_the_bad_address() -> None:
    with pytest.raises(ValidationError, match="nope is not a valid e-mail address"):
        services.clean_emails(["ok@b.example", "nope"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["+254 20 555 0100"], [{"number": "+254 20 555 0100", "kind": "voice"}]),
        (
            [{"number": "+000 555 0100", "kind": "emergency"}, {"number": " "}],
            [{"number": "+000 555 0100", "kind": "emergency"}],
        ),
        ([{"number": "(020) 555-0100"}], [{"number": "(020) 555-0100", "kind": "voice"}]),
        (["+1 555 (0100)"], [{"number": "+1 555 (0100)", "kind": "voice"}]),
    ],
)
def test_clean_phones(values: list[Any], expected: list[dict[str, str]]) -> None:
    assert services.clean_phones(values) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["call me"], "call me is not a phone number"),
        ([{"number": "+254 20 555", "kind": "fax"}], "fax is not a phone kind"),
        ([42], "Give each phone as a number and a kind"),
    ],
)
def test_clean_phones_refuses(values: list[Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        services.clean_phones(values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["EN", "fr", "en"], ["en", "fr"]),
        (["pt_br", "zh-hant-tw"], ["pt-BR", "zh-hant-TW"]),
        (["ar", " "], ["ar"]),
    ],
)
def test_clean_languages(values: list[str], expected: list[str]) -> None:
    assert services.clean_languages(values) == expected


@pytest.mark.parametrize("value", ["english", "e", "en-", "12"])
def test_clean_languages_refuses(value: str) -> None:
    with pytest.raises(ValidationError, match="is not a language code"):
        services.clean_languages([value])


def test_create_contact_reports_every_bad_list(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_contact(
            world.team_a, acting_user=None, name="x", emails=["bad"], languages=["english"]
        )
    assert set(caught.value.message_dict) == {"emails", "languages"}
    assert not Contact.objects.filter(name="x").exists()


# --- PGP keys --------------------------------------------------------------------------


def test_contact_key_is_parsed_and_can_be_removed(world: World) -> None:
    contact = world.contact(pgp_key=PUBLIC_KEY)
    assert len(contact.pgp_fingerprint) == 40
    assert contact.pgp_user_ids == ["KE incident desk <incident@ke.example>"]
    services.update_contact(contact, {"pgp_key": "  "}, acting_user=world.admin_a)
    contact.refresh_from_db()
    assert (contact.pgp_key, contact.pgp_fingerprint, contact.pgp_expires_at) == ("", "", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not an ASCII-armoured OpenPGP public key"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nx\n", "This is a private key"),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64!\n"
            "-----END PGP PUBLIC KEY BLOCK-----",
            "The key could not be read",
        ),
    ],
)
def test_invalid_keys_are_refused_on_the_key_field(world: World, text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        world.contact(name="Keyless", pgp_key=text)
    assert message in caught.value.message_dict["pgp_key"][0]
    assert not Contact.objects.filter(name="Keyless").exists()


# --- holders stay put ------------------------------------------------------------------


@pytest.mark.parametrize("field", ["team", "organisation", "owner_team", "team_id"])
def test_contact_cannot_change_holder(world: World, field: str) -> None:
    contact = world.contact()
    target: Any = world.org_a if field == "organisation" else world.team_b
    if field.endswith("_id"):
        target = world.team_b.pk
    with pytest.raises(ValidationError, match="cannot move"):
        services.update_contact(contact, {field: target}, acting_user=None)
    contact.refresh_from_db()
    assert (contact.team_id, contact.owner_team_id) == (world.team_a.pk, world.team_a.pk)


def test_claim_cannot_change_holder(world: World) -> None:
    claim = world.claim(ClaimKind.ASN, "64500")
    with pytest.raises(ValidationError, match="cannot move"):
        services.update_claim(claim, {"team": world.team_b}, acting_user=world.community_admin)
    with pytest.raises(ValidationError, match="cannot move"):
        services.create_claim(
            world.team_a, "asn", "64501", acting_user=None, organisation=world.org_a
        )


# --- claims -----------------------------------------------------------------------------


def test_claims_are_normalised_and_not_duplicated(world: World) -> None:
    claim = world.claim(ClaimKind.DOMAIN, "WWW.Example.ORG.")
    assert claim.value == "www.example.org"
    with pytest.raises(ValidationError, match=r"KE-CIRT already claims www\.example\.org"):
        world.claim(ClaimKind.DOMAIN, "www.example.org")
    other = world.claim(ClaimKind.DOMAIN, "example.net")
    with pytest.raises(ValidationError, match="already claims"):
        services.update_claim(other, {"value": "www.example.org"}, acting_user=None)
    # The same value for another holder is allowed (and reported as a conflict).
    world.claim(ClaimKind.DOMAIN, "www.example.org", holder=world.team_b)


def test_claim_dates_in_order(world: World) -> None:
    claim = world.claim(ClaimKind.ASN, "64500", valid_from=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.update_claim(claim, {"valid_until": dt.date(2024, 1, 1)}, acting_user=None)
    services.update_claim(claim, {"valid_until": dt.date(2025, 1, 1)}, acting_user=None)


def test_changes_from_the_command_line_are_audited_as_such(world: World) -> None:
    with audit.channel(AuditChannel.CLI):
        claim = world.claim(ClaimKind.PREFIX, "192.0.2.1/24")
    entry = AuditEntry.objects.get(
        action="create", object_type="directory.constituencyclaim", object_id=str(claim.pk)
    )
    assert entry.channel == AuditChannel.CLI
    assert entry.after is not None
    assert entry.after["value"] == "192.0.2.0/24"


# --- deletes ----------------------------------------------------------------------------


def test_delete_organisation_audits_each_contact_and_claim(world: World) -> None:
    contact = world.contact(world.org_a, name="Abuse desk")
    claim = world.claim(ClaimKind.ASN, "64500", holder=world.org_a)
    org_pk, contact_pk, claim_pk = world.org_a.pk, contact.pk, claim.pk
    services.delete_organisation(world.org_a, acting_user=world.admin_a)
    assert not Organisation.objects.filter(pk=org_pk).exists()
    deleted = set(
        AuditEntry.objects.filter(action="delete").values_list("object_type", "object_id")
    )
    assert deleted == {
        ("directory.organisation", str(org_pk)),
        ("directory.contact", str(contact_pk)),
        ("directory.constituencyclaim", str(claim_pk)),
    }


def test_delete_team_entry(world: World) -> None:
    with pytest.raises(ValidationError, match="still coordinates organisations"):
        services.delete_team_entry(world.team_a, acting_user=world.community_admin)
    contact_pk, team_pk = world.contact(world.team_b).pk, world.team_b.pk
    membership_pks = list(world.team_b.memberships.values_list("pk", flat=True))
    assert membership_pks
    services.delete_team_entry(world.team_b, acting_user=world.community_admin)
    assert not Team.objects.filter(pk=team_pk).exists()
    assert not Contact.objects.filter(pk=contact_pk).exists()
    assert AuditEntry.objects.filter(
        action="delete", object_type="directory.contact", object_id=str(contact_pk)
    ).exists()
    for pk in membership_pks:
        assert AuditEntry.objects.filter(
            action="delete", object_type="core.membership", object_id=str(pk)
        ).exists()


def test_delete_team_entry_explains_what_blocks_it(world: World) -> None:
    SharingGroup.objects.create(name="Blocking group", owner_team=world.team_b)
    with pytest.raises(ValidationError, match="Blocking group"):
        services.delete_team_entry(world.team_b, acting_user=world.community_admin)
    assert Team.objects.filter(pk=world.team_b.pk).exists()
    assert ConstituencyClaim.objects.count() == 1


def test_contact_shared_only_with_a_group_of_its_team(world: World) -> None:
    group = SharingGroup.objects.create(name="West Africa", owner_team=world.team_b)
    with pytest.raises(ValidationError, match="KE-CIRT is not in the sharing group West Africa"):
        world.contact(distribution="group", sharing_group=group)
    group.member_teams.add(world.team_a)
    contact = world.contact(distribution="group", sharing_group=group)
    other = SharingGroup.objects.create(name="Elsewhere", owner_team=world.regional)
    with pytest.raises(ValidationError, match="not in the sharing group Elsewhere"):
        services.update_contact(contact, {"sharing_group": other}, acting_user=None)


@pytest.mark.parametrize("short_name", ["new", "NEW"])
def test_short_names_that_are_page_addresses_are_refused(world: World, short_name: str) -> None:
    with pytest.raises(ValidationError, match="reserved"):
        core_services.create_team(acting_user=None, short_name=short_name, name="A team")
    with pytest.raises(ValidationError, match="reserved"):
        services.create_organisation(
            acting_user=None,
            short_name=short_name,
            name="An ISP",
            kind="isp",
            managed_by=world.team_a,
        )
    assert not Team.objects.filter(short_name__iexact="new").exists()
    assert not Organisation.objects.filter(short_name__iexact="new").exists()
