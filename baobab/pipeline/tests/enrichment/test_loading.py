"""The enrichment data of a process: loaded once, again when a file changes;
countries from the directory's delegated statistics; the routing table
plugged into the directory's look-up."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.core.choices import TeamType
from baobab.directory import services
from baobab.directory.index import lookup
from baobab.directory.models import DelegatedRange
from baobab.pipeline.enrichment import enrich, load_enrichment, rdap_client

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db


def test_files_are_loaded_once(installed: Path) -> None:
    data = load_enrichment()
    assert data.asns is not None
    assert len(data.asns) == 15
    assert data.as_names is not None
    assert data.as_names[36866] == "JTL"
    assert data.tor_exits is not None
    assert "41.90.4.7" in data.tor_exits
    assert data.countries is None  # no delegated statistics in the directory
    assert load_enrichment() is data


def test_missing_files_leave_their_part_out(data_dir: Path) -> None:
    data = load_enrichment()
    assert (data.asns, data.as_names, data.tor_exits) == (None, None, None)
    frame = pl.DataFrame({"source.ip": ["41.90.4.7"]})
    assert enrich(frame, data).columns == ["source.ip"]


def test_a_changed_file_is_read_again(installed: Path) -> None:
    first = load_enrichment()
    tor = installed / "tor-exits.txt"
    stat = tor.stat()
    tor.write_text("185.220.101.77\n", encoding="utf-8")  # rewritten in place
    os.utime(tor, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_enrichment()
    assert second is not first
    assert second.tor_exits == {"185.220.101.77"}
    assert second.asns is first.asns  # the unchanged files are not read again
    (installed / "asnames.txt").unlink()
    third = load_enrichment()
    assert third.as_names is None
    assert third.tor_exits is second.tor_exits
    shutil.copy(SAMPLES / "asnames.txt", installed / "asnames.txt")
    assert load_enrichment().as_names is not None


def test_force_reads_everything_again(installed: Path) -> None:
    first = load_enrichment()
    again = load_enrichment(force=True)
    assert again is not first
    assert again.asns is not first.asns


def test_an_unreadable_file_is_left_out_with_a_warning(
    installed: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (installed / "asnames.txt").write_bytes(b"\x1f\x8b\x08\x00broken gzip")
    with caplog.at_level(logging.WARNING):
        data = load_enrichment()
    assert data.as_names is None
    assert data.asns is not None
    assert "asnames.txt cannot be read, left unused" in caplog.text


def test_bad_lines_are_logged(installed: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        load_enrichment()
    assert "ipasn.dat: 5 unreadable lines skipped, e.g. line 24" in caplog.text


def test_routing_uses_asn_claims_for_addresses(
    installed: Path,
    make_team: object,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        national = make_team("ke-cirt", name="Kenya CIRT", country="KE")  # type: ignore[operator]
        make_team("africacert", name="AfricaCERT", team_type=TeamType.REGIONAL)  # type: ignore[operator]
        isp = services.create_organisation(
            acting_user=None, short_name="jtl", name="JTL", kind="isp", country="KE",
            managed_by=national,
        )  # fmt: skip
        services.create_claim(isp, "asn", "AS36866", acting_user=None)
    assert lookup("41.90.4.7").step == "regional"  # no routing table yet
    load_enrichment()
    answer = lookup("41.90.4.7")
    assert (answer.step, answer.asn) == ("asn", 36866)
    assert [match.holder.short_name for match in answer.matches] == ["jtl"]
    assert lookup("2c0f:fe38:2000::1").asn == 36866
    # Without the file, the mapping is taken out again.
    (installed / "ipasn.dat").unlink()
    load_enrichment()
    assert lookup("41.90.4.7").step == "regional"


# This test commits for real: the directory's index follows committed changes.
@pytest.mark.django_db(transaction=True)
def test_countries_come_from_the_directory(data_dir: Path, settings: SettingsWrapper) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 0
    DelegatedRange.objects.create(
        registry="afrinic", kind="ipv4", first="41.80.0.0", size="196608", country="KE",
        status="allocated",
    )  # fmt: skip
    DelegatedRange.objects.create(
        registry="afrinic", kind="ipv6", first="2c0f:fe38::", size="32", country="KE",
        status="allocated",
    )  # fmt: skip
    frame = pl.DataFrame({"source.ip": ["41.82.1.1", "41.83.0.1", "2c0f:fe38::9", None]})
    data = load_enrichment()
    assert data.countries is not None
    assert load_enrichment() is data  # the directory did not change
    assert enrich(frame, data).get_column("source.geolocation.cc").to_list() == [
        "KE", None, "KE", None,
    ]  # fmt: skip
    DelegatedRange.objects.create(
        registry="afrinic", kind="ipv4", first="41.83.0.0", size="65536", country="GH",
        status="allocated",
    )  # fmt: skip
    fresh = load_enrichment()
    assert fresh is not data
    assert enrich(frame, fresh).get_column("source.geolocation.cc").to_list() == [
        "KE", "GH", "KE", None,
    ]  # fmt: skip


def test_rdap_is_off_by_default(data_dir: Path, settings: SettingsWrapper) -> None:
    assert rdap_client() is None
    settings.ENRICHMENT_RDAP = True
    client = rdap_client()
    assert client is not None
    assert client.base_url == "https://rdap.org"
    assert client.cache_path == data_dir / "rdap-cache.json"
    settings.ENRICHMENT_RDAP_URL = "https://rdap.afrinic.net/rdap/"
    settings.ENRICHMENT_RDAP_MAX_QUERIES = 3
    client = rdap_client()
    assert client is not None
    assert (client.base_url, client.max_queries) == ("https://rdap.afrinic.net/rdap", 3)
