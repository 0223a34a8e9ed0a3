"""Permission classes shared by every app's REST API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication

from baobab.core import totp
from baobab.core.permissions import is_community_admin

if TYPE_CHECKING:  # DRF loads this module while rest_framework.views is importing
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsCommunityAdmin(permissions.BasePermission):
    """Community administrators only."""

    message = _("Only community administrators may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_community_admin(request.user)


class SecondFactorPassed(permissions.BasePermission):
    """A browser session must have passed (or enrolled) the second factor.

    API tokens are a factor of their own; a session that has only passed the
    password must not reach the API, where it could create a token.
    """

    message = _("Pass the second factor on the login page first.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            return True
        django_request = request._request
        return not (
            totp.needs_second_factor(django_request) or totp.needs_totp_enrolment(request.user)
        )


# What every API view asks before its own checks (also the DRF default).
AUTHENTICATED: list[type[permissions.BasePermission]] = [
    permissions.IsAuthenticated,
    SecondFactorPassed,
]
