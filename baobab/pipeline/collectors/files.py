"""The file collector: one file read in place, or a watched folder.

Options (``Feed.collector_options``):

``path``
    A file or a folder, under one of the folders the operator allows
    (setting ``COLLECTOR_FILE_ROOTS``, by default ``<data>/inbox``); a
    relative path is taken from the first of them.
``pattern``
    For a folder: only files whose name matches this glob (any case), such
    as ``*.csv``. Default ``*``.
``min_age_seconds``
    Leave alone files changed less than this many seconds ago (still being
    written). Default 0: writers should write under a hidden name (``.x``)
    or with a ``.part`` / ``.tmp`` suffix and rename when done.

A folder is an inbox: every new file is ingested once, then moved into its
``done/`` subfolder, or into ``failed/`` when it could not be ingested (the
error is in the feed's run). A file already ingested is gone from the inbox,
so it is never read twice. A single file is read again only when its content
has changed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import (
    COPY_BUFFER,
    CollectorError,
    Job,
    any_failed,
    logger,
)
from baobab.pipeline.collectors.options import Options
from baobab.pipeline.collectors.state import remember

KNOWN_OPTIONS = ("path", "pattern", "min_age_seconds")
DONE = "done"
FAILED = "failed"
# Files being written, by common convention.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", "~")


@dataclass(frozen=True)
class FileOptions:
    """The file collector's options, checked."""

    path: Path
    pattern: str
    min_age_seconds: int


def file_roots() -> list[Path]:
    """The folders under which file feeds may read (``COLLECTOR_FILE_ROOTS``)."""
    roots = getattr(settings, "COLLECTOR_FILE_ROOTS", None) or [Path(settings.DATA_DIR) / "inbox"]
    return [Path(root).resolve() for root in roots]


def resolve_path(value: str) -> Path:
    """``value`` as an absolute path, refused if it lies outside every root
    (symbolic links resolved first)."""
    roots = file_roots()
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = roots[0] / path
    path = path.resolve()
    if not any(path == root or path.is_relative_to(root) for root in roots):
        raise CollectorError(
            _("%(path)s is outside the folders file feeds may read (%(roots)s).")
            % {"path": path, "roots": ", ".join(str(root) for root in roots)}
        )
    return path


def read_options(raw: Any) -> FileOptions:
    """Check the options of a file feed (the path need not exist yet)."""
    options = Options(raw, KNOWN_OPTIONS)
    path_text = options.text("path", required=True)
    pattern = options.text("pattern", default="*")
    min_age = options.integer("min_age_seconds", default=0, maximum=86400)
    options.check()
    return FileOptions(path=resolve_path(path_text), pattern=pattern, min_age_seconds=min_age)


def collect(job: Job) -> None:
    """Ingest what is new at the feed's path."""
    options = read_options(job.feed.collector_options)
    job.source = str(options.path)
    if options.path.is_dir():
        _collect_folder(job, options)
    elif options.path.is_file():
        _collect_file(job, options)
    else:
        raise CollectorError(_("%(path)s does not exist.") % {"path": options.path})


def new_files(folder: Path, pattern: str, min_age_seconds: int) -> list[Path]:
    """The files waiting in ``folder``, oldest first."""
    now = time.time()
    found: list[tuple[float, str, Path]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            # Symbolic links could lead out of the allowed folders: not followed.
            if not entry.is_file(follow_symlinks=False) or name.startswith("."):
                continue
            if name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            if not fnmatch.fnmatchcase(name.lower(), pattern.lower()):
                continue
            mtime = entry.stat(follow_symlinks=False).st_mtime
            if now - mtime < min_age_seconds:
                continue
            found.append((mtime, name, Path(entry.path)))
    return [path for _mtime, _name, path in sorted(found)]


def move_into(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder``, never overwriting a file already there."""
    target = folder / path.name
    if target.exists():
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        counter = 1
        while target.exists():
            target = folder / f"{path.stem}.{stamp}-{counter}{path.suffix}"
            counter += 1
    shutil.move(path, target)
    return target


def _prepare_folder(folder: Path) -> tuple[Path, Path]:
    done, failed = folder / DONE, folder / FAILED
    try:
        done.mkdir(exist_ok=True)
        failed.mkdir(exist_ok=True)
    except OSError as exc:
        raise CollectorError(
            _("Cannot create the done/ and failed/ folders in %(path)s: %(error)s")
            % {"path": folder, "error": exc.strerror or exc}
        ) from exc
    # A file that cannot be moved out of the inbox would be read again and again.
    if not all(os.access(path, os.W_OK | os.X_OK) for path in (folder, done, failed)):
        raise CollectorError(
            _("Baobab may not move files in %(path)s: it would read them again.") % {"path": folder}
        )
    return done, failed


def _collect_folder(job: Job, options: FileOptions) -> None:
    done, failed = _prepare_folder(options.path)
    for path in new_files(options.path, options.pattern, options.min_age_seconds):
        source = str(path)
        try:
            runs = job.ingest(path, file_name=path.name, source=source, move=False)
        except Exception as exc:  # one bad file must not stop the inbox
            if not isinstance(exc, CollectorError):
                logger.exception("feed %s: could not ingest %s", job.feed.name, path)
            job.fail(str(exc) or exc.__class__.__name__, source=source)
            moved = move_into(path, failed)
        else:
            moved = move_into(path, failed if any_failed(runs) else done)
        logger.info("feed %s: %s moved to %s", job.feed.name, path.name, moved)
        remember(job.feed, "folder", {"last": path.name, "moved_to": str(moved)})


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's content, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(COPY_BUFFER):
            digest.update(chunk)
    return digest.hexdigest()


def _collect_file(job: Job, options: FileOptions) -> None:
    path = options.path
    stat = path.stat()
    if time.time() - stat.st_mtime < options.min_age_seconds:
        return
    seen = job.feed.collector_state.get("file") or {}
    same_path = seen.get("path") == str(path)
    if (
        not job.force
        and same_path
        and seen.get("size") == stat.st_size
        and seen.get("mtime_ns") == stat.st_mtime_ns
    ):
        return
    digest = sha256_of(path)
    fingerprint = {
        "path": str(path),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": digest,
    }
    if not job.force and same_path and seen.get("sha256") == digest:
        remember(job.feed, "file", fingerprint)  # touched, not changed
        return
    runs = job.ingest(path, file_name=path.name, source=str(path), move=False)
    # A report that failed is read again next time, once its cause may be fixed.
    if not any_failed(runs):
        remember(job.feed, "file", fingerprint)
