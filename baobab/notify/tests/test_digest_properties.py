"""Property-based checks of matching and grouping against a plain, one event
at a time reference: every event a policy wants lands in exactly one of its
digests, and none its TLP excludes reaches any."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from baobab.notify.digest import build_digests
from baobab.notify.policy import Interval, Policy
from baobab.notify.policy_match import match

NOW = dt.datetime(2024, 5, 2, 6, 30, tzinfo=dt.UTC)
TYPES = {
    "scanner": "information-gathering",
    "infected-system": "malicious-code",
    "phishing": "fraud",
}
# The reference's own reading of the labels the events carry.
TLP_OF = {
    None: 2,
    "clear": 0,
    "green": 1,
    "amber": 2,
    "TLP:AMBER+STRICT": 3,
    "amber+strict": 3,
    "red": 4,
    "TLP:RED": 4,
    "nonsense": 99,
}
SEVERITY_OF = {None: None, "bogus": None, "info": 0, "medium": 2, "high": 3}
CEILING = {"clear": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
MIN_SEVERITY = {None: None, "low": 1, "high": 3}

event_records = st.fixed_dictionaries(
    {
        "baobab.team_id": st.sampled_from([None, 1, 2, 3]),
        "baobab.organisation_id": st.sampled_from([None, 10, 11, 20]),
        "classification.type": st.sampled_from([None, *TYPES]),
        "feed.name": st.sampled_from([None, "a", "b"]),
        "extra.severity": st.sampled_from(list(SEVERITY_OF)),
        "tlp": st.sampled_from(list(TLP_OF)),
        "time.source": st.one_of(
            st.none(),
            st.integers(0, 86_399).map(
                lambda s: (
                    dt.datetime(2024, 5, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=s)
                ).isoformat()
            ),
        ),
    }
)


def _subset(values: list[Any]) -> st.SearchStrategy[frozenset[Any]]:
    return st.frozensets(st.sampled_from(values), max_size=len(values))


policies_strategy = st.builds(
    Policy,
    recipient=st.sampled_from([("team", 1), ("contact", 2), ("webhook", 3)]),
    team_ids=_subset([1, 2, 3]),
    organisation_ids=_subset([10, 11, 20]),
    any_constituency=st.sampled_from([False, False, False, True]),
    types=_subset(list(TYPES)),
    taxonomies=_subset(list(set(TYPES.values()))),
    feeds=_subset(["a", "b", "c"]),
    min_severity=st.sampled_from(list(MIN_SEVERITY)),
    tlp_ceiling=st.sampled_from(list(CEILING)),
    allow_red=st.booleans(),
    format=st.sampled_from(["csv", "json"]),
    group_by=st.sampled_from(
        [(), ("classification.type",), ("feed.name",), ("feed.name", "classification.type")]
    ),
    interval=st.sampled_from([Interval.DAILY, Interval.HOURLY]),
    max_inline=st.integers(0, 3),
)


def wants(policy: Policy, event: dict[str, Any]) -> bool:
    """The reference: does ``policy`` want ``event``?"""
    team, organisation = event["baobab.team_id"], event["baobab.organisation_id"]
    in_scope = (
        policy.any_constituency
        or (team is not None and team in policy.team_ids)
        or (organisation is not None and organisation in policy.organisation_ids)
    )
    kind = event["classification.type"]
    taxonomy = TYPES.get(kind) if kind else None
    severity = SEVERITY_OF[event["extra.severity"]]
    floor = MIN_SEVERITY[policy.min_severity]
    tlp = TLP_OF[event["tlp"]]
    return (
        in_scope
        and (not policy.types or kind in policy.types)
        and (not policy.taxonomies or taxonomy in policy.taxonomies)
        and (not policy.feeds or event["feed.name"] in policy.feeds)
        and (floor is None or severity is None or severity >= floor)
        and tlp <= CEILING[policy.tlp_ceiling]
        and (tlp != 4 or policy.allow_red)
    )


def _frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        records,
        schema={
            "baobab.team_id": pl.Int64,
            "baobab.organisation_id": pl.Int64,
            "classification.type": pl.Utf8,
            "feed.name": pl.Utf8,
            "extra.severity": pl.Utf8,
            "tlp": pl.Utf8,
            "time.source": pl.Utf8,
        },
    )
    taxonomy = pl.col("classification.type").replace_strict(TYPES, default=None)
    return frame.with_columns(taxonomy.alias("classification.taxonomy"))


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(event_records, max_size=40),
    policies=st.lists(policies_strategy, min_size=1, max_size=6),
)
def test_every_wanted_event_lands_in_exactly_one_digest_per_policy(
    records: list[dict[str, Any]], policies: list[Policy]
) -> None:
    events = _frame(records)
    expected = {
        (row, index)
        for row, event in enumerate(records)
        for index, policy in enumerate(policies)
        if wants(policy, event)
    }
    assert set(match(events, policies).iter_rows()) == expected

    digests = build_digests(events, policies, now=NOW)
    assert len({digest.id for digest in digests}) == len(digests)
    for index, policy in enumerate(policies):
        wanted = {row for row, chosen in expected if chosen == index}
        landed = [
            row
            for digest in digests
            if index in digest.policies
            for row in digest.rows.to_list()
            if row in wanted
        ]
        assert sorted(landed) == sorted(wanted)  # each once, none missing
        assert all(policy.recipient == d.recipient for d in digests if index in d.policies)

    for digest in digests:
        rows = digest.rows.to_list()
        assert len(rows) == len(set(rows)) == digest.count == sum(digest.by_classification.values())
        for row in rows:
            event = records[row]
            # wanted by one of its policies: so never a TLP they all exclude
            assert any(wants(policies[index], event) for index in digest.policies)
            assert any(policies[index].admits_tlp(event["tlp"]) for index in digest.policies)
            assert tuple(event[name] for name in digest.group_by) == digest.key
        assert max(TLP_OF[records[row]["tlp"]] for row in rows) == CEILING[digest.tlp]
        moments = [records[row]["time.source"] for row in rows]
        known = [moment for moment in moments if moment is not None]
        assert moments == sorted(known) + [None] * (len(moments) - len(known))
