"""Forms of the teacher database pages; they validate input, the services do the work."""

from __future__ import annotations

from typing import Any

from django import forms

from guopei.orgs.models import School

from .models import ReservePoolEntry, Teacher

UPLOAD_HELP = "支持 .xlsx 和 .csv（UTF-8 或 GB18030 编码）。"


class UploadForm(forms.Form):
    file = forms.FileField(label="文件", help_text=UPLOAD_HELP,
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件。")
        return upload


class TeacherFilterForm(forms.Form):
    q = forms.CharField(label="姓名、拼音或身份证号", required=False,
                        widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                      "placeholder": "姓名、拼音或身份证号"}))
    school = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Teacher.Status.choices],
                               widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    segment = forms.ChoiceField(label="学段", required=False, choices=[("", "全部学段"), *School.Kind.choices],
                                widget=forms.Select(attrs={"class": "form-select form-select-sm"}))


class TransferForm(forms.Form):
    school_code = forms.RegexField(label="调入学校标识码", regex=r"^\d{10}$",
                                   error_messages={"invalid": "学校标识码应为10位数字。"},
                                   widget=forms.TextInput(attrs={"class": "form-control"}))
    reason = forms.CharField(label="调动原因", max_length=300, required=False,
                             widget=forms.TextInput(attrs={"class": "form-control"}))

    def clean_school_code(self) -> School:
        school = School.objects.filter(code=self.cleaned_data["school_code"]).first()
        if school is None:
            raise forms.ValidationError("平台中没有此学校标识码的学校。")
        return school


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=500,
                             widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}))


class OptionalNoteForm(forms.Form):
    note = forms.CharField(label="处理意见", max_length=300, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class ReserveForm(forms.ModelForm):
    class Meta:
        model = ReservePoolEntry
        fields = ["category", "priority", "note"]
        widgets = {
            "category": forms.Select(attrs={"class": "form-select"}),
            "priority": forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 9}),
            "note": forms.TextInput(attrs={"class": "form-control"}),
        }


class ReserveAddForm(forms.Form):
    id_number = forms.CharField(label="教师身份证号", max_length=18,
                                widget=forms.TextInput(attrs={"class": "form-control"}))
    category: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="项目类别", queryset=None, required=False, empty_label="任何类别",
        widget=forms.Select(attrs={"class": "form-select"}))
    priority = forms.IntegerField(label="优先级（1最高）", min_value=1, max_value=9, initial=5,
                                  widget=forms.NumberInput(attrs={"class": "form-control"}))
    note = forms.CharField(label="备注", max_length=300, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from guopei.plans.models import Category

        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]


class CapForm(forms.Form):
    cap = forms.IntegerField(label="每周期参训次数上限", min_value=1, max_value=20,
                             widget=forms.NumberInput(attrs={"class": "form-control"}))
    cycle_years = forms.IntegerField(label="周期长度（年，仅省级）", min_value=1, max_value=10, required=False,
                                     widget=forms.NumberInput(attrs={"class": "form-control"}))
    cycle_start_year = forms.IntegerField(label="周期起始年（仅省级）", min_value=2000, max_value=2100,
                                          required=False, widget=forms.NumberInput(attrs={"class": "form-control"}))
    note = forms.CharField(label="说明", max_length=300, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class IntakeForm(forms.Form):
    institution: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label="承训机构", queryset=None,
                                         widget=forms.Select(attrs={"class": "form-select"}))

    county: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="限定县区", queryset=None, required=False, empty_label="所有县区",
        widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from guopei.orgs.models import Institution, Region

        self.fields["institution"].queryset = Institution.objects.all()  # type: ignore[attr-defined]
        self.fields["county"].queryset = (  # type: ignore[attr-defined]
            Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))


class SubstituteForm(forms.Form):
    alternate = forms.IntegerField(required=False, widget=forms.HiddenInput)
    teacher = forms.IntegerField(required=False, widget=forms.HiddenInput)
