"""Forms of the ten-year summary. They parse input; the services decide and write."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.urls import reverse

from guopei.orgs.models import Region, School

from .models import FIRST_YEAR, LAST_YEAR, Material, TraineeOutcome

YEAR_CHOICES = [(y, f"{y}年") for y in range(LAST_YEAR, FIRST_YEAR - 1, -1)]
ERR_NAME_NEEDS_CONSENT = "只有勾选“已记录教师本人同意”后才能填写教师姓名和学校。"
ERR_CONSENT_NEEDS_NOTE = "请写明同意的方式，如：2020年7月1日签署书面同意书。"


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def end_of_day(day: date) -> datetime:
    """The moment a day ends in the province's time zone (an extension "until 25 August" includes that day)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


class BootstrapForm(forms.Form):
    """Give each widget its Bootstrap class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class PlaceFields(BootstrapForm):
    """County and school, limited to the city the item belongs to."""

    county = forms.ChoiceField(label="县区", required=False)
    school = forms.TypedChoiceField(label="学校（幼儿园）", required=False, coerce=int, empty_value=None)
    project_name = forms.CharField(label="项目名称", max_length=100, required=False,
                                   help_text="如：2016年国培计划乡村教师访名校研修项目")

    def __init__(self, *args: Any, city_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.city_code = city_code
        counties = Region.objects.filter(parent_id=city_code).order_by("code")
        _choices(self, "county").choices = [("", "（全市）")] + [(c.code, c.name) for c in counties]
        county = self.data.get(self.add_prefix("county")) or self.initial.get("county")
        schools = School.objects.filter(county_id=county) if county else School.objects.none()
        _choices(self, "school").choices = [("", "（不指定）")] + [(s.pk, s.name) for s in schools.order_by("name")]
        self.fields["county"].widget.attrs.update({
            "hx-get": reverse("summary:school_options"), "hx-target": "#id_school", "hx-trigger": "change",
            "hx-swap": "innerHTML",
        })


class MaterialForm(PlaceFields):
    title = forms.CharField(label="标题", max_length=100)
    caption = forms.CharField(label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="请勿填写身份证号、手机号等个人信息。")
    year = forms.TypedChoiceField(label="年份", choices=YEAR_CHOICES, coerce=int)
    field_order = ["title", "caption", "year", "county", "school", "project_name"]


class MaterialUploadForm(MaterialForm):
    file = forms.FileField(label="文件",
                           help_text="图片（JPEG、PNG、GIF、WebP）、视频（MP4、MOV、WebM）、文档（PDF、Word .docx）。")
    field_order = ["file", "title", "caption", "year", "county", "school", "project_name"]


class CaseForm(PlaceFields):
    title = forms.CharField(label="案例标题", max_length=100)
    background = forms.CharField(label="背景", widget=forms.Textarea(attrs={"rows": 5}))
    highlights = forms.CharField(label="价值、特色与创新", widget=forms.Textarea(attrs={"rows": 6}))
    effects = forms.CharField(label="成效", widget=forms.Textarea(attrs={"rows": 5}))
    materials = forms.TypedMultipleChoiceField(label="关联素材", required=False, coerce=int,
                                               widget=forms.CheckboxSelectMultiple)
    field_order = ["title", "county", "school", "project_name", "background", "highlights", "effects", "materials"]

    def __init__(self, *args: Any, city_code: str, **kwargs: Any) -> None:
        super().__init__(*args, city_code=city_code, **kwargs)
        own = Material.objects.filter(city_id=city_code).order_by("-created_at")
        _choices(self, "materials").choices = [(m.pk, f"{m.title}（{m.get_kind_display()}，{m.year}年）") for m in own]


class OutcomeForm(PlaceFields):
    stage = forms.ChoiceField(label="成果类型", choices=TraineeOutcome.Stage.choices)
    form = forms.ChoiceField(label="成果形式", choices=TraineeOutcome.Form.choices)
    title = forms.CharField(label="成果名称", max_length=100)
    year = forms.TypedChoiceField(label="年份", choices=YEAR_CHOICES, coerce=int)
    summary = forms.CharField(label="内容简介", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    material = forms.TypedChoiceField(label="成果文件", required=False, coerce=int, empty_value=None,
                                      help_text="先在“素材”中上传教学设计、课堂视频或反思文档，再在此选择。")
    consent = forms.BooleanField(label="已记录教师本人同意公开署名", required=False)
    consent_note = forms.CharField(label="同意方式", max_length=200, required=False,
                                   help_text="如：2020年7月1日签署书面同意书")
    teacher_id_number = forms.CharField(label="教师身份证号（可选）", max_length=18, required=False,
                                        help_text="用于在本市教师库中查找并关联该教师，身份证号本身不保存。",
                                        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    teacher_name = forms.CharField(label="教师姓名", max_length=50, required=False)
    teacher_school = forms.CharField(label="教师所在学校", max_length=100, required=False)
    field_order = ["stage", "form", "title", "year", "county", "school", "project_name", "summary", "material",
                   "consent", "consent_note", "teacher_id_number", "teacher_name", "teacher_school"]

    def __init__(self, *args: Any, city_code: str, **kwargs: Any) -> None:
        super().__init__(*args, city_code=city_code, **kwargs)
        own = Material.objects.filter(city_id=city_code).order_by("-created_at")
        _choices(self, "material").choices = [("", "（无文件）")] + [
            (m.pk, f"{m.title}（{m.get_kind_display()}）") for m in own
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("consent") and (data.get("teacher_name") or data.get("teacher_school")
                                        or data.get("teacher_id_number")):
            self.add_error("teacher_name", ERR_NAME_NEEDS_CONSENT)
        if data.get("consent") and not (data.get("consent_note") or "").strip():
            self.add_error("consent_note", ERR_CONSENT_NEEDS_NOTE)
        return data


class ReviewForm(BootstrapForm):
    decision = forms.ChoiceField(label="审核结论", choices=[("accept", "通过"), ("return", "退回修改")],
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    extend_until = forms.DateField(label="退回时同时延期至（可选）", required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text="已过截止时间时，退回后地市需要延期才能修改和重新提交。")

    @property
    def extend_until_moment(self) -> datetime | None:
        day = self.cleaned_data.get("extend_until")
        return end_of_day(day) if day else None


class ExtensionForm(BootstrapForm):
    until = forms.DateField(label="延期至（含当日）", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="延期理由", max_length=300)

    @property
    def until_moment(self) -> datetime:
        return end_of_day(self.cleaned_data["until"])


class PackageForm(BootstrapForm):
    title = forms.CharField(label="推荐包名称", max_length=100, initial="山西省国培计划十年典型案例与优秀成果推荐材料")
    cases = forms.TypedMultipleChoiceField(label="典型案例", required=False, coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    outcomes = forms.TypedMultipleChoiceField(label="学员成果", required=False, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    materials = forms.TypedMultipleChoiceField(label="图片、视频和文档", required=False, coerce=int,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, cases: Any, outcomes: Any, materials: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "cases").choices = [(c.pk, f"{c.city.name}：{c.title}") for c in cases]
        _choices(self, "outcomes").choices = [(o.pk, f"{o.city.name}：{o.title}（{o.get_stage_display()}）")
                                           for o in outcomes]
        _choices(self, "materials").choices = [(m.pk, f"{m.city.name}：{m.title}（{m.get_kind_display()}）")
                                            for m in materials]
