"""API of the annual plan: plans, projects, project counties, allocations and funds, scoped like the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedGenericViewSet, ScopedReadOnlyViewSet
from guopei.orgs.models import Membership, Region
from guopei.orgs.roles import PROVINCE_ROLES

from . import selectors, services
from .models import Allocation, AnnualPlan, Commitment, Payment, Project, ProjectComponent, ProjectCounty
from .serializers import (
    AllocationInputSerializer,
    AllocationSerializer,
    CommitmentInputSerializer,
    CommitmentSerializer,
    FundsSerializer,
    PaymentInputSerializer,
    PaymentSerializer,
    PlanSerializer,
    ProjectCountySerializer,
    ProjectSerializer,
)

Role = Membership.Role
Viewers = HasRole(*selectors.PLAN_VIEWER_ROLES)
Province = HasRole(*PROVINCE_ROLES)


def _project_for(user: Any, pk: Any) -> Project:
    """The project by id within the user's reach; out of reach is a 404 like everywhere else."""
    return selectors.access_project_for_user(user, pk)


def _service_call(func: Any, **kwargs: Any) -> Any:
    try:
        return func(**kwargs)
    except services.PlanError as exc:
        raise ValidationError(str(exc)) from None


class PlanViewSet(ScopedReadOnlyViewSet):
    """Annual plans: every plan for the province, published plans for cities and counties (PLAN-1)."""

    serializer_class = PlanSerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[AnnualPlan]:
        return selectors.plans_for_user(user).select_related("education_signed_by", "finance_signed_by")


class ProjectViewSet(ScopedReadOnlyViewSet):
    """Projects with their target conditions; cities and counties see those that give them a share."""

    serializer_class = ProjectSerializer
    permission_classes = [Viewers]
    filterset_fields = ["plan", "category", "is_it20", "parent"]

    def scoped_queryset(self, user: Any) -> QuerySet[Project]:
        return selectors.projects_for_user(user).prefetch_related(
            Prefetch("components", queryset=ProjectComponent.objects.order_by("id")), "counties").order_by(
            "plan_id", "code")


class ProjectCountyViewSet(ScopedReadOnlyViewSet):
    """The year's programme and IT 2.0 project counties (PLAN-3, PLAN-4)."""

    serializer_class = ProjectCountySerializer
    permission_classes = [Viewers]
    filterset_fields = ["year", "is_programme", "is_it20"]

    def scoped_queryset(self, user: Any) -> QuerySet[ProjectCounty]:
        return selectors.project_counties_for_user(user)


class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Quota shares; POST sets one (province: cities and counties; a city: its counties)."""

    serializer_class = AllocationSerializer
    permission_classes = [Viewers]
    filterset_fields = ["project", "region"]

    def scoped_queryset(self, user: Any) -> QuerySet[Allocation]:
        return selectors.allocations_for_user(user).order_by("project_id", "region_code")

    @extend_schema(request=AllocationInputSerializer, responses={200: AllocationSerializer, 204: None})
    def create(self, request: Request) -> Response:
        data = AllocationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = _project_for(request.user, data.validated_data["project"])
        try:
            region = Region.objects.get(code=data.validated_data["region"])
        except Region.DoesNotExist:
            raise Http404 from None
        allocation = _service_call(services.allocation_set, project=project, region=region,
                                   quota=data.validated_data["quota"], actor=request.user)
        if allocation is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AllocationSerializer(allocation).data)


class FundsViewSet(ScopedReadOnlyViewSet):
    """Budget, committed, paid and remaining per project (PLAN-6), for the province's departments."""

    serializer_class = FundsSerializer
    permission_classes = [Province]
    filterset_fields = ["plan", "category"]

    def scoped_queryset(self, user: Any) -> QuerySet[Project]:
        if not selectors.is_province(user):
            return Project.objects.none()
        return selectors.with_funds(selectors.projects_for_user(user)).order_by("plan_id", "code")


class CommitmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Commitments against projects' budgets; POST records one (an overspend needs the finance override)."""

    serializer_class = CommitmentSerializer
    permission_classes = [Province]
    filterset_fields = ["project"]

    def scoped_queryset(self, user: Any) -> QuerySet[Commitment]:
        if not selectors.is_province(user):
            return Commitment.objects.none()
        return Commitment.objects.filter(project__in=selectors.projects_for_user(user)).order_by("id")

    @extend_schema(request=CommitmentInputSerializer, responses={201: CommitmentSerializer})
    def create(self, request: Request) -> Response:
        data = CommitmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _project_for(request.user, values.pop("project"))
        commitment = _service_call(services.commitment_record, project=project, actor=request.user, **values)
        return Response(CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)


class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Payments from the special funds; POST (finance officers) records one."""

    serializer_class = PaymentSerializer
    permission_classes = [Province]
    filterset_fields = ["project"]

    def scoped_queryset(self, user: Any) -> QuerySet[Payment]:
        if not selectors.is_province(user):
            return Payment.objects.none()
        return Payment.objects.filter(project__in=selectors.projects_for_user(user)).order_by("id")

    @extend_schema(request=PaymentInputSerializer, responses={201: PaymentSerializer})
    def create(self, request: Request) -> Response:
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _project_for(request.user, values.pop("project"))
        payment = _service_call(services.payment_record, project=project, actor=request.user, **values)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


def router_register(router: BaseRouter) -> None:
    router.register("plans", PlanViewSet, basename="plan")
    router.register("plan-projects", ProjectViewSet, basename="plan-project")
    router.register("plan-counties", ProjectCountyViewSet, basename="plan-county")
    router.register("plan-allocations", AllocationViewSet, basename="plan-allocation")
    router.register("plan-funds", FundsViewSet, basename="plan-funds")
    router.register("plan-commitments", CommitmentViewSet, basename="plan-commitment")
    router.register("plan-payments", PaymentViewSet, basename="plan-payment")
