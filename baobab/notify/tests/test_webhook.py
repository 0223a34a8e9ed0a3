"""Webhooks against a real HTTP server on loopback that checks every
signature, and the receiver's check on its own."""

from __future__ import annotations

import datetime as dt
import json
import time
from email.message import Message
from typing import Any

import pytest

from baobab.notify.outcome import Outcome
from baobab.notify.tests.transport_servers import (
    WEBHOOK_SECRET,
    WebhookReceiver,
    unused_port,
    webhook_receiver,
)
from baobab.notify.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    compute_signature,
    encode_payload,
    post_json,
    signature_headers,
    verify_signature,
)

__all__ = ["webhook_receiver"]  # a fixture, imported for pytest

PAYLOAD = {
    "reference": "BAO-2026-0042",
    "tlp": "TLP:AMBER",
    "generated": dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC),
    "events": [{"source.ip": "192.0.2.1", "classification.type": "scanner"}],
}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests must not wander through a proxy of the test machine."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def post(receiver: WebhookReceiver, **options: Any) -> Any:
    options.setdefault("secret", WEBHOOK_SECRET)
    options.setdefault("timeout", 5.0)
    return post_json(receiver.url, PAYLOAD, **options)


def test_signed_json_is_delivered_and_verified(webhook_receiver: WebhookReceiver) -> None:
    result = post(webhook_receiver, delivery_id="outbox-17", headers={"X-Team": "cert-xx"})
    assert (result.outcome, result.status) == (Outcome.SENT, 204)
    [hit] = webhook_receiver.hits
    assert hit.verified
    assert hit.path == "/hook"
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers[DELIVERY_HEADER] == "outbox-17"
    assert hit.headers["X-Team"] == "cert-xx"
    assert hit.headers[SIGNATURE_HEADER].startswith("sha256=")
    body = json.loads(hit.body)
    assert body["generated"] == "2026-03-01T06:00:00Z"
    assert body["events"][0]["source.ip"] == "192.0.2.1"


def test_a_wrong_secret_is_refused_by_the_receiver(webhook_receiver: WebhookReceiver) -> None:
    result = post(webhook_receiver, secret="not-the-secret")
    assert (result.outcome, result.status) == (Outcome.FAILED, 401)
    assert b"bad signature" in result.body
    assert not webhook_receiver.hits[0].verified


def test_500_then_200(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script = [(500, b"oops", 0.0), (200, b'{"ok": true}', 0.0)]
    first = post(webhook_receiver, delivery_id="outbox-18")
    assert (first.outcome, first.status, first.body) == (Outcome.RETRY, 500, b"oops")
    second = post(webhook_receiver, delivery_id="outbox-18")
    assert (second.outcome, second.status, second.body) == (Outcome.SENT, 200, b'{"ok": true}')
    assert [hit.verified for hit in webhook_receiver.hits] == [True, True]


def test_a_slow_endpoint_times_out_and_is_retried(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script = [(200, b"", 2.0)]
    started = time.monotonic()
    result = post(webhook_receiver, timeout=0.3)
    assert (result.outcome, result.status, result.detail) == (Outcome.RETRY, None, "timed out")
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (202, Outcome.SENT),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (503, Outcome.RETRY),
        (302, Outcome.FAILED),  # not followed
        (400, Outcome.FAILED),
        (404, Outcome.FAILED),
        (410, Outcome.FAILED),
    ],
)
def test_status_classification(
    webhook_receiver: WebhookReceiver, status: int, outcome: Outcome
) -> None:
    webhook_receiver.script = [(status, b"", 0.0)]
    result = post(webhook_receiver)
    assert (result.outcome, result.status) == (outcome, status)
    assert len(webhook_receiver.hits) == 1
    if status == 429:
        assert result.retry_after == 7.0


def test_a_large_answer_is_cut_at_the_limit(webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.script = [(200, b"x" * 200_000, 0.0)]
    result = post(webhook_receiver, max_response_bytes=1000)
    assert result.outcome is Outcome.SENT
    assert result.body == b"x" * 1000
    assert result.truncated


def test_unreachable_endpoint_is_retried() -> None:
    result = post_json(
        f"http://127.0.0.1:{unused_port()}/hook", PAYLOAD, secret=WEBHOOK_SECRET, timeout=2
    )
    assert (result.outcome, result.status) == (Outcome.RETRY, None)
    assert "refused" in result.detail.lower()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x.example/", "http://", "no url"])
def test_only_http_urls(url: str) -> None:
    result = post_json(url, PAYLOAD, secret=WEBHOOK_SECRET)
    assert (result.outcome, result.status) == (Outcome.FAILED, None)


# --- the receiver's check --------------------------------------------------------------

NOW = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
BODY = encode_payload(PAYLOAD)


def signed(
    body: bytes = BODY, at: dt.datetime = NOW, secret: str = WEBHOOK_SECRET
) -> dict[str, str]:
    return signature_headers(secret, body, now=at)


def test_verify_signature_accepts_the_real_thing_in_any_header_form() -> None:
    headers = signed()
    assert verify_signature(WEBHOOK_SECRET, BODY, headers, now=NOW)
    assert verify_signature(WEBHOOK_SECRET.encode(), BODY, headers, now=NOW)
    lower = {name.lower(): value for name, value in headers.items()}
    assert verify_signature(WEBHOOK_SECRET, BODY, lower, now=NOW)
    message = Message()
    for name, value in headers.items():
        message[name] = value
    assert verify_signature(WEBHOOK_SECRET, BODY, message, now=NOW)


def test_verify_signature_refuses_forgeries_and_replays() -> None:
    headers = signed()
    assert not verify_signature("other-secret", BODY, headers, now=NOW)
    assert not verify_signature(WEBHOOK_SECRET, BODY + b" ", headers, now=NOW)
    later = NOW + dt.timedelta(seconds=301)
    assert not verify_signature(WEBHOOK_SECRET, BODY, headers, now=later)  # a replay
    assert verify_signature(WEBHOOK_SECRET, BODY, headers, tolerance=600, now=later)
    earlier = NOW - dt.timedelta(seconds=301)
    assert not verify_signature(WEBHOOK_SECRET, BODY, headers, now=earlier)  # from the future
    moved = {**headers, TIMESTAMP_HEADER: str(int(NOW.timestamp()) + 1)}
    assert not verify_signature(WEBHOOK_SECRET, BODY, moved, now=NOW)  # the time is signed
    assert not verify_signature(WEBHOOK_SECRET, BODY, {}, now=NOW)
    assert not verify_signature(WEBHOOK_SECRET, BODY, {**headers, TIMESTAMP_HEADER: "x"}, now=NOW)


def test_verify_signature_during_a_secret_rotation() -> None:
    timestamp = int(NOW.timestamp())
    both = ", ".join(compute_signature(s, BODY, timestamp) for s in ("old-secret", "new-secret"))
    headers = {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: both}
    assert verify_signature("new-secret", BODY, headers, now=NOW)
    assert verify_signature("old-secret", BODY, headers, now=NOW)
    assert not verify_signature("third-secret", BODY, headers, now=NOW)
