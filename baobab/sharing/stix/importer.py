"""Importing a STIX 2.1 bundle into a team's shared objects.

The whole bundle is checked by the STIX validator first; an invalid bundle
is refused whole (:class:`BundleRefusedError`, with the validator's
messages) and nothing is written. Each object then gets its TLP from its
markings (TLP 1.0 ids, TLP 2.0 extension ids, or the bundle's own marking
definitions naming a TLP; none: the import's default) and the distribution
the import asks for, is read into its model (:mod:`.reading`) and stored
with its version (:mod:`baobab.sharing.store`), idempotently. The TLP
marking definitions and the identities of Baobab's own teams in a bundle
are not stored: Baobab writes them again on export.

The MISP import and the TAXII server call :func:`import_bundle` too.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from baobab.core.choices import TLP, Distribution, Role
from baobab.core.models import SharingGroup, Team, User
from baobab.core.permissions import require_role
from baobab.core.services import check_sharing_group
from baobab.sharing.models import STIX_ID_LENGTH
from baobab.sharing.stix import reading
from baobab.sharing.stix.import_report import ImportReport, TypeCounts, report_of
from baobab.sharing.stix.render import team_identity_id
from baobab.sharing.store import Incoming, store

__all__ = [
    "BundleRefusedError",
    "ImportReport",
    "Sharing",
    "TypeCounts",
    "import_bundle",
    "read_bundle",
]

# Messages shown in a refusal's summary; all of them are in ``messages``.
SHOWN = 10


@dataclass(frozen=True)
class Sharing:
    """How the objects of an import are shared."""

    distribution: str = Distribution.COMMUNITY
    sharing_group: SharingGroup | None = None
    default_tlp: str = TLP.AMBER  # for objects with no TLP marking
    # STIX id -> (distribution, group): how some objects are shared instead.
    per_object: Mapping[str, tuple[str, SharingGroup | None]] = field(default_factory=dict)


class BundleRefusedError(ValueError):
    """A bundle that is not imported at all; ``messages`` say why."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__(self.summary())

    def summary(self) -> str:
        count = len(self.messages)
        head = ngettext(
            "The STIX bundle was refused (%(count)d error):",
            "The STIX bundle was refused (%(count)d errors):",
            count,
        ) % {"count": count}
        lines = [head, *self.messages[:SHOWN]]
        if count > SHOWN:
            lines.append(_("… and %(more)d more.") % {"more": count - SHOWN})
        return "\n".join(lines)


def read_bundle(data: bytes | str) -> dict[str, Any]:
    """A bundle read from JSON text (refused when it is not JSON)."""
    try:
        bundle = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise BundleRefusedError(
            [_("The file is not JSON: %(error)s") % {"error": error}]
        ) from None
    if not isinstance(bundle, dict):
        raise BundleRefusedError([_("This is not a STIX bundle: a JSON object is expected.")])
    return bundle


def _objects_of(bundle: Any) -> list[dict[str, Any]]:
    """The bundle's objects, or a refusal when it is no bundle or holds none."""
    if not isinstance(bundle, Mapping) or bundle.get("type") != "bundle":
        raise BundleRefusedError([_('This is not a STIX bundle: its "type" must be "bundle".')])
    objects = bundle.get("objects")
    if objects is None or objects == []:
        raise BundleRefusedError([_("The bundle holds no objects.")])
    if not isinstance(objects, list):
        raise BundleRefusedError([_('The bundle\'s "objects" must be a list.')])
    problems = [
        _("Object %(number)d is not a STIX object with a type and an id.") % {"number": number}
        for number, obj in enumerate(objects, 1)
        if not (
            isinstance(obj, dict)
            and isinstance(obj.get("type"), str)
            and isinstance(obj.get("id"), str)
        )
    ]
    problems += [
        _("%(id)s: the id is longer than %(max)d characters.")
        % {"id": obj["id"][:80] + "…", "max": STIX_ID_LENGTH}
        for obj in objects
        if isinstance(obj, dict) and len(str(obj.get("id", ""))) > STIX_ID_LENGTH
    ]
    if problems:
        raise BundleRefusedError(problems)
    return objects


def _check_sharing(team: Team, sharing: Sharing) -> None:
    """Refuse a distribution the team may not use (before anything is read)."""
    choices = {(sharing.distribution, sharing.sharing_group), *sharing.per_object.values()}
    for distribution, group in choices:
        if distribution not in Distribution.values:
            raise ValidationError({"distribution": _("Unknown distribution %r.") % distribution})
        if (distribution == Distribution.GROUP) != (group is not None):
            raise ValidationError(
                {"sharing_group": _("A sharing group goes with group distribution, and only then.")}
            )
        check_sharing_group(team, group)
    if sharing.default_tlp not in TLP.values:
        raise ValidationError({"tlp": _("Unknown TLP %r.") % sharing.default_tlp})


def _not_stored(obj: Mapping[str, Any], tlp_ids: Mapping[str, Any], teams: set[str]) -> bool:
    kind = obj["type"]
    return (kind == "marking-definition" and obj["id"] in tlp_ids) or (
        kind == "identity" and obj["id"] in teams
    )


def _incoming(
    objects: list[dict[str, Any]], team: Team, sharing: Sharing
) -> tuple[list[Incoming], dict[str, int]]:
    """The versions to store, and how many objects of each type are not stored."""
    tlp_ids = reading.tlp_ids_of(objects)
    teams = {team_identity_id(other) for other in Team.objects.only("short_name")}
    own = team_identity_id(team)
    default = TLP(sharing.default_tlp)
    items: list[Incoming] = []
    skipped: dict[str, int] = {}
    for obj in objects:
        if _not_stored(obj, tlp_ids, teams):
            skipped[obj["type"]] = skipped.get(obj["type"], 0) + 1
            continue
        tlp = reading.tlp_of(obj, tlp_ids, default)
        content = reading.marked_content(obj, tlp, tlp_ids)
        model, fields = reading.read(obj, content, own)
        distribution, group = sharing.per_object.get(
            obj["id"], (sharing.distribution, sharing.sharing_group)
        )
        items.append(
            Incoming(
                model=model,
                stix_id=obj["id"],
                stix_type=obj["type"],
                modified=fields["modified"],
                fields=fields,
                content=content,
                tlp=tlp,
                distribution=distribution,
                sharing_group_id=group.pk if group is not None else None,
            )
        )
    return items, skipped


def import_bundle(
    bundle: Mapping[str, Any], *, team: Team, acting_user: User | None, sharing: Sharing
) -> ImportReport:
    """Import a STIX 2.1 bundle into ``team``'s shared objects (``acting_user``
    an analyst of the team, or None for the command line and the system).

    Raises :class:`BundleRefusedError` (nothing written) when it is not a
    valid bundle, ``PermissionDenied`` and ``ValidationError`` when the user
    or the sharing asked for is not allowed.
    """
    if acting_user is not None:
        require_role(acting_user, team, Role.ANALYST)
    objects = _objects_of(bundle)
    _check_sharing(team, sharing)
    # The validator takes most of a second to load: only imports pay for it,
    # not every process that serves pages (the TAXII views import this module).
    from baobab.sharing.stix.validation import bundle_errors  # noqa: PLC0415

    errors = bundle_errors(bundle)
    if errors:
        raise BundleRefusedError(errors)
    bundle_id = str(bundle.get("id", ""))
    with _without_cycle_collection():
        items, skipped = _incoming(objects, team, sharing)
        store(
            team,
            items,
            acting_user=acting_user,
            about={
                "bundle": bundle_id,
                "default_tlp": str(sharing.default_tlp),
                "distribution": str(sharing.distribution),
                "sharing_group": sharing.sharing_group.pk if sharing.sharing_group else None,
            },
        )
    return report_of(bundle_id, items, skipped)


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while the objects are read and stored: it
    would walk the whole bundle (millions of objects, none garbage) again and
    again; what the import makes has no cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
