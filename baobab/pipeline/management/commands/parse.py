"""``baobab parse --parser NAME [--report TYPE] FILE``: print a report's
normalised events as JSON lines, writing nothing to the database."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from baobab.core.management.base import BaobabCommand, UsageError, key_value_options
from baobab.pipeline.parsers import UnknownParserError
from baobab.pipeline.parsers.base import ReportError, UnknownReportError
from baobab.pipeline.runner import parse_file


class Command(BaobabCommand):
    help = (
        "Parse a report and print its normalised events as JSON lines (flat dotted "
        "field names); rejected records go to standard error. Nothing is stored."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The report.")
        parser.add_argument("--parser", required=True, help="The parser (see `baobab parsers`).")
        parser.add_argument(
            "--report", default="", help="The report type, when the parser has several."
        )
        parser.add_argument(
            "--option",
            action="append",
            default=[],
            metavar="KEY=JSON",
            help='A parser option, e.g. --option \'columns={"src": "source.ip"}\'.',
        )
        parser.add_argument("--route", action="store_true", help="Also route with the directory.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise UsageError(f"{path} is not a file.")
        parser_options = key_value_options(options["option"], as_json=True)
        rejected = 0
        try:
            for chunk in parse_file(
                path,
                parser_name=options["parser"],
                report=options["report"],
                options=parser_options,
                route_events=options["route"],
            ):
                self.stdout.write(chunk.result.events.write_ndjson(), ending="")
                for item in chunk.result.rejected:
                    rejected += 1
                    self.stderr.write(f"line {item.line}: {item.reason}")
        except (UnknownParserError, UnknownReportError, ReportError) as error:
            raise UsageError(str(error)) from error
        if rejected:
            self.stderr.write(f"{rejected} record(s) rejected.")
