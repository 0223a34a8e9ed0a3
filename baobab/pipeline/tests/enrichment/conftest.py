"""Fixtures of the enrichment tests: a data folder of their own, the sample
files, and a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.directory import index as lookup_index
from baobab.pipeline.enrichment import reset_enrichment

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(autouse=True)
def _fresh_enrichment() -> Iterator[None]:
    """No test sees another's loaded data or IP → ASN mapping."""
    reset_enrichment()
    yield
    reset_enrichment()
    lookup_index.set_ip_to_asn(None)


@pytest.fixture(autouse=True)
def _no_enrichment_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's own ENRICHMENT_* variables play no part in the tests."""
    for name in ("ENRICHMENT_IPASN_URL", "ENRICHMENT_ASNAMES_URL", "ENRICHMENT_TOR_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """The enrichment folder of a data folder of this test's own (empty)."""
    settings.DATA_DIR = tmp_path / "data"
    folder = tmp_path / "data" / "enrichment"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def installed(data_dir: Path) -> Path:
    """The data folder holding the three sample files."""
    for name in ("ipasn.dat", "asnames.txt", "tor-exits.txt"):
        shutil.copy(SAMPLES / name, data_dir / name)
    return data_dir


@dataclass
class Route:
    """What the test server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Server:
    """A local HTTP server: ``routes`` by path, the ``requests`` it received."""

    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1, in a thread."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append(self.path)
            route = server.routes.get(self.path, Route(b"not found\n", 404))
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
