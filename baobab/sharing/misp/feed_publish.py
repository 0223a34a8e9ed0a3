"""A MISP feed of what a viewer may see, laid out as MISP's own feeds are:
``manifest.json`` (each event's uuid with its title, tags, date and
timestamp), one ``<uuid>.json`` per event, and ``hashes.csv`` (the MD5 of
each attribute value with its event's uuid, for quick look-ups).

The events are :func:`baobab.sharing.misp.export.visible_events` of the
viewer; the files are written in MISP's feed form (PyMISP's ``to_feed``),
which leaves out distribution and sharing groups, as MISP's feeds do: TLP
stays, as tags, and the consumer chooses the distribution.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymisp import MISPEvent

from baobab.sharing.misp.export import is_uuid, visible_events
from baobab.sharing.queries import Who

MANIFEST = "manifest.json"
HASHES = "hashes.csv"


@dataclass
class FeedFiles:
    """The content of a feed: its manifest, its events by uuid, its hashes."""

    manifest: dict[str, Any] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    hashes: list[str] = field(default_factory=list)

    def hashes_csv(self) -> str:
        """``hashes.csv``: one ``md5,event uuid`` line per attribute value."""
        return "".join(f"{line}\n" for line in self.hashes)


def feed_event(event: MISPEvent) -> dict[str, Any]:
    """One event as a feed holds it (``{"Event": {…}}``, MISP's feed form)."""
    return event.to_feed(with_distribution=False)


def feed_of(events: Iterable[MISPEvent]) -> FeedFiles:
    """The feed files of ``events``."""
    files = FeedFiles()
    for event in events:
        event_uuid = str(event.uuid)
        files.events[event_uuid] = feed_event(event)
        files.manifest.update(event.manifest)
        files.hashes.extend(f"{digest},{event_uuid}" for digest in event.attributes_hashes("md5"))
    return files


def feed_for(who: Who) -> FeedFiles:
    """The feed of everything ``who`` may see."""
    return feed_of(visible_events(who))


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step (a reader sees the old file or the new)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def publish(folder: Path, who: Who) -> FeedFiles:
    """Write the feed of what ``who`` may see into ``folder``: the events
    first, then ``hashes.csv`` and ``manifest.json``; event files of an
    earlier publication that are no longer in the feed are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    files = feed_for(who)
    for event_uuid, content in files.events.items():
        _write(folder / f"{event_uuid}.json", json.dumps(content, ensure_ascii=False))
    _write(folder / HASHES, files.hashes_csv())
    _write(folder / MANIFEST, json.dumps(files.manifest, ensure_ascii=False, indent=1))
    for path in folder.glob("*.json"):
        if path.name != MANIFEST and is_uuid(path.stem) and path.stem not in files.events:
            path.unlink()
    return files
