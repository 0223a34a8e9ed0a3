"""The MISP feed collector: a MISP feed (``manifest.json`` and one
``<uuid>.json`` per event) read from an address or a folder, each new or
changed event imported into the sharing app for the feed's team.

Options (``Feed.collector_options``):

``url``
    The feed's ``http://`` or ``https://`` address (its folder, or its
    ``manifest.json``). The HTTP collector's options apply to it:
    ``headers``, ``header_env`` (a MISP server's key, for example
    ``{"Authorization": "BAOBAB_FEED_CIRCL_KEY"}``), ``username`` and
    ``password_env``, ``timeout``, ``total_timeout``, ``ca_file``.
``path``
    Instead of ``url``: a folder holding the feed, under the folders the
    file collector may read (``COLLECTOR_FILE_ROOTS``).
``distribution``
    Who sees an event that does not say (MISP's feeds leave distribution
    out): ``team`` (the default), ``community`` or ``public``. TLP comes
    from the events' ``tlp:`` tags, else from the feed's TLP.

The manifest says when each event last changed; an event is fetched when
it is new or its timestamp has grown. The collector remembers the timestamp
of each event it imported (``Feed.collector_state["misp"]``, written every
few events and at the end) and the manifest's ETag, so a rerun fetches
nothing twice (after a crash, the last few events at most, whose import
then changes nothing). An event refused by the importer (not a MISP event,
a value not of its type…) is recorded as a failed run with its reason and
not fetched again until it changes; one that could not be fetched is tried
again next time. The others go on. Each collection that read events is
recorded as a run: events read (``parsed``), imported (``stored``) and
refused (``quarantined``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core.choices import Distribution
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.collectors import files, http
from baobab.pipeline.collectors.base import (
    CollectorError,
    Job,
    logger,
    max_bytes,
    spool_dir,
    too_large,
)
from baobab.pipeline.collectors.options import Options, OptionsError
from baobab.pipeline.collectors.state import remember
from baobab.pipeline.models import FeedRun
from baobab.sharing.misp.export import is_uuid
from baobab.sharing.misp.read import MispError

MANIFEST = "manifest.json"
HTTP_OPTIONS = (
    "headers",
    "header_env",
    "username",
    "password_env",
    "timeout",
    "total_timeout",
    "ca_file",
)
KNOWN_OPTIONS = ("url", "path", "distribution", *HTTP_OPTIONS)
DISTRIBUTIONS = (Distribution.TEAM, Distribution.COMMUNITY, Distribution.PUBLIC)
STATE_KEY = "misp"
# Events imported between two writes of the collector's state: after a crash
# at most these are fetched again (and change nothing: imports are idempotent).
SAVE_EVERY = 20


@dataclass(frozen=True)
class MispFeedOptions:
    """The MISP feed collector's options, checked."""

    distribution: Distribution
    url: str = ""
    http: http.HttpOptions | None = None
    path: Path | None = None

    @property
    def source(self) -> str:
        return self.url or str(self.path)


def read_options(raw: Any) -> MispFeedOptions:
    """Check the options of a MISP feed (the folder need not exist yet)."""
    options = Options(raw, KNOWN_OPTIONS)
    url = options.text("url")
    path_text = options.text("path")
    distribution = options.choice("distribution", DISTRIBUTIONS, default=Distribution.TEAM)
    given = raw if isinstance(raw, Mapping) else {}
    if bool(url) == bool(path_text):
        options.errors.append(_("Give either url (an http(s) address) or path (a folder)."))
    http_options = None
    path = None
    if url:
        base = url.removesuffix(MANIFEST).rstrip("/") + "/"
        try:
            http_options = http.read_options(
                {"url": base, **{name: given[name] for name in HTTP_OPTIONS if name in given}}
            )
        except OptionsError as exc:
            options.errors.extend(exc.messages)
        url = base
    elif path_text:
        extra = sorted(name for name in HTTP_OPTIONS if name in given)
        if extra:
            options.errors.append(
                _("These options are for a url only: %(names)s.") % {"names": ", ".join(extra)}
            )
        try:
            path = files.resolve_path(path_text)
        except CollectorError as exc:
            options.errors.append(str(exc))
    options.check()
    return MispFeedOptions(
        distribution=Distribution(distribution), url=url, http=http_options, path=path
    )


# --- where the feed's files come from ---------------------------------------------


def _folder_file(folder: Path, name: str) -> Path:
    """A file of a feed folder, refused if it leads out of the folder or is too large."""
    path = folder / name
    if not path.is_file():
        raise CollectorError(_("%(path)s does not exist.") % {"path": path})
    resolved = path.resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise CollectorError(_("%(path)s leads out of the feed's folder.") % {"path": path})
    if resolved.stat().st_size > max_bytes():
        raise too_large(max_bytes())
    return resolved


def _fetch(
    options: MispFeedOptions, name: str, scratch: Path, seen: dict[str, Any] | None = None
) -> tuple[bytes | None, dict[str, Any]]:
    """The content of the feed's file ``name`` (None when the server says
    it has not changed since ``seen``) and what to remember about it."""
    if options.path is not None:
        return _folder_file(options.path, name).read_bytes(), {}
    assert options.http is not None
    request, secrets = http.build_request(http.expand(options.url + name), options.http, seen or {})
    body = http.download(request, secrets, options.http, scratch / "body", default_name=name)
    if body is None:
        return None, dict(seen or {})
    content = body.path.read_bytes()
    body.path.unlink()
    return content, {"etag": body.etag, "last_modified": body.last_modified}


def _manifest(content: bytes) -> list[tuple[str, int]]:
    """The events a manifest lists, with their timestamps, oldest first."""
    try:
        manifest = json.loads(content)
    except ValueError as exc:
        raise CollectorError(
            _("The feed's manifest.json is not JSON: %(error)s") % {"error": exc}
        ) from None
    if not isinstance(manifest, Mapping):
        raise CollectorError(_("The feed's manifest.json is not an object of events."))
    entries: list[tuple[str, int]] = []
    for event_uuid, entry in manifest.items():
        stamp = entry.get("timestamp") if isinstance(entry, Mapping) else None
        try:
            timestamp = int(stamp) if stamp is not None else 0
        except (TypeError, ValueError):
            timestamp = 0
        entries.append((str(event_uuid), timestamp))
    return sorted(entries, key=lambda item: (item[1], item[0]))


# --- the collection -----------------------------------------------------------------


@dataclass
class _Counts:
    read: int = 0
    imported: int = 0
    refused: int = 0


def collect(job: Job) -> None:
    """Import the feed's new and changed events."""
    options = read_options(job.feed.collector_options)
    team = job.feed.owner_team
    if team is None:
        raise CollectorError(
            _("The MISP feed %(feed)s has no team: name the team whose events these are.")
            % {"feed": job.feed.name}
        )
    job.source = options.source
    state = dict(job.feed.collector_state.get(STATE_KEY) or {})
    if state.get("source") != options.source or job.force:
        state = {"source": options.source, "events": {}}
    known: dict[str, int] = dict(state.get("events") or {})
    started = timezone.now()
    counts = _Counts()
    complete = True
    with spool_dir() as scratch:
        content, validators = _fetch(options, MANIFEST, scratch, state.get("manifest"))
        if content is None:
            logger.info("feed %s: the manifest has not changed", job.feed.name)
            return
        unsaved = 0
        try:
            for event_uuid, timestamp in _manifest(content):
                if known.get(event_uuid, -1) >= timestamp:
                    continue
                if not _event(job, options, scratch, event_uuid, counts):
                    complete = False  # not fetched: tried again next time
                    continue
                known[event_uuid] = timestamp
                unsaved += 1
                if unsaved >= SAVE_EVERY:
                    remember(job.feed, STATE_KEY, {**state, "events": known})
                    unsaved = 0
        finally:
            final = {**state, "events": known}
            final.pop("manifest", None)
            if complete:  # else the manifest is read again next time, for what is missing
                final["manifest"] = validators
            remember(job.feed, STATE_KEY, final)
    if counts.read or counts.refused:
        _summary(job, options.source, started, counts)


def _event(
    job: Job, options: MispFeedOptions, scratch: Path, event_uuid: str, counts: _Counts
) -> bool:
    """Fetch and import one event of the manifest; False when it could not
    be fetched (or failed unexpectedly): it is tried again next time."""
    source = options.source.rstrip("/") + f"/{event_uuid}.json"
    if not is_uuid(event_uuid):
        counts.refused += 1
        job.fail(
            _("The manifest lists %(name)r, which is not an event uuid.")
            % {"name": event_uuid[:100]},
            source=options.source,
        )
        return True
    try:
        content, _validators = _fetch(options, f"{event_uuid}.json", scratch)
    except CollectorError as exc:
        job.fail(_("Event %(uuid)s: %(error)s") % {"uuid": event_uuid, "error": exc}, source=source)
        return False
    counts.read += 1
    try:
        imported = _import(job, options, event_uuid, content or b"")
    except (MispError, ValidationError) as exc:
        counts.refused += 1
        reasons = exc.messages if hasattr(exc, "messages") else [str(exc)]
        job.fail(
            _("Event %(uuid)s was refused: %(reasons)s")
            % {"uuid": event_uuid, "reasons": " ".join(reasons)},
            source=source,
        )
        return True
    except Exception as exc:  # one event must not stop the feed
        logger.exception("feed %s: could not import event %s", job.feed.name, event_uuid)
        job.fail(
            _("Event %(uuid)s: %(error)s")
            % {"uuid": event_uuid, "error": str(exc) or exc.__class__.__name__},
            source=source,
        )
        return False
    counts.imported += imported
    return True


def _import(job: Job, options: MispFeedOptions, event_uuid: str, content: bytes) -> int:
    """Import one event file for the feed's team; how many events it held."""
    # The importer loads the STIX validator: only when a MISP feed has an event to import.
    from baobab.sharing.misp.importing import import_misp  # noqa: PLC0415

    team = job.feed.owner_team
    assert team is not None
    imported = import_misp(
        content,
        team=team,
        acting_user=None,
        default_tlp=job.feed.tlp,
        default_distribution=options.distribution,
        expect_uuid=event_uuid,
    )
    return len(imported)


def _summary(job: Job, source: str, started: Any, counts: _Counts) -> None:
    """Record the collection as a run: events read, imported, refused."""
    finished = timezone.now()
    team = job.feed.owner_team
    run = FeedRun.objects.create(
        feed=job.feed,
        status=RunStatus.DONE,
        source=source[:500],
        started_at=started,
        finished_at=finished,
        duration_seconds=(finished - started).total_seconds(),
        parsed=counts.read,
        stored=counts.imported,
        quarantined=counts.refused,
        per_team={team.short_name: counts.imported} if team is not None and counts.imported else {},
    )
    job.runs.append(run)
