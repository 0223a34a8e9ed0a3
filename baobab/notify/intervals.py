"""Digest intervals in the recipient's time zone: where the interval that
contains a moment starts and ends.

Hours start at a full hour of the local clock (at half past in UTC for
India); an hour the clocks pass twice is two intervals. Days and weeks are
counted on the local calendar, so a day is 23 or 25 hours long across a
daylight-saving change; a day starting at an hour the clocks jump over
starts at the jump, one starting at an hour they pass twice at its first
pass.

Every moment given must carry a time zone; every moment returned is in UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from baobab.notify.policy import Interval, Policy

_HOUR = dt.timedelta(hours=1)


def _check(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a moment without a time zone is ambiguous; give an aware datetime")


def _local_start(day: dt.date, at_hour: int, zone: ZoneInfo) -> dt.datetime:
    """``at_hour`` o'clock on ``day`` in ``zone``, in UTC. A wall time the
    clocks jump over maps to the moment of the jump, one they pass twice to
    its first pass (``fold=0``)."""
    return dt.datetime(day.year, day.month, day.day, at_hour, tzinfo=zone).astimezone(dt.UTC)


def _day_start(day: dt.date, weekday: int | None) -> dt.date:
    if weekday is None:
        return day
    return day - dt.timedelta(days=(day.weekday() - weekday) % 7)


def interval_bounds(
    now: dt.datetime,
    interval: Interval | str,
    tz: str | ZoneInfo = "UTC",
    at_hour: int = 0,
    weekday: int = 0,
) -> tuple[dt.datetime, dt.datetime]:
    """The start (included) and end (excluded) of the interval containing
    ``now``, in UTC. ``at_hour`` is the local hour days and weeks start at;
    ``weekday`` the day weeks start on (Monday 0). "Immediately" is an
    interval of its own at ``now`` (to the second): the caller's run."""
    _check(now)
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    kind = Interval(interval)
    utc = now.astimezone(dt.UTC)
    if kind is Interval.IMMEDIATELY:
        start = utc.replace(microsecond=0)
        return start, start + dt.timedelta(seconds=1)
    if kind is Interval.HOURLY:  # back to the last full hour on the local clock
        local = utc.astimezone(zone)
        start = utc - dt.timedelta(
            minutes=local.minute, seconds=local.second, microseconds=local.microsecond
        )
        return start, start + _HOUR
    step = dt.timedelta(days=7 if kind is Interval.WEEKLY else 1)
    week_day = weekday if kind is Interval.WEEKLY else None
    day = _day_start(utc.astimezone(zone).date(), week_day)
    start = _local_start(day, at_hour, zone)
    if start > utc:
        day = _day_start(day - dt.timedelta(days=1), week_day)
        start = _local_start(day, at_hour, zone)
    return start, _local_start(day + step, at_hour, zone)


def interval_start(
    now: dt.datetime,
    interval: Interval | str,
    tz: str | ZoneInfo = "UTC",
    at_hour: int = 0,
    weekday: int = 0,
) -> dt.datetime:
    """The start, in UTC, of the interval containing ``now`` (see
    :func:`interval_bounds`): the moment that names a digest's interval."""
    return interval_bounds(now, interval, tz, at_hour, weekday)[0]


def policy_interval(policy: Policy, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The bounds of ``policy``'s interval containing ``now``."""
    return interval_bounds(now, policy.interval, policy.timezone, policy.at_hour, policy.weekday)
