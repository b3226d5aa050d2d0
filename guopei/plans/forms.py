"""Forms for the plan pages; the services do the rule checks, forms only parse input."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from guopei.orgs.models import Institution, Region, School

from .models import AnnualPlan, Category, Family, Project, ProjectComponent
from .services import ProjectInput

SPLIT = re.compile(r"[、,，;；\s]+")


def split_list(text: str) -> list[str]:
    return [part for part in SPLIT.split(text or "") if part]


class DateInput(forms.DateInput):
    input_type = "date"


class StyledForm:
    """Give every widget its Bootstrap class."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._style()

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class PlanForm(StyledForm, forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["year", "title", "doc_number", "issued_on"]
        widgets = {"issued_on": DateInput(format="%Y-%m-%d")}


class PlanEditForm(StyledForm, forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["title", "doc_number", "issued_on"]
        widgets = {"issued_on": DateInput(format="%Y-%m-%d")}


class ReasonForm(StyledForm, forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(StyledForm, forms.Form):
    title = forms.CharField(label="文件名称", max_length=200, required=False)
    file = forms.FileField(label="文件")


class UploadForm(StyledForm, forms.Form):
    file = forms.FileField(label="文件（.xlsx）")


class CountyUploadForm(UploadForm):
    year = forms.IntegerField(label="年度", min_value=2010, max_value=2100)


class CategoryForm(StyledForm, forms.Form):
    family = forms.ModelChoiceField(label="项目类别组", queryset=Family.objects.all())
    name = forms.CharField(label="类别名称", max_length=100)
    since_year = forms.IntegerField(label="启用年份", min_value=2010, max_value=2100, required=False)


class ProjectCountyForm(StyledForm, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2010, max_value=2100)
    county = forms.ModelChoiceField(label="县区", queryset=Region.objects.filter(level=Region.Level.COUNTY)
                                    .select_related("parent"))
    is_programme = forms.BooleanField(label="国培项目区县", required=False)
    is_it20 = forms.BooleanField(label="信息技术2.0项目区县", required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].label_from_instance = lambda r: f"{r.code} {r.full_name}"  # type: ignore[attr-defined]


class AllocationForm(StyledForm, forms.Form):
    region = forms.ModelChoiceField(label="市/县区", queryset=Region.objects.none())
    quota = forms.IntegerField(label="名额", min_value=0)

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"  # type: ignore[attr-defined]


class CommitmentForm(StyledForm, forms.Form):
    amount = forms.DecimalField(label="金额（元）", max_digits=14, decimal_places=2, min_value=0.01)
    payee = forms.CharField(label="收款单位", max_length=200)
    reference = forms.CharField(label="依据（合同/中标通知）", max_length=200)
    override_reason = forms.CharField(label="超预算说明（仅财政厅经办人）", max_length=500, required=False)


class PaymentForm(StyledForm, forms.Form):
    paid_on = forms.DateField(label="支付日期", widget=DateInput(format="%Y-%m-%d"))
    amount = forms.DecimalField(label="金额（元）", max_digits=14, decimal_places=2, min_value=0.01)
    payee = forms.CharField(label="收款单位", max_length=200)
    voucher_number = forms.CharField(label="凭证号", max_length=60)
    attachment = forms.FileField(label="附件（凭证扫描件）", required=False)
    override_reason = forms.CharField(label="超预算说明", max_length=500, required=False)


PRESCHOOL_CHOICES = [("", "不限"), ("yes", "学前教育专业"), ("no", "非学前教育专业")]
COMPONENT_PREFIX = "component_"


class ProjectForm(StyledForm, forms.ModelForm):
    """A project with its target conditions, components and implementation counties."""

    target_segments = forms.MultipleChoiceField(label="学段（学校类型）", choices=School.Kind.choices, required=False,
                                                widget=forms.CheckboxSelectMultiple)
    target_posts = forms.MultipleChoiceField(label="岗位", choices=Project.Post.choices, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    target_backbone_levels = forms.MultipleChoiceField(label="骨干级别", choices=Project.BackboneLevel.choices,
                                                       required=False, widget=forms.CheckboxSelectMultiple)
    target_subjects = forms.CharField(label="学科（用顿号分隔）", required=False)
    preschool_major = forms.ChoiceField(label="学前教育专业", choices=PRESCHOOL_CHOICES, required=False)
    counties = forms.ModelMultipleChoiceField(
        label="实施县区（限定项目区县或信息技术2.0项目时按名单自动设定）",
        queryset=Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Project
        fields = [
            "code", "name", "category", "parent", "target_description", "rural_only", "service_years_min",
            "service_years_max", "hired_within_years", "private_kindergartens_only", "project_counties_only",
            "is_it20", "training_form", "days", "hours", "quota", "cost_standard", "budget_is_explicit", "budget",
            "start_date", "end_date", "continues_from_2019", "previous_project_name", "previous_institution",
        ]
        widgets = {"start_date": DateInput(format="%Y-%m-%d"), "end_date": DateInput(format="%Y-%m-%d")}

    def __init__(self, *args: Any, plan: AnnualPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        parents = Project.objects.filter(plan=plan, parent__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related(  # type: ignore
            "family")
        self.fields["previous_institution"].queryset = Institution.objects.all()  # type: ignore[attr-defined]
        self.fields["counties"].label_from_instance = (  # type: ignore[attr-defined]
            lambda r: f"{r.code} {r.full_name}")
        self.fields["budget"].required = False
        self.fields["budget"].help_text = "勾选“预算单独核定”时填写；否则按 培训人数×天数×经费标准 计算。"
        existing = {c.kind: c.hours for c in self.instance.components.all()} if self.instance.pk else {}
        for kind, label in ProjectComponent.Kind.choices:
            self.fields[COMPONENT_PREFIX + kind] = forms.IntegerField(
                label=f"{label}学时", min_value=0, required=False, initial=existing.get(kind))
        if self.instance.pk:
            self.initial["target_subjects"] = "、".join(self.instance.target_subjects or [])
            self.initial["counties"] = list(self.instance.counties.all())
            pm = self.instance.preschool_major
            self.initial["preschool_major"] = "" if pm is None else ("yes" if pm else "no")
        self._style()

    CHECKBOX_GROUPS = ("target_segments", "target_posts", "target_backbone_levels")
    GROUPS = [
        ("基本信息", ["code", "name", "category", "parent", "training_form", "is_it20", "start_date", "end_date"]),
        ("培训对象（遴选条件）", ["target_description", "target_segments", "target_posts", "target_subjects",
                           "target_backbone_levels", "rural_only", "preschool_major", "service_years_min",
                           "service_years_max", "hired_within_years", "private_kindergartens_only",
                           "project_counties_only"]),
        ("学时与环节", ["days", "hours", *[COMPONENT_PREFIX + k for k in ProjectComponent.Kind.values]]),
        ("人数、县区与经费", ["quota", "counties", "cost_standard", "budget_is_explicit", "budget"]),
        ("延续2019年项目", ["continues_from_2019", "previous_project_name", "previous_institution"]),
    ]

    def groups(self) -> list[tuple[str, list[Any]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def to_input(self) -> ProjectInput:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in self.Meta.fields}
        fields["budget"] = data.get("budget") or fields.get("budget") or 0
        if not data.get("budget_is_explicit"):
            fields.pop("budget")
        for name in ("target_segments", "target_posts", "target_backbone_levels"):
            fields[name] = list(data.get(name) or [])
        fields["target_subjects"] = split_list(data.get("target_subjects", ""))
        fields["preschool_major"] = {"yes": True, "no": False}.get(data.get("preschool_major") or "")
        for name in ("previous_project_name", "target_description"):
            fields[name] = fields.get(name) or ""
        components = {kind: data.get(COMPONENT_PREFIX + kind) or 0 for kind in ProjectComponent.Kind.values}
        counties = [r.code for r in data.get("counties") or []]
        return ProjectInput(fields=fields, components=components, county_codes=counties)

    def _post_clean(self) -> None:
        # Rules are checked by the service (plans.services.project_create/update), not by ModelForm's
        # instance validation, so that the form, the import and the API refuse the same things.
        pass
