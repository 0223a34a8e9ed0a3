"""What a viewer may see of the shared objects: the one visibility rule
(:mod:`baobab.core.visibility`) applied to each object, and to what it
points at.

A sighting is seen only with the indicator it is of; a relationship only
when both its ends are; a report's list of objects only names the objects
the viewer may see. An object Baobab does not hold (an id from elsewhere)
hides nothing. So no page, list, export or TAXII response reveals that
something invisible exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from baobab.core.models import Team, User
from baobab.core.visibility import Viewer, restrict, viewer_for, viewer_for_team
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.stix.markings import KNOWN_IDS
from baobab.sharing.stix.references import as_seen, references_of

_S = TypeVar("_S", bound=SharedObject)

Who = Viewer | User | AnonymousUser | Team | None

# The models whose objects a STIX id may name.
HOLDING_MODELS: tuple[type[SharedObject], ...] = (
    Indicator,
    Report,
    Sighting,
    Relationship,
    KeptObject,
)


def as_viewer(who: Who) -> Viewer:
    """The viewer a user, a team (working as itself) or nobody is."""
    if isinstance(who, Viewer):
        return who
    if isinstance(who, Team):
        return viewer_for_team(who.pk)
    return viewer_for(who)


def _reference_seen(field: str, viewer: Viewer) -> Q:
    """The STIX id in ``field`` names nothing Baobab holds, or something
    ``viewer`` may see."""
    held = Q()
    seen = Q()
    for model in HOLDING_MODELS:
        same_id = model._default_manager.filter(stix_id=OuterRef(field))
        held |= Q(Exists(same_id))
        seen |= Q(Exists(restrict(same_id, viewer)))
    return ~held | seen


def visible(model: type[_S], who: Who) -> QuerySet[_S]:
    """The objects of ``model`` that ``who`` may see."""
    viewer = as_viewer(who)
    queryset = restrict(model._default_manager.all(), viewer)
    if model is Sighting:
        queryset = queryset.filter(_reference_seen("sighting_of_ref", viewer))
    elif model is Relationship:
        queryset = queryset.filter(
            _reference_seen("source_ref", viewer) & _reference_seen("target_ref", viewer)
        )
    return queryset


_TYPE_OF_MODEL: dict[type[SharedObject], str] = {
    Indicator: "indicator--",
    Report: "report--",
    Sighting: "sighting--",
    Relationship: "relationship--",
}
TLP_MARKING_IDS = frozenset(KNOWN_IDS)


def hidden_ids(ids: Iterable[str], who: Who) -> set[str]:
    """Those of ``ids`` that name objects Baobab holds but ``who`` may not see."""
    wanted = sorted(set(ids) - TLP_MARKING_IDS)  # the TLP markings are nobody's objects
    if not wanted:
        return set()
    viewer = as_viewer(who)
    held: set[str] = set()
    seen: set[str] = set()
    for model in HOLDING_MODELS:
        # A model holds ids of its own STIX type only (kept objects: any type).
        prefix = _TYPE_OF_MODEL.get(model)
        mine = [stix_id for stix_id in wanted if prefix is None or stix_id.startswith(prefix)]
        for start in range(0, len(mine), 500):
            same = model._default_manager.filter(stix_id__in=mine[start : start + 500])
            held.update(same.order_by().values_list("stix_id", flat=True))
            seen.update(restrict(same, viewer).order_by().values_list("stix_id", flat=True))
    return held - seen


def visible_versions(who: Who) -> QuerySet[ObjectVersion]:
    """Every version ``who`` may see: its own marking lets them, and so does
    the object's current one (narrowing an object withdraws its earlier,
    wider versions too). References are filtered per page with
    :func:`seen_versions`."""
    viewer = as_viewer(who)
    current_seen = restrict(
        ObjectVersion.objects.filter(
            owner_team_id=OuterRef("owner_team_id"), stix_id=OuterRef("stix_id"), is_current=True
        ),
        viewer,
    )
    return restrict(ObjectVersion.objects.all(), viewer).filter(
        Q(is_current=True) | Q(Exists(current_seen))
    )


def seen_versions(
    versions: Iterable[ObjectVersion], who: Who
) -> list[tuple[ObjectVersion, dict[str, Any]]]:
    """Each version with its STIX content as ``who`` may receive it, leaving
    out those that stand on objects hidden from them."""
    rows = list(versions)
    hidden = hidden_ids((ref for row in rows for ref in references_of(row.content)), who)
    seen = []
    for row in rows:
        content = as_seen(row.content, hidden)
        if content is not None:
            seen.append((row, content))
    return seen


def seen_contents(versions: Iterable[ObjectVersion], who: Who) -> list[dict[str, Any]]:
    """The STIX content of ``versions`` as ``who`` may receive it."""
    return [content for _row, content in seen_versions(versions, who)]
