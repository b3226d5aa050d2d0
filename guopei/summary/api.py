"""API of the ten-year summary: scoped reads for city and province administrators, and the public column's
featured items for anyone (SUMMARY-1, SUMMARY-2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedReadOnlyViewSet, ScopedViewSetMixin
from guopei.orgs.models import Membership

from . import services
from .models import Material, Submission, TraineeOutcome, TypicalCase
from .selectors import (
    cases_for_user,
    materials_for_user,
    outcomes_for_user,
    own_city_code,
    public_cases,
    public_materials,
    public_outcomes,
    submissions_for_user,
)
from .serializers import (
    CaseSerializer,
    MaterialSerializer,
    MaterialUploadSerializer,
    OutcomeSerializer,
    PublicCaseSerializer,
    PublicMaterialSerializer,
    PublicOutcomeSerializer,
    ReviewSerializer,
    SubmissionSerializer,
)

Role = Membership.Role
SummaryRoles = HasRole(Role.PROVINCE_ADMIN, Role.CITY_ADMIN)


class SubmissionViewSet(ScopedReadOnlyViewSet):
    """Cities' ten-year summary submissions: a city sees its own, the province every city's."""

    serializer_class = SubmissionSerializer
    permission_classes = [SummaryRoles]
    filterset_fields = ["year", "state"]

    def scoped_queryset(self, user: Any) -> QuerySet[Submission]:
        return submissions_for_user(user)

    @extend_schema(request=None, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[HasRole(Role.CITY_ADMIN)])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Send the city's package to the province (refused after the deadline unless extended)."""
        submission = services.submission_submit(actor=request.user, submission=self.get_object())
        return Response(SubmissionSerializer(submission).data)

    @extend_schema(request=ReviewSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"], permission_classes=[HasRole(Role.PROVINCE_ADMIN)])
    def review(self, request: Request, pk: Any = None) -> Response:
        """Accept the package, or return it with comments."""
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = services.submission_review(actor=request.user, submission=self.get_object(),
                                                accept=data.validated_data["accept"],
                                                comment=data.validated_data["comment"])
        return Response(SubmissionSerializer(submission).data)


class MaterialViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Pictures, videos and documents of the summary; files are downloaded from `file_url` after a check.

    A city administrator uploads with a multipart POST; the file's type is judged by its content.
    """

    serializer_class = MaterialSerializer
    filterset_fields = ["kind", "year", "is_featured"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_permissions(self) -> list[Any]:
        if self.action == "create":
            return [HasRole(Role.CITY_ADMIN)()]
        return [SummaryRoles()]

    def scoped_queryset(self, user: Any) -> QuerySet[Material]:
        return materials_for_user(user)

    @extend_schema(request={"multipart/form-data": MaterialUploadSerializer}, responses={201: MaterialSerializer})
    def create(self, request: Request) -> Response:
        data = MaterialUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        city = own_city_code(request.user)
        if city is None:
            raise PermissionDenied()
        material = services.material_upload(
            actor=request.user, city_code=city, upload=fields["file"], filename=fields["file"].name,
            title=fields["title"], caption=fields["caption"], year=fields["year"],
            county_code=fields["county"] or None, school_id=fields["school"], project_name=fields["project_name"],
        )
        return Response(MaterialSerializer(material).data, status=status.HTTP_201_CREATED)


class CaseViewSet(ScopedReadOnlyViewSet):
    serializer_class = CaseSerializer
    permission_classes = [SummaryRoles]
    filterset_fields = ["is_featured"]

    def scoped_queryset(self, user: Any) -> QuerySet[TypicalCase]:
        return cases_for_user(user).prefetch_related("materials")


class OutcomeViewSet(ScopedReadOnlyViewSet):
    serializer_class = OutcomeSerializer
    permission_classes = [SummaryRoles]
    filterset_fields = ["stage", "form", "year", "is_featured"]

    def scoped_queryset(self, user: Any) -> QuerySet[TraineeOutcome]:
        return outcomes_for_user(user)


class _PublicViewSet(ScopedReadOnlyViewSet):
    """Anyone may read what the province published; `q` searches titles and captions."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @property
    def q(self) -> str:
        request = getattr(self, "request", None)
        return (request.query_params.get("q", "") if request is not None else "").strip()[:50]


class PublicMaterialViewSet(_PublicViewSet):
    serializer_class = PublicMaterialSerializer
    lookup_field = "public_id"
    filterset_fields = ["kind"]

    def scoped_queryset(self, user: Any) -> QuerySet[Material]:
        return public_materials(self.q)


class PublicCaseViewSet(_PublicViewSet):
    serializer_class = PublicCaseSerializer

    def scoped_queryset(self, user: Any) -> QuerySet[TypicalCase]:
        return public_cases(self.q)


class PublicOutcomeViewSet(_PublicViewSet):
    serializer_class = PublicOutcomeSerializer

    def scoped_queryset(self, user: Any) -> QuerySet[TraineeOutcome]:
        return public_outcomes(self.q)


def router_register(router: BaseRouter) -> None:
    router.register("summary/submissions", SubmissionViewSet, basename="summary-submission")
    router.register("summary/materials", MaterialViewSet, basename="summary-material")
    router.register("summary/cases", CaseViewSet, basename="summary-case")
    router.register("summary/outcomes", OutcomeViewSet, basename="summary-outcome")
    router.register("public/materials", PublicMaterialViewSet, basename="public-material")
    router.register("public/cases", PublicCaseViewSet, basename="public-case")
    router.register("public/outcomes", PublicOutcomeViewSet, basename="public-outcome")
