"""API tokens: stored hashed, shown once, accepted in the Authorization header
until revoked; the account page and the /api/v1/tokens/ and /api/v1/me/ API."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from baobab.core.choices import Role
from baobab.core.models import ApiToken, Team, User
from baobab.core.services import create_token, hash_token, revoke_token

KEY_PATTERN = re.compile(r"bbt_[A-Za-z0-9_-]{40,}")


def _database_text() -> str:
    """Every row of every table, as text."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_the_key_is_stored_only_as_a_hash(make_user: Callable[..., User]) -> None:
    user = make_user("amina")
    token, key = create_token(user, name="sensor", acting_user=user)
    assert KEY_PATTERN.fullmatch(key)
    token.refresh_from_db()
    assert token.key_hash == hash_token(key)
    assert key.startswith(token.prefix)
    assert key not in _database_text()
    assert token.key_hash in _database_text()  # the scan does see the table


def test_the_account_page_shows_a_new_key_once(
    client: Client, make_user: Callable[..., User]
) -> None:
    user = make_user("amina")
    client.force_login(user)
    response = client.post("/account/tokens/", {"name": "my script"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    found = KEY_PATTERN.findall(response.content.decode())
    assert len(found) == 1
    key = found[0]
    token = ApiToken.objects.get(user=user)
    assert token.name == "my script"
    assert token.key_hash == hash_token(key)
    page = client.get("/account/").content.decode()
    assert key not in page
    assert token.prefix in page
    assert "my script" in page
    assert key not in _database_text()


def test_a_token_authenticates_until_revoked(make_user: Callable[..., User]) -> None:
    user = make_user("amina")
    token, key = create_token(user, acting_user=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "amina"
    token.refresh_from_db()
    assert token.last_used_at is not None
    revoke_token(token, acting_user=user)
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Token bbt_notarealkeyatallnotarealkeyatallnotarealkey",
        "Token",
        "Token two parts",
        "token   ",
    ],
)
def test_a_wrong_or_malformed_header_gets_401(header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["detail"]


@pytest.mark.django_db
def test_no_header_gets_401() -> None:
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_an_inactive_users_token_stops_working(make_user: Callable[..., User]) -> None:
    user = make_user("amina")
    _token, key = create_token(user, acting_user=None)
    user.is_active = False
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").status_code == 401


def test_me_lists_teams_and_roles(
    make_user: Callable[..., User],
    make_team: Callable[..., Team],
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    team = make_team("ke-cirt", name="KE-CIRT")
    user = make_user("amina", team=team, role=Role.ANALYST, email="amina@example.org")
    data = api_client_for(user).get("/api/v1/me/").json()
    assert data == {
        "id": user.pk,
        "username": "amina",
        "email": "amina@example.org",
        "is_community_admin": False,
        "totp_enabled": False,
        "teams": [{"team": "ke-cirt", "team_name": "KE-CIRT", "role": "analyst"}],
    }


def test_token_api_lists_creates_and_revokes_own_tokens(
    make_user: Callable[..., User], api_client_for: Callable[[User | None], APIClient]
) -> None:
    user = make_user("amina")
    other = make_user("bakari")
    other_token, _other_key = create_token(other, acting_user=None)
    client = api_client_for(user)
    created = client.post("/api/v1/tokens/", {"name": "ci"}, format="json")
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert KEY_PATTERN.fullmatch(key)
    assert body["name"] == "ci"
    assert body["is_active"] is True
    listed = client.get("/api/v1/tokens/").json()
    rows = listed["results"]
    assert {row["name"] for row in rows} == {"", "ci"}  # the client's own token and the new one
    assert all("key" not in row and "key_hash" not in row for row in rows)
    assert other_token.pk not in {row["id"] for row in rows}
    # Another user's token is not there to revoke.
    assert client.delete(f"/api/v1/tokens/{other_token.pk}/").status_code == 404
    other_token.refresh_from_db()
    assert other_token.is_active
    # The new key works, then is revoked through the API.
    second = APIClient()
    second.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert second.get("/api/v1/me/").status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}/").status_code == 204
    assert second.get("/api/v1/me/").status_code == 401
    revoked = client.get(f"/api/v1/tokens/{body['id']}/").json()
    assert revoked["is_active"] is False
    assert revoked["revoked_at"]


def test_token_api_refuses_an_overlong_name(
    make_user: Callable[..., User], api_client_for: Callable[[User | None], APIClient]
) -> None:
    client = api_client_for(make_user("amina"))
    response = client.post("/api/v1/tokens/", {"name": "x" * 101}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_revoking_from_the_account_page(client: Client, make_user: Callable[..., User]) -> None:
    user = make_user("amina")
    other = make_user("bakari")
    token, key = create_token(user, acting_user=None)
    other_token, _key = create_token(other, acting_user=None)
    client.force_login(user)
    assert client.post(f"/account/tokens/{other_token.pk}/revoke/").status_code == 404
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    other_token.refresh_from_db()
    assert not token.is_active
    assert other_token.is_active
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


def test_the_account_page_lists_teams_tokens_and_second_factor(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team]
) -> None:
    team = make_team("tz-cert", name="TZ-CERT")
    user = make_user("amina", team=team, role=Role.ADMIN)
    create_token(user, name="feeds", acting_user=None)
    client.force_login(user)
    page = client.get("/account/").content.decode()
    assert "TZ-CERT" in page
    assert "Team admin" in page
    assert "/teams/tz-cert/members/" in page
    assert "feeds" in page
    assert "/account/totp/setup/" in page
    assert "<script" not in page
    assert "style=" not in page
