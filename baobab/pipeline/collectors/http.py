"""The HTTP(S) collector: an address fetched on a schedule.

Options (``Feed.collector_options``):

``url``
    The ``http://`` or ``https://`` address. It may hold
    ``${BAOBAB_FEED_…}`` placeholders, replaced by environment variables at
    fetch time (for feeds that put their key in the address); the run
    records the address with the placeholders, never the secret.
``headers``
    Extra request headers, such as ``{"Accept": "text/csv"}``.
``header_env``
    Secret headers: header name → environment variable holding its value,
    such as ``{"X-API-Key": "BAOBAB_FEED_ABUSECH_KEY"}``.
``username``, ``password_env``
    HTTP basic authentication, the password from an environment variable.
``timeout``
    Seconds to wait for the server at each step (connect, each read).
    Default 60.
``total_timeout``
    Seconds the whole download may take. Default 3600.
``file_name``
    The report's file name for the parser; by default the name the server
    gives (``Content-Disposition``) or the last part of the address.
``ca_file``
    A PEM file of certificate authorities to trust instead of the system's
    (a member's server with a private CA).

The collector sends ``If-None-Match`` / ``If-Modified-Since`` with what the
server gave last time (kept in ``Feed.collector_state``): a ``304 Not
Modified``, or the same body again, starts no run. Bodies are streamed into
a temporary file within ``COLLECTOR_MAX_BYTES`` (the download stops as soon
as it goes over), gzip'd transfer is accepted, and a gzip'd or zipped file
is unpacked. Secret headers are never sent on to another server after a
redirection, and only ``http``/``https`` redirections are followed.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import time
import urllib.error
import urllib.request
import zlib
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import (
    COPY_BUFFER,
    CollectorError,
    Job,
    any_failed,
    clean_file_name,
    logger,
    max_bytes,
    spool_dir,
    tls_context,
    too_large,
)
from baobab.pipeline.collectors.options import SECRET_ENV_NAME, Options, env_name_error, secret
from baobab.pipeline.collectors.state import remember

KNOWN_OPTIONS = (
    "url",
    "headers",
    "header_env",
    "username",
    "password_env",
    "timeout",
    "total_timeout",
    "file_name",
    "ca_file",
)
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
USER_AGENT = "Baobab-collector/1"
MAX_REDIRECTIONS = 5


@dataclass(frozen=True)
class HttpOptions:
    """The HTTP collector's options, checked."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    header_env: dict[str, str] = field(default_factory=dict)
    username: str = ""
    password_env: str = ""
    timeout: float = 60.0
    total_timeout: float = 3600.0
    file_name: str = ""
    ca_file: str = ""


def _check_url(options: Options, url: str) -> None:
    for name in PLACEHOLDER.findall(url):
        if not SECRET_ENV_NAME.match(name):
            options.errors.append(env_name_error("url", name))
    parts = urlsplit(PLACEHOLDER.sub("x", url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        options.errors.append(_("The url must be an http:// or https:// address."))
    elif parts.username is not None or parts.password is not None:
        options.errors.append(
            _("Put no user name or password in the url: use username and password_env.")
        )


def _check_headers(options: Options, headers: dict[str, str], *, values: bool) -> None:
    for name, value in headers.items():
        if not HEADER_NAME.match(name):
            options.errors.append(_("%(name)s is not a valid header name.") % {"name": name})
        if values and ("\r" in value or "\n" in value):
            options.errors.append(
                _("The header %(name)s may not hold a line break.") % {"name": name}
            )


def read_options(raw: Any) -> HttpOptions:
    """Check the options of an HTTP feed."""
    options = Options(raw, KNOWN_OPTIONS)
    url = options.text("url", required=True)
    if url:
        _check_url(options, url)
    headers = options.mapping("headers")
    _check_headers(options, headers, values=True)
    header_env = options.mapping("header_env")
    _check_headers(options, header_env, values=False)
    for header, env in header_env.items():
        if not SECRET_ENV_NAME.match(env):
            options.errors.append(env_name_error(f"header_env.{header}", env))
    username = options.text("username")
    password_env = options.env_name("password_env")
    if username and not password_env:
        options.errors.append(_("With a username, name the password's variable in password_env."))
    result = HttpOptions(
        url=url,
        headers=headers,
        header_env=header_env,
        username=username,
        password_env=password_env,
        timeout=options.number("timeout", default=60.0, minimum=0.1, maximum=3600),
        total_timeout=options.number("total_timeout", default=3600.0, minimum=1, maximum=86400),
        file_name=options.text("file_name"),
        ca_file=options.text("ca_file"),
    )
    options.check()
    return result


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class _Redirections(urllib.request.HTTPRedirectHandler):
    """Follow only http(s) redirections, never from https down to http, and
    send the secret headers again only to the server they are meant for."""

    max_redirections = MAX_REDIRECTIONS

    def __init__(self, origin: tuple[str, str, int | None], secrets: dict[str, str]) -> None:
        super().__init__()
        self.origin = origin
        self.secrets = secrets

    def redirect_request(  # noqa: PLR0917 - the base class's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        scheme = urlsplit(newurl).scheme
        if scheme not in ("http", "https") or (self.origin[0] == "https" and scheme == "http"):
            raise CollectorError(
                _("The server redirected to %(url)s, which Baobab does not follow.")
                % {"url": newurl}
            )
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(newurl) == self.origin:
            for name, value in self.secrets.items():
                new.add_unredirected_header(name, value)
        return new


def _secret_headers(options: HttpOptions) -> dict[str, str]:
    secrets = {name: secret(env) for name, env in options.header_env.items()}
    if options.username:
        pair = f"{options.username}:{secret(options.password_env)}".encode()
        secrets["Authorization"] = "Basic " + b64encode(pair).decode("ascii")
    return secrets


def build_request(
    url: str, options: HttpOptions, seen: dict[str, Any]
) -> tuple[urllib.request.Request, dict[str, str]]:
    """The request to send (with the conditional headers from ``seen``) and
    its secret headers."""
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - scheme checked
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept-Encoding", "gzip")
    for name, value in options.headers.items():
        request.add_header(name, value)
    if seen.get("etag"):
        request.add_header("If-None-Match", seen["etag"])
    if seen.get("last_modified"):
        request.add_header("If-Modified-Since", seen["last_modified"])
    secrets = _secret_headers(options)
    for name, value in secrets.items():
        request.add_unredirected_header(name, value)
    return request, secrets


@dataclass
class Download:
    """A body saved to a file, and what the server said about it."""

    path: Path
    size: int
    sha256: str
    etag: str
    last_modified: str
    file_name: str


def _decoded(response: http.client.HTTPResponse, deadline: float, limit: int) -> Iterator[bytes]:
    """The body's bytes, gunzipped if sent gzip'd, checked against the limit,
    the deadline and the announced length."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise CollectorError(
            _("The server sent an unsupported encoding: %(encoding)s.") % {"encoding": encoding}
        )
    announced = response.headers.get("Content-Length")
    if announced and announced.isdigit() and int(announced) > limit:
        raise too_large(limit)
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding != "identity" else None
    received = 0
    while chunk := response.read(COPY_BUFFER):
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        if time.monotonic() > deadline:
            raise CollectorError(_("The download took longer than allowed."))
        if decoder is None:
            yield chunk
            continue
        data = decoder.decompress(chunk, COPY_BUFFER)
        yield data
        while decoder.unconsumed_tail:
            data = decoder.decompress(decoder.unconsumed_tail, COPY_BUFFER)
            yield data
    if announced and announced.isdigit() and received != int(announced):
        raise CollectorError(
            _("The download was cut short (%(received)s of %(announced)s bytes).")
            % {"received": received, "announced": announced}
        )
    if decoder is not None and not decoder.eof:
        raise CollectorError(_("The gzip'd body was cut short."))


def _file_name(options: HttpOptions, response: http.client.HTTPResponse, default: str) -> str:
    given = options.file_name or response.headers.get_filename()
    if not given:
        given = unquote(urlsplit(response.geturl()).path.rsplit("/", 1)[-1])
    return clean_file_name(given, default=default)


def download(
    request: urllib.request.Request,
    secrets: dict[str, str],
    options: HttpOptions,
    target: Path,
    *,
    default_name: str,
) -> Download | None:
    """Fetch ``request`` into ``target``; None when the server says nothing
    changed (304) or has nothing (204)."""
    limit = max_bytes()
    context = tls_context(options.ca_file)
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context),
        _Redirections(_origin(request.full_url), secrets),
    )
    deadline = time.monotonic() + options.total_timeout
    digest = hashlib.sha256()
    size = 0
    try:
        with opener.open(request, timeout=options.timeout) as response:
            if response.status == 204:
                return None
            with target.open("wb") as out:
                for data in _decoded(response, deadline, limit):
                    size += len(data)
                    if size > limit:
                        raise too_large(limit)
                    digest.update(data)
                    out.write(data)
            return Download(
                path=target,
                size=size,
                sha256=digest.hexdigest(),
                etag=response.headers.get("ETag") or "",
                last_modified=response.headers.get("Last-Modified") or "",
                file_name=_file_name(options, response, default_name),
            )
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            return None
        raise CollectorError(
            _("The server answered %(status)s %(reason)s.")
            % {"status": exc.code, "reason": exc.reason}
        ) from exc
    except urllib.error.URLError as exc:
        raise CollectorError(
            _("Could not reach the server: %(error)s") % {"error": exc.reason}
        ) from exc
    except TimeoutError as exc:
        raise CollectorError(_("The server did not answer in time.")) from exc
    except (OSError, http.client.HTTPException, zlib.error) as exc:
        raise CollectorError(_("The download failed: %(error)s") % {"error": exc}) from exc


def expand(url: str) -> str:
    """The url with its ``${BAOBAB_FEED_…}`` placeholders filled in."""
    return PLACEHOLDER.sub(lambda match: secret(match.group(1)), url)


def collect(job: Job) -> None:
    """Fetch the feed's address; hand a new body to the runner."""
    options = read_options(job.feed.collector_options)
    job.source = options.url
    seen = job.feed.collector_state.get("http") or {}
    if seen.get("url") != options.url or job.force:
        seen = {}
    request, secrets = build_request(expand(options.url), options, seen)
    with spool_dir() as scratch:
        body = download(request, secrets, options, scratch / "body", default_name=job.feed.name)
        if body is None:
            logger.info("feed %s: not modified", job.feed.name)
            return
        validators = {
            "url": options.url,
            "etag": body.etag,
            "last_modified": body.last_modified,
            "sha256": body.sha256,
            "fetched_at": timezone.now().isoformat(),
        }
        if seen.get("sha256") == body.sha256:
            logger.info("feed %s: the same body again", job.feed.name)
            remember(job.feed, "http", validators)
            return
        runs = job.ingest(body.path, file_name=body.file_name, source=job.source, move=True)
    # A body that failed is fetched again next time, once its cause may be fixed.
    if not any_failed(runs):
        remember(job.feed, "http", validators)
