"""Query-string filters of the organisation endpoints. They narrow a scoped queryset; they never widen it."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from guopei.orgs.models import Institution, Region, School


class RegionFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Region.Level.choices, label="级别")
    parent = filters.CharFilter(field_name="parent_id", label="上级区划代码")

    class Meta:
        model = Region
        fields = ["level", "parent"]


class SchoolFilter(filters.FilterSet):
    county = filters.CharFilter(field_name="region_code", label="县区区划代码")
    kind = filters.ChoiceFilter(choices=School.Kind.choices, label="办学类型")
    location = filters.ChoiceFilter(choices=School.Location.choices, label="城乡分类")
    q = filters.CharFilter(method="filter_q", label="名称包含，或完整的学校标识码")

    class Meta:
        model = School
        fields = ["county", "kind", "location", "q"]

    def filter_q(self, queryset: QuerySet[School], name: str, value: str) -> QuerySet[School]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value) | Q(code=value))


class InstitutionFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Institution.Kind.choices, label="类型")
    in_province = filters.BooleanFilter(label="省内机构")
    on_remote_list = filters.BooleanFilter(label="列入教育部远程培训机构推荐名单")

    class Meta:
        model = Institution
        fields = ["kind", "in_province", "on_remote_list"]
