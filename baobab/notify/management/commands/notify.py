"""``baobab notify run [--dry-run] [--now] [--team NAME] [--json]``: build the
digests that are due and deliver the outbox; ``baobab notify preview --team
NAME``: what the team would send now (nothing stored, nothing sent)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import Team
from baobab.notify import delivery, outbox


def _team(name: str | None) -> Team | None:
    if not name:
        return None
    team = Team.objects.filter(short_name=name).first()
    if team is None:
        known = ", ".join(Team.objects.order_by("short_name").values_list("short_name", flat=True))
        raise UsageError(f"Unknown team {name!r}. Teams: {known or 'none'}.")
    return team


class Command(BaobabCommand):
    help = "Build and send notification digests (run), or show what a team would send (preview)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = actions.add_parser("run", help="Build what is due and deliver the outbox.")
        run.add_argument("--dry-run", action="store_true", help="Show, store and send nothing.")
        run.add_argument(
            "--now", action="store_true", help="Everything pending, whatever its interval."
        )
        run.add_argument("--team", help="Only this team's policies (short name).")
        run.add_argument("--json", action="store_true", help="A JSON summary.")
        preview = actions.add_parser("preview", help="What a team would send now.")
        preview.add_argument("--team", required=True, help="The team's short name.")

    def handle(self, *args: Any, **options: Any) -> None:
        team = _team(options.get("team"))
        if options["action"] == "preview":
            self._show(outbox.run(team=team, force=True, dry_run=True), bodies=True)
            return
        dry_run = bool(options["dry_run"])
        report = outbox.run(team=team, force=bool(options["now"]), dry_run=dry_run)
        delivered = delivery.DeliveryReport() if dry_run else delivery.deliver()
        if options["json"]:
            summary = {
                "dry_run": dry_run,
                "policies_due": report.policies_due,
                "built": len(report.built),
                "events": sum(item.event_count for item in report.built),
                "skipped": [
                    {"policy": policy.pk, "team": policy.team.short_name, "reason": reason}
                    for policy, reason in report.skipped
                ],
                "sent": delivered.sent,
                "retrying": delivered.retrying,
                "failed": delivered.failed,
                "interrupted": delivered.interrupted,
                "errors": delivered.errors,
            }
            self.stdout.write(json.dumps(summary, indent=2))
            return
        self._show(report, bodies=False)
        if not dry_run:
            self.stdout.write(
                f"Delivered: {delivered.sent} sent, {delivered.retrying} to retry, "
                f"{delivered.failed} failed."
            )
        for error in delivered.errors:
            self.stderr.write(error)

    def _show(self, report: outbox.RunReport, *, bodies: bool) -> None:
        for item in report.built:
            self.stdout.write(
                f"{item.reference}  {item.status:<8} {item.tlp:<12} {item.event_count:>6} "
                f"event(s)  → {item.recipient}  {item.subject}"
            )
            if bodies:
                self.stdout.write(item.body.rstrip() + "\n" + "-" * 72)
        for policy, reason in report.skipped:
            self.stderr.write(f"skipped {policy.team.short_name}/{policy.name}: {reason}")
        self.stdout.write(f"{len(report.built)} message(s) from {report.policies_due} policy(ies).")
