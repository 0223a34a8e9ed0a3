"""The shared generation counter of the look-up index.

A change bumps the counter in the database when its transaction commits and
drops this process's cached index at once; other processes notice the new
generation within ``LOOKUP_INDEX_RECHECK_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import F

_listeners: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` in this process whenever the directory changes."""
    _listeners.append(listener)


def current_generation() -> int:
    from baobab.directory.models import LookupIndexState  # noqa: PLC0415

    state = LookupIndexState.objects.filter(pk=1).values_list("generation", flat=True).first()
    return state or 0


def _bump() -> None:
    from baobab.directory.models import LookupIndexState  # noqa: PLC0415

    if not LookupIndexState.objects.filter(pk=1).update(generation=F("generation") + 1):
        LookupIndexState.objects.get_or_create(pk=1, defaults={"generation": 1})
    for listener in _listeners:
        listener()


def mark_changed() -> None:
    """Record that look-up data changed (after the current transaction commits).

    Many changes in one transaction schedule a single bump.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(entry[1] is _bump for entry in connection.run_on_commit):
        return
    transaction.on_commit(_bump)
