"""``baobab directory``: import and export the community directory.

* ``baobab directory import FILE --format trusted-introducer|first|csv|json
  [--dry-run] [--json]`` — import teams, organisations, contacts and claims;
  prints what was created, updated and refused (``--details`` lists every object).
* ``baobab directory import-delegated FILE [--dry-run] [--json]`` — load an RIR
  delegated-extended statistics file (country of registration of address
  ranges and ASNs).
* ``baobab directory export --format csv|json [--output FILE] [--user NAME]`` —
  the directory in Baobab's own format; with ``--user`` only the contacts
  that user may see, otherwise every contact (the operator's export).

Exit status: 0 when the file was processed, refused records included; 2 for
a file or format that cannot be used (nothing is written then).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import User
from baobab.directory import export
from baobab.directory.importers import FORMATS, import_directory_file
from baobab.directory.importers.common import ImportReport, UnusableFileError
from baobab.directory.importers.delegated import DelegatedReport, import_delegated_file

EXPORT_FORMATS = ("csv", "json")


class Command(BaobabCommand):
    """``baobab directory import|import-delegated|export``."""

    # Translated when shown.
    help = gettext_lazy(  # type: ignore[assignment]
        "Import and export the community directory (teams, contacts, claims, RIR data)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        importer = actions.add_parser("import", help=_("Import a team directory file."))
        importer.add_argument("file", help=_("The file to import."))
        importer.add_argument(
            "--format",
            dest="fmt",
            metavar="FORMAT",
            required=True,
            help=_("One of: %(formats)s.") % {"formats": ", ".join(FORMATS)},
        )
        importer.add_argument(
            "--dry-run", action="store_true", help=_("Report what would change; save nothing.")
        )
        importer.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the report as JSON.")
        )
        importer.add_argument(
            "--details",
            action="store_true",
            help=_("List every object created, updated or left unchanged."),
        )

        delegated = actions.add_parser(
            "import-delegated", help=_("Import an RIR delegated-extended statistics file.")
        )
        delegated.add_argument("file", help=_("The delegated-extended file."))
        delegated.add_argument(
            "--dry-run", action="store_true", help=_("Report what would change; save nothing.")
        )
        delegated.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the report as JSON.")
        )

        exporter = actions.add_parser("export", help=_("Export the directory as CSV or JSON."))
        exporter.add_argument(
            "--format", dest="fmt", metavar="FORMAT", required=True, help=_("csv or json.")
        )
        exporter.add_argument("--output", help=_("Write to this file instead of the output."))
        exporter.add_argument(
            "--user",
            help=_("Export only the contacts this user may see (default: every contact)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the action named on the command line."""
        action = options["action"]
        if action == "import":
            self._import(options)
        elif action == "import-delegated":
            self._import_delegated(options)
        else:
            self._export(options)

    # --- import -------------------------------------------------------------

    def _existing_file(self, name: str) -> Path:
        path = Path(name)
        if not path.is_file():
            raise UsageError(_("%(path)s does not exist or is not a file.") % {"path": name})
        return path

    def _import(self, options: dict[str, Any]) -> None:
        fmt = options["fmt"]
        if fmt not in FORMATS:
            raise UsageError(
                _("Unknown format %(format)s; use one of: %(formats)s.")
                % {"format": fmt, "formats": ", ".join(FORMATS)}
            )
        path = self._existing_file(options["file"])
        try:
            report = import_directory_file(path, fmt, dry_run=options["dry_run"])
        except UnusableFileError as exc:
            raise UsageError(str(exc)) from exc
        if options["as_json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        else:
            details = options["details"] or int(options.get("verbosity", 1)) >= 2
            self._print_report(report, details=details)

    def _print_report(self, report: ImportReport, *, details: bool) -> None:
        self.stdout.write(
            _(
                "%(source)s (%(format)s): created %(created)d, updated %(updated)d, "
                "unchanged %(unchanged)d, refused %(refused)d, warnings %(warnings)d."
            )
            % {
                "source": report.source,
                "format": report.format,
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "refused": len(report.refused),
                "warnings": len(report.warnings),
            }
        )
        if details:
            for title, outcomes in (
                (pgettext("import report", "Created"), report.created),
                (pgettext("import report", "Updated"), report.updated),
                (pgettext("import report", "Unchanged"), report.unchanged),
            ):
                if outcomes:
                    self.stdout.write(f"{title}:")
                    for outcome in outcomes:
                        self.stdout.write(f"  {outcome.where}: {outcome.what}")
        if report.refused:
            self.stdout.write(_("Refused:"))
            for problem in report.refused:
                self.stdout.write(f"  {problem.where}: {problem.reason}")
        if report.warnings:
            self.stdout.write(_("Warnings:"))
            for problem in report.warnings:
                self.stdout.write(f"  {problem.where}: {problem.reason}")
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))

    def _import_delegated(self, options: dict[str, Any]) -> None:
        path = self._existing_file(options["file"])
        try:
            report = import_delegated_file(path, dry_run=options["dry_run"])
        except UnusableFileError as exc:
            raise UsageError(str(exc)) from exc
        if options["as_json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
            return
        self._print_delegated(report)

    def _print_delegated(self, report: DelegatedReport) -> None:
        self.stdout.write(
            _(
                "%(source)s: %(stored)d ranges stored for %(registries)s (%(kinds)s), "
                "%(replaced)d replaced, %(skipped)d skipped, %(refused)d refused."
            )
            % {
                "source": report.source,
                "stored": report.stored_total,
                "registries": ", ".join(report.registries) or "-",
                "kinds": ", ".join(f"{kind} {n}" for kind, n in sorted(report.stored.items()))
                or "-",
                "replaced": report.replaced,
                "skipped": report.skipped,
                "refused": len(report.refused),
            }
        )
        if report.refused:
            self.stdout.write(_("Refused:"))
            for problem in report.refused:
                self.stdout.write(f"  {problem.where}: {problem.reason}")
        if report.dry_run:
            self.stdout.write(_("Dry run: nothing was saved."))

    # --- export -------------------------------------------------------------

    def _export(self, options: dict[str, Any]) -> None:
        fmt = options["fmt"]
        if fmt not in EXPORT_FORMATS:
            raise UsageError(_("Unknown format %(format)s; use csv or json.") % {"format": fmt})
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise UsageError(_("There is no user %(name)s.") % {"name": options["user"]})
        snapshot = export.collect(user, operator=user is None)
        if fmt == "csv":
            text = export.as_csv_text(snapshot)
        else:
            text = json.dumps(export.as_json_data(snapshot), indent=2, ensure_ascii=False) + "\n"
        output = options.get("output")
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                _("%(path)s cannot be written: %(reason)s")
                % {"path": output, "reason": exc.strerror or exc}
            ) from exc
        self.stderr.write(
            _(
                "Wrote %(teams)d teams, %(organisations)d organisations, %(contacts)d contacts "
                "and %(claims)d claims to %(path)s."
            )
            % {
                "teams": len(snapshot.teams),
                "organisations": len(snapshot.organisations),
                "contacts": len(snapshot.contacts),
                "claims": len(snapshot.claims),
                "path": output,
            }
        )
