"""TOTP second factor (RFC 6238) through pyotp: enrolment, checks, policy."""

from __future__ import annotations

import datetime
import hmac
import time
from typing import TYPE_CHECKING

import pyotp
import segno
from django.conf import settings
from django.utils.translation import gettext as _

from baobab.core.models import CommunitySettings, User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest


SESSION_KEY = "baobab_second_factor_ok"


def new_secret() -> str:
    """A fresh random base32 secret for a new enrolment."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    issuer = CommunitySettings.load().name or settings.COMMUNITY_NAME
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The provisioning URI as a QR code in inline SVG markup (no script, no style)."""
    title = _("QR code for your authenticator app")
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=4, light="#fff", title=title))


def throttle_credentials(user: User) -> dict[str, str]:
    """Credentials under which wrong codes are counted by the login throttle (axes).

    The name cannot be a real user name (``:`` is not allowed in one), so a
    successful password login, which clears the user's password failures,
    leaves the second-factor failures in place.
    """
    return {"username": f"totp:{user.get_username()}"}


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is for ``secret`` (one step of clock drift
    allowed either side), or None when it is valid in none of them."""
    code = code.strip().replace(" ", "")
    if not secret or not code.isdigit():
        return None
    generator = pyotp.TOTP(secret)
    moment = time.time() if now is None else now
    current = generator.timecode(datetime.datetime.fromtimestamp(moment, tz=datetime.UTC))
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(generator.generate_otp(step), code):
            return step
    return None


def verify(secret: str, code: str) -> bool:
    """Whether ``code`` is valid for ``secret`` now (one step of clock drift allowed)."""
    return matching_step(secret, code) is not None


def accept_code(user: User, code: str) -> bool:
    """Accept ``code`` as ``user``'s second factor at most once: a code already
    used (or older than the last one used) is refused, so a code seen over a
    shoulder or in a log cannot be replayed."""
    step = matching_step(user.totp_secret, code) if user.totp_confirmed else None
    if step is None:
        return False
    # One conditional UPDATE: of two requests racing with the same code, one wins.
    accepted = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if accepted:
        user.totp_last_step = step
    return bool(accepted)


def required_for(user: User | AnonymousUser) -> bool:
    """Whether the community requires a second factor of this user's roles."""
    if not user.is_authenticated:
        return False
    required = set(CommunitySettings.load().totp_required_roles or [])
    if not required:
        return False
    if "community_admin" in required and getattr(user, "is_community_admin", False):
        return True
    roles = set(user.memberships.values_list("role", flat=True))
    return bool(roles & required)


def needs_second_factor(request: HttpRequest) -> bool:
    """Whether the logged-in user has a second factor and has not passed it yet."""
    user = request.user
    return bool(getattr(user, "totp_confirmed", False)) and not request.session.get(SESSION_KEY)


def needs_totp_enrolment(user: User | AnonymousUser) -> bool:
    """Whether the user must enrol a second factor before going on."""
    return not getattr(user, "totp_confirmed", False) and required_for(user)
