"""``baobab events purge``: delete events past their feed's retention."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from baobab.core.management.base import BaobabCommand
from baobab.pipeline.services import purge_events


class Command(BaobabCommand):
    help = "Delete events older than their feed's retention (EVENT_RETENTION_DAYS by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("purge", help="Delete events past their retention.")

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_events()
        self.stdout.write(f"{deleted} event(s) deleted.")
