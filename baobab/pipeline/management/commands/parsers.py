"""``baobab parsers``: the parsers Baobab ships, with their report types."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from baobab.core.management.base import BaobabCommand
from baobab.pipeline.parsers import registry


class Command(BaobabCommand):
    help = "List the feed parsers and their report types."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the list as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = []
        for name, parser_class in registry().items():
            parser = parser_class()
            rows.append(
                {
                    "name": name,
                    "provider": parser_class.provider,
                    "description": parser_class.description,
                    "reports": list(parser.reports()),
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            self.stdout.write(f"{row['name']:<20} {row['description']}")
            if row["reports"]:
                self.stdout.write(f"{'':<20} report types: {', '.join(row['reports'])}")
