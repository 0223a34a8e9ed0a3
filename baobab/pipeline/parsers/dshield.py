"""DShield's recommended block list (``block.txt``): the /24 networks that
attacked most over the last three days.

Tab-separated lines ``start, end, netblock (prefix length), attacks, name,
country, e-mail`` under ``#`` comments (whose ``updated:`` line dates the
list) and a ``Start	End	Netblock…`` header. Only the first three columns are
needed; the others are optional. Classified other/blacklist, as IntelMQ does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from baobab.pipeline.parsers._chunks import (
    canonical_networks,
    finish,
    guarded,
    http_date,
    split_bad,
    text_frame,
)
from baobab.pipeline.parsers.base import RAW, Parsed, Parser, Setup

PROVIDER = "DShield"
REPORT_TIME = "report_time"
CONSTANTS = {
    "classification.taxonomy": "other",
    "classification.type": "blacklist",
    "feed.provider": PROVIDER,
}
# Optional columns after start, end and netblock, by position.
OPTIONAL = {
    3: "extra.attacks",
    4: "extra.network_name",
    5: "source.geolocation.cc",
    6: "source.abuse_contact",
}


def _updated(head: list[bytes]) -> str | None:
    """The list's ``updated:`` date, in UTC."""
    for line in head:
        text = line.decode("utf-8", "replace").strip().lstrip("#").strip()
        if text.lower().startswith("updated:"):
            return http_date(text.split(":", 1)[1])
    return None


class DShieldBlockParser(Parser):
    """DShield recommended block list."""

    name = "dshield-block"
    description = "DShield recommended block list (top attacking /24 networks)"
    provider = PROVIDER

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Learn the list's date from its ``updated:`` comment."""
        learnt = dict(options)
        updated = _updated(head)
        if updated:
            learnt[REPORT_TIME] = updated
        return Setup(report=report, options=learnt)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """One event per network."""
        frame, rejected = text_frame(lines, first_line)
        parts = pl.col(RAW).str.strip_chars_end().str.split("\t")
        frame = frame.filter(
            parts.list.get(0, null_on_oob=True)
            .str.strip_chars()
            .str.to_lowercase()
            .ne_missing("start")
        )
        field = parts.list.get
        frame = frame.with_columns(
            field(0, null_on_oob=True).str.strip_chars().alias("_start"),
            field(2, null_on_oob=True).str.strip_chars().alias("_length"),
            field(1, null_on_oob=True).str.strip_chars().alias("extra.end"),
            *(
                field(index, null_on_oob=True).str.strip_chars().alias(name)
                for index, name in OPTIONAL.items()
            ),
        )
        frame, bad = split_bad(
            frame,
            pl.col("_length").is_null() | (parts.list.len() < 3),
            "fewer than three tab-separated fields (start, end, netblock)",
        )
        rejected += bad
        prefixes = (pl.col("_start") + "/" + pl.col("_length")).alias("source.network")
        frame = frame.with_columns(prefixes).drop("_start", "_length")
        frame = frame.with_columns(
            pl.Series(
                "source.network",
                canonical_networks(frame["source.network"].to_list()),
                dtype=pl.Utf8,
            )
        )
        frame, bad = split_bad(
            frame, pl.col("source.network").is_null(), "start and netblock make no network prefix"
        )
        rejected += bad
        constants = dict(CONSTANTS)
        report_time = setup.options.get(REPORT_TIME)
        if isinstance(report_time, str):
            constants["time.source"] = report_time
        return Parsed(finish(frame, constants), rejected)
