"""Exporting the directory as CSV and JSON (command line, web, API): the
layouts, the visibility rule on contacts, and export → import round trips."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from baobab.core.choices import TLP, Distribution
from baobab.core.models import Team, User
from baobab.directory import export
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import create_claim, create_contact, create_organisation

SAMPLES = Path(__file__).parent / "samples"
API_URL = "/api/v1/directory/export/"

pytestmark = pytest.mark.django_db


@dataclass
class Community:
    team_a: Team
    team_b: Team
    user_a: User
    user_b: User
    outsider: User


@pytest.fixture
def community(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Community:
    """Team B holds four contacts; a member of team A may see two of them."""
    team_a = make_team("CERT-AA", name="Team A", country="KE")
    team_b = make_team("CERT-BB", name="Team B", country="GH")
    create_contact(
        team_b,
        acting_user=None,
        name="B public desk",
        emails=["desk@b.example"],
        phones=[{"number": "+233 30 111 1111", "kind": "emergency"}],
        tlp=TLP.GREEN,
        distribution=Distribution.COMMUNITY,
    )
    create_contact(
        team_b,
        acting_user=None,
        name="B red line",
        emails=["red@b.example"],
        tlp=TLP.RED,
        distribution=Distribution.COMMUNITY,
    )
    create_contact(
        team_b,
        acting_user=None,
        name="B team only",
        emails=["inner@b.example"],
        tlp=TLP.AMBER,
        distribution=Distribution.TEAM,
    )
    create_contact(
        team_b,
        acting_user=None,
        name="B for A",
        emails=["for-a@b.example"],
        tlp=TLP.AMBER,
        distribution=Distribution.TEAM,
        recipient_teams=[team_a],
    )
    isp = create_organisation(
        acting_user=None,
        short_name="isp-one",
        name="ISP One",
        kind="isp",
        country="GH",
        managed_by=team_b,
    )
    create_claim(team_b, "asn", "64500", acting_user=None)
    create_claim(isp, "prefix", "192.0.2.0/24", acting_user=None)
    # No passwords: the tests log in with force_login and tokens, and hashing is slow.
    return Community(
        team_a=team_a,
        team_b=team_b,
        user_a=make_user(team=team_a, password=None),
        user_b=make_user(team=team_b, password=None),
        outsider=make_user(password=None),
    )


HIDDEN_FROM_A = ("B red line", "red@b.example", "B team only", "inner@b.example")
SEEN_BY_A = ("B public desk", "B for A")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("directory", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_report(path: Path, fmt: str) -> dict[str, Any]:
    return json.loads(run("import", str(path), "--format", fmt, "--json"))


# --- what is exported ------------------------------------------------------------


def test_contacts_pass_through_the_visibility_rule(community: Community) -> None:
    def names(user: User | None, operator: bool = False) -> set[str]:
        return {c.name for c in export.collect(user, operator=operator).contacts}

    assert names(community.user_a) == set(SEEN_BY_A)
    assert names(community.user_b) == {*SEEN_BY_A, "B red line", "B team only"}
    assert names(None) == set()  # nobody: nothing that is not public and TLP:CLEAR
    assert names(None, operator=True) == names(community.user_b)
    # Teams, organisations and claims are the community's directory.
    snapshot = export.collect(community.user_a)
    assert [t.short_name for t in snapshot.teams] == ["CERT-AA", "CERT-BB"]
    assert [o.short_name for o in snapshot.organisations] == ["isp-one"]
    assert len(snapshot.claims) == 2


def test_csv_layout(community: Community) -> None:
    text = export.as_csv_text(export.collect(community.user_a))
    rows = list(csv.DictReader(io.StringIO(text)))

    assert tuple(csv.reader(io.StringIO(text)).__next__()) == export.CSV_COLUMNS
    assert [row["record"] for row in rows] == [
        "team",
        "team",
        "organisation",
        "contact",
        "contact",
        "claim",
        "claim",
    ]
    desk = next(row for row in rows if row["name"] == "B public desk")
    assert desk["holder"] == "team:CERT-BB"
    assert desk["phones"] == "emergency:+233 30 111 1111"
    assert (desk["tlp"], desk["distribution"], desk["is_24x7"]) == ("green", "community", "false")
    for_a = next(row for row in rows if row["name"] == "B for A")
    assert for_a["recipients"] == "CERT-AA"
    organisation = next(row for row in rows if row["record"] == "organisation")
    assert (organisation["managed_by"], organisation["type"]) == ("CERT-BB", "isp")
    claim = next(row for row in rows if row["type"] == "prefix")
    assert (claim["holder"], claim["value"]) == ("organisation:isp-one", "192.0.2.0/24")
    for hidden in HIDDEN_FROM_A:
        assert hidden not in text


def test_json_layout(community: Community) -> None:
    data = export.as_json_data(export.collect(community.user_b))

    assert (data["format"], data["version"]) == ("baobab-directory", 1)
    team_b = next(team for team in data["teams"] if team["short_name"] == "CERT-BB")
    assert team_b["team_type"] == "national"
    assert [c["name"] for c in team_b["contacts"]] == [
        "B for A",
        "B public desk",
        "B red line",
        "B team only",
    ]
    assert team_b["claims"] == [
        {
            "kind": "asn",
            "value": "64500",
            "valid_from": None,
            "valid_until": None,
            "source": "manual",
            "source_detail": "",
        },
    ]
    assert data["organisations"][0]["managed_by"] == "CERT-BB"
    assert data["organisations"][0]["claims"][0]["value"] == "192.0.2.0/24"


def test_formula_cells_are_guarded_and_read_back(make_team: Callable[..., Team]) -> None:
    make_team("CERT-EQ", name='=HYPERLINK("http://evil.example","click")', phone_24x7="+1 555")
    text = export.as_csv_text(export.collect(None, operator=True))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["name"].startswith("'=HYPERLINK")
    assert row["phone_24x7"] == "'+1 555"
    assert export.unprotect_cell(row["name"]) == '=HYPERLINK("http://evil.example","click")'
    assert export.unprotect_cell("'quoted") == "'quoted"


# --- web pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "content_type"),
    [
        ("directory:export-csv", "text/csv"),
        ("directory:export-json", "application/json"),
    ],
)
def test_web_export_shows_only_visible_contacts(
    client: Client, community: Community, url_name: str, content_type: str
) -> None:
    client.force_login(community.user_a)
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith('attachment; filename="baobab-directory-')
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    for seen in SEEN_BY_A:
        assert seen in body
    for hidden in HIDDEN_FROM_A:
        assert hidden not in body


def test_web_export_needs_a_community_member(client: Client, community: Community) -> None:
    url = reverse("directory:export-csv")
    assert reverse("directory:export-json") == "/directory/export.json"
    assert url == "/directory/export.csv"
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]
    client.force_login(community.outsider)
    assert client.get(url).status_code == 403


# --- API --------------------------------------------------------------------------


def test_api_export_csv_and_json(
    api_client_for: Callable[[User | None], Any], community: Community
) -> None:
    client = api_client_for(community.user_a)

    as_csv = client.get(API_URL, {"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    body = as_csv.content.decode()
    assert body.startswith(",".join(export.CSV_COLUMNS))
    for hidden in HIDDEN_FROM_A:
        assert hidden not in body

    as_json = client.get(API_URL, {"format": "json"})
    assert as_json.status_code == 200
    names = {c["name"] for team in as_json.json()["teams"] for c in team["contacts"]}
    assert names == set(SEEN_BY_A)
    assert client.get(API_URL).json()["format"] == "baobab-directory"  # JSON by default


def test_api_export_refusals_are_readable(
    api_client_for: Callable[[User | None], Any], community: Community
) -> None:
    bad = api_client_for(community.user_a).get(API_URL, {"format": "xml"})
    assert bad.status_code == 400
    assert "format=csv" in bad.json()["format"][0]

    anonymous = api_client_for(None).get(API_URL, {"format": "csv"})
    assert anonymous.status_code in (401, 403)
    assert anonymous["Content-Type"].startswith("application/json")
    assert "detail" in anonymous.json()

    outsider = api_client_for(community.outsider).get(API_URL)
    assert outsider.status_code == 403


# --- command line -------------------------------------------------------------------


def test_cli_export_as_a_user_and_to_a_file(community: Community, tmp_path: Path) -> None:
    as_a = run("export", "--format", "csv", "--user", community.user_a.username)
    for hidden in HIDDEN_FROM_A:
        assert hidden not in as_a
    everything = run("export", "--format", "csv")
    assert "B red line" in everything

    output = tmp_path / "directory.json"
    assert run("export", "--format", "json", "--output", str(output)) == ""
    data = json.loads(output.read_text())
    assert len(data["teams"]) == 2


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--format", "xml"),
        ("export", "--format", "csv", "--user", "nobody-by-that-name"),
        ("export", "--format", "csv", "--output", "/nonexistent-dir/x.csv"),
    ],
)
def test_cli_export_bad_input_exits_2(args: tuple[str, ...], community: Community) -> None:
    with pytest.raises(CommandError) as error:
        run(*args)
    assert error.value.returncode == 2


# --- export → import round trips -------------------------------------------------------


@pytest.fixture
def directory_from_samples() -> None:
    """A directory with organisations, named recipients, PGP keys, dates and claims."""
    assert import_report(SAMPLES / "baobab_directory.csv", "csv")["counts"]["refused"] == 0
    assert import_report(SAMPLES / "baobab_directory.json", "json")["counts"]["refused"] == 0
    assert import_report(SAMPLES / "ti_teams.json", "trusted-introducer")["counts"]["refused"] == 0


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_changes_nothing(
    directory_from_samples: None, community: Community, fmt: str, tmp_path: Path
) -> None:
    path = tmp_path / f"directory.{fmt}"
    run("export", "--format", fmt, "--output", str(path))

    report = import_report(path, fmt)

    assert report["counts"]["refused"] == 0
    assert report["counts"]["created"] == 0
    assert report["counts"]["updated"] == 0
    total = Team.objects.count() + Organisation.objects.count()
    total += Contact.objects.count() + ConstituencyClaim.objects.count()
    assert report["counts"]["unchanged"] == total


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    """An export without what an import cannot keep: when it was made and where
    each claim came from (an imported claim says it was imported)."""
    data = json.loads(json.dumps(data))
    data.pop("exported_at")
    for holder in data["teams"] + data["organisations"]:
        for claim in holder["claims"]:
            claim.pop("source")
            claim.pop("source_detail")
    return data


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_imported_into_an_empty_directory_gives_the_same_export(
    directory_from_samples: None, community: Community, fmt: str, tmp_path: Path
) -> None:
    original = export.as_json_data(export.collect(None, operator=True))
    path = tmp_path / f"directory.{fmt}"
    run("export", "--format", fmt, "--output", str(path))
    Contact.objects.all().delete()
    ConstituencyClaim.objects.all().delete()
    Organisation.objects.all().delete()
    Team.objects.all().delete()

    report = import_report(path, fmt)

    assert report["counts"]["refused"] == 0
    again = export.as_json_data(export.collect(None, operator=True))
    assert _comparable(again) == _comparable(original)
