"""What a STIX import did, per STIX type: created, new and past versions,
unchanged, kept as received, not stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext as _

from baobab.sharing.models import KeptObject
from baobab.sharing.store import Fate, Incoming, counts


@dataclass(frozen=True)
class TypeCounts:
    """What an import did with the objects of one STIX type."""

    created: int = 0
    new_versions: int = 0  # newer versions: the object changed
    past_versions: int = 0  # older versions, kept as history
    unchanged: int = 0  # held already
    kept_as_is: int = 0  # of those stored, how many as kept objects
    not_stored: int = 0  # TLP marking definitions, Baobab's own team identities

    @property
    def total(self) -> int:
        return (
            self.created + self.new_versions + self.past_versions + self.unchanged + self.not_stored
        )


@dataclass(frozen=True)
class ImportReport:
    """What an import did, per STIX type."""

    bundle_id: str
    per_type: dict[str, TypeCounts]

    def _sum(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.per_type.values())

    @property
    def created(self) -> int:
        return self._sum("created")

    @property
    def new_versions(self) -> int:
        return self._sum("new_versions")

    @property
    def past_versions(self) -> int:
        return self._sum("past_versions")

    @property
    def unchanged(self) -> int:
        return self._sum("unchanged")

    @property
    def kept_as_is(self) -> int:
        return self._sum("kept_as_is")

    @property
    def not_stored(self) -> int:
        return self._sum("not_stored")

    @property
    def total(self) -> int:
        return self._sum("total")

    def lines(self) -> list[str]:
        """The report as lines of text, one per type and one for the total."""
        rows = [(stix_type, counts) for stix_type, counts in sorted(self.per_type.items())]
        rows.append((_("total"), TypeCounts(**{name: self._sum(name) for name in _COUNTS})))
        return [
            _(
                "%(type)s: %(total)d — %(created)d created, %(new)d new versions, "
                "%(past)d past versions, %(unchanged)d unchanged, %(kept)d kept as is, "
                "%(skipped)d not stored"
            )
            % {
                "type": stix_type,
                "total": counts.total,
                "created": counts.created,
                "new": counts.new_versions,
                "past": counts.past_versions,
                "unchanged": counts.unchanged,
                "kept": counts.kept_as_is,
                "skipped": counts.not_stored,
            }
            for stix_type, counts in rows
        ]


_COUNTS = ("created", "new_versions", "past_versions", "unchanged", "kept_as_is", "not_stored")


def report_of(bundle_id: str, items: list[Incoming], skipped: dict[str, int]) -> ImportReport:
    """What an import of ``items`` did (their fates set by the store), per type."""
    tallies = counts(items)
    kept = Counter(
        item.stix_type
        for item in items
        if item.model is KeptObject and item.fate is not Fate.UNCHANGED
    )
    per_type = {
        stix_type: TypeCounts(
            created=tallies[stix_type, Fate.CREATED],
            new_versions=tallies[stix_type, Fate.NEW_VERSION],
            past_versions=tallies[stix_type, Fate.PAST_VERSION],
            unchanged=tallies[stix_type, Fate.UNCHANGED],
            kept_as_is=kept.get(stix_type, 0),
            not_stored=skipped.get(stix_type, 0),
        )
        for stix_type in {item.stix_type for item in items} | set(skipped)
    }
    return ImportReport(bundle_id=bundle_id, per_type=per_type)
