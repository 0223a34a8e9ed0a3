"""OpenPhish's community feed (``feed.txt``): phishing URLs, one a line.

Every URL is classified fraud/phishing, as IntelMQ does.
"""

from __future__ import annotations

import polars as pl

from baobab.pipeline.parsers._chunks import finish, guarded, text_frame
from baobab.pipeline.parsers.base import RAW, Parsed, Parser, Setup

PROVIDER = "OpenPhish"
CONSTANTS = {
    "classification.taxonomy": "fraud",
    "classification.type": "phishing",
    "feed.provider": PROVIDER,
}


class OpenPhishParser(Parser):
    """OpenPhish community feed."""

    name = "openphish"
    description = "OpenPhish phishing URLs (one URL a line)"
    provider = PROVIDER

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """One event per URL."""
        frame, rejected = text_frame(lines, first_line)
        frame = frame.with_columns(pl.col(RAW).str.strip_chars().alias("source.url"))
        return Parsed(finish(frame, CONSTANTS), rejected)
