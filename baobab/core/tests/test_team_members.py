"""The team members page: who may use it, and each change it makes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from baobab.core.choices import Role
from baobab.core.models import AuditEntry, Membership, Team, User
from baobab.core.services import add_user

URL = "/teams/{}/members/"


@pytest.fixture
def team(make_team: Callable[..., Team]) -> Team:
    return make_team("ng-cert", name="ngCERT")


@pytest.fixture
def admin(make_user: Callable[..., User], team: Team) -> User:
    return make_user("amina", team=team, role=Role.ADMIN)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_members_of_lower_roles_are_forbidden(
    client: Client, make_user: Callable[..., User], team: Team, role: Role
) -> None:
    client.force_login(make_user(team=team, role=role))
    assert client.get(URL.format("ng-cert")).status_code == 403
    response = client.post(URL.format("ng-cert"), {"action": "remove", "membership": 1})
    assert response.status_code == 403


def test_admins_of_another_team_are_forbidden(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team], team: Team
) -> None:
    client.force_login(make_user(team=make_team(), role=Role.ADMIN))
    assert client.get(URL.format("ng-cert")).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Client, team: Team) -> None:
    response = client.get(URL.format("ng-cert"))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_team_admin_and_community_admin_see_the_members(
    client: Client, make_user: Callable[..., User], team: Team, admin: User
) -> None:
    make_user("bakari", team=team, role=Role.VIEWER)
    client.force_login(admin)
    page = client.get(URL.format("NG-CERT")).content.decode()  # short names ignore case
    assert "amina" in page
    assert "bakari" in page
    client.force_login(make_user("chidi", is_community_admin=True))
    assert client.get(URL.format("ng-cert")).status_code == 200


def test_add_an_existing_user(
    client: Client, make_user: Callable[..., User], team: Team, admin: User
) -> None:
    newcomer = make_user("bakari")
    client.force_login(admin)
    response = client.post(
        URL.format("ng-cert"), {"action": "add", "add-username": "Bakari", "add-role": "analyst"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer, team=team).role == Role.ANALYST
    entry = AuditEntry.objects.filter(object_type="core.membership").latest("id")
    assert (entry.action, entry.channel, entry.actor_name) == ("create", "web", "amina")
    assert entry.after is not None
    assert entry.after["role"] == "analyst"


def test_adding_an_unknown_user_shows_an_error(client: Client, team: Team, admin: User) -> None:
    client.force_login(admin)
    response = client.post(
        URL.format("ng-cert"), {"action": "add", "add-username": "ghost", "add-role": "viewer"}
    )
    assert response.status_code == 200
    assert "There is no active user named ghost." in response.content.decode()


def test_create_a_new_user_in_the_team(client: Client, team: Team, admin: User) -> None:
    client.force_login(admin)
    response = client.post(
        URL.format("ng-cert"),
        {
            "action": "create",
            "new-username": "chidi",
            "new-email": "chidi@example.org",
            "new-role": "viewer",
            "new-password": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="chidi")
    assert user.check_password("a long enough passphrase 42")
    assert Membership.objects.get(user=user, team=team).role == Role.VIEWER
    after = AuditEntry.objects.get(object_type="core.user", object_id=str(user.pk)).after
    assert after is not None
    assert after["username"] == "chidi"
    assert "password" not in after


def test_create_refuses_a_taken_name_and_a_weak_password(
    client: Client, make_user: Callable[..., User], team: Team, admin: User
) -> None:
    make_user("chidi")
    client.force_login(admin)
    data = {"action": "create", "new-username": "CHIDI", "new-role": "viewer"}
    response = client.post(URL.format("ng-cert"), data)
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    data = {**data, "new-username": "dayo", "new-password": "123"}
    response = client.post(URL.format("ng-cert"), data)
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="dayo").exists()


def test_change_role_and_remove(
    client: Client, make_user: Callable[..., User], team: Team, admin: User
) -> None:
    member = make_user("bakari", team=team, role=Role.VIEWER)
    membership = Membership.objects.get(user=member, team=team)
    client.force_login(admin)
    url = URL.format("ng-cert")
    response = client.post(url, {"action": "role", "membership": membership.pk, "role": "admin"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN
    entry = AuditEntry.objects.filter(object_type="core.membership").latest("id")
    assert entry.before == {"role": "viewer"}
    assert entry.after == {"role": "admin"}
    response = client.post(url, {"action": "remove", "membership": membership.pk})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=member.pk).exists()
    entry = AuditEntry.objects.filter(object_type="core.membership").latest("id")
    assert entry.action == "delete"
    assert entry.before is not None
    assert entry.before["role"] == "admin"


def test_the_last_team_admin_cannot_leave(client: Client, team: Team, admin: User) -> None:
    membership = Membership.objects.get(user=admin, team=team)
    client.force_login(admin)
    url = URL.format("ng-cert")
    response = client.post(url, {"action": "remove", "membership": membership.pk}, follow=True)
    assert "no team admin left" in response.content.decode()
    response = client.post(url, {"action": "role", "membership": membership.pk, "role": "viewer"})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_a_membership_of_another_team_is_not_found(
    client: Client, make_user: Callable[..., User], make_team: Callable[..., Team], admin: User
) -> None:
    elsewhere = make_user(team=make_team(), role=Role.VIEWER)
    membership = Membership.objects.get(user=elsewhere)
    client.force_login(admin)
    response = client.post(URL.format("ng-cert"), {"action": "remove", "membership": membership.pk})
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_team_admin_cannot_create_a_community_admin(team: Team, admin: User) -> None:
    with pytest.raises(PermissionDenied):
        add_user("eve", team=team, role=Role.VIEWER, is_community_admin=True, acting_user=admin)
    assert not User.objects.filter(username="eve").exists()


def test_a_malformed_membership_id_is_a_bad_request(
    client: Client, team: Team, admin: User
) -> None:
    client.force_login(admin)
    response = client.post(URL.format("ng-cert"), {"action": "remove", "membership": "x"})
    assert response.status_code == 400
    assert client.post(URL.format("ng-cert"), {"action": "dance"}).status_code == 400
