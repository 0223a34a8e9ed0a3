"""REST API of the core app: who am I, one's own API tokens, the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from baobab.core import services
from baobab.core.api.permissions import AUTHENTICATED, IsCommunityAdmin
from baobab.core.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    AuditEntrySerializer,
    MeSerializer,
)
from baobab.core.filtersets import AuditEntryFilterSet
from baobab.core.models import ApiToken, AuditEntry, User


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes ``Authorization: Token <key>`` in the OpenAPI schema."""

    target_class = "baobab.core.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An API token, sent as 'Authorization: Token <key>'.",
        }


def requesting_user(request: Request) -> User:
    """The authenticated user of an API request (the permission classes ensure one)."""
    user = request.user
    assert isinstance(user, User)
    return user


ACCOUNT_PERMISSIONS = AUTHENTICATED


class MeView(generics.RetrieveAPIView[User]):
    """The authenticated user: name, e-mail, community administrator or not, teams and roles."""

    serializer_class = MeSerializer
    permission_classes = ACCOUNT_PERMISSIONS

    def get_object(self) -> User:
        return User.objects.prefetch_related("memberships__team").get(
            pk=requesting_user(self.request).pk
        )


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    """The requesting user's API tokens. Creating one returns its key, once;
    deleting one revokes it (it stays listed, with the time it was revoked)."""

    serializer_class = ApiTokenSerializer
    permission_classes = ACCOUNT_PERMISSIONS
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=requesting_user(self.request))

    @extend_schema(request=ApiTokenSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = requesting_user(request)
        token, key = services.create_token(
            user, name=serializer.validated_data.get("name", ""), acting_user=user
        )
        created = ApiTokenCreatedSerializer(token, context={"key": key, "request": request})
        return Response(created.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.revoke_token(self.get_object(), acting_user=requesting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet[AuditEntry]):
    """The audit log, newest first; community administrators only. Filter with
    ``object_type``, ``object_id``, ``actor`` (user name), ``channel``, ``action``,
    ``since`` (ISO 8601 date or time) and ``until`` (date)."""

    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    permission_classes = [*ACCOUNT_PERMISSIONS, IsCommunityAdmin]
    filterset_class = AuditEntryFilterSet
