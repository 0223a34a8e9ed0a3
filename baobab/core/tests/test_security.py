"""Production settings fail fast and are secure; the API schema and its
documentation are served without any external resource."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.test import Client

from baobab.core.models import User

PRINT_SECURITY = (
    "import baobab.settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG)"
)


def _settings_subprocess(**env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "SECURE_COOKIES", "SECURE_HSTS_SECONDS"}
    }
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-c", PRINT_SECURITY],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_secret_key_fails_with_a_clear_message() -> None:
    result = _settings_subprocess(DEBUG="false", ALLOWED_HOSTS="cert.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_without_allowed_hosts_fails_with_a_clear_message() -> None:
    result = _settings_subprocess(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_production_settings_use_secure_cookies_and_hsts() -> None:
    result = _settings_subprocess(
        DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cert.example.org"
    )
    assert result.returncode == 0, result.stderr
    session_secure, csrf_secure, hsts, debug = result.stdout.split()
    assert session_secure == "True"
    assert csrf_secure == "True"
    assert int(hsts) > 0
    assert debug == "False"


@pytest.mark.django_db
def test_api_schema_lists_the_core_endpoints(client: Client) -> None:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in ("/api/v1/me/", "/api/v1/tokens/", "/api/v1/tokens/{id}/", "/api/v1/audit/"):
        assert f"{path}:" in schema
    assert "TokenAuth" in schema or "tokenAuth" in schema


def test_api_schema_is_valid_and_generates_without_warnings() -> None:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert "/api/v1/lookup/:" in out.getvalue()


@pytest.mark.django_db
def test_api_docs_load_nothing_from_outside(client: Client) -> None:
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert references, "the page loads its scripts and styles"
    assert all(reference.startswith("/") for reference in references), references
    assert "http://" not in page
    assert "https://" not in page
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy


def test_pages_carry_no_inline_script_or_style(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("chidi", is_community_admin=True))
    for path in (
        "/account/",
        "/account/totp/setup/",
        "/account/password/",
        "/community/audit/",
        "/community/settings/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert "<script" not in page, path
        assert "style=" not in page, path
