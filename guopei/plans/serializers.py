"""API representations of plans, projects, project counties, allocations and funds; input serializers validate
only shapes — the rules are in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Allocation, AnnualPlan, Commitment, Payment, Project, ProjectComponent, ProjectCounty


class PlanSerializer(serializers.ModelSerializer[AnnualPlan]):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    education_signed_by = serializers.CharField(source="education_signed_by.display_name", read_only=True,
                                                allow_null=True, default=None)
    finance_signed_by = serializers.CharField(source="finance_signed_by.display_name", read_only=True,
                                              allow_null=True, default=None)

    class Meta:
        model = AnnualPlan
        fields = ["id", "province", "year", "title", "doc_number", "issued_on", "status", "status_display",
                  "revision", "revision_reason", "education_signed_by", "education_signed_at", "finance_signed_by",
                  "finance_signed_at", "published_at", "is_demo"]
        read_only_fields = fields


class ComponentSerializer(serializers.ModelSerializer[ProjectComponent]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ProjectComponent
        fields = ["kind", "kind_display", "hours"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer[Project]):
    """A project with the structured target conditions the selection engine reads."""

    plan_year = serializers.IntegerField(source="plan.year", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    family = serializers.CharField(source="category.family.code", read_only=True)
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)
    training_form_display = serializers.CharField(source="get_training_form_display", read_only=True)
    components = ComponentSerializer(many=True, read_only=True)
    counties = serializers.SerializerMethodField(help_text="实施县区的区划代码")
    target_segments = serializers.ListField(child=serializers.CharField(), read_only=True)
    target_posts = serializers.ListField(child=serializers.CharField(), read_only=True)
    target_subjects = serializers.ListField(child=serializers.CharField(), read_only=True)
    target_backbone_levels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Project
        fields = [
            "id", "plan", "plan_year", "code", "name", "category", "category_name", "family", "parent",
            "parent_code", "target_description", "target_segments", "target_posts", "target_subjects", "rural_only",
            "target_backbone_levels", "preschool_major", "service_years_min", "service_years_max",
            "hired_within_years", "private_kindergartens_only", "project_counties_only", "training_form",
            "training_form_display", "days", "hours", "components", "quota", "cost_standard", "budget",
            "budget_is_explicit", "counties", "is_it20", "start_date", "end_date", "continues_from_2019",
            "previous_project_name", "previous_institution", "is_demo",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_counties(self, obj: Project) -> list[str]:
        return sorted(c.code for c in obj.counties.all())


class ProjectCountySerializer(serializers.ModelSerializer[ProjectCounty]):
    county_name = serializers.CharField(source="county.full_name", read_only=True)
    development_centre = serializers.CharField(source="development_centre.name", read_only=True, allow_null=True,
                                               default=None)

    class Meta:
        model = ProjectCounty
        fields = ["id", "year", "county", "county_name", "is_programme", "is_it20", "development_centre", "note",
                  "is_demo"]
        read_only_fields = fields


class AllocationSerializer(serializers.ModelSerializer[Allocation]):
    region_name = serializers.CharField(source="region.name", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    level = serializers.SerializerMethodField(help_text="city 市级名额 / county 县级名额")

    class Meta:
        model = Allocation
        fields = ["id", "project", "project_code", "region", "region_name", "level", "parent", "quota"]
        read_only_fields = fields

    def get_level(self, obj: Allocation) -> str:
        return "city" if obj.parent_id is None else "county"


class AllocationInputSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField(help_text="项目 id")
    region = serializers.RegexField(r"^\d{6}$", help_text="市或县区的区划代码")
    quota = serializers.IntegerField(min_value=0, help_text="名额；0 即取消该地区的名额")


class FundsSerializer(serializers.ModelSerializer[Project]):
    """A project's budget and spending; a parent project's figures include its sub-projects."""

    committed = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    paid = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    remaining = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["id", "plan", "code", "name", "category", "parent", "quota", "budget", "budget_is_explicit",
                  "committed", "paid", "remaining"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=2))
    def get_remaining(self, obj: Any) -> str:
        return str((obj.budget - max(obj.committed, obj.paid)).quantize(Decimal("0.01")))


class CommitmentSerializer(serializers.ModelSerializer[Commitment]):
    class Meta:
        model = Commitment
        fields = ["id", "project", "amount", "payee", "reference", "override_reason", "created_at"]
        read_only_fields = fields


class CommitmentInputSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    payee = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=200)
    override_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["id", "project", "paid_on", "amount", "payee", "voucher_number", "override_reason",
                  "has_attachment", "created_at"]
        read_only_fields = fields

    def get_has_attachment(self, obj: Payment) -> bool:
        return bool(obj.attachment)


class PaymentInputSerializer(serializers.Serializer[Any]):
    project = serializers.IntegerField()
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    payee = serializers.CharField(max_length=200)
    voucher_number = serializers.CharField(max_length=60)
    override_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
