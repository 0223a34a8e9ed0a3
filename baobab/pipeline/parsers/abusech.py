"""abuse.ch feeds: Feodo Tracker's botnet C2 IP blocklist, URLhaus, ThreatFox
(CSV and JSON exports) and SSLBL's botnet C2 IP blocklist.

The CSV exports open with a ``#`` banner and name their columns either in a
commented line (``# id,dateadded,url,…``) or in a quoted header line; the
header is found in the report's head and columns are matched by name, so the
older and newer layouts of each feed (abuse.ch changed them several times)
read alike. Classification follows IntelMQ's choices for these feeds.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from baobab.pipeline.parsers._chunks import finish, guarded, null_words, utc_time
from baobab.pipeline.parsers._csvfeed import CsvFeedParser, column_key, with_present
from baobab.pipeline.parsers._json import frame_from_rows, json_text, loads
from baobab.pipeline.parsers.base import (
    LINE_COLUMN,
    RAW,
    Parsed,
    Parser,
    Rejected,
    Setup,
    raw_text,
)
from baobab.pipeline.parsers.tabular import ColumnMapping, apply_mapping

PROVIDER = "abuse.ch"


class FeodoTrackerParser(CsvFeedParser):
    """Feodo Tracker botnet C2 IP blocklist (``ipblocklist.csv``)."""

    provider = PROVIDER
    name = "feodotracker"
    description = "abuse.ch Feodo Tracker botnet C2 IP blocklist (CSV)"
    required_fields = frozenset({"source.ip"})
    layouts = (
        ("first_seen_utc", "dst_ip", "dst_port", "c2_status", "last_online", "malware"),
        ("firstseen", "dstip", "dstport", "lastonline", "malware"),
        ("firstseen", "dstip", "dstport", "malware"),
        ("dst_ip",),  # ipblocklist_recommended.txt: one address a line
    )
    mapping = ColumnMapping(
        columns={
            "first_seen_utc": "time.source",
            "firstseen": "time.source",
            "first_seen": "time.source",
            "dst_ip": "source.ip",
            "dstip": "source.ip",
            "ip_address": "source.ip",
            "dst_port": "source.port",
            "dstport": "source.port",
            "port": "source.port",
            "c2_status": "status",
            "status": "status",
            "last_online": "extra.last_online",
            "lastonline": "extra.last_online",
            "malware": "malware.name",
            "hostname": "source.reverse_dns",
            "as_number": "source.asn",
            "as_name": "source.as_name",
            "country": "source.geolocation.cc",
        },
        constants={
            "classification.taxonomy": "malicious-code",
            "classification.type": "c2-server",
            "feed.provider": PROVIDER,
        },
    )

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        return with_present(
            frame,
            utc_time(pl.col("time.source")).alias("time.source"),
            pl.col("malware.name").str.to_lowercase().alias("malware.name"),
        )


_IP_LIKE = r"^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\]?)$"


class URLhausParser(CsvFeedParser):
    """URLhaus malware URLs (``csv_recent``, ``csv_online`` and the per-country,
    per-TLD and per-ASN exports)."""

    provider = PROVIDER
    name = "urlhaus"
    description = "abuse.ch URLhaus malware URL list (CSV)"
    required_fields = frozenset({"source.url"})
    layouts = (
        (
            "id",
            "dateadded",
            "url",
            "url_status",
            "last_online",
            "threat",
            "tags",
            "urlhaus_link",
            "reporter",
        ),
        ("id", "dateadded", "url", "url_status", "threat", "tags", "urlhaus_link", "reporter"),
    )
    mapping = ColumnMapping(
        columns={
            "id": "extra.urlhaus_id",
            "dateadded": "time.source",
            "dateadded_utc": "time.source",
            "url": "source.url",
            "url_status": "status",
            "last_online": "extra.last_online",
            "threat": "classification.identifier",
            "tags": "extra.tags",
            "urlhaus_link": "event_description.url",
            "reporter": "extra.reporter",
            "host": "source.fqdn",
            "ipaddress": "source.ip",
            "asnumber": "source.asn",
            "country": "source.geolocation.cc",
        },
        constants={
            "classification.taxonomy": "malicious-code",
            "classification.type": "malware-distribution",
            "feed.provider": PROVIDER,
        },
    )

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        frame = with_present(
            frame,
            utc_time(pl.col("time.source")).alias("time.source"),
            utc_time(pl.col("extra.last_online")).alias("extra.last_online"),
        )
        if "source.fqdn" in frame.columns:
            # The "host" of an address-only URL is the address, not a name.
            host = pl.col("source.fqdn").str.strip_chars()
            is_ip = host.str.contains(_IP_LIKE)
            ip = host.str.strip_chars("[]")
            frame = frame.with_columns(
                (
                    pl.coalesce(pl.col("source.ip"), pl.when(is_ip).then(ip))
                    if "source.ip" in frame.columns
                    else pl.when(is_ip).then(ip)
                ).alias("source.ip"),
                pl.when(is_ip).then(None).otherwise(host).alias("source.fqdn"),
            )
        return frame


# ThreatFox threat types → (taxonomy, type); anything else is other/undetermined.
THREATFOX_CLASSES: dict[str, tuple[str, str]] = {
    "botnet_cc": ("malicious-code", "c2-server"),
    "payload_delivery": ("malicious-code", "malware-distribution"),
    "payload": ("other", "malware"),
    "cc_skimming": ("malicious-code", "malware-distribution"),
}
# ThreatFox IOC types → the field the IOC's value goes to.
THREATFOX_IOC_FIELDS: dict[str, str] = {
    "domain": "source.fqdn",
    "url": "source.url",
    "md5_hash": "malware.hash.md5",
    "sha1_hash": "malware.hash.sha1",
    "sha256_hash": "malware.hash.sha256",
}
_THREATFOX_MAPPING = ColumnMapping(
    columns={
        "first_seen_utc": "time.source",
        "first_seen": "time.source",
        "ioc_id": "extra.ioc_id",
        "id": "extra.ioc_id",
        "ioc_value": "extra.ioc",
        "ioc": "extra.ioc",
        "ioc_type": "extra.ioc_type",
        "threat_type": "extra.threat_type",
        "fk_malware": "extra.malware_id",
        "malware": "extra.malware_id",
        "malware_alias": "extra.malware_alias",
        "malware_printable": "malware.name",
        "last_seen_utc": "extra.last_seen",
        "last_seen": "extra.last_seen",
        "confidence_level": "feed.accuracy",
        "is_compromised": "extra.is_compromised",
        "reference": "extra.reference",
        "tags": "extra.tags",
        "anonymous": "extra.anonymous",
        "reporter": "extra.reporter",
    },
    constants={"feed.provider": PROVIDER},
)


def threatfox_events(frame: pl.DataFrame) -> pl.DataFrame:
    """ThreatFox IOCs (already mapped) as events: the IOC's value goes to the
    field its type calls for, the threat type gives the classification."""
    for name in ("extra.ioc", "extra.ioc_type", "extra.threat_type"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(name))
    ioc = pl.col("extra.ioc").str.strip_chars()
    ioc_type = pl.col("extra.ioc_type").str.strip_chars().str.to_lowercase()
    threat = pl.col("extra.threat_type").str.strip_chars().str.to_lowercase()
    ip_port = ioc.str.extract_groups(r"^\[?(?<ip>.+?)\]?:(?<port>\d{1,5})$")
    is_ip_port = ioc_type == "ip:port"
    derived = [
        pl.when(is_ip_port).then(pl.coalesce(ip_port.struct.field("ip"), ioc)).alias("source.ip"),
        pl.when(is_ip_port).then(ip_port.struct.field("port")).alias("source.port"),
        *(
            pl.when(ioc_type == kind).then(ioc).alias(field)
            for kind, field in THREATFOX_IOC_FIELDS.items()
        ),
        threat.replace_strict(
            {key: value[0] for key, value in THREATFOX_CLASSES.items()},
            default="other",
            return_dtype=pl.Utf8,
        ).alias("classification.taxonomy"),
        threat.replace_strict(
            {key: value[1] for key, value in THREATFOX_CLASSES.items()},
            default="undetermined",
            return_dtype=pl.Utf8,
        ).alias("classification.type"),
        # The value stays under extra only when no field took it (sha3_384_hash…).
        pl.when(is_ip_port | ioc_type.is_in(list(THREATFOX_IOC_FIELDS)))
        .then(None)
        .otherwise(ioc)
        .alias("extra.ioc"),
    ]
    frame = frame.with_columns(derived)
    return with_present(
        frame,
        utc_time(pl.col("time.source")).alias("time.source"),
        utc_time(pl.col("extra.last_seen")).alias("extra.last_seen"),
        pl.col("malware.name").str.to_lowercase().alias("malware.name"),
    )


class ThreatFoxParser(CsvFeedParser):
    """ThreatFox IOCs, CSV export (``export/csv/recent`` and the full dump)."""

    provider = PROVIDER
    name = "threatfox"
    description = "abuse.ch ThreatFox IOC export (CSV)"
    required_fields = frozenset({"extra.ioc", "extra.ioc_type"})
    spaced = True
    null_values = ("", "None")
    layouts = (
        (
            "first_seen_utc",
            "ioc_id",
            "ioc_value",
            "ioc_type",
            "threat_type",
            "fk_malware",
            "malware_alias",
            "malware_printable",
            "last_seen_utc",
            "confidence_level",
            "is_compromised",
            "reference",
            "tags",
            "anonymous",
            "reporter",
        ),
        (
            "first_seen_utc",
            "ioc_id",
            "ioc_value",
            "ioc_type",
            "threat_type",
            "fk_malware",
            "malware_alias",
            "malware_printable",
            "last_seen_utc",
            "confidence_level",
            "reference",
            "tags",
            "anonymous",
            "reporter",
        ),
    )
    mapping = _THREATFOX_MAPPING

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        return threatfox_events(frame)


class ThreatFoxJsonParser(Parser):
    """ThreatFox IOCs, JSON export (``export/json/recent``: an object of IOC id →
    list of IOCs) or an API answer (``{"query_status": …, "data": [...]}``)."""

    name = "threatfox-json"
    description = "abuse.ch ThreatFox IOC export (JSON)"
    provider = PROVIDER
    line_based = False

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The document's IOCs as events, numbered by their place in it."""
        document = b"\n".join(lines)
        if not document.strip():
            return Parsed(finish(pl.DataFrame(), {}))
        try:
            data = loads(document.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            return Parsed(
                finish(pl.DataFrame(), {}),
                [Rejected(first_line, raw_text(document), f"not a JSON document: {error}")],
            )
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []
        raws: list[str] = []
        rejected: list[Rejected] = []
        for number, (key, record) in enumerate(_threatfox_records(data), start=first_line):
            text = json.dumps(record, ensure_ascii=False)
            if not isinstance(record, dict):
                rejected.append(Rejected(number, text[:65_536], "an IOC is not a JSON object"))
                continue
            row = {column_key(name): json_text(value) for name, value in record.items()}
            if key is not None:
                row.setdefault("ioc_id", key)
            rows.append(row)
            numbers.append(number)
            raws.append(text)
        if not isinstance(data, dict | list):
            rejected.append(
                Rejected(first_line, raw_text(document), "not a ThreatFox export (no IOCs)")
            )
        frame = frame_from_rows(rows, numbers, raws)
        frame = frame.with_columns(
            null_words(name, ("", "None"))
            for name in frame.columns
            if name not in (LINE_COLUMN, RAW)
        )
        events = threatfox_events(apply_mapping(frame, _THREATFOX_MAPPING))
        return Parsed(finish(events, _THREATFOX_MAPPING.constants), rejected)


def _threatfox_records(data: Any) -> list[tuple[str | None, Any]]:
    """(IOC id or None, IOC) pairs of a ThreatFox JSON document."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return [(None, record) for record in data["data"]]
    if isinstance(data, dict):
        pairs: list[tuple[str | None, Any]] = []
        for key, value in data.items():
            for record in value if isinstance(value, list) else [value]:
                pairs.append((str(key), record))
        return pairs
    if isinstance(data, list):
        return [(None, record) for record in data]
    return []


class SSLBLParser(CsvFeedParser):
    """SSLBL botnet C2 IP blocklist (``sslipblacklist.csv`` and its aggressive variant)."""

    provider = PROVIDER
    name = "sslbl"
    description = "abuse.ch SSLBL botnet C2 IP blocklist (CSV)"
    required_fields = frozenset({"source.ip"})
    layouts = (("firstseen", "dstip", "dstport"), ("firstseen", "dstip", "dstport", "malware"))
    mapping = ColumnMapping(
        columns={
            "firstseen": "time.source",
            "first_seen_utc": "time.source",
            "dstip": "source.ip",
            "dst_ip": "source.ip",
            "dstport": "source.port",
            "dst_port": "source.port",
            "malware": "malware.name",
            "listingreason": "malware.name",
        },
        constants={
            "classification.taxonomy": "malicious-code",
            "classification.type": "c2-server",
            "feed.provider": PROVIDER,
        },
    )

    def refine(self, frame: pl.DataFrame) -> pl.DataFrame:
        return with_present(
            frame,
            utc_time(pl.col("time.source")).alias("time.source"),
            pl.col("malware.name")
            .str.replace(r"(?i)\s*c(&|and)c$", "")
            .str.to_lowercase()
            .alias("malware.name"),
        )
