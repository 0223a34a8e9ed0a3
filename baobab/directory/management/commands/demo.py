"""``baobab demo``: load the fictional demo community."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from baobab.core.management.base import BaobabCommand
from baobab.core.models import Team
from baobab.directory import demo
from baobab.notify import demo as notify_demo
from baobab.pipeline import demo as pipeline_demo
from baobab.sharing import demo as sharing_demo


class Command(BaobabCommand):
    help = "Load the demo community (fictional teams, documentation address space)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load it when the database holds no team yet (used by `make run`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo.is_loaded():
            self.stdout.write("The demo community is already loaded.")
        elif options["if_empty"] and Team.objects.exists():
            self.stdout.write("Teams exist already: the demo community was not loaded.")
            return
        else:
            counts = demo.load()
            counts.update(pipeline_demo.load_events())
            counts.update(notify_demo.load())
            counts.update(sharing_demo.load())
            summary = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo community loaded: {summary}."))
        users = ", ".join(username for username, *_rest in demo.USERS)
        self.stdout.write(
            f"Demo log-in: user 'coordinator' (community admin), password '{demo.DEMO_PASSWORD}'.\n"
            f"Other demo users, same password: {users}."
        )
