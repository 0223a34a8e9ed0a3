"""The published MISP feed (files and HTTP) and the ``baobab misp``
command: MISP's feed layout, and only what the reader may see."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pymisp import MISPEvent

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import Team, User
from baobab.core.services import create_token
from baobab.sharing import services
from baobab.sharing.misp.export import team_event_uuid
from baobab.sharing.misp.feed_publish import publish
from baobab.sharing.misp.importing import import_misp
from baobab.sharing.models import Indicator, Report

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "misp"
PHISHING = "5f2b7c1e-3d4a-4b8e-9c61-0a7e2d9f4b11"
ADVISORY = "0c4e8a2f-6b1d-4f9a-8e3c-5d7b9a1c3e55"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    cert_a, cert_b = make_team("cert-a"), make_team("cert-b")
    analyst_a = make_user("analyst-a", team=cert_a, role=Role.ANALYST)
    for name in ("phishing_campaign.json", "public_advisory.json"):
        import_misp((SAMPLES / name).read_bytes(), team=cert_a, acting_user=analyst_a)
    services.create_indicator(
        cert_a,
        acting_user=analyst_a,
        kind="ip",
        value="192.0.2.99",
        tlp=TLP.CLEAR,
        distribution=Distribution.PUBLIC,
    )
    services.create_indicator(
        cert_a, acting_user=analyst_a, kind="ip", value="192.0.2.98", tlp=TLP.RED
    )
    return {
        "a": cert_a,
        "b": cert_b,
        "analyst_a": analyst_a,
        "user_b": make_user("user-b", team=cert_b, role=Role.ANALYST),
    }


def test_a_public_feed_holds_only_public_clear_content(
    world: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "feed"
    files = publish(folder, None)
    team_uuid = team_event_uuid(world["a"])
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        ["manifest.json", "hashes.csv", f"{ADVISORY}.json", f"{team_uuid}.json"]
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest) == {ADVISORY, team_uuid}
    entry = manifest[ADVISORY]
    assert entry["info"] == "Public advisory: mass exploitation of an edge VPN appliance"
    assert entry["timestamp"] == 1708430400
    assert {tag["name"] for tag in entry["Tag"]} == {"tlp:clear", "type:OSINT"}
    assert entry["Orgc"]["name"] == "AfricaCERT"
    event = MISPEvent()
    event.load_file(str(folder / f"{ADVISORY}.json"))
    assert len(event.attributes) == 4
    loose = json.loads((folder / f"{team_uuid}.json").read_text())
    assert [a["value"] for a in loose["Event"]["Attribute"]] == ["192.0.2.99"]
    text = "".join(path.read_text() for path in folder.iterdir())
    assert "192.0.2.98" not in text  # RED
    assert "ecobank" not in text  # a community event
    # hashes.csv: the MD5 of each value, with its event.
    lines = (folder / "hashes.csv").read_text().splitlines()
    assert f"{hashlib.md5(b'192.0.2.99').hexdigest()},{team_uuid}" in lines  # noqa: S324
    assert len(lines) == len(files.hashes) == 5


def test_a_teams_feed_and_a_new_publication_drops_what_went(
    world: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "feed"
    out = io.StringIO()
    call_command("misp", "feed", "publish", str(folder), "--as-team", "cert-b", stdout=out)
    assert "Feed of 3 events" in out.getvalue()
    assert json.loads((folder / "manifest.json").read_text()).keys() == {
        PHISHING,
        ADVISORY,
        team_event_uuid(world["a"]),
    }
    phishing = (folder / f"{PHISHING}.json").read_text()
    assert "198.51.100.23" in phishing
    assert "203.0.113.77" not in phishing  # RED, team only
    # The phishing report becomes team-only: the next publication leaves it out.
    Report.objects.filter(stix_id=f"report--{PHISHING}").update(distribution=Distribution.TEAM)
    publish(folder, world["b"])
    assert not (folder / f"{PHISHING}.json").exists()
    assert PHISHING not in json.loads((folder / "manifest.json").read_text())


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_the_feed_over_http_answers_each_reader_with_what_they_may_see(
    world: dict[str, Any], client: Client
) -> None:
    anonymous = client.get("/misp/feed/manifest.json")
    assert anonymous.status_code == 200
    assert anonymous["Content-Type"].startswith("application/json")
    assert set(anonymous.json()) == {ADVISORY, team_event_uuid(world["a"])}
    assert client.get(f"/misp/feed/{PHISHING}.json").status_code == 404

    _token, key = create_token(world["user_b"], acting_user=None)
    for header in (f"Token {key}", _basic("user-b", key), _basic("", key)):
        manifest = client.get("/misp/feed/manifest.json", HTTP_AUTHORIZATION=header)
        assert set(manifest.json()) == {PHISHING, ADVISORY, team_event_uuid(world["a"])}
    event = client.get(f"/misp/feed/{PHISHING}.json", HTTP_AUTHORIZATION=f"Token {key}")
    assert event.status_code == 200
    body = event.content.decode()
    assert "198.51.100.23" in body
    assert "203.0.113.77" not in body
    assert event["Cache-Control"].startswith("private") or "private" in event["Cache-Control"]
    hashes = client.get("/misp/feed/hashes.csv", HTTP_AUTHORIZATION=f"Token {key}")
    assert hashes["Content-Type"].startswith("text/csv")
    assert f"{hashlib.md5(b'198.51.100.23').hexdigest()},{PHISHING}" in hashes.content.decode()  # noqa: S324

    refused = client.get("/misp/feed/manifest.json", HTTP_AUTHORIZATION="Token wrong")
    assert refused.status_code == 401
    assert "Token" in refused["WWW-Authenticate"]
    assert client.get("/misp/feed/not-a-uuid.json").status_code == 404
    assert client.post("/misp/feed/manifest.json").status_code == 405


def test_the_command_imports_and_exports(world: dict[str, Any], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "misp",
        "import",
        str(SAMPLES / "ransomware_sharing_group.json"),
        "--team",
        "cert-b",
        "--json",
        stdout=out,
    )
    [summary] = json.loads(out.getvalue())
    assert summary["report"] == "report--7a3c9e1f-5b2d-4c8a-9e6f-3b1d7a9c5e22"
    assert summary["created"] > 0
    # cert-b is in no sharing group: both groups' objects stay with the team.
    assert len(summary["notes"]) == 2
    assert Indicator.objects.filter(owner_team=world["b"]).count() == 3

    target = tmp_path / "event.json"
    call_command(
        "misp",
        "export",
        "--report",
        "7a3c9e1f-5b2d-4c8a-9e6f-3b1d7a9c5e22",
        "--as-team",
        "cert-b",
        str(target),
        stderr=io.StringIO(),
    )
    event = MISPEvent()
    event.load_file(str(target))
    assert event.uuid == "7a3c9e1f-5b2d-4c8a-9e6f-3b1d7a9c5e22"
    assert next(tag.name for tag in event.tags) == "tlp:amber+strict"

    loose = tmp_path / "loose.json"
    call_command(
        "misp", "export", "--team", "cert-a", str(loose), stderr=io.StringIO()
    )  # as anybody: the public CLEAR indicator only
    assert [a["value"] for a in json.loads(loose.read_text())["Event"]["Attribute"]] == [
        "192.0.2.99"
    ]
    with pytest.raises(CommandError, match="no report"):
        call_command("misp", "export", "--report", PHISHING, str(target))


def test_the_command_refuses_a_bad_file_and_writes_nothing(
    world: dict[str, Any], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    data = json.loads((SAMPLES / "public_advisory.json").read_text())
    data["Event"]["uuid"] = "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
    data["Event"]["Attribute"][0]["value"] = "192.0.2.300"
    bad.write_text(json.dumps(data))
    err = io.StringIO()
    before = Indicator.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("misp", "import", str(bad), "--team", "cert-b", stderr=err)
    assert refused.value.returncode == 1
    assert "Attribute 6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d01 (ip-src)" in err.getvalue()
    assert Indicator.objects.count() == before
