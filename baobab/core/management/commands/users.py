"""``baobab users``: create and list user accounts from the command line.

``baobab users add USERNAME --team SHORTNAME --role viewer|analyst|admin
[--email ADDRESS] [--password-stdin] [--community-admin]`` creates a user in a
team; ``baobab users list`` lists the accounts with their teams and roles;
``baobab users reset-totp USERNAME`` removes a user's second factor (lost
device). Changes are audited as command-line changes.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError

from baobab.core import services
from baobab.core.choices import Role
from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import Team, User


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


class Command(BaobabCommand):
    help = "Create and list users (add, list, reset-totp)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        add = actions.add_parser("add", help="Create a user in a team with a role.")
        add.add_argument("username", metavar="USERNAME")
        add.add_argument(
            "--team", required=True, metavar="SHORTNAME", help="The team's short name."
        )
        add.add_argument(
            "--role",
            required=True,
            metavar="ROLE",
            help=f"The role in the team: {', '.join(Role.values)}.",
        )
        add.add_argument("--email", default="", metavar="ADDRESS")
        add.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input "
            "(without it, the account cannot log in until a password is set).",
        )
        add.add_argument(
            "--community-admin",
            action="store_true",
            help="Make the user a community administrator.",
        )

        actions.add_parser("list", help="List users, their teams and roles.")

        reset = actions.add_parser(
            "reset-totp", help="Remove a user's second factor (for a lost device)."
        )
        reset.add_argument("username", metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "list":
            self._list()
        else:
            self._reset_totp(options["username"])

    def _add(self, options: dict[str, Any]) -> None:
        team = Team.objects.filter(short_name__iexact=options["team"]).first()
        if team is None:
            raise UsageError(f"There is no team with the short name {options['team']!r}.")
        try:
            role = Role(options["role"])
        except ValueError:
            raise UsageError(
                f"Unknown role {options['role']!r}; use one of {', '.join(Role.values)}."
            ) from None
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise UsageError("--password-stdin was given but standard input held no password.")
        try:
            user = services.add_user(
                options["username"],
                team=team,
                role=role,
                email=options["email"],
                password=password,
                is_community_admin=options["community_admin"],
                acting_user=None,
            )
        except ValidationError as exc:
            raise UsageError(_validation_message(exc)) from exc
        self.stdout.write(f"Created {user.username} in {team.short_name} as {role.value}.")
        if password is None:
            self.stdout.write(
                "The account has no password yet: set one with "
                f"'baobab changepassword {user.username}'."
            )

    def _list(self) -> None:
        users = User.objects.order_by("username").prefetch_related("memberships__team")
        rows = [("USERNAME", "E-MAIL", "ACTIVE", "COMMUNITY ADMIN", "TOTP", "TEAMS")]
        for user in users:
            teams = ", ".join(f"{m.team.short_name}:{m.role}" for m in user.memberships.all())
            rows.append(
                (
                    user.username,
                    user.email or "-",
                    "yes" if user.is_active else "no",
                    "yes" if user.is_community_admin else "no",
                    "on" if user.totp_confirmed else "off",
                    teams or "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]))

    def _reset_totp(self, username: str) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise UsageError(f"There is no user named {username!r}.")
        services.reset_totp(user, acting_user=None)
        self.stdout.write(f"The second factor of {user.username} is removed.")
