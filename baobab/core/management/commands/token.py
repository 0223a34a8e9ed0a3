"""``baobab token``: create, list and revoke API tokens from the command line.

``baobab token create --user USERNAME [--name NAME]`` prints only the new key
on standard output, so that scripts can capture it; ``baobab token list
[--user USERNAME]`` lists tokens (never their keys); ``baobab token revoke
PREFIX_OR_ID`` revokes one. Changes are audited as command-line changes.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from baobab.core import services
from baobab.core.management.base import BaobabCommand, UsageError
from baobab.core.models import ApiToken, User


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def find_token(reference: str) -> ApiToken:
    """The token a number (its id), a prefix (``bbt_xxxxxx``) or a whole key names."""
    reference = reference.strip().rstrip("…")
    tokens: QuerySet[ApiToken]
    if reference.isdigit():
        tokens = ApiToken.objects.filter(pk=int(reference))
    elif reference.startswith(services.TOKEN_PREFIX):
        prefix_length = len(services.TOKEN_PREFIX) + 6
        if len(reference) > prefix_length:
            tokens = ApiToken.objects.filter(key_hash=services.hash_token(reference))
        else:
            tokens = ApiToken.objects.filter(prefix=reference)
    else:
        raise UsageError(
            f"{reference!r} is neither a token id nor a prefix starting with "
            f"{services.TOKEN_PREFIX!r}."
        )
    found = list(tokens.select_related("user")[:2])
    if not found:
        raise UsageError(f"No token matches {reference!r}.")
    if len(found) > 1:
        active = [token for token in found if token.is_active]
        if len(active) != 1:
            raise UsageError(f"Several tokens match {reference!r}; give the token id instead.")
        return active[0]
    return found[0]


class Command(BaobabCommand):
    help = "Create, list and revoke API tokens (create, list, revoke)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser("create", help="Create a token and print its key.")
        create.add_argument("--user", required=True, metavar="USERNAME")
        create.add_argument("--name", default="", help="What the token is for.")

        listing = actions.add_parser("list", help="List tokens (never their keys).")
        listing.add_argument("--user", metavar="USERNAME", help="Only this user's tokens.")

        revoke = actions.add_parser("revoke", help="Revoke a token.")
        revoke.add_argument(
            "reference", metavar="PREFIX_OR_ID", help="The token's id or its prefix (bbt_…)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["user"], options["name"])
        elif action == "list":
            self._list(options.get("user"))
        else:
            self._revoke(options["reference"])

    @staticmethod
    def _user(username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise UsageError(f"There is no user named {username!r}.")
        return user

    def _create(self, username: str, name: str) -> None:
        user = self._user(username)
        if not user.is_active:
            raise UsageError(f"The account {username!r} is not active.")
        try:
            _token, key = services.create_token(user, name=name, acting_user=None)
        except ValidationError as exc:
            raise UsageError(" ".join(exc.messages)) from exc
        # Only the key on standard output, so that scripts can capture it.
        self.stdout.write(key)

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if username:
            tokens = tokens.filter(user=self._user(username))
        rows = [("ID", "PREFIX", "USER", "CREATED", "LAST USED", "STATUS", "NAME")]
        for token in tokens:
            status = "active" if token.is_active else f"revoked {_when(token.revoked_at)}"
            rows.append(
                (
                    str(token.pk),
                    token.prefix,
                    token.user.username,
                    _when(token.created_at),
                    _when(token.last_used_at),
                    status,
                    token.name or "-",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]))

    def _revoke(self, reference: str) -> None:
        token = find_token(reference)
        if not token.is_active:
            self.stdout.write(f"Token {token.prefix} ({token.user.username}) was already revoked.")
            return
        services.revoke_token(token, acting_user=None)
        self.stdout.write(f"Revoked token {token.prefix} of {token.user.username}.")
