"""Which report types the ShadowServer parser knows, and which one a file is.

The built-in types (data in :mod:`.scan`, :mod:`.events`, :mod:`.other`)
and, when an operator supplies ShadowServer's schema file, every type it
describes (the file's version of a type wins over the built-in one). A
report is named by ShadowServer's file-name part (``scan_telnet``); its
schema key and feed name (``Accessible-Telnet``) are accepted too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import PurePath

from baobab.pipeline.parsers.shadowserver_reports import events, other, scan
from baobab.pipeline.parsers.shadowserver_reports.schema import load_schema_file, parse_schema
from baobab.pipeline.parsers.shadowserver_reports.spec import ReportSpec

# 2024-05-01-scan_telnet-country-geo.csv, 2015-01-01-dns_openresolver-123-sample-asn.csv,
# scan_telnet.csv: the report type is the word after the date.
_FILE_NAME = re.compile(r"^(?:\d{4}-\d{2}-\d{2}-)?([A-Za-z0-9_]+)")


@cache
def builtin_reports() -> dict[str, ReportSpec]:
    """The report types Baobab ships, by name."""
    entries = {**scan.REPORTS, **events.REPORTS, **other.REPORTS}
    return dict(sorted(parse_schema(entries, "Baobab's built-in reports").items()))


def catalog(schema_file: str | os.PathLike[str] | None = None) -> dict[str, ReportSpec]:
    """The built-in report types, and those of ``schema_file`` when given."""
    reports = dict(builtin_reports())
    if schema_file:
        reports.update(load_schema_file(schema_file))
    return dict(sorted(reports.items()))


def find_report(name: str, reports: Mapping[str, ReportSpec]) -> ReportSpec | None:
    """The report type called ``name`` (its name, schema key or feed name)."""
    wanted = name.strip().lower()
    if not wanted:
        return None
    if wanted in reports:
        return reports[wanted]
    return next(
        (spec for spec in reports.values() if wanted in (spec.key.lower(), spec.feed_name.lower())),
        None,
    )


def report_from_file_name(file_name: str) -> str:
    """The report type a ShadowServer file name carries (empty when none)."""
    base = PurePath(file_name.replace("\\", "/")).name
    match = _FILE_NAME.match(base)
    return match.group(1).lower() if match else ""
