"""API of tenders, bids, panels, awards and course plans, scoped exactly like the pages: institutions see only
their own bids and plans, experts only their own panel seats, bidders never another bid."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedGenericViewSet, ScopedReadOnlyViewSet
from guopei.core.audit import audit_record
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.plans.services import PlanError

from . import selectors, services
from .models import Award, Bid, BidComponent, BidMember, CourseModule, CoursePlan, ExpertAssignment, Tender
from .serializers import (
    AssignmentSerializer,
    AwardSerializer,
    BidSerializer,
    CoursePlanSerializer,
    ProblemsSerializer,
    TenderSerializer,
)

Role = Membership.Role
TenderViewers = HasRole(*PROVINCE_ROLES, Role.INSTITUTION_STAFF, Role.EXPERT)
ProvinceOrInstitution = HasRole(*PROVINCE_ROLES, Role.INSTITUTION_STAFF)


class AuditedLookupMixin:
    """A detail request for an object outside the user's reach is a 404, and the attempt is audited."""

    def get_object(self) -> Any:
        try:
            return super().get_object()  # type: ignore[misc]
        except Http404:
            lookup = self.kwargs.get("pk")  # type: ignore[attr-defined]
            model: Any = self.get_serializer_class().Meta.model  # type: ignore[attr-defined]
            try:
                exists = model.objects.filter(pk=lookup).exists()
            except (ValueError, TypeError):
                exists = False
            if exists:
                audit_record(actor=self.request.user, action="tenders.access_denied",  # type: ignore[attr-defined]
                             object_type=model._meta.label_lower, object_id=str(lookup), detail={"what": "api"})
            raise


class TenderViewSet(AuditedLookupMixin, ScopedReadOnlyViewSet):
    """Tenders: all for the province, published ones for institutions, assigned ones for experts."""

    serializer_class = TenderSerializer
    permission_classes = [TenderViewers]
    filterset_fields = ["status", "project", "county"]

    def scoped_queryset(self, user: Any) -> QuerySet[Tender]:
        return selectors.tenders_for_user(user).order_by("-created_at", "-id")


class BidViewSet(AuditedLookupMixin, ScopedReadOnlyViewSet):
    """Sealed bids: the province sees all; an institution its own (as lead or consortium member)."""

    serializer_class = BidSerializer
    permission_classes = [ProvinceOrInstitution]
    filterset_fields = ["tender"]

    def scoped_queryset(self, user: Any) -> QuerySet[Bid]:
        if not selectors.is_province(user) and not selectors.is_institution(user):
            return Bid.objects.none()
        return selectors.bids_for_user(user).prefetch_related(
            Prefetch("members", queryset=BidMember.objects.select_related("institution")),
            Prefetch("components", queryset=BidComponent.objects.select_related("component", "host_school")),
        ).order_by("tender_id", "pk")


class AssignmentViewSet(AuditedLookupMixin, ScopedReadOnlyViewSet):
    """Panel seats: the province sees every panel; an expert their own seats."""

    serializer_class = AssignmentSerializer
    permission_classes = [HasRole(*PROVINCE_ROLES, Role.EXPERT)]
    filterset_fields = ["tender", "stage"]

    def scoped_queryset(self, user: Any) -> QuerySet[ExpertAssignment]:
        return selectors.assignments_for_user(user).order_by("tender_id", "pk")


class AwardViewSet(AuditedLookupMixin, ScopedReadOnlyViewSet):
    """Awards (by tender, continuation or expert selection): all for the province, an institution's own."""

    serializer_class = AwardSerializer
    permission_classes = [ProvinceOrInstitution]
    filterset_fields = ["project", "kind", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[Award]:
        return selectors.awards_for_user(user).select_related("contract").order_by("-created_at", "-id")


class CoursePlanViewSet(AuditedLookupMixin, ScopedGenericViewSet):
    """Course plans with their modules; the lead institution submits through `submit` (COURSE-1 … COURSE-5)."""

    serializer_class = CoursePlanSerializer
    permission_classes = [ProvinceOrInstitution]
    filterset_fields = ["project", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[CoursePlan]:
        return selectors.course_plans_for_user(user).prefetch_related(
            Prefetch("modules", queryset=CourseModule.objects.order_by("order"))).order_by("project_id", "pk")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: ProblemsSerializer})
    @action(detail=True, methods=["get"])
    def check(self, request: Request, pk: Any = None) -> Response:
        """What the checker still reports for the saved plan (empty: it may be submitted)."""
        return Response({"problems": services.plan_problems(self.get_object())})

    @extend_schema(request=None, responses={200: CoursePlanSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Submit the plan for review; refused (400, listing the problems) while the checker reports anything."""
        plan = self.get_object()
        try:
            services.course_plan_submit(plan=plan, actor=request.user)
        except services.CoursePlanIncomplete as exc:
            raise ValidationError([str(exc), *exc.problems]) from None
        except (services.TenderError, PlanError) as exc:
            raise ValidationError(str(exc)) from None
        return Response(self.get_serializer(self.get_object()).data)


def router_register(router: BaseRouter) -> None:
    router.register("tenders", TenderViewSet, basename="tender")
    router.register("tender-bids", BidViewSet, basename="tender-bid")
    router.register("tender-assignments", AssignmentViewSet, basename="tender-assignment")
    router.register("tender-awards", AwardViewSet, basename="tender-award")
    router.register("course-plans", CoursePlanViewSet, basename="course-plan")
