"""Importing MISP events into a team's shared objects, through the STIX
importer (:func:`baobab.sharing.stix.importer.import_bundle`), the one import
path: each event is converted (:mod:`.to_stix`) and its bundle imported with
each object's distribution.

A document with several events is imported whole or not at all: any event
that is malformed, or whose bundle the STIX importer refuses, refuses the
document, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from pymisp import MISPEvent

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team, User
from baobab.sharing.misp.mapping import Marking
from baobab.sharing.misp.read import MispError, read_events
from baobab.sharing.misp.to_stix import Converted, convert
from baobab.sharing.stix.importer import BundleRefusedError, ImportReport, Sharing, import_bundle


@dataclass
class EventImport:
    """What the import of one MISP event did."""

    event_uuid: str
    info: str
    report_id: str
    report: ImportReport
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was created or changed."""
        return bool(self.report.created or self.report.new_versions or self.report.past_versions)


def team_groups(team: Team) -> dict[str, SharingGroup]:
    """The sharing groups ``team`` owns or is in, by name."""
    groups = SharingGroup.objects.filter(Q(member_teams=team) | Q(owner_team=team)).distinct()
    return {group.name: group for group in groups}


def _scope(marking: Marking, groups: Mapping[str, SharingGroup]) -> tuple[str, SharingGroup | None]:
    group = groups.get(marking.group) if marking.group else None
    if marking.distribution == Distribution.GROUP and group is None:
        return Distribution.TEAM, None
    return marking.distribution, group


def _sharing(converted: Converted, groups: Mapping[str, SharingGroup], default_tlp: TLP) -> Sharing:
    distribution, group = _scope(converted.event_marking, groups)
    return Sharing(
        distribution=distribution,
        sharing_group=group,
        default_tlp=default_tlp,
        per_object={
            stix_id: _scope(marking, groups) for stix_id, marking in converted.markings.items()
        },
    )


def import_events(
    events: list[MISPEvent],
    *,
    team: Team,
    acting_user: User | None,
    default_tlp: TLP | str = TLP.AMBER,
    default_distribution: Distribution | str = Distribution.TEAM,
) -> list[EventImport]:
    """Import loaded MISP events into ``team``'s shared objects.

    ``default_tlp`` marks what no ``tlp:`` tag marks; ``default_distribution``
    is an event's when it states none. Raises :class:`MispError` (nothing
    written) when an event is malformed or refused, ``PermissionDenied``
    when ``acting_user`` may not share for ``team``.
    """
    tlp = TLP(default_tlp)
    groups = team_groups(team)
    converted = []
    for event in events:
        converted.append(
            convert(
                event,
                default_tlp=tlp,
                default_distribution=Distribution(default_distribution),
                known_groups=list(groups),
            )
        )
    results: list[EventImport] = []
    with transaction.atomic():
        for item in converted:
            try:
                report = import_bundle(
                    item.bundle,
                    team=team,
                    acting_user=acting_user,
                    sharing=_sharing(item, groups, tlp),
                )
            except BundleRefusedError as exc:
                raise MispError(
                    [
                        _("Event %(uuid)s was refused by the STIX importer:")
                        % {"uuid": item.event_uuid},
                        *exc.messages,
                    ]
                ) from None
            results.append(
                EventImport(
                    event_uuid=item.event_uuid,
                    info=item.info,
                    report_id=item.report_id,
                    report=report,
                    notes=item.notes,
                )
            )
    return results


def import_misp(
    data: bytes | str | Mapping[str, Any],
    *,
    team: Team,
    acting_user: User | None,
    default_tlp: TLP | str = TLP.AMBER,
    default_distribution: Distribution | str = Distribution.TEAM,
    expect_uuid: str | None = None,
) -> list[EventImport]:
    """Import a MISP JSON document (one event, a search answer or a list of
    events) into ``team``'s shared objects; see :func:`import_events`.
    With ``expect_uuid`` the document must hold that one event (a feed's
    ``<uuid>.json``)."""
    events = read_events(data)
    if expect_uuid is not None and [str(event.uuid).lower() for event in events] != [
        expect_uuid.lower()
    ]:
        raise MispError(
            [_("The file should hold the event %(uuid)s and only it.") % {"uuid": expect_uuid}]
        )
    return import_events(
        events,
        team=team,
        acting_user=acting_user,
        default_tlp=default_tlp,
        default_distribution=default_distribution,
    )
