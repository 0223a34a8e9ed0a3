"""A real HTTP server on loopback for the HTTP collector's tests: files with
ETag and Last-Modified (and 304 answers), gzip'd transfer, slow, oversized,
cut-short and failing answers, redirections, and a log of the requests."""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Resource:
    """What the server answers at one path."""

    body: bytes = b""
    etag: str = ""
    last_modified: float | None = None  # a POSIX time
    gzip: bool = False  # send gzip'd to a client that accepts it
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer
    stall: float = 0.0  # seconds of silence half-way through the body
    announce: int | None = None  # a Content-Length other than the body's
    no_length: bool = False  # no Content-Length: the body ends when the connection does
    endless: bool = False  # keep sending zeros until the client gives up
    redirect: str = ""  # a Location to redirect to
    require: dict[str, str] = field(default_factory=dict)  # headers needed, else 401


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class FeedServer(ThreadingHTTPServer):
    """The server, with its resources by path and the requests it got."""

    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[Seen] = []
        self.tls = tls
        super().__init__(("127.0.0.1", 0), FeedHandler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    @property
    def base(self) -> str:
        scheme = "https" if self.tls else "http"
        host = "localhost" if self.tls else "127.0.0.1"
        return f"{scheme}://{host}:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that give up (timeouts, size limits) are part of the tests."""

    def __enter__(self) -> FeedServer:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(Seen(self.path, dict(self.headers.items())))
        resource = self.server.resources.get(self.path)
        if resource is None:
            self._plain(404, b"not found")
            return
        if resource.delay:
            time.sleep(resource.delay)
        if any(self.headers.get(name) != value for name, value in resource.require.items()):
            self._plain(401, b"unauthorised")
            return
        if resource.redirect:
            self.send_response(302)
            self.send_header("Location", resource.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if resource.status != 200:
            self._plain(resource.status, b"error")
            return
        if self._not_modified(resource):
            self.send_response(304)
            self._validators(resource)
            self.end_headers()
            return
        self._body(resource)

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _validators(self, resource: Resource) -> None:
        if resource.etag:
            self.send_header("ETag", resource.etag)
        if resource.last_modified is not None:
            self.send_header("Last-Modified", formatdate(resource.last_modified, usegmt=True))

    def _not_modified(self, resource: Resource) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return bool(resource.etag) and match == resource.etag
        since = self.headers.get("If-Modified-Since")
        if since and resource.last_modified is not None:
            return parsedate_to_datetime(since).timestamp() >= int(resource.last_modified)
        return False

    def _body(self, resource: Resource) -> None:
        body = resource.body
        zipped = resource.gzip and "gzip" in (self.headers.get("Accept-Encoding") or "")
        if zipped:
            body = gzip.compress(body)
        self.send_response(200)
        self._validators(resource)
        for name, value in resource.headers.items():
            self.send_header(name, value)
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        if resource.endless or resource.no_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            length = resource.announce if resource.announce is not None else len(body)
            self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            if resource.endless:
                block = b"0" * 65536
                while True:
                    self.wfile.write(block)
            if resource.stall:
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                time.sleep(resource.stall)
                self.wfile.write(body[half:])
            else:
                self.wfile.write(body)
            if resource.announce is not None:
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
