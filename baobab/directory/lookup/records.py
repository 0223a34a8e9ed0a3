"""The plain records the look-up index is built from: holders, claims, delegations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# --- records the index is built from -----------------------------------------


@dataclass(frozen=True, slots=True)
class HolderRecord:
    """A team or an organisation that can hold claims.

    ``category`` is the team type or the organisation kind; ``managed_by_id``
    the coordinating team of an organisation.
    """

    kind: str
    id: int
    short_name: str
    name: str
    category: str = ""
    country: str = ""
    managed_by_id: int | None = None
    email: str = ""
    phone_24x7: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.id)


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A constituency claim with its normalised value (see ``directory.claims``)."""

    id: int
    kind: str
    value: str
    holder_kind: str
    holder_id: int
    valid_from: date | None = None
    valid_until: date | None = None

    @property
    def holder_key(self) -> tuple[str, int]:
        return (self.holder_kind, self.holder_id)

    def valid_on(self, day: date | None) -> bool:
        """Whether the claim applies on ``day`` (always, when no day is given)."""
        if day is None:
            return True
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class DelegatedRecord:
    """A row of RIR delegated statistics: IPv4 first address + count, IPv6
    first address + prefix length, ASN first number + count."""

    registry: str
    kind: str
    first: str
    size: int
    country: str
