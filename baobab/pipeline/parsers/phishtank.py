"""PhishTank's verified phishing list (``online-valid.csv``).

A CSV file with a header: ``phish_id, url, phish_detail_url,
submission_time, verified, verification_time, online, target``; columns are
matched by name, so added or reordered ones do no harm. Every URL is
classified fraud/phishing, as IntelMQ does.
"""

from __future__ import annotations

import polars as pl

from baobab.pipeline.parsers._chunks import utc_time
from baobab.pipeline.parsers._csvfeed import CsvFeedParser, with_present
from baobab.pipeline.parsers.tabular import ColumnMapping

PROVIDER = "PhishTank"


class PhishTankParser(CsvFeedParser):
    """PhishTank verified online phishing URLs."""

    name = "phishtank"
    description = "PhishTank verified phishing URLs (CSV)"
    provider = PROVIDER
    required_fields = frozenset({"source.url"})
    layouts = (
        (
            "phish_id",
            "url",
            "phish_detail_url",
            "submission_time",
            "verified",
            "verification_time",
            "online",
            "target",
        ),
    )
    mapping = ColumnMapping(
        columns={
            "phish_id": "extra.phish_id",
            "url": "source.url",
            "phish_detail_url": "event_description.url",
            "submission_time": "time.source",
            "verified": "extra.verified",
            "verification_time": "extra.verification_time",
            "online": "extra.online",
            "target": "extra.target",
        },
        constants={
            "classification.taxonomy": "fraud",
            "classification.type": "phishing",
            "feed.provider": PROVIDER,
        },
    )

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        return with_present(
            frame,
            utc_time(pl.col("time.source")).alias("time.source"),
            utc_time(pl.col("extra.verification_time")).alias("extra.verification_time"),
        )
