"""API shapes of delivery: rows as the scoped selectors give them; inputs validated here, written by services."""

from __future__ import annotations

from rest_framework import serializers

from .models import Attendance, Certificate, Dismissal, Enrolment, Incident, Offering, Seat, Session, TrainingClass


class ClassSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = TrainingClass
        fields = ["id", "name", "project", "project_name", "institution", "institution_name", "award",
                  "course_plan", "region_code", "start_date", "end_date", "venue", "capacity", "form", "head_teacher",
                  "pass_mark", "status", "ended_at"]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "klass", "order", "title", "component", "kind", "date", "start_time", "end_time", "hours",
                  "venue", "register_closed_at"]


class OfferingSerializer(serializers.ModelSerializer):
    seats_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Offering
        fields = ["id", "klass", "title", "description", "region_code", "capacity", "taken", "seats_left",
                  "min_enrolment", "opens_at", "closes_at", "round", "status"]


class SeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Seat
        fields = ["id", "offering", "teacher", "status", "queued_at", "promoted_at", "cancelled_at"]


class EnrolmentSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "klass", "teacher", "teacher_name", "school", "school_name", "region_code", "source",
                  "status", "result", "score", "attendance_rate", "assessed_on", "application_rating",
                  "insurance_bought"]


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "session", "enrolment", "status", "method", "checked_at", "note"]


class DismissalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dismissal
        fields = ["id", "enrolment", "reason", "evidence_name", "dismissed_on"]


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = ["id", "enrolment", "code", "issued_on", "hours", "practice_hours"]


class IncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = ["id", "klass", "occurred_at", "place", "people", "severity", "description", "actions", "follow_up",
                  "status"]


class IncidentInputSerializer(serializers.Serializer):
    klass = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    people = serializers.CharField(max_length=500)
    severity = serializers.ChoiceField(choices=Incident.Severity.choices)
    description = serializers.CharField(max_length=2000)
    actions = serializers.CharField(max_length=2000)
    follow_up = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    enrolments = serializers.ListField(child=serializers.IntegerField(), required=False)


class CheckinInputSerializer(serializers.Serializer):
    s = serializers.IntegerField(help_text="二维码中的时间片")
    t = serializers.CharField(max_length=64, help_text="二维码中的签到令牌")


class MarksInputSerializer(serializers.Serializer):
    marks = serializers.DictField(child=serializers.ChoiceField(choices=Attendance.Status.choices),
                                  help_text="学员（enrolment）编号 → 考勤状态")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AssessInputSerializer(serializers.Serializer):
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, max_value=100)


class DismissInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
    dismissed_on = serializers.DateField(required=False)
    evidence = serializers.FileField()
