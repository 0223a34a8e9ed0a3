"""Reports arrive gzip'd or in ZIP archives (e-mail attachments, downloads,
dropped files): unpack them, one report per member, within the size limit."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Generator
from pathlib import Path
from typing import IO, Protocol

from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import (
    COPY_BUFFER,
    CollectorError,
    clean_file_name,
    too_large,
)

Reports = Generator[tuple[Path, str], None, None]
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_SUFFIXES = (".gz", ".gzip")
# Archive members that are no reports: folders' metadata left by desktop tools.
JUNK_PREFIXES = ("__MACOSX/",)


class Readable(Protocol):
    """Anything with ``read(size) -> bytes``: a file, a decompressor, an upload."""

    def read(self, size: int = -1, /) -> bytes: ...


def copy_limited(source: Readable, target: IO[bytes], *, limit: int, done: int = 0) -> int:
    """Copy ``source`` into ``target``, refusing (``TooLargeError``) to go past
    ``limit`` bytes in all, ``done`` of which are counted already."""
    while chunk := source.read(COPY_BUFFER):
        done += len(chunk)
        if done > limit:
            raise too_large(limit)
        target.write(chunk)
    return done


def kind_of(path: Path) -> str:
    """``gzip``, ``zip`` or ``plain``, from the file's first bytes (not its name)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head in ZIP_MAGICS:
        return "zip"
    return "plain"


def _without_gzip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in GZIP_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _gunzip(path: Path, name: str, scratch: Path, limit: int) -> Reports:
    target = scratch / "gunzipped"
    try:
        with gzip.open(path, "rb") as source, target.open("wb") as out:
            copy_limited(source, out, limit=limit)
    except (OSError, EOFError, zlib.error) as exc:
        raise CollectorError(
            _("%(name)s is not a readable gzip file: %(error)s") % {"name": name, "error": exc}
        ) from exc
    yield target, _without_gzip_suffix(name)


def _unzip(path: Path, name: str, scratch: Path, limit: int) -> Reports:
    total = 0
    found = False
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith(JUNK_PREFIXES)
            ]
            for index, info in enumerate(members):
                member_name = clean_file_name(info.filename, default=f"{name}-{index}")
                if total + info.file_size > limit:
                    raise too_large(limit)
                target = scratch / f"member-{index}"
                with archive.open(info) as source, target.open("wb") as out:
                    total = copy_limited(source, out, limit=limit, done=total)
                found = True
                yield target, member_name
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise CollectorError(
            _("%(name)s is not a readable ZIP archive: %(error)s") % {"name": name, "error": exc}
        ) from exc
    if not found:
        raise CollectorError(_("The archive %(name)s holds no report.") % {"name": name})


def unpack(path: Path, file_name: str, scratch: Path, *, limit: int) -> Reports:
    """Yield ``(path, file name)`` for each report in the file: the file itself
    when it is not compressed, the gunzipped file, or each member of a ZIP
    archive. Unpacked files are written in ``scratch`` and are the caller's to
    move. Nothing larger than ``limit`` bytes (in all) comes out."""
    kind = kind_of(path)
    if kind == "gzip":
        yield from _gunzip(path, file_name, scratch, limit)
    elif kind == "zip":
        yield from _unzip(path, file_name, scratch, limit)
    else:
        if path.stat().st_size > limit:
            raise too_large(limit)
        yield path, file_name


def spool_copy(source: Readable, target: Path, *, limit: int) -> int:
    """Write ``source`` into the new file ``target`` within ``limit`` bytes;
    the number of bytes written."""
    try:
        with target.open("xb") as out:
            return copy_limited(source, out, limit=limit)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
