"""API representations of tenders, bids, panels, awards and course plans. Bids are sealed: the API serves them
only to the province and to the bidder's own institution (the scoped selector decides)."""

from __future__ import annotations

from rest_framework import serializers

from .models import (
    Award,
    Bid,
    BidComponent,
    BidMember,
    CourseModule,
    CoursePlan,
    ExpertAssignment,
    Tender,
)


class TenderSerializer(serializers.ModelSerializer[Tender]):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    year = serializers.IntegerField(source="plan.year", read_only=True)
    required_lead_kinds = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Tender
        fields = ["id", "code", "title", "year", "project", "project_code", "project_name", "county", "agency",
                  "status", "status_display", "deadline", "min_valid_bids", "standstill_days", "standstill_until",
                  "max_price", "required_lead_kinds", "lead_on_remote_list", "weight_price", "weight_technical",
                  "weight_team", "weight_past", "failure_reason", "cancel_reason", "cancel_note", "published_at",
                  "is_demo"]
        read_only_fields = fields


class BidMemberSerializer(serializers.ModelSerializer[BidMember]):
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = BidMember
        fields = ["institution", "institution_name", "role"]
        read_only_fields = fields


class BidComponentSerializer(serializers.ModelSerializer[BidComponent]):
    kind = serializers.CharField(source="component.kind", read_only=True)
    hours = serializers.IntegerField(source="component.hours", read_only=True)
    host = serializers.CharField(source="host_label", read_only=True)

    class Meta:
        model = BidComponent
        fields = ["kind", "hours", "institution", "host_school", "host_name", "host"]
        read_only_fields = fields


class BidSerializer(serializers.ModelSerializer[Bid]):
    members = BidMemberSerializer(many=True, read_only=True)
    components = BidComponentSerializer(many=True, read_only=True)
    valid = serializers.BooleanField(source="is_valid", read_only=True)
    problems = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Bid
        fields = ["id", "tender", "lead", "members", "components", "price", "submitted_at", "valid", "problems",
                  "disqualified_reason", "score", "rank"]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer[ExpertAssignment]):
    expert_name = serializers.CharField(source="expert.name", read_only=True)
    tender_code = serializers.CharField(source="tender.code", read_only=True)

    class Meta:
        model = ExpertAssignment
        fields = ["id", "tender", "tender_code", "stage", "expert", "expert_name", "declared_at", "recused_at",
                  "submitted_at"]
        read_only_fields = fields


class AwardSerializer(serializers.ModelSerializer[Award]):
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    contract_code = serializers.SerializerMethodField()

    class Meta:
        model = Award
        fields = ["id", "project", "county", "tender", "institution", "institution_name", "kind", "kind_display",
                  "status", "status_display", "amount", "rank", "score", "fallback_from", "reference_2019",
                  "standstill_until", "ended_reason", "contract_code", "is_demo"]
        read_only_fields = fields

    def get_contract_code(self, award: Award) -> str | None:
        contract = getattr(award, "contract", None)
        return contract.code if contract is not None else None


class CourseModuleSerializer(serializers.ModelSerializer[CourseModule]):
    methods = serializers.ListField(child=serializers.CharField(), read_only=True)
    topics = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CourseModule
        fields = ["order", "title", "component", "theory_hours", "practice_hours", "methods", "topics",
                  "expected_outputs"]
        read_only_fields = fields


class CoursePlanSerializer(serializers.ModelSerializer[CoursePlan]):
    modules = CourseModuleSerializer(many=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)

    class Meta:
        model = CoursePlan
        fields = ["id", "award", "project", "county", "institution", "institution_name", "title", "status",
                  "status_display", "version", "submitted_at", "review_comment", "reviewed_at", "modules", "is_demo"]
        read_only_fields = fields


class ProblemsSerializer(serializers.Serializer):
    """What the course-plan checker still reports."""

    problems = serializers.ListField(child=serializers.CharField())
