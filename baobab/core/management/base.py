"""Base class of Baobab's commands: changes they make are audited as CLI changes,
and bad input ends with exit code 2 and a readable message."""

from __future__ import annotations

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
