"""API representations of the summary. Public serializers carry nothing personal: no uploader, and a
teacher's name only with their recorded consent."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from .models import Material, Submission, TraineeOutcome, TypicalCase


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    deadline = serializers.DateTimeField(read_only=True, help_text="规定截止时刻（截止日次日0时）")
    effective_deadline = serializers.DateTimeField(read_only=True, help_text="含延期的截止时刻")

    class Meta:
        model = Submission
        fields = ["id", "city", "city_name", "year", "state", "state_display", "is_late", "first_submitted_at",
                  "submitted_at", "deadline", "extended_until", "extension_reason", "effective_deadline",
                  "reviewed_at", "review_comment"]
        read_only_fields = fields


class MaterialSerializer(serializers.ModelSerializer[Material]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "submission", "city", "city_name", "kind", "kind_display", "title", "caption", "year",
                  "county", "school", "project_name", "original_name", "content_type", "size", "sha256", "width",
                  "height", "is_featured", "featured_at", "created_at", "file_url"]
        read_only_fields = fields

    def get_file_url(self, obj: Material) -> str:
        return reverse("summary:material_file", args=[obj.pk])


class CaseSerializer(serializers.ModelSerializer[TypicalCase]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    materials = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = TypicalCase
        fields = ["id", "submission", "city", "city_name", "title", "county", "school", "project_name",
                  "background", "highlights", "effects", "materials", "is_featured", "featured_at", "created_at"]
        read_only_fields = fields


class OutcomeSerializer(serializers.ModelSerializer[TraineeOutcome]):
    city_name = serializers.CharField(source="city.name", read_only=True)

    class Meta:
        model = TraineeOutcome
        fields = ["id", "submission", "city", "city_name", "stage", "form", "title", "year", "county", "school",
                  "project_name", "summary", "material", "consent", "consent_note", "teacher_name",
                  "teacher_school", "is_featured", "featured_at", "created_at"]
        read_only_fields = fields


class MaterialUploadSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Input of an upload: the file and its description (the type is judged from the content)."""

    file = serializers.FileField()
    title = serializers.CharField(max_length=100)
    caption = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    year = serializers.IntegerField(min_value=2010, max_value=2020)
    county = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    school = serializers.IntegerField(required=False, allow_null=True, default=None)
    project_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.Serializer):  # type: ignore[type-arg]
    accept = serializers.BooleanField(help_text="true 通过；false 退回修改")
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="退回时必填")


# --- The public column (SUMMARY-2) ------------------------------------------------------------------------
class PublicMaterialSerializer(serializers.ModelSerializer[Material]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    city_name = serializers.CharField(source="city.name", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True, allow_null=True, default=None)
    file_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "kind", "title", "caption", "year", "city_name", "county_name", "project_name",
                  "content_type", "file_url", "thumbnail_url"]
        read_only_fields = fields

    def get_file_url(self, obj: Material) -> str:
        return reverse("public:file", args=[obj.public_id])

    def get_thumbnail_url(self, obj: Material) -> str | None:
        if obj.thumbnail:
            return reverse("public:thumb", args=[obj.public_id])
        if obj.poster:
            return reverse("public:poster", args=[obj.public_id])
        return None


class PublicCaseSerializer(serializers.ModelSerializer[TypicalCase]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True, allow_null=True, default=None)
    url = serializers.SerializerMethodField()

    class Meta:
        model = TypicalCase
        fields = ["id", "title", "city_name", "county_name", "project_name", "background", "highlights", "effects",
                  "url"]
        read_only_fields = fields

    def get_url(self, obj: TypicalCase) -> str:
        return reverse("public:case", args=[obj.pk])


class PublicOutcomeSerializer(serializers.ModelSerializer[TraineeOutcome]):
    city_name = serializers.CharField(source="city.name", read_only=True)
    author = serializers.CharField(source="public_teacher", read_only=True, help_text="仅在教师本人同意时显示")
    url = serializers.SerializerMethodField()

    class Meta:
        model = TraineeOutcome
        fields = ["id", "stage", "form", "title", "year", "city_name", "project_name", "summary", "author", "url"]
        read_only_fields = fields

    def get_url(self, obj: TraineeOutcome) -> str:
        return reverse("public:outcome", args=[obj.pk])
