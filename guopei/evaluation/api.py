"""API of the performance evaluation (MGMT-7): scoped reads of surveys, visits, forums, third-party scores and
bulletins, the composite tables, and the anonymous survey answer (the token is the credential)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, NoStoreMixin, ScopedReadOnlyViewSet
from guopei.orgs.models import Membership
from guopei.orgs.scoping import admin_region_codes, has_role, institution_ids_of

from . import performance, services
from .models import Bulletin, FieldVisit, Forum, Questionnaire, Survey, ThirdPartyScore
from .selectors import (
    LOCAL_ROLES,
    VIEWER_ROLES,
    bulletins_for_user,
    forums_for_user,
    is_province,
    questionnaires_for_user,
    surveys_for_user,
    third_party_scores_for_user,
    visits_for_user,
    weighted_years,
    with_survey_counts,
)
from .serializers import (
    BulletinSerializer,
    ForumSerializer,
    PerformanceRowSerializer,
    QuestionnaireSerializer,
    SurveyAnswerSerializer,
    SurveyDetailSerializer,
    SurveySerializer,
    ThirdPartyScoreSerializer,
    VisitSerializer,
)

Role = Membership.Role
Viewers = HasRole(*VIEWER_ROLES)
ERR_BAD_DIMENSION = "by 应为 institution、city、county 或 category。"
ERR_NO_YEAR = "该年度没有设置综合评价权重。"


class QuestionnaireViewSet(ScopedReadOnlyViewSet):
    """Questionnaire templates: all for the province, the active ones for institutions."""

    serializer_class = QuestionnaireSerializer
    permission_classes = [HasRole(Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.INSTITUTION_STAFF)]

    def scoped_queryset(self, user: Any) -> QuerySet[Questionnaire]:
        return questionnaires_for_user(user).prefetch_related("questions")


class SurveyViewSet(ScopedReadOnlyViewSet):
    """Classes' anonymous surveys with counts; results only once the class has ended and enough answered."""

    serializer_class = SurveySerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "institution"]

    def get_serializer_class(self) -> Any:
        return SurveyDetailSerializer if self.action == "retrieve" else SurveySerializer

    def scoped_queryset(self, user: Any) -> QuerySet[Survey]:
        return with_survey_counts(surveys_for_user(user))


class VisitViewSet(ScopedReadOnlyViewSet):
    serializer_class = VisitSerializer
    permission_classes = [HasRole(*VIEWER_ROLES, Role.EXPERT)]
    filterset_fields = ["year", "state", "institution"]

    def scoped_queryset(self, user: Any) -> QuerySet[FieldVisit]:
        return visits_for_user(user).prefetch_related("scores__criterion", "photos")


class ForumViewSet(ScopedReadOnlyViewSet):
    serializer_class = ForumSerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "institution"]

    def scoped_queryset(self, user: Any) -> QuerySet[Forum]:
        return forums_for_user(user)


class ThirdPartyScoreViewSet(ScopedReadOnlyViewSet):
    serializer_class = ThirdPartyScoreSerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "institution", "project"]

    def scoped_queryset(self, user: Any) -> QuerySet[ThirdPartyScore]:
        return third_party_scores_for_user(user)


class BulletinViewSet(ScopedReadOnlyViewSet):
    """Every bulletin for the province; the published ones sent to the user's region or institution."""

    serializer_class = BulletinSerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[Bulletin]:
        return bulletins_for_user(user)


class PerformanceViewSet(NoStoreMixin, viewsets.ViewSet):
    """The year's ranked composites by institution, city, county or category (MGMT-7).

    The province sees every row; a city or county administrator the rows inside their region; institution staff
    their own institution's row.
    """

    permission_classes = [Viewers]
    serializer_class = PerformanceRowSerializer

    @extend_schema(parameters=[OpenApiParameter("year", int), OpenApiParameter("by", str, enum=list(
        performance.DIMENSIONS))], responses=PerformanceRowSerializer(many=True))
    def list(self, request: Request) -> Response:
        dimension = request.query_params.get("by", "institution")
        if dimension not in performance.DIMENSIONS:
            return Response({"detail": ERR_BAD_DIMENSION}, status=status.HTTP_400_BAD_REQUEST)
        years = weighted_years()
        try:
            year = int(request.query_params.get("year") or (years[0] if years else 0))
        except ValueError:
            year = 0
        if year not in years:
            return Response({"detail": ERR_NO_YEAR}, status=status.HTTP_404_NOT_FOUND)
        user = request.user
        if is_province(user):
            rows = performance.table(year, dimension)
        elif has_role(user, *LOCAL_ROLES):
            rows = [r for code in admin_region_codes(user, LOCAL_ROLES)
                    for r in performance.table(year, dimension, within=code)]
        else:
            own = institution_ids_of(user)
            rows = [r for pk in own for r in performance.table(year, "institution", institution_id=pk)]
        return Response([r.as_dict() for r in rows])


class SurveyAnswerViewSet(NoStoreMixin, viewsets.ViewSet):
    """Answer a survey with a single-use token. No sign-in: the token is the credential, and nothing about the
    caller is recorded with the answers."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = SurveyAnswerSerializer

    @extend_schema(request=SurveyAnswerSerializer, responses={201: None, 400: None, 409: None})
    def create(self, request: Request) -> Response:
        payload = SurveyAnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        survey = get_object_or_404(Survey.objects.select_related("questionnaire", "klass"),
                                   pk=payload.validated_data["survey"])
        answers: dict[int, Any] = {}
        for key, value in payload.validated_data["answers"].items():
            if str(key).isdigit():
                answers[int(key)] = value
        try:
            services.survey_answer(survey=survey, token=payload.validated_data["token"], answers=answers)
        except services.SurveyRefused as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": "评教已提交，感谢您的评价。"}, status=status.HTTP_201_CREATED)


def router_register(router: BaseRouter) -> None:
    router.register("evaluation/questionnaires", QuestionnaireViewSet, basename="evaluation-questionnaire")
    router.register("evaluation/surveys", SurveyViewSet, basename="evaluation-survey")
    router.register("evaluation/survey-answers", SurveyAnswerViewSet, basename="evaluation-survey-answer")
    router.register("evaluation/visits", VisitViewSet, basename="evaluation-visit")
    router.register("evaluation/forums", ForumViewSet, basename="evaluation-forum")
    router.register("evaluation/third-party-scores", ThirdPartyScoreViewSet, basename="evaluation-third-party")
    router.register("evaluation/performance", PerformanceViewSet, basename="evaluation-performance")
    router.register("evaluation/bulletins", BulletinViewSet, basename="evaluation-bulletin")
