"""Forms of the evaluation pages; they validate input only — the services do the writing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from guopei.delivery.models import TrainingClass
from guopei.orgs.models import Expert, Institution, Region
from guopei.plans.models import AnnualPlan, Project

from .models import LIKERT_LABELS, Bulletin, CompositeWeights, Forum, Question, Questionnaire, Rubric
from .scoring import INPUT_LABELS

ERR_WEIGHTS_SUM = "四项权重之和必须等于100（现在是{total}）。"
ERR_CRITERIA_LINE = "第{n}行格式应为：评分项|评分要点|满分（满分为1-100的整数）。"

DATE = forms.DateInput(attrs={"type": "date"})


def plan_years() -> list[int]:
    years = set(AnnualPlan.objects.values_list("year", flat=True))
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


def year_choices() -> list[tuple[int, str]]:
    return [(y, f"{y}年") for y in plan_years()]


def region_choices() -> Any:
    prefix = settings.PROVINCE_CODE[:2]
    return Region.objects.filter(code__startswith=prefix).select_related("parent").order_by("code")


def style(form: forms.BaseForm) -> None:
    """Give each widget its Bootstrap class."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class Styled:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        style(self)  # type: ignore[arg-type]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.full_name if obj.level != Region.Level.PROVINCE else f"{obj.name}（全省）"


class QuestionnaireForm(Styled, forms.ModelForm):
    class Meta:
        model = Questionnaire
        fields = ["title", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class QuestionForm(Styled, forms.Form):
    kind = forms.ChoiceField(label="题型", choices=Question.Kind.choices)
    text = forms.CharField(label="题目", max_length=300)
    choices = forms.CharField(label="选项（单选、多选题每行一个）", required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    required = forms.BooleanField(label="必答", required=False, initial=True)

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class CopyForm(Styled, forms.Form):
    title = forms.CharField(label="新问卷名称", max_length=200)


class SurveyOpenForm(Styled, forms.Form):
    klass = forms.ModelChoiceField(label="班次", queryset=TrainingClass.objects.none())
    questionnaire = forms.ModelChoiceField(label="问卷", queryset=Questionnaire.objects.filter(is_active=True))

    def __init__(self, *args: Any, classes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["klass"].queryset = classes  # type: ignore[attr-defined]


def answer_value(question: Question, data: Any) -> Any:
    """Read one question's answer from POST data (field name q<id>)."""
    name = f"q{question.pk}"
    if question.kind == Question.Kind.MULTIPLE:
        return data.getlist(name)
    return data.get(name, "")


LIKERT_CHOICES = [(value, f"{value} {label}") for value, label in LIKERT_LABELS.items()]


class RubricForm(Styled, forms.Form):
    name = forms.CharField(label="量表名称", max_length=100)
    description = forms.CharField(label="说明", max_length=500, required=False)
    criteria = forms.CharField(label="评分项（每行一项：评分项|评分要点|满分）",
                               widget=forms.Textarea(attrs={"rows": 6}))

    def clean_criteria(self) -> list[tuple[str, str, int]]:
        result = []
        for n, line in enumerate([ln for ln in self.cleaned_data["criteria"].splitlines() if ln.strip()], start=1):
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not parts[0] or not parts[2].isdigit() or not 1 <= int(parts[2]) <= 100:
                raise forms.ValidationError(ERR_CRITERIA_LINE.format(n=n))
            result.append((parts[0], parts[1], int(parts[2])))
        return result


class VisitAssignForm(Styled, forms.Form):
    expert = forms.ModelChoiceField(label="专家", queryset=Expert.objects.filter(is_active=True, user__isnull=False))
    project = forms.ModelChoiceField(label="项目", queryset=Project.objects.select_related("plan"))
    klass = forms.ModelChoiceField(label="班次（可选）", queryset=TrainingClass.objects.select_related("project"),
                                   required=False)
    institution = forms.ModelChoiceField(label="承训机构（未选班次时必填）", queryset=Institution.objects.all(),
                                         required=False)
    region = RegionChoiceField(label="调研地（可选，默认为班次所在地）", queryset=Region.objects.none(),
                               required=False)
    rubric = forms.ModelChoiceField(label="评分量表", queryset=Rubric.objects.filter(is_active=True))
    planned_on = forms.DateField(label="计划调研日期", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices()  # type: ignore[attr-defined]


class VisitFillForm(Styled, forms.Form):
    visited_on = forms.DateField(label="实际调研日期", widget=DATE, required=False)
    notes = forms.CharField(label="调研记录", required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"c{c.pk}"] = forms.DecimalField(
                label=f"{c.name}（满分{c.max_score}）", help_text=c.description, required=False, min_value=Decimal(0),
                max_value=Decimal(c.max_score), decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}))
        style(self)

    def scores(self) -> dict[int, Decimal | None]:
        return {c.pk: self.cleaned_data.get(f"c{c.pk}") for c in self.criteria}


class PhotoForm(Styled, forms.Form):
    photo = forms.FileField(label="照片", widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                                                  "capture": "environment"}))
    caption = forms.CharField(label="说明", max_length=200, required=False)


class ForumForm(Styled, forms.ModelForm):
    region = RegionChoiceField(label="所在地区", queryset=Region.objects.none())

    class Meta:
        model = Forum
        fields = ["held_on", "place", "region", "project", "klass", "institution", "participants", "names_consented",
                  "participant_names", "minutes", "findings", "rating"]
        widgets = {
            "held_on": DATE,
            "participant_names": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 6}),
            "findings": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices()  # type: ignore[attr-defined]
        self.fields["klass"].queryset = TrainingClass.objects.select_related("project")  # type: ignore[attr-defined]
        self.fields["project"].queryset = Project.objects.select_related("plan")  # type: ignore[attr-defined]


class ThirdPartyImportForm(Styled, forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, choices=())
    agency = forms.CharField(label="评估机构", max_length=200)
    file = forms.FileField(label="评分文件（.xlsx 或 .csv）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()  # type: ignore[attr-defined]


class WeightsForm(Styled, forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, choices=())
    survey = forms.IntegerField(label=INPUT_LABELS["survey"], min_value=0, max_value=100)
    visit = forms.IntegerField(label=INPUT_LABELS["visit"], min_value=0, max_value=100)
    forum = forms.IntegerField(label=INPUT_LABELS["forum"], min_value=0, max_value=100)
    third_party = forms.IntegerField(label=INPUT_LABELS["third_party"], min_value=0, max_value=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get(k) for k in ("survey", "visit", "forum", "third_party")]
        if all(p is not None for p in parts) and sum(parts) != 100:  # type: ignore[arg-type]
            raise forms.ValidationError(ERR_WEIGHTS_SUM.format(total=sum(parts)))  # type: ignore[arg-type]
        return data


class BulletinCreateForm(Styled, forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, choices=())
    title = forms.CharField(label="标题（留空按模板生成）", max_length=200, required=False)
    doc_number = forms.CharField(label="文号", max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = CompositeWeights.objects.order_by("-year").values_list("year", flat=True)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]  # type: ignore[attr-defined]


class BulletinEditForm(Styled, forms.ModelForm):
    class Meta:
        model = Bulletin
        fields = ["title", "doc_number", "commentary"]
        widgets = {"commentary": forms.Textarea(attrs={"rows": 10})}
