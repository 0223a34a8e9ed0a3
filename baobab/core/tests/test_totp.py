"""The TOTP second factor: enrolment, the login step, throttling, turning it off,
and the community's rule that some roles must use it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.test import Client

from baobab.core import totp
from baobab.core.choices import Role
from baobab.core.models import AuditEntry, CommunitySettings, Team, User
from baobab.core.views.account import PENDING_SECRET_KEY

PASSWORD = "correct horse battery staple"


def _wrong_code(secret: str) -> str:
    """A six-digit code that is valid in no step around now."""
    current = pyotp.TOTP(secret)
    now = time.time()
    # Two steps either side, in case the clock ticks during the test.
    valid = {current.at(now + step * 30) for step in (-2, -1, 0, 1, 2)}
    code = 0
    while f"{code:06d}" in valid:
        code += 1
    return f"{code:06d}"


def _user_with_totp(make_user: Callable[..., User], username: str = "amina", **kw: Any) -> User:
    user = make_user(username, **kw)
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed = True
    user.save()
    return user


def _password_login(client: Client, username: str = "amina") -> Any:
    return client.post("/account/login/", {"username": username, "password": PASSWORD})


def test_enrolment_shows_secret_and_inline_svg_qr_then_turns_totp_on(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user("amina")
    client.force_login(user)
    page = client.get("/account/totp/setup/")
    assert page.status_code == 200
    secret = client.session[PENDING_SECRET_KEY]
    body = page.content.decode()
    assert secret in body
    assert "<svg" in body
    assert "<script" not in body
    assert "style=" not in body
    # A wrong code leaves it off.
    response = client.post("/account/totp/setup/", {"code": _wrong_code(secret)})
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.totp_confirmed
    # The right code turns it on, and this session counts as verified.
    response = client.post("/account/totp/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.totp_confirmed
    assert user.totp_secret == secret
    assert client.session[totp.SESSION_KEY] is True
    assert PENDING_SECRET_KEY not in client.session
    assert client.get("/account/").status_code == 200
    entry = AuditEntry.objects.filter(object_type="core.user", action="update").latest("id")
    assert entry.after == {"totp_confirmed": True}
    assert entry.channel == "web"
    assert secret not in str(entry.before) + str(entry.after)


def test_login_with_totp_asks_for_a_code_before_anything_else(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    response = _password_login(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/totp/verify/")
    # Every page sends the user back to the code step.
    for path in ("/", "/account/", "/community/audit/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/account/totp/verify/"
    # Turning the factor off is not a way around the step.
    code = pyotp.TOTP(user.totp_secret).now()
    assert client.post("/account/totp/disable/", {"code": code}).status_code == 302
    user.refresh_from_db()
    assert user.totp_confirmed
    page = client.get("/account/totp/verify/")
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
    response = client.post("/account/totp/verify/", {"code": code, "next": "/account/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.session[totp.SESSION_KEY] is True
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused(client: Client, make_user: Callable[..., User]) -> None:
    user = _user_with_totp(make_user)
    _password_login(client)
    response = client.post("/account/totp/verify/", {"code": _wrong_code(user.totp_secret)})
    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert not client.session.get(totp.SESSION_KEY)
    assert client.get("/").status_code == 302


def test_repeated_wrong_codes_lock_out_and_end_the_session(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    _password_login(client)
    wrong = _wrong_code(user.totp_secret)
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        assert client.post("/account/totp/verify/", {"code": wrong}).status_code == 200
    response = client.post("/account/totp/verify/", {"code": wrong})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # A new password login does not clear the count: the code step stays locked,
    # even for the right code.
    assert _password_login(client).status_code == 302
    response = client.post("/account/totp/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_right_code_clears_earlier_wrong_ones(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    wrong = _wrong_code(user.totp_secret)
    for step_offset in (-30, 0):  # a code is good once: each round uses its own
        _password_login(client)
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post("/account/totp/verify/", {"code": wrong})
        code = pyotp.TOTP(user.totp_secret).at(time.time() + step_offset)
        response = client.post("/account/totp/verify/", {"code": code})
        assert response.status_code == 302
        client.post("/account/logout/")


def test_a_code_is_accepted_once_and_older_codes_after_it_never(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    generator = pyotp.TOTP(user.totp_secret)
    current, previous = generator.now(), generator.at(time.time() - 30)
    _password_login(client)
    assert client.post("/account/totp/verify/", {"code": current}).status_code == 302
    client.post("/account/logout/")
    for replayed in (current, previous):
        _password_login(client)
        response = client.post("/account/totp/verify/", {"code": replayed})
        assert response.status_code == 200, "a used or older code must be refused"
        assert "not valid" in response.content.decode()
        client.post("/account/logout/")


def test_community_can_require_totp_for_a_role(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team]
) -> None:
    CommunitySettings.objects.update_or_create(pk=1, defaults={"totp_required_roles": ["admin"]})
    team = make_team()
    make_user("amina", team=team, role=Role.ADMIN)
    make_user("bakari", team=team, role=Role.VIEWER)
    # The viewer goes straight in.
    response = _password_login(client, "bakari")
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/account/logout/")
    # The admin is sent to enrol, and held there until enrolled.
    response = _password_login(client, "amina")
    assert response["Location"].startswith("/account/totp/setup/")
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/account/totp/setup/"
    page = client.get("/account/totp/setup/")
    assert "requires a second factor for your role" in page.content.decode()
    secret = client.session[PENDING_SECRET_KEY]
    response = client.post(
        "/account/totp/setup/", {"code": pyotp.TOTP(secret).now(), "next": "/account/"}
    )
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_community_admins_can_be_required_to_use_totp(
    client: Client, make_user: Callable[..., User]
) -> None:
    CommunitySettings.objects.update_or_create(
        pk=1, defaults={"totp_required_roles": ["community_admin"]}
    )
    client.force_login(make_user("amina", is_community_admin=True))
    response = client.get("/")
    assert response["Location"] == "/account/totp/setup/"


def test_totp_can_be_turned_off_with_a_current_code(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    client.force_login(user)
    session = client.session
    session[totp.SESSION_KEY] = True
    session.save()
    response = client.post("/account/totp/disable/", {"code": _wrong_code(user.totp_secret)})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.totp_confirmed
    response = client.post("/account/totp/disable/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.totp_confirmed
    assert user.totp_secret == ""


def test_totp_cannot_be_turned_off_when_the_role_requires_it(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team]
) -> None:
    CommunitySettings.objects.update_or_create(pk=1, defaults={"totp_required_roles": ["analyst"]})
    user = _user_with_totp(make_user, team=make_team(), role=Role.ANALYST)
    client.force_login(user)
    session = client.session
    session[totp.SESSION_KEY] = True
    session.save()
    account = client.get("/account/").content.decode()
    assert "/account/totp/disable/" not in account
    response = client.post(
        "/account/totp/disable/", {"code": pyotp.TOTP(user.totp_secret).now()}, follow=True
    )
    assert "cannot be turned off" in response.content.decode()
    user.refresh_from_db()
    assert user.totp_confirmed


@pytest.mark.django_db
def test_verify_code_helper_accepts_spaces_and_refuses_letters() -> None:
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).now()
    assert totp.verify(secret, f"{code[:3]} {code[3:]}")
    assert not totp.verify(secret, "abcdef")
    assert not totp.verify("", code)


def test_a_password_only_session_cannot_use_the_account_api(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = _user_with_totp(make_user)
    _password_login(client)
    assert client.get("/api/v1/me/").status_code == 403
    response = client.post("/api/v1/tokens/", {"name": "bypass"}, content_type="application/json")
    assert response.status_code == 403
    assert not user.api_tokens.exists()
    client.post("/account/totp/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert client.get("/api/v1/me/").json()["totp_enabled"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/teams/",
        "/api/v1/contacts/",
        "/api/v1/claims/",
        "/api/v1/lookup/?q=192.0.2.7",
        "/api/v1/directory/export/?format=json",
    ],
)
def test_a_password_only_session_cannot_read_the_directory_api(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team], path: str
) -> None:
    user = _user_with_totp(make_user, team=make_team(), role=Role.ANALYST)
    _password_login(client)
    assert client.get(path).status_code == 403
    client.post("/account/totp/verify/", {"code": pyotp.TOTP(user.totp_secret).now()})
    assert client.get(path).status_code == 200
