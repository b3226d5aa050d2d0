"""Forms for organisations and accounts. They parse input; the rules live in services.py.

Every choice offered is limited to what the signed-in manager may reach, so a county administrator is never
shown another county's schools, and a city administrator is never offered a province role.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from .models import Institution, Membership, Region, School, User
from .roles import GRANTABLE_ROLES
from .scoping import has_role, region_q, school_ids_of
from .services import ORG_EDITOR_ROLES, grantable_roles_for

Role = Membership.Role

COUNTY_LEVELS = [Region.Level.COUNTY, Region.Level.ZONE]
PASSWORDS_DIFFER = "两次输入的密码不一致。"


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name}（{obj.code}）"


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.county.full_name} · {obj.name}（{obj.code}）"


class BootstrapForm(forms.Form):
    """Give every widget Bootstrap's classes, so the templates stay a loop over the fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


def counties_in_reach(user: Any, roles: Any = ORG_EDITOR_ROLES) -> QuerySet[Region]:
    """Counties (and functional zones) the user administers through one of `roles`."""
    return (
        Region.objects.filter(region_q(user, "code", roles), level__in=COUNTY_LEVELS)
        .select_related("parent")
        .order_by("code")
    )


PUBLIC_CHOICES = [("1", "公办"), ("0", "民办")]
IN_PROVINCE_CHOICES = [("1", "省内"), ("0", "省外")]


def _as_bool(value: str) -> bool:
    return value == "1"


class SchoolForm(BootstrapForm):
    name = forms.CharField(label="名称", max_length=100)
    code = forms.RegexField(
        label="学校标识码", regex=r"^\d{10}$", max_length=10,
        error_messages={"invalid": "学校标识码应为10位数字。"},
    )
    county = RegionChoiceField(label="所在县区", queryset=Region.objects.none())
    kind = forms.ChoiceField(label="办学类型", choices=School.Kind.choices)
    location = forms.ChoiceField(label="城乡分类", choices=School.Location.choices)
    is_public = forms.TypedChoiceField(label="办学性质", choices=PUBLIC_CHOICES, coerce=_as_bool)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties_in_reach(user)  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, school: School) -> dict[str, Any]:
        return {"name": school.name, "code": school.code, "county": school.county_id, "kind": school.kind,
                "location": school.location, "is_public": "1" if school.is_public else "0"}


class InstitutionForm(BootstrapForm):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=Institution.Kind.choices)
    in_province = forms.TypedChoiceField(label="省内或省外", choices=IN_PROVINCE_CHOICES, coerce=_as_bool)
    region = RegionChoiceField(
        label="所在地（省内机构）", required=False,
        queryset=Region.objects.filter(level__in=[Region.Level.CITY, *COUNTY_LEVELS]).select_related("parent"),
    )
    on_remote_list = forms.BooleanField(label="列入教育部远程培训机构推荐名单", required=False)
    remote_list_since = forms.IntegerField(label="列入名单年份", required=False, min_value=2000, max_value=2100)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    contact = forms.CharField(label="联系人", max_length=50, required=False)

    @classmethod
    def initial_for(cls, institution: Institution) -> dict[str, Any]:
        return {
            "name": institution.name, "kind": institution.kind,
            "in_province": "1" if institution.in_province else "0", "region": institution.region_id,
            "on_remote_list": institution.on_remote_list, "remote_list_since": institution.remote_list_since,
            "credit_code": institution.credit_code, "contact": institution.contact,
        }


class CentreForm(BootstrapForm):
    name = forms.CharField(label="名称", max_length=100)
    director = forms.CharField(label="负责人", max_length=50, required=False)


class ExpertForm(BootstrapForm):
    name = forms.CharField(label="姓名", max_length=50)
    employer = forms.CharField(label="工作单位", max_length=100)
    field = forms.CharField(label="研究领域", max_length=100, required=False)
    title = forms.CharField(label="职称", max_length=50, required=False)
    institutions = forms.ModelMultipleChoiceField(
        label="关联机构（存在利益冲突，评审时回避）", required=False, queryset=Institution.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    user = forms.ModelChoiceField(
        label="登录账号（须拥有“评审专家”角色）", required=False,
        queryset=User.objects.filter(memberships__role=Role.EXPERT, memberships__is_active=True).distinct(),
    )
    is_active = forms.BooleanField(label="在库", required=False, initial=True)

    @classmethod
    def initial_for(cls, expert: Any) -> dict[str, Any]:
        return {"name": expert.name, "employer": expert.employer, "field": expert.field, "title": expert.title,
                "institutions": list(expert.institutions.all()), "user": expert.user_id,
                "is_active": expert.is_active}


class MembershipForm(BootstrapForm):
    """A role and its place, offered only as far as the manager may grant (MGMT-1)."""

    role = forms.ChoiceField(label="角色")
    region = RegionChoiceField(label="区域（市级、县级管理员）", required=False, queryset=Region.objects.none())
    school = SchoolChoiceField(label="学校（学校管理员、教师）", required=False, queryset=School.objects.none())
    institution = forms.ModelChoiceField(
        label="培训机构（培训机构人员）", required=False, queryset=Institution.objects.none()
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = grantable_roles_for(user)
        labels = dict(Role.choices)
        self.fields["role"].choices = [(r, labels[r]) for r in roles]  # type: ignore[attr-defined]
        region_roles = [m for m, grants in GRANTABLE_ROLES.items() if grants & {Role.CITY_ADMIN, Role.COUNTY_ADMIN}]
        regions = Region.objects.filter(
            region_q(user, "code", region_roles), level__in=[Region.Level.CITY, *COUNTY_LEVELS]
        ).select_related("parent")
        school_roles = [m for m, grants in GRANTABLE_ROLES.items() if grants & {Role.SCHOOL_ADMIN, Role.TEACHER}]
        region_admin_roles = [r for r in school_roles if r != Role.SCHOOL_ADMIN]
        schools = School.objects.filter(
            region_q(user, roles=region_admin_roles) | Q(pk__in=school_ids_of(user))
        ).select_related("county__parent")
        if {Role.CITY_ADMIN, Role.COUNTY_ADMIN} & set(roles):
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        else:
            del self.fields["region"]
        if {Role.SCHOOL_ADMIN, Role.TEACHER} & set(roles):
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        else:
            del self.fields["school"]
        if Role.INSTITUTION_STAFF in roles and has_role(user, Role.PROVINCE_ADMIN):
            self.fields["institution"].queryset = Institution.objects.all()  # type: ignore[attr-defined]
        else:
            del self.fields["institution"]

    def place(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"role": data["role"], "region": data.get("region"), "school": data.get("school"),
                "institution": data.get("institution")}


class PasswordFieldsMixin(forms.Form):
    password1 = forms.CharField(label="密码", strip=False, widget=forms.PasswordInput(render_value=False),
                                help_text="至少12位，不能是常见密码或纯数字。")
    password2 = forms.CharField(label="再次输入密码", strip=False, widget=forms.PasswordInput(render_value=False))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", PASSWORDS_DIFFER)
        return data


class AccountCreateForm(PasswordFieldsMixin, MembershipForm):
    username = forms.CharField(label="用户名", max_length=150, help_text="字母、数字和 @ . + - _，登录时使用。")
    full_name = forms.CharField(label="姓名", max_length=50)

    field_order = ["username", "full_name", "password1", "password2", "role", "region", "school", "institution"]


class PasswordResetForm(PasswordFieldsMixin, BootstrapForm):
    pass


class DisableForm(BootstrapForm):
    reason = forms.CharField(label="停用原因", max_length=200, required=False)
