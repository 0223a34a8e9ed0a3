"""Digest intervals: boundaries in the recipient's time zone, across DST."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.notify.intervals import interval_bounds, interval_start
from baobab.notify.policy import Interval


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, second: int = 0
) -> dt.datetime:
    """A moment in UTC: utc(2024, 5, 1, 10, 17, second=5)."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


H, D, W, NOW = Interval.HOURLY, Interval.DAILY, Interval.WEEKLY, Interval.IMMEDIATELY


# now, interval, zone, at_hour, weekday → start, end
Case = tuple[dt.datetime, Interval, str, int, int, dt.datetime, dt.datetime]
CASES: list[Case] = [
    # hours on the local clock
    (utc(2024, 5, 1, 10, 17, second=5), H, "UTC", 0, 0, utc(2024, 5, 1, 10), utc(2024, 5, 1, 11)),
    (
        utc(2024, 5, 1, 10, 17),
        H,
        "Asia/Kolkata",
        0,
        0,
        utc(2024, 5, 1, 9, 30),
        utc(2024, 5, 1, 10, 30),
    ),
    (
        utc(2024, 5, 1, 10, 17),
        H,
        "Asia/Kathmandu",
        0,
        0,
        utc(2024, 5, 1, 10, 15),
        utc(2024, 5, 1, 11, 15),
    ),
    (utc(2024, 5, 1, 10), H, "UTC", 0, 0, utc(2024, 5, 1, 10), utc(2024, 5, 1, 11)),
    # days, at midnight or at a set hour, local
    (utc(2024, 5, 1, 10, 17), D, "UTC", 0, 0, utc(2024, 5, 1), utc(2024, 5, 2)),
    (
        utc(2024, 5, 1, 4, 59),
        D,
        "Africa/Nairobi",
        8,
        0,
        utc(2024, 4, 30, 5),
        utc(2024, 5, 1, 5),
    ),
    (utc(2024, 5, 1, 5), D, "Africa/Nairobi", 8, 0, utc(2024, 5, 1, 5), utc(2024, 5, 2, 5)),
    (utc(2024, 5, 1, 2), D, "America/Sao_Paulo", 0, 0, utc(2024, 4, 30, 3), utc(2024, 5, 1, 3)),
    # weeks: Monday midnight by default, or a given day and hour
    (utc(2024, 5, 1, 10), W, "UTC", 0, 0, utc(2024, 4, 29), utc(2024, 5, 6)),
    (utc(2024, 4, 29), W, "UTC", 0, 0, utc(2024, 4, 29), utc(2024, 5, 6)),
    (
        utc(2024, 5, 5, 16, 59),
        W,
        "Africa/Lagos",
        18,
        6,
        utc(2024, 4, 28, 17),
        utc(2024, 5, 5, 17),
    ),
    (utc(2024, 5, 5, 17), W, "Africa/Lagos", 18, 6, utc(2024, 5, 5, 17), utc(2024, 5, 12, 17)),
    # spring forward in Paris (2024-03-31, 02:00 CET → 03:00 CEST): a 23-hour day
    (utc(2024, 3, 31, 12), D, "Europe/Paris", 0, 0, utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)),
    # … a day starting at 02:00, which does not exist that day, starts at the jump
    (utc(2024, 3, 31, 5), D, "Europe/Paris", 2, 0, utc(2024, 3, 31, 1), utc(2024, 4, 1, 0)),
    (
        utc(2024, 3, 31, 0, 59),
        D,
        "Europe/Paris",
        2,
        0,
        utc(2024, 3, 30, 1),
        utc(2024, 3, 31, 1),
    ),
    # fall back in Paris (2024-10-27, 03:00 CEST → 02:00 CET): a 25-hour day
    (
        utc(2024, 10, 27, 12),
        D,
        "Europe/Paris",
        0,
        0,
        utc(2024, 10, 26, 22),
        utc(2024, 10, 27, 23),
    ),
    # … a day starting at 02:00, which happens twice, starts at the first
    (
        utc(2024, 10, 27, 0, 30),
        D,
        "Europe/Paris",
        2,
        0,
        utc(2024, 10, 27),
        utc(2024, 10, 28, 1),
    ),
    (utc(2024, 10, 26, 23, 59), D, "Europe/Paris", 2, 0, utc(2024, 10, 26), utc(2024, 10, 27)),
    # … and the hour from 02:00 to 03:00, passed twice, is two intervals
    (
        utc(2024, 10, 27, 0, 30),
        H,
        "Europe/Paris",
        0,
        0,
        utc(2024, 10, 27, 0),
        utc(2024, 10, 27, 1),
    ),
    (
        utc(2024, 10, 27, 1, 30),
        H,
        "Europe/Paris",
        0,
        0,
        utc(2024, 10, 27, 1),
        utc(2024, 10, 27, 2),
    ),
    # New York jumps from 02:00 EST to 03:00 EDT (2024-03-10)
    (
        utc(2024, 3, 10, 6, 59),
        H,
        "America/New_York",
        0,
        0,
        utc(2024, 3, 10, 6),
        utc(2024, 3, 10, 7),
    ),
    (
        utc(2024, 3, 10, 7, 30),
        H,
        "America/New_York",
        0,
        0,
        utc(2024, 3, 10, 7),
        utc(2024, 3, 10, 8),
    ),
    (
        utc(2024, 3, 10, 12),
        W,
        "America/New_York",
        9,
        0,
        utc(2024, 3, 4, 14),
        utc(2024, 3, 11, 13),
    ),
    # immediately: the run itself
    (
        utc(2024, 5, 1, 10, 17, second=5),
        NOW,
        "Africa/Nairobi",
        8,
        0,
        utc(2024, 5, 1, 10, 17, second=5),
        utc(2024, 5, 1, 10, 17, second=6),
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_interval_bounds(case: Case) -> None:
    now, interval, zone, at_hour, weekday, start, end = case
    assert interval_bounds(now, interval, zone, at_hour, weekday) == (start, end)
    assert interval_start(now, interval, zone, at_hour, weekday) == start


def test_any_time_zone_is_accepted_for_now() -> None:
    nairobi = utc(2024, 5, 1, 5).astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert interval_start(nairobi, "daily", "Africa/Nairobi", 8) == utc(2024, 5, 1, 5)
    assert interval_start(nairobi, Interval.DAILY).tzinfo == dt.UTC


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        interval_start(dt.datetime(2024, 5, 1, 10), Interval.HOURLY)


ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "America/Sao_Paulo",
    "America/Santiago",
    "Africa/Casablanca",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
]
MOMENTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    now=MOMENTS,
    interval=st.sampled_from([H, D, W]),
    zone=st.sampled_from([*ZONES, "Australia/Lord_Howe"]),  # half-hour DST shifts too
    at_hour=st.integers(0, 23),
    weekday=st.integers(0, 6),
)
def test_the_interval_contains_the_moment(
    now: dt.datetime, interval: Interval, zone: str, at_hour: int, weekday: int
) -> None:
    start, end = interval_bounds(now, interval, zone, at_hour, weekday)
    assert start <= now < end
    assert start.tzinfo == end.tzinfo == dt.UTC
    longest = {
        H: dt.timedelta(hours=1),
        D: dt.timedelta(hours=25),
        W: dt.timedelta(days=7, hours=1),
    }
    assert dt.timedelta(0) < end - start <= longest[interval]


@settings(max_examples=300, deadline=None)
@given(
    now=MOMENTS,
    interval=st.sampled_from([H, D, W]),
    zone=st.sampled_from(ZONES),
    at_hour=st.integers(0, 23),
    weekday=st.integers(0, 6),
)
def test_intervals_follow_each_other(
    now: dt.datetime, interval: Interval, zone: str, at_hour: int, weekday: int
) -> None:
    start, end = interval_bounds(now, interval, zone, at_hour, weekday)
    assert interval_bounds(start, interval, zone, at_hour, weekday) == (start, end)
    assert interval_start(end, interval, zone, at_hour, weekday) == end
    assert (
        interval_bounds(start - dt.timedelta(microseconds=1), interval, zone, at_hour, weekday)[1]
        == start
    )
