"""Exporting what a viewer may see as a STIX 2.1 bundle.

The bundle holds the current version of each object the viewer may see,
read through :func:`~baobab.sharing.queries.visible_versions` and
:func:`~baobab.sharing.queries.seen_contents` (so that nothing the viewer
may not see, nor a reference to it, is in it), the TLP 2.0 marking
definitions those objects use, and the identity of each Baobab team they
name as their author or as where a sighting was made.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.sharing.models import ObjectVersion
from baobab.sharing.queries import Who, as_viewer, seen_contents, visible_versions
from baobab.sharing.stix.markings import TLP2_IDS, marking_definition
from baobab.sharing.stix.render import team_identity, team_identity_id

CHUNK = 2_000
_TLP_BY_ID = {marking_id: tlp for tlp, marking_id in TLP2_IDS.items()}


def _batches(rows: Iterable[ObjectVersion], size: int) -> Iterator[list[ObjectVersion]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _team_refs(content: dict[str, Any]) -> list[str]:
    refs = [content.get("created_by_ref")]
    refs.extend(content.get("where_sighted_refs") or ())
    return [ref for ref in refs if isinstance(ref, str)]


def exported_contents(
    who: Who,
    *,
    types: Sequence[str] | None = None,
    team: Team | None = None,
    since: dt.datetime | None = None,
    ids: Sequence[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """The STIX objects (current versions) ``who`` may see, as they may see
    them: of ``types``, owned by ``team``, added or changed since ``since``,
    with ``ids``. One object per id and version, however many teams hold it."""
    viewer = as_viewer(who)
    versions = visible_versions(viewer).filter(is_current=True)
    if types:
        versions = versions.filter(stix_type__in=list(types))
    if team is not None:
        versions = versions.filter(owner_team=team)
    if since is not None:
        versions = versions.filter(added_at__gte=since)
    if ids is not None:
        versions = versions.filter(stix_id__in=list(ids))
    seen: set[tuple[str, str]] = set()
    rows = versions.order_by("added_at", "id").iterator(chunk_size=CHUNK)
    for batch in _batches(rows, CHUNK):
        for content in seen_contents(batch, viewer):
            key = (str(content.get("id")), str(content.get("modified", content.get("created"))))
            if key not in seen:
                seen.add(key)
                yield content


def export_bundle(
    who: Who,
    *,
    types: Sequence[str] | None = None,
    team: Team | None = None,
    since: dt.datetime | None = None,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A STIX 2.1 bundle of what ``who`` (a user, a team, a viewer, or None:
    anybody) may see, narrowed as :func:`exported_contents` says."""
    contents = list(exported_contents(who, types=types, team=team, since=since, ids=ids))
    present = {content.get("id") for content in contents}
    named = {ref for content in contents for ref in _team_refs(content)} - present
    identities = [
        team_identity(other)
        for other in Team.objects.order_by("short_name")
        if team_identity_id(other) in named
    ]
    tlps = {
        _TLP_BY_ID[ref]
        for content in (*contents, *identities)
        for ref in content.get("object_marking_refs") or ()
        if ref in _TLP_BY_ID
    }
    markings = [marking_definition(tlp) for tlp in TLP if tlp in tlps]
    objects = [
        *(marking for marking in markings if marking["id"] not in present),
        *identities,
        *contents,
    ]
    bundle: dict[str, Any] = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}"}
    if objects:  # STIX: a bundle's objects are one or more, or none given
        bundle["objects"] = objects
    return bundle
