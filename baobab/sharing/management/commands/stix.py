"""``baobab stix``: STIX 2.1 bundles in and out.

``baobab stix export [--team SHORT] [--as-user USERNAME | --as-team SHORT]
[--type TYPE …] [--since ISO] FILE`` writes what that user or team may see
(without either: what anybody may see, public TLP:CLEAR) as a bundle; FILE
``-`` is standard output. ``baobab stix import FILE --team SHORT
[--distribution team|group|community|public] [--group NAME] [--tlp LABEL]``
imports a bundle into a team and prints what it did; a refused bundle
writes the validator's messages on standard error, writes nothing to the
database and ends with exit code 1. Imports are audited as command-line
changes.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from baobab.core.choices import TLP, Distribution
from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import SharingGroup
from baobab.sharing.management.arguments import (
    REFUSED,
    add_viewer_arguments,
    read_input,
    team_named,
    viewer_from,
)
from baobab.sharing.stix.export import export_bundle
from baobab.sharing.stix.importer import BundleRefusedError, Sharing, import_bundle, read_bundle


def _since(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            _("--since %(text)r is not an ISO 8601 date or time.") % {"text": text}
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)


class Command(BaobabCommand):
    help = "Export visible shared objects as a STIX 2.1 bundle, or import a bundle into a team."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = actions.add_parser("export", help="Write a bundle of what someone may see.")
        export.add_argument(
            "file", metavar="FILE", help="Where to write it ('-': standard output)."
        )
        export.add_argument("--team", metavar="SHORT", help="Only the objects of this team.")
        add_viewer_arguments(export)
        export.add_argument(
            "--type",
            dest="types",
            action="append",
            metavar="TYPE",
            help="Only objects of this STIX type (repeat, or separate with commas).",
        )
        export.add_argument("--since", metavar="ISO", help="Only objects added or changed since.")

        load = actions.add_parser("import", help="Import a bundle into a team.")
        load.add_argument("file", metavar="FILE", help="The bundle ('-': standard input).")
        load.add_argument("--team", required=True, metavar="SHORT", help="The receiving team.")
        load.add_argument(
            "--distribution",
            choices=list(Distribution.values),
            help="Who the objects are shared with (default: community; group with --group).",
        )
        load.add_argument("--group", metavar="NAME", help="The sharing group to share with.")
        load.add_argument(
            "--tlp",
            default=TLP.AMBER.label,
            metavar="LABEL",
            help="The TLP of objects that carry none (default TLP:AMBER).",
        )
        load.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)
        else:
            self._import(options)

    def _export(self, options: dict[str, Any]) -> None:
        who = viewer_from(options)
        types = [
            name.strip()
            for value in options.get("types") or ()
            for name in value.split(",")
            if name.strip()
        ]
        bundle = export_bundle(
            who,
            types=types or None,
            team=team_named(options["team"]) if options.get("team") else None,
            since=_since(options.get("since")),
        )
        text = json.dumps(bundle, ensure_ascii=False, indent=1)
        if options["file"] == "-":
            self.stdout.write(text)
        else:
            try:
                Path(options["file"]).write_text(text + "\n", encoding="utf-8")
            except OSError as error:
                raise UsageError(
                    _("Cannot write %(file)s: %(error)s")
                    % {
                        "file": options["file"],
                        "error": error.strerror or error,
                    }
                ) from None
        count = len(bundle.get("objects", []))
        self.stderr.write(
            ngettext("%(count)d STIX object exported.", "%(count)d STIX objects exported.", count)
            % {"count": count}
        )

    def _sharing(self, options: dict[str, Any]) -> Sharing:
        try:
            default_tlp = TLP.from_label(options["tlp"])
        except ValueError as error:
            raise UsageError(str(error)) from None
        group = None
        if options.get("group"):
            group = SharingGroup.objects.filter(name=options["group"]).first()
            if group is None:
                raise UsageError(_("Unknown sharing group %(name)r.") % {"name": options["group"]})
        distribution = options.get("distribution") or (
            Distribution.GROUP if group is not None else Distribution.COMMUNITY
        )
        if distribution == Distribution.GROUP and group is None:
            raise UsageError(_("Name the sharing group with --group."))
        if distribution != Distribution.GROUP and group is not None:
            raise UsageError(_("--group goes with --distribution group."))
        return Sharing(distribution=distribution, sharing_group=group, default_tlp=default_tlp)

    def _import(self, options: dict[str, Any]) -> None:
        team = team_named(options["team"])
        sharing = self._sharing(options)
        try:
            report = import_bundle(
                read_bundle(read_input(options["file"])),
                team=team,
                acting_user=None,
                sharing=sharing,
            )
        except BundleRefusedError as refused:
            for message in refused.messages:
                self.stderr.write(message)
            raise CommandError(refused.summary().splitlines()[0], returncode=REFUSED) from None
        except ValidationError as error:
            raise UsageError(_validation_message(error)) from None
        if options.get("json"):
            summary = {
                "bundle": report.bundle_id,
                "total": report.total,
                "created": report.created,
                "new_versions": report.new_versions,
                "past_versions": report.past_versions,
                "unchanged": report.unchanged,
                "kept_as_is": report.kept_as_is,
                "not_stored": report.not_stored,
            }
            self.stdout.write(json.dumps(summary))
            return
        for line in report.lines():
            self.stdout.write(line)
