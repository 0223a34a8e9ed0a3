"""Fill the database with many shared indicators, fast: the sharing
benchmarks (search, TAXII) import :func:`fill_indicators`.

Indicators are spread over the given teams and over every TLP and
distribution (group distribution with a sharing group the owner team is in,
TLP:RED rows with a named recipient team), with valid canonical values of
several types (IP addresses from a counter, domains, URLs, e-mail
addresses, hashes), each with its current :class:`ObjectVersion` (the STIX
form :func:`baobab.sharing.stix.render.render` would write, built directly).
Rows are written with ``bulk_create`` in batches, one transaction each; no
audit entry is written (this is test data, not a change anybody made).

Not a benchmark: ``make bench`` skips it. Needs Django set up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team
from baobab.sharing.models import Indicator, ObjectVersion, SharedObject
from baobab.sharing.stix.markings import TLP2_IDS
from baobab.sharing.stix.patterns import pattern_of
from baobab.sharing.stix.render import in_milliseconds, stix_time, team_identity_id
from baobab.sharing.store import insert_rows
from baobab.sharing.values import IndicatorType

BATCH = 10_000
# The first address of the counter: 1.0.0.0 onwards (16 million addresses).
FIRST_ADDRESS = int(ipaddress.IPv4Address("1.0.0.0"))
# Value types in turn (IP addresses most often, as feeds share them).
KINDS: tuple[IndicatorType, ...] = (
    IndicatorType.IP,
    IndicatorType.IP,
    IndicatorType.IP,
    IndicatorType.DOMAIN,
    IndicatorType.DOMAIN,
    IndicatorType.URL,
    IndicatorType.SHA256,
    IndicatorType.MD5,
    IndicatorType.EMAIL,
    IndicatorType.SHA1,
)
# (TLP, distribution) in turn: every pair, the common ones more often.
MARKINGS: tuple[tuple[TLP, Distribution], ...] = (
    (TLP.GREEN, Distribution.COMMUNITY),
    (TLP.AMBER, Distribution.COMMUNITY),
    (TLP.AMBER, Distribution.GROUP),
    (TLP.CLEAR, Distribution.PUBLIC),
    (TLP.GREEN, Distribution.GROUP),
    (TLP.AMBER_STRICT, Distribution.TEAM),
    (TLP.RED, Distribution.TEAM),
    (TLP.CLEAR, Distribution.COMMUNITY),
    (TLP.AMBER_STRICT, Distribution.GROUP),
    (TLP.GREEN, Distribution.TEAM),
    (TLP.GREEN, Distribution.PUBLIC),
    (TLP.AMBER, Distribution.TEAM),
    (TLP.RED, Distribution.GROUP),
    (TLP.CLEAR, Distribution.TEAM),
    (TLP.CLEAR, Distribution.GROUP),
    (TLP.AMBER_STRICT, Distribution.COMMUNITY),
    (TLP.RED, Distribution.COMMUNITY),
    (TLP.AMBER, Distribution.PUBLIC),
    (TLP.AMBER_STRICT, Distribution.PUBLIC),
    (TLP.RED, Distribution.PUBLIC),
)


def indicator_value(number: int) -> tuple[IndicatorType, str]:
    """The type and canonical value of the ``number``-th indicator: the
    same number always gives the same value (the benchmarks search them)."""
    kind = KINDS[number % len(KINDS)]
    digest = hashlib.sha256(number.to_bytes(8, "big")).hexdigest()
    if kind is IndicatorType.IP:
        return kind, str(ipaddress.IPv4Address(FIRST_ADDRESS + number))
    if kind is IndicatorType.DOMAIN:
        return kind, f"h{number}.bench-{number % 97}.example"
    if kind is IndicatorType.URL:
        return kind, f"http://u{number}.example/{digest[:8]}/login"
    if kind is IndicatorType.EMAIL:
        return kind, f"phish{number}@mail-{number % 89}.example"
    if kind is IndicatorType.MD5:
        return kind, digest[:32]
    if kind is IndicatorType.SHA1:
        return kind, digest[:40]
    return kind, digest


@dataclass(frozen=True)
class _Owner:
    team: Team
    identity: str
    group: SharingGroup | None
    recipient: Team


def _default_group(teams: Sequence[Team]) -> SharingGroup:
    group, created = SharingGroup.objects.get_or_create(
        name="bench-indicators", defaults={"owner_team": teams[0]}
    )
    if created:
        group.member_teams.set([team for team in teams if team.pk != teams[0].pk])
    return group


def _owners(teams: Sequence[Team], groups: Sequence[SharingGroup]) -> list[_Owner]:
    """Each team with the group it shares with (one it owns or is in)."""
    group_ids = [group.pk for group in groups]
    members = set(
        SharingGroup.member_teams.through.objects.filter(sharinggroup_id__in=group_ids).values_list(
            "sharinggroup_id", "team_id"
        )
    )
    owners = []
    for position, team in enumerate(teams):
        usable = [
            group
            for group in groups
            if group.owner_team_id == team.pk or (group.pk, team.pk) in members
        ]
        owners.append(
            _Owner(
                team=team,
                identity=team_identity_id(team),
                group=usable[position % len(usable)] if usable else None,
                recipient=teams[(position + 1) % len(teams)],
            )
        )
    return owners


def _name_recipients(
    model: type[SharedObject | ObjectVersion], rows: list[tuple[int, str, int]]
) -> None:
    """Name recipient teams: ``(owner team id, STIX id, recipient team id)``."""
    through = model.recipient_teams.through
    source = f"{model._meta.model_name}_id"
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}, {}) SELECT {}, %s FROM {} WHERE {} = %s AND {} = %s".format(  # noqa: S608 - names from the model
        quote(through._meta.db_table),
        quote(source),
        quote("team_id"),
        quote("id"),
        quote(model._meta.db_table),
        quote("owner_team_id"),
        quote("stix_id"),
    )
    if model is ObjectVersion:
        sql += f" AND {quote('is_current')}"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(team, owner, stix_id) for owner, stix_id, team in rows])


def _rows(numbers: range, owners: Sequence[_Owner], now: dt.datetime) -> list[dict[str, Any]]:
    """The indicators numbered ``numbers``, as column values."""
    rows = []
    for number in numbers:
        owner = owners[number % len(owners)]
        tlp, distribution = MARKINGS[(number // len(owners)) % len(MARKINGS)]
        if distribution == Distribution.GROUP and owner.group is None:
            distribution = Distribution.COMMUNITY
        kind, value = indicator_value(number)
        moment = now - dt.timedelta(seconds=number)
        if number % 10 == 0:  # one in ten has expired
            valid_until: dt.datetime | None = moment - dt.timedelta(microseconds=1000)
            valid_from = moment - dt.timedelta(days=1)
        else:  # one in ten expires in a month, the others never
            valid_until = now + dt.timedelta(days=30) if number % 10 == 1 else None
            valid_from = moment
        rows.append(
            {
                "owner_team_id": owner.team.pk,
                "tlp": tlp.value,
                "distribution": distribution.value,
                "sharing_group_id": owner.group.pk
                if distribution == Distribution.GROUP and owner.group
                else None,
                "stix_id": f"indicator--{uuid.UUID(int=number + 1, version=4)}",
                "created": moment,
                "modified": moment,
                "added_at": moment,
                "confidence": (number * 7) % 101,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "kind": kind.value,
                "value": value,
                "labels": ["malicious-activity"] if number % 4 == 0 else [],
                "_identity": owner.identity,
                "_recipient": owner.recipient.pk,
            }
        )
    return rows


def _version(row: dict[str, Any]) -> dict[str, Any]:
    """The current version of an indicator row: what
    :func:`baobab.sharing.stix.render.render` writes for it."""
    created = stix_time(row["created"])
    content: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": row["stix_id"],
        "created_by_ref": row["_identity"],
        "created": created,
        "modified": created,
        "confidence": row["confidence"],
        "object_marking_refs": [TLP2_IDS[TLP(row["tlp"])]],
        "name": row["value"],
        "pattern": pattern_of(row["kind"], row["value"]),
        "pattern_type": "stix",
        "valid_from": stix_time(row["valid_from"]),
    }
    if row["valid_until"] is not None:
        content["valid_until"] = stix_time(row["valid_until"])
    if row["labels"]:
        content["labels"] = list(row["labels"])
    return {
        "owner_team_id": row["owner_team_id"],
        "tlp": row["tlp"],
        "distribution": row["distribution"],
        "sharing_group_id": row["sharing_group_id"],
        "stix_id": row["stix_id"],
        "stix_type": "indicator",
        "modified": row["modified"],
        "added_at": row["added_at"],
        "is_current": True,
        "content": content,
    }


def _write(rows: list[dict[str, Any]]) -> None:
    insert_rows(Indicator, rows)
    insert_rows(ObjectVersion, [_version(row) for row in rows])
    red = [
        (row["owner_team_id"], row["stix_id"], row["_recipient"])
        for row in rows
        if row["tlp"] == TLP.RED and row["_recipient"] != row["owner_team_id"]
    ]
    _name_recipients(Indicator, red)
    _name_recipients(ObjectVersion, red)


def fill_indicators(
    n: int,
    *,
    teams: list[Team],
    sharing_groups: list[SharingGroup] | None = None,
    start: int = 0,
    batch_size: int = BATCH,
    now: dt.datetime | None = None,
) -> None:
    """Create ``n`` indicators (numbers ``start`` to ``start + n - 1``, see
    :func:`indicator_value`) spread over ``teams`` and over every TLP and
    distribution, with their current versions.

    Group distribution uses ``sharing_groups`` (each team one it owns or is
    in; a team in none shares with the community instead); without them, a
    group ``bench-indicators`` owned by the first team with all the others
    in it is made (or reused). TLP:RED indicators name the next team of the
    list as recipient. Times go back one second per number from ``now``.
    """
    if n <= 0:
        return
    if not teams:
        raise ValueError("fill_indicators needs at least one team")
    groups = sharing_groups if sharing_groups is not None else [_default_group(teams)]
    owners = _owners(teams, groups)
    moment = in_milliseconds(now or timezone.now())
    numbers = iter(range(start, start + n))
    while chunk := list(itertools.islice(numbers, batch_size)):
        with transaction.atomic():
            _write(_rows(range(chunk[0], chunk[-1] + 1), owners, moment))
