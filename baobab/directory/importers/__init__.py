"""Directory imports: Trusted Introducer and FIRST team directories, Baobab's
own CSV and JSON, and RIR delegated-extended statistics (:mod:`.delegated`).

:func:`import_directory_file` is the one entry point for the first four: it
reads the file (refusing an unusable one before writing anything), turns it
into records with the format's parser and writes them with the runner of
:mod:`.apply` — idempotent, one transaction, a savepoint per record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from baobab.core.models import User
from baobab.directory.importers import baobab_csv, baobab_json, first, trusted_introducer
from baobab.directory.importers.apply import run_import
from baobab.directory.importers.common import ImportReport, UnusableFileError, read_text
from baobab.directory.importers.records import Record

Parser = Callable[..., Iterator[Record]]

FORMATS: dict[str, Parser] = {
    trusted_introducer.FORMAT: trusted_introducer.parse,
    first.FORMAT: first.parse,
    baobab_csv.FORMAT: baobab_csv.parse,
    baobab_json.FORMAT: baobab_json.parse,
}

__all__ = ["FORMATS", "ImportReport", "UnusableFileError", "import_directory_file"]


def import_directory_file(
    path: Path,
    fmt: str,
    *,
    acting_user: User | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the directory file at ``path`` in format ``fmt`` (a key of :data:`FORMATS`).

    Raises :class:`UnusableFileError` — with nothing written — when the file cannot
    be read as that format at all.
    """
    parser = FORMATS[fmt]
    text = read_text(path)
    return run_import(
        parser(text, name=path.name),
        source=str(path),
        fmt=fmt,
        source_detail=f"{fmt}: {path.name}",
        acting_user=acting_user,
        dry_run=dry_run,
    )
