"""``baobab misp``: MISP events in and out, and a published MISP feed.

``baobab misp import FILE --team SHORT [--tlp LABEL] [--distribution
team|community|public] [--json]`` imports the MISP events of FILE (``-``:
standard input) into a team, through the STIX importer; a refused file
writes each reason on standard error, writes nothing to the database and
ends with exit code 1.

``baobab misp export [--report STIX_ID | --team SHORT] [--as-team SHORT |
--as-user USERNAME] FILE`` writes a report as one MISP event, or a team's
indicators that no report holds as one event, or without either every
event; each as that team or user may see it (without either: what anybody
may see, public TLP:CLEAR).

``baobab misp feed publish DIR [--as-team SHORT | --as-user USERNAME]``
writes a MISP feed (``manifest.json``, one ``<uuid>.json`` per event,
``hashes.csv``) of what that team or user may see (without either: public
TLP:CLEAR content only).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from baobab.core.choices import TLP, Distribution
from baobab.core.management.base import BaobabCommand, UsageError
from baobab.sharing.management.arguments import (
    REFUSED,
    add_viewer_arguments,
    read_input,
    team_named,
    viewer_from,
)
from baobab.sharing.misp.export import document, report_event, team_event, visible_events
from baobab.sharing.misp.feed_publish import publish
from baobab.sharing.misp.importing import EventImport, import_misp
from baobab.sharing.misp.read import MispError

IMPORT_DISTRIBUTIONS = [Distribution.TEAM, Distribution.COMMUNITY, Distribution.PUBLIC]


def _summary(result: EventImport) -> dict[str, Any]:
    return {
        "event": result.event_uuid,
        "info": result.info,
        "report": result.report_id,
        "created": result.report.created,
        "new_versions": result.report.new_versions,
        "past_versions": result.report.past_versions,
        "unchanged": result.report.unchanged,
        "notes": result.notes,
    }


class Command(BaobabCommand):
    help = "Import MISP events into a team, export events as MISP JSON, publish a MISP feed."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = actions.add_parser("import", help="Import MISP events into a team.")
        load.add_argument("file", metavar="FILE", help="MISP event JSON ('-': standard input).")
        load.add_argument("--team", required=True, metavar="SHORT", help="The receiving team.")
        load.add_argument(
            "--tlp",
            default=TLP.AMBER.label,
            metavar="LABEL",
            help="The TLP of what no tlp: tag marks (default TLP:AMBER).",
        )
        load.add_argument(
            "--distribution",
            default=Distribution.TEAM,
            choices=[str(choice) for choice in IMPORT_DISTRIBUTIONS],
            help="Who sees an event that states no distribution (default team).",
        )
        load.add_argument("--json", action="store_true", help="Print the summary as JSON.")

        export = actions.add_parser("export", help="Write events as MISP JSON.")
        export.add_argument("file", metavar="FILE", help="Where to write ('-': standard output).")
        what = export.add_mutually_exclusive_group()
        what.add_argument("--report", metavar="STIX_ID", help="This report (or MISP event uuid).")
        what.add_argument("--team", metavar="SHORT", help="This team's indicators in no report.")
        add_viewer_arguments(export)

        feed = actions.add_parser("feed", help="MISP feeds.")
        feed_actions = feed.add_subparsers(dest="feed_action", required=True, metavar="ACTION")
        publish_feed = feed_actions.add_parser("publish", help="Write a MISP feed into a folder.")
        publish_feed.add_argument("folder", metavar="DIR", help="The feed's folder.")
        add_viewer_arguments(publish_feed)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)
        elif options["action"] == "export":
            self._export(options)
        else:
            self._publish(options)

    def _import(self, options: dict[str, Any]) -> None:
        team = team_named(options["team"])
        try:
            default_tlp = TLP.from_label(options["tlp"])
        except ValueError as error:
            raise UsageError(str(error)) from None
        try:
            results = import_misp(
                read_input(options["file"]),
                team=team,
                acting_user=None,
                default_tlp=default_tlp,
                default_distribution=options["distribution"],
            )
        except MispError as refused:
            for message in refused.messages:
                self.stderr.write(message)
            raise CommandError(
                _("The MISP file was refused; nothing was imported."), returncode=REFUSED
            ) from None
        except (ValidationError, PermissionDenied) as error:
            raise UsageError(" ".join(getattr(error, "messages", [str(error)]))) from None
        if options.get("json"):
            self.stdout.write(json.dumps([_summary(result) for result in results], indent=1))
            return
        for result in results:
            self.stdout.write(
                _("Event %(uuid)s (%(info)s) → %(report)s")
                % {"uuid": result.event_uuid, "info": result.info, "report": result.report_id}
            )
            for line in result.report.lines():
                self.stdout.write(f"  {line}")
            for note in result.notes:
                self.stdout.write(f"  {note}")

    def _export(self, options: dict[str, Any]) -> None:
        who = viewer_from(options)
        if options.get("report"):
            stix_id = options["report"].strip().lower()
            if "--" not in stix_id:
                stix_id = f"report--{stix_id}"
            event = report_event(stix_id, who)
            if event is None:
                raise UsageError(
                    _("There is no report %(id)s that this viewer may see.") % {"id": stix_id}
                )
            events = [event]
        elif options.get("team"):
            loose = team_event(team_named(options["team"]), who)
            events = [loose] if loose is not None else []
        else:
            events = visible_events(who)
        if not events:
            raise UsageError(_("There is nothing to export for this viewer."))
        text = json.dumps(document(events), ensure_ascii=False, indent=1)
        if options["file"] == "-":
            self.stdout.write(text)
        else:
            try:
                Path(options["file"]).write_text(text + "\n", encoding="utf-8")
            except OSError as error:
                raise UsageError(
                    _("Cannot write %(file)s: %(error)s")
                    % {"file": options["file"], "error": error.strerror or error}
                ) from None
        self.stderr.write(
            ngettext(
                "%(count)d MISP event exported.", "%(count)d MISP events exported.", len(events)
            )
            % {"count": len(events)}
        )

    def _publish(self, options: dict[str, Any]) -> None:
        folder = Path(options["folder"])
        try:
            files = publish(folder, viewer_from(options))
        except OSError as error:
            raise UsageError(
                _("Cannot write the feed into %(folder)s: %(error)s")
                % {"folder": folder, "error": error.strerror or error}
            ) from None
        self.stdout.write(
            ngettext(
                "Feed of %(count)d event written to %(folder)s.",
                "Feed of %(count)d events written to %(folder)s.",
                len(files.events),
            )
            % {"count": len(files.events), "folder": folder}
        )
