"""blocklist.de: lists of addresses reported for attacks, one address a line.

Each list (``all.txt``, ``ssh.txt``, ``mail.txt``…) is a report type of its
own, taken from the file name or given explicitly; its classification and
application follow IntelMQ's choices for the same lists. A file whose name
names no list is read as ``all`` (other/blacklist).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from baobab.pipeline.parsers._chunks import finish, guarded, text_frame
from baobab.pipeline.parsers.base import RAW, Parsed, Parser, Setup, UnknownReportError

PROVIDER = "blocklist.de"
DEFAULT_LIST = "all"

# list → (taxonomy, type, application, description)
LISTS: dict[str, tuple[str, str, str, str]] = {
    "all": ("other", "blacklist", "", ""),
    "ssh": (
        "intrusion-attempts",
        "ids-alert",
        "ssh",
        "IP reported as having run attacks on the service SSH",
    ),
    "mail": (
        "intrusion-attempts",
        "ids-alert",
        "smtp",
        "IP reported as having run attacks on the service Mail, Postfix",
    ),
    "apache": (
        "intrusion-attempts",
        "ids-alert",
        "http",
        "IP reported as having run attacks on the service Apache, Apache-DDoS, RFI-Attacks",
    ),
    "imap": (
        "intrusion-attempts",
        "ids-alert",
        "imap",
        "IP reported as having run attacks on the service IMAP, SASL, POP3",
    ),
    "ftp": (
        "intrusion-attempts",
        "ids-alert",
        "ftp",
        "IP reported as having run attacks on the service FTP",
    ),
    "sip": (
        "intrusion-attempts",
        "ids-alert",
        "sip",
        "IP reported as having run attacks on the service SIP, VOIP, Asterisk",
    ),
    "bots": (
        "abusive-content",
        "spam",
        "",
        "IP reported as having spammed on IRC, open forums, wikis or registration forms",
    ),
    "strongips": (
        "other",
        "blacklist",
        "",
        "IP reported as having run attacks in the last two months",
    ),
    "ircbot": ("malicious-code", "infected-system", "irc", ""),
    "bruteforcelogin": (
        "intrusion-attempts",
        "brute-force",
        "",
        "IP reported as having run brute-force logins on Joomla, WordPress and other web logins",
    ),
}


def list_from_file_name(file_name: str) -> str | None:
    """The blocklist.de list a file name names (``ssh.txt``, ``2024-05-01-ssh.txt``…)."""
    stem = re.sub(r"(\.[A-Za-z0-9]+)+$", "", file_name.replace("\\", "/").rsplit("/", 1)[-1])
    stem = stem.lower()
    if stem in LISTS:
        return stem
    words = [word for word in re.split(r"[^a-z0-9]+", stem) if word]
    return next((word for word in reversed(words) if word in LISTS), None)


class BlocklistDeParser(Parser):
    """blocklist.de address lists."""

    name = "blocklist-de"
    description = "blocklist.de attacker address lists (one address a line)"
    provider = PROVIDER

    def reports(self) -> Sequence[str]:
        """The lists: all, ssh, mail, apache, imap, ftp, sip, bots, strongips…"""
        return tuple(LISTS)

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """The list, as given or from the file name (``all`` when neither says)."""
        if report:
            if report.lower() not in LISTS:
                raise UnknownReportError(self.name, report, tuple(LISTS))
            chosen = report.lower()
        else:
            chosen = list_from_file_name(file_name) or DEFAULT_LIST
        return Setup(report=chosen, options=options)

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """One event per address."""
        frame, rejected = text_frame(lines, first_line)
        taxonomy, type_, application, description = LISTS.get(
            setup.report.lower(), LISTS[DEFAULT_LIST]
        )
        constants = {
            "classification.taxonomy": taxonomy,
            "classification.type": type_,
            "classification.identifier": f"blocklist-de-{setup.report or DEFAULT_LIST}",
            "feed.provider": PROVIDER,
        }
        if application:
            constants["protocol.application"] = application
        if description:
            constants["event_description.text"] = description
        frame = frame.with_columns(pl.col(RAW).str.strip_chars().alias("source.ip"))
        return Parsed(finish(frame, constants), rejected)
