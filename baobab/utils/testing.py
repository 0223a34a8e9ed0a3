"""Test base classes that generate the CRUD, permission, audit-log and
query-count tests of a REST API endpoint from a few declarations.

After NetBox's ``APIViewTestCases``: a test class names the model and the
router basename and provides one fixture, ``case``, that builds an object and
the users and payloads to exercise it with::

    class TestTeamAPI(APICrudTests):
        model = Team
        basename = "team"

        @pytest.fixture
        def case(self, make_team, make_user) -> CrudCase:
            ...

Every ``test_*`` method below then runs for that endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from baobab.core import audit
from baobab.core.choices import AuditChannel
from baobab.core.models import AuditEntry
from baobab.core.services import create_token


@dataclass
class CrudCase:
    """What the generated tests need for one endpoint.

    ``obj`` exists before each test; ``reader`` may read but not change it;
    ``creator``/``editor``/``deleter`` may create, update and delete; the users
    in ``denied`` (keyed "create", "update", "delete") may read but are refused
    that action. ``make_another(i)`` adds one more object for the query-count
    check. ``expected_after_create``/``expected_after_update`` are the values
    the response must show when they differ from the payload (normalised input).
    """

    obj: Model
    reader: Any
    creator: Any
    create_data: dict[str, Any]
    editor: Any
    update_data: dict[str, Any]
    deleter: Any
    denied: dict[str, Any]
    make_another: Callable[[int], Model]
    invalid_create_data: dict[str, Any] = field(default_factory=dict)
    invalid_message: str = ""
    expected_after_create: dict[str, Any] = field(default_factory=dict)
    expected_after_update: dict[str, Any] = field(default_factory=dict)


def client_for(user: Any | None) -> APIClient:
    """An API client authenticated with a new API token of ``user`` (anonymous for None)."""
    client = APIClient()
    if user is not None:
        _token, key = create_token(user, acting_user=None)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _results(payload: Any) -> list[dict[str, Any]]:
    return payload["results"] if isinstance(payload, dict) else payload


def _audit_entries(obj_type: str, object_id: Any, action: str) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=obj_type, object_id=str(object_id), action=action)
    )


class APICrudTests:
    """The generated tests. Subclasses set ``model`` and ``basename`` and define
    the ``case`` fixture."""

    model: ClassVar[type[Model]]
    basename: ClassVar[str]

    @pytest.fixture
    def case(self) -> CrudCase:
        raise NotImplementedError("define the case fixture in the test class")

    # --- helpers ---------------------------------------------------------

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, pk: Any) -> str:
        return reverse(f"{self.basename}-detail", args=[pk])

    def object_type(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"

    def snapshot(self, pk: Any) -> dict[str, Any]:
        return model_to_dict(self.model._default_manager.get(pk=pk))

    @staticmethod
    def assert_shows(data: dict[str, Any], expected: dict[str, Any]) -> None:
        for name, value in expected.items():
            assert data[name] == value, f"{name}: {data[name]!r} != {value!r}"

    # --- reading ---------------------------------------------------------

    def test_anonymous_gets_401(self, case: CrudCase) -> None:
        client = client_for(None)
        assert client.get(self.list_url()).status_code == 401
        assert client.get(self.detail_url(case.obj.pk)).status_code == 401
        assert client.post(self.list_url(), case.create_data, format="json").status_code == 401

    def test_account_outside_the_community_gets_403(self, case: CrudCase) -> None:
        loner = get_user_model().objects.create_user(username="no-team", password=None)
        assert client_for(loner).get(self.list_url()).status_code == 403
        assert client_for(loner).get(self.detail_url(case.obj.pk)).status_code == 403

    def test_reader_lists_and_gets(self, case: CrudCase) -> None:
        client = client_for(case.reader)
        response = client.get(self.list_url())
        assert response.status_code == 200
        assert case.obj.pk in [row["id"] for row in _results(response.json())]
        response = client.get(self.detail_url(case.obj.pk))
        assert response.status_code == 200
        assert response.json()["id"] == case.obj.pk

    def test_list_query_count_is_constant(self, case: CrudCase) -> None:
        client = client_for(case.reader)
        client.get(self.list_url())  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as few:
            assert client.get(self.list_url()).status_code == 200
        for index in range(5):
            case.make_another(index)
        with CaptureQueriesContext(connection) as many:
            response = client.get(self.list_url())
        assert len(_results(response.json())) >= 6
        assert len(many) == len(few), [query["sql"] for query in many.captured_queries]

    # --- creating --------------------------------------------------------

    def test_create_is_audited(self, case: CrudCase) -> None:
        response = client_for(case.creator).post(self.list_url(), case.create_data, format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        assert self.model._default_manager.filter(pk=data["id"]).exists()
        expected = {**case.create_data, **case.expected_after_create}
        self.assert_shows(data, expected)
        [entry] = _audit_entries(self.object_type(), data["id"], "create")
        assert entry.channel == AuditChannel.API
        assert entry.actor_id == case.creator.pk

    def test_create_denied(self, case: CrudCase) -> None:
        created = AuditEntry.objects.filter(object_type=self.object_type(), action="create")
        before, entries_before = self.model._default_manager.count(), created.count()
        client = client_for(case.denied["create"])
        response = client.post(self.list_url(), case.create_data, format="json")
        assert response.status_code == 403, response.content
        assert self.model._default_manager.count() == before
        assert created.count() == entries_before

    def test_create_invalid_is_refused_with_reason(self, case: CrudCase) -> None:
        assert case.invalid_create_data, "declare invalid_create_data and invalid_message"
        before = self.model._default_manager.count()
        client = client_for(case.creator)
        response = client.post(self.list_url(), case.invalid_create_data, format="json")
        assert response.status_code == 400, response.content
        assert case.invalid_message in response.content.decode()
        assert self.model._default_manager.count() == before

    # --- updating --------------------------------------------------------

    def test_update_is_audited(self, case: CrudCase) -> None:
        client = client_for(case.editor)
        response = client.patch(self.detail_url(case.obj.pk), case.update_data, format="json")
        assert response.status_code == 200, response.content
        self.assert_shows(response.json(), {**case.update_data, **case.expected_after_update})
        [entry] = _audit_entries(self.object_type(), case.obj.pk, "update")
        assert entry.channel == AuditChannel.API
        assert entry.actor_id == case.editor.pk
        assert entry.after
        assert set(entry.after) <= set(audit.snapshot(case.obj))

    def test_update_denied(self, case: CrudCase) -> None:
        before = self.snapshot(case.obj.pk)
        client = client_for(case.denied["update"])
        response = client.patch(self.detail_url(case.obj.pk), case.update_data, format="json")
        assert response.status_code == 403, response.content
        assert self.snapshot(case.obj.pk) == before
        assert not _audit_entries(self.object_type(), case.obj.pk, "update")

    # --- deleting --------------------------------------------------------

    def test_delete_is_audited(self, case: CrudCase) -> None:
        response = client_for(case.deleter).delete(self.detail_url(case.obj.pk))
        assert response.status_code == 204, response.content
        assert not self.model._default_manager.filter(pk=case.obj.pk).exists()
        [entry] = _audit_entries(self.object_type(), case.obj.pk, "delete")
        assert entry.channel == AuditChannel.API
        assert entry.before

    def test_delete_denied(self, case: CrudCase) -> None:
        response = client_for(case.denied["delete"]).delete(self.detail_url(case.obj.pk))
        assert response.status_code == 403, response.content
        assert self.model._default_manager.filter(pk=case.obj.pk).exists()
        assert not _audit_entries(self.object_type(), case.obj.pk, "delete")
