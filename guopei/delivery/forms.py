"""Forms of delivery's pages: they parse and validate input; services do the writes."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from guopei.orgs.forms import BootstrapForm
from guopei.plans.models import Project

from .models import Attendance, Enrolment, Incident, SpecialCircumstance

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ClassForm(BootstrapForm):
    award = forms.ChoiceField(label="中标项目（已签约）")
    name = forms.CharField(label="班次名称", max_length=200)
    start_date = forms.DateField(label="开班日期", widget=DATE)
    end_date = forms.DateField(label="结班日期", widget=DATE)
    venue = forms.CharField(label="培训地点", max_length=200)
    capacity = forms.IntegerField(label="班额", min_value=1, max_value=2000)
    form = forms.ChoiceField(label="培训形式", choices=Project.Form.choices)
    head_teacher = forms.ChoiceField(label="班主任", required=False)
    pass_mark = forms.DecimalField(label="结业考核合格分", min_value=0, max_value=100, decimal_places=1,
                                   initial=60)

    def __init__(self, *args: Any, awards: list[tuple[str, str]] | None = None,
                 staff: list[tuple[str, str]] | None = None, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["award"]
        else:
            cast(forms.ChoiceField, self.fields["award"]).choices = awards or []
        cast(forms.ChoiceField, self.fields["head_teacher"]).choices = [("", "（暂不指定）"), *(staff or [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        return data


class SessionForm(BootstrapForm):
    day = forms.DateField(label="日期", widget=DATE)
    start_time = forms.TimeField(label="上课时间", widget=TIME)
    end_time = forms.TimeField(label="下课时间", widget=TIME)
    venue = forms.CharField(label="地点", max_length=200, required=False)


class OfferingForm(BootstrapForm):
    title = forms.CharField(label="选学名称", max_length=200)
    description = forms.CharField(label="说明", max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    capacity = forms.IntegerField(label="名额", min_value=1, max_value=2000)
    min_enrolment = forms.IntegerField(label="最低开班人数", min_value=1, max_value=2000, initial=1)
    region_code = forms.CharField(label="面向区域（区划代码）", max_length=6, min_length=6, initial="140000")
    opens_at = forms.DateTimeField(label="开放时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    closes_at = forms.DateTimeField(label="截止时间", widget=DATETIME, input_formats=DATETIME_FORMATS)


class RoundTwoForm(BootstrapForm):
    opens_at = forms.DateTimeField(label="第二轮开放时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    closes_at = forms.DateTimeField(label="第二轮截止时间", widget=DATETIME, input_formats=DATETIME_FORMATS)


class LeaveForm(BootstrapForm):
    from_date = forms.DateField(label="开始日期", widget=DATE)
    to_date = forms.DateField(label="结束日期", widget=DATE)
    reason = forms.CharField(label="事由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class SafetyForm(BootstrapForm):
    insurance_bought = forms.BooleanField(label="我已购买培训期间的人身意外伤害保险", required=False)
    emergency_name = forms.CharField(label="紧急联系人", max_length=50, required=False)
    emergency_relation = forms.CharField(label="与本人关系", max_length=20, required=False)
    emergency_phone = forms.CharField(label="紧急联系电话", max_length=20, required=False)


class DismissalForm(BootstrapForm):
    reason = forms.CharField(label="劝退原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    dismissed_on = forms.DateField(label="劝退日期", widget=DATE)
    evidence = forms.FileField(label="证明材料（PDF、图片或 Word）")


class CircumstanceForm(BootstrapForm):
    kind = forms.ChoiceField(label="类型", choices=SpecialCircumstance.Kind.choices)
    description = forms.CharField(label="情况说明", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label="证明材料（可选）", required=False)


class DecisionForm(BootstrapForm):
    decision = forms.ChoiceField(choices=[("approve", "批准"), ("reject", "不批准")])
    note = forms.CharField(label="审批意见", max_length=500, required=False)


class ApplicationForm(BootstrapForm):
    rating = forms.ChoiceField(label="成果应用考核", choices=Enrolment.Rating.choices)
    comment = forms.CharField(label="评价", max_length=500, required=False)


class IncidentForm(BootstrapForm):
    occurred_at = forms.DateTimeField(label="发生时间", widget=DATETIME, input_formats=DATETIME_FORMATS)
    place = forms.CharField(label="地点", max_length=200)
    people = forms.CharField(label="涉及人员", max_length=500)
    trainees = forms.MultipleChoiceField(label="涉及学员", required=False, widget=forms.CheckboxSelectMultiple)
    severity = forms.ChoiceField(label="等级", choices=Incident.Severity.choices)
    description = forms.CharField(label="经过", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    actions = forms.CharField(label="已采取措施", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up = forms.CharField(label="后续跟进", max_length=2000, required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, trainees: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["trainees"]).choices = trainees or []


class FollowUpForm(BootstrapForm):
    follow_up = forms.CharField(label="后续跟进", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    close = forms.BooleanField(label="已办结", required=False)


class VerifyForm(BootstrapForm):
    code = forms.CharField(label="证书验证码", max_length=20)


ATTENDANCE_CHOICES = [("", "—"), *Attendance.Status.choices]
