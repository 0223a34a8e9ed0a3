"""``baobab directory import``: Trusted Introducer, FIRST and Baobab's CSV/JSON,
from sample files written for these tests (and malformed ones)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from baobab.core.choices import TLP, AuditChannel, Distribution, TeamType
from baobab.core.models import AuditEntry, Team
from baobab.directory.choices import ClaimSource
from baobab.directory.importers import apply
from baobab.directory.importers.common import guess_team_type, make_short_name, map_timezone
from baobab.directory.models import ConstituencyClaim, Contact, Organisation

SAMPLES = Path(__file__).parent / "samples"
FIRST_KEY_FINGERPRINT = "068B017376110593DAC0DF44548F4C10C1223C81"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("directory", *args, stdout=out)
    return out.getvalue()


def import_report(path: Path | str, fmt: str, *extra: str) -> dict[str, Any]:
    """Run the import command with --json and return its report."""
    return json.loads(run("import", str(path), "--format", fmt, "--json", *extra))


def whats(report: dict[str, Any], key: str) -> list[str]:
    return [item["what"] for item in report[key]]


def nothing_in_directory() -> bool:
    return not (
        Team.objects.exists()
        or Organisation.objects.exists()
        or Contact.objects.exists()
        or ConstituencyClaim.objects.exists()
        or AuditEntry.objects.exists()
    )


# --- Trusted Introducer ------------------------------------------------------


def test_trusted_introducer_creates_teams_contacts_and_claims() -> None:
    report = import_report(SAMPLES / "ti_teams.json", "trusted-introducer")

    assert report["counts"] == {
        "created": 14,
        "updated": 0,
        "unchanged": 0,
        "refused": 0,
        "warnings": 1,
    }
    ke = Team.objects.get(short_name="KE-CIRT")
    assert ke.name == "Kenya Computer Incident Response Team"
    assert ke.team_type == TeamType.NATIONAL
    assert ke.country == "KE"
    assert ke.email == "incidents@ke-cirt.example"
    assert ke.phone_24x7 == "+254 703 042 700"
    assert ke.timezone == "Africa/Nairobi"
    assert ke.business_hours == "08:00 to 17:00 Monday to Friday"

    contact = Contact.objects.get(team=ke)
    assert contact.name == "Trusted Introducer contact"
    assert contact.emails == ["incidents@ke-cirt.example", "info@ke-cirt.example"]
    assert contact.phones == [
        {"number": "+254 20 4242 000", "kind": "voice"},
        {"number": "+254 703 042 700", "kind": "emergency"},
    ]  # the fax number is left out
    assert contact.is_24x7
    assert (contact.tlp, contact.distribution) == (TLP.GREEN, Distribution.COMMUNITY)
    assert contact.owner_team == ke

    # A national team's countries become claims; an academic team's do not.
    assert sorted(ke.claims.values_list("kind", "value")) == [("country", "KE"), ("domain", "ke")]
    kenet = Team.objects.get(short_name="KENET-CSIRT")
    assert kenet.team_type == TeamType.ACADEMIC
    assert sorted(kenet.claims.values_list("kind", "value")) == [
        ("asn", "64496"),
        ("asn", "64497"),
        ("domain", "ac.ke"),
        ("prefix", "198.51.100.0/24"),
        ("prefix", "2001:db8:100::/48"),
        ("prefix", "203.0.113.0/25"),
    ]
    claim = kenet.claims.get(kind="asn", value="64496")
    assert claim.source == ClaimSource.IMPORTED
    assert claim.source_detail == "trusted-introducer: ti_teams.json"

    bank = Team.objects.get(short_name="SavannaBank-SRT")
    assert bank.team_type == TeamType.PRIVATE
    assert bank.timezone == ""  # "East Africa Time" is not a zone Baobab knows
    assert report["warnings"][0]["record"] == 3
    assert "East Africa Time" in report["warnings"][0]["reason"]


def test_trusted_introducer_update_keeps_what_the_community_decided(tmp_path: Path) -> None:
    import_report(SAMPLES / "ti_teams.json", "trusted-introducer")
    team = Team.objects.get(short_name="KE-CIRT")
    Team.objects.filter(pk=team.pk).update(
        team_type=TeamType.GOVERNMENT, website="https://x.example"
    )

    data = json.loads((SAMPLES / "ti_teams.json").read_text())
    data[0]["business_hours"] = "07:30 to 16:30 Monday to Friday"
    data[0]["short_name"] = "ke-cirt"  # matched whatever the case
    changed = tmp_path / "teams.json"
    changed.write_text(json.dumps(data))
    report = import_report(changed, "trusted-introducer")

    assert report["counts"]["created"] == 0
    assert whats(report, "updated") == ["team ke-cirt"]
    team.refresh_from_db()
    assert team.business_hours == "07:30 to 16:30 Monday to Friday"
    assert team.short_name == "KE-CIRT"
    assert team.team_type == TeamType.GOVERNMENT  # the guess is only made on creation
    assert team.website == "https://x.example"  # TI carries no web site: left alone


def test_trusted_introducer_refuses_bad_records_and_keeps_the_others() -> None:
    report = import_report(SAMPLES / "ti_bad_values.json", "trusted-introducer")

    refused = {item["record"]: item["reason"] for item in report["refused"]}
    assert sorted(refused) == [2, 3, 4, 5, 6]
    assert "Kenya" in refused[2]
    assert "300.1.2.0/24" in refused[3]
    assert "object" in refused[4]
    assert "short_name" in refused[5]
    assert "cert at badmail.example" in refused[6]
    assert report["refused"][0]["label"] == "BADCOUNTRY-CERT"
    # Nothing of a refused record stays, not even the team that came before the bad claim.
    assert list(Team.objects.values_list("short_name", flat=True)) == ["GOOD-CERT"]
    assert not ConstituencyClaim.objects.exclude(team__short_name="GOOD-CERT").exists()
    assert Team.objects.get().team_type == TeamType.GOVERNMENT


# --- FIRST --------------------------------------------------------------------


def test_first_import_maps_teams_and_keeps_the_public_key() -> None:
    report = import_report(SAMPLES / "first_teams.json", "first")

    assert report["counts"]["refused"] == 0
    assert report["counts"]["created"] == 7  # 3 teams, 3 contacts, 1 country claim
    ke = Team.objects.get(short_name="KE-CIRT")
    assert ke.timezone == "Etc/GMT-3"  # "UTC+3"
    assert ke.website == "https://www.ke-cirt.example"
    assert ke.phone_24x7 == "+254 703 042 700"
    assert ke.team_type == TeamType.NATIONAL
    assert list(ke.claims.values_list("kind", "value")) == [("country", "KE")]
    contact = Contact.objects.get(team=ke, name="FIRST contact")
    assert contact.pgp_fingerprint == FIRST_KEY_FINGERPRINT
    assert contact.pgp_key.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in contact.pgp_key
    assert contact.phones == [
        {"number": "+254 703 042 700", "kind": "emergency"},
        {"number": "+254 20 4242 000", "kind": "voice"},
    ]

    isp = Team.objects.get(short_name="Sahel-ISP-CSIRT")
    assert isp.website == "https://www.sahel-isp.example/csirt"
    assert isp.timezone == "UTC"
    assert isp.team_type == TeamType.PRIVATE
    assert Contact.objects.get(team=isp).phones == [{"number": "+221 33 800 0000", "kind": "voice"}]
    bank = Team.objects.get(short_name="Atlas-Bank-CERT")
    assert bank.team_type == TeamType.SECTORAL
    assert [item["record"] for item in report["warnings"]] == [3]


def test_first_refuses_teams_whose_pgp_key_is_invalid() -> None:
    report = import_report(SAMPLES / "first_invalid_pgp.json", "first")

    refused = {item["record"]: item["reason"] for item in report["refused"]}
    assert sorted(refused) == [1, 2, 4]
    assert refused[1].startswith("PGP key:")
    assert FIRST_KEY_FINGERPRINT in refused[2]  # someone else's key
    assert "private key" in refused[4]
    assert list(Team.objects.values_list("short_name", flat=True)) == ["OKAVANGO-CSIRT"]
    assert Team.objects.get().team_type == TeamType.ACADEMIC
    assert not Contact.objects.exclude(team__short_name="OKAVANGO-CSIRT").exists()


# --- Baobab CSV and JSON --------------------------------------------------------


def test_baobab_csv_import() -> None:
    report = import_report(SAMPLES / "baobab_directory.csv", "csv")

    assert report["counts"]["created"] == 11
    assert report["counts"]["refused"] == 0
    gh = Team.objects.get(short_name="CERT-GH")
    assert gh.vetting_level == "full"
    assert str(gh.member_since) == "2019-05-01"
    assert gh.phone_24x7 == "+233 30 000 0000"  # the ' guarding the + is removed
    assert gh.rfc2350.startswith("1. Document information\nThis document")
    duty = Contact.objects.get(name="CERT-GH duty desk")
    assert duty.emails == ["duty@cert-gh.example", "incidents@cert-gh.example"]
    assert duty.phones[0] == {"number": "+233 30 000 0000", "kind": "emergency"}
    assert duty.languages == ["en", "fr"]
    assert duty.is_24x7
    assert duty.pgp_fingerprint == "AA4B7D9E942D9CBC987837825A133F9A56BAB2B5"
    person = Contact.objects.get(name="Kwame Mensah")
    assert (person.kind, person.tlp, person.distribution) == ("person", "amber", "team")
    isp = Organisation.objects.get(short_name="ghananet")
    assert isp.managed_by == gh
    assert Contact.objects.get(organisation=isp).owner_team == gh
    prefix = isp.claims.get(kind="prefix")
    assert str(prefix.valid_from) == "2023-01-01"
    assert prefix.source_detail == "csv: baobab_directory.csv"
    assert report["created"][0] == {
        "line": 2,
        "label": "CERT-GH",
        "path": "",
        "what": "team CERT-GH",
    }


def test_baobab_csv_refuses_bad_lines_by_number() -> None:
    report = import_report(SAMPLES / "baobab_wrong_columns.csv", "csv")

    refused = {item["line"]: item["reason"] for item in report["refused"]}
    assert sorted(refused) == [3, 4, 5, 6, 7, 8]
    assert "5 fields" in refused[3]
    assert "8 fields" in refused[4]
    assert "person" in refused[5]
    assert "holder" in refused[6]
    assert "192.0.2.300/24" in refused[7]
    assert "country" in refused[8]
    assert whats(report, "created") == ["team CERT-CI", "claim asn 64503 of team CERT-CI"]


def test_baobab_json_import() -> None:
    report = import_report(SAMPLES / "baobab_directory.json", "json")

    assert report["counts"]["refused"] == 0
    assert report["counts"]["created"] == 11
    za = Team.objects.get(short_name="SA-CSIRT")
    coordinator = Contact.objects.get(name="Thandi Nkosi")
    assert list(coordinator.recipient_teams.values_list("short_name", flat=True)) == ["BW-CSIRT"]
    assert Contact.objects.get(name="SA-CSIRT incident desk").languages == ["en", "af", "zu"]
    telecom = Organisation.objects.get(short_name="karoo-telecom")
    assert telecom.managed_by == za
    prefix = telecom.claims.get(kind="prefix")
    assert str(prefix.valid_until) == "2026-12-31"
    paths = {item["path"] for item in report["created"]}
    assert "organisations[0].claims[1]" in paths


def test_baobab_json_refuses_records_it_cannot_place(tmp_path: Path) -> None:
    data = json.loads((SAMPLES / "baobab_directory.json").read_text())
    data["teams"][0]["contacts"][0]["sharing_group"] = "No such group"
    data["teams"][0]["contacts"][1]["is_24x7"] = "sometimes"
    data["organisations"][0]["managed_by"] = "NOBODY"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))
    report = import_report(path, "json")

    refused = {item["path"]: item["reason"] for item in report["refused"]}
    assert "No such group" in refused["teams[0].contacts[0]"]
    assert "is_24x7" in refused["teams[0].contacts[1]"]
    assert "NOBODY" in refused["organisations[0]"]
    # The organisation's contact and claims cannot find it either.
    assert "karoo-telecom" in refused["organisations[0].contacts[0]"]
    assert Team.objects.count() == 2


# --- every format: idempotent, atomic, audited ------------------------------------


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("ti_teams.json", "trusted-introducer"),
        ("first_teams.json", "first"),
        ("baobab_directory.csv", "csv"),
        ("baobab_directory.json", "json"),
    ],
)
def test_second_run_creates_and_updates_nothing(sample: str, fmt: str) -> None:
    first = import_report(SAMPLES / sample, fmt)
    audited = AuditEntry.objects.count()
    second = import_report(SAMPLES / sample, fmt)

    assert first["counts"]["created"] > 0
    assert second["counts"]["created"] == 0
    assert second["counts"]["updated"] == 0
    assert second["counts"]["unchanged"] == first["counts"]["created"]
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize(
    ("sample", "fmt", "message"),
    [
        ("truncated.json", "first", "not valid JSON"),
        ("truncated.json", "trusted-introducer", "not valid JSON"),
        ("empty.json", "json", "empty"),
        ("garbage.bin", "csv", "not a text file"),
        ("garbage.bin", "trusted-introducer", "not a text file"),
        ("first_error.json", "first", "error answer"),
        ("baobab_bad_header.csv", "csv", "team_name"),
        ("ti_teams.json", "json", "not a Baobab directory file"),
        ("first_teams.json", "trusted-introducer", "not a Trusted Introducer"),
        ("no-such-file.json", "json", "does not exist"),
    ],
)
def test_unusable_file_exits_2_and_writes_nothing(sample: str, fmt: str, message: str) -> None:
    with pytest.raises(CommandError) as error:
        run("import", str(SAMPLES / sample), "--format", fmt)

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert nothing_in_directory()


def test_unknown_format_exits_2() -> None:
    with pytest.raises(CommandError) as error:
        run("import", str(SAMPLES / "ti_teams.json"), "--format", "xml")
    assert error.value.returncode == 2
    assert "trusted-introducer" in str(error.value)


def test_undecodable_text_is_unusable(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "record,holder,short_name,name,type,value\nteam,,CÔTE,x,national,\n".encode("latin-1")
    )
    with pytest.raises(CommandError) as error:
        run("import", str(path), "--format", "csv")
    assert error.value.returncode == 2
    assert "UTF-8" in str(error.value)
    assert nothing_in_directory()


def test_a_crash_half_way_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    real = apply._apply_claim
    calls = {"n": 0}

    def crash_on_the_third_claim(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        real(*args, **kwargs)

    monkeypatch.setattr(apply, "_apply_claim", crash_on_the_third_claim)
    with pytest.raises(RuntimeError):
        run("import", str(SAMPLES / "ti_teams.json"), "--format", "trusted-introducer")
    assert nothing_in_directory()


def test_csv_broken_half_way_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    shutil.copy(SAMPLES / "baobab_directory.csv", path)
    with path.open("a") as handle:
        handle.write('team,,CERT-XX,"an unterminated quote\n')
    with pytest.raises(CommandError) as error:
        run("import", str(path), "--format", "csv")
    assert error.value.returncode == 2
    assert nothing_in_directory()


def test_dry_run_reports_but_saves_nothing() -> None:
    report = import_report(SAMPLES / "baobab_directory.csv", "csv", "--dry-run")
    assert report["dry_run"] is True
    assert report["counts"]["created"] == 11
    assert nothing_in_directory()

    text = run(
        "import", str(SAMPLES / "ti_teams.json"), "--format", "trusted-introducer", "--dry-run"
    )
    assert "created 14," in text
    assert "Dry run: nothing was saved." in text
    assert nothing_in_directory()


def test_changes_are_audited_as_command_line_changes() -> None:
    run("import", str(SAMPLES / "ti_teams.json"), "--format", "trusted-introducer")

    entries = AuditEntry.objects.all()
    assert entries.count() == 14
    assert set(entries.values_list("channel", flat=True)) == {AuditChannel.CLI}
    assert set(entries.values_list("actor", flat=True)) == {None}
    assert set(entries.values_list("object_type", flat=True)) == {
        "core.team",
        "directory.contact",
        "directory.constituencyclaim",
    }


def test_text_report_lists_refused_lines_and_warnings() -> None:
    text = run("import", str(SAMPLES / "baobab_wrong_columns.csv"), "--format", "csv")
    assert "created 2, updated 0, unchanged 0, refused 6, warnings 0." in text
    assert "Refused:" in text
    assert "line 3: This line has 5 fields; the header has 7." in text

    verbose = run(
        "import", str(SAMPLES / "ti_teams.json"), "--format", "trusted-introducer", "--details"
    )
    assert "record 1 (KE-CIRT): team KE-CIRT" in verbose
    assert "Warnings:" in verbose


# --- the small mappings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("GMT+2", "Etc/GMT-2"),
        ("UTC-0500", "Etc/GMT+5"),
        ("UTC+05:30", None),
        ("UTC+15", None),
        ("East Africa Time", None),
        ("", None),
    ],
)
def test_map_timezone(text: str, zone: str | None) -> None:
    assert map_timezone(text) == zone


@pytest.mark.parametrize(
    ("types", "team_type"),
    [
        (["National"], "national"),
        (["International"], "private"),
        (["Research & Education"], "academic"),
        (["Government"], "government"),
        (["CIIP"], "sectoral"),
        (["Financial sector"], "sectoral"),
        (["Commercial Organisation"], "private"),
        ([], "private"),
    ],
)
def test_guess_team_type(types: list[str], team_type: str) -> None:
    assert guess_team_type(types) == team_type


def test_make_short_name() -> None:
    assert make_short_name("ACN IBE CSIRT") == "ACN-IBE-CSIRT"
    assert make_short_name("Honeywell Global Security (HGS)") == "Honeywell-Global-Security-HGS"
    assert make_short_name("CERT.at") == "CERT.at"
    assert make_short_name("  ---  ") == ""
