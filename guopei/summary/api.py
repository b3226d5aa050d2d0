"""API of the ten-year summary: scoped reads for city and province administrators, and the public column's
featured items for anyone (SUMMARY-1, SUMMARY-2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import AllowAny
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedReadOnlyViewSet
from guopei.orgs.models import Membership

from .models import Material, Submission, TraineeOutcome, TypicalCase
from .selectors import (
    cases_for_user,
    materials_for_user,
    outcomes_for_user,
    public_cases,
    public_materials,
    public_outcomes,
    submissions_for_user,
)
from .serializers import (
    CaseSerializer,
    MaterialSerializer,
    OutcomeSerializer,
    PublicCaseSerializer,
    PublicMaterialSerializer,
    PublicOutcomeSerializer,
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


class MaterialViewSet(ScopedReadOnlyViewSet):
    """Pictures, videos and documents of the summary; files are downloaded from `file_url` after a check."""

    serializer_class = MaterialSerializer
    permission_classes = [SummaryRoles]
    filterset_fields = ["kind", "year", "is_featured"]

    def scoped_queryset(self, user: Any) -> QuerySet[Material]:
        return materials_for_user(user)


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
