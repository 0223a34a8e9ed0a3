"""The records every directory format is turned into before anything is written.

A format module reads its file and yields :class:`Record` objects; each holds
one or more items (a team, an organisation, a contact, a claim) that are
written together or not at all. Items name what they belong to by short
name, so a format never deals with database ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from baobab.directory.importers.common import Where

TEAM = "team"
ORGANISATION = "organisation"


@dataclass(frozen=True)
class HolderRef:
    """A team or an organisation, named by its short name."""

    kind: str  # TEAM or ORGANISATION
    short_name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.short_name}"


@dataclass
class TeamItem:
    """A team: ``fields`` are kept up to date, ``create_only`` are only set on creation."""

    short_name: str
    fields: dict[str, Any]
    create_only: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrganisationItem:
    """An organisation; ``managed_by`` is the coordinating team's short name."""

    short_name: str
    fields: dict[str, Any]
    managed_by: str | None = None
    create_only: dict[str, Any] = field(default_factory=dict)


@dataclass
class ContactItem:
    """A contact of a team or organisation, matched on the holder and its name.

    ``sharing_group`` and ``recipients`` are None when the format does not
    carry them (they are then left alone), ``""`` and ``[]`` for "none".
    """

    holder: HolderRef
    name: str
    fields: dict[str, Any]
    create_only: dict[str, Any] = field(default_factory=dict)
    sharing_group: str | None = None
    recipients: list[str] | None = None


@dataclass
class ClaimItem:
    """A constituency claim, matched on the holder, the kind and the normalised value."""

    holder: HolderRef
    kind: str
    value: str
    fields: dict[str, Any] = field(default_factory=dict)


Item = TeamItem | OrganisationItem | ContactItem | ClaimItem


@dataclass
class Record:
    """One record of the file: its items are written together, or it is refused.

    A parser that already knows the record cannot be used sets ``refusal``;
    ``warnings`` are reported when the record goes through.
    """

    where: Where
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusal: str | None = None
