"""Site-wide pages: health check and security.txt."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_reports_database_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_security_txt_has_required_fields(client: Client) -> None:
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "Contact: " in body
    assert "Expires: " in body  # RFC 9116 requires both


@pytest.mark.django_db
def test_pages_carry_strict_content_security_policy(client: Client) -> None:
    response = client.get("/healthz")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_home_requires_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
