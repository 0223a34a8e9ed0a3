"""The user's own account: log in and out, the TOTP second factor, the account
page with API tokens, and password change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from baobab.core import services, totp
from baobab.core.forms import TokenCreateForm, TotpCodeForm
from baobab.core.models import ApiToken, Membership, User

# The secret of an enrolment that is not confirmed yet lives in the session.
PENDING_SECRET_KEY = "baobab_totp_pending_secret"  # noqa: S105 - a session key name


def _account_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required guarantees it
    return user


def _next_url(request: HttpRequest) -> str:
    """The ``next`` parameter when it points inside this site, else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class BaobabLoginView(LoginView):
    """Password login (throttled by axes), then on to the second factor if needed."""

    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        query = urlencode({"next": url})
        if totp.needs_second_factor(self.request):
            return f"{reverse('core:totp-verify')}?{query}"
        if totp.needs_totp_enrolment(self.request.user):
            return f"{reverse('core:totp-setup')}?{query}"
        return url


def _locked_out(request: HttpRequest) -> HttpResponse:
    """End the session and show the lock-out page (too many wrong codes)."""
    logout(request)
    # The page is rendered here; axes' middleware need not render it again.
    request.axes_locked_out = False  # type: ignore[attr-defined]
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_timedelta": settings.AXES_COOLOFF_TIME,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


def _code_failed(request: HttpRequest, user: User) -> HttpResponse | None:
    """Count a wrong code against the login throttle; the lock-out page once it locks."""
    credentials = totp.throttle_credentials(user)
    AxesProxyHandler.user_login_failed(
        sender=_code_failed, credentials=credentials, request=request
    )
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request)
    return None


@never_cache
@login_required
def totp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of the login for users with TOTP: ask for a current code."""
    user = _account_user(request)
    next_url = _next_url(request)
    if not totp.needs_second_factor(request):
        return redirect(next_url)
    credentials = totp.throttle_credentials(user)
    if not AxesProxyHandler.is_allowed(request, credentials):
        return _locked_out(request)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and totp.accept_code(user, form.cleaned_data["code"]):
            AxesProxyHandler.reset_attempts(username=credentials["username"])
            request.session.cycle_key()
            request.session[totp.SESSION_KEY] = True
            return redirect(next_url)
        locked = _code_failed(request, user)
        if locked is not None:
            return locked
        if form.is_valid():
            form.add_error("code", _("That code is not valid."))
    return render(request, "core/totp_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret and its QR code, confirm with a code."""
    user = _account_user(request)
    if totp.needs_second_factor(request):
        return redirect(f"{reverse('core:totp-verify')}?{urlencode({'next': request.path})}")
    context: dict[str, Any] = {
        "required": totp.required_for(user),
        "next": request.POST.get("next") or request.GET.get("next") or "",
    }
    if user.totp_confirmed:
        return render(request, "core/totp_setup.html", context)
    secret = request.session.get(PENDING_SECRET_KEY) or totp.new_secret()
    request.session[PENDING_SECRET_KEY] = secret
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enable_totp(
                user, secret=secret, code=form.cleaned_data["code"], acting_user=user
            )
        except ValidationError as exc:
            form.add_error("code", exc.messages)
        else:
            del request.session[PENDING_SECRET_KEY]
            request.session[totp.SESSION_KEY] = True
            messages.success(request, _("Your second factor is on."))
            return redirect(_next_url(request) if context["next"] else reverse("core:account"))
    uri = totp.provisioning_uri(user, secret)
    context.update(
        {
            "form": form,
            "secret": secret,
            "uri": uri,
            # segno escapes what it writes and emits no script and no style attribute.
            "qr_svg": mark_safe(totp.qr_svg(uri)),  # noqa: S308
        }
    )
    return render(request, "core/totp_setup.html", context)


@require_POST
@login_required
def totp_disable(request: HttpRequest) -> HttpResponse:
    """Turn the second factor off, with a current code, where the community allows it."""
    user = _account_user(request)
    if totp.needs_second_factor(request):
        return redirect("core:totp-verify")
    form = TotpCodeForm(request.POST)
    code = form.cleaned_data["code"] if form.is_valid() else ""
    try:
        services.disable_totp(user, code=code, acting_user=user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        locked = _code_failed(request, user)
        if locked is not None:
            return locked
        messages.error(request, " ".join(exc.messages))
    else:
        request.session.pop(totp.SESSION_KEY, None)
        messages.success(request, _("Your second factor is off."))
    return redirect("core:account")


def _account_page(
    request: HttpRequest, *, token_form: TokenCreateForm | None = None, new_key: str = ""
) -> HttpResponse:
    user = _account_user(request)
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("team"),
        "tokens": ApiToken.objects.filter(user=user),
        "token_form": token_form or TokenCreateForm(),
        "new_key": new_key,
        "totp_required": totp.required_for(user),
    }
    return render(request, "core/account.html", context)


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's teams and roles, API tokens and second-factor status."""
    return _account_page(request)


@never_cache
@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    """Create an API token and show its key, once, on the account page."""
    user = _account_user(request)
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _account_page(request, token_form=form)
    _token, key = services.create_token(user, name=form.cleaned_data["name"], acting_user=user)
    # Rendered, not redirected: the key must not be kept in the session or a message.
    return _account_page(request, new_key=key)


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own API tokens."""
    user = _account_user(request)
    token = get_object_or_404(ApiToken, pk=pk, user=user)
    services.revoke_token(token, acting_user=user)
    messages.success(request, _("Token %(prefix)s… is revoked.") % {"prefix": token.prefix})
    return redirect("core:account")


@never_cache
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (the current one is asked for)."""
    user = _account_user(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(user, form.cleaned_data["new_password1"], acting_user=user)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect("core:account")
    return render(request, "core/password_change.html", {"form": form})
