"""The ten-year summary: each city's materials, typical cases, trainees' outcomes and its submission (SUMMARY-1);
the province's public column and its recommendation package for the Ministry (SUMMARY-2)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from guopei.core.models import Job, TimeStampedModel
from guopei.orgs.models import Region, School

FIRST_YEAR = 2010
LAST_YEAR = 2020

ERR_COUNTY_NOT_IN_CITY = "所选县区不属于本市。"
ERR_SCHOOL_NOT_IN_CITY = "所选学校不在本市范围内。"
ERR_SCHOOL_NOT_IN_COUNTY = "所选学校不在所选县区。"
ERR_YEAR_RANGE = f"年份应在 {FIRST_YEAR}—{LAST_YEAR} 年之间。"
ERR_NAME_WITHOUT_CONSENT = "未记录教师本人同意，不能关联教师姓名和学校。"
ERR_CONSENT_WITHOUT_NOTE = "记录教师同意时，请写明同意的方式（如：书面同意书、日期）。"


class Submission(TimeStampedModel):
    """A city's ten-year summary package and its way to the province (SUMMARY-1)."""

    class State(models.TextChoices):
        DRAFT = "draft", "整理中"
        SUBMITTED = "submitted", "已提交待审核"
        RETURNED = "returned", "已退回修改"
        ACCEPTED = "accepted", "已通过"

    city = models.ForeignKey(Region, verbose_name="市", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField("总结年度")
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.DRAFT)
    first_submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    submitted_at = models.DateTimeField("最近提交时间", null=True, blank=True)
    is_late = models.BooleanField("逾期提交", default=False)
    extended_until = models.DateTimeField("延期至", null=True, blank=True)
    extension_reason = models.CharField("延期理由", max_length=300, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    review_comment = models.TextField("审核意见", blank=True)

    class Meta:
        ordering = ["year", "region_code"]
        verbose_name = "十年总结报送"
        verbose_name_plural = "十年总结报送"
        constraints = [
            models.UniqueConstraint(fields=["city", "year"], name="summary_one_submission_per_city_year"),
            models.CheckConstraint(condition=Q(extended_until__isnull=True) | ~Q(extension_reason=""),
                                   name="summary_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.city.name}{self.year}年国培计划十年总结"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.city_id
        super().save(*args, **kwargs)

    @property
    def deadline(self) -> datetime:
        from .deadlines import base_deadline

        return base_deadline(self.year)

    @property
    def effective_deadline(self) -> datetime:
        if self.extended_until and self.extended_until > self.deadline:
            return self.extended_until
        return self.deadline

    @property
    def extended_until_text(self) -> str:
        from .deadlines import describe_moment

        return describe_moment(self.extended_until) if self.extended_until else ""

    @property
    def is_editable_state(self) -> bool:
        return self.state in {self.State.DRAFT, self.State.RETURNED}

    @property
    def is_received(self) -> bool:
        """The province has it: submitted (awaiting review) or accepted."""
        return self.state in {self.State.SUBMITTED, self.State.ACCEPTED}


class SubmissionEvent(models.Model):
    """One step in a submission's history, shown on its page: submitted, returned, accepted, extended."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "提交"
        RETURNED = "returned", "退回修改"
        ACCEPTED = "accepted", "审核通过"
        EXTENDED = "extended", "延期"

    submission = models.ForeignKey(Submission, verbose_name="报送", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=20, choices=Kind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT,
                              related_name="+")
    comment = models.TextField("说明", blank=True)
    is_late = models.BooleanField("逾期", default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "报送记录"
        verbose_name_plural = "报送记录"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class CityItem(TimeStampedModel):
    """Fields shared by everything a city puts in its submission (each subclass adds its `submission`)."""

    city = models.ForeignKey(Region, verbose_name="市", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    title = models.CharField("标题", max_length=100)
    county = models.ForeignKey(Region, verbose_name="县区", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    school = models.ForeignKey(School, verbose_name="学校（幼儿园）", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    project_name = models.CharField("项目名称", max_length=100, blank=True)
    is_featured = models.BooleanField("选入展示栏目", default=False)
    featured_at = models.DateTimeField("选入时间", null=True, blank=True)
    featured_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="选入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.city_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.county_id and self.county.parent_id != self.city_id:
            errors["county"] = ERR_COUNTY_NOT_IN_CITY
        if self.school_id:
            school_county = self.school.county
            if school_county.parent_id != self.city_id:
                errors["school"] = ERR_SCHOOL_NOT_IN_CITY
            elif self.county_id and school_county.pk != self.county_id:
                errors["school"] = ERR_SCHOOL_NOT_IN_COUNTY
        year = getattr(self, "year", None)
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            errors["year"] = ERR_YEAR_RANGE
        if errors:
            raise ValidationError(errors)

    @property
    def place(self) -> str:
        parts = [self.city.name]
        if self.county_id:
            parts.append(self.county.name)
        if self.school_id:
            parts.append(self.school.name)
        return " · ".join(parts)


def _year_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR), name=name)


class Material(CityItem):
    """A picture, video or document a city collected, with where and when it comes from (SUMMARY-1)."""

    class Kind(models.TextChoices):
        IMAGE = "image", "图片"
        VIDEO = "video", "视频"
        DOCUMENT = "document", "文档"

    submission = models.ForeignKey(Submission, verbose_name="所属报送", on_delete=models.PROTECT,
                                   related_name="materials")
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    caption = models.CharField("说明", max_length=500, blank=True)
    year = models.PositiveSmallIntegerField("年份")
    file = models.FileField("文件", max_length=255)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    width = models.PositiveIntegerField("宽度", null=True, blank=True)
    height = models.PositiveIntegerField("高度", null=True, blank=True)
    thumbnail = models.FileField("缩略图", max_length=255, blank=True)
    poster = models.FileField("视频封面", max_length=255, blank=True)
    public_id = models.UUIDField("公开编号", default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "总结素材"
        verbose_name_plural = "总结素材"
        indexes = [models.Index(fields=["region_code", "kind"]), models.Index(fields=["is_featured", "kind"])]
        constraints = [_year_check("summary_material_year_range")]

    def __str__(self) -> str:
        return self.title


class TypicalCase(CityItem):
    """A written-up example of good practice: background, value / features / innovations, effects (SUMMARY-1)."""

    submission = models.ForeignKey(Submission, verbose_name="所属报送", on_delete=models.PROTECT,
                                   related_name="cases")
    background = models.TextField("背景")
    highlights = models.TextField("价值、特色与创新")
    effects = models.TextField("成效")
    materials = models.ManyToManyField(Material, verbose_name="关联素材", blank=True, related_name="cases")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "典型案例"
        verbose_name_plural = "典型案例"
        indexes = [models.Index(fields=["is_featured"])]

    def __str__(self) -> str:
        return self.title


class TraineeOutcome(CityItem):
    """A trainee's generative or summative outcome (SUMMARY-1), linked to the teacher only with their consent."""

    class Stage(models.TextChoices):
        GENERATIVE = "generative", "生成性成果"
        SUMMATIVE = "summative", "总结性成果"

    class Form(models.TextChoices):
        LESSON_DESIGN = "lesson_design", "教学设计"
        LESSON_VIDEO = "lesson_video", "课堂教学视频"
        REFLECTION = "reflection", "研修反思"
        OTHER = "other", "其他"

    submission = models.ForeignKey(Submission, verbose_name="所属报送", on_delete=models.PROTECT,
                                   related_name="outcomes")
    stage = models.CharField("成果类型", max_length=20, choices=Stage.choices)
    form = models.CharField("成果形式", max_length=20, choices=Form.choices)
    year = models.PositiveSmallIntegerField("年份")
    summary = models.TextField("内容简介", blank=True)
    material = models.ForeignKey(Material, verbose_name="成果文件", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="outcomes")
    teacher = models.ForeignKey("teachers.Teacher", verbose_name="教师（教师库）", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    consent = models.BooleanField("已记录教师本人同意", default=False)
    consent_note = models.CharField("同意方式", max_length=200, blank=True)
    consent_recorded_at = models.DateTimeField("同意记录时间", null=True, blank=True)
    teacher_name = models.CharField("教师姓名", max_length=50, blank=True)
    teacher_school = models.CharField("教师所在学校", max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "学员成果"
        verbose_name_plural = "学员成果"
        indexes = [models.Index(fields=["is_featured"])]
        constraints = [
            _year_check("summary_outcome_year_range"),
            # SUMMARY-1: no teacher is named without their recorded consent.
            models.CheckConstraint(
                condition=Q(consent=True) | (Q(teacher_name="") & Q(teacher_school="") & Q(teacher__isnull=True)),
                name="summary_outcome_name_needs_consent",
            ),
            models.CheckConstraint(condition=Q(consent=False) | ~Q(consent_note=""),
                                   name="summary_outcome_consent_has_note"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if not self.consent and (self.teacher_name or self.teacher_school or self.teacher_id):
            raise ValidationError({"teacher_name": ERR_NAME_WITHOUT_CONSENT})
        if self.consent and not self.consent_note.strip():
            raise ValidationError({"consent_note": ERR_CONSENT_WITHOUT_NOTE})

    @property
    def public_teacher(self) -> str:
        """What the public may read about the author: their name and school only with consent."""
        if self.consent and self.teacher_name:
            return f"{self.teacher_name}（{self.teacher_school}）" if self.teacher_school else self.teacher_name
        return ""


class RecommendationPackage(TimeStampedModel):
    """The cases and outcomes the province recommends to the Ministry, built into a zip by a job (SUMMARY-2)."""

    title = models.CharField("名称", max_length=100)
    year = models.PositiveSmallIntegerField("总结年度")
    region_code = models.CharField("区域代码", max_length=6, db_index=True)
    cases = models.ManyToManyField(TypicalCase, verbose_name="典型案例", blank=True, related_name="+")
    outcomes = models.ManyToManyField(TraineeOutcome, verbose_name="学员成果", blank=True, related_name="+")
    materials = models.ManyToManyField(Material, verbose_name="素材", blank=True, related_name="+")
    job = models.ForeignKey(Job, verbose_name="打包任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    zip_file = models.FileField("压缩包", max_length=255, blank=True)
    zip_size = models.PositiveBigIntegerField("压缩包大小", null=True, blank=True)
    zip_sha256 = models.CharField("压缩包 SHA-256", max_length=64, blank=True)
    file_count = models.PositiveIntegerField("文件数", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "成果推荐包"
        verbose_name_plural = "成果推荐包"

    def __str__(self) -> str:
        return self.title
