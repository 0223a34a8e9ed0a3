"""Grouping matched events into digests: counts, order, limits, stable ids."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

from baobab.notify import digest as digest_module
from baobab.notify.digest import Digest, build_digests, digest_id, group
from baobab.notify.policy import Interval, Policy
from baobab.notify.policy_match import match

NOW = dt.datetime(2024, 5, 2, 6, 30, tzinfo=dt.UTC)
T1 = frozenset({1})


def _events() -> pl.DataFrame:
    """Nine events of team 1 (organisation 10 for the first six), one of team 2."""
    return pl.DataFrame(
        {
            "baobab.team_id": [1] * 9 + [2],
            "baobab.organisation_id": [10] * 6 + [None] * 4,
            "classification.type": [
                "scanner",
                "scanner",
                "infected-system",
                "scanner",
                "infected-system",
                "scanner",
                "vulnerable-system",
                None,
                "scanner",
                "scanner",
            ],
            "feed.name": ["a", "b", "a", "a", "b", "b", "a", "a", "a", "a"],
            "time.source": [
                "2024-05-01T10:00:00+00:00",
                "2024-05-01T08:00:00+00:00",
                "2024-05-01T09:30:00+00:00",
                None,
                "2024-05-01T07:00:00+00:00",
                "2024-05-01T08:00:00+00:00",
                "2024-05-01T11:00:00+00:00",
                "2024-05-01T12:00:00+00:00",
                "2024-05-01T06:00:00+00:00",
                "2024-05-01T05:00:00+00:00",
            ],
            "tlp": [
                "green",
                "amber",
                "clear",
                "green",
                "amber",
                "green",
                "amber",
                "green",
                "red",
                "amber",
            ],
        }
    )


def _by_key(digests: list[Digest]) -> dict[tuple[object, ...], Digest]:
    return {(digest.recipient, digest.format, digest.key): digest for digest in digests}


def test_one_digest_per_recipient_and_classification() -> None:
    digests = build_digests(_events(), [Policy(("team", 1), team_ids=T1)], now=NOW)
    assert [(d.key, d.count) for d in digests] == [
        (("infected-system",), 2),
        (("scanner",), 4),
        (("vulnerable-system",), 1),
        ((None,), 1),
    ]
    scanner = digests[1]
    assert scanner.by_classification == {"scanner": 4}
    assert digests[3].by_classification == {"": 1}
    # earliest first, the event without a time last; event 8 (RED) is not there
    assert scanner.rows.to_list() == [1, 5, 0, 3]
    assert scanner.earliest == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)
    assert scanner.latest == dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
    assert scanner.tlp == "amber"
    assert scanner.grouping == {"classification.type": "scanner"}
    assert scanner.interval_start == dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    assert scanner.policies == (0,)


def test_counts_by_classification_when_grouped_otherwise() -> None:
    policies = [Policy(("team", 1), team_ids=T1, group_by=("feed.name",), allow_red=True)]
    digests = build_digests(_events(), policies, now=NOW)
    assert [(d.key, d.count, d.by_classification) for d in digests] == [
        (("a",), 5, {"": 1, "infected-system": 1, "scanner": 2, "vulnerable-system": 1}),
        (("b",), 3, {"infected-system": 1, "scanner": 2}),
    ]
    # allow_red needs a RED ceiling too: event 8 stays out
    assert all(8 not in d.rows.to_list() for d in digests)


def test_two_grouping_fields_and_none() -> None:
    events = _events()
    two = build_digests(
        events,
        [Policy(("team", 1), team_ids=T1, group_by=("feed.name", "classification.type"))],
        now=NOW,
    )
    assert [d.key for d in two] == [
        ("a", "infected-system"),
        ("a", "scanner"),
        ("a", "vulnerable-system"),
        ("a", None),
        ("b", "infected-system"),
        ("b", "scanner"),
    ]
    assert sum(d.count for d in two) == 8
    whole = build_digests(events, [Policy(("team", 1), team_ids=T1, group_by=())], now=NOW)
    assert len(whole) == 1
    assert whole[0].key == ()
    assert whole[0].count == 8


def test_policies_of_one_recipient_share_a_digest_without_counting_twice() -> None:
    everything = Policy(("contact", 7), team_ids=T1, max_inline=2)
    also = Policy(("contact", 7), organisation_ids=frozenset({10}), max_inline=3)
    digests = build_digests(_events(), [everything, also], now=NOW)
    scanner = _by_key(digests)[(("contact", 7), "csv", ("scanner",))]
    assert scanner.count == 4
    assert scanner.policies == (0, 1)
    assert scanner.max_inline == 3


def test_a_different_format_language_template_or_interval_is_another_message() -> None:
    base = Policy(("contact", 7), team_ids=T1, types=frozenset({"scanner"}))
    variants = [
        base,
        replace(base, format="json"),
        replace(base, language="fr"),
        replace(base, template="short"),
        replace(base, interval=Interval.HOURLY),
        replace(base, recipient=("contact", 8)),
    ]
    digests = build_digests(_events(), variants, now=NOW)
    assert len(digests) == len(variants)
    assert len({d.id for d in digests}) == len(variants)
    assert {d.count for d in digests} == {4}


def test_inline_events_are_limited_and_the_attachment_has_them_all() -> None:
    events = _events()
    policy = Policy(("team", 1), team_ids=T1, max_inline=3, format="inline")
    scanner = _by_key(build_digests(events, [policy], now=NOW))[
        (("team", 1), "inline", ("scanner",))
    ]
    assert scanner.truncated
    assert scanner.inline_rows.to_list() == [1, 5, 0]
    assert (
        scanner.inline(events).get_column("time.source").to_list()[0] == "2024-05-01T08:00:00+00:00"
    )
    assert scanner.attachment(events).height == 4
    roomy = replace(policy, max_inline=50)
    assert not _by_key(build_digests(events, [roomy], now=NOW))[
        (("team", 1), "inline", ("scanner",))
    ].truncated


def test_highest_tlp_of_a_digest() -> None:
    named = Policy(("contact", 1), team_ids=T1, tlp_ceiling="red", allow_red=True)
    scanner = _by_key(build_digests(_events(), [named], now=NOW))[
        (("contact", 1), "csv", ("scanner",))
    ]
    assert scanner.count == 5
    assert scanner.tlp == "red"
    assert scanner.rows.to_list()[0] == 8  # 06:00, the earliest


def test_moments_given_as_datetimes() -> None:
    text = _events()
    moments = text.with_columns(
        pl.col("time.source")
        .str.to_datetime(time_zone="UTC")
        .dt.convert_time_zone("Africa/Nairobi")
    )
    naive = text.with_columns(
        pl.col("time.source").str.to_datetime(time_zone="UTC").dt.replace_time_zone(None)
    )
    policy = [Policy(("team", 1), team_ids=T1)]
    expected = [
        (d.id, d.rows.to_list(), d.earliest, d.latest) for d in build_digests(text, policy, now=NOW)
    ]
    for events in (moments, naive):
        found = [
            (d.id, d.rows.to_list(), d.earliest, d.latest)
            for d in build_digests(events, policy, now=NOW)
        ]
        assert found == expected


def test_without_times() -> None:
    digests = build_digests(
        _events().drop("time.source"), [Policy(("team", 1), team_ids=T1)], now=NOW
    )
    assert digests[1].rows.to_list() == [0, 1, 3, 5]  # by row
    assert digests[1].earliest is None


def test_nothing_matched() -> None:
    assert build_digests(_events(), [Policy(("team", 9), team_ids=frozenset({9}))], now=NOW) == []
    assert group(_events(), match(_events(), []), [], now=NOW) == []


# --- ids ---------------------------------------------------------------------------


def _ids(digests: list[Digest]) -> dict[tuple[object, ...], str]:
    return {(d.recipient, d.template, d.format, d.language, d.key): d.id for d in digests}


POLICIES = [
    Policy(("team", 1), team_ids=T1),
    Policy(("contact", 3), organisation_ids=frozenset({10}), format="json", language="fr"),
    Policy(
        ("webhook", 2), any_constituency=True, interval=Interval.HOURLY, group_by=("feed.name",)
    ),
]


def test_the_same_interval_built_again_gives_the_same_ids() -> None:
    events = _events()
    first = build_digests(events, POLICIES, now=NOW)
    again = build_digests(events, POLICIES, now=NOW + dt.timedelta(minutes=20))
    assert [d.id for d in first] == [d.id for d in again]
    assert len({d.id for d in first}) == len(first)
    assert all(len(d.id) == 40 and int(d.id, 16) >= 0 for d in first)


def test_ids_do_not_depend_on_the_order_of_events_or_policies() -> None:
    events = _events()
    first = build_digests(events, POLICIES, now=NOW)
    shuffled = build_digests(events.reverse(), POLICIES[::-1], now=NOW)
    assert _ids(first) == _ids(shuffled)
    assert [d.id for d in first] == [d.id for d in shuffled]  # and the same order
    assert [d.count for d in first] == [d.count for d in shuffled]


def test_the_next_interval_gives_new_ids() -> None:
    events = _events()
    today = _ids(build_digests(events, POLICIES, now=NOW))
    later = build_digests(events, POLICIES, now=NOW + dt.timedelta(hours=1))
    tomorrow = _ids(build_digests(events, POLICIES, now=NOW + dt.timedelta(days=1)))
    assert set(today.values()).isdisjoint(tomorrow.values())
    hourly = [d for d in later if d.recipient == ("webhook", 2)]
    daily = [d for d in later if d.recipient != ("webhook", 2)]
    assert all(d.id not in today.values() for d in hourly)
    assert all(d.id in today.values() for d in daily)


def test_digest_id_is_the_digest_s() -> None:
    digest = build_digests(_events(), POLICIES[1:2], now=NOW)[0]
    assert digest.id == digest_id(
        digest.recipient,
        template=digest.template,
        format=digest.format,
        language=digest.language,
        grouping=list(digest.grouping.items()),
        interval_start=digest.interval_start,
    )
    assert digest.id != digest_id(
        ("contact", 4),
        template=digest.template,
        format=digest.format,
        language=digest.language,
        grouping=list(digest.grouping.items()),
        interval_start=digest.interval_start,
    )


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        ("UTC", dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)),
        ("Africa/Nairobi", dt.datetime(2024, 5, 2, 5, tzinfo=dt.UTC)),  # 08:00 at +03:00
        ("America/Sao_Paulo", dt.datetime(2024, 5, 1, 11, tzinfo=dt.UTC)),  # 08:00 at -03:00
    ],
)
def test_interval_start_in_the_recipient_s_zone(zone: str, start: dt.datetime) -> None:
    policy = Policy(("team", 1), team_ids=T1, timezone=zone, at_hour=8)
    digest = build_digests(_events(), [policy], now=NOW)[0]
    assert digest.interval_start == start
    assert digest.interval_start.tzinfo == dt.UTC


def test_the_same_digests_when_keys_are_too_wide_to_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    policies = [
        *POLICIES,
        Policy(("contact", 7), team_ids=T1, group_by=("feed.name", "classification.type")),
    ]
    packed = build_digests(_events(), policies, now=NOW)
    monkeypatch.setattr(digest_module, "PACKED_BITS", 0)
    sorted_by_columns = build_digests(_events(), policies, now=NOW)
    assert [(d.id, d.count, d.rows.to_list(), d.by_classification) for d in packed] == [
        (d.id, d.count, d.rows.to_list(), d.by_classification) for d in sorted_by_columns
    ]
