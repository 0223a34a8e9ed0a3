"""``GET /api/v1/lookup/?q=…``: who handles an IP, prefix, ASN, domain, URL or
country, with the claim that matched, why, and the contacts the caller may see."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from baobab.core.api.permissions import AUTHENTICATED
from baobab.directory.choices import ClaimKind, HolderKind
from baobab.directory.index import lookup, unsupported_message
from baobab.directory.lookup import UnsupportedQuery
from baobab.directory.services import may_read_directory


class PhoneSerializer(serializers.Serializer[dict[str, str]]):
    """A phone number and its kind (emergency or voice)."""

    number = serializers.CharField()
    kind = serializers.CharField(required=False)


class LookupContactSerializer(serializers.Serializer[dict[str, object]]):
    """A contact of a responsible holder, as far as the caller may see it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(help_text="person or role")
    emails = serializers.ListField(child=serializers.CharField())
    phones = PhoneSerializer(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    is_24x7 = serializers.BooleanField()
    pgp_fingerprint = serializers.CharField(allow_blank=True)
    pgp_expires_at = serializers.CharField(allow_null=True)
    tlp = serializers.CharField()


class LookupHolderSerializer(serializers.Serializer[dict[str, object]]):
    """A responsible team or organisation with its visible contacts."""

    kind = serializers.ChoiceField(choices=HolderKind.choices)
    id = serializers.IntegerField()
    short_name = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="Team type or organisation kind.")
    type_label = serializers.CharField()
    country = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True)
    phone_24x7 = serializers.CharField(allow_blank=True)
    contacts = LookupContactSerializer(many=True)


class LookupClaimSerializer(serializers.Serializer[dict[str, object]]):
    """The constituency claim that matched."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    value = serializers.CharField()
    holder_kind = serializers.ChoiceField(choices=HolderKind.choices)
    holder_id = serializers.IntegerField()


class LookupMatchSerializer(serializers.Serializer[dict[str, object]]):
    """One responsible holder: the claim that matched (if any) and why."""

    basis = serializers.ChoiceField(
        choices=["prefix", "asn", "domain", "country", "national", "regional"]
    )
    basis_label = serializers.CharField()
    reason = serializers.CharField()
    claim = LookupClaimSerializer(allow_null=True)
    holder = LookupHolderSerializer()
    coordinating_team = LookupHolderSerializer(
        allow_null=True, help_text="For an organisation: the team that coordinates it."
    )


class LookupAnswerSerializer(serializers.Serializer[dict[str, object]]):
    """The answer to "who handles this?"."""

    query = serializers.CharField()
    kind = serializers.ChoiceField(choices=["ip", "prefix", "asn", "domain", "url", "country"])
    kind_label = serializers.CharField()
    normalised = serializers.CharField()
    step = serializers.ChoiceField(
        choices=["prefix", "asn", "domain", "country", "national", "regional", "none"],
        help_text="The precedence step that answered.",
    )
    step_label = serializers.CharField()
    conflict = serializers.BooleanField(
        help_text="Several holders claim the same most specific item; all are listed."
    )
    country = serializers.CharField(allow_null=True)
    country_reason = serializers.CharField(allow_blank=True)
    asn = serializers.IntegerField(allow_null=True)
    matches = LookupMatchSerializer(many=True)


class ErrorSerializer(serializers.Serializer[dict[str, str]]):
    """What went wrong, in words."""

    detail = serializers.CharField()


class IsDirectoryReader(permissions.BasePermission):
    """Community members (users in a team, community administrators) only."""

    message = _("Only members of the community may use the directory.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return may_read_directory(request.user)


class LookupView(APIView):
    """Who handles this? For an IP address, IP prefix, AS number (AS37100 or
    37100), domain name, URL or two-letter country code, the responsible teams
    or organisations, the claim that matched and why, and their contacts.

    Most specific wins: IP prefix claim (longest prefix) → ASN claim → domain
    claim (longest suffix) → the country's national CSIRT → the regional
    coordinator. Contacts are those the caller may see (TLP and distribution).
    """

    permission_classes = [*AUTHENTICATED, IsDirectoryReader]

    @extend_schema(
        operation_id="lookup",
        summary="Who handles this?",
        description=(
            "For an IP address, IP prefix, AS number (AS37100 or 37100), domain name, "
            "URL or two-letter country code: the responsible teams or organisations, the "
            "claim that matched and why, and the contacts the caller may see. Most specific "
            "wins: IP prefix claim (longest prefix; for a prefix, the most specific claim "
            "covering all of it) → AS number claim → domain claim (longest suffix) → the "
            "country's national CSIRT → the regional coordinator. Several holders of the "
            "same most specific claim are all returned, with conflict set. A query that is "
            "none of these kinds gets 400 with a message saying what is expected."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                str,
                required=True,
                description="What to look up: 198.51.100.7, 198.51.100.0/24, AS37100, "
                "example.org, https://example.org/page or KE.",
                examples=[OpenApiExample("IP address", value="198.51.100.7")],
            )
        ],
        responses={200: LookupAnswerSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        """Answer the query given as ``q``."""
        try:
            result = lookup(request.query_params.get("q", ""), request.user)
        except UnsupportedQuery as error:
            return Response(
                {"detail": unsupported_message(error)}, status=status.HTTP_400_BAD_REQUEST
            )
        # ``as_dict`` has the serializer's shape already (a test holds them
        # together); copying it through the serializer would only add time.
        return Response(result.as_dict())
