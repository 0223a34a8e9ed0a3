"""``baobab ingest --feed NAME FILE [--json]``: run a report through the whole
pipeline and print what happened to it."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from baobab.core.management.base import BaobabCommand, UsageError
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Feed, FeedRun
from baobab.pipeline.runner import resume_run
from baobab.pipeline.services import submit_report


def run_summary(run: FeedRun) -> dict[str, Any]:
    """The counts of a run, as ``ingest --json`` prints them."""
    return {
        "run": run.pk,
        "feed": run.feed.name,
        "status": run.status,
        "report": run.report,
        "parsed": run.parsed,
        "stored": run.stored,
        "duplicates": run.duplicates,
        "quarantined": run.quarantined,
        "unrouted": run.unrouted,
        "per_team": dict(sorted(run.per_team.items())),
        "chunks": run.chunk_count,
        "errors": run.errors,
        "duration_seconds": run.duration_seconds,
    }


class Command(BaobabCommand):
    help = (
        "Run a report through the pipeline (parse, normalise, deduplicate, enrich, route, store)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="The report.")
        parser.add_argument("--feed", help="The feed's name (see `baobab feeds list`).")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
        parser.add_argument(
            "--resume", type=int, metavar="RUN", help="Finish an interrupted run instead."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600.0,
            help="With workers: how long to wait for the run to finish (seconds).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"]:
            run = FeedRun.objects.filter(pk=options["resume"]).select_related("feed").first()
            if run is None:
                raise UsageError(f"There is no run {options['resume']}.")
            run = wait_for(resume_run(run), options["timeout"])
        else:
            run = self._ingest(options)
        summary = run_summary(run)
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.stdout.write(format_summary(summary))
        if run.status == RunStatus.FAILED:
            raise UsageError("; ".join(run.errors) or "The run failed.")

    def _ingest(self, options: dict[str, Any]) -> FeedRun:
        if not options["feed"] or not options["file"]:
            raise UsageError("Give --feed NAME and the report FILE (or --resume RUN).")
        feed = Feed.objects.filter(name=options["feed"]).first()
        if feed is None:
            names = ", ".join(Feed.objects.values_list("name", flat=True)) or "none yet"
            raise UsageError(f"There is no feed {options['feed']!r}. Feeds: {names}.")
        path = Path(options["file"])
        if not path.is_file():
            raise UsageError(f"{path} is not a file.")
        run = submit_report(feed, path, source=f"cli:{path}", file_name=path.name, acting_user=None)
        return wait_for(run, options.get("timeout") or 3600.0)


def wait_for(run: FeedRun, timeout: float) -> FeedRun:
    """The run once its chunks are done (workers process them; in-process
    runs are done already), or as it stands after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if run.status in (RunStatus.DONE, RunStatus.FAILED) or time.monotonic() > deadline:
            return run
        time.sleep(0.2)


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as lines of text."""
    lines = [f"Run {summary['run']} of feed {summary['feed']}: {summary['status']}"]
    if summary["report"]:
        lines.append(f"  report type: {summary['report']}")
    for name in ("parsed", "stored", "duplicates", "quarantined", "unrouted"):
        lines.append(f"  {name:<12} {summary[name]}")
    for team, count in summary["per_team"].items():
        lines.append(f"  routed to {team}: {count}")
    lines.extend(f"  error: {error}" for error in summary["errors"])
    return "\n".join(lines)
