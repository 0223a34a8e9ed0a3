"""Request middleware: audit channel and the TOTP second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from baobab.core import audit
from baobab.core.choices import AuditChannel
from baobab.core.totp import needs_second_factor, needs_totp_enrolment

# Paths a logged-in user may reach before passing the second factor.
_OPEN_PREFIXES = (
    "/account/totp/",
    "/account/logout/",
    "/static/",
    "/healthz",
    "/.well-known/",
    "/i18n/",
    "/api/",
    "/taxii2/",
)


class SecondFactorMiddleware:
    """Sets the audit channel, and holds a logged-in user at the TOTP step until
    they pass it (or enrol, where the community requires it for their role)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        is_api = request.path.startswith(("/api/", "/taxii2/"))
        with audit.channel(AuditChannel.API if is_api else AuditChannel.WEB):
            user = request.user
            if user.is_authenticated and not request.path.startswith(_OPEN_PREFIXES):
                if needs_second_factor(request):
                    return redirect("core:totp-verify")
                if needs_totp_enrolment(user):
                    return redirect("core:totp-setup")
            return self.get_response(request)
