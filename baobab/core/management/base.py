"""Base class of Baobab's commands: changes they make are audited as CLI changes,
and bad input ends with exit code 2 and a readable message."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from baobab.core import audit
from baobab.core.choices import AuditChannel

USAGE_ERROR = 2


class UsageError(CommandError):
    """Input the command cannot work with: exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=USAGE_ERROR)


class BaobabCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> str | None:
        with audit.channel(AuditChannel.CLI):
            return super().execute(*args, **options)


def key_value_options(items: list[str], *, as_json: bool) -> dict[str, Any]:
    """``KEY=VALUE`` arguments as a dict; with ``as_json`` each value is read
    as JSON when it is JSON (``columns={"src": "source.ip"}``), else kept as text."""
    pairs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"Give options as KEY=VALUE, not {item!r}.")
        if as_json:
            try:
                pairs[key] = json.loads(value)
            except json.JSONDecodeError:
                pairs[key] = value
        else:
            pairs[key] = value
    return pairs
