"""The ShadowServer Foundation's reports (CSV, one report type per file):
accessible services and amplifiers found by scanning, sinkhole and honeypot
events, the IP blocklist, device identification, compromised websites, …

The report type comes from the file name (``2024-05-01-scan_telnet-country-geo.csv``)
or is given explicitly; its mapping comes from Baobab's built-in report
types or from ShadowServer's own published schema file (parser option
``schema_file``), which describes all of ShadowServer's report types.
Columns are matched by header name, so ShadowServer adding, dropping or
reordering optional columns changes nothing; a missing required column is a
clear :class:`ReportError`; a column no rule names goes to ``extra.<column>``.

Setup resolves the report and stores its mapping with the run, so the
workers that parse the chunks never need the schema file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from baobab.pipeline.parsers.base import (
    Parsed,
    Parser,
    ReportError,
    Setup,
    UnknownReportError,
)
from baobab.pipeline.parsers.shadowserver_reports import (
    ReportSpec,
    builtin_reports,
    catalog,
    check_columns,
    find_report,
    plan_for,
    report_from_file_name,
    spec_from_entry,
)
from baobab.pipeline.parsers.tabular import header_columns, read_delimited

SCHEMA_FILE = "schema_file"  # option: path of ShadowServer's schema.json
MAPPING = "shadowserver_mapping"  # set by setup: the report's mapping, schema-shaped


class ShadowServerParser(Parser):
    """ShadowServer reports, one report type per file."""

    name = "shadowserver"
    description = (
        "ShadowServer Foundation reports (CSV): accessible services, amplifiers, "
        "sinkhole and honeypot events, blocklist, … (report type from the file name)"
    )
    provider = "Shadowserver Foundation"
    data_file_options: ClassVar[dict[str, str]] = {SCHEMA_FILE: "shadowserver-schema.json"}

    def reports(self) -> Sequence[str]:
        """The built-in report types (a schema file adds ShadowServer's others)."""
        return tuple(builtin_reports())

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """The report type (given, or from the file name), the header and the
        report's mapping; :class:`UnknownReportError` lists the valid types,
        :class:`ReportError` names what is missing."""
        reports = catalog(_schema_file(options))
        wanted = report.strip() or report_from_file_name(file_name)
        spec = find_report(wanted, reports)
        if spec is None:
            raise UnknownReportError(self.name, wanted, list(reports))
        index = next((i for i, line in enumerate(head) if line.strip(b"\xef\xbb\xbf \t\r\n")), None)
        if index is None:
            raise ReportError(
                f"The file has no header line: a ShadowServer {spec.name} report "
                "starts with its column names."
            )
        columns = unique_names(header_columns(head[index]))
        check_columns(spec, columns)
        return Setup(
            report=spec.name,
            skip_lines=index + 1,
            columns=columns,
            options={**options, MAPPING: spec.as_json()},
        )

    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The chunk's events; lines that cannot be read are rejected with their reason."""
        frame, unreadable = read_delimited(lines, first_line, setup.columns)
        events, refused = plan_for(_spec(setup), setup.columns).apply(frame)
        return Parsed(events, [*unreadable, *refused])


def _schema_file(options: Mapping[str, Any]) -> str | None:
    value = options.get(SCHEMA_FILE)
    if value is None or value == "":
        return None
    if not isinstance(value, str | os.PathLike):
        raise ReportError(f"The {SCHEMA_FILE} option must be a file path, not {value!r}.")
    return os.fspath(value)


def _spec(setup: Setup) -> ReportSpec:
    """The report's mapping stored by :meth:`ShadowServerParser.setup` (or,
    for a setup made by hand, looked up again)."""
    mapping = setup.options.get(MAPPING)
    if mapping is not None:
        return spec_from_entry(setup.report, mapping)
    reports = catalog(_schema_file(setup.options))
    spec = find_report(setup.report, reports)
    if spec is None:
        raise UnknownReportError(ShadowServerParser.name, setup.report, list(reports))
    return spec


def unique_names(columns: Sequence[str]) -> tuple[str, ...]:
    """Header names made usable: an empty one is ``column_<n>``, a repeated one
    gets ``_2``, ``_3``… (the values stay, under ``extra.``)."""
    names: list[str] = []
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        name = column or f"column_{number}"
        candidate, count = name, 1
        while candidate in seen:
            count += 1
            candidate = f"{name}_{count}"
        seen.add(candidate)
        names.append(candidate)
    return tuple(names)
