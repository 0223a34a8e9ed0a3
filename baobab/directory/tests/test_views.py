"""The directory's web pages: list, search and filters, profiles, edit forms,
permissions, audit entries and query counts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from baobab.core.choices import TLP, AuditChannel, Distribution, TeamType, VettingLevel
from baobab.core.models import AuditEntry, Team, User
from baobab.directory.choices import ClaimKind, ClaimSource
from baobab.directory.forms import PhoneLinesField
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import create_organisation
from baobab.directory.tests.world import PUBLIC_KEY, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_team: Callable[..., Team]) -> World:
    return build_world(make_team)


def browser(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page(user: User | None, url: str, **params: Any) -> Any:
    return browser(user).get(url, params)


def team_url(short_name: str) -> str:
    return reverse("directory:team", args=[short_name])


def assert_no_inline_code(html: str) -> None:
    """The Content-Security-Policy forbids inline scripts and style attributes."""
    assert "<script" not in html
    assert 'style="' not in html


def audit(action: str, obj: Any) -> Any:
    return AuditEntry.objects.get(
        action=action,
        object_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
        object_id=str(obj.pk),
    )


# --- who may come in ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/directory/",
        "/directory/teams/KE-CIRT/",
        "/directory/teams/KE-CIRT/edit/",
        "/directory/organisations/SAVANNA-NET/",
        "/directory/conflicts/",
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(world: World, url: str) -> None:
    response = page(None, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))
    assert "next=" in response["Location"]


def test_account_in_no_team_is_refused(world: World) -> None:
    loner = User.objects.create_user("loner", password=None)
    assert page(loner, "/directory/").status_code == 403


# --- list, search, filters ----------------------------------------------------


def test_list_links_every_team_to_its_page(world: World) -> None:
    response = page(world.viewer_b, "/directory/")
    html = response.content.decode()
    assert response.status_code == 200
    for team in (world.team_a, world.team_b, world.regional):
        assert f'<a href="{team_url(team.short_name)}">{team.name}</a>' in html
    assert_no_inline_code(html)


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"q": "kenya"}, ["KE-CIRT"], ["SN-CERT", "AFR-CC"]),
        ({"q": "sn-cert"}, ["SN-CERT"], ["KE-CIRT"]),
        ({"q": "cert senegal"}, ["SN-CERT"], ["KE-CIRT"]),
        ({"country": "sn"}, ["SN-CERT"], ["KE-CIRT"]),
        ({"team_type": TeamType.REGIONAL}, ["AFR-CC"], ["KE-CIRT", "SN-CERT"]),
        ({"vetting_level": VettingLevel.LISTED}, ["KE-CIRT", "SN-CERT"], []),
        ({"vetting_level": VettingLevel.FULL_MEMBER}, [], ["KE-CIRT", "SN-CERT"]),
    ],
)
def test_list_search_and_filters(
    world: World, params: dict[str, str], shown: list[str], hidden: list[str]
) -> None:
    html = page(world.viewer_a, "/directory/", **params).content.decode()
    for short_name in shown:
        assert team_url(short_name) in html
    for short_name in hidden:
        assert team_url(short_name) not in html


def test_list_shows_organisations_on_their_tab(world: World) -> None:
    create_organisation(
        acting_user=None,
        short_name="BANK-SN",
        name="Banque du Sénégal",
        kind="bank",
        country="SN",
        managed_by=world.team_b,
    )
    html = page(world.viewer_a, "/directory/", show="organisations", q="savanna").content.decode()
    assert reverse("directory:organisation", args=["SAVANNA-NET"]) in html
    assert "BANK-SN" not in html
    assert team_url("KE-CIRT") in html  # the coordinating team is linked
    html = page(world.viewer_a, "/directory/", show="organisations", kind="bank").content.decode()
    assert "BANK-SN" in html
    assert "SAVANNA-NET" not in html
    html = page(
        world.viewer_a, "/directory/", show="organisations", managed_by="KE-CIRT"
    ).content.decode()
    assert "SAVANNA-NET" in html
    assert "BANK-SN" not in html


def test_list_counts_matches_in_the_other_tab(world: World) -> None:
    response = page(world.viewer_a, "/directory/", q="savanna")
    assert response.context["counts"] == {"teams": 0, "organisations": 1}


def test_list_pages_keep_the_search(world: World, make_team: Callable[..., Team]) -> None:
    for index in range(55):
        make_team(f"PAGED-{index:02d}", name=f"Paged team {index:02d}")
    first = page(world.viewer_a, "/directory/", q="paged")
    assert first.context["page"].paginator.count == 55
    html = first.content.decode()
    assert 'href="?q=paged&amp;page=2"' in html
    second = page(world.viewer_a, "/directory/", q="paged", page="2")
    assert [team.short_name for team in second.context["page"]] == [
        f"PAGED-{index:02d}" for index in range(50, 55)
    ]


def _list_queries(client: Client, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/directory/", params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("show", ["teams", "organisations"])
def test_list_query_count_does_not_grow_with_rows(
    world: World,
    make_team: Callable[..., Team],
    show: str,
    django_assert_max_num_queries: Any,
) -> None:
    client = browser(world.viewer_a)
    client.get("/directory/")
    few = _list_queries(client, show=show)
    for index in range(20):
        team = make_team(f"MORE-{index}")
        create_organisation(
            acting_user=None,
            short_name=f"MORE-ORG-{index}",
            name=f"Org {index}",
            kind="isp",
            managed_by=team,
        )
    assert _list_queries(client, show=show) == few
    with django_assert_max_num_queries(11):
        client.get("/directory/", {"show": show})


# --- profiles -----------------------------------------------------------------


def test_team_page_heading_profile_and_organisations(world: World) -> None:
    response = page(world.viewer_b, team_url("KE-CIRT"))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<h1>[^<]*Kenya National CIRT", html)
    assert reverse("directory:organisation", args=["SAVANNA-NET"]) in html
    assert_no_inline_code(html)


def test_team_page_accepts_any_case_and_404s_unknown(world: World) -> None:
    assert page(world.viewer_a, team_url("ke-cirt")).status_code == 200
    assert page(world.viewer_a, team_url("NOPE")).status_code == 404


def test_team_page_shows_contact_details_and_key(world: World) -> None:
    world.contact(
        name="Incident desk",
        emails=["incident@ke.example"],
        phones=[{"number": "+254 20 555 0100", "kind": "emergency"}, "+254 20 555 0199"],
        languages=["en", "sw"],
        is_24x7=True,
        pgp_key=PUBLIC_KEY,
    )
    contact = Contact.objects.get(name="Incident desk")
    html = page(world.viewer_b, team_url("KE-CIRT")).content.decode()
    assert "mailto:incident@ke.example" in html
    assert "+254 20 555 0100" in html
    assert "Emergency" in html
    assert "en, sw" in html
    grouped = " ".join(contact.pgp_fingerprint[i : i + 4] for i in range(0, 40, 4))
    assert grouped in html
    if contact.pgp_expires_at is None:
        assert "Does not expire" in html
    else:
        assert f"Expires on {contact.pgp_expires_at:%Y-%m-%d}" in html
    assert "Expired on" not in html


def test_team_page_flags_expired_keys(world: World) -> None:
    contact = world.contact(name="Old key desk", pgp_key=PUBLIC_KEY)
    past = timezone.now() - dt.timedelta(days=3)
    Contact.objects.filter(pk=contact.pk).update(pgp_expires_at=past)
    html = page(world.viewer_a, team_url("KE-CIRT")).content.decode()
    assert f"Expired on {past:%Y-%m-%d}" in html


def test_team_page_hides_contacts_the_viewer_may_not_see(world: World) -> None:
    world.contact(name="Community desk")
    world.contact(name="Red line", tlp=TLP.RED, distribution=Distribution.COMMUNITY)
    world.contact(name="Team only", tlp=TLP.AMBER, distribution=Distribution.TEAM)
    world.contact(
        name="Named for SN",
        tlp=TLP.RED,
        distribution=Distribution.TEAM,
        recipient_teams=[world.team_b],
    )
    own = page(world.viewer_a, team_url("KE-CIRT")).content.decode()
    other = page(world.viewer_b, team_url("KE-CIRT")).content.decode()
    third = page(world.community_admin, team_url("KE-CIRT")).content.decode()
    for name in ("Community desk", "Red line", "Team only", "Named for SN"):
        assert name in own
    assert "Community desk" in other
    assert "Named for SN" in other
    assert "Red line" not in other
    assert "Team only" not in other
    assert "Red line" not in third  # community admins get no more than members


def test_team_page_shows_claims_with_source_and_dates(world: World) -> None:
    world.claim(
        ClaimKind.PREFIX,
        "198.51.100.0/24",
        source=ClaimSource.IMPORTED,
        source_detail="AFRINIC delegated",
        valid_from=dt.date(2024, 1, 1),
        valid_until=dt.date(2030, 6, 30),
    )
    html = page(world.viewer_b, team_url("KE-CIRT")).content.decode()
    assert "198.51.100.0/24" in html
    assert "Imported" in html
    assert "AFRINIC delegated" in html
    assert "2024-01-01" in html
    assert "2030-06-30" in html


def test_edit_links_only_for_those_allowed(world: World) -> None:
    edit = reverse("directory:team-edit", args=["KE-CIRT"])
    delete = reverse("directory:team-delete", args=["KE-CIRT"])
    admin_html = page(world.admin_a, team_url("KE-CIRT")).content.decode()
    assert edit in admin_html
    assert delete not in admin_html
    for user in (world.viewer_a, world.admin_b):
        html = page(user, team_url("KE-CIRT")).content.decode()
        assert edit not in html
        assert "/contacts/new/" not in html
    coordinator_html = page(world.community_admin, team_url("KE-CIRT")).content.decode()
    assert edit in coordinator_html
    assert delete in coordinator_html


def test_organisation_page(world: World) -> None:
    world.contact(world.org_a, name="Abuse desk", emails=["abuse@savanna.example"])
    world.claim(ClaimKind.ASN, "AS64500", holder=world.org_a)
    response = page(world.viewer_b, reverse("directory:organisation", args=["savanna-net"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<h1>[^<]*Savanna Net ISP", html)
    assert team_url("KE-CIRT") in html
    assert "abuse@savanna.example" in html
    assert "AS64500" in html
    assert reverse("directory:organisation-edit", args=["SAVANNA-NET"]) not in html
    admin_html = page(world.admin_a, reverse("directory:organisation", args=["SAVANNA-NET"]))
    assert (
        reverse("directory:organisation-edit", args=["SAVANNA-NET"]) in admin_html.content.decode()
    )


# --- teams: create, edit, delete -------------------------------------------------


def test_team_admin_edits_team_and_change_is_audited(world: World) -> None:
    url = reverse("directory:team-edit", args=["KE-CIRT"])
    client = browser(world.admin_a)
    form = client.get(url)
    assert form.status_code == 200
    assert_no_inline_code(form.content.decode())
    data = {
        "short_name": "KE-CIRT",
        "name": "Kenya CIRT",
        "team_type": "national",
        "country": "ke",
        "vetting_level": VettingLevel.FULL_MEMBER,
        "timezone": "Africa/Nairobi",
        "phone_24x7": "+254 20 555 0000",
        "business_hours": "Mon-Fri 08-17",
        "rfc2350": "1. Doc",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == team_url("KE-CIRT")
    team = Team.objects.get(pk=world.team_a.pk)
    assert team.name == "Kenya CIRT"
    assert team.country == "KE"
    assert team.vetting_level == VettingLevel.LISTED  # only community admins change it
    entry = audit("update", team)
    assert entry.channel == AuditChannel.WEB
    assert entry.actor_id == world.admin_a.pk
    assert entry.before["name"] == "Kenya National CIRT"
    assert entry.after["name"] == "Kenya CIRT"
    assert "vetting_level" not in entry.after


def test_community_admin_changes_vetting_level(world: World) -> None:
    url = reverse("directory:team-edit", args=["KE-CIRT"])
    response = browser(world.community_admin).post(
        url,
        {
            "short_name": "KE-CIRT",
            "name": "Kenya National CIRT",
            "team_type": "national",
            "vetting_level": VettingLevel.VETTED,
        },
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=world.team_a.pk).vetting_level == VettingLevel.VETTED


def test_team_form_shows_errors(world: World) -> None:
    url = reverse("directory:team-edit", args=["KE-CIRT"])
    response = browser(world.admin_a).post(
        url,
        {"short_name": "sn-cert", "name": "x", "team_type": "national", "timezone": "Mars/Olympus"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The short name sn-cert is already taken." in html
    assert "Mars/Olympus is not a known time zone" in html
    assert not AuditEntry.objects.filter(action="update", object_type="core.team").exists()


@pytest.mark.parametrize("who", ["viewer_a", "admin_b"])
def test_others_may_not_edit_a_team(world: World, who: str) -> None:
    url = reverse("directory:team-edit", args=["KE-CIRT"])
    client = browser(getattr(world, who))
    assert client.get(url).status_code == 403
    assert (
        client.post(
            url, {"short_name": "KE-CIRT", "name": "Hijacked", "team_type": "national"}
        ).status_code
        == 403
    )
    assert Team.objects.get(pk=world.team_a.pk).name == "Kenya National CIRT"


def test_only_community_admins_create_teams(world: World) -> None:
    url = reverse("directory:team-create")
    data = {
        "short_name": "GH-CERT",
        "name": "Ghana CERT",
        "team_type": "national",
        "vetting_level": VettingLevel.APPLICANT,
    }
    assert browser(world.admin_a).get(url).status_code == 403
    assert browser(world.admin_a).post(url, data).status_code == 403
    response = browser(world.community_admin).post(url, data)
    assert response.status_code == 302
    team = Team.objects.get(short_name="GH-CERT")
    assert team.vetting_level == VettingLevel.APPLICANT
    assert audit("create", team).channel == AuditChannel.WEB


def test_team_delete_refused_while_it_coordinates_organisations(world: World) -> None:
    url = reverse("directory:team-delete", args=["KE-CIRT"])
    assert browser(world.admin_a).post(url).status_code == 403
    response = browser(world.community_admin).post(url)
    assert response.status_code == 400
    assert "still coordinates organisations (SAVANNA-NET)" in response.content.decode()
    assert Team.objects.filter(pk=world.team_a.pk).exists()


def test_team_delete_removes_contacts_and_claims_with_audit(world: World) -> None:
    contact = world.contact(world.team_b, name="SN desk")
    claim = world.claim(ClaimKind.COUNTRY, "SN", holder=world.team_b)
    url = reverse("directory:team-delete", args=["SN-CERT"])
    client = browser(world.community_admin)
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert not Team.objects.filter(short_name="SN-CERT").exists()
    assert audit("delete", contact).channel == AuditChannel.WEB
    assert audit("delete", claim).before["value"] == "SN"
    assert AuditEntry.objects.filter(action="delete", object_type="core.team").exists()


# --- organisations ------------------------------------------------------------


def test_team_admin_creates_organisation_in_own_team_only(world: World) -> None:
    url = reverse("directory:organisation-create")
    client = browser(world.admin_a)
    assert (
        f'value="{world.team_a.pk}" selected'
        in client.get(url, {"team": "KE-CIRT"}).content.decode()
    )
    data = {
        "short_name": "MINFIN",
        "name": "Ministry of Finance",
        "kind": "government",
        "country": "ke",
        "managed_by": world.team_b.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        url, {**data, "managed_by": world.team_a.pk, "website": "minfin.example"}
    )
    assert response.status_code == 302
    organisation = Organisation.objects.get(short_name="MINFIN")
    assert organisation.country == "KE"
    assert organisation.website == "https://minfin.example"
    assert audit("create", organisation).actor_id == world.admin_a.pk
    assert browser(world.viewer_a).get(url).status_code == 403


def test_organisation_edit_and_delete(world: World) -> None:
    world.contact(world.org_a, name="Abuse desk")
    edit = reverse("directory:organisation-edit", args=["SAVANNA-NET"])
    delete = reverse("directory:organisation-delete", args=["SAVANNA-NET"])
    assert browser(world.admin_b).get(edit).status_code == 403
    assert browser(world.admin_b).post(delete).status_code == 403
    client = browser(world.admin_a)
    response = client.post(
        edit,
        {
            "short_name": "SAVANNA-NET",
            "name": "Savanna Networks",
            "kind": "isp",
            "country": "KE",
            "managed_by": world.team_a.pk,
        },
    )
    assert response.status_code == 302
    assert set(audit("update", world.org_a).after) == {"name", "updated_at"}
    response = client.post(delete)
    assert response.status_code == 302
    assert response["Location"] == team_url("KE-CIRT")
    assert not Organisation.objects.filter(pk=world.org_a.pk).exists()
    assert AuditEntry.objects.filter(action="delete", object_type="directory.contact").count() == 1


# --- contacts -----------------------------------------------------------------


def _contact_data(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "role",
        "name": "Incident desk",
        "tlp": TLP.GREEN,
        "distribution": Distribution.COMMUNITY,
        **fields,
    }


def test_contact_form_refuses_invalid_pgp_key_with_clear_error(world: World) -> None:
    url = reverse("directory:contact-create", args=["teams", "KE-CIRT"])
    response = browser(world.admin_a).post(url, _contact_data(pgp_key="hello, I am a key"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This is not an ASCII-armoured OpenPGP public key" in html
    assert "hello, I am a key" in html  # what was typed is kept
    assert not Contact.objects.filter(name="Incident desk").exists()


def test_contact_form_refuses_private_key(world: World) -> None:
    url = reverse("directory:contact-create", args=["teams", "KE-CIRT"])
    private = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxyz\n-----END PGP PRIVATE KEY BLOCK-----"
    response = browser(world.admin_a).post(url, _contact_data(pgp_key=private))
    assert response.status_code == 400
    assert "This is a private key. Paste the public key only." in response.content.decode()


def test_contact_create_parses_lines_and_key(world: World) -> None:
    url = reverse("directory:contact-create", args=["organisations", "SAVANNA-NET"])
    client = browser(world.admin_a)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _contact_data(
            emails="abuse@savanna.example\r\n\r\nnoc@savanna.example\r\n",
            phones="+254 20 555 0100 (emergency)\r\n+254 20 555 0101",
            languages="EN, sw",
            pgp_key=PUBLIC_KEY,
            is_24x7="on",
            recipient_teams=[world.team_b.pk],
        ),
    )
    assert response.status_code == 302
    contact = Contact.objects.get(organisation=world.org_a)
    assert contact.emails == ["abuse@savanna.example", "noc@savanna.example"]
    assert contact.phones == [
        {"number": "+254 20 555 0100", "kind": "emergency"},
        {"number": "+254 20 555 0101", "kind": "voice"},
    ]
    assert contact.languages == ["en", "sw"]
    assert len(contact.pgp_fingerprint) == 40
    assert contact.owner_team_id == world.team_a.pk
    assert list(contact.recipient_teams.all()) == [world.team_b]
    assert audit("create", contact).channel == AuditChannel.WEB
    # The edit form shows the lists as typed.
    html = client.get(reverse("directory:contact-edit", args=[contact.pk])).content.decode()
    assert "+254 20 555 0100 (emergency)\n+254 20 555 0101" in html
    assert 'value="en, sw"' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("emails", "not-an-address", "not-an-address is not a valid e-mail address."),
        ("phones", "call me maybe", "call me maybe is not a phone number"),
        ("phones", "+254 20 555 0100 (pager)", "not “(pager)”"),
        ("languages", "english", "english is not a language code"),
    ],
)
def test_contact_form_field_errors(world: World, field: str, value: str, message: str) -> None:
    url = reverse("directory:contact-create", args=["teams", "KE-CIRT"])
    response = browser(world.admin_a).post(url, _contact_data(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_contact_group_distribution_needs_a_group(world: World) -> None:
    url = reverse("directory:contact-create", args=["teams", "KE-CIRT"])
    response = browser(world.admin_a).post(url, _contact_data(distribution=Distribution.GROUP))
    assert response.status_code == 400
    assert "Choose the sharing group to share with." in response.content.decode()


def test_contact_edit_and_delete_permissions(world: World) -> None:
    visible = world.contact(name="Community desk")
    hidden = world.contact(name="Red line", tlp=TLP.RED)
    for contact, status in ((visible, 403), (hidden, 404)):
        for name in ("contact-edit", "contact-delete"):
            url = reverse(f"directory:{name}", args=[contact.pk])
            assert browser(world.admin_b).get(url).status_code == status
            assert browser(world.admin_b).post(url).status_code == status
    client = browser(world.admin_a)
    response = client.post(
        reverse("directory:contact-edit", args=[hidden.pk]),
        _contact_data(name="Red line", tlp=TLP.RED, title="Duty officer"),
    )
    assert response.status_code == 302
    assert Contact.objects.get(pk=hidden.pk).title == "Duty officer"
    assert audit("update", hidden).after["title"] == "Duty officer"
    assert client.post(reverse("directory:contact-delete", args=[hidden.pk])).status_code == 302
    assert audit("delete", hidden).channel == AuditChannel.WEB


# --- claims -------------------------------------------------------------------


def test_claim_create_normalises_and_audits(world: World) -> None:
    url = reverse("directory:claim-create", args=["teams", "KE-CIRT"])
    client = browser(world.admin_a)
    response = client.post(url, {"kind": "asn", "value": "as64500", "source": "manual"})
    assert response.status_code == 302
    claim = ConstituencyClaim.objects.get(team=world.team_a, kind="asn")
    assert claim.value == "64500"
    assert audit("create", claim).channel == AuditChannel.WEB


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "prefix", "value": "10.0.0.300/8"}, "is not an IP prefix"),
        ({"kind": "country", "value": "KE"}, "KE-CIRT already claims KE."),
        (
            {
                "kind": "domain",
                "value": "ke.example",
                "valid_from": "2025-01-02",
                "valid_until": "2025-01-01",
            },
            "The claim cannot end before it starts.",
        ),
    ],
)
def test_claim_form_errors(world: World, data: dict[str, str], message: str) -> None:
    url = reverse("directory:claim-create", args=["teams", "KE-CIRT"])
    response = browser(world.admin_a).post(url, {"source": "manual", **data})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_claim_edit_and_delete(world: World) -> None:
    claim = world.claim(ClaimKind.PREFIX, "192.0.2.0/24", holder=world.org_a)
    edit = reverse("directory:claim-edit", args=[claim.pk])
    delete = reverse("directory:claim-delete", args=[claim.pk])
    assert (
        browser(world.admin_b)
        .post(edit, {"kind": "prefix", "value": "0.0.0.0/0", "source": "manual"})
        .status_code
        == 403
    )
    assert browser(world.viewer_a).post(delete).status_code == 403
    client = browser(world.admin_a)
    response = client.post(edit, {"kind": "prefix", "value": "192.0.2.7/25", "source": "manual"})
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:organisation", args=["SAVANNA-NET"])
    assert ConstituencyClaim.objects.get(pk=claim.pk).value == "192.0.2.0/25"
    assert set(audit("update", claim).after) == {"value", "updated_at"}
    assert client.post(delete).status_code == 302
    assert not ConstituencyClaim.objects.filter(pk=claim.pk).exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("+254 20 555 0100 (emergency)", {"number": "+254 20 555 0100", "kind": "emergency"}),
        ("+254 20 555 0100 (Emergency)", {"number": "+254 20 555 0100", "kind": "emergency"}),
        ("+254 20 555 0100 (voice)", {"number": "+254 20 555 0100", "kind": "voice"}),
        ("+1 555 (0100)", {"number": "+1 555 (0100)", "kind": "voice"}),
        ("+254 20 555 0100", {"number": "+254 20 555 0100", "kind": "voice"}),
    ],
)
def test_phone_lines_are_read_with_their_kind(line: str, expected: dict[str, str]) -> None:
    assert PhoneLinesField.parse(line) == expected


def test_team_page_query_count_does_not_grow_with_rows(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = browser(world.viewer_b)
    client.get(team_url("KE-CIRT"))
    world.contact(name="First desk", recipient_teams=[world.team_b])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(team_url("KE-CIRT")).status_code == 200
        return len(queries)

    few = count()
    for index in range(10):
        world.contact(name=f"Desk {index}", recipient_teams=[world.team_b, world.regional])
        world.claim(ClaimKind.DOMAIN, f"d{index}.ke.example")
        create_organisation(
            acting_user=None,
            short_name=f"ORG-{index}",
            name=f"Org {index}",
            kind="isp",
            managed_by=world.team_a,
        )
    assert count() == few
    with django_assert_max_num_queries(12):
        client.get(team_url("KE-CIRT"))


def test_list_offers_creation_to_those_allowed(world: World) -> None:
    new_team = reverse("directory:team-create")
    new_org = reverse("directory:organisation-create")
    assert new_team in page(world.community_admin, "/directory/").content.decode()
    assert new_team not in page(world.admin_a, "/directory/").content.decode()
    assert new_org in page(world.admin_a, "/directory/", show="organisations").content.decode()
    assert new_org not in page(world.viewer_a, "/directory/", show="organisations").content.decode()
