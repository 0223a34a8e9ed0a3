"""A notification policy as plain data: who receives which routed events, how
often, in which form. Pure: no Django (the models that store policies turn
them into these), so matching and grouping can run over batches anywhere.

TLP labels are the values of :class:`baobab.core.choices.TLP` (``clear`` …
``red``), ordered from the least to the most restricted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Who receives a digest: ("contact", 12), ("team", 3), ("webhook", 5) …
RecipientKey = tuple[str, int]
Format = Literal["csv", "json", "inline"]
FORMATS: frozenset[str] = frozenset({"csv", "json", "inline"})

# TLP 2.0 from the least to the most restricted (the values of core.choices.TLP).
TLP_ORDER: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")
TLP_RANK: Mapping[str, int] = {label: rank for rank, label in enumerate(TLP_ORDER)}
RED = TLP_RANK["red"]
# An event without a TLP is marked as the pipeline stores it by default.
DEFAULT_TLP = "amber"

# ShadowServer's severities (``extra.severity``), from the least to the most severe.
SEVERITY_FIELD = "extra.severity"
SEVERITY_ORDER: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: Mapping[str, int] = {label: rank for rank, label in enumerate(SEVERITY_ORDER)}

DEFAULT_GROUP_BY: tuple[str, ...] = ("classification.type",)


class Interval(StrEnum):
    """How often a recipient hears: every run, or once per hour, day or week
    (a day or a week starting at ``at_hour`` in the recipient's time zone —
    "at a set hour" is a daily interval with its hour)."""

    IMMEDIATELY = "immediately"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


def normalise_tlp(label: str | None) -> str | None:
    """``TLP:AMBER+STRICT``, ``amber+strict``, ``AMBER_STRICT``, ``white`` → the
    TLP value; None for text that is no TLP label (such events go to nobody)."""
    if label is None:
        return DEFAULT_TLP
    value = label.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "")
    if value == "white":  # TLP 1.0's name of CLEAR
        value = "clear"
    return value if value in TLP_RANK else None


@dataclass(frozen=True, slots=True)
class Policy:
    """One recipient's wish: which routed events, in which digest.

    Scope ("own constituency only"): events routed to one of ``team_ids`` or
    to one of ``organisation_ids``; ``any_constituency`` takes every event
    (a regional coordinator), unrouted ones included. An empty scope matches
    nothing. The other filters narrow it; an empty set means "any".

    TLP: events above ``tlp_ceiling`` are excluded, and TLP:RED events reach
    only a recipient the policy names explicitly (``allow_red``, with a RED
    ceiling). ``min_severity`` excludes events whose severity is known and
    lower; events without one pass.
    """

    recipient: RecipientKey
    team_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    any_constituency: bool = False
    types: frozenset[str] = frozenset()  # classification.type
    taxonomies: frozenset[str] = frozenset()  # classification.taxonomy
    feeds: frozenset[str] = frozenset()  # feed.name
    min_severity: str | None = None
    tlp_ceiling: str = "amber"
    allow_red: bool = False
    template: str = "default"
    format: Format = "csv"
    language: str = "en"
    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    max_inline: int = 50  # events listed in the message; all of them in the attachment
    interval: Interval = Interval.DAILY
    timezone: str = "UTC"
    at_hour: int = 0  # daily and weekly: the local hour an interval starts
    weekday: int = 0  # weekly: the day it starts (Monday 0 … Sunday 6)

    def __post_init__(self) -> None:
        problems = []
        if self.tlp_ceiling not in TLP_RANK:
            problems.append(f"unknown TLP ceiling {self.tlp_ceiling!r}")
        if self.min_severity is not None and self.min_severity not in SEVERITY_RANK:
            problems.append(f"unknown severity {self.min_severity!r}")
        if self.format not in FORMATS:
            problems.append(f"unknown format {self.format!r}")
        if self.max_inline < 0:
            problems.append("max_inline must not be negative")
        if not 0 <= self.at_hour <= 23:
            problems.append("at_hour must be 0 to 23")
        if not 0 <= self.weekday <= 6:
            problems.append("weekday must be 0 (Monday) to 6 (Sunday)")
        if len(set(self.group_by)) != len(self.group_by):
            problems.append("group_by names a field twice")
        try:
            Interval(self.interval)
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError(f"policy for {self.recipient}: {'; '.join(problems)}")

    @property
    def max_tlp_rank(self) -> int:
        """The most restricted TLP rank this policy's recipient may receive."""
        ceiling = TLP_RANK[self.tlp_ceiling]
        return ceiling if self.allow_red else min(ceiling, RED - 1)

    def admits_tlp(self, label: str | None) -> bool:
        """Whether an event marked ``label`` may reach this recipient (the same
        rule :func:`baobab.notify.policy_match.match` applies to a batch)."""
        value = normalise_tlp(label)
        return value is not None and TLP_RANK[value] <= self.max_tlp_rank
