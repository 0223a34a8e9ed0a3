"""Password login and logout, and the lock-out after repeated failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from baobab.core.models import User

PASSWORD = "correct horse battery staple"


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/account/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_login_page_has_the_expected_fields(client: Client) -> None:
    response = client.get("/account/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_username"' in body
    assert 'id="id_password"' in body
    assert 'type="submit"' in body
    assert "<script" not in body
    assert "style=" not in body


def test_login_with_the_right_password_opens_the_home_page(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user("amina")
    response = client.post(
        "/account/login/", {"username": "amina", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"].username == "amina"
    assert client.get("/").status_code == 200


def test_login_with_a_wrong_password_is_refused(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user("amina")
    response = client.post("/account/login/", {"username": "amina", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302


def test_login_follows_a_local_next_but_not_a_foreign_one(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user("amina")
    response = client.post(
        "/account/login/?next=/account/", {"username": "amina", "password": PASSWORD}
    )
    assert response["Location"] == "/account/"
    client.post("/account/logout/")
    response = client.post(
        "/account/login/?next=https://evil.example/", {"username": "amina", "password": PASSWORD}
    )
    assert response["Location"] == "/"


def test_logout_is_by_post_only(client: Client, make_user: Callable[..., User]) -> None:
    client.force_login(make_user("amina"))
    assert client.get("/account/logout/").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/account/login/"
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account_and_address_out(
    client: Client, make_user: Callable[..., User]
) -> None:
    make_user("amina")
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        assert _login(client, "amina", "wrong").status_code == 200
    locked = _login(client, "amina", "wrong")
    assert locked.status_code == 429
    # Now even the right password is refused, with the lock-out page.
    response = _login(client, "amina", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed attempts" in page
    assert f"after {limit} failed attempts" in page
    assert "15 minutes" in page


def test_lockout_is_per_address(client: Client, make_user: Callable[..., User]) -> None:
    make_user("amina")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "amina", "wrong")
    other = Client(REMOTE_ADDR="192.0.2.10")
    response = other.post("/account/login/", {"username": "amina", "password": PASSWORD})
    assert response.status_code == 302


def test_password_change_keeps_the_session_and_takes_effect(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user("amina")
    client.force_login(user)
    new = "a brand new passphrase 77"
    response = client.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    user.refresh_from_db()
    assert user.check_password(new)
