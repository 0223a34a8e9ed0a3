"""Where a policy's messages go, and why they cannot when they cannot: a team
or contact without an address, a contact the team may not see, a key that
is missing or expired when the policy encrypts. Such a policy is skipped and
reported on the team's page, never a crash."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from baobab.core.visibility import Viewer, can_see, viewer_for_team
from baobab.notify.choices import RecipientKind
from baobab.notify.models import NotificationPolicy
from baobab.notify.pgpkeys import PgpError, check_recipient_key, load_recipient_key


class UnusableRecipientError(Exception):
    """The policy's recipient cannot be written to (the message says why)."""


def _usable(addresses: list[str]) -> list[str]:
    usable = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            continue
        usable.append(address)
    return usable


def recipient_of(
    policy: NotificationPolicy, *, now: dt.datetime, viewer: Viewer | None = None
) -> str:
    """The address (or URL) of the policy's recipient; :class:`UnusableRecipientError`
    when there is none that works. ``viewer`` is the team's, when the caller has it."""
    kind = policy.recipient_kind
    if kind == RecipientKind.WEBHOOK:
        if not policy.webhook_url or not policy.webhook_secret:
            raise UnusableRecipientError(_("The webhook has no URL or no secret."))
        return policy.webhook_url
    if kind == RecipientKind.TEAM:
        addresses = _usable([policy.team.email] if policy.team.email else [])
        if not addresses:
            raise UnusableRecipientError(_("The team has no usable e-mail address."))
        if policy.encrypt:
            raise UnusableRecipientError(
                _("Encryption needs a contact with a PGP key, not the team address.")
            )
        return addresses[0]
    contact = policy.contact
    if contact is None:
        raise UnusableRecipientError(_("The policy has no contact."))
    if not can_see(viewer or viewer_for_team(policy.team_id), contact):
        raise UnusableRecipientError(
            _("The team may not see the contact %(name)s.") % {"name": contact.name}
        )
    addresses = _usable([str(a) for a in contact.emails or []])
    if not addresses:
        raise UnusableRecipientError(
            _("The contact %(name)s has no usable e-mail address.") % {"name": contact.name}
        )
    if policy.encrypt:
        if not contact.pgp_key:
            raise UnusableRecipientError(
                _("The contact %(name)s has no PGP key.") % {"name": contact.name}
            )
        try:
            check_recipient_key(load_recipient_key(contact.pgp_key), now=now)
        except PgpError as error:
            raise UnusableRecipientError(
                _("The PGP key of %(name)s cannot be used: %(reason)s")
                % {"name": contact.name, "reason": error}
            ) from error
    return addresses[0]
