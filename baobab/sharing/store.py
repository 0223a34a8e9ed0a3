"""Writing imported STIX objects in bulk: the shared objects, their versions
and one audit entry for the whole import, in one transaction.

Each incoming object is one version of a STIX object (its id and its
``modified``). A version the team already holds is left as it is; the newest
version of an object the team does not hold yet creates it; a version newer
than the one held changes the object (the version held before stays, no
longer current); an older one is kept only as a past version. The object's
model is that of its newest version: an indicator whose new version has a
pattern Baobab does not read as one value moves to the kept objects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core import audit
from baobab.core.models import Team, User
from baobab.sharing.models import (
    Indicator,
    KeptObject,
    ObjectVersion,
    Relationship,
    Report,
    SharedObject,
    Sighting,
)
from baobab.sharing.queries import HOLDING_MODELS, visible

BATCH = 1_000
SQLITE_CACHE_KIB = 262_144
ID_CHUNK = 900  # STIX ids per IN (…) query

_T = TypeVar("_T")


class Fate(StrEnum):
    """What became of one incoming version."""

    CREATED = "created"
    NEW_VERSION = "new_version"  # newer than the one held: the object changed
    PAST_VERSION = "past_version"  # older than the one held: kept as history
    UNCHANGED = "unchanged"  # held already


@dataclass(slots=True)
class Incoming:
    """One version of a STIX object to store for a team."""

    model: type[SharedObject]
    stix_id: str
    stix_type: str
    modified: dt.datetime
    fields: dict[str, Any]
    content: dict[str, Any]
    tlp: str
    distribution: str
    sharing_group_id: int | None
    fate: Fate = Fate.UNCHANGED
    is_current: bool = False


@dataclass(slots=True)
class _Held:
    model: type[SharedObject]
    pk: int
    modified: dt.datetime


@dataclass
class _Plan:
    create: list[Incoming] = field(default_factory=list)
    change: list[tuple[_Held, Incoming]] = field(default_factory=list)
    versions: list[Incoming] = field(default_factory=list)


def _chunks(items: Sequence[_T], size: int = ID_CHUNK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _held_versions(team: Team, ids: Sequence[str]) -> set[tuple[str, dt.datetime]]:
    held: set[tuple[str, dt.datetime]] = set()
    for part in _chunks(ids):
        rows = ObjectVersion.objects.filter(owner_team=team, stix_id__in=part)
        held.update(rows.values_list("stix_id", "modified"))
    return held


def _held_objects(team: Team, ids: Sequence[str]) -> dict[str, _Held]:
    held: dict[str, _Held] = {}
    for part in _chunks(ids):
        for model in HOLDING_MODELS:
            rows = model._default_manager.filter(owner_team=team, stix_id__in=part)
            for stix_id, pk, modified in rows.values_list("stix_id", "pk", "modified"):
                held[stix_id] = _Held(model, pk, modified)
    return held


def _plan(team: Team, items: Sequence[Incoming]) -> _Plan:
    """Decide the fate of each incoming version (set on it)."""
    by_id: dict[str, list[Incoming]] = defaultdict(list)
    for item in items:
        by_id[item.stix_id].append(item)
    held_versions = _held_versions(team, list(by_id))
    fresh_by_id: dict[str, dict[dt.datetime, Incoming]] = {}
    for stix_id, versions in by_id.items():
        fresh: dict[dt.datetime, Incoming] = {}
        for item in versions:  # the first of two equal versions counts
            if (stix_id, item.modified) not in held_versions and item.modified not in fresh:
                fresh[item.modified] = item
        if fresh:
            fresh_by_id[stix_id] = fresh
    # Every object held has a version: only ids with versions held may name one.
    known = {stix_id for stix_id, _modified in held_versions}
    held_objects = _held_objects(team, [stix_id for stix_id in fresh_by_id if stix_id in known])
    plan = _Plan()
    for stix_id, fresh in fresh_by_id.items():
        newest = fresh[max(fresh)]
        held = held_objects.get(stix_id)
        for item in fresh.values():
            item.fate = Fate.PAST_VERSION
            plan.versions.append(item)
        if held is None:
            newest.fate, newest.is_current = Fate.CREATED, True
            plan.create.append(newest)
        elif newest.modified > held.modified:
            newest.fate, newest.is_current = Fate.NEW_VERSION, True
            plan.change.append((held, newest))
    return plan


def _base(item: Incoming, team: Team, acting_user: User | None, now: dt.datetime) -> dict[str, Any]:
    """The row of an object: its marking, owner, id and fields."""
    return {
        "owner_team_id": team.pk,
        "stix_id": item.stix_id,
        "tlp": item.tlp,
        "distribution": item.distribution,
        "sharing_group_id": item.sharing_group_id,
        "added_at": now,
        "created_by_id": acting_user.pk if acting_user is not None and acting_user.pk else None,
        **item.fields,
    }


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """A UTC time as SQLite columns hold it (Django's adapter, without its
    checks, for the times the importer makes: UTC already)."""
    if value is not None and value.tzinfo is dt.UTC:
        return str(value.replace(tzinfo=None))
    adapted: str | None = connection.ops.adapt_datetimefield_value(value)
    return adapted


def _adapter(field: Any) -> Callable[[Any], Any]:
    """How a value of ``field`` is passed to the database driver."""
    operations = connection.ops
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite" and connection.timezone == dt.UTC:
            return _sqlite_datetime
        return operations.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: operations.adapt_json_value(value, encoder)
    return lambda value: value


def insert_rows(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (values by attribute name; fields left out take their
    default) with ``executemany``, without Django's per-object work."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    adapters = [_adapter(field) for field in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from _meta
    with connection.cursor() as cursor:
        for part in _chunks(rows, BATCH):
            values = [
                tuple(
                    adapt(row[field.attname] if field.attname in row else field.get_default())
                    for field, adapt in zip(fields, adapters, strict=True)
                )
                for row in part
            ]
            cursor.executemany(sql, values)


def _changed_fields(model: type[Model]) -> list[str]:
    """The fields a new version rewrites (not the owner, the id, who made it)."""
    fixed = {"id", "owner_team", "stix_id", "created_by"}
    return [f.name for f in model._meta.concrete_fields if f.name not in fixed]


def _write_objects(plan: _Plan, team: Team, acting_user: User | None, now: dt.datetime) -> None:
    creates: dict[type[SharedObject], list[dict[str, Any]]] = defaultdict(list)
    updates: dict[type[SharedObject], list[Any]] = defaultdict(list)
    moved: dict[type[SharedObject], list[int]] = defaultdict(list)
    for item in plan.create:
        creates[item.model].append(_base(item, team, acting_user, now))
    for held, item in plan.change:
        row = _base(item, team, acting_user, now)
        if held.model is item.model:
            obj = item.model(**row)
            obj.pk = held.pk
            updates[item.model].append(obj)
        else:  # its newest version is held in another model
            moved[held.model].append(held.pk)
            creates[item.model].append(row)
    for model, pks in moved.items():
        for part in _chunks(pks):
            if model is Indicator:
                Sighting.objects.filter(indicator_id__in=part).update(indicator=None)
            model._default_manager.filter(pk__in=part).delete()
    # Indicators first: sightings point at them.
    for model in (Indicator, Report, Relationship, KeptObject):
        insert_rows(model, creates.get(model, []))
        if updates.get(model):
            model._default_manager.bulk_update(updates[model], _changed_fields(model), BATCH)
    new_sightings = creates.get(Sighting, [])
    changed_sightings = updates.get(Sighting, [])
    links = _indicators_seen(team, [row["sighting_of_ref"] for row in new_sightings])
    for row in new_sightings:
        row["indicator_id"] = links.get(row["sighting_of_ref"])
    insert_rows(Sighting, new_sightings)
    if changed_sightings:
        links = _indicators_seen(team, [sighting.sighting_of_ref for sighting in changed_sightings])
        for sighting in changed_sightings:
            sighting.indicator_id = links.get(sighting.sighting_of_ref)
        Sighting.objects.bulk_update(changed_sightings, _changed_fields(Sighting), BATCH)


def _indicators_seen(team: Team, refs: Iterable[str]) -> dict[str, int]:
    """The indicator each STIX id names, among those the team can see (its
    own copy first)."""
    wanted = sorted(set(refs))
    found: dict[str, int] = {}
    for part in _chunks(wanted):
        rows = visible(Indicator, team).filter(stix_id__in=part).order_by("pk")
        for stix_id, pk, owner in rows.values_list("stix_id", "pk", "owner_team"):
            if stix_id not in found or owner == team.pk:
                found[stix_id] = pk
    return found


def _write_versions(plan: _Plan, team: Team, now: dt.datetime) -> None:
    changed = [item.stix_id for _held, item in plan.change]
    for part in _chunks(changed):
        ObjectVersion.objects.filter(owner_team=team, stix_id__in=part, is_current=True).update(
            is_current=False
        )
    rows = [
        {
            "owner_team_id": team.pk,
            "tlp": item.tlp,
            "distribution": item.distribution,
            "sharing_group_id": item.sharing_group_id,
            "stix_id": item.stix_id,
            "stix_type": item.stix_type,
            "modified": item.modified,
            "added_at": now,
            "is_current": item.is_current,
            "content": item.content,
        }
        for item in plan.versions
    ]
    insert_rows(ObjectVersion, rows)


def store(
    team: Team,
    items: Sequence[Incoming],
    *,
    acting_user: User | None,
    about: Mapping[str, Any],
) -> None:
    """Write ``items`` (versions of STIX objects) for ``team``, setting each
    one's :class:`Fate`, and audit the import once (``about`` says what it was)."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "sqlite":  # room for the indexes of a large import
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        plan = _plan(team, items)
        _write_objects(plan, team, acting_user, now)
        _write_versions(plan, team, now)
        fates = Counter(str(item.fate) for item in items)
        entry = audit.record(
            acting_user=acting_user,
            action="import",
            obj=ObjectVersion(owner_team=team, stix_id="", modified=now),
            object_id=str(about.get("bundle", ""))[:64],
            after={**about, "objects": len(items), **{fate: fates[fate] for fate in Fate}},
        )
        entry.object_repr = (_("STIX import into %(team)s") % {"team": team.short_name})[:200]
        entry.save(update_fields=["object_repr"])


def counts(items: Iterable[Incoming]) -> Counter[tuple[str, Fate]]:
    """How many incoming versions of each STIX type met each fate."""
    return Counter((item.stix_type, item.fate) for item in items)
