"""ShadowServer's report types as data: the built-in mappings (one data
module per report family), the reader of ShadowServer's own published report
schema, and the column operations that apply either to a chunk.

No parser lives here; :mod:`baobab.pipeline.parsers.shadowserver` is the
parser that uses it.
"""

from __future__ import annotations

from baobab.pipeline.parsers.shadowserver_reports.catalog import (
    builtin_reports,
    catalog,
    find_report,
    report_from_file_name,
)
from baobab.pipeline.parsers.shadowserver_reports.plan import Plan, check_columns, plan_for
from baobab.pipeline.parsers.shadowserver_reports.schema import load_schema_file, parse_schema
from baobab.pipeline.parsers.shadowserver_reports.spec import FieldRule, ReportSpec, spec_from_entry

__all__ = [
    "FieldRule",
    "Plan",
    "ReportSpec",
    "builtin_reports",
    "catalog",
    "check_columns",
    "find_report",
    "load_schema_file",
    "parse_schema",
    "plan_for",
    "report_from_file_name",
    "spec_from_entry",
]
