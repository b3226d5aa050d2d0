"""API representations of the evaluation. A survey carries counts always and its results only when they may be
shown (class ended, enough answers); no representation links an answer to anyone."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from .models import Bulletin, FieldVisit, Forum, Question, Questionnaire, Survey, ThirdPartyScore


class QuestionSerializer(serializers.ModelSerializer[Question]):
    class Meta:
        model = Question
        fields = ["id", "order", "kind", "text", "choices", "required"]
        read_only_fields = fields


class QuestionnaireSerializer(serializers.ModelSerializer[Questionnaire]):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["id", "title", "description", "is_active", "questions"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer[Survey]):
    class_name = serializers.CharField(source="klass.name", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    tokens = serializers.IntegerField(source="n_tokens", read_only=True, help_text="已发评教码")
    used = serializers.IntegerField(source="n_used", read_only=True, help_text="已使用的评教码")
    responses = serializers.IntegerField(source="n_responses", read_only=True, help_text="答卷数")

    class Meta:
        model = Survey
        fields = ["id", "klass", "class_name", "institution", "institution_name", "questionnaire", "year",
                  "region_code", "closed_at", "created_at", "tokens", "used", "responses"]
        read_only_fields = fields


class SurveyDetailSerializer(SurveySerializer):
    """A survey with its results, when they may be shown."""

    results = serializers.SerializerMethodField()

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "results"]
        read_only_fields = fields

    def get_results(self, obj: Survey) -> dict[str, Any]:
        from .survey_results import survey_results

        results = survey_results(obj)
        data: dict[str, Any] = {"visible": results.visible, "reason": results.reason, "tokens": results.tokens,
                                "used": results.used, "responses": results.responses, "minimum": results.minimum}
        if results.visible:
            data["score"] = str(results.score) if results.score is not None else None
            data["questions"] = [{"question": item.question.pk, "text": item.question.text,
                                  "answered": item.answered,
                                  "mean": str(item.mean) if item.mean is not None else None,
                                  "distribution": [{"label": label, "count": count, "percent": percent}
                                                   for label, count, percent in item.distribution],
                                  "texts": item.texts} for item in results.questions]
        return data


class SurveyAnswerSerializer(serializers.Serializer[Any]):
    survey = serializers.IntegerField(help_text="评教编号")
    token = serializers.CharField(max_length=64, help_text="评教码（大小写、空格和连字符不限）")
    answers = serializers.DictField(child=serializers.JSONField(), help_text="题目编号 → 答案（量表为1-5的整数，"
                                    "单选为选项文字，多选为选项文字列表，文字题为字符串）")


class VisitSerializer(serializers.ModelSerializer[FieldVisit]):
    expert_name = serializers.CharField(source="expert.name", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    scores = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = FieldVisit
        fields = ["id", "year", "expert", "expert_name", "project", "project_name", "klass", "institution",
                  "institution_name", "region_code", "rubric", "planned_on", "visited_on", "state", "score",
                  "submitted_at", "notes", "scores", "photos"]
        read_only_fields = fields

    def get_scores(self, obj: FieldVisit) -> list[dict[str, Any]]:
        return [{"criterion": s.criterion.name, "max_score": s.criterion.max_score, "score": str(s.score)}
                for s in obj.scores.all()]

    def get_photos(self, obj: FieldVisit) -> list[dict[str, Any]]:
        return [{"id": p.pk, "caption": p.caption, "url": reverse("evaluation:photo_file", args=[p.pk])}
                for p in obj.photos.all()]


class ForumSerializer(serializers.ModelSerializer[Forum]):
    participant_names = serializers.SerializerMethodField()

    class Meta:
        model = Forum
        fields = ["id", "year", "held_on", "place", "region_code", "project", "klass", "institution",
                  "participants", "names_consented", "participant_names", "minutes", "findings", "rating"]
        read_only_fields = fields

    def get_participant_names(self, obj: Forum) -> str:
        return obj.participant_names if obj.names_consented else ""


class ThirdPartyScoreSerializer(serializers.ModelSerializer[ThirdPartyScore]):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    agency = serializers.CharField(source="batch.agency", read_only=True)

    class Meta:
        model = ThirdPartyScore
        fields = ["id", "year", "institution", "institution_name", "project", "project_code", "region_code",
                  "score", "max_score", "comment", "agency"]
        read_only_fields = fields


class BulletinSerializer(serializers.ModelSerializer[Bulletin]):
    docx_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Bulletin
        fields = ["id", "year", "title", "doc_number", "status", "commentary", "data", "generated_at",
                  "published_at", "docx_url", "pdf_url"]
        read_only_fields = fields

    def get_docx_url(self, obj: Bulletin) -> str:
        return reverse("evaluation:bulletin_docx", args=[obj.pk])

    def get_pdf_url(self, obj: Bulletin) -> str:
        return reverse("evaluation:bulletin_pdf", args=[obj.pk])


class PerformanceRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    rank = serializers.IntegerField(allow_null=True)
    composite = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    change = serializers.CharField(allow_null=True)
    inputs = serializers.DictField(child=serializers.CharField(allow_null=True))
    counts = serializers.DictField(child=serializers.IntegerField())
