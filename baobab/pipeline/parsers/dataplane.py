"""DataPlane.org reports (sshpwauth, sipquery, dnsrd, proto41…): addresses
seen doing one kind of thing, one a line.

Lines are ``ASN | ASname | ipaddr | lastseen | category`` (``proto41`` adds a
``firstseen`` before ``lastseen``) under ``#`` comments; fields are separated
by a pipe, and as an AS name may itself hold pipes the fields are taken from
both ends of the line. ``NA`` means no value. The category gives the
classification and the application, following IntelMQ's choices.
"""

from __future__ import annotations

import polars as pl

from baobab.pipeline.parsers._chunks import finish, guarded, split_bad, text_frame, utc_time
from baobab.pipeline.parsers.base import RAW, Parsed, Parser, Setup

PROVIDER = "DataPlane.org"

# category → (taxonomy, type, application, description)
CATEGORIES: dict[str, tuple[str, str, str, str]] = {
    "dnsrd": (
        "information-gathering",
        "scanner",
        "dns",
        "Address seen sending recursive DNS queries to a remote host.",
    ),
    "dnsrdany": (
        "information-gathering",
        "scanner",
        "dns",
        "Address seen sending recursive DNS IN ANY queries to a remote host.",
    ),
    "dnsversion": (
        "information-gathering",
        "scanner",
        "dns",
        "Address seen sending DNS CH TXT version.bind queries to a remote host.",
    ),
    "proto41": (
        "other",
        "proxy",
        "6to4",
        "Address offers open IPv6 over IPv4 tunnelling (protocol 41).",
    ),
    "sipinvitation": (
        "intrusion-attempts",
        "brute-force",
        "sip",
        "Address seen sending SIP INVITE requests to a remote host.",
    ),
    "sipquery": (
        "intrusion-attempts",
        "brute-force",
        "sip",
        "Address seen sending SIP OPTIONS queries to a remote host.",
    ),
    "sipregistration": (
        "intrusion-attempts",
        "brute-force",
        "sip",
        "Address seen sending SIP REGISTER requests to a remote host.",
    ),
    "smtpdata": (
        "information-gathering",
        "scanner",
        "smtp",
        "Address seen sending SMTP DATA to a remote host.",
    ),
    "smtpgreet": (
        "information-gathering",
        "scanner",
        "smtp",
        "Address seen greeting a remote SMTP server (HELO/EHLO).",
    ),
    "sshclient": (
        "information-gathering",
        "scanner",
        "ssh",
        "Address seen opening SSH connections to a remote host.",
    ),
    "sshpwauth": (
        "intrusion-attempts",
        "brute-force",
        "ssh",
        "Address seen attempting SSH password logins on a remote host.",
    ),
    "telnetlogin": (
        "intrusion-attempts",
        "brute-force",
        "telnet",
        "Address seen attempting telnet logins on a remote host.",
    ),
    "vncrfb": (
        "information-gathering",
        "scanner",
        "vnc",
        "Address seen opening VNC (RFB) sessions to a remote host.",
    ),
}
UNKNOWN = ("other", "undetermined", "", "")
_TIME = r"^\s*\d{4}-\d{2}-\d{2}"


def _by_category(category: pl.Expr, index: int, default: str) -> pl.Expr:
    return category.replace_strict(
        {name: values[index] for name, values in CATEGORIES.items()},
        default=default or None,
        return_dtype=pl.Utf8,
    )


class DataplaneParser(Parser):
    """DataPlane.org reports, every category."""

    name = "dataplane"
    description = "DataPlane.org address reports (pipe-separated, per category)"
    provider = PROVIDER

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """One event per line; the category on the line classifies it."""
        frame, rejected = text_frame(lines, first_line)
        parts = pl.col(RAW).str.split("|")
        count = parts.list.len()
        frame, bad = split_bad(
            frame, count < 5, "fewer than five '|'-separated fields (ASN | ASname | ip | …)"
        )
        rejected += bad

        def part(index: int) -> pl.Expr:
            return parts.list.get(index, null_on_oob=True).str.strip_chars()

        # proto41 lines carry a first-seen time before the last-seen one.
        with_first_seen = part(-3).str.contains(_TIME) & (count >= 6)
        tail = pl.when(with_first_seen).then(4).otherwise(3)
        category = part(-1).str.to_lowercase()
        frame = frame.with_columns(
            part(0).alias("source.asn"),
            parts.list.slice(1, count - 1 - tail)
            .list.join("|")
            .str.strip_chars()
            .alias("source.as_name"),
            pl.when(with_first_seen).then(part(-4)).otherwise(part(-3)).alias("source.ip"),
            pl.when(with_first_seen).then(part(-3)).alias("extra.first_seen"),
            part(-2).alias("time.source"),
            category.alias("classification.identifier"),
            _by_category(category, 0, UNKNOWN[0]).alias("classification.taxonomy"),
            _by_category(category, 1, UNKNOWN[1]).alias("classification.type"),
            _by_category(category, 2, "").alias("protocol.application"),
            _by_category(category, 3, "").alias("event_description.text"),
        )
        frame = frame.with_columns(
            *(
                pl.when(pl.col(name).str.to_uppercase() == "NA")
                .then(None)
                .otherwise(pl.col(name))
                .alias(name)
                for name in ("source.asn", "source.as_name")
            ),
            utc_time(pl.col("time.source")).alias("time.source"),
            utc_time(pl.col("extra.first_seen")).alias("extra.first_seen"),
        )
        return Parsed(finish(frame, {"feed.provider": PROVIDER}), rejected)
