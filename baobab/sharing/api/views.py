"""The sharing REST API: indicators, reports, sightings, relationships and
sharing groups.

Every list and detail reads through :func:`baobab.sharing.queries.visible`:
what the caller may not see is absent from lists and answers 404, never
403, so nothing reveals that it exists. Writes go through the services
layer (:mod:`baobab.sharing.services`, :mod:`baobab.sharing.groups`), which
checks the role (an analyst of the owner team; 403), validates (400 with
the fields' messages), versions and audits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from baobab.core.api.permissions import AUTHENTICATED
from baobab.core.choices import Role
from baobab.core.models import SharingGroup, Team, User
from baobab.core.permissions import is_community_member
from baobab.sharing import groups, services
from baobab.sharing.api.serializers import (
    GroupTeamSerializer,
    IndicatorDetailSerializer,
    IndicatorSerializer,
    RelationshipSerializer,
    ReportSerializer,
    SharingGroupSerializer,
    SightingSerializer,
)
from baobab.sharing.correlation import correlations
from baobab.sharing.filtersets import (
    IndicatorFilterSet,
    RelationshipFilterSet,
    ReportFilterSet,
    SharingGroupFilterSet,
    SightingFilterSet,
)
from baobab.sharing.models import Indicator, Relationship, Report, SharedObject, Sighting
from baobab.sharing.queries import hidden_ids, visible
from baobab.sharing.services import keep_hidden_refs, sharing_teams
from baobab.sharing.values import guess


@contextlib.contextmanager
def service_errors() -> Iterator[None]:
    """A service's ValidationError as a 400 with the fields' messages."""
    try:
        yield
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise exceptions.ValidationError(detail) from exc


def _acting(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class SharingPermission(permissions.BasePermission):
    """Community members read what the visibility rule lets them; analysts
    of the owner team change and delete (the services check again)."""

    message: Any = _lazy("Only members of the community may use shared objects.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_community_member(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: SharedObject) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        self.message = _("You need the %(role)s role in %(team)s to change what it shares.") % {
            "role": Role.ANALYST.label,
            "team": obj.owner_team,
        }
        return services.may_share(_acting(request), obj.owner_team_id)


class SharedViewSet(viewsets.ModelViewSet[Any]):
    """Reads through :func:`visible`; writes through ``create_object``,
    ``update_object`` and ``delete_object``, which call the services."""

    model: type[SharedObject]
    permission_classes = [*AUTHENTICATED, SharingPermission]

    def get_queryset(self) -> QuerySet[Any]:
        return (
            visible(self.model, self.request.user)
            .select_related("owner_team", "sharing_group")
            .prefetch_related("recipient_teams")
        )

    def owner_team(self, data: dict[str, Any]) -> Team:
        """The team given, or the one team the caller shares for."""
        team: Team | None = data.pop("owner_team", None)
        if team is not None:
            return team
        teams = list(sharing_teams(_acting(self.request))[:2])
        if len(teams) != 1:
            raise exceptions.ValidationError(
                {"team": [_("Give the id of the team that shares it.")]}
            )
        return teams[0]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        recipients = data.pop("recipient_teams", None)
        team = self.owner_team(data)
        with service_errors():
            serializer.instance = self.create_object(team, data, recipients)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("owner_team", None)
        recipients = data.pop("recipient_teams", None)
        with service_errors():
            serializer.instance = self.update_object(serializer.instance, data, recipients)

    def perform_destroy(self, instance: Any) -> None:
        with service_errors():
            self.delete_object(instance)

    def create_object(
        self, team: Team, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> SharedObject:
        raise NotImplementedError

    def update_object(
        self, instance: Any, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> SharedObject:
        raise exceptions.MethodNotAllowed(self.request.method or "PUT")

    def delete_object(self, instance: Any) -> None:
        raise NotImplementedError


class IndicatorViewSet(SharedViewSet):
    """Indicators you may see. Filter by ``type``, ``value`` (exact: normalised
    as ``type``, or as the type it most likely has, so defanged values are
    found), ``q`` (a value, or words of names), ``team`` (short name), ``tlp``
    (labels or values), ``active`` and ``expired``. The detail adds
    ``also_seen_by``: the other teams that share or saw the same value, as far
    as you may see."""

    model = Indicator
    filterset_class = IndicatorFilterSet

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve":
            return IndicatorDetailSerializer
        return IndicatorSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        indicator = self.get_object()
        context = {
            **self.get_serializer_context(),
            "also_seen_by": correlations(indicator, request.user),
        }
        return Response(IndicatorDetailSerializer(indicator, context=context).data)

    def create_object(
        self, team: Team, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Indicator:
        if not data.get("kind"):
            found = guess(str(data.get("value", "")))
            if found is None:
                raise DjangoValidationError(
                    {"type": _("Give the type: the value is not one whose type can be guessed.")}
                )
            data["kind"] = found[0].value
        return services.create_indicator(
            team, acting_user=_acting(self.request), recipient_teams=recipients, **data
        )

    def update_object(
        self, instance: Indicator, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Indicator:
        return services.update_indicator(
            instance, data, acting_user=_acting(self.request), recipient_teams=recipients
        )

    def delete_object(self, instance: Indicator) -> None:
        services.delete_indicator(instance, acting_user=_acting(self.request))


class ReportViewSet(SharedViewSet):
    """Reports you may see; ``object_refs`` names only the objects you may
    see. Filter by ``q`` (words of the title or text), ``team``, ``tlp``,
    ``active`` and ``expired``."""

    model = Report
    serializer_class = ReportSerializer
    filterset_class = ReportFilterSet

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("attachments")

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self._page = page
        return page

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        page: list[Report] | None = getattr(self, "_page", None)
        if page is not None:
            refs = (ref for report in page for ref in report.object_refs)
            context["hidden_ids"] = hidden_ids(refs, self.request.user)
        return context

    def get_object(self) -> Report:
        report: Report = super().get_object()
        self._page = [report]
        return report

    def create_object(
        self, team: Team, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Report:
        return services.create_report(
            team, acting_user=_acting(self.request), recipient_teams=recipients, **data
        )

    def update_object(
        self, instance: Report, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Report:
        if "object_refs" in data:
            data["object_refs"] = keep_hidden_refs(instance, data["object_refs"], self.request.user)
        return services.update_report(
            instance, data, acting_user=_acting(self.request), recipient_teams=recipients
        )

    def delete_object(self, instance: Report) -> None:
        services.delete_report(instance, acting_user=_acting(self.request))


class SightingViewSet(SharedViewSet):
    """Sightings you may see (with the indicator they are of). Record one for
    your team with the id of an indicator you may see. Filter by
    ``indicator``, ``team``, ``tlp``, ``active`` and ``expired``."""

    model = Sighting
    serializer_class = SightingSerializer
    filterset_class = SightingFilterSet

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "indicators": visible(Indicator, self.request.user),
        }

    def create_object(
        self, team: Team, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Sighting:
        indicator = data.pop("indicator")
        return services.create_sighting(
            team, indicator, acting_user=_acting(self.request), recipient_teams=recipients, **data
        )

    def update_object(
        self, instance: Sighting, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Sighting:
        data.pop("indicator", None)
        return services.update_sighting(
            instance, data, acting_user=_acting(self.request), recipient_teams=recipients
        )

    def delete_object(self, instance: Sighting) -> None:
        services.delete_sighting(instance, acting_user=_acting(self.request))


class RelationshipViewSet(SharedViewSet):
    """Relationships you may see (both their ends visible, or held
    elsewhere). Filter by ``relationship_type``, ``source_ref``,
    ``target_ref``, ``ref`` (either end), ``team`` and ``tlp``. A relationship
    is recorded and deleted, not changed."""

    model = Relationship
    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilterSet
    http_method_names = ["get", "post", "delete", "head", "options"]

    def create_object(
        self, team: Team, data: dict[str, Any], recipients: Sequence[Team] | None
    ) -> Relationship:
        return services.create_relationship(
            team, acting_user=_acting(self.request), recipient_teams=recipients, **data
        )

    def delete_object(self, instance: Relationship) -> None:
        services.delete_relationship(instance, acting_user=_acting(self.request))


class GroupPermission(permissions.BasePermission):
    """Community members read groups; the owner team's admins change them
    (adding and leaving are checked by the services)."""

    message: Any = _lazy("Only members of the community may see sharing groups.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_community_member(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: SharingGroup) -> bool:
        if request.method in permissions.SAFE_METHODS or view.action in ("add_team", "remove_team"):
            return True
        self.message = _("Only the admins of the owner team manage this group.")
        return groups.may_manage(request.user, obj)  # type: ignore[arg-type]


class SharingGroupViewSet(viewsets.ModelViewSet[SharingGroup]):
    """Sharing groups (every member of the community sees their names and
    teams; what they share is another matter). The owner team's admins
    create, rename and delete a group; ``add-team`` puts a team in (the
    owner's admins, or members' admins when the owner allows it);
    ``remove-team`` takes one out (the owner's admins, or the team's own
    admins leaving). Filter by ``q`` and ``team``."""

    serializer_class = SharingGroupSerializer
    permission_classes = [*AUTHENTICATED, GroupPermission]
    filterset_class = SharingGroupFilterSet

    def get_queryset(self) -> QuerySet[SharingGroup]:
        if getattr(self, "swagger_fake_view", False):  # the schema is being generated
            return SharingGroup.objects.none()
        return (
            groups.visible_groups(_acting(self.request))
            .select_related("owner_team")
            .prefetch_related("member_teams")
            .order_by("name", "id")
        )

    def perform_create(self, serializer: BaseSerializer[SharingGroup]) -> None:
        data = dict(serializer.validated_data)
        owner = data.pop("owner_team")
        with service_errors():
            serializer.instance = groups.create_group(
                owner, acting_user=_acting(self.request), **data
            )

    def perform_update(self, serializer: BaseSerializer[SharingGroup]) -> None:
        assert serializer.instance is not None
        data = dict(serializer.validated_data)
        data.pop("owner_team", None)
        data.pop("member_teams", None)
        with service_errors():
            serializer.instance = groups.update_group(
                serializer.instance, data, acting_user=_acting(self.request)
            )

    def perform_destroy(self, instance: SharingGroup) -> None:
        with service_errors():
            groups.delete_group(instance, acting_user=_acting(self.request))

    def _answer(self, group: SharingGroup) -> Response:
        fresh = self.get_queryset().get(pk=group.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=GroupTeamSerializer, responses={200: SharingGroupSerializer})
    @action(detail=True, methods=["post"], url_path="add-team", filterset_class=None)
    def add_team(self, request: Request, pk: str | None = None) -> Response:
        """Put a team in the group."""
        group = self.get_object()
        body = GroupTeamSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            groups.add_team(group, body.validated_data["team"], acting_user=_acting(request))
        return self._answer(group)

    @extend_schema(request=GroupTeamSerializer, responses={200: SharingGroupSerializer})
    @action(detail=True, methods=["post"], url_path="remove-team", filterset_class=None)
    def remove_team(self, request: Request, pk: str | None = None) -> Response:
        """Take a team out of the group (your own team's admins: leave it)."""
        group = self.get_object()
        body = GroupTeamSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            groups.remove_team(group, body.validated_data["team"], acting_user=_acting(request))
        return self._answer(group)
