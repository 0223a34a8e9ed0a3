"""A feed's collector options, read with their types checked and unknown
names refused (a typo must not pass silently), and the secrets they name.

Secrets never live in the database: an option such as ``password_env``
names an environment variable of the worker, and only variables whose name
starts with ``BAOBAB_FEED_`` may be named, so that whoever edits a feed
cannot send the server's own secrets (``SECRET_KEY``, ``DATABASE_URL``…) to
an address of their choosing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from typing import Any

from django.utils.translation import gettext as _

from baobab.pipeline.collectors.base import CollectorError

ENV_PREFIX = "BAOBAB_FEED_"
SECRET_ENV_NAME = re.compile(r"^BAOBAB_FEED_[A-Z0-9_]+$")
_MISSING = object()


class OptionsError(CollectorError):
    """The collector options are wrong; ``messages`` lists every problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


class Options:
    """Typed access to a collector's options. Problems are collected and
    raised together by :meth:`check`."""

    def __init__(self, raw: Any, known: Collection[str]) -> None:
        self.errors: list[str] = []
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            self.errors.append(_("The collector options must be a JSON object."))
            raw = {}
        self._raw: Mapping[str, Any] = raw
        unknown = sorted(set(raw) - set(known))
        if unknown:
            self.errors.append(
                _("Unknown collector option(s): %(unknown)s. Known options: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(known))}
            )

    def _get(self, name: str) -> Any:
        value = self._raw.get(name, _MISSING)
        return _MISSING if value is None else value

    def _wrong(self, name: str, expected: str) -> None:
        self.errors.append(
            _("The option %(name)s must be %(expected)s.") % {"name": name, "expected": expected}
        )

    def text(self, name: str, *, default: str = "", required: bool = False) -> str:
        """A string option (stripped); ``required`` refuses it empty."""
        value = self._get(name)
        if value is _MISSING or value == "":
            if required:
                self.errors.append(_("The option %(name)s is required.") % {"name": name})
            return default
        if not isinstance(value, str):
            self._wrong(name, _("a string"))
            return default
        return value.strip()

    def integer(
        self, name: str, *, default: int, minimum: int = 0, maximum: int | None = None
    ) -> int:
        """A whole number between ``minimum`` and ``maximum``."""
        value = self._get(name)
        if value is _MISSING:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            bounds = f"{minimum}…{maximum}" if maximum is not None else f"≥ {minimum}"
            self._wrong(name, _("a whole number (%(bounds)s)") % {"bounds": bounds})
            return default
        return value

    def number(self, name: str, *, default: float, minimum: float, maximum: float) -> float:
        """A number of (for example) seconds between ``minimum`` and ``maximum``."""
        value = self._get(name)
        if value is _MISSING:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not minimum <= value <= maximum
        ):
            self._wrong(
                name, _("a number from %(min)s to %(max)s") % {"min": minimum, "max": maximum}
            )
            return default
        return float(value)

    def flag(self, name: str, *, default: bool) -> bool:
        """A true/false option."""
        value = self._get(name)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self._wrong(name, _("true or false"))
            return default
        return value

    def choice(self, name: str, choices: Collection[str], *, default: str) -> str:
        """One of ``choices``."""
        value = self.text(name, default=default)
        if value not in choices:
            self._wrong(name, _("one of %(choices)s") % {"choices": ", ".join(choices)})
            return default
        return value

    def mapping(self, name: str) -> dict[str, str]:
        """An object of string values (HTTP headers, for example)."""
        value = self._get(name)
        if value is _MISSING:
            return {}
        if not isinstance(value, Mapping) or not all(
            isinstance(key, str) and isinstance(item, str) for key, item in value.items()
        ):
            self._wrong(name, _("an object whose values are strings"))
            return {}
        return {str(key): str(item) for key, item in value.items()}

    def env_name(self, name: str, *, required: bool = False) -> str:
        """The name of an environment variable holding a secret."""
        value = self.text(name, required=required)
        if value and not SECRET_ENV_NAME.match(value):
            self.errors.append(env_name_error(name, value))
            return ""
        return value

    def check(self) -> None:
        """Raise :class:`OptionsError` if anything was wrong."""
        if self.errors:
            raise OptionsError(self.errors)


def env_name_error(option: str, value: str) -> str:
    """The message for an environment variable a feed may not name."""
    return _(
        "The option %(option)s names %(value)s, but a feed may only read environment "
        "variables whose name starts with %(prefix)s (capital letters, digits, _)."
    ) % {"option": option, "value": value, "prefix": ENV_PREFIX}


def secret(env_name: str) -> str:
    """The value of the environment variable ``env_name`` (checked by
    :meth:`Options.env_name`); an error when it is not set on this machine."""
    if not SECRET_ENV_NAME.match(env_name):
        raise CollectorError(env_name_error("…_env", env_name))
    value = os.environ.get(env_name, "")
    if not value:
        raise CollectorError(
            _("The environment variable %(name)s is not set for the workers.") % {"name": env_name}
        )
    return value
