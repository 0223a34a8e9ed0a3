"""The audit log: written for changes from every channel, free of secrets,
shown (and filtered) to community administrators only; community settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from baobab.core import audit
from baobab.core.choices import AuditChannel, Role
from baobab.core.models import AuditEntry, CommunitySettings, Team, User
from baobab.core.services import create_token, set_membership
from baobab.core.views.account import PENDING_SECRET_KEY


def _entries_text() -> str:
    return json.dumps(
        list(AuditEntry.objects.values("object_repr", "before", "after")), default=str
    )


def test_changes_are_audited_with_channel_actor_and_before_after(
    client: Client,
    make_user: Callable[..., User],
    make_team: Callable[..., Team],
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    team = make_team("ke-cirt")
    admin = make_user("amina", team=team, role=Role.ADMIN)
    member = make_user("bakari", team=team, role=Role.VIEWER)
    # Web: a role change by the team admin.
    client.force_login(admin)
    membership = member.memberships.get()
    client.post(
        "/teams/ke-cirt/members/",
        {"action": "role", "membership": membership.pk, "role": "analyst"},
    )
    web = AuditEntry.objects.filter(object_type="core.membership", action="update").get()
    assert (web.channel, web.actor_id, web.actor_name) == ("web", admin.pk, "amina")
    assert (web.before, web.after) == ({"role": "viewer"}, {"role": "analyst"})
    assert web.object_id == str(membership.pk)
    # API: a token created through the API.
    api = api_client_for(member)
    AuditEntry.objects.all().delete()
    api.post("/api/v1/tokens/", {"name": "api-made"}, format="json")
    entry = AuditEntry.objects.get(object_type="core.apitoken")
    assert (entry.channel, entry.actor_name, entry.action) == ("api", "bakari", "create")
    assert entry.after is not None
    assert entry.after["name"] == "api-made"
    # CLI: a user added from the command line, by the operator.
    call_command(
        "users", "add", "chidi", "--team", "ke-cirt", "--role", "viewer", stdout=StringIO()
    )
    entry = AuditEntry.objects.get(object_type="core.user", action="create")
    assert (entry.channel, entry.actor, entry.actor_name) == ("cli", None, "")
    assert entry.after is not None
    assert entry.after["username"] == "chidi"
    # A task: whatever runs inside the task channel is recorded as such.
    with audit.channel(AuditChannel.TASK):
        set_membership(member, team, Role.VIEWER, acting_user=None)
    entry = AuditEntry.objects.filter(object_type="core.membership").latest("id")
    assert entry.channel == "task"


def test_the_audit_log_holds_no_secret(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team]
) -> None:
    team = make_team("ke-cirt")
    user = make_user("amina", team=team, role=Role.ADMIN)
    client.force_login(user)
    # A token through the web, and one from the command line.
    response = client.post("/account/tokens/", {"name": "web"})
    web_key = response.context["new_key"]
    out = StringIO()
    call_command("token", "create", "--user", "amina", stdout=out)
    cli_key = out.getvalue().strip()
    # A second factor.
    client.get("/account/totp/setup/")
    secret = client.session[PENDING_SECRET_KEY]
    client.post("/account/totp/setup/", {"code": pyotp.TOTP(secret).now()})
    # A password, set at creation and changed later.
    client.post(
        "/teams/ke-cirt/members/",
        {
            "action": "create",
            "new-username": "bakari",
            "new-role": "viewer",
            "new-password": "first passphrase for bakari",
        },
    )
    client.post(
        "/account/password/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": "second passphrase for amina",
            "new_password2": "second passphrase for amina",
        },
    )
    user.refresh_from_db()
    bakari = User.objects.get(username="bakari")
    assert AuditEntry.objects.filter(action="password_change", object_id=str(user.pk)).exists()
    text = _entries_text()
    for secret_value in (
        web_key,
        cli_key,
        secret,
        user.password,
        bakari.password,
        "first passphrase",
        "second passphrase",
    ):
        assert secret_value not in text
    for token_hash in user.api_tokens.values_list("key_hash", flat=True):
        assert token_hash not in text


def test_audit_page_and_api_are_for_community_admins_only(
    client: Client,
    make_user: Callable[..., User],
    make_team: Callable[..., Team],
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    team_admin = make_user("amina", team=make_team(), role=Role.ADMIN)
    client.force_login(team_admin)
    assert client.get("/community/audit/").status_code == 403
    assert client.get("/community/settings/").status_code == 403
    assert api_client_for(team_admin).get("/api/v1/audit/").status_code == 403
    assert api_client_for(None).get("/api/v1/audit/").status_code == 401
    community_admin = make_user("chidi", is_community_admin=True)
    client.force_login(community_admin)
    assert client.get("/community/audit/").status_code == 200
    assert api_client_for(community_admin).get("/api/v1/audit/").status_code == 200


def test_audit_page_filters_and_shows_before_and_after(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team]
) -> None:
    team = make_team("ke-cirt")
    admin = make_user("chidi", is_community_admin=True)
    member = make_user("bakari")
    set_membership(member, team, Role.VIEWER, acting_user=admin)
    set_membership(member, team, Role.ANALYST, acting_user=admin)
    create_token(member, name="other", acting_user=None)
    client.force_login(admin)
    page = client.get("/community/audit/").content.decode()
    assert "core.membership" in page
    assert "core.apitoken" in page
    assert "<del>viewer</del>" in page
    assert "<ins>analyst</ins>" in page
    page = client.get("/community/audit/", {"object_type": "core.apitoken"}).content.decode()
    assert "core.apitoken#" in page
    assert "core.membership#" not in page
    page = client.get("/community/audit/", {"actor": "CHIDI", "channel": "web"}).content.decode()
    assert "No entry matches." in page  # the changes above came from no request
    page = client.get("/community/audit/", {"actor": "chidi"}).content.decode()
    assert "core.membership#" in page
    assert "core.apitoken#" not in page
    page = client.get("/community/audit/", {"since": "2999-01-01"}).content.decode()
    assert "No entry matches." in page
    page = client.get("/community/audit/", {"until": "2000-01-01"}).content.decode()
    assert "No entry matches." in page


def test_audit_page_is_paginated(client: Client, make_user: Callable[..., User]) -> None:
    admin = make_user("chidi", is_community_admin=True)
    owner = make_user("bakari")
    for number in range(55):
        create_token(owner, name=f"token {number}", acting_user=None)
    client.force_login(admin)
    first = client.get("/community/audit/", {"object_type": "core.apitoken"})
    assert len(first.context["entries"]) == 50
    body = first.content.decode()
    assert "object_type=core.apitoken&amp;page=2" in body
    second = client.get("/community/audit/", {"object_type": "core.apitoken", "page": "2"})
    assert len(second.context["entries"]) == 5


def test_audit_api_filters(
    make_user: Callable[..., User],
    make_team: Callable[..., Team],
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    team = make_team("ke-cirt")
    admin = make_user("chidi", is_community_admin=True)
    member = make_user("bakari")
    set_membership(member, team, Role.VIEWER, acting_user=admin)
    api = api_client_for(admin)  # creates a token, audited with no actor
    data = api.get("/api/v1/audit/", {"object_type": "core.membership"}).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["actor"] == "chidi"
    assert row["actor_id"] == admin.pk
    assert row["action"] == "create"
    assert row["after"]["role"] == "viewer"
    assert api.get("/api/v1/audit/", {"actor": "chidi"}).json()["count"] == 1
    assert api.get("/api/v1/audit/", {"channel": "system"}).json()["count"] == 2
    assert api.get("/api/v1/audit/", {"channel": "api"}).json()["count"] == 0
    assert api.get("/api/v1/audit/", {"since": "2999-01-01T00:00:00Z"}).json()["count"] == 0
    assert api.get("/api/v1/audit/", {"since": "2000-01-01"}).json()["count"] == 2
    response = api.get("/api/v1/audit/", {"channel": "carrier-pigeon"})
    assert response.status_code == 400
    assert "channel" in response.json()
    response = api.get("/api/v1/audit/", {"since": "yesterday"})
    assert response.status_code == 400


def test_audit_api_is_read_only(
    make_user: Callable[..., User], api_client_for: Callable[[User | None], APIClient]
) -> None:
    api = api_client_for(make_user("chidi", is_community_admin=True))
    entry = AuditEntry.objects.latest("id")
    assert api.post("/api/v1/audit/", {}, format="json").status_code == 405
    assert api.delete(f"/api/v1/audit/{entry.pk}/").status_code == 405
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_community_settings_page_saves_name_and_required_roles(
    client: Client, make_user: Callable[..., User]
) -> None:
    admin = make_user("chidi", is_community_admin=True)
    client.force_login(admin)
    page = client.get("/community/settings/").content.decode()
    assert 'value="community_admin"' in page
    response = client.post(
        "/community/settings/",
        {"name": "AfricaCERT", "totp_required_roles": ["community_admin", "admin"]},
    )
    assert response.status_code == 302
    current = CommunitySettings.load()
    assert current.name == "AfricaCERT"
    assert current.totp_required_roles == ["admin", "community_admin"]
    entry = AuditEntry.objects.filter(object_type="core.communitysettings").latest("id")
    assert (entry.channel, entry.actor_name) == ("web", "chidi")
    assert entry.after == {
        "name": "AfricaCERT",
        "totp_required_roles": ["admin", "community_admin"],
    }
    # The admin now has to enrol before going on.
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_community_settings_refuse_an_unknown_role(
    client: Client, make_user: Callable[..., User]
) -> None:
    client.force_login(make_user("chidi", is_community_admin=True))
    response = client.post("/community/settings/", {"name": "x", "totp_required_roles": ["root"]})
    assert response.status_code == 200
    assert CommunitySettings.load().totp_required_roles == []


def test_audit_lists_use_a_fixed_number_of_queries(
    client: Client,
    make_user: Callable[..., User],
    api_client_for: Callable[[User | None], APIClient],
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    admin = make_user("chidi", is_community_admin=True)
    owner = make_user("bakari")
    for number in range(60):
        create_token(owner, name=f"token {number}", acting_user=admin)
    client.force_login(admin)
    api = api_client_for(admin)
    with django_assert_max_num_queries(10):
        assert client.get("/community/audit/").status_code == 200
    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/audit/").json()["count"] == 61
