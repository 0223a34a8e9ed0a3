"""Keep the look-up index correct: any change to the data it is built from
bumps the shared generation counter once the transaction commits."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from baobab.core.models import Team
from baobab.directory.index_state import mark_changed
from baobab.directory.models import ConstituencyClaim, Contact, DelegatedRange, Organisation


def _changed(sender: type, **kwargs: Any) -> None:
    mark_changed()


for _model in (Team, Organisation, Contact, ConstituencyClaim, DelegatedRange):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"lookup-{_model.__name__}-save")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"lookup-{_model.__name__}-delete")
