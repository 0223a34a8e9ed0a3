"""Fixtures shared by every app's tests: teams, users in roles, API clients."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from rest_framework.test import APIClient

from baobab.core.choices import Role, TeamType
from baobab.core.models import Membership, Team, User
from baobab.core.services import create_token
from baobab.directory import index as lookup_index

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_lookup_index() -> None:
    """Each test starts without the previous test's in-memory look-up index:
    rolled-back transactions also roll back the generation counter the index
    trusts, so an index built in one test could otherwise answer in the next."""
    lookup_index.reset_index()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in another one
    (the locale middleware activates it in the test's own thread) must not
    change the language of the tests after it."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _scratch_data_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Reports, spools, data files and e-mail files of a test run go to a
    scratch folder, never into the developer's data folder (nor another run's)."""
    folder = tmp_path_factory.getbasetemp() / "baobab-data"
    folder.mkdir(exist_ok=True)
    settings.DATA_DIR = folder
    settings.EMAIL_FILE_PATH = folder / "mail"
    settings.MEDIA_ROOT = folder / "media"


@pytest.fixture
def make_team(db: None) -> Callable[..., Team]:
    def make(short_name: str | None = None, **fields: Any) -> Team:
        n = next(_counter)
        fields.setdefault("name", f"Team {n}")
        fields.setdefault("team_type", TeamType.NATIONAL)
        return Team.objects.create(short_name=short_name or f"team-{n}", **fields)

    return make


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        username: str | None = None,
        *,
        team: Team | None = None,
        role: Role = Role.VIEWER,
        password: str = "correct horse battery staple",  # noqa: S107 (test fixture)
        **fields: Any,
    ) -> User:
        user = User.objects.create_user(
            username=username or f"user{next(_counter)}", password=password, **fields
        )
        if team is not None:
            Membership.objects.create(user=user, team=team, role=role)
        return user

    return make


@pytest.fixture
def api_client_for() -> Callable[[User | None], APIClient]:
    """An API client authenticated with a fresh token of ``user`` (or anonymous)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            _token, key = create_token(user, acting_user=None)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
