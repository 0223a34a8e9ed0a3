"""The directory's REST API: create, read, update and delete teams,
organisations, contacts and constituency claims, and list conflicting claims.

Any community member reads; the services layer decides (and audits) every
write. Contacts pass through the visibility rule: one the requester may not
see is absent from lists and answers 404.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from baobab.core import services as core_services
from baobab.core.api.permissions import AUTHENTICATED
from baobab.core.models import Team, User
from baobab.core.permissions import is_community_admin, require_community_admin
from baobab.core.visibility import restrict
from baobab.directory import services
from baobab.directory.api.serializers import (
    ClaimSerializer,
    ConflictSerializer,
    ContactSerializer,
    OrganisationSerializer,
    TeamSerializer,
)
from baobab.directory.conflicts import find_conflicts
from baobab.directory.filtersets import (
    ClaimFilterSet,
    ContactFilterSet,
    OrganisationFilterSet,
    TeamFilterSet,
)
from baobab.directory.models import ConstituencyClaim, Contact, Organisation


class Conflict(exceptions.APIException):
    """The object cannot be deleted while others depend on it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This object cannot be deleted while other records depend on it.")
    default_code = "conflict"


@contextlib.contextmanager
def service_errors(conflict: bool = False) -> Iterator[None]:
    """Turn a service's ValidationError into a 400 (or a 409 with ``conflict``)."""
    try:
        yield
    except DjangoValidationError as exc:
        if conflict:
            raise Conflict(" ".join(exc.messages)) from exc
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise exceptions.ValidationError(detail) from exc


def _holder(obj: Model) -> Team | Organisation:
    if isinstance(obj, Team | Organisation):
        return obj
    assert isinstance(obj, Contact | ConstituencyClaim)
    return obj.holder


class DirectoryPermission(permissions.BasePermission):
    """Community members read; editors of the holder write; community admins
    create and delete teams."""

    message: Any = _("Only members of the community may use the directory.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not services.may_read_directory(request.user):
            return False
        if isinstance(view, TeamViewSet) and view.action == "create":
            self.message = _("Only community administrators may do this.")
            return is_community_admin(request.user)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if isinstance(obj, Team) and request.method == "DELETE":
            self.message = _("Only community administrators may do this.")
            return is_community_admin(request.user)
        self.message = _("Only the admins of %(team)s may change this.") % {
            "team": services.managing_team(_holder(obj))
        }
        return services.may_edit(request.user, _holder(obj))


class DirectoryViewSet(viewsets.ModelViewSet[Any]):
    """Reads through the queryset; writes through the ``create``/``update``/``delete``
    hooks, which call the services layer."""

    permission_classes = [*AUTHENTICATED, DirectoryPermission]

    @property
    def acting_user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)
        return user

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        with service_errors():
            serializer.instance = self.create_object(dict(serializer.validated_data))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        with service_errors():
            serializer.instance = self.update_object(
                serializer.instance, dict(serializer.validated_data)
            )

    def perform_destroy(self, instance: Any) -> None:
        with service_errors(conflict=True):
            self.delete_object(instance)

    def create_object(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def delete_object(self, instance: Any) -> None:
        raise NotImplementedError


class TeamViewSet(DirectoryViewSet):
    """Teams. Community admins create and delete them and change vetting
    levels; a team's admins change the rest of its profile."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    queryset = Team.objects.order_by("short_name")

    def create_object(self, data: dict[str, Any]) -> Team:
        return core_services.create_team(acting_user=self.acting_user, **data)

    def update_object(self, instance: Team, data: dict[str, Any]) -> Team:
        return core_services.update_team(instance, data, acting_user=self.acting_user)

    def delete_object(self, instance: Team) -> None:
        services.delete_team_entry(instance, acting_user=self.acting_user)


class OrganisationViewSet(DirectoryViewSet):
    """Organisations; the admins of the coordinating team edit them."""

    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    queryset = Organisation.objects.select_related("managed_by").order_by("short_name")

    def create_object(self, data: dict[str, Any]) -> Organisation:
        return services.create_organisation(acting_user=self.acting_user, **data)

    def update_object(self, instance: Organisation, data: dict[str, Any]) -> Organisation:
        return services.update_organisation(instance, data, acting_user=self.acting_user)

    def delete_object(self, instance: Organisation) -> None:
        services.delete_organisation(instance, acting_user=self.acting_user)


class ContactViewSet(DirectoryViewSet):
    """Contacts the requester may see (TLP, distribution, named recipients);
    the admins of the holder's team edit them."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet

    def get_queryset(self) -> QuerySet[Contact]:
        contacts = Contact.objects.select_related(
            "team", "organisation", "organisation__managed_by"
        ).prefetch_related("recipient_teams")
        return restrict(contacts, self.request.user).order_by("name", "id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def create_object(self, data: dict[str, Any]) -> Contact:
        holder = data.pop("team", None) or data.pop("organisation", None)
        data.pop("organisation", None)
        recipients = list(data.pop("recipient_teams", []))
        return services.create_contact(
            holder, acting_user=self.acting_user, recipient_teams=recipients, **data
        )

    def update_object(self, instance: Contact, data: dict[str, Any]) -> Contact:
        recipients = data.pop("recipient_teams", None)
        return services.update_contact(
            instance,
            data,
            acting_user=self.acting_user,
            recipient_teams=list(recipients) if recipients is not None else None,
        )

    def delete_object(self, instance: Contact) -> None:
        services.delete_contact(instance, acting_user=self.acting_user)


class ClaimViewSet(DirectoryViewSet):
    """Constituency claims; the admins of the holder's team edit them.
    ``conflicts/`` lists disputed claims (community admins)."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilterSet
    queryset = ConstituencyClaim.objects.select_related(
        "team", "organisation", "organisation__managed_by"
    ).order_by("kind", "value", "id")

    def create_object(self, data: dict[str, Any]) -> ConstituencyClaim:
        holder = data.pop("team", None) or data.pop("organisation", None)
        data.pop("organisation", None)
        return services.create_claim(
            holder, data.pop("kind"), data.pop("value"), acting_user=self.acting_user, **data
        )

    def update_object(self, instance: ConstituencyClaim, data: dict[str, Any]) -> ConstituencyClaim:
        return services.update_claim(instance, data, acting_user=self.acting_user)

    def delete_object(self, instance: ConstituencyClaim) -> None:
        services.delete_claim(instance, acting_user=self.acting_user)

    @extend_schema(responses=ConflictSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def conflicts(self, request: Request) -> Response:
        """Values claimed by several holders and prefixes inside another team's."""
        require_community_admin(request.user)
        serializer = ConflictSerializer(find_conflicts(), many=True)  # type: ignore[arg-type]
        return Response(serializer.data)
