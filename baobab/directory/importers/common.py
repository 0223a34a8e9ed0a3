"""What every directory import shares: the report it returns, the error for a
file that cannot be used at all, reading a file safely, and the small value
helpers (short names, time zones, web sites) the external formats need.

An import reads the whole file first when the format allows it; anything
that makes the file unusable raises :class:`UnusableFileError` before a single row
is written. The runner (:mod:`baobab.directory.importers.apply`) then writes
inside one transaction.
"""

from __future__ import annotations

import ipaddress
import json
import re
import zoneinfo
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from baobab.core.choices import TeamType

# A file larger than this is refused before it is read (a directory export is
# a few megabytes; the RIR files are read by their own importer).
MAX_DIRECTORY_FILE_BYTES = 64 * 1024 * 1024

_SHORT_NAME_JUNK = re.compile(r"[^A-Za-z0-9._-]+")
_UTC_OFFSET = re.compile(r"^(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


class UnusableFileError(Exception):
    """The file cannot be imported at all: nothing is written."""


class BadValueError(ValueError):
    """A field of a record holds a value that cannot be used; the record is refused."""


@dataclass(frozen=True)
class Where:
    """Where in the file a record sits: a line (CSV, text) or a record number (JSON).

    ``path`` locates a nested JSON object (``teams[2].contacts[0]``, counted
    from 0 as JSON tools do); ``label`` names the record (a short name).
    """

    unit: str  # "line" or "record"
    number: int
    label: str = ""
    path: str = ""

    def __str__(self) -> str:
        if self.unit == "line":
            text = _("line %(number)d") % {"number": self.number}
        else:
            text = _("record %(number)d") % {"number": self.number}
        details = ", ".join(part for part in (self.path, self.label) if part)
        return f"{text} ({details})" if details else text


@dataclass(frozen=True)
class Outcome:
    """One object an import created, updated or left unchanged."""

    where: Where
    what: str


@dataclass(frozen=True)
class Problem:
    """A refused record or a warning about one, with the reason."""

    where: Where
    reason: str


@dataclass
class ImportReport:
    """What one import did: created, updated, unchanged, refused, and warnings."""

    source: str
    format: str
    dry_run: bool = False
    created: list[Outcome] = field(default_factory=list)
    updated: list[Outcome] = field(default_factory=list)
    unchanged: list[Outcome] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        """Add the outcomes of ``other`` (one record that went through) to this report."""
        self.created.extend(other.created)
        self.updated.extend(other.updated)
        self.unchanged.extend(other.unchanged)
        self.warnings.extend(other.warnings)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the ``--json`` output)."""

        def items(entries: list[Outcome] | list[Problem]) -> list[dict[str, Any]]:
            rows = []
            for entry in entries:
                row = asdict(entry)
                where = row.pop("where")
                rows.append(
                    {
                        where["unit"]: where["number"],
                        "label": where["label"],
                        "path": where["path"],
                        **row,
                    }
                )
            return rows

        return {
            "source": self.source,
            "format": self.format,
            "dry_run": self.dry_run,
            "counts": {
                "created": len(self.created),
                "updated": len(self.updated),
                "unchanged": len(self.unchanged),
                "refused": len(self.refused),
                "warnings": len(self.warnings),
            },
            "created": items(self.created),
            "updated": items(self.updated),
            "unchanged": items(self.unchanged),
            "refused": items(self.refused),
            "warnings": items(self.warnings),
        }


def read_text(path: Path, *, limit: int = MAX_DIRECTORY_FILE_BYTES) -> str:
    """The file's text as UTF-8 (a byte-order mark is allowed), or :class:`UnusableFileError`."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnusableFileError(
                _("%(path)s is too large (%(size)d bytes; at most %(limit)d).")
                % {"path": path, "size": size, "limit": limit}
            )
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableFileError(
            _("%(path)s cannot be read: %(reason)s") % {"path": path, "reason": exc.strerror or exc}
        ) from exc
    return decode_text(data, name=str(path))


def decode_text(data: bytes, *, name: str) -> str:
    """Decode ``data`` as UTF-8 text; refuse empty, binary or undecodable content."""
    if not data.strip():
        raise UnusableFileError(_("%(name)s is empty.") % {"name": name})
    if b"\x00" in data:
        raise UnusableFileError(
            _("%(name)s is not a text file (it holds NUL bytes).") % {"name": name}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFileError(
            _("%(name)s is not UTF-8 text (byte %(offset)d cannot be decoded).")
            % {"name": name, "offset": exc.start}
        ) from exc


def validation_message(exc: ValidationError) -> str:
    """One readable line out of a Django validation error."""
    if hasattr(exc, "error_dict"):
        parts = []
        for name, errors in exc.message_dict.items():
            text = " ".join(errors)
            parts.append(text if name == "__all__" else f"{name}: {text}")
        return "; ".join(parts)
    return " ".join(exc.messages)


def make_short_name(text: str) -> str:
    """A Baobab short name from a directory's team name: ``ACN IBE CSIRT`` → ``ACN-IBE-CSIRT``."""
    value = _SHORT_NAME_JUNK.sub("-", text.strip()).strip("-._")
    return value[:64].rstrip("-._")


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def map_timezone(text: str) -> str | None:
    """An IANA time zone for what a directory says, or None when it cannot be told.

    ``Europe/Berlin`` stays as it is; ``UTC``/``GMT`` become ``UTC``; whole-hour
    offsets such as ``UTC+3`` or ``UTC-0500`` become ``Etc/GMT-3`` and
    ``Etc/GMT+5`` (the ``Etc`` zones count the other way round).
    """
    value = text.strip()
    if not value:
        return None
    if value in _known_timezones():
        return value
    if value.upper() in {"UTC", "GMT", "Z", "UTC+0", "GMT+0", "UTC+00:00"}:
        return "UTC"
    match = _UTC_OFFSET.match(value)
    if not match:
        return None
    sign, hours_text, minutes = match.groups()
    hours = int(hours_text)
    if minutes not in (None, "00"):
        return None
    if hours == 0:
        return "UTC"
    if (sign == "+" and hours > 14) or (sign == "-" and hours > 12):
        return None
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def clean_url(text: str) -> str | None:
    """``text`` when it is a web address (``https://`` added to a bare host), else None."""
    value = text.strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return None
    return value


def is_email(text: str) -> bool:
    """Whether ``text`` is an e-mail address Django accepts."""
    try:
        EmailValidator()(text)
    except ValidationError:
        return False
    return True


def load_json(text: str, *, name: str) -> Any:
    """Parse JSON text, or raise :class:`UnusableFileError` saying where it breaks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnusableFileError(
            _("%(name)s is not valid JSON: %(reason)s (line %(line)d, column %(column)d).")
            % {"name": name, "reason": exc.msg, "line": exc.lineno, "column": exc.colno}
        ) from exc


# How the words a directory uses for a team's constituency map onto Baobab's
# team types, checked in this order; each keyword must start a word
# ("national" does not match "International"). A team that matches none is
# "private".
TEAM_TYPE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (TeamType.NATIONAL, ("national",)),
    (TeamType.GOVERNMENT, ("government", "military", "law enforcement", "public administration")),
    (TeamType.ACADEMIC, ("research", "education", "academic", "universit", "nren")),
    (TeamType.REGIONAL, ("regional",)),
    (
        TeamType.SECTORAL,
        ("ciip", "critical", "financ", "bank", "energy", "health", "telecom", "industr"),
    ),
)


def guess_team_type(descriptions: list[str]) -> str:
    """Baobab's team type for a directory's constituency descriptions (default "private")."""
    words = " ".join(descriptions).lower()
    for team_type, keywords in TEAM_TYPE_KEYWORDS:
        if any(re.search(r"\b" + re.escape(keyword), words) for keyword in keywords):
            return str(team_type)
    return str(TeamType.PRIVATE)


def as_text(value: Any) -> str:
    """A JSON value as stripped text: numbers are written out, anything else is empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def as_text_list(value: Any) -> list[str]:
    """A JSON string or list of strings as a list of non-empty stripped texts."""
    items = value if isinstance(value, list) else [value]
    return [text for text in (as_text(item) for item in items) if text]


def prefixes_of(text: str) -> list[str]:
    """The prefixes a directory's IP range covers: ``192.0.2.0/24`` as it is,
    ``192.0.2.0 - 192.0.2.255`` as the CIDR blocks of that range.

    A text that is neither is returned unchanged, so that normalising it as a
    claim refuses it with the usual message.
    """
    value = text.strip()
    if "-" in value and "/" not in value:
        first_text, _sep, last_text = value.partition("-")
        try:
            first = ipaddress.ip_address(first_text.strip())
            last = ipaddress.ip_address(last_text.strip())
            return [str(net) for net in ipaddress.summarize_address_range(first, last)]
        except (ValueError, TypeError):
            return [value]
    return [value]
