"""Refreshing the enrichment data files: download each from its URL, or copy
them from a folder an operator brought (a USB stick on a machine without
internet). A file that fails is reported and the old one kept."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from baobab.pipeline.enrichment.files import Installed, UnusableDataError, install
from baobab.pipeline.enrichment.sources import SOURCES, Source

DEFAULT_TIMEOUT = 60.0  # seconds for connecting and for each read
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEADLINE_TIMEOUTS = 20  # a whole download may take this many timeouts
USER_AGENT = "Baobab (CSIRT community platform) data refresh"

INSTALLED, SKIPPED, FAILED = "installed", "skipped", "failed"


@dataclass(frozen=True)
class Outcome:
    """What happened to one source: installed, skipped (with why) or failed.

    ``bad_input`` marks a failure caused by what the operator gave (a file
    from their folder, a URL setting) rather than by the network or a server.
    """

    source: Source
    status: str
    message: str
    installed: Installed | None = None
    bad_input: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        data: dict[str, Any] = {
            "name": self.source.name,
            "status": self.status,
            "message": self.message,
        }
        if self.installed is not None:
            data.update(
                path=str(self.installed.path),
                size=self.installed.size,
                entries=self.installed.reading.entries,
                skipped=self.installed.reading.skipped,
                origin=self.installed.origin,
            )
        return data


def source_url(source: Source) -> str | None:
    """The URL ``source`` is downloaded from: its setting, else the
    environment variable of the same name, else its default (None: none)."""
    value = getattr(settings, source.url_setting, None) or os.environ.get(source.url_setting)
    return str(value) if value else source.default_url


def max_bytes() -> int:
    """The largest data file accepted, compressed or not (``ENRICHMENT_MAX_BYTES``)."""
    return int(getattr(settings, "ENRICHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def download(source: Source, url: str, *, timeout: float | None = None) -> Installed:
    """Download ``source`` from ``url`` and put it in place.

    Raises :class:`UnusableDataError` (the old file is kept).
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise UnusableDataError(f"{url} is not an http:// or https:// URL")
    timeout = timeout or float(getattr(settings, "ENRICHMENT_DOWNLOAD_TIMEOUT", DEFAULT_TIMEOUT))
    limit = max_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise UnusableDataError(
                    f"{url} announces {int(declared):,} bytes, more than the limit of {limit:,} "
                    "(setting ENRICHMENT_MAX_BYTES)"
                )
            return install(
                source,
                response,
                origin=url,
                max_bytes=limit,
                modified=_http_date(response.headers.get("Last-Modified")),
                deadline=time.monotonic() + DEADLINE_TIMEOUTS * timeout,
            )
    except urllib.error.HTTPError as exc:
        raise UnusableDataError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise UnusableDataError(f"{url} could not be fetched: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise UnusableDataError(f"{url} could not be fetched: {exc}") from exc


def find_in_folder(source: Source, folder: Path) -> Path | None:
    """``source``'s file in ``folder`` under any of its accepted names, or None."""
    for name in source.candidates():
        path = folder / name
        if path.is_file():
            return path
    return None


def copy_from(source: Source, path: Path) -> Installed:
    """Copy ``source``'s data from ``path`` into place, keeping the file's date.

    Raises :class:`UnusableDataError` (the old file is kept).
    """
    try:
        with path.open("rb") as stream:
            return install(
                source,
                stream,
                origin=str(path),
                max_bytes=max_bytes(),
                modified=path.stat().st_mtime,
            )
    except OSError as exc:
        raise UnusableDataError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def _describe(installed: Installed) -> str:
    reading = installed.reading
    text = f"{installed.path.name}: {reading.entries:,} entries, {installed.size:,} bytes"
    if reading.skipped:
        text += f", {reading.skipped:,} unreadable lines skipped"
    return f"{text} (from {installed.origin})"


def refresh_one(source: Source, *, from_folder: Path | None = None) -> Outcome:
    """Refresh one source, from its URL or from ``from_folder``."""
    if from_folder is not None:
        path = find_in_folder(source, from_folder)
        if path is None:
            return Outcome(
                source,
                SKIPPED,
                f"not in {from_folder} (looked for {', '.join(source.candidates())})",
            )
        try:
            installed = copy_from(source, path)
        except UnusableDataError as exc:
            return Outcome(
                source, FAILED, f"{path} {exc}; the previous file is kept", bad_input=True
            )
        return Outcome(source, INSTALLED, _describe(installed), installed)
    url = source_url(source)
    if url is None:
        return Outcome(
            source,
            SKIPPED,
            f"no URL set: set {source.url_setting} to the URL of your {source.file_name} "
            f"({source.title}). {source.hint or 'Or copy the file in with --from-folder'}.",
        )
    try:
        installed = download(source, url)
    except UnusableDataError as exc:
        bad_input = urlsplit(url).scheme not in ("http", "https")
        return Outcome(source, FAILED, f"{exc}; the previous file is kept", bad_input=bad_input)
    return Outcome(source, INSTALLED, _describe(installed), installed)


def refresh(names: list[str] | None = None, *, from_folder: Path | None = None) -> list[Outcome]:
    """Refresh the named sources (all when None), in a fixed order."""
    chosen = [SOURCES[name] for name in names] if names else list(SOURCES.values())
    return [refresh_one(source, from_folder=from_folder) for source in chosen]
