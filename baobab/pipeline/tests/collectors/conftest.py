"""Fixtures of the collectors' tests: folders, feeds, a stand-in runner that
records what it is handed, TLS certificates, and real loopback servers."""

from __future__ import annotations

import itertools
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from baobab.pipeline import runner
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Feed, FeedRun
from baobab.pipeline.tests.collectors.httpserver import FeedServer
from baobab.pipeline.tests.collectors.imapserver import ImapServer

_names = itertools.count(1)

# A Feodo Tracker IP blocklist in its real format (the "feodotracker" parser).
FEODO_CSV = (
    b"################################################################\n"
    b"# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
    b"# Last updated: 2024-05-01 10:00:00 UTC                        #\n"
    b"################################################################\n"
    b"#\n"
    b'# "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"\n'
    b'"2024-04-30 07:44:46","192.0.2.10","4643","online","2024-05-01","Dridex"\n'
    b'"2024-04-30 08:12:03","198.51.100.20","443","online","2024-05-01","QakBot"\n'
    b'"2024-04-30 09:01:55","203.0.113.30","8080","offline","2024-04-30","Emotet"\n'
    b"# END 3 entries\n"
)


# A ShadowServer scan report in its real CSV format (the "shadowserver" parser
# reads the report type, scan_telnet or scan_ssh, from the file name).
SHADOWSERVER_SCAN_CSV = (
    b'"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo",'
    b'"region","city","naics","sector"\r\n'
    b'"2024-05-01 00:10:00","medium","192.0.2.44","tcp",23,"cpe-44.example.net",'
    b'"telnet",64500,"GH","GREATER ACCRA","ACCRA",517311,"Communications"\r\n'
    b'"2024-05-01 00:20:00","medium","2001:db8::7","tcp",2323,,"telnet",64501,"CI",'
    b",,0,\r\n"
)


@pytest.fixture(autouse=True)
def _collector_settings(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data and inbox folders of the test's own; no proxy between us and loopback."""
    settings.DATA_DIR = tmp_path / "data"
    settings.COLLECTOR_FILE_ROOTS = [str(tmp_path / "inbox")]
    (tmp_path / "inbox").mkdir()
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return tmp_path / "inbox"


@pytest.fixture
def make_feed(db: None) -> Callable[..., Feed]:
    def make(collector: str, options: dict[str, Any] | None = None, **fields: Any) -> Feed:
        fields.setdefault("name", f"feed-{next(_names)}")
        fields.setdefault("parser", "feodotracker")
        return Feed.objects.create(collector=collector, collector_options=options or {}, **fields)

    return make


@dataclass
class Handed:
    """One report handed to the runner."""

    feed_id: int
    content: bytes
    source: str
    file_name: str | None
    move: bool
    acting_user: Any


@dataclass
class FakeRunner:
    """Stands in for ``runner.start_run``: records, then makes a finished run
    (or a failed one, or raises, as the test asks)."""

    calls: list[Handed] = field(default_factory=list)
    fail_with: str = ""
    raise_with: Exception | None = None

    def __call__(
        self,
        feed: Feed,
        path: Path,
        *,
        source: str,
        file_name: str | None = None,
        acting_user: Any = None,
        move: bool = False,
    ) -> FeedRun:
        content = path.read_bytes()
        self.calls.append(Handed(feed.pk, content, source, file_name, move, acting_user))
        if self.raise_with is not None:
            raise self.raise_with
        if move:
            path.unlink()
        return FeedRun.objects.create(
            feed=feed,
            source=source,
            input_size=len(content),
            status=RunStatus.FAILED if self.fail_with else RunStatus.DONE,
            errors=[self.fail_with] if self.fail_with else [],
        )

    @property
    def names(self) -> list[str | None]:
        return [call.file_name for call in self.calls]


@pytest.fixture
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "start_run", fake)
    return fake


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for localhost and 127.0.0.1 (made by openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert=cert, key=key)


@pytest.fixture
def http_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def imap_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:
    monkeypatch.setenv("BAOBAB_FEED_TEST_IMAP_PASSWORD", "s3cret pass")
    with ImapServer(users={"reports@cert.example": "s3cret pass"}) as server:
        yield server


def imap_options(server: ImapServer, **options: Any) -> dict[str, Any]:
    """Options of an IMAP feed reading ``server``."""
    return {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "plain",
        "username": "reports@cert.example",
        "password_env": "BAOBAB_FEED_TEST_IMAP_PASSWORD",
        **options,
    }
