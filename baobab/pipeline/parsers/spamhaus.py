"""Spamhaus "Don't Route Or Peer" lists: DROP / EDROP (network prefixes) and
ASN-DROP (autonomous systems).

DROP comes as text (``1.10.16.0/20 ; SBL256894`` under ``;`` comments whose
``Last-Modified`` dates the list) or as JSON lines (``drop_v4.json``:
``{"cidr": …, "sblid": …, "rir": …}``). ASN-DROP comes as JSON lines
(``{"asn": 64496, "rir": …, "domain": …, "cc": …, "asname": …}``) or in the
older text form ``AS64496 ; CC | NAME``. Both lists end their JSON form with
a ``{"type": "metadata", …}`` line, which is not a record. Every entry is
classified other/blacklist, as IntelMQ does.
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
from baobab.pipeline.parsers._json import frame_from_rows, json_objects, json_text
from baobab.pipeline.parsers.base import LINE_COLUMN, RAW, Parsed, Parser, Rejected, Setup

PROVIDER = "Spamhaus"
REPORT_TIME = "report_time"  # the list's Last-Modified, learnt from its head
CONSTANTS = {
    "classification.taxonomy": "other",
    "classification.type": "blacklist",
    "feed.provider": PROVIDER,
}
REGISTRIES = {"ripencc": "RIPE", "ripe ncc": "RIPE", "ripe": "RIPE"}


def _last_modified(head: list[bytes]) -> str | None:
    """The ``; Last-Modified: …`` date of a Spamhaus text list, in UTC."""
    for line in head:
        text = line.decode("utf-8", "replace").strip().lstrip(";").strip()
        if text.lower().startswith("last-modified:"):
            return http_date(text.split(":", 1)[1])
    return None


def _registry(value: Any) -> str | None:
    text = json_text(value)
    if text is None:
        return None
    return REGISTRIES.get(text.strip().lower(), text.strip().upper())


class SpamhausListParser(Parser):
    """What both Spamhaus lists share: the date in the head, text and JSON lines."""

    provider = PROVIDER

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Learn the list's date (``Last-Modified``) from its head."""
        learnt = dict(options)
        modified = _last_modified(head)
        if modified:
            learnt[REPORT_TIME] = modified
        return Setup(report=report, options=learnt)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The chunk's entries as events (text and JSON lines may be mixed)."""
        frame, rejected = text_frame(lines, first_line, comments=(";", "#"))
        is_json = pl.col(RAW).str.strip_chars_start().str.starts_with("{")
        json_rows = frame.filter(is_json)
        text_events, text_rejected = self.text_events(frame.filter(~is_json))
        json_events, json_rejected = self.json_events(json_rows)
        frames = [events for events in (text_events, json_events) if events.height]
        events = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
        constants = dict(CONSTANTS)
        report_time = setup.options.get(REPORT_TIME)
        if isinstance(report_time, str):
            constants["time.source"] = report_time
        events = finish(events, constants)
        if events.height:
            events = events.sort(LINE_COLUMN)
        return Parsed(events, rejected + text_rejected + json_rejected)

    def text_events(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        """Events of the text-form lines."""
        raise NotImplementedError

    def json_events(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        """Events of the JSON-lines form."""
        objects, rejected = json_objects(frame)
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []
        raws: list[str] = []
        for line, text, value in objects:
            if str(value.get("type", "")).lower() == "metadata":
                continue  # the list's closing summary, not an entry
            row = self.json_row(value)
            if row is None:
                rejected.append(Rejected(line, text[:65_536], self.json_missing))
                continue
            rows.append(row)
            numbers.append(line)
            raws.append(text)
        return frame_from_rows(rows, numbers, raws), rejected

    json_missing = "no entry in this JSON object"

    def json_row(self, value: dict[str, Any]) -> dict[str, str | None] | None:
        """The fields of one JSON entry (None when it has none of the list's keys)."""
        raise NotImplementedError


class SpamhausDropParser(SpamhausListParser):
    """Spamhaus DROP and EDROP network lists (``drop.txt``, ``edrop.txt``,
    ``dropv6.txt``, ``drop_v4.json``, ``drop_v6.json``)."""

    name = "spamhaus-drop"
    description = "Spamhaus DROP / EDROP network prefixes"
    json_missing = "the JSON object has no 'cidr'"

    def text_events(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        parts = pl.col(RAW).str.split(";")
        frame = frame.with_columns(
            parts.list.get(0, null_on_oob=True).str.strip_chars().alias("source.network"),
            parts.list.get(1, null_on_oob=True).str.strip_chars().alias("extra.blocklist"),
        )
        frame = frame.with_columns(
            pl.Series(
                "source.network",
                canonical_networks(frame["source.network"].to_list()),
                dtype=pl.Utf8,
            )
        )
        return split_bad(
            frame, pl.col("source.network").is_null(), "not a network prefix ('prefix ; SBLnnn')"
        )

    def json_row(self, value: dict[str, Any]) -> dict[str, str | None] | None:
        cidr = json_text(value.get("cidr"))
        network = canonical_networks([cidr])[0] if cidr else None
        if network is None:
            return None
        return {
            "source.network": network,
            "extra.blocklist": json_text(value.get("sblid")),
            "source.registry": _registry(value.get("rir")),
        }


ASN_TEXT = r"^\s*(?i:AS)?\s*(?<asn>\d+)\s*;\s*(?<cc>[A-Za-z]{2})?\s*(?:\|\s*(?<name>.*?))?\s*$"


class SpamhausAsnDropParser(SpamhausListParser):
    """Spamhaus ASN-DROP (``asndrop.json``; the older ``asndrop.txt`` too)."""

    name = "spamhaus-asndrop"
    description = "Spamhaus ASN-DROP autonomous systems"
    json_missing = "the JSON object has no 'asn'"

    def text_events(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Rejected]]:
        groups = pl.col(RAW).str.extract_groups(ASN_TEXT)
        frame = frame.with_columns(
            groups.struct.field("asn").alias("source.asn"),
            groups.struct.field("cc").str.to_uppercase().alias("source.geolocation.cc"),
            groups.struct.field("name").alias("source.as_name"),
        )
        return split_bad(
            frame, pl.col("source.asn").is_null(), "not an ASN-DROP line ('ASnnn ; CC | NAME')"
        )

    def json_row(self, value: dict[str, Any]) -> dict[str, str | None] | None:
        asn = json_text(value.get("asn"))
        if asn is None or not asn.strip():
            return None
        return {
            "source.asn": asn,
            "source.as_name": json_text(value.get("asname")),
            "source.geolocation.cc": json_text(value.get("cc")),
            "source.registry": _registry(value.get("rir")),
            "extra.domain": json_text(value.get("domain")),
        }
