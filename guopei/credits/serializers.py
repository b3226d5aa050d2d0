"""Serializers of the credits API: they validate input and render output; services do the writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guopei.delivery.models import TrainingClass
from guopei.orgs.models import School
from guopei.plans.models import ProjectCounty
from guopei.teachers.models import Teacher

from .models import HourRecord
from .services import TEACHER_KINDS


class HourRecordSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    school_name = serializers.CharField(source="teacher.school.name", read_only=True)
    total_hours = serializers.DecimalField(max_digits=6, decimal_places=1, read_only=True)
    evidence_url = serializers.SerializerMethodField()

    class Meta:
        model = HourRecord
        fields = ["id", "teacher", "teacher_name", "school_name", "region_code", "year", "kind", "origin", "title",
                  "organiser", "project", "institution", "source_ref", "is_it20", "started_on", "ended_on",
                  "theory_hours", "practice_hours", "total_hours", "note", "evidence_name", "evidence_url", "status",
                  "submitted_at", "decided_at", "reject_reason", "credits"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_evidence_url(self, obj: HourRecord) -> str:
        return reverse("credits:record_evidence", args=[obj.pk]) if obj.evidence else ""


class HourRecordSubmitSerializer(serializers.Serializer):
    """A teacher's submission of other training; `evidence` is required (MGMT-3)."""

    year = serializers.IntegerField(min_value=2010, max_value=2100)
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in TEACHER_KINDS])
    title = serializers.CharField(max_length=200)
    organiser = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    started_on = serializers.DateField(required=False, allow_null=True, default=None)
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    theory_hours = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0))
    practice_hours = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=Decimal(0))
    is_it20 = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence = serializers.FileField(required=False, allow_null=True, default=None)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True)


class BulkApproveSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class BulkResultSerializer(serializers.Serializer):
    approved = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.IntegerField()


class TeacherTotalsSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    year = serializers.SerializerMethodField()
    year_hours = serializers.DecimalField(max_digits=9, decimal_places=1, read_only=True)
    year_credits = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    cycle_hours = serializers.DecimalField(max_digits=9, decimal_places=1, read_only=True)
    cycle_credits = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    pending_hours = serializers.DecimalField(max_digits=9, decimal_places=1, read_only=True)

    class Meta:
        model = Teacher
        fields = ["id", "name", "school", "school_name", "region_code", "year", "year_hours", "year_credits",
                  "cycle_hours", "cycle_credits", "pending_hours"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_year(self, obj: Any) -> int:
        return int(self.context["year"])


class _ProgressFields(serializers.Serializer):
    teachers = serializers.IntegerField(source="teacher_count", read_only=True)
    complete = serializers.IntegerField(source="complete_count", read_only=True)
    share = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_share(self, obj: Any) -> str:
        """Share of teachers who completed (PLAN-5), in percent with one decimal."""
        if not obj.teacher_count:
            return "0.0"
        return str((Decimal(obj.complete_count) * 100 / Decimal(obj.teacher_count)).quantize(Decimal("0.1")))


class IT20SchoolSerializer(_ProgressFields, serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["id", "name", "region_code", "kind", "teachers", "complete", "share"]
        read_only_fields = fields


class IT20CountySerializer(_ProgressFields, serializers.ModelSerializer):
    name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = ProjectCounty
        fields = ["year", "region_code", "name", "teachers", "complete", "share"]
        read_only_fields = fields


class ClassHoursSerializer(serializers.ModelSerializer):
    """An ended class of the user's institution with trainees who passed and hour records submitted."""

    project_name = serializers.CharField(source="project.name", read_only=True)
    is_it20 = serializers.BooleanField(source="project.is_it20", read_only=True)
    passed = serializers.IntegerField(read_only=True)
    submitted = serializers.IntegerField(read_only=True)
    recognised = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingClass
        fields = ["id", "name", "project", "project_name", "is_it20", "start_date", "end_date", "passed",
                  "submitted", "recognised"]
        read_only_fields = fields


class ClassSubmitResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    records = serializers.ListField(child=serializers.IntegerField())
