"""Real servers on loopback for the transport tests: an SMTP server (aiosmtpd)
that records what it receives, scripted SMTP servers that misbehave, a
self-signed TLS certificate, and an HTTP server that checks webhook
signatures. Fixtures are imported by the test modules that use them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from baobab.notify.webhook import verify_signature

USERNAME, PASSWORD = "baobab", "s3cret-passw0rd"
WEBHOOK_SECRET = "whsec-test-secret"


# --- TLS ----------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts this certificate only; host names are checked."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for localhost and 127.0.0.1, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return TlsFiles(cert, key)


# --- SMTP ---------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    authenticated: bool


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message and answers RCPT and DATA
    as told."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 Queued as TEST"
    messages: list[Received] = field(default_factory=list)
    auth_mechanisms: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply.startswith("250"):
            content = envelope.original_content or b""
            self.messages.append(
                Received(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=list(envelope.rcpt_tos),
                    content=content,
                    tls=server.transport is not None
                    and server.transport.get_extra_info("ssl_object") is not None,
                    authenticated=bool(session.authenticated),
                )
            )
        return self.data_reply

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.auth_mechanisms.append(mechanism)
        ok = (
            isinstance(data, LoginPassword)
            and data.login == USERNAME.encode()
            and data.password == PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False)


class LoopbackController(Controller):
    """aiosmtpd's controller on 127.0.0.1 and a port the system picks (or a given one)."""

    def __init__(self, handler: Recorder, port: int = 0, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _trigger_server(self) -> None:
        server = cast("asyncio.Server", self.server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., LoopbackController]]:
    """Start SMTP servers for a test: ``start_smtp(recorder, **aiosmtpd options)``;
    all stop at the end of the test."""
    started: list[LoopbackController] = []

    def start(handler: Recorder, port: int = 0, **kwargs: Any) -> LoopbackController:
        controller = LoopbackController(handler, port=port, **kwargs)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        controller.stop()


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ScriptedSmtp:
    """An SMTP server that misbehaves on cue: ``silent`` never greets,
    ``hang-up`` closes right after accepting, ``drop-at-data`` accepts
    everything up to DATA and then closes the connection."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        if self.behaviour == "silent":
            self._closed.wait(10)
            return
        if self.behaviour == "hang-up":
            return
        conn.sendall(b"220 scripted ESMTP\r\n")
        reader = conn.makefile("rb")
        for line in reader:
            verb = line[:4].upper()
            if verb == b"DATA":
                return  # hang up instead of 354
            answer = b"250 scripted\r\n" if verb != b"EHLO" else b"250-scripted\r\n250 8BITMIME\r\n"
            conn.sendall(answer)

    def close(self) -> None:
        self._closed.set()
        self.sock.close()
        self._thread.join(timeout=5)


# --- HTTP (webhooks) ------------------------------------------------------------


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class WebhookReceiver:
    """A real HTTP server that verifies each request's signature and answers
    from a script of (status, body, delay) — the last entry repeats."""

    server: ThreadingHTTPServer
    script: list[tuple[int, bytes, float]]
    hits: list[Hit] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        receiver: WebhookReceiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        verified = verify_signature(WEBHOOK_SECRET, body, self.headers)
        receiver.hits.append(Hit(self.path, dict(self.headers.items()), body, verified))
        status, answer, delay = receiver.script[0]
        if len(receiver.script) > 1:
            receiver.script.pop(0)
        if not verified:
            status, answer = 401, json.dumps({"error": "bad signature"}).encode()
        time.sleep(delay)
        with contextlib.suppress(OSError):  # the client may have given up
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "7")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out leaves a broken pipe behind


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A signature-checking webhook endpoint on loopback; answers 204 until
    a test sets ``script``."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    receiver = WebhookReceiver(server, [(204, b"", 0.0)])
    server.receiver = receiver  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
