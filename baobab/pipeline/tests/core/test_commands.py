"""The pipeline's commands: parsers, parse, feeds, ingest and stats, with
exit code 2 and a list of what is valid when the input is not."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from baobab.core.models import Team
from baobab.directory import services as directory_services
from baobab.pipeline.models import Event, Feed

SAMPLES = Path(__file__).parent.parent / "parsers" / "samples"
FEODO = SAMPLES / "abusech" / "feodotracker.csv"


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_parsers_lists_the_shipped_parsers() -> None:
    listing = json.loads(_run("parsers", "--json"))
    names = {row["name"] for row in listing}
    assert {"feodotracker", "intelmq", "generic-csv", "openphish", "spamhaus-drop"} <= names


@pytest.mark.django_db
def test_parse_prints_normalised_json_lines_without_storing() -> None:
    lines = _run("parse", "--parser", "feodotracker", str(FEODO)).splitlines()
    events = [json.loads(line) for line in lines]
    assert events
    assert all(event["classification.type"] == "c2-server" for event in events)
    assert all("source.ip" in event for event in events)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--parser", "no-such-parser"], "Valid parsers:"),
        (["--parser", "blocklist-de", "--report", "no-such-list"], "Valid report types"),
    ],
)
@pytest.mark.django_db
def test_parse_refuses_unknown_parsers_and_reports_with_code_2(
    args: list[str], expected: str
) -> None:
    with pytest.raises(CommandError) as caught:
        _run("parse", *args, str(FEODO))
    assert caught.value.returncode == 2
    assert expected in str(caught.value)


@pytest.mark.django_db
def test_feeds_add_ingest_and_stats(make_team: Callable[..., Team]) -> None:
    team = make_team("ke-cirt", country="KE")
    directory_services.create_claim(team, "prefix", "192.0.2.0/24", acting_user=None)
    _run(
        "feeds",
        "add",
        "feodo",
        "--parser",
        "feodotracker",
        "--tlp",
        "TLP:GREEN",
        "--team",
        "ke-cirt",
    )
    feed = Feed.objects.get(name="feodo")
    assert (feed.parser, feed.tlp, feed.owner_team) == ("feodotracker", "green", team)

    summary = json.loads(_run("ingest", "--feed", "feodo", str(FEODO), "--json"))
    assert summary["status"] == "done"
    assert summary["parsed"] == summary["stored"] + summary["quarantined"] + summary["duplicates"]
    assert summary["stored"] == Event.objects.count() > 0
    again = json.loads(_run("ingest", "--feed", "feodo", str(FEODO), "--json"))
    assert again["stored"] == 0
    assert again["duplicates"] == summary["stored"]

    stats = json.loads(_run("stats", "--json"))
    assert stats["events"] == summary["stored"]
    assert stats["feeds"] == 1
    assert stats["teams"] == 1


@pytest.mark.django_db
def test_feeds_add_refuses_an_unknown_parser_with_the_valid_ones() -> None:
    with pytest.raises(CommandError) as caught:
        _run("feeds", "add", "x", "--parser", "nope")
    assert caught.value.returncode == 2
    assert "feodotracker" in str(caught.value)


@pytest.mark.django_db
def test_feeds_run_on_an_upload_feed_explains_instead_of_crashing() -> None:
    _run("feeds", "add", "uploads", "--parser", "intelmq")
    with pytest.raises(CommandError) as caught:
        _run("feeds", "run", "uploads")
    assert caught.value.returncode == 2


@pytest.mark.django_db
def test_shadowserver_s_schema_in_the_enrichment_folder_adds_its_report_types(
    settings: Any,
) -> None:
    schema_dir = SAMPLES / "shadowserver" / "schema"
    stun = schema_dir / "2024-05-01-scan_stun-country-geo.csv"
    with pytest.raises(CommandError, match="Valid report types"):
        _run("parse", "--parser", "shadowserver", str(stun))
    folder = Path(settings.DATA_DIR) / "enrichment"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(schema_dir / "shadowserver-schema.json", folder / "shadowserver-schema.json")
    try:
        events = _run("parse", "--parser", "shadowserver", str(stun)).splitlines()
    finally:
        (folder / "shadowserver-schema.json").unlink()
    assert events
    assert all(json.loads(line)["source.ip"] for line in events)
