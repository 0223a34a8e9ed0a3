"""What the ``baobab stix`` and ``baobab misp`` commands read from their
arguments: a team by short name, whose eyes an export is made with, and
the file (or standard input) an import reads."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from baobab.core.management.base import UsageError
from baobab.core.models import Team, User

# Exit code of an import refused whole (usage errors exit with 2).
REFUSED = 1


def team_named(short_name: str) -> Team:
    """The team of that short name (any case), or a usage error listing them."""
    team = Team.objects.filter(short_name__iexact=short_name).first()
    if team is None:
        known = ", ".join(Team.objects.order_by("short_name").values_list("short_name", flat=True))
        raise UsageError(
            _("Unknown team %(team)r. Teams: %(known)s.")
            % {"team": short_name, "known": known or "-"}
        )
    return team


def add_viewer_arguments(parser: ArgumentParser) -> None:
    """``--as-user`` or ``--as-team``: whose eyes an export is made with."""
    viewer = parser.add_mutually_exclusive_group()
    viewer.add_argument("--as-user", metavar="USERNAME", help="What this user may see.")
    viewer.add_argument("--as-team", metavar="SHORT", help="What this team may see.")


def viewer_from(options: dict[str, Any]) -> User | Team | None:
    """The user or team named by ``--as-user``/``--as-team``; None (what
    anybody may see: public TLP:CLEAR) without either."""
    if options.get("as_user"):
        user = User.objects.filter(username=options["as_user"]).first()
        if user is None:
            raise UsageError(_("Unknown user %(user)r.") % {"user": options["as_user"]})
        return user
    if options.get("as_team"):
        return team_named(options["as_team"])
    return None


def read_input(name: str) -> bytes:
    """The bytes of file ``name`` (``-``: standard input)."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as error:
        raise UsageError(
            _("Cannot read %(file)s: %(error)s") % {"file": name, "error": error.strerror or error}
        ) from None
