"""Each change to a shared object keeps its STIX form as a new version,
carrying that version's own marking (an old TLP:RED version stays RED when
the object is later shared more widely)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from baobab.sharing.models import ObjectVersion, SharedObject
from baobab.sharing.stix.render import render


def version_of(obj: SharedObject) -> ObjectVersion:
    """The unsaved version row of ``obj`` as it is now."""
    content = render(obj)
    return ObjectVersion(
        owner_team_id=obj.owner_team_id,
        tlp=obj.tlp,
        distribution=obj.distribution,
        sharing_group_id=obj.sharing_group_id,
        stix_id=obj.stix_id,
        stix_type=content["type"],
        modified=obj.modified,
        added_at=obj.added_at,
        content=content,
    )


def record_versions(objects: Sequence[SharedObject], recipients: dict[str, list[int]]) -> None:
    """Store the current version of each of ``objects`` (saved already) and
    mark their earlier versions as no longer current.

    ``recipients`` gives the named recipient team ids per STIX id, when any.
    """
    if not objects:
        return
    with transaction.atomic():
        for team_id in {obj.owner_team_id for obj in objects}:
            ids = [obj.stix_id for obj in objects if obj.owner_team_id == team_id]
            for start in range(0, len(ids), 500):
                ObjectVersion.objects.filter(
                    owner_team_id=team_id, stix_id__in=ids[start : start + 500], is_current=True
                ).update(is_current=False)
        versions = ObjectVersion.objects.bulk_create(
            [version_of(obj) for obj in objects], batch_size=1000
        )
        through = ObjectVersion.recipient_teams.through
        links = [
            through(objectversion_id=version.pk, team_id=team_id)
            for version in versions
            for team_id in recipients.get(version.stix_id, ())
        ]
        through.objects.bulk_create(links, batch_size=1000)


def record_version(obj: SharedObject) -> None:
    """Store ``obj``'s current version (after a create or an update)."""
    recipients = list(obj.recipient_teams.values_list("id", flat=True))
    record_versions([obj], {obj.stix_id: recipients} if recipients else {})
