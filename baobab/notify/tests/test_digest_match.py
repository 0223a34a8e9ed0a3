"""Matching routed events to notification policies: scope, filters, TLP."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from baobab.core.choices import TLP
from baobab.notify.policy import DEFAULT_TLP, TLP_ORDER, Policy, normalise_tlp
from baobab.notify.policy_match import match

# team 1 manages organisations 10 and 11; team 2 manages 20.
EVENTS = pl.DataFrame(
    {
        "source.ip": [f"198.51.100.{i}" for i in range(10)],
        "baobab.team_id": [1, 1, 1, 1, 2, 2, None, 1, 1, 2],
        "baobab.organisation_id": [10, 10, 11, None, 20, None, None, 10, 10, 20],
        "classification.taxonomy": [
            "information-gathering",
            "malicious-code",
            "vulnerable",
            "information-gathering",
            "malicious-code",
            "vulnerable",
            "information-gathering",
            "information-gathering",
            None,
            "vulnerable",
        ],
        "classification.type": [
            "scanner",
            "infected-system",
            "vulnerable-system",
            "scanner",
            "infected-system",
            "ddos-amplifier",
            "scanner",
            "scanner",
            None,
            "vulnerable-system",
        ],
        "feed.name": [
            "scan",
            "sinkhole",
            "scan",
            "scan",
            "sinkhole",
            "scan",
            "scan",
            "scan",
            None,
            "scan",
        ],
        "extra.severity": [
            "low",
            "high",
            "medium",
            "critical",
            None,
            "info",
            "high",
            "HIGH",
            "x",
            "low",
        ],
        "tlp": [
            "green",
            "amber",
            "amber+strict",
            "red",
            "clear",
            "TLP:AMBER",
            "amber",
            "white",
            None,
            "nonsense",
        ],
    }
)


def _rows(policy: Policy, events: pl.DataFrame = EVENTS) -> set[int]:
    return set(match(events, [policy]).get_column("row").to_list())


def _policy(**fields: Any) -> Policy:
    return Policy(("contact", 1), **fields)


T1 = frozenset({1})
O10 = frozenset({10})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # scope: own constituency only (the default ceiling, AMBER, applies)
        ({"team_ids": T1}, {0, 1, 7, 8}),
        ({"organisation_ids": O10}, {0, 1, 7, 8}),
        ({"organisation_ids": frozenset({11})}, set()),  # its only event is AMBER+STRICT
        ({"team_ids": frozenset({2})}, {4, 5}),
        ({"team_ids": T1, "organisation_ids": frozenset({20})}, {0, 1, 4, 7, 8}),
        ({"team_ids": T1, "organisation_ids": O10}, {0, 1, 7, 8}),  # each pair once
        ({"team_ids": frozenset({99})}, set()),
        ({}, set()),  # no scope: nothing
        ({"any_constituency": True}, {0, 1, 4, 5, 6, 7, 8}),  # unrouted event 6 too
        # classification and feed filters
        ({"team_ids": T1, "types": frozenset({"scanner"})}, {0, 7}),
        ({"team_ids": T1, "types": frozenset({"scanner", "infected-system"})}, {0, 1, 7}),
        ({"any_constituency": True, "taxonomies": frozenset({"malicious-code"})}, {1, 4}),
        ({"any_constituency": True, "feeds": frozenset({"sinkhole"})}, {1, 4}),
        ({"any_constituency": True, "feeds": frozenset({"nowhere"})}, set()),
        # severity: known and lower is out, unknown passes
        ({"any_constituency": True, "min_severity": "high"}, {1, 4, 6, 7, 8}),
        ({"any_constituency": True, "min_severity": "info"}, {0, 1, 4, 5, 6, 7, 8}),
        # TLP ceiling
        ({"any_constituency": True, "tlp_ceiling": "clear"}, {4, 7}),  # 7: TLP 1.0 WHITE
        ({"any_constituency": True, "tlp_ceiling": "green"}, {0, 4, 7}),
        ({"any_constituency": True, "tlp_ceiling": "amber+strict"}, {0, 1, 2, 4, 5, 6, 7, 8}),
        # TLP:RED only to a recipient the policy names (allow_red and a RED ceiling)
        ({"any_constituency": True, "tlp_ceiling": "red"}, {0, 1, 2, 4, 5, 6, 7, 8}),
        ({"any_constituency": True, "tlp_ceiling": "green", "allow_red": True}, {0, 4, 7}),
        ({"team_ids": T1, "tlp_ceiling": "red", "allow_red": True}, {0, 1, 2, 3, 7, 8}),
    ],
)
def test_match(fields: dict[str, Any], expected: set[int]) -> None:
    assert _rows(_policy(**fields)) == expected


def test_text_that_is_no_tlp_goes_to_nobody() -> None:
    everything = _policy(any_constituency=True, tlp_ceiling="red", allow_red=True)
    assert 9 not in _rows(everything)
    assert 8 in _rows(everything)  # no TLP at all: the pipeline's default, AMBER


def test_without_a_tlp_column_events_are_amber() -> None:
    events = EVENTS.drop("tlp")
    assert DEFAULT_TLP == "amber"
    assert _rows(_policy(any_constituency=True), events) == set(range(10))
    assert _rows(_policy(any_constituency=True, tlp_ceiling="green"), events) == set()


def test_missing_fields_count_as_empty() -> None:
    events = EVENTS.select("baobab.team_id", "tlp")
    assert _rows(_policy(team_ids=T1), events) == {0, 1, 7, 8}
    assert _rows(_policy(team_ids=T1, feeds=frozenset({"scan"})), events) == set()
    assert _rows(_policy(team_ids=T1, min_severity="critical"), events) == {0, 1, 7, 8}
    assert _rows(_policy(organisation_ids=O10), events) == set()


def test_pairs_are_sorted_and_unique() -> None:
    policies = [
        _policy(any_constituency=True),
        Policy(("team", 1), team_ids=T1, organisation_ids=O10),
        Policy(("team", 2), team_ids=frozenset({2}), organisation_ids=frozenset({20})),
    ]
    pairs = match(EVENTS, policies)
    assert pairs.schema == pl.Schema({"row": pl.UInt32, "policy": pl.UInt32})
    as_list = list(pairs.iter_rows())
    assert as_list == sorted(set(as_list))
    assert {row for row, policy in as_list if policy == 1} == {0, 1, 7, 8}


def test_nothing_to_match() -> None:
    assert match(EVENTS.head(0), [_policy(any_constituency=True)]).height == 0
    assert match(EVENTS, []).height == 0


def test_tlp_order_is_the_platform_s() -> None:
    assert list(TLP_ORDER) == [label.value for label in TLP]
    assert normalise_tlp("TLP:AMBER+STRICT") == normalise_tlp("amber_strict") == "amber+strict"
    assert normalise_tlp("WHITE") == "clear"
    assert normalise_tlp("purple") is None


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"tlp_ceiling": "purple"}, "TLP ceiling"),
        ({"min_severity": "dire"}, "severity"),
        ({"format": "xml"}, "format"),
        ({"max_inline": -1}, "max_inline"),
        ({"at_hour": 24}, "at_hour"),
        ({"weekday": 7}, "weekday"),
        ({"group_by": ("feed.name", "feed.name")}, "twice"),
        ({"interval": "monthly"}, "monthly"),
        ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _policy(**fields)


def test_admits_tlp() -> None:
    named = _policy(tlp_ceiling="red", allow_red=True)
    assert named.admits_tlp("TLP:RED")
    assert not _policy(tlp_ceiling="red").admits_tlp("red")
    assert _policy().admits_tlp(None)  # the default, AMBER
    assert not _policy().admits_tlp("amber+strict")
    assert not named.admits_tlp("nonsense")
