"""``baobab stats [--json]``: counts of the main objects."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from baobab.core.management.base import BaobabCommand
from baobab.core.models import Team, User
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.pipeline.choices import QuarantineStatus
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord


def counts() -> dict[str, int]:
    """How many of each main object the platform holds."""
    return {
        "teams": Team.objects.count(),
        "users": User.objects.count(),
        "organisations": Organisation.objects.count(),
        "contacts": Contact.objects.count(),
        "claims": ConstituencyClaim.objects.count(),
        "feeds": Feed.objects.count(),
        "runs": FeedRun.objects.count(),
        "events": Event.objects.count(),
        "unrouted_events": Event.objects.filter(team__isnull=True).count(),
        "quarantined": QuarantinedRecord.objects.filter(status=QuarantineStatus.OPEN).count(),
    }


class Command(BaobabCommand):
    help = "Print counts of the main objects (teams, events, quarantined records, …)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the counts as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        numbers = counts()
        if options["json"]:
            self.stdout.write(json.dumps(numbers, indent=2))
            return
        for name, value in numbers.items():
            self.stdout.write(f"{name.replace('_', ' '):<18} {value}")
