"""``baobab users`` and ``baobab token``: through call_command, and once through
the real ``baobab`` program on a fresh data folder."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from baobab.core.choices import Role
from baobab.core.models import ApiToken, AuditEntry, Membership, Team, User
from baobab.core.services import create_token, hash_token

BAOBAB = Path(sys.executable).parent / "baobab"


def _run(*args: str, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out, stderr=err)
    finally:
        sys.stdin = old_stdin
    return out.getvalue(), err.getvalue()


def _usage_error(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        _run(*args)
    assert info.value.returncode == 2
    return str(info.value)


def test_users_add_creates_a_user_in_the_team(make_team: Callable[..., Team]) -> None:
    team = make_team("ke-cirt")
    out, _err = _run(
        "users",
        "add",
        "amina",
        "--team",
        "KE-CIRT",
        "--role",
        "analyst",
        "--email",
        "amina@example.org",
    )
    assert "amina" in out
    user = User.objects.get(username="amina")
    assert user.email == "amina@example.org"
    assert not user.has_usable_password()
    assert not user.is_community_admin
    assert Membership.objects.get(user=user, team=team).role == Role.ANALYST


def test_users_add_reads_a_password_and_makes_a_community_admin(
    make_team: Callable[..., Team],
) -> None:
    make_team("ke-cirt")
    _run(
        "users",
        "add",
        "chidi",
        "--team",
        "ke-cirt",
        "--role",
        "admin",
        "--password-stdin",
        "--community-admin",
        stdin="a long enough passphrase 42\n",
    )
    user = User.objects.get(username="chidi")
    assert user.check_password("a long enough passphrase 42")
    assert user.is_community_admin
    entry = AuditEntry.objects.get(object_type="core.user", action="create")
    assert entry.channel == "cli"
    assert entry.after is not None
    assert entry.after["is_community_admin"] is True


def test_users_add_refuses_bad_input_with_exit_code_2(
    make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    make_team("ke-cirt")
    make_user("amina")
    assert "no team" in _usage_error("users", "add", "bakari", "--team", "xx", "--role", "viewer")
    assert "Unknown role" in _usage_error(
        "users", "add", "bakari", "--team", "ke-cirt", "--role", "boss"
    )
    assert "already exists" in _usage_error(
        "users", "add", "Amina", "--team", "ke-cirt", "--role", "viewer"
    )
    with pytest.raises(CommandError) as info:
        _run("users", "add", "dayo", "--team", "ke-cirt", "--role", "viewer", "--password-stdin")
    assert info.value.returncode == 2
    with pytest.raises(CommandError) as info:
        _run(
            "users",
            "add",
            "dayo",
            "--team",
            "ke-cirt",
            "--role",
            "viewer",
            "--password-stdin",
            stdin="123\n",
        )
    assert info.value.returncode == 2
    assert "too short" in str(info.value)
    assert not User.objects.filter(username__in=["bakari", "dayo"]).exists()


def test_users_list_shows_teams_and_roles(
    make_team: Callable[..., Team], make_user: Callable[..., User]
) -> None:
    team = make_team("ke-cirt")
    make_user("amina", team=team, role=Role.ADMIN)
    make_user("zawadi")
    out, _err = _run("users", "list")
    lines = out.splitlines()
    assert lines[0].startswith("USERNAME")
    assert any(line.startswith("amina") and "ke-cirt:admin" in line for line in lines)
    assert any(line.startswith("zawadi") for line in lines)


def test_users_reset_totp(make_user: Callable[..., User]) -> None:
    user = make_user("amina", totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed=True)
    _run("users", "reset-totp", "amina")
    user.refresh_from_db()
    assert not user.totp_confirmed
    assert user.totp_secret == ""
    assert "no user" in _usage_error("users", "reset-totp", "ghost")


def test_token_create_prints_only_a_working_key(make_user: Callable[..., User]) -> None:
    user = make_user("amina")
    out, _err = _run("token", "create", "--user", "amina", "--name", "sensor-1")
    key = out.strip()
    assert out == key + "\n"
    token = ApiToken.objects.get(user=user)
    assert token.name == "sensor-1"
    assert token.key_hash == hash_token(key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "amina"
    entry = AuditEntry.objects.get(object_type="core.apitoken")
    assert (entry.channel, entry.action) == ("cli", "create")
    assert "no user" in _usage_error("token", "create", "--user", "ghost")


def test_token_list_and_revoke(make_user: Callable[..., User]) -> None:
    amina = make_user("amina")
    bakari = make_user("bakari")
    first, first_key = create_token(amina, name="one", acting_user=None)
    second, _key = create_token(amina, name="two", acting_user=None)
    other, _key = create_token(bakari, name="three", acting_user=None)
    out, _err = _run("token", "list", "--user", "amina")
    assert first.prefix in out
    assert second.prefix in out
    assert other.prefix not in out
    assert first_key not in out
    out, _err = _run("token", "revoke", first.prefix)
    assert "Revoked" in out
    _run("token", "revoke", str(second.pk))
    first.refresh_from_db()
    second.refresh_from_db()
    other.refresh_from_db()
    assert not first.is_active
    assert not second.is_active
    assert other.is_active
    out, _err = _run("token", "list")
    assert "revoked" in out
    assert "already revoked" in _run("token", "revoke", first.prefix)[0]
    entry = AuditEntry.objects.filter(object_type="core.apitoken", action="update").latest("id")
    assert entry.channel == "cli"
    assert entry.before == {"revoked_at": None}
    assert "No token matches" in _usage_error("token", "revoke", "bbt_zzzzzz")
    assert "neither" in _usage_error("token", "revoke", "hello")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data folder, migrated by the real program."""
    path = tmp_path_factory.mktemp("baobab-data")
    result = subprocess.run(
        [str(BAOBAB), "migrate", "--noinput"],
        env=_program_env(path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return path


def _program_env(path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"DEBUG": "true", "BAOBAB_DATA_DIR": str(path)})
    return env


def test_the_baobab_program_adds_users_and_prints_a_key(data_dir: Path) -> None:
    env = _program_env(data_dir)

    def baobab(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BAOBAB), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    made = baobab(
        "shell",
        "-c",
        "from baobab.core.models import Team; "
        "Team.objects.create(short_name='ke-cirt', name='KE-CIRT', team_type='national')",
    )
    assert made.returncode == 0, made.stderr
    added = baobab(
        "users",
        "add",
        "amina",
        "--team",
        "ke-cirt",
        "--role",
        "admin",
        "--email",
        "amina@example.org",
        "--password-stdin",
        stdin="a long enough passphrase 42\n",
    )
    assert added.returncode == 0, added.stderr
    unknown_team = baobab("users", "add", "bakari", "--team", "nope", "--role", "viewer")
    assert unknown_team.returncode == 2
    assert "no team" in unknown_team.stderr
    unknown_role = baobab("users", "add", "bakari", "--team", "ke-cirt", "--role", "boss")
    assert unknown_role.returncode == 2
    created = baobab("token", "create", "--user", "amina", "--name", "script")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n"
    assert key.startswith("bbt_")
    listed = baobab("token", "list")
    assert key[:10] in listed.stdout
    assert key not in listed.stdout
    # The database file and its write-ahead log, whichever holds the rows now.
    database = b"".join(path.read_bytes() for path in data_dir.glob("baobab.sqlite3*"))
    assert key.encode() not in database
    assert hash_token(key).encode() in database
