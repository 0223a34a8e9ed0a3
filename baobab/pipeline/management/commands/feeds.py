"""``baobab feeds add|list|run``: register feeds, list them with their last
run, and run a feed's collector now."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from baobab.core.choices import TLP
from baobab.core.management.base import BaobabCommand, UsageError, key_value_options
from baobab.core.models import Team
from baobab.pipeline.choices import Collector
from baobab.pipeline.collectors import CollectorError, collect, due_feeds
from baobab.pipeline.management.commands.ingest import format_summary, run_summary
from baobab.pipeline.models import Feed, FeedRun
from baobab.pipeline.services import create_feed


class Command(BaobabCommand):
    help = "Manage feeds: add one, list them, run one's collector now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="Register a feed.")
        add.add_argument("name")
        add.add_argument("--parser", required=True, help="See `baobab parsers`.")
        add.add_argument("--report", default="", help="The report type, if the parser has several.")
        add.add_argument("--tlp", default="amber", help="TLP of its events (default AMBER).")
        add.add_argument("--provider", default="")
        add.add_argument("--team", help="Short name of the team running the feed.")
        add.add_argument(
            "--collector",
            default=Collector.UPLOAD,
            choices=Collector.values,
            help="Default upload.",
        )
        add.add_argument("--collector-option", action="append", default=[], metavar="KEY=VALUE")
        add.add_argument("--parser-option", action="append", default=[], metavar="KEY=JSON")
        add.add_argument("--every", type=int, metavar="MINUTES", help="Fetch every N minutes.")
        add.add_argument("--type", default="", help="Default RSIT classification type.")
        listing = actions.add_parser("list", help="List the feeds and their last runs.")
        listing.add_argument("--json", action="store_true")
        run = actions.add_parser("run", help="Run a feed's collector now.")
        run.add_argument("name")
        run.add_argument("--json", action="store_true")
        run.add_argument("--force", action="store_true", help="Fetch even if unchanged.")
        due = actions.add_parser(
            "collect-due", help="Collect every feed whose schedule is due (for cron)."
        )
        due.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        try:
            tlp = TLP.from_label(options["tlp"])
        except ValueError as error:
            raise UsageError(str(error)) from error
        team = None
        if options["team"]:
            team = Team.objects.filter(short_name__iexact=options["team"]).first()
            if team is None:
                raise UsageError(f"There is no team {options['team']}.")
        try:
            feed = create_feed(
                acting_user=None,
                name=options["name"],
                parser=options["parser"],
                report=options["report"],
                tlp=tlp,
                provider=options["provider"],
                owner_team=team,
                collector=options["collector"],
                collector_options=key_value_options(options["collector_option"], as_json=False),
                parser_options=key_value_options(options["parser_option"], as_json=True),
                schedule_minutes=options["every"],
                classification_type=options["type"],
            )
        except ValidationError as error:
            raise UsageError(" ".join(_messages(error))) from error
        self.stdout.write(f"Feed {feed.name} added (parser {feed.parser}).")

    def _list(self, options: dict[str, Any]) -> None:
        rows: list[dict[str, Any]] = []
        for feed in Feed.objects.select_related("owner_team"):
            last = feed.runs.first()
            rows.append(
                {
                    "name": feed.name,
                    "parser": feed.parser,
                    "report": feed.report,
                    "collector": feed.collector,
                    "team": feed.owner_team.short_name if feed.owner_team else None,
                    "tlp": feed.tlp,
                    "enabled": feed.enabled,
                    "last_run": run_summary(last) if last else None,
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2, default=str))
            return
        for row in rows:
            summary: dict[str, Any] | None = row["last_run"]
            state = (
                f"last run {summary['run']}: {summary['status']}, {summary['stored']} stored"
                if summary
                else "never run"
            )
            self.stdout.write(
                f"{row['name']:<28} {row['parser']:<14} {row['collector']:<8} {state}"
            )

    def _run(self, options: dict[str, Any]) -> None:
        feed = Feed.objects.filter(name=options["name"]).first()
        if feed is None:
            raise UsageError(f"There is no feed {options['name']!r}.")
        try:
            runs = collect(feed, acting_user=None, force=options["force"])
        except CollectorError as error:
            raise UsageError(str(error)) from error
        self._print_runs(runs, options, feed.name)

    def _collect_due(self, options: dict[str, Any]) -> None:
        runs: list[FeedRun] = []
        for feed in due_feeds(timezone.now()):
            try:
                runs.extend(collect(feed, acting_user=None))
            except CollectorError as error:
                self.stderr.write(f"{feed.name}: {error}")
        self._print_runs(runs, options, "due feeds")

    def _print_runs(self, runs: list[FeedRun], options: dict[str, Any], what: str) -> None:
        summaries = [run_summary(run) for run in runs]
        if options["json"]:
            self.stdout.write(json.dumps(summaries, indent=2))
            return
        if not summaries:
            self.stdout.write(f"{what}: nothing new.")
        for summary in summaries:
            self.stdout.write(format_summary(summary))


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
    return list(error.messages)
