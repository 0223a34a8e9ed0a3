"""``baobab directory import-delegated``: RIR delegated-extended statistics,
from sample files in the real layout (header, summaries, IPv4, IPv6, ASN)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from baobab.core.choices import AuditChannel
from baobab.core.models import AuditEntry
from baobab.directory.index_state import current_generation
from baobab.directory.models import DelegatedRange

SAMPLES = Path(__file__).parent / "samples"
AFRINIC = SAMPLES / "delegated-afrinic-extended-sample"
RIPE = SAMPLES / "delegated-ripencc-extended-sample"

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("directory", *args, stdout=out)
    return out.getvalue()


def import_report(path: Path, *extra: str) -> dict[str, Any]:
    return json.loads(run("import-delegated", str(path), "--json", *extra))


def stored() -> list[tuple[str, str, str, str, str, str]]:
    return sorted(
        DelegatedRange.objects.values_list("registry", "kind", "first", "size", "country", "status")
    )


def test_sample_file_is_stored_with_counts_and_refused_lines() -> None:
    report = import_report(AFRINIC)

    assert report["registries"] == ["afrinic"]
    assert report["header_registry"] == "afrinic"
    assert report["counts"] == {
        "stored": 11,
        "stored_asn": 3,
        "stored_ipv4": 5,
        "stored_ipv6": 3,
        "replaced": 0,
        "skipped": 4,
        "summary_lines": 3,
        "refused": 5,
    }
    refused = {item["line"]: item["reason"] for item in report["refused"]}
    assert sorted(refused) == [10, 18, 19, 23, 25]
    assert "AS12" in refused[10]
    assert "2003AB01" in refused[18]
    assert "K1" in refused[19]
    assert "2c0f:fa10:zz::" in refused[23]
    assert "7 fields" in refused[25]

    assert DelegatedRange.objects.count() == 11
    asn = DelegatedRange.objects.get(kind="asn", first="37100")
    assert (asn.size, asn.country, asn.status) == ("2", "ZA", "assigned")
    assert asn.date == dt.date(2009, 1, 23)
    v4 = DelegatedRange.objects.get(kind="ipv4", first="41.203.208.0")
    assert (v4.size, v4.country) == ("4096", "KE")
    v6 = DelegatedRange.objects.get(kind="ipv6", first="2001:4200::")
    assert (v6.size, v6.country) == ("23", "ZA")
    # available and reserved space, and the unknown country ZZ, are not kept
    assert not DelegatedRange.objects.filter(country="ZZ").exists()
    assert not DelegatedRange.objects.exclude(status__in=["allocated", "assigned"]).exists()


def test_second_run_leaves_the_same_rows() -> None:
    import_report(AFRINIC)
    before = stored()
    report = import_report(AFRINIC)
    assert report["counts"]["replaced"] == 11
    assert stored() == before


def test_only_the_registries_in_the_file_are_replaced() -> None:
    DelegatedRange.objects.create(
        registry="afrinic",
        kind="ipv4",
        first="196.0.0.0",
        size="256",
        country="MU",
        status="allocated",
    )
    import_report(RIPE)
    ripe_rows = [row for row in stored() if row[0] == "ripencc"]
    assert len(ripe_rows) == 4

    import_report(AFRINIC)

    assert not DelegatedRange.objects.filter(first="196.0.0.0").exists()  # stale row gone
    assert [row for row in stored() if row[0] == "ripencc"] == ripe_rows  # untouched
    assert DelegatedRange.objects.filter(registry="afrinic").count() == 11


def test_a_file_where_nothing_is_kept_replaces_nothing(tmp_path: Path) -> None:
    import_report(AFRINIC)
    path = tmp_path / "delegated-afrinic-extended-broken"
    path.write_text(
        "2|afrinic|20250301|2|19930101|20250228|+0000\n"
        "afrinic|KE|ipv4|not-an-address|256|20100101|allocated|x\n"
        "afrinic|ZZ|ipv4|196.0.0.0|256||available|\n"
    )
    report = import_report(path)
    assert report["counts"]["refused"] == 1
    assert report["registries"] == []
    assert DelegatedRange.objects.count() == 11


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.json", "empty"),
        ("garbage.bin", "not a text file"),
        ("delegated_not_rir.csv", "not an RIR delegated statistics file"),
        ("ti_teams.json", "not an RIR delegated statistics file"),
        ("no-such-delegated-file", "does not exist"),
    ],
)
def test_unusable_file_exits_2_and_keeps_what_was_stored(name: str, message: str) -> None:
    import_report(AFRINIC)
    before = stored()
    entries = AuditEntry.objects.count()

    with pytest.raises(CommandError) as error:
        run("import-delegated", str(SAMPLES / name))

    assert error.value.returncode == 2
    assert message in str(error.value)
    assert stored() == before
    assert AuditEntry.objects.count() == entries


def test_comments_only_file_is_unusable(tmp_path: Path) -> None:
    path = tmp_path / "comments"
    path.write_text("# nothing but a comment\n\n")
    with pytest.raises(CommandError) as error:
        run("import-delegated", str(path))
    assert error.value.returncode == 2
    assert "no delegated statistics" in str(error.value)


def test_dry_run_saves_nothing() -> None:
    text = run("import-delegated", str(AFRINIC), "--dry-run")
    assert "11 ranges stored for afrinic (asn 3, ipv4 5, ipv6 3)" in text
    assert "line 25:" in text
    assert "Dry run: nothing was saved." in text
    assert not DelegatedRange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_import_is_audited_once_per_registry_from_the_command_line() -> None:
    run("import-delegated", str(AFRINIC))
    entry = AuditEntry.objects.get()
    assert entry.channel == AuditChannel.CLI
    assert entry.action == "replace"
    assert entry.object_type == "directory.delegatedrange"
    assert entry.object_id == "afrinic"
    assert entry.object_repr == "delegated ranges of afrinic"
    assert entry.after == {
        "registry": "afrinic",
        "rows": 11,
        "source": "delegated-afrinic-extended-sample",
    }


def test_import_tells_the_lookup_index_the_data_changed(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    before = current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        run("import-delegated", str(AFRINIC))
    assert current_generation() > before


def test_a_full_registry_file_takes_seconds(tmp_path: Path) -> None:
    """About 300,000 lines, the size of a large RIR's file."""
    path = tmp_path / "delegated-afrinic-extended-large"
    lines = ["2|afrinic|20250301|300000|19930101|20250228|+0000", "afrinic|*|asn|*|100000|summary"]
    lines += [f"afrinic|KE|asn|{100000 + i}|1|20100101|allocated|F{i}" for i in range(100_000)]
    lines += [
        f"afrinic|{'ZA' if i % 3 else 'ZZ'}|ipv4|{41 + i // 65536}.{i // 256 % 256}.{i % 256}.0"
        f"|256|20100101|{'allocated' if i % 3 else 'available'}|F{i}"
        for i in range(150_000)
    ]
    lines += [f"afrinic|NG|ipv6|2c0f:{i:x}::|32|20100101|allocated|F{i}" for i in range(50_000)]
    path.write_text("\n".join(lines) + "\n")

    started = time.perf_counter()
    report = import_report(path)
    elapsed = time.perf_counter() - started

    assert report["counts"]["stored"] == 250_000
    assert report["counts"]["skipped"] == 50_000
    assert DelegatedRange.objects.count() == 250_000
    assert elapsed < 20, f"took {elapsed:.1f} s"
