"""``baobab data refresh`` and ``baobab data status``: downloads from a real
local HTTP server, copies from a folder, a file replaced whole or not at all."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.pipeline.enrichment.files import UnusableDataError, install
from baobab.pipeline.enrichment.sources import ASNAMES, IPASN, TOR

from .conftest import SAMPLES, Route, Server

LAST_MODIFIED = "Sun, 01 Mar 2026 06:00:00 GMT"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("data", *args, stdout=out)
    return out.getvalue()


def run_failing(*args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("data", *args, stdout=out)
    return caught.value.returncode, str(caught.value), out.getvalue()


@pytest.fixture
def served(http_server: Server, settings: SettingsWrapper, data_dir: Path) -> Server:
    """The three sample files on the local server, the settings pointing at them."""
    for source, path in (
        (IPASN, "/ipasn.dat.gz"),
        (ASNAMES, "/asn.txt"),
        (TOR, "/torbulkexitlist"),
    ):
        body = (SAMPLES / source.file_name).read_bytes()
        if path.endswith(".gz"):
            body = gzip.compress(body)
        http_server.routes[path] = Route(body, headers={"Last-Modified": LAST_MODIFIED})
        setattr(settings, source.url_setting, http_server.url(path))
    return http_server


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".part"))


# --- downloads ---------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_downloads_every_file(served: Server, data_dir: Path) -> None:
    output = run("refresh")
    assert "ipasn: installed: ipasn.dat: 16 entries" in output
    assert "5 unreadable lines skipped" in output
    assert "asnames: installed: asnames.txt: 10 entries" in output
    assert "tor: installed: tor-exits.txt: 5 entries" in output
    assert sorted(served.requests) == ["/asn.txt", "/ipasn.dat.gz", "/torbulkexitlist"]
    # The gzip'd routing table is stored unzipped; the dates are the server's.
    assert (data_dir / "ipasn.dat").read_bytes() == (SAMPLES / "ipasn.dat").read_bytes()
    assert (data_dir / "asnames.txt").read_bytes() == (SAMPLES / "asnames.txt").read_bytes()
    assert (data_dir / "tor-exits.txt").stat().st_mtime == 1772344800  # 2026-03-01 06:00 UTC
    assert leftovers(data_dir) == []


@pytest.mark.django_db
def test_refresh_json_and_only(served: Server) -> None:
    outcomes = json.loads(run("refresh", "--only", "tor", "--json"))
    assert [(item["name"], item["status"], item["entries"]) for item in outcomes] == [
        ("tor", "installed", 5)
    ]
    assert served.requests == ["/torbulkexitlist"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (Route(b"gone\n", 404), "answered HTTP 404"),
        (Route(b"<html><body>Maintenance</body></html>\n"), "holds no usable entry"),
        (Route(b"\x1f\x8b\x08\x00 truncated gzip"), "is not a readable gzip file"),
        (Route(b""), "holds no usable entry"),
    ],
)
@pytest.mark.django_db
def test_a_failed_download_keeps_the_old_file(
    served: Server, installed: Path, route: Route, message: str
) -> None:
    before = (installed / "tor-exits.txt").read_bytes()
    served.routes["/torbulkexitlist"] = route
    code, error, output = run_failing("refresh", "--only", "tor")
    assert code == 1
    assert "Some downloads failed" in error
    assert message in output
    assert "the previous file is kept" in output
    assert (installed / "tor-exits.txt").read_bytes() == before
    assert leftovers(installed) == []


@pytest.mark.django_db
def test_size_limit(served: Server, installed: Path, settings: SettingsWrapper) -> None:
    settings.ENRICHMENT_MAX_BYTES = 100
    code, _error, output = run_failing("refresh", "--only", "asnames")
    assert code == 1
    assert "asn.txt announces 320 bytes, more than the limit of 100" in output
    # A small gzip that unpacks beyond the limit is refused too.
    settings.ENRICHMENT_MAX_BYTES = 5000
    served.routes["/asn.txt"] = Route(gzip.compress(b"64500 BIG-NET, KE\n" * 10_000))
    _code, _error, output = run_failing("refresh", "--only", "asnames")
    assert "larger than the limit of 5,000 bytes" in output
    assert (installed / "asnames.txt").read_bytes() == (SAMPLES / "asnames.txt").read_bytes()
    assert leftovers(installed) == []


@pytest.mark.django_db
def test_timeout(served: Server, installed: Path, settings: SettingsWrapper) -> None:
    settings.ENRICHMENT_DOWNLOAD_TIMEOUT = 0.3
    served.routes["/torbulkexitlist"] = Route(b"185.220.101.9\n", delay=2)
    started = time.monotonic()
    code, _error, output = run_failing("refresh", "--only", "tor")
    assert time.monotonic() - started < 2
    assert code == 1
    assert "could not be fetched" in output
    assert "185.220.101.9" not in (installed / "tor-exits.txt").read_text()


@pytest.mark.django_db
def test_unreachable_server(data_dir: Path, settings: SettingsWrapper) -> None:
    settings.ENRICHMENT_TOR_URL = "http://127.0.0.1:9/torbulkexitlist"  # discard: refused
    code, _error, output = run_failing("refresh", "--only", "tor")
    assert code == 1
    assert "tor: failed: http://127.0.0.1:9/torbulkexitlist could not be fetched" in output


@pytest.mark.django_db
def test_no_ipasn_url_is_said_plainly(served: Server, settings: SettingsWrapper) -> None:
    del settings.ENRICHMENT_IPASN_URL
    output = run("refresh")  # the others are refreshed: exit status 0
    assert (
        "ipasn: skipped: no URL set: set ENRICHMENT_IPASN_URL to the URL of your ipasn.dat "
        "(IP → ASN routing table (pyasn / RouteViews ipasn format)). RouteViews publishes raw "
        "MRT dumps, not ipasn files: make one with pyasn's pyasn_util_download.py and "
        "pyasn_util_convert.py, then serve it on a web server of yours or copy it in with "
        "--from-folder."
    ) in output
    assert "tor: installed" in output
    code, error, _output = run_failing("refresh", "--only", "ipasn")
    assert code == 2
    assert "Not refreshed: ipasn" in error


@pytest.mark.django_db
def test_url_from_the_environment(
    served: Server, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = settings.ENRICHMENT_TOR_URL
    del settings.ENRICHMENT_TOR_URL
    monkeypatch.setenv("ENRICHMENT_TOR_URL", url)
    assert "tor: installed" in run("refresh", "--only", "tor")


@pytest.mark.django_db
def test_only_http_urls(data_dir: Path, settings: SettingsWrapper) -> None:
    settings.ENRICHMENT_TOR_URL = f"file://{SAMPLES / 'tor-exits.txt'}"
    code, _error, output = run_failing("refresh", "--only", "tor")
    assert code == 2
    assert "is not an http:// or https:// URL" in output


def test_bad_arguments_exit_with_2(tmp_path: Path) -> None:
    code, error, _output = run_failing("refresh", "--only", "geoip")
    assert code == 2
    assert "Unknown data file geoip; use one of: ipasn, asnames, tor." in error
    code, error, _output = run_failing("refresh", "--from-folder", str(tmp_path / "nowhere"))
    assert code == 2
    assert "does not exist or is not a folder" in error


# --- from a folder -------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_from_a_folder_under_the_published_names(tmp_path: Path, data_dir: Path) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    (stick / "ipasn.dat.gz").write_bytes(gzip.compress((SAMPLES / "ipasn.dat").read_bytes()))
    shutil.copy(SAMPLES / "asnames.txt", stick / "asn.txt")
    shutil.copy(SAMPLES / "exit-addresses", stick / "exit-addresses")
    os.utime(stick / "asn.txt", (1_700_000_000, 1_700_000_000))
    output = run("refresh", "--from-folder", str(stick))
    assert (
        "ipasn: installed: ipasn.dat: 16 entries, 576 bytes, 5 unreadable lines skipped "
        f"(from {stick}/ipasn.dat.gz)" in output
    )
    assert "tor: installed: tor-exits.txt: 2 entries" in output
    assert (data_dir / "ipasn.dat").read_bytes() == (SAMPLES / "ipasn.dat").read_bytes()
    assert (data_dir / "asnames.txt").stat().st_mtime == 1_700_000_000  # the data's own date
    assert leftovers(data_dir) == []


@pytest.mark.django_db
def test_refresh_from_a_folder_missing_and_bad_files(tmp_path: Path, installed: Path) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    code, error, output = run_failing("refresh", "--from-folder", str(stick))
    assert code == 2
    assert "holds none of the data files" in error
    assert "ipasn: skipped: not in" in output
    # A bad file is refused with exit status 2 and the installed one is kept.
    (stick / "tor-exits.txt").write_text("<html>oops</html>\n", encoding="utf-8")
    shutil.copy(SAMPLES / "asnames.txt", stick / "asnames.txt")
    code, error, output = run_failing("refresh", "--from-folder", str(stick))
    assert code == 2
    assert "Some data files were refused" in error
    assert "asnames: installed" in output
    assert "tor: failed:" in output
    assert "holds no usable entry — is it a Tor exit nodes (Tor bulk exit list) file?" in output
    assert (installed / "tor-exits.txt").read_bytes() == (SAMPLES / "tor-exits.txt").read_bytes()


def test_from_a_folder_in_a_real_process(tmp_path: Path) -> None:
    stick = tmp_path / "usb"
    stick.mkdir()
    shutil.copy(SAMPLES / "tor-exits.txt", stick / "torbulkexitlist")
    env = {**os.environ, "DEBUG": "true", "BAOBAB_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)

    def baobab(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            # Without the system checks: this test is about this command alone.
            [sys.executable, "-m", "baobab.manage", "data", "--skip-checks", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = baobab("refresh", "--from-folder", str(stick), "--only", "tor")
    assert done.returncode == 0, done.stderr
    assert "tor: installed: tor-exits.txt: 5 entries" in done.stdout
    assert (tmp_path / "data" / "enrichment" / "tor-exits.txt").is_file()
    assert baobab("refresh", "--only", "nothing").returncode == 2


# --- the file is replaced whole or not at all ----------------------------------------


class Interrupted(io.RawIOBase):
    """A stream that breaks off after its first chunk (a lost connection)."""

    def __init__(self, first: bytes) -> None:
        self.first: bytes | None = first

    def read(self, size: int = -1, /) -> bytes:
        if self.first is None:
            raise ConnectionResetError("connection lost")
        chunk, self.first = self.first, None
        return chunk


def test_an_interrupted_copy_leaves_the_old_file(installed: Path) -> None:
    before = (installed / "tor-exits.txt").stat()
    with pytest.raises(ConnectionResetError):
        install(TOR, Interrupted(b"185.220.101.77\n"), origin="test", max_bytes=1 << 20)
    after = (installed / "tor-exits.txt").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert leftovers(installed) == []


def test_a_new_file_is_renamed_into_place(installed: Path) -> None:
    before = (installed / "tor-exits.txt").stat().st_ino
    done = install(TOR, io.BytesIO(b"185.220.101.77\n"), origin="test", max_bytes=1 << 20)
    assert done.reading.entries == 1
    assert (installed / "tor-exits.txt").read_text() == "185.220.101.77\n"
    assert (installed / "tor-exits.txt").stat().st_ino != before  # a rename, not a rewrite
    with pytest.raises(UnusableDataError, match="holds no usable entry"):
        install(TOR, io.BytesIO(b"nothing\n"), origin="test", max_bytes=1 << 20)
    assert (installed / "tor-exits.txt").read_text() == "185.220.101.77\n"


def test_stale_temporary_files_are_removed(installed: Path) -> None:
    stale, fresh = installed / ".tor-exits.txt.abc.part", installed / ".tor-exits.txt.def.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written by another refresh")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    install(TOR, io.BytesIO(b"185.220.101.77\n"), origin="test", max_bytes=1 << 20)
    assert leftovers(installed) == [fresh.name]


# --- status --------------------------------------------------------------------------


@pytest.mark.django_db
def test_status(installed: Path, settings: SettingsWrapper) -> None:
    settings.ENRICHMENT_TOR_URL = "https://tor.example/torbulkexitlist"
    (installed / "asnames.txt").unlink()
    os.utime(installed / "ipasn.dat", (1_772_344_800, 1_772_344_800))
    output = run("status")
    assert f"Enrichment data in {installed}:" in output
    assert (
        "ipasn    ipasn.dat: 576 bytes, 2026-03-01 06:00 UTC, 16 entries, 5 unreadable lines"
        in output
    )
    assert "no URL set (ENRICHMENT_IPASN_URL): bring the file with --from-folder" in output
    assert "asnames  asnames.txt: missing" in output
    assert "from https://ftp.ripe.net/ripe/asnames/asn.txt" in output
    assert "tor      tor-exits.txt: " in output
    assert "from https://tor.example/torbulkexitlist" in output
    assert "Country of registration: 0 RIR delegated ranges in the directory" in output
    assert "RDAP look-ups: off (ENRICHMENT_RDAP)." in output


@pytest.mark.django_db
def test_status_json(installed: Path) -> None:
    (installed / "tor-exits.txt").write_bytes(b"\x1f\x8b\x08\x00broken")
    status: dict[str, Any] = json.loads(run("status", "--json"))
    files = {item["name"]: item for item in status["files"]}
    assert files["ipasn"]["entries"] == 16
    assert files["ipasn"]["skipped"] == 5
    assert files["ipasn"]["url"] is None
    assert files["ipasn"]["modified"].endswith("+00:00")
    assert files["asnames"]["size"] == (SAMPLES / "asnames.txt").stat().st_size
    assert files["tor"]["entries"] is None
    assert files["tor"]["error"]  # unreadable, said so
    assert status["delegated_ranges"] == 0
    assert status["rdap"] is None
