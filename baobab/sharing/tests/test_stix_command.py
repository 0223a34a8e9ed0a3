"""``baobab stix export`` and ``baobab stix import``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stix2validator import ValidationOptions, validate_instance

from baobab.core.choices import TLP, AuditChannel, Distribution, Role
from baobab.core.models import AuditEntry, Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import Indicator, KeptObject, ObjectVersion, Report

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples" / "stix"


def _run(*args: str, stdin: bytes | None = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin)))
            call_command("stix", *args, stdout=out, stderr=err)
    else:
        call_command("stix", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def shared(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    a, b = make_team("cert-a"), make_team("cert-b")
    analyst = make_user("analyst-a", team=a, role=Role.ANALYST)
    reader = make_user("reader-b", team=b, role=Role.VIEWER)
    public = services.create_indicator(
        a,
        acting_user=analyst,
        kind="domain",
        value="evil.example",
        tlp=TLP.CLEAR,
        distribution=Distribution.PUBLIC,
    )
    green = services.create_indicator(
        a, acting_user=analyst, kind="ip", value="192.0.2.1", tlp=TLP.GREEN
    )
    red = services.create_indicator(
        a, acting_user=analyst, kind="ip", value="192.0.2.2", tlp=TLP.RED
    )
    report = services.create_report(
        a, acting_user=analyst, title="R", object_refs=[green.stix_id], tlp=TLP.GREEN
    )
    return {
        "a": a,
        "b": b,
        "reader": reader,
        "public": public,
        "green": green,
        "red": red,
        "report": report,
    }


def _ids(text: str) -> set[str]:
    bundle = json.loads(text)
    assert validate_instance(bundle, ValidationOptions(version="2.1")).is_valid
    return {
        obj["id"]
        for obj in bundle.get("objects", [])
        if obj["type"] not in ("marking-definition", "identity")
    }


def test_export_to_standard_output_shows_what_anybody_may_see(shared: dict[str, Any]) -> None:
    out, err = _run("export", "-")
    assert _ids(out) == {shared["public"].stix_id}
    assert "3 STIX objects exported" in err  # with its marking and author


def test_export_as_a_user_or_a_team_to_a_file(shared: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    _run("export", "--as-user", "reader-b", str(target))
    assert _ids(target.read_text()) == {
        shared[name].stix_id for name in ("public", "green", "report")
    }
    _run("export", "--as-team", "cert-a", "--type", "indicator", str(target))
    assert _ids(target.read_text()) == {shared[name].stix_id for name in ("public", "green", "red")}
    _run(
        "export",
        "--as-team",
        "cert-a",
        "--type",
        "report,sighting",
        "--team",
        "cert-a",
        str(target),
    )
    assert _ids(target.read_text()) == {shared["report"].stix_id}
    _run("export", "--as-team", "cert-a", "--since", "2999-01-01", str(target))
    assert _ids(target.read_text()) == set()


@pytest.mark.parametrize(
    "args",
    [
        ("export", "--as-team", "nobody", "-"),
        ("export", "--as-user", "nobody", "-"),
        ("export", "--since", "yesterday", "-"),
        ("import", "missing.json", "--team", "cert-a"),
        ("import", "-", "--team", "nobody"),
        ("import", "-", "--team", "cert-a", "--tlp", "purple"),
        ("import", "-", "--team", "cert-a", "--distribution", "group"),
        ("import", "-", "--team", "cert-a", "--group", "Nowhere"),
    ],
)
def test_bad_arguments_are_usage_errors(shared: dict[str, Any], args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError) as failed:
        _run(*args, stdin=b"{}")
    assert failed.value.returncode == 2


def test_import_prints_the_report_and_is_audited_as_the_command_line(
    shared: dict[str, Any], tmp_path: Path
) -> None:
    sample = SAMPLES / "opencti_style.json"
    out, _err = _run("import", str(sample), "--team", "cert-b", "--tlp", "TLP:GREEN")
    assert "indicator: 3 — 3 created" in out
    assert out.splitlines()[-1].startswith("total: 11 — 9 created")
    entry = AuditEntry.objects.get(action="import")
    assert entry.channel == AuditChannel.CLI
    assert entry.after is not None
    assert entry.after["created"] == 9
    attack = KeptObject.objects.get(stix_type="attack-pattern")
    assert (attack.tlp, attack.distribution) == (TLP.GREEN, Distribution.COMMUNITY)
    again, _err = _run("import", str(sample), "--team", "cert-b", "--json")
    summary = json.loads(again)
    assert (summary["total"], summary["unchanged"], summary["created"]) == (11, 9, 0)


def test_import_from_standard_input_shared_with_a_group(shared: dict[str, Any]) -> None:
    group = groups.create_group(
        shared["a"], acting_user=None, name="West", member_teams=[shared["b"]]
    )
    data = (SAMPLES / "tlp2_markings.json").read_bytes()
    _run("import", "-", "--team", "cert-b", "--group", "West", stdin=data)
    assert set(
        Indicator.objects.filter(owner_team=shared["b"]).values_list("sharing_group", flat=True)
    ) == {group.pk}
    with pytest.raises(CommandError) as failed:
        _run(
            "import",
            "-",
            "--team",
            "cert-b",
            "--distribution",
            "public",
            "--group",
            "West",
            stdin=data,
        )
    assert failed.value.returncode == 2


def test_a_refused_bundle_writes_the_messages_and_nothing_else(shared: dict[str, Any]) -> None:
    before = (ObjectVersion.objects.count(), Report.objects.count(), AuditEntry.objects.count())
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "stix", "import", str(SAMPLES / "invalid.json"), "--team", "cert-b", stderr=err
        )
    assert failed.value.returncode == 1
    messages = err.getvalue().splitlines()
    assert len(messages) == 7
    assert any("is not a valid timestamp" in message for message in messages)
    assert "refused" in str(failed.value)
    after = (ObjectVersion.objects.count(), Report.objects.count(), AuditEntry.objects.count())
    assert after == before
    with pytest.raises(CommandError) as failed:
        _run("import", "-", "--team", "cert-b", stdin=b"not json")
    assert failed.value.returncode == 1
