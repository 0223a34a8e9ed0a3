"""IntelMQ events as JSON lines (IntelMQ's file output), so that a team moving
from IntelMQ brings its events along.

Each line is one event with IntelMQ's flat dotted keys (nested objects, as
IntelMQ's hierarchical output writes them, are flattened to the same keys).
Fields Baobab knows keep their names; every other key goes under ``extra.``
(so do keys under ``baobab.``: routing is Baobab's to decide, not the
file's). IntelMQ keeps the original record base64-encoded in ``raw``: it is
decoded into ``raw`` when it is valid base64 of text, otherwise the event's
own line is the raw record.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from baobab.pipeline.fields import EXTRA_PREFIX, FIELDS
from baobab.pipeline.parsers._chunks import finish, guarded, text_frame
from baobab.pipeline.parsers._json import flatten, frame_from_rows, json_objects, json_text
from baobab.pipeline.parsers.base import MAX_RAW_CHARS, RAW, Parsed, Parser, Rejected, Setup

IGNORED = frozenset({"__type"})  # IntelMQ's message kind ("Event")


def field_name(key: str) -> str:
    """Where an IntelMQ key goes in a Baobab event."""
    if key in FIELDS and key != RAW:
        return key
    if key.startswith(EXTRA_PREFIX) and len(key) > len(EXTRA_PREFIX):
        return key
    return EXTRA_PREFIX + key


def decoded_raw(value: Any) -> str | None:
    """IntelMQ's base64 ``raw`` as text; None when it is not valid base64 of UTF-8."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        data = base64.b64decode(value.strip(), validate=True)
        return data.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


class IntelMQParser(Parser):
    """IntelMQ event JSON lines."""

    name = "intelmq"
    description = "IntelMQ events (JSON lines with IntelMQ's dotted field names)"

    @guarded
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """One event per JSON line."""
        frame, rejected = text_frame(lines, first_line, comments=())
        objects, bad = json_objects(frame)
        rejected += bad
        rows: list[dict[str, str | None]] = []
        numbers: list[int] = []
        raws: list[str] = []
        for line, text, value in objects:
            row: dict[str, str | None] = {}
            raw = None
            for key, item in flatten(value).items():
                if key in IGNORED:
                    continue
                if key == RAW:
                    raw = decoded_raw(item)
                    continue
                name = field_name(key)
                if name not in row or row[name] is None:
                    row[name] = json_text(item)
            if not any(item is not None for item in row.values()):
                rejected.append(Rejected(line, text[:MAX_RAW_CHARS], "the event has no field"))
                continue
            rows.append(row)
            numbers.append(line)
            raws.append(raw if raw is not None else text)
        return Parsed(finish(frame_from_rows(rows, numbers, raws)), rejected)
