"""API of credit hours (MGMT-3) and IT 2.0 progress (PLAN-5).

`credits/records`: hour records in reach; a teacher POSTs other training with evidence (multipart); the county
administrator approves, rejects (with a reason) or bulk-approves. `credits/teacher-totals`: teachers with the
year's and the cycle's recognised hours (`?year=`). `credits/it20-counties` and `credits/it20-schools`: IT 2.0
progress (`?year=`, default the latest year with an IT 2.0 county list).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedGenericViewSet, ScopedReadOnlyViewSet
from guopei.delivery.models import TrainingClass
from guopei.orgs.models import Membership, School
from guopei.orgs.scoping import region_q, school_ids_of
from guopei.plans.models import ProjectCounty
from guopei.teachers.models import Teacher

from . import it20, services
from .models import HourRecord
from .selectors import (
    audit_queue_for_user,
    current_year,
    ended_classes_for_user,
    hour_records_for_user,
    own_teacher,
    totals_teachers_for_user,
    with_totals,
)
from .serializers import (
    BulkApproveSerializer,
    BulkResultSerializer,
    ClassHoursSerializer,
    ClassSubmitResultSerializer,
    HourRecordSerializer,
    HourRecordSubmitSerializer,
    IT20CountySerializer,
    IT20SchoolSerializer,
    RejectSerializer,
    TeacherTotalsSerializer,
)
from .views import RECORD_ROLES, TOTALS_ROLES

Role = Membership.Role
YEAR = OpenApiParameter("year", int, description="年度（默认：学时为当年，2.0进度为最近有项目县名单的年度）")


def _call(func: Any, **kwargs: Any) -> Any:
    """Run a service; its PermissionDenied is a 403 (a ValidationError becomes 400 in the exception handler)."""
    try:
        return func(**kwargs)
    except PermissionDenied as exc:
        raise ApiPermissionDenied(str(exc)) from None


def _year_param(request: Any, default: int) -> int:
    try:
        year = int(request.query_params.get("year") or 0) if request is not None else 0
    except ValueError:
        year = 0
    return year if 2010 <= year <= 2100 else default


class HourRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Hour records in the user's reach (their regions, school, institution's classes, or their own)."""

    serializer_class = HourRecordSerializer
    permission_classes = [HasRole(*RECORD_ROLES, Role.TEACHER)]
    filterset_fields = ["year", "status", "kind", "origin", "is_it20", "teacher"]

    def scoped_queryset(self, user: Any) -> QuerySet[HourRecord]:
        return hour_records_for_user(user).order_by("-submitted_at", "-id")

    @extend_schema(request={"multipart/form-data": HourRecordSubmitSerializer}, responses={201: HourRecordSerializer})
    def create(self, request: Request) -> Response:
        """A teacher submits other training with evidence; without evidence it is refused (400)."""
        teacher = own_teacher(request.user)
        if teacher is None:
            raise ApiPermissionDenied("只有关联了教师档案的教师账号可以申报学时。")
        data = HourRecordSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        evidence = values.pop("evidence")
        record = _call(services.hour_record_submit, actor=request.user, teacher=teacher, evidence=evidence,
                       evidence_filename=getattr(evidence, "name", "") or "", **values)
        return Response(HourRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: HourRecordSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(Role.COUNTY_ADMIN)])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """The county approves; the hours are recognised as credits."""
        record = _call(services.hour_record_approve, actor=request.user, record=self.get_object())
        return Response(HourRecordSerializer(record).data)

    @extend_schema(request=RejectSerializer, responses={200: HourRecordSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(Role.COUNTY_ADMIN)])
    def reject(self, request: Request, pk: Any = None) -> Response:
        """The county rejects with a reason (required)."""
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = _call(services.hour_record_reject, actor=request.user, record=self.get_object(),
                       reason=data.validated_data["reason"])
        return Response(HourRecordSerializer(record).data)

    @extend_schema(responses={200: HourRecordSerializer(many=True)})
    @action(detail=False, methods=["get"], permission_classes=[HasRole(Role.COUNTY_ADMIN)])
    def queue(self, request: Request) -> Response:
        """The county's records awaiting audit, oldest first."""
        page = self.paginate_queryset(audit_queue_for_user(request.user))
        return self.get_paginated_response(HourRecordSerializer(page, many=True).data)

    @extend_schema(request=BulkApproveSerializer, responses={200: BulkResultSerializer})
    @action(detail=False, methods=["post"], url_path="bulk-approve",
            permission_classes=[HasRole(Role.COUNTY_ADMIN)])
    def bulk_approve(self, request: Request) -> Response:
        """Approve many pending records of the user's county; each is audited, plus one event for the batch."""
        data = BulkApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = _call(services.hour_records_bulk_approve, actor=request.user, record_ids=data.validated_data["ids"])
        return Response({"approved": [r.pk for r in result.approved], "skipped": result.skipped})


@extend_schema_view(list=extend_schema(parameters=[YEAR]), retrieve=extend_schema(parameters=[YEAR]))
class TeacherTotalsViewSet(ScopedReadOnlyViewSet):
    """Teachers with the year's and the cycle's recognised hours and credits, and the year's pending hours."""

    serializer_class = TeacherTotalsSerializer
    permission_classes = [HasRole(*TOTALS_ROLES)]
    filterset_fields = ["school", "region_code", "status"]

    @property
    def year(self) -> int:
        return _year_param(getattr(self, "request", None), current_year())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "year": self.year}

    def scoped_queryset(self, user: Any) -> QuerySet[Teacher]:
        return with_totals(totals_teachers_for_user(user), self.year).select_related("school").order_by(
            "region_code", "school_id", "name_pinyin", "pk")


def _it20_year(view: Any) -> int:
    years = it20.it20_years()
    return _year_param(getattr(view, "request", None), years[0] if years else current_year())


@extend_schema_view(list=extend_schema(parameters=[YEAR]), retrieve=extend_schema(parameters=[YEAR]))
class IT20CountyViewSet(ScopedReadOnlyViewSet):
    """The year's IT 2.0 counties in reach with teachers and completed teachers (PLAN-5)."""

    serializer_class = IT20CountySerializer
    permission_classes = [HasRole(*it20.IT20_REGION_ROLES)]

    def scoped_queryset(self, user: Any) -> QuerySet[ProjectCounty]:
        if not getattr(user, "is_authenticated", False):
            return ProjectCounty.objects.none()
        year = _it20_year(self)
        teachers = it20.it20_teachers(year).filter(region_code=OuterRef("region_code")).order_by().values(
            "region_code")

        def counted(qs: Any) -> Coalesce:
            return Coalesce(Subquery(qs.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
                            Value(0))

        return (ProjectCounty.objects.filter(year=year, is_it20=True)
                .filter(region_q(user, "region_code", it20.IT20_REGION_ROLES)).select_related("county")
                .annotate(teacher_count=counted(teachers),
                          complete_count=counted(teachers.filter(pk__in=it20.completed_teacher_ids(year))))
                .order_by("region_code"))


@extend_schema_view(list=extend_schema(parameters=[YEAR]), retrieve=extend_schema(parameters=[YEAR]))
class IT20SchoolViewSet(ScopedReadOnlyViewSet):
    """Schools of the year's IT 2.0 counties in reach with teachers and completed teachers (PLAN-5)."""

    serializer_class = IT20SchoolSerializer
    permission_classes = [HasRole(*it20.IT20_VIEW_ROLES)]
    filterset_fields = ["region_code"]

    def scoped_queryset(self, user: Any) -> QuerySet[School]:
        if not getattr(user, "is_authenticated", False):
            return School.objects.none()
        year = _it20_year(self)
        scope = region_q(user, "region_code", it20.IT20_REGION_ROLES) | Q(
            pk__in=school_ids_of(user, [Role.SCHOOL_ADMIN]))
        active = Q(teachers__status=Teacher.Status.ACTIVE)
        return (School.objects.filter(scope, kind__in=it20.IT20_SCHOOL_KINDS,
                                      region_code__in=it20.it20_county_codes(year))
                .annotate(teacher_count=Count("teachers", filter=active),
                          complete_count=Count("teachers", filter=active & Q(
                              teachers__pk__in=it20.completed_teacher_ids(year))))
                .order_by("region_code", "name"))


class ClassHoursViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """The institution's ended classes; `submit-hours` submits a class's hours from attendance (MGMT-3)."""

    serializer_class = ClassHoursSerializer
    permission_classes = [HasRole(Role.INSTITUTION_STAFF)]

    def scoped_queryset(self, user: Any) -> QuerySet[TrainingClass]:
        return ended_classes_for_user(user)

    @extend_schema(request=None, responses={200: ClassSubmitResultSerializer})
    @action(detail=True, methods=["post"], url_path="submit-hours")
    def submit_hours(self, request: Request, pk: Any = None) -> Response:
        """One record per trainee who passed, theory and practice hours from the sessions attended."""
        result = _call(services.hours_submit_for_class, training_class=self.get_object(), actor=request.user)
        return Response({"created": len(result.created), "skipped": result.skipped,
                         "records": [r.pk for r in result.created]})


def router_register(router: BaseRouter) -> None:
    router.register("credits/records", HourRecordViewSet, basename="credits-record")
    router.register("credits/teacher-totals", TeacherTotalsViewSet, basename="credits-teacher-totals")
    router.register("credits/it20-counties", IT20CountyViewSet, basename="credits-it20-county")
    router.register("credits/it20-schools", IT20SchoolViewSet, basename="credits-it20-school")
    router.register("credits/classes", ClassHoursViewSet, basename="credits-class")
