"""Webhooks: a JSON POST signed with HMAC-SHA256, and the check a receiver runs.

The signature covers ``"<timestamp>.<body>"``, the timestamp travelling in its
own header, so a receiver can refuse a replayed request as well as a forged
one::

    X-Baobab-Timestamp: 1767225600
    X-Baobab-Signature: sha256=<hex of HMAC-SHA256(secret, "1767225600." + body)>
    X-Baobab-Delivery: <the outbox's id: the same on every retry, to drop duplicates>

Redirects are not followed (the signature is for one URL), only http and
https are spoken, the answer is read up to a size limit, and nothing raises:
a :class:`WebhookResult` says whether to retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder

from baobab.notify.outcome import Outcome

SIGNATURE_HEADER = "X-Baobab-Signature"
TIMESTAMP_HEADER = "X-Baobab-Timestamp"
DELIVERY_HEADER = "X-Baobab-Delivery"
USER_AGENT = "Baobab-Webhook/1"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_TOLERANCE = 300
_RETRYABLE = frozenset({408, 425, 429})


@dataclass(frozen=True)
class WebhookResult:
    """What became of one POST."""

    outcome: Outcome
    status: int | None
    """The HTTP status, or None if no answer came."""
    detail: str
    body: bytes = b""
    """The start of the answer, at most the size limit."""
    truncated: bool = False
    retry_after: float | None = None
    """Seconds the endpoint asked us to wait (Retry-After), if it did."""
    elapsed: float = 0.0


def compute_signature(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``"<timestamp>." + body``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_headers(
    secret: str | bytes, body: bytes, *, now: dt.datetime | None = None
) -> dict[str, str]:
    """The timestamp and signature headers for ``body`` sent at ``now``."""
    timestamp = int((now or dt.datetime.now(dt.UTC)).timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: compute_signature(secret, body, timestamp),
    }


def verify_signature(
    secret: str | bytes,
    body: bytes,
    headers: Mapping[str, str] | Message,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Whether ``body`` was signed with ``secret`` less than ``tolerance``
    seconds from ``now`` (either way, for clock skew).

    ``headers`` may be a plain dict (any case), Django's ``request.headers`` or
    an ``http.server`` request's headers. The signature header may carry
    several comma-separated values (a sender rotating its secret); one
    matching is enough. Comparisons take constant time.
    """
    if isinstance(headers, Message):
        lookup = {name.lower(): str(value) for name, value in headers.items()}
    else:
        lookup = {name.lower(): value for name, value in headers.items()}
    try:
        timestamp = int(lookup.get(TIMESTAMP_HEADER.lower(), ""))
    except ValueError:
        return False
    current = (now or dt.datetime.now(dt.UTC)).timestamp()
    if abs(current - timestamp) > tolerance:
        return False
    expected = compute_signature(secret, body, timestamp)
    offered = lookup.get(SIGNATURE_HEADER.lower(), "")
    return any(
        hmac.compare_digest(expected.encode(), candidate.strip().encode())
        for candidate in offered.split(",")
    )


def encode_payload(payload: Any) -> bytes:
    """The JSON body for ``payload`` (dates, decimals and UUIDs as Django writes them)."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


def post_json(
    url: str,
    payload: Any,
    *,
    secret: str | bytes,
    timeout: float = DEFAULT_TIMEOUT,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    delivery_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    now: dt.datetime | None = None,
) -> WebhookResult:
    """POST ``payload`` (anything JSON-serialisable, or ready ``bytes``) to ``url``.

    2xx is ``SENT``; 408, 425, 429, 5xx, timeouts and connection failures are
    ``RETRY``; any other answer (other 4xx, a redirect) or a URL that is not
    http(s) is ``FAILED``. Proxies come from the environment (``https_proxy``,
    ``no_proxy``) as for every urllib client.
    """
    started = time.monotonic()
    if not _is_http_url(url):
        return WebhookResult(Outcome.FAILED, None, f"not an http(s) URL: {url!r}")
    body = payload if isinstance(payload, bytes) else encode_payload(payload)
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (scheme checked)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", USER_AGENT)
    for name, value in signature_headers(secret, body, now=now).items():
        request.add_header(name, value)
    if delivery_id:
        request.add_header(DELIVERY_HEADER, delivery_id)

    opener = urllib.request.build_opener(
        _NoRedirect(), urllib.request.HTTPSHandler(context=ssl_context)
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            answer, truncated = _read(response, max_response_bytes, started + timeout)
            response_headers = response.headers
    except urllib.error.HTTPError as exc:  # a non-2xx answer
        status, response_headers = exc.code, exc.headers
        answer, truncated = _read(exc, max_response_bytes, started + timeout)
        exc.close()
    except ValueError as exc:  # http.client's InvalidURL and the like
        return WebhookResult(Outcome.FAILED, None, f"invalid URL: {exc}")
    except (urllib.error.URLError, OSError) as exc:
        elapsed = time.monotonic() - started
        return WebhookResult(Outcome.RETRY, None, _describe(exc), elapsed=elapsed)
    return WebhookResult(
        outcome=_by_status(status),
        status=status,
        detail=f"HTTP {status}",
        body=answer,
        truncated=truncated,
        retry_after=_retry_after(response_headers.get("Retry-After")),
        elapsed=time.monotonic() - started,
    )


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand 3xx back as an error: a signed POST is for the URL it was signed for."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _read(response: Any, limit: int, deadline: float) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the answer, giving up at ``deadline``."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit and time.monotonic() < deadline:
            chunk = response.read(min(8192, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, ValueError):
        pass  # the status is what counts; a broken body is not a failed delivery
    data = b"".join(chunks)
    return data[:limit], len(data) > limit


def _by_status(status: int) -> Outcome:
    if 200 <= status <= 299:
        return Outcome.SENT
    if status in _RETRYABLE or 500 <= status <= 599:
        return Outcome.RETRY
    return Outcome.FAILED


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (from a number of seconds or an HTTP date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _describe(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {reason.verify_message}"
    return str(reason) or type(reason).__name__
