"""Forms of credit hours: a teacher's submission of other training, the county's rejection, list filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

from .models import HourRecord
from .selectors import current_year
from .services import TEACHER_KINDS

SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def year_choices(span: int = 6) -> list[tuple[int, str]]:
    this = current_year()
    return [(y, f"{y}年") for y in range(this, this - span, -1)]


class HourRecordForm(forms.Form):
    """Other training a teacher took part in (MGMT-3): evidence is required."""

    year = forms.TypedChoiceField(label="年度", coerce=int, choices=(), widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label="培训类型", widget=forms.Select(attrs=SELECT),
                             choices=[(k.value, k.label) for k in TEACHER_KINDS])
    title = forms.CharField(label="培训名称", max_length=200, widget=forms.TextInput(attrs=SMALL))
    organiser = forms.CharField(label="组织单位", max_length=100, required=False, widget=forms.TextInput(attrs=SMALL),
                                help_text="如：本校教研组、县教师发展中心")
    started_on = forms.DateField(label="开始日期", required=False,
                                 widget=forms.DateInput(attrs={**SMALL, "type": "date"}))
    ended_on = forms.DateField(label="结束日期", required=False,
                               widget=forms.DateInput(attrs={**SMALL, "type": "date"}))
    theory_hours = forms.DecimalField(label="理论学时", max_digits=5, decimal_places=1, min_value=Decimal(0),
                                      initial=Decimal(0), widget=forms.NumberInput(attrs={**SMALL, "step": "0.5"}))
    practice_hours = forms.DecimalField(label="实践学时", max_digits=5, decimal_places=1, min_value=Decimal(0),
                                        initial=Decimal(0), widget=forms.NumberInput(attrs={**SMALL, "step": "0.5"}),
                                        help_text="实践应用（返岗实践、课堂应用等）的学时")
    is_it20 = forms.BooleanField(label="属于信息技术应用能力提升工程2.0研修", required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    note = forms.CharField(label="说明", max_length=500, required=False,
                           widget=forms.Textarea(attrs={**SMALL, "rows": 2}))
    evidence = forms.FileField(label="证明材料", widget=forms.ClearableFileInput(attrs=SMALL),
                               help_text="结业证书、培训通知或学校出具的证明，PDF、图片或 Word 文档")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()  # type: ignore[attr-defined]
        limit = settings.CREDIT_EVIDENCE_MAX_BYTES // (1024 * 1024)
        self.fields["evidence"].help_text += f"，不超过 {limit} MB。"


class RejectForm(forms.Form):
    reason = forms.CharField(label="退回理由", max_length=500, widget=forms.Textarea(
        attrs={**SMALL, "rows": 2, "placeholder": "请说明需要补充或更正的内容"}))


class RecordFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None, choices=(),
                                  widget=forms.Select(attrs=SELECT))
    status = forms.ChoiceField(label="状态", required=False, widget=forms.Select(attrs=SELECT),
                               choices=[("", "全部状态"), *HourRecord.Status.choices])
    kind = forms.ChoiceField(label="类型", required=False, widget=forms.Select(attrs=SELECT),
                             choices=[("", "全部类型"), *HourRecord.Kind.choices])
    q = forms.CharField(label="教师姓名", required=False, max_length=50,
                        widget=forms.TextInput(attrs={**SMALL, "placeholder": "教师姓名"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *year_choices(10)]  # type: ignore[attr-defined]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None, choices=(),
                                  widget=forms.Select(attrs=SELECT))
    q = forms.CharField(label="教师姓名", required=False, max_length=50,
                        widget=forms.TextInput(attrs={**SMALL, "placeholder": "教师姓名"}))

    def __init__(self, *args: Any, years: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(y, f"{y}年") for y in years] if years else year_choices(10)
        self.fields["year"].choices = choices  # type: ignore[attr-defined]


class SchoolHourRecordForm(HourRecordForm):
    """A school administrator submits other training for one of the school's teachers, with evidence."""

    teacher: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label="教师", queryset=None,  # type: ignore[arg-type]
                                                                  widget=forms.Select(attrs=SELECT))

    field_order = ["teacher"]

    def __init__(self, *args: Any, teachers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = teachers  # type: ignore[attr-defined]
        self.order_fields(["teacher", *[name for name in self.fields if name != "teacher"]])
