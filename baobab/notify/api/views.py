"""The notifications' REST API: a team's policies (read by its members,
written by its admins) and its outbox (read by its members; resent,
released or discarded by its analysts and admins). Another team's policies
and messages are absent from lists and answer 404; community administrators
read every team's, and change none."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from baobab.core.api.permissions import AUTHENTICATED
from baobab.core.models import User
from baobab.core.permissions import is_community_admin
from baobab.core.visibility import viewer_for
from baobab.directory.api.views import service_errors
from baobab.notify import services
from baobab.notify.api.serializers import (
    NotificationPolicySerializer,
    OutboxMessageDetailSerializer,
    OutboxMessageSerializer,
)
from baobab.notify.filtersets import OutboxApiFilterSet, PolicyFilterSet
from baobab.notify.models import NotificationPolicy, OutboxMessage
from baobab.notify.queries import outbox_rows, visible_outbox, visible_policies


def _acting(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class NotifyReader(permissions.BasePermission):
    """Community members only (users in a team, community administrators);
    which teams' objects they see is the queryset's business."""

    message = _("Only members of the community may see notifications.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return viewer_for(request.user).is_member or is_community_admin(request.user)


class PolicyPermission(NotifyReader):
    """The team's members read its policies; its admins change and delete
    them. Creating is checked by the service, which knows the team asked for."""

    def has_object_permission(self, request: Request, view: Any, obj: NotificationPolicy) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = _("Only the team's admins may change its notifications.")
        return services.may_manage_notifications(_acting(request), obj.team)


class OutboxPermission(NotifyReader):
    """The team's members read its outbox; its analysts and admins act on it."""

    def has_object_permission(self, request: Request, view: Any, obj: OutboxMessage) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = _("Only the team's analysts and admins may act on its outbox.")
        return services.may_act_on_outbox(_acting(request), obj.team)


class NotificationPolicyViewSet(viewsets.ModelViewSet[NotificationPolicy]):
    """The notification policies of the caller's teams; filter by ``team``
    (short name)."""

    serializer_class = NotificationPolicySerializer
    permission_classes = [*AUTHENTICATED, PolicyPermission]
    filterset_class = PolicyFilterSet

    def get_queryset(self) -> QuerySet[NotificationPolicy]:
        return visible_policies(self.request.user).order_by("team__short_name", "name", "pk")

    def perform_create(self, serializer: BaseSerializer[NotificationPolicy]) -> None:
        values = dict(serializer.validated_data)
        team = values.pop("team")
        with service_errors():
            serializer.instance = services.create_policy(
                team, values, acting_user=_acting(self.request)
            )

    def perform_update(self, serializer: BaseSerializer[NotificationPolicy]) -> None:
        assert serializer.instance is not None
        values = dict(serializer.validated_data)
        values.pop("team", None)
        with service_errors():
            serializer.instance = services.update_policy(
                serializer.instance, values, acting_user=_acting(self.request)
            )

    def perform_destroy(self, instance: NotificationPolicy) -> None:
        with service_errors(conflict=True):
            services.delete_policy(instance, acting_user=_acting(self.request))


class OutboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The messages of the caller's teams, newest first; filter by ``team``
    (short name) and ``status``. ``resend/`` sends a failed or sent message
    again, ``release/`` sends a held one, ``discard/`` drops a held one."""

    permission_classes = [*AUTHENTICATED, OutboxPermission]
    filterset_class = OutboxApiFilterSet

    def get_queryset(self) -> QuerySet[OutboxMessage]:
        messages = visible_outbox(self.request.user)
        if self.action == "list":
            return outbox_rows(messages)
        return messages.order_by("-created_at", "-id")

    def get_serializer_class(self) -> type[BaseSerializer[OutboxMessage]]:
        if self.action == "list":
            return OutboxMessageSerializer
        return OutboxMessageDetailSerializer

    def _answer(self, message: OutboxMessage) -> Response:
        message.refresh_from_db()
        return Response(OutboxMessageDetailSerializer(message).data)

    @extend_schema(
        operation_id="outbox_resend", request=None, responses={200: OutboxMessageDetailSerializer}
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def resend(self, request: Request, pk: str | None = None) -> Response:
        """Send the message again: a failed one goes back in the queue; a sent
        one is copied as a new message, which the answer shows."""
        message = self.get_object()
        with service_errors():
            sent = services.resend(message, acting_user=_acting(request))
        return self._answer(sent)

    @extend_schema(
        operation_id="outbox_release", request=None, responses={200: OutboxMessageDetailSerializer}
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Send a message held for review."""
        message = self.get_object()
        with service_errors():
            services.release(message, acting_user=_acting(request))
        return self._answer(message)

    @extend_schema(
        operation_id="outbox_discard", request=None, responses={200: OutboxMessageDetailSerializer}
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Never send a message held for review (it stays listed as failed)."""
        message = self.get_object()
        with service_errors():
            services.discard(message, acting_user=_acting(request))
        return self._answer(message)
