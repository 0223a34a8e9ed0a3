"""Who is asking: a Baobab API token (``Authorization: Token <key>``) or
HTTP Basic with a user's name and password, or with an API token as the
password. No credentials is an anonymous visitor (who may read the public
collection); wrong credentials are refused, never taken as anonymous.

A password is checked through Django's ``authenticate`` with the request,
so django-axes counts the failures and locks the name and address out as it
does on the login page. A password alone does not let in an account that
uses, or must use, a second factor: such accounts give an API token (a
factor of its own, as for the REST API)."""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _

from baobab.core import totp
from baobab.core.models import User
from baobab.core.services import TOKEN_PREFIX, user_for_token
from baobab.sharing.taxii.media import TaxiiError

REALM = "Baobab TAXII"
CHALLENGE = f'Token realm="{REALM}", Basic realm="{REALM}", charset="UTF-8"'


def unauthorized(description: str) -> TaxiiError:
    """A 401 that tells the client how to authenticate."""
    return TaxiiError(
        401,
        _("Authentication required"),
        description,
        headers={"WWW-Authenticate": CHALLENGE},
    )


def _token_user(key: str) -> User | None:
    found = user_for_token(key)
    return found[0] if found is not None else None


def _basic_credentials(encoded: str) -> tuple[str, str]:
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise unauthorized(_("The Basic credentials are not valid base64.")) from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    username, sep, password = text.partition(":")
    if not sep:
        raise unauthorized(_("Give the Basic credentials as user name:password."))
    return username, password


def _password_user(request: HttpRequest, username: str, password: str) -> User:
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        # Answered here as a TAXII error, not by axes' middleware as a page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise TaxiiError(
            429,
            _("Too many failed attempts"),
            _("This account is locked for a while after too many failed logins."),
        )
    if not isinstance(user, User):
        raise unauthorized(_("Wrong user name or password."))
    if user.totp_confirmed or totp.required_for(user):
        raise unauthorized(
            _("This account uses a second factor: give one of its API tokens as the password.")
        )
    return user


def _basic_user(request: HttpRequest, encoded: str) -> User:
    username, password = _basic_credentials(encoded)
    if password.startswith(TOKEN_PREFIX):
        user = _token_user(password)
        if user is not None and (not username or username == user.get_username()):
            return user
        raise unauthorized(_("Invalid or revoked token."))
    return _password_user(request, username, password)


def request_user(request: HttpRequest) -> User | AnonymousUser:
    """The user the request's Authorization header names, or an anonymous
    visitor when it has none. Browser sessions are not used here."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        return AnonymousUser()
    scheme, _sep, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "token":
        user = _token_user(credentials.strip())
        if user is None:
            raise unauthorized(_("Invalid or revoked token."))
        return user
    if scheme == "basic":
        return _basic_user(request, credentials)
    raise unauthorized(_("Authenticate with an API token or HTTP Basic."))
