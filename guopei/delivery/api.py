"""API of delivery, scoped like the pages: classes, sessions, offerings and seats, enrolments, attendance and
check-in, dismissals, completion, certificates and incidents."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from guopei.api.base import HasRole, ScopedGenericViewSet, ScopedReadOnlyViewSet

from . import selectors, services
from .api_auth import OneStatementTokenAuthentication
from .models import Attendance, Certificate, Dismissal, Enrolment, Incident, Offering, Seat, Session, TrainingClass
from .roles import CLASS_VIEW_ROLES, INCIDENT_ROLES, STAFF_ROLES, TEACHER_ROLES
from .serializers import (
    AssessInputSerializer,
    AttendanceSerializer,
    CertificateSerializer,
    CheckinInputSerializer,
    ClassSerializer,
    DismissalSerializer,
    DismissInputSerializer,
    EnrolmentSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
    MarksInputSerializer,
    OfferingSerializer,
    SeatSerializer,
    SessionSerializer,
)

Viewers = HasRole(*CLASS_VIEW_ROLES)
# The seat endpoints carry the opening rush (MGMT-3): the token, the user and the memberships the role check needs in
# one statement (api_auth.py) instead of the two ORM queries of the default; session sign-in as everywhere else.
SEAT_AUTHENTICATION = [OneStatementTokenAuthentication, SessionAuthentication]
# ...and render the seat with one serializer built once: a ModelSerializer builds its fields from the model for every
# instance, which cost more than the seat statements. Rendering only reads the fields, so one is shared.
SEAT_RENDERER = SeatSerializer()


class ClassViewSet(ScopedReadOnlyViewSet):
    """Classes in the user's reach (COURSE-5)."""

    serializer_class = ClassSerializer
    permission_classes = [Viewers]
    filterset_fields = ["project", "institution", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[TrainingClass]:
        return selectors.classes_for_user(user).order_by("-start_date", "-pk")


class SessionViewSet(ScopedReadOnlyViewSet):
    """Sessions of the classes in reach; teachers check in here, staff mark and close the register."""

    serializer_class = SessionSerializer
    permission_classes = [Viewers]
    filterset_fields = ["klass", "date", "kind"]

    def scoped_queryset(self, user: Any) -> QuerySet[Session]:
        return selectors.sessions_for_user(user).order_by("klass_id", "order")

    @extend_schema(request=CheckinInputSerializer, responses={200: AttendanceSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*TEACHER_ROLES)])
    def checkin(self, request: Request, pk: Any = None) -> Response:
        """Self check-in with the slot and token read from the room's QR code."""
        session = self.get_object()  # a class the teacher is not in is out of reach: 404
        data = CheckinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.checkin(actor=request.user, session=session, slot=data.validated_data["s"],
                                  token=data.validated_data["t"])
        return Response(AttendanceSerializer(record).data)

    @extend_schema(request=MarksInputSerializer, responses={200: AttendanceSerializer(many=True)})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*STAFF_ROLES)])
    def mark(self, request: Request, pk: Any = None) -> Response:
        """Staff record attendance: {"marks": {enrolment id: status}}."""
        session = selectors.access_managed_session_for_user(request.user, pk)
        data = MarksInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            marks = {int(k): v for k, v in data.validated_data["marks"].items()}
        except ValueError:
            raise Http404 from None
        services.attendance_mark(actor=request.user, session=session, marks=marks,
                                 note=data.validated_data.get("note", ""))
        return Response(AttendanceSerializer(session.attendance.order_by("enrolment_id"), many=True).data)

    @extend_schema(request=None, responses={200: AttendanceSerializer(many=True)})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*STAFF_ROLES)])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close the register: trainees without a record become absent (or excused with approved leave)."""
        session = selectors.access_managed_session_for_user(request.user, pk)
        services.register_close(actor=request.user, session=session)
        return Response(AttendanceSerializer(session.attendance.order_by("enrolment_id"), many=True).data)


class OfferingViewSet(ScopedReadOnlyViewSet):
    """Self-selection offerings (MGMT-3); a teacher takes a seat (or a waitlist place) with POST …/take/."""

    serializer_class = OfferingSerializer
    permission_classes = [Viewers]
    filterset_fields = ["klass", "status", "round"]

    def scoped_queryset(self, user: Any) -> QuerySet[Offering]:
        return selectors.offerings_for_user(user).order_by("opens_at", "pk")

    @extend_schema(request=None, responses={200: SeatSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*TEACHER_ROLES)],
            authentication_classes=SEAT_AUTHENTICATION)
    def take(self, request: Request, pk: Any = None) -> Response:
        # The hot path of the rush: the service reads the offering in its locking statement; one not aimed at the
        # teacher's region (or not there at all) is a 404, as in the list.
        if not str(pk).isdigit():
            raise Http404
        try:
            seat = services.seat_take(actor=request.user, offering=int(pk))
        except services.NotOffered:
            raise Http404 from None
        return Response(SEAT_RENDERER.to_representation(seat))


class SeatViewSet(ScopedReadOnlyViewSet):
    """A teacher's own seats (the institution sees its offerings'); POST …/cancel/ gives one up."""

    serializer_class = SeatSerializer
    permission_classes = [Viewers]
    filterset_fields = ["offering", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[Seat]:
        return selectors.seats_for_user(user).order_by("offering_id", "queued_at", "pk")

    @extend_schema(request=None, responses={200: SeatSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*TEACHER_ROLES)],
            authentication_classes=SEAT_AUTHENTICATION)
    def cancel(self, request: Request, pk: Any = None) -> Response:
        # The service locks and reads the seat itself; only when it is not the teacher's own is the scope asked
        # whether they may see it at all (404) or just not give it up (403).
        if not str(pk).isdigit():
            raise Http404
        try:
            seat = services.seat_cancel(actor=request.user, seat=int(pk))
        except (Seat.DoesNotExist, PermissionDenied):
            self.get_object()
            raise
        return Response(SEAT_RENDERER.to_representation(seat))


class EnrolmentViewSet(ScopedReadOnlyViewSet):
    """Trainees in reach; staff assess completion (…/assess/) and dismiss (…/dismiss/, with evidence)."""

    serializer_class = EnrolmentSerializer
    permission_classes = [Viewers]
    filterset_fields = ["klass", "status", "result", "school"]

    def scoped_queryset(self, user: Any) -> QuerySet[Enrolment]:
        return selectors.enrolments_for_user(user).order_by("klass_id", "pk")

    @extend_schema(request=AssessInputSerializer, responses={200: EnrolmentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*STAFF_ROLES)])
    def assess(self, request: Request, pk: Any = None) -> Response:
        enrolment = self.get_object()
        data = AssessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = services.completion_assess(actor=request.user, enrolment=enrolment,
                                               score=data.validated_data["score"])
        return Response(EnrolmentSerializer(enrolment).data)

    @extend_schema(request={"multipart/form-data": DismissInputSerializer}, responses={201: DismissalSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(*STAFF_ROLES)],
            parser_classes=[MultiPartParser, FormParser])
    def dismiss(self, request: Request, pk: Any = None) -> Response:
        enrolment = self.get_object()
        data = DismissInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dismissal = services.enrolment_dismiss(actor=request.user, enrolment=enrolment,
                                               reason=data.validated_data["reason"],
                                               evidence=data.validated_data["evidence"],
                                               dismissed_on=data.validated_data.get("dismissed_on"))
        return Response(DismissalSerializer(dismissal).data, status=status.HTTP_201_CREATED)


class AttendanceViewSet(ScopedReadOnlyViewSet):
    """Attendance records of the trainees in reach (what credits are computed from)."""

    serializer_class = AttendanceSerializer
    permission_classes = [Viewers]
    filterset_fields = ["session", "enrolment", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[Attendance]:
        return selectors.attendance_for_user(user).order_by("session_id", "enrolment_id")


class DismissalViewSet(ScopedReadOnlyViewSet):
    """Dismissals (MGMT-5) of the trainees in reach."""

    serializer_class = DismissalSerializer
    permission_classes = [Viewers]

    def scoped_queryset(self, user: Any) -> QuerySet[Dismissal]:
        return selectors.dismissals_for_user(user).order_by("-dismissed_on", "-pk")


class CertificateViewSet(ScopedReadOnlyViewSet):
    """Completion certificates of the trainees in reach."""

    serializer_class = CertificateSerializer
    permission_classes = [Viewers]

    def scoped_queryset(self, user: Any) -> QuerySet[Certificate]:
        return selectors.certificates_for_user(user).order_by("-issued_on", "-pk")


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Incidents (TRAINEE-2): the institution reports (POST); the trainees' counties and the province read."""

    serializer_class = IncidentSerializer
    permission_classes = [HasRole(*INCIDENT_ROLES)]
    filterset_fields = ["klass", "severity", "status"]

    def scoped_queryset(self, user: Any) -> QuerySet[Incident]:
        return selectors.incidents_for_user(user).order_by("-occurred_at", "-pk")

    @extend_schema(request=IncidentInputSerializer, responses={201: IncidentSerializer})
    def create(self, request: Request) -> Response:
        data = IncidentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        klass = selectors.access_managed_class_for_user(request.user, values.pop("klass"))
        incident = services.incident_report(actor=request.user, klass=klass, data=services.IncidentInput(
            enrolment_ids=tuple(values.pop("enrolments", [])), **values))
        return Response(IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


def router_register(router: BaseRouter) -> None:
    router.register("delivery/classes", ClassViewSet, basename="delivery-class")
    router.register("delivery/sessions", SessionViewSet, basename="delivery-session")
    router.register("delivery/offerings", OfferingViewSet, basename="delivery-offering")
    router.register("delivery/seats", SeatViewSet, basename="delivery-seat")
    router.register("delivery/enrolments", EnrolmentViewSet, basename="delivery-enrolment")
    router.register("delivery/attendance", AttendanceViewSet, basename="delivery-attendance")
    router.register("delivery/dismissals", DismissalViewSet, basename="delivery-dismissal")
    router.register("delivery/certificates", CertificateViewSet, basename="delivery-certificate")
    router.register("delivery/incidents", IncidentViewSet, basename="delivery-incident")
