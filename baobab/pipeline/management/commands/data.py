"""``baobab data``: the enrichment data files (routing table, AS names, Tor exits).

* ``baobab data refresh [--only NAME] [--from-folder DIR] [--json]`` — download
  each file from its URL (``ENRICHMENT_IPASN_URL``, ``ENRICHMENT_ASNAMES_URL``,
  ``ENRICHMENT_TOR_URL``), or copy it from a folder an operator brought; a
  file is replaced whole or not at all.
* ``baobab data status [--json]`` — each file, its size, date and number of
  entries, and the directory's RIR delegated statistics.

Exit status: 0 when every file was installed or skipped for a stated reason;
1 when a download failed (the previous file is kept); 2 for bad input (an
unknown name, a missing folder, an unusable file from the folder, no URL for
a file asked for by name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baobab.core.management.base import BaobabCommand, UsageError
from baobab.directory.models import DelegatedRange
from baobab.pipeline.enrichment.files import FileStatus, all_file_status, data_folder
from baobab.pipeline.enrichment.loading import rdap_client
from baobab.pipeline.enrichment.refresh import FAILED, SKIPPED, Outcome, refresh, source_url
from baobab.pipeline.enrichment.sources import SOURCES


class Command(BaobabCommand):
    """``baobab data refresh|status``."""

    # Translated when shown.
    help = gettext_lazy(  # type: ignore[assignment]
        "Refresh and inspect the enrichment data files (routing table, AS names, Tor exits)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        refresher = actions.add_parser(
            "refresh", help=_("Download the data files, or copy them from a folder.")
        )
        refresher.add_argument(
            "--only",
            action="append",
            metavar="NAME",
            help=_("Refresh only this file (repeatable): %(names)s.")
            % {"names": ", ".join(SOURCES)},
        )
        refresher.add_argument(
            "--from-folder",
            metavar="DIR",
            help=_("Copy the files from this folder instead of downloading them."),
        )
        refresher.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the outcome as JSON.")
        )
        status = actions.add_parser("status", help=_("Show each data file and what it holds."))
        status.add_argument(
            "--json", action="store_true", dest="as_json", help=_("Print the status as JSON.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the action named on the command line."""
        if options["action"] == "refresh":
            self._refresh(options)
        else:
            self._status(options)

    # --- refresh --------------------------------------------------------------

    def _refresh(self, options: dict[str, Any]) -> None:
        names: list[str] = options["only"] or []
        unknown = [name for name in names if name not in SOURCES]
        if unknown:
            raise UsageError(
                _("Unknown data file %(name)s; use one of: %(names)s.")
                % {"name": ", ".join(unknown), "names": ", ".join(SOURCES)}
            )
        folder = None
        if options["from_folder"]:
            folder = Path(options["from_folder"])
            if not folder.is_dir():
                raise UsageError(
                    _("%(path)s does not exist or is not a folder.") % {"path": folder}
                )
        outcomes = refresh(names or None, from_folder=folder)
        if options["as_json"]:
            self.stdout.write(json.dumps([outcome.as_dict() for outcome in outcomes], indent=2))
        else:
            for outcome in outcomes:
                self.stdout.write(f"{outcome.source.name}: {outcome.status}: {outcome.message}")
        self._exit_status(outcomes, names, folder)

    @staticmethod
    def _exit_status(outcomes: list[Outcome], names: list[str], folder: Path | None) -> None:
        if any(outcome.status == FAILED and outcome.bad_input for outcome in outcomes):
            raise UsageError(_("Some data files were refused; the previous files are kept."))
        skipped_by_name = [o.source.name for o in outcomes if o.status == SKIPPED and names]
        if skipped_by_name:
            raise UsageError(
                _("Not refreshed: %(names)s (see above).") % {"names": ", ".join(skipped_by_name)}
            )
        if folder is not None and all(outcome.status == SKIPPED for outcome in outcomes):
            raise UsageError(_("%(path)s holds none of the data files.") % {"path": folder})
        if any(outcome.status == FAILED for outcome in outcomes):
            raise CommandError(_("Some downloads failed; the previous files are kept."))

    # --- status ---------------------------------------------------------------

    def _status(self, options: dict[str, Any]) -> None:
        files = all_file_status()
        delegated = DelegatedRange.objects.count()
        client = rdap_client()
        if options["as_json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "folder": str(data_folder()),
                        "files": [
                            {**item.as_dict(), "url": source_url(item.source)} for item in files
                        ],
                        "delegated_ranges": delegated,
                        "rdap": client.base_url if client is not None else None,
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(_("Enrichment data in %(path)s:") % {"path": data_folder()})
        for item in files:
            self.stdout.write(f"  {item.source.name:<8} {self._describe(item)}")
            url = source_url(item.source)
            self.stdout.write(
                "           "
                + (
                    _("from %(url)s") % {"url": url}
                    if url
                    else _("no URL set (%(setting)s): bring the file with --from-folder")
                    % {"setting": item.source.url_setting}
                )
            )
        self.stdout.write(
            _(
                "Country of registration: %(count)s RIR delegated ranges in the directory "
                "(baobab directory import-delegated FILE)."
            )
            % {"count": f"{delegated:,}"}
        )
        self.stdout.write(
            _("RDAP look-ups: on, %(url)s.") % {"url": client.base_url}
            if client is not None
            else _("RDAP look-ups: off (ENRICHMENT_RDAP).")
        )

    @staticmethod
    def _describe(item: FileStatus) -> str:
        name = item.source.file_name
        if not item.exists:
            return _("%(file)s: missing") % {"file": name}
        when = item.modified.strftime("%Y-%m-%d %H:%M UTC") if item.modified else "?"
        if item.error:
            return _("%(file)s: %(size)s bytes, %(date)s, unreadable: %(error)s") % {
                "file": name,
                "size": f"{item.size:,}",
                "date": when,
                "error": item.error,
            }
        text = _("%(file)s: %(size)s bytes, %(date)s, %(entries)s entries") % {
            "file": name,
            "size": f"{item.size:,}",
            "date": when,
            "entries": f"{item.entries:,}",
        }
        if item.skipped:
            text += _(", %(count)s unreadable lines") % {"count": f"{item.skipped:,}"}
        return text
