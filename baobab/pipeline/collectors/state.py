"""What a collector remembers between runs (``Feed.collector_state``), and
the lease that lets one worker at a time collect a feed.

The state is only ever changed key by key, under a row lock, and written
with an ``UPDATE`` of that one column: the collector never overwrites the
feed's other fields, nor another part of the state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import FeedBusyError
from baobab.pipeline.models import Feed

# A collection that has not written its state for this long is taken to be
# dead (its worker was killed) and another may start. Every report a
# collection hands over renews it.
LEASE = dt.timedelta(minutes=60)
# A feed is due this much early, so that a clock tick a few seconds late
# does not push a fetch back by a whole period.
DUE_SLACK = dt.timedelta(seconds=30)


def parse_time(value: Any) -> dt.datetime | None:
    """A time stored in the state (ISO 8601), or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else None


def _change(
    feed: Feed, change: dict[str, Any], *, token: str | None = None, renew: str | None = None
) -> dict[str, Any]:
    """Merge ``change`` into the stored state (a value of None removes the
    key) under a row lock; with ``token``, only while that lease is held;
    with ``renew``, renewing that lease if it is still held."""
    with transaction.atomic():
        stored = Feed.objects.select_for_update().only("collector_state").filter(pk=feed.pk).first()
        if stored is None:  # deleted meanwhile
            return dict(feed.collector_state or {})
        state = dict(stored.collector_state or {})
        held = _token(state)
        if token is None or held == token:
            for key, value in change.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
            if renew is not None and held == renew:
                state["lease"] = {**state["lease"], "renewed": timezone.now().isoformat()}
            Feed.objects.filter(pk=feed.pk).update(collector_state=state)
    feed.collector_state = state
    return state


def _token(state: dict[str, Any]) -> str | None:
    lease = state.get("lease")
    return lease.get("token") if isinstance(lease, dict) else None


def remember(feed: Feed, key: str, value: Any) -> None:
    """Remember ``value`` under ``key`` in the feed's collector state (None
    forgets it), and renew the lease of the collection that is writing it."""
    _change(feed, {key: value}, renew=_token(feed.collector_state or {}))


def is_leased(feed: Feed, now: dt.datetime) -> bool:
    """Whether a live collection holds the feed."""
    lease = (feed.collector_state or {}).get("lease")
    if not isinstance(lease, dict):
        return False
    renewed = parse_time(lease.get("renewed"))
    return renewed is not None and now - renewed < LEASE


@contextlib.contextmanager
def lease(feed: Feed) -> Iterator[None]:
    """Hold the feed for one collection; ``FeedBusyError`` if another holds it."""
    now = timezone.now()
    token = secrets.token_hex(8)
    with transaction.atomic():
        stored = Feed.objects.select_for_update().only("collector_state").get(pk=feed.pk)
        if is_leased(stored, now):
            raise FeedBusyError(
                _("Feed %(feed)s is being collected by another worker.") % {"feed": feed.name}
            )
        state = dict(stored.collector_state or {})
        state["lease"] = {"token": token, "since": now.isoformat(), "renewed": now.isoformat()}
        state["last_attempt"] = now.isoformat()
        Feed.objects.filter(pk=feed.pk).update(collector_state=state)
    feed.collector_state = state
    try:
        yield
    finally:
        _change(feed, {"lease": None}, token=token)


def is_due(feed: Feed, now: dt.datetime) -> bool:
    """Whether a scheduled feed should be collected at ``now``."""
    if not feed.enabled or not feed.schedule_minutes or is_leased(feed, now):
        return False
    last = parse_time((feed.collector_state or {}).get("last_attempt"))
    return last is None or now >= last + dt.timedelta(minutes=feed.schedule_minutes) - DUE_SLACK
