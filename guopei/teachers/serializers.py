"""API shapes of the teacher database. ID numbers and phones only ever leave masked (the reveal action aside)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from guopei.core.models import Job
from guopei.core.pii import mask_id_number, mask_phone, pii_decrypt

from .models import Nomination, ReservePoolEntry, Teacher


class TeacherSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id_number_masked = serializers.SerializerMethodField(help_text="脱敏身份证号，如 140105********123X")
    phone_masked = serializers.SerializerMethodField(help_text="脱敏手机号，如 138****5678")
    birth_year = serializers.SerializerMethodField()
    school_code = serializers.CharField(source="school.code", read_only=True)
    school_name = serializers.CharField(source="school.name", read_only=True)

    class Meta:
        model = Teacher
        fields = ["id", "name", "name_pinyin", "gender", "id_number_masked", "phone_masked", "birth_year", "school",
                  "school_code", "school_name", "region_code", "segment", "subject", "title", "post",
                  "backbone_level", "preschool_major", "first_employed_on", "employment_type", "status", "is_demo"]
        read_only_fields = fields

    def get_id_number_masked(self, obj: Teacher) -> str:
        return mask_id_number(pii_decrypt(obj.id_number))

    def get_phone_masked(self, obj: Teacher) -> str:
        return mask_phone(pii_decrypt(obj.phone))

    def get_birth_year(self, obj: Teacher) -> int:
        return obj.birth_date.year


class RevealInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    field = serializers.ChoiceField(choices=[("id_number", "身份证号"), ("phone", "手机号")])


class RevealSerializer(serializers.Serializer):  # type: ignore[type-arg]
    field = serializers.CharField()
    value = serializers.CharField()


class ImportStartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=[("roster", "教师名册"), ("history", "参训历史")])
    file = serializers.FileField()


class ImportJobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    percent = serializers.IntegerField(read_only=True)
    has_error_file = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "title", "state", "done", "total", "percent", "message", "error", "result",
                  "has_error_file", "created_at", "finished_at"]
        read_only_fields = fields

    def get_has_error_file(self, obj: Job) -> bool:
        return bool(obj.result_file) and obj.state == Job.State.FAILED


class ReservePoolEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)

    class Meta:
        model = ReservePoolEntry
        fields = ["id", "teacher", "teacher_name", "category", "priority", "note", "created_at"]
        read_only_fields = ["id", "teacher_name", "created_at"]
        extra_kwargs = {"teacher": {"queryset": Teacher.objects.none()}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "teacher" in self.fields:
            from .selectors import managed_teachers_for_user

            self.fields["teacher"].queryset = managed_teachers_for_user(request.user)  # type: ignore[attr-defined]


class ReserveUpdateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    priority = serializers.IntegerField(min_value=1, max_value=9)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class NominationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    teacher_id_number_masked = serializers.SerializerMethodField()
    school_name = serializers.CharField(source="teacher.school.name", read_only=True)

    class Meta:
        model = Nomination
        fields = ["id", "project", "teacher", "teacher_name", "teacher_id_number_masked", "school_name", "county",
                  "status", "is_alternate", "substitute_for", "rank", "reason", "decided_at", "created_at"]
        read_only_fields = fields

    def get_teacher_id_number_masked(self, obj: Nomination) -> str:
        return mask_id_number(pii_decrypt(obj.teacher.id_number))


class NominationProposeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    project = serializers.IntegerField()
    county = serializers.RegexField(r"^\d{6}$")
    principals = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    alternates = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SubstituteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    alternate = serializers.IntegerField(required=False, allow_null=True, default=None)
    teacher = serializers.IntegerField(required=False, allow_null=True, default=None)


class SelectionReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    rule = serializers.CharField()
    exclusion = serializers.BooleanField()
    count = serializers.IntegerField()


class SelectionTeacherSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rank = serializers.IntegerField(allow_null=True)
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    school_name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    score = serializers.IntegerField(allow_null=True)
    in_pool = serializers.BooleanField(allow_null=True)
    past_count = serializers.IntegerField(allow_null=True)
    last_year = serializers.IntegerField(allow_null=True)


class SelectionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    project = serializers.IntegerField()
    region = serializers.CharField()
    on_date = serializers.DateField()
    cycle = serializers.ListField(child=serializers.IntegerField())
    cap = serializers.IntegerField()
    hours_required = serializers.IntegerField()
    total = serializers.IntegerField()
    eligible = serializers.IntegerField()
    reasons = SelectionReasonSerializer(many=True)
    page = serializers.IntegerField()
    has_next = serializers.BooleanField()
    teachers = SelectionTeacherSerializer(many=True)
