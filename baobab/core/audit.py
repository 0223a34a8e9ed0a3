"""The audit log: who changed what, through which channel, before and after.

Services call :func:`record` for every change. The channel (web, API, CLI,
task) comes from :func:`channel`, set once at the edge: the request
middleware, the ``baobab`` command base class, or a task.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.fields.files import FieldFile

from baobab.core.choices import AuditChannel

if TYPE_CHECKING:
    from baobab.core.models import AuditEntry, User

_channel: ContextVar[str] = ContextVar("baobab_audit_channel", default=AuditChannel.SYSTEM)

# Fields never copied into the audit log.
SECRET_FIELDS = frozenset({"password", "key_hash", "totp_secret", "webhook_secret"})


@contextlib.contextmanager
def channel(name: str) -> Iterator[None]:
    """Attribute every change made inside the block to ``name``."""
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)


def current_channel() -> str:
    return _channel.get()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, FieldFile):  # a stored file: its name, not its content
        return value.name or ""
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's own field values, JSON-ready, secrets left out."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            continue
        data[field.attname] = _jsonable(field.value_from_object(obj))
    return data


def object_type(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def record(
    *,
    acting_user: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_id: str | None = None,
) -> AuditEntry:
    """Write one audit entry. Called by the services layer inside its transaction."""
    from baobab.core.models import AuditEntry  # noqa: PLC0415 - models import this module

    if before is not None and after is not None:
        changed = {key for key in after if before.get(key) != after.get(key)}
        before = {key: before[key] for key in changed if key in before}
        after = {key: after[key] for key in changed}
    return AuditEntry.objects.create(
        actor=acting_user if acting_user is not None and acting_user.pk else None,
        actor_name=acting_user.get_username() if acting_user is not None else "",
        channel=current_channel(),
        action=action,
        object_type=object_type(obj),
        object_id=object_id if object_id is not None else str(obj.pk or ""),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )
