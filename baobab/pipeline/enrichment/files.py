"""The enrichment data folder: where the files live, how a new file is put in
place (whole or not at all) and what each file holds now."""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import polars as pl
from django.conf import settings

from baobab.pipeline.enrichment.sources import SOURCES, Reading, Source

CHUNK_BYTES = 1 << 20
STALE_SECONDS = 3600  # a temporary file this old was left by a crashed refresh
READ_ERRORS = (OSError, ValueError, EOFError, zlib.error, pl.exceptions.PolarsError)


class UnusableDataError(Exception):
    """A new data file was refused (too large, unreadable, nothing usable in
    it, too slow to arrive); the file in place, if any, is kept."""


class Readable(Protocol):
    """Something bytes are read from (a file, an HTTP response, a gzip stream)."""

    def read(self, size: int = -1, /) -> bytes: ...


def data_folder() -> Path:
    """The folder of the enrichment data files (``DATA_DIR/enrichment``), created when missing."""
    folder = Path(settings.DATA_DIR) / "enrichment"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Installed:
    """A data file that was put in place, and what it holds."""

    source: Source
    path: Path
    size: int
    reading: Reading[Any]
    origin: str


def _copy_limited(
    stream: Readable, target: IO[bytes], max_bytes: int, deadline: float | None
) -> int:
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise UnusableDataError(
                f"larger than the limit of {max_bytes:,} bytes (setting ENRICHMENT_MAX_BYTES)"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise UnusableDataError("took too long to arrive")
        target.write(chunk)
    target.flush()
    os.fsync(target.fileno())
    return total


def _temporary(folder: Path, source: Source) -> Path:
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{source.file_name}.", suffix=".part")
    os.close(descriptor)
    return Path(name)


def _remove_stale(folder: Path, source: Source) -> None:
    for path in folder.glob(f".{source.file_name}.*.part"):
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()


def install(
    source: Source,
    stream: Readable,
    *,
    origin: str,
    max_bytes: int,
    modified: float | None = None,
    deadline: float | None = None,
) -> Installed:
    """Put the data read from ``stream`` in place as ``source``'s file.

    The data are written to a temporary file beside it (gunzipped when they
    are gzip'd), read back with the source's reader and renamed over the old
    file only when they hold at least one entry: readers of the folder see
    the old file or the new one, never a part. ``modified`` becomes the
    file's date (when the data were published). Raises
    :class:`UnusableDataError`, leaving the old file as it was.
    """
    folder = data_folder()
    _remove_stale(folder, source)
    temporaries = [_temporary(folder, source)]
    try:
        with temporaries[0].open("wb") as target:
            _copy_limited(stream, target, max_bytes, deadline)
        path = temporaries[0]
        with path.open("rb") as check:
            zipped = check.read(2) == b"\x1f\x8b"
        if zipped:
            temporaries.append(_temporary(folder, source))
            try:
                with gzip.open(path, "rb") as unzipped, temporaries[1].open("wb") as target:
                    _copy_limited(unzipped, target, max_bytes, deadline)
            except (OSError, EOFError, zlib.error) as exc:
                raise UnusableDataError(f"is not a readable gzip file ({exc})") from exc
            path = temporaries[1]
        try:
            reading = source.read(path)
        except READ_ERRORS as exc:
            raise UnusableDataError(f"cannot be read ({exc})") from exc
        if reading.entries == 0:
            hint = f"; {reading.problems[0]}" if reading.problems else ""
            raise UnusableDataError(f"holds no usable entry — is it a {source.title} file?{hint}")
        if modified is not None:
            os.utime(path, (modified, modified))
        size = path.stat().st_size
        final = folder / source.file_name
        path.replace(final)
        _sync_folder(folder)
        return Installed(source, final, size, reading, origin)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (where the system allows opening a folder)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@dataclass(frozen=True)
class FileStatus:
    """One data file as it is now: its size, date and how many entries it holds."""

    source: Source
    path: Path
    size: int | None = None
    modified: datetime | None = None
    entries: int | None = None
    skipped: int = 0
    problems: tuple[str, ...] = field(default=())
    error: str = ""

    @property
    def exists(self) -> bool:
        """Whether the file is in the data folder."""
        return self.size is not None

    def as_dict(self) -> dict[str, Any]:
        """The status as JSON-ready data."""
        return {
            "name": self.source.name,
            "title": self.source.title,
            "path": str(self.path),
            "exists": self.exists,
            "size": self.size,
            "modified": self.modified.isoformat() if self.modified else None,
            "entries": self.entries,
            "skipped": self.skipped,
            "problems": list(self.problems),
            "error": self.error,
        }


def file_status(source: Source) -> FileStatus:
    """What ``source``'s file in the data folder holds now."""
    path = data_folder() / source.file_name
    try:
        stat = path.stat()
    except FileNotFoundError:
        return FileStatus(source, path)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    try:
        reading = source.read(path)
    except READ_ERRORS as exc:
        return FileStatus(source, path, stat.st_size, modified, error=str(exc))
    return FileStatus(
        source, path, stat.st_size, modified, reading.entries, reading.skipped, reading.problems
    )


def all_file_status() -> list[FileStatus]:
    """The status of every enrichment data file."""
    return [file_status(source) for source in SOURCES.values()]
