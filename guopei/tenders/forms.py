"""Forms of the tender and course-plan pages. They parse input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from guopei.orgs.models import Expert, Institution, Region, School
from guopei.plans.models import Project, ProjectComponent

from .checker import ModuleData
from .models import HOSTED_KINDS, Award, BidDocument, CourseModule, Tender, TenderDocument, TopicTag
from .services import TenderInput

SELECT = {"class": "form-select form-select-sm"}
TEXT = {"class": "form-control form-control-sm"}
CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


def lot_projects() -> Any:
    """Projects that can be tendered: published, without sub-projects, not continuing from 2019."""
    return (Project.objects.filter(plan__published_at__isnull=False, continues_from_2019=False, children__isnull=True)
            .select_related("plan").order_by("-plan__year", "code"))


class TenderForm(StyledForm):
    project = forms.ModelChoiceField(label="项目（标段）", queryset=Project.objects.none())
    county = forms.ModelChoiceField(label="信息技术2.0项目区县", required=False,
                                    queryset=Region.objects.filter(level=Region.Level.COUNTY).select_related("parent"),
                                    help_text="仅信息技术2.0项目按县区分别招标。")
    code = forms.CharField(label="招标编号", max_length=40)
    title = forms.CharField(label="招标名称", max_length=200)
    agency = forms.CharField(label="招标代理机构", max_length=100)
    deadline = forms.DateTimeField(label="投标截止时间",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    min_valid_bids = forms.IntegerField(label="最少有效投标数", min_value=1, max_value=20, required=False,
                                        help_text="留空则用全省默认值；有效投标少于此数即流标。")
    standstill_days = forms.IntegerField(label="定标公示期（天）", min_value=0, max_value=30, required=False,
                                         help_text="留空则用全省默认值。")
    max_price = forms.DecimalField(label="最高限价（元）", required=False, min_value=0, decimal_places=2)
    required_lead_kinds = forms.MultipleChoiceField(label="牵头单位类型要求", required=False,
                                                    choices=Institution.Kind.choices, widget=CHECKS)
    lead_on_remote_list = forms.BooleanField(label="牵头单位须列入远程培训机构推荐名单", required=False)
    weight_price = forms.IntegerField(label="价格", min_value=0, max_value=100, initial=30)
    weight_technical = forms.IntegerField(label="技术方案", min_value=0, max_value=100, initial=40)
    weight_team = forms.IntegerField(label="团队", min_value=0, max_value=100, initial=20)
    weight_past = forms.IntegerField(label="以往绩效", min_value=0, max_value=100, initial=10)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field: Any = self.fields["project"]
        project_field.queryset = lot_projects()
        if editing:
            del self.fields["project"]
            del self.fields["county"]

    def tender_input(self) -> TenderInput:
        data = self.cleaned_data
        return TenderInput(
            code=data["code"], title=data["title"], agency=data["agency"], deadline=data["deadline"],
            min_valid_bids=data["min_valid_bids"], standstill_days=data["standstill_days"],
            max_price=data["max_price"], required_lead_kinds=data["required_lead_kinds"],
            lead_on_remote_list=data["lead_on_remote_list"], weight_price=data["weight_price"],
            weight_technical=data["weight_technical"], weight_team=data["weight_team"],
            weight_past=data["weight_past"],
        )

    @staticmethod
    def initial_for(tender: Tender) -> dict[str, Any]:
        return {f: getattr(tender, f) for f in (
            "code", "title", "agency", "deadline", "min_valid_bids", "standstill_days", "max_price",
            "required_lead_kinds", "lead_on_remote_list", "weight_price", "weight_technical", "weight_team",
            "weight_past")}


class CancelForm(StyledForm):
    reason = forms.ChoiceField(label="终止原因", choices=[("", "请选择"), *list(Tender.CancelReason.choices)])
    note = forms.CharField(label="说明", max_length=500, required=False)


class TenderDocumentForm(StyledForm):
    kind = forms.ChoiceField(label="文件类型", choices=TenderDocument.Kind.choices)
    title = forms.CharField(label="标题", max_length=200, required=False)
    file = forms.FileField(label="文件（PDF 或 Word .docx）")


class ExpertAssignForm(StyledForm):
    expert = forms.ModelChoiceField(label="专家", queryset=Expert.objects.filter(is_active=True, user__isnull=False)
                                    .order_by("name"))


class DisqualifyForm(StyledForm):
    reason = forms.CharField(label="取消资格原因", max_length=500)


class AwardEndForm(StyledForm):
    status = forms.ChoiceField(label="情形", choices=[(Award.Status.DECLINED, "中标人放弃"),
                                                     (Award.Status.DISQUALIFIED, "取消中标资格")])
    reason = forms.CharField(label="原因", max_length=500)


class ContractForm(StyledForm):
    override_reason = forms.CharField(
        label="超预算说明（仅财政厅经办人）", max_length=500, required=False,
        help_text="合同金额超出项目预算时，须由财政厅经办人填写说明后签订。")


class ContinuationForm(ContractForm):
    amount = forms.DecimalField(label="合同金额（元）", min_value=0, decimal_places=2)
    field_order = ["amount", "override_reason"]


class CandidateForm(StyledForm):
    institution = forms.ModelChoiceField(label="候选机构", queryset=Institution.objects.order_by("name"))
    note = forms.CharField(label="推荐理由", max_length=300, required=False)


class ConfirmForm(StyledForm):
    amount = forms.DecimalField(label="合同金额（元）", min_value=0, decimal_places=2)


class DeclareForm(StyledForm):
    no_conflict = forms.TypedChoiceField(
        label="利益冲突声明", coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        choices=[("yes", "本人与各投标（候选）机构均无利害关系"), ("no", "本人与其中的机构存在关联，申请回避")])
    reason = forms.CharField(label="关联说明（申请回避时填写）", max_length=300, required=False)


class ReviewForm(StyledForm):
    decision = forms.ChoiceField(label="审核结果", choices=[("approve", "通过"), ("return", "退回修改")],
                                 widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    comment = forms.CharField(label="审核意见", max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


# --- bids ---------------------------------------------------------------------------------------------------
class BidForm(StyledForm):
    """A bid: lead, consortium partners, who delivers each component (and hosts), price and documents."""

    lead = forms.ModelChoiceField(label="牵头单位", queryset=Institution.objects.none())
    partners = forms.ModelMultipleChoiceField(label="联合体成员（可不选）", required=False,
                                              queryset=Institution.objects.order_by("name"),
                                              widget=forms.SelectMultiple(attrs={"size": 6}))
    price = forms.DecimalField(label="投标报价（元）", min_value=0, decimal_places=2)
    doc_price = forms.FileField(label=BidDocument.Kind.PRICE.label)
    doc_technical = forms.FileField(label=BidDocument.Kind.TECHNICAL.label)
    doc_team = forms.FileField(label=BidDocument.Kind.TEAM.label)

    def __init__(self, *args: Any, tender: Tender, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lead_field: Any = self.fields["lead"]
        lead_field.queryset = institutions
        if institutions.count() == 1:
            self.fields["lead"].initial = institutions.first()
        self.components = list(tender.project.components.all())
        everyone = Institution.objects.order_by("name")
        for component in self.components:
            self.fields[f"member_{component.pk}"] = forms.ModelChoiceField(
                label=f"{component.get_kind_display()}（{component.hours}学时）承担单位", queryset=everyone,
                widget=forms.Select(attrs=SELECT))
            if component.kind in HOSTED_KINDS:
                self.fields[f"school_{component.pk}"] = forms.CharField(
                    label="省内接待学校（学校标识码）", required=False, max_length=10,
                    widget=forms.TextInput(attrs={**TEXT, "inputmode": "numeric"}))
                self.fields[f"host_{component.pk}"] = forms.CharField(
                    label="或省外接待学校名称", required=False, max_length=200, widget=forms.TextInput(attrs=TEXT))

    def component_rows(self) -> list[dict[str, Any]]:
        rows = []
        for c in self.components:
            rows.append({"component": c, "member": self[f"member_{c.pk}"],
                         "school": self[f"school_{c.pk}"] if c.kind in HOSTED_KINDS else None,
                         "host": self[f"host_{c.pk}"] if c.kind in HOSTED_KINDS else None})
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for c in self.components:
            if c.kind not in HOSTED_KINDS:
                continue
            code = (data.get(f"school_{c.pk}") or "").strip()
            if code:
                school = School.objects.filter(code=code).first()
                if school is None:
                    self.add_error(f"school_{c.pk}", "没有这个学校标识码。")
                else:
                    data[f"school_obj_{c.pk}"] = school
        return data

    def choices(self) -> dict[int, Any]:
        from .services import ComponentChoice

        data = self.cleaned_data
        result = {}
        for c in self.components:
            result[c.pk] = ComponentChoice(institution=data[f"member_{c.pk}"],
                                           host_school=data.get(f"school_obj_{c.pk}"),
                                           host_name=(data.get(f"host_{c.pk}") or "") if not
                                           data.get(f"school_obj_{c.pk}") else "")
        return result


# --- course plans -------------------------------------------------------------------------------------------
def _int(value: Any) -> int:
    try:
        return max(0, int(str(value).strip()))
    except (TypeError, ValueError):
        return 0


class ModuleForm(forms.Form):
    title = forms.CharField(label="模块名称", max_length=200, required=False,
                            widget=forms.TextInput(attrs={**TEXT, "placeholder": "模块名称"}))
    component = forms.ChoiceField(label="环节", choices=ProjectComponent.Kind.choices,
                                  widget=forms.Select(attrs=SELECT))
    theory_hours = forms.IntegerField(label="理论学时", min_value=0, max_value=999, initial=0,
                                      widget=forms.NumberInput(attrs={**TEXT, "min": 0}))
    practice_hours = forms.IntegerField(label="实践学时", min_value=0, max_value=999, initial=0,
                                        widget=forms.NumberInput(attrs={**TEXT, "min": 0}))
    methods = forms.MultipleChoiceField(label="教学方式", required=False, choices=CourseModule.Method.choices,
                                        widget=CHECKS)
    topics = forms.MultipleChoiceField(label="专题标签", required=False, choices=(), widget=CHECKS)
    expected_outputs = forms.CharField(label="预期成果", max_length=500, required=False,
                                       widget=forms.TextInput(attrs={**TEXT, "placeholder": "如：教学设计、课例视频"}))

    def __init__(self, *args: Any, components: list[tuple[str, str]], tags: list[TopicTag], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        component_field: Any = self.fields["component"]
        topics_field: Any = self.fields["topics"]
        if components:
            component_field.choices = components
        topics_field.choices = [(t.code, t.name) for t in tags]
        self.tag_groups = [(label, [t.code for t in tags if t.group == group])
                           for group, label in TopicTag.Group.choices]

    def topics_by_group(self) -> list[tuple[str, list[Any]]]:
        """The topic checkboxes grouped by catalogue group, for the template."""
        by_code = {str(w.data["value"]): w for w in self["topics"]}
        return [(label, [by_code[c] for c in codes if c in by_code]) for label, codes in self.tag_groups]

    def module_data(self) -> ModuleData | None:
        """Read the row leniently (the live checker runs on half-filled rows); None for a deleted or blank row."""
        data = self.data
        if data.get(self.add_prefix("DELETE")) in ("on", "true", "1"):
            return None
        title = (data.get(self.add_prefix("title")) or "").strip()
        theory = _int(data.get(self.add_prefix("theory_hours")))
        practice = _int(data.get(self.add_prefix("practice_hours")))
        methods = tuple(data.getlist(self.add_prefix("methods"))) if hasattr(data, "getlist") else ()
        topics = tuple(data.getlist(self.add_prefix("topics"))) if hasattr(data, "getlist") else ()
        outputs = (data.get(self.add_prefix("expected_outputs")) or "").strip()
        if not (title or theory or practice or methods or topics or outputs):
            return None
        return ModuleData(title=title, component=data.get(self.add_prefix("component")) or "",
                          theory_hours=theory, practice_hours=practice, methods=methods, topics=topics,
                          expected_outputs=outputs)


ModuleFormSet = formset_factory(ModuleForm, extra=0, can_delete=True, max_num=200, absolute_max=200)


def module_formset(plan: Any, data: Any = None) -> Any:
    components = [(c.kind, f"{c.get_kind_display()}（{c.hours}学时）") for c in plan.project.components.all()]
    tags = list(TopicTag.objects.filter(is_active=True).order_by("order", "code"))
    initial = [{"title": m.title, "component": m.component, "theory_hours": m.theory_hours,
                "practice_hours": m.practice_hours, "methods": m.methods, "topics": m.topics,
                "expected_outputs": m.expected_outputs} for m in plan.modules.all()]
    if not initial and data is None:
        initial = [{"component": c[0], "theory_hours": 0, "practice_hours": 0} for c in components[:1]] or [{}]
    return ModuleFormSet(data, initial=initial if data is None else None, prefix="m",
                         form_kwargs={"components": components, "tags": tags})


def modules_from(formset: Any) -> list[ModuleData]:
    return [m for form in formset.forms if (m := form.module_data()) is not None]

