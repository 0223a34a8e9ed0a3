"""What every parser is: a named reader of one kind of report that turns the
lines of a chunk into a frame of events with flat dotted field names.

Parsers are pure: no Django, no I/O. The runner reads the report's head once
(:meth:`Parser.setup`), stores the :class:`Setup` with the run, then hands
each chunk's lines to :meth:`Parser.parse` in whatever worker runs it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import polars as pl

from baobab.pipeline.fields import LINE

# Each parsed frame carries these two columns besides the event fields.
RAW = "raw"
LINE_COLUMN = LINE
MAX_RAW_CHARS = 65_536  # a raw record kept in quarantine is cut here


class UnknownReportError(ValueError):
    """The report type is not one the parser knows (``valid`` lists them)."""

    def __init__(self, parser: str, report: str, valid: Sequence[str]) -> None:
        self.parser, self.report, self.valid = parser, report, list(valid)
        wanted = f"{report!r}" if report else "no report type (none given, none in the file name)"
        super().__init__(
            f"{wanted} is not a report type of the {parser} parser. "
            f"Valid report types: {', '.join(self.valid)}."
        )


class ReportError(ValueError):
    """The report cannot be read at all (no header, missing required columns…)."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be parsed or failed validation."""

    line: int | None
    raw: str
    reason: str
    field: str = ""


@dataclass(frozen=True, slots=True)
class Setup:
    """What a parser learnt from a report's head, stored with the run."""

    report: str = ""
    skip_lines: int = 0  # lines before the first record (header, preamble)
    columns: tuple[str, ...] = ()  # the header's column names, when there is one
    options: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "skip_lines": self.skip_lines,
            "columns": list(self.columns),
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Setup:
        return cls(
            report=str(data.get("report", "")),
            skip_lines=int(data.get("skip_lines", 0)),
            columns=tuple(data.get("columns", ())),
            options=dict(data.get("options", {})),
        )


@dataclass(slots=True)
class Parsed:
    """A chunk's events (one row each, one column per field, plus ``raw`` and
    ``baobab.line``) and the records it had to reject."""

    frame: pl.DataFrame
    rejected: list[Rejected] = field(default_factory=list)


class Parser(ABC):
    """A reader of one kind of report."""

    name: ClassVar[str]
    description: ClassVar[str]
    provider: ClassVar[str] = ""
    # False: the report is one document (a JSON object, say) parsed in one chunk.
    line_based: ClassVar[bool] = True
    # Options the runner fills with a data file of the enrichment folder when
    # the operator has put it there (option name -> file name).
    data_file_options: ClassVar[dict[str, str]] = {}

    def reports(self) -> Sequence[str]:
        """The report types this parser knows (empty when it has none)."""
        return ()

    def setup(
        self, head: list[bytes], *, file_name: str, report: str, options: Mapping[str, Any]
    ) -> Setup:
        """Read the report's first lines: the report type, the header, what to skip.

        Raises :class:`UnknownReportError` or :class:`ReportError`.
        """
        return Setup(report=report, options=options)

    @abstractmethod
    def parse(self, lines: list[bytes], first_line: int, setup: Setup) -> Parsed:
        """The events of ``lines`` (``first_line`` is the number of the first)."""


def empty_frame() -> pl.DataFrame:
    """A frame with no event (the two bookkeeping columns only)."""
    return pl.DataFrame(schema={LINE_COLUMN: pl.Int64, RAW: pl.Utf8})


def raw_text(line: bytes) -> str:
    """A raw record as text for quarantine: undecodable bytes escaped, cut when huge."""
    return line[: MAX_RAW_CHARS * 4].decode("utf-8", "backslashreplace")[:MAX_RAW_CHARS]
