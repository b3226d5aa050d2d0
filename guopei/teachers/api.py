"""API of the teacher database: teachers (masked), imports, the reserve pool, selection results and nominations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, NoStoreMixin, ScopedGenericViewSet, ScopedReadOnlyViewSet
from guopei.core.jobs import job_live_progress, jobs_for_user
from guopei.core.models import Job
from guopei.core.pii import mask_id_number, pii_decrypt
from guopei.orgs.scoping import region_level, user_covers_region

from . import services
from .models import Nomination, ReservePoolEntry, Teacher
from .roles import INTAKE_ROLES, REVEAL_ROLES, TEACHER_ADMIN_ROLES, TEACHER_VIEW_ROLES
from .selection import selection_for
from .selectors import (
    access_nomination_for_user,
    nominations_for_user,
    reserve_entries_for_user,
    teachers_for_user,
)
from .serializers import (
    ImportJobSerializer,
    ImportStartSerializer,
    NominationProposeSerializer,
    NominationSerializer,
    ReasonSerializer,
    ReservePoolEntrySerializer,
    ReserveUpdateSerializer,
    RevealInputSerializer,
    RevealSerializer,
    SelectionSerializer,
    SubstituteSerializer,
    TeacherSerializer,
)

Viewers = HasRole(*TEACHER_VIEW_ROLES)
Admins = HasRole(*TEACHER_ADMIN_ROLES)


def _call(func: Any, **kwargs: Any) -> Any:
    """Run a service; its PermissionDenied is a 403 (a ValidationError becomes 400 in the exception handler)."""
    try:
        return func(**kwargs)
    except PermissionDenied as exc:
        raise ApiPermissionDenied(str(exc)) from None


class TeacherCursorPagination(CursorPagination):
    """Keyset pages in pinyin order: no COUNT over a province's teachers, fast at any depth."""

    ordering = ("name_pinyin", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class TeacherViewSet(ScopedReadOnlyViewSet):
    """Teachers in the user's reach, with ID numbers and phones masked; `reveal` shows one value (audited)."""

    serializer_class = TeacherSerializer
    permission_classes = [Viewers]
    pagination_class = TeacherCursorPagination
    filterset_fields = ["school", "status", "segment", "post", "region_code"]

    def scoped_queryset(self, user: Any) -> QuerySet[Teacher]:
        return teachers_for_user(user).select_related("school")

    @extend_schema(request=RevealInputSerializer, responses={200: RevealSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*REVEAL_ROLES)])
    def reveal(self, request: Request, pk: Any = None) -> Response:
        """Return one teacher's full ID number or phone; every call is an audit event (teachers.reveal)."""
        teacher = self.get_object()
        data = RevealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        value = _call(services.teacher_reveal, actor=request.user, teacher=teacher, field=data.validated_data["field"])
        return Response({"field": data.validated_data["field"], "value": value})


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Roster and history imports: start one (multipart upload), follow its progress, fetch its error file."""

    serializer_class = ImportJobSerializer
    permission_classes = [Admins]

    def scoped_queryset(self, user: Any) -> QuerySet[Job]:
        return jobs_for_user(user).filter(kind__in=["teachers.roster_import", "teachers.history_import"]).order_by(
            "-created_at", "-id")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        job = job_live_progress(self.get_object())
        return Response(ImportJobSerializer(job).data)

    @extend_schema(request={"multipart/form-data": ImportStartSerializer}, responses={202: ImportJobSerializer})
    def create(self, request: Request) -> Response:
        data = ImportStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        start = services.roster_import_start if data.validated_data["kind"] == "roster" else \
            services.history_import_start
        job = _call(start, actor=request.user, filename=upload.name, content=upload.read())
        job.refresh_from_db()
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                              OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="error-file")
    def error_file(self, request: Request, pk: Any = None) -> FileResponse:
        """The row-level error file (row, column, value, reason) of a failed import."""
        job = self.get_object()
        if job.state != Job.State.FAILED or not job.result_file:
            raise Http404
        from guopei.core.jobs import job_result_download

        job_result_download(actor=request.user, job=job)
        return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)


class ReservePoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                         ScopedGenericViewSet):
    """The reserve pool (储备库) of the user's counties."""

    serializer_class = ReservePoolEntrySerializer
    permission_classes = [Admins]
    filterset_fields = ["category", "teacher"]

    def scoped_queryset(self, user: Any) -> QuerySet[ReservePoolEntry]:
        return reserve_entries_for_user(user).order_by("priority", "id")

    def create(self, request: Request) -> Response:
        data = ReservePoolEntrySerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        entry = _call(services.reserve_entry_add, actor=request.user, teacher=data.validated_data["teacher"],
                      category=data.validated_data.get("category"),
                      priority=data.validated_data.get("priority", 5), note=data.validated_data.get("note", ""))
        return Response(ReservePoolEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReserveUpdateSerializer, responses={200: ReservePoolEntrySerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        entry = self.get_object()
        data = ReserveUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = _call(services.reserve_entry_update, actor=request.user, entry=entry, **data.validated_data)
        return Response(ReservePoolEntrySerializer(entry).data)

    def perform_destroy(self, instance: ReservePoolEntry) -> None:
        _call(services.reserve_entry_remove, actor=self.request.user, entry=instance)


class SelectionViewSet(NoStoreMixin, viewsets.ViewSet):
    """Selection results of a project over a county (or a city / the province for counts) (MGMT-4/5/6)."""

    permission_classes = [Admins]

    @extend_schema(
        parameters=[
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="项目编号"),
            OpenApiParameter("region", str, description="县区代码（市、省只看统计）", required=True),
            OpenApiParameter("tab", str, enum=["eligible", "ineligible"]),
            OpenApiParameter("reason", str, description="只看某个不符合原因"),
            OpenApiParameter("page", int),
        ],
        responses={200: SelectionSerializer},
    )
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        """Counts by reason and one page (50) of the eligible (ranked) or the ineligible (with reasons)."""
        from guopei.plans.selectors import access_project_for_user

        project = access_project_for_user(request.user, pk)
        region = request.query_params.get("region", "")
        if not region or not user_covers_region(request.user, region, TEACHER_ADMIN_ROLES):
            raise Http404
        selection = selection_for(project, region)
        counts = selection.counts()
        try:
            page = max(1, int(request.query_params.get("page", 1)))
        except ValueError:
            page = 1
        start = (page - 1) * 50
        ineligible = request.query_params.get("tab") == "ineligible"
        teachers: list[dict[str, Any]] = []
        if ineligible:
            reason = request.query_params.get("reason", "")
            total = counts.get(f"reason_{reason}", counts["total"] - counts["eligible"])
            for t in selection.ineligible(reason).select_related("school")[start:start + 50]:
                teachers.append({"rank": None, "id": t.pk, "name": t.name,
                                 "id_number_masked": mask_id_number(pii_decrypt(t.id_number)),
                                 "school_name": t.school.name, "reasons": [r.code for r in selection.reasons_of(t)],
                                 "score": None, "in_pool": None, "past_count": None, "last_year": None})
        else:
            total = counts["eligible"]
            ranked: Any
            for rank, ranked in enumerate(selection.eligible()[start:start + 50], start=start + 1):
                teachers.append({"rank": rank, "id": ranked.pk, "name": ranked.name,
                                 "id_number_masked": mask_id_number(pii_decrypt(ranked.id_number)),
                                 "school_name": ranked.school.name, "reasons": [], "score": ranked.score,
                                 "in_pool": ranked.in_pool, "past_count": ranked.past_count,
                                 "last_year": ranked.last_year})
        body = {
            "project": project.pk, "region": region, "on_date": selection.on_date, "cycle": list(selection.cycle),
            "cap": selection.cap.cap, "hours_required": selection.hours_required, "total": counts["total"],
            "eligible": counts["eligible"],
            "reasons": [{"code": r.code, "label": r.label, "rule": r.rule, "exclusion": r.exclusion,
                         "count": counts.get(f"reason_{r.code}", 0)} for r in selection.active_reasons],
            "page": page, "has_next": start + 50 < total, "teachers": teachers,
        }
        return Response(SelectionSerializer(body).data)


class NominationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Nominations: counties propose and substitute; the project's institution confirms, returns or dismisses."""

    serializer_class = NominationSerializer
    permission_classes = [HasRole(*TEACHER_ADMIN_ROLES, *INTAKE_ROLES)]
    filterset_fields = ["project", "county", "status", "is_alternate"]

    def scoped_queryset(self, user: Any) -> QuerySet[Nomination]:
        return nominations_for_user(user).order_by("project_id", "region_code", "is_alternate", "rank", "id")

    @extend_schema(request=NominationProposeSerializer, responses={201: NominationSerializer(many=True)})
    def create(self, request: Request) -> Response:
        from guopei.plans.selectors import access_project_for_user

        data = NominationProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = access_project_for_user(request.user, values["project"])
        if region_level(values["county"]) != "county":
            raise Http404
        created = _call(services.nomination_propose, actor=request.user, project=project, county_code=values["county"],
                        teacher_ids=values["principals"], alternate_ids=values["alternates"])
        return Response(NominationSerializer(created, many=True).data, status=status.HTTP_201_CREATED)

    def _decide(self, request: Request, func: Any, **extra: Any) -> Response:
        nomination = self.get_object()
        nomination = _call(func, actor=request.user, nomination=nomination, **extra)
        return Response(NominationSerializer(nomination).data)

    @extend_schema(request=None, responses={200: NominationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*INTAKE_ROLES)])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, services.nomination_confirm)

    @extend_schema(request=ReasonSerializer, responses={200: NominationSerializer})
    @action(detail=True, methods=["post"], url_path="return", permission_classes=[HasRole(*INTAKE_ROLES)])
    def return_(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(request, services.nomination_return, reason=data.validated_data["reason"])

    @extend_schema(request=ReasonSerializer, responses={200: NominationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*INTAKE_ROLES)])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(request, services.nomination_dismiss, reason=data.validated_data["reason"])

    @extend_schema(request=SubstituteSerializer, responses={200: NominationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[Admins])
    def substitute(self, request: Request, pk: Any = None) -> Response:
        nomination = self.get_object()
        data = SubstituteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alternate = None
        if data.validated_data["alternate"]:
            alternate = access_nomination_for_user(request.user, data.validated_data["alternate"])
        new = _call(services.nomination_substitute, actor=request.user, nomination=nomination, alternate=alternate,
                    teacher_id=data.validated_data["teacher"])
        return Response(NominationSerializer(new).data)


def router_register(router: BaseRouter) -> None:
    router.register("teachers", TeacherViewSet, basename="teacher")
    router.register("teacher-imports", ImportViewSet, basename="teacher-import")
    router.register("teacher-reserve", ReservePoolViewSet, basename="teacher-reserve")
    router.register("teacher-selections", SelectionViewSet, basename="teacher-selection")
    router.register("teacher-nominations", NominationViewSet, basename="teacher-nomination")
