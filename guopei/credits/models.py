"""Training-hour records and their audit into credits (MGMT-3), the source of IT 2.0 progress (PLAN-5).

A record is one piece of training of one teacher in one year: a programme class (submitted by the
institution from attendance) or other training the teacher took part in (school-based study, self-study,
other), submitted with evidence by the teacher or, for the school's teachers, by the school's administrator.
The county administrator of the teacher's county audits it; approval recognises the hours as credits at the
rate then in force.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from guopei.core.models import TimeStampedModel

ZERO = Decimal("0")

ERR_NO_HOURS = "学时合计必须大于0。"
ERR_YEAR_MISMATCH = "培训结束日期须在所填年度内。"
ERR_DATES = "结束日期不能早于开始日期。"
ERR_REJECT_REASON = "退回时必须填写理由。"


class HourRecordQuerySet(models.QuerySet["HourRecord"]):
    def recognised(self) -> HourRecordQuerySet:
        return self.filter(status=HourRecord.Status.RECOGNISED)

    def pending(self) -> HourRecordQuerySet:
        return self.filter(status=HourRecord.Status.SUBMITTED)


class HourRecord(TimeStampedModel):
    """One teacher's hours from one piece of training in one year, on its way to recognised credits (MGMT-3)."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "国培计划"
        SCHOOL_BASED = "school_based", "校本研修"
        SELF_STUDY = "self_study", "自主研修"
        OTHER = "other", "其他培训"

    class Origin(models.TextChoices):
        INSTITUTION = "institution", "承训机构报送"
        TEACHER = "teacher", "教师申报"
        SCHOOL = "school", "学校代报"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待审核"
        RECOGNISED = "recognised", "已认定"
        REJECTED = "rejected", "已退回"

    teacher = models.ForeignKey("teachers.Teacher", verbose_name="教师", on_delete=models.PROTECT,
                                related_name="hour_records")
    # The county that audits: the teacher's county when the record was submitted.
    region_code = models.CharField("审核县区", max_length=6, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2010), MaxValueValidator(2100)])
    kind = models.CharField("培训类型", max_length=20, choices=Kind.choices)
    origin = models.CharField("来源", max_length=20, choices=Origin.choices)
    title = models.CharField("培训名称", max_length=200)
    organiser = models.CharField("组织单位", max_length=100, blank=True)
    project = models.ForeignKey("plans.Project", verbose_name="国培项目", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="hour_records")
    institution = models.ForeignKey("orgs.Institution", verbose_name="承训机构", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="hour_records")
    training_class = models.ForeignKey("delivery.TrainingClass", verbose_name="班次", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="hour_records")
    # The class ("class:<id>") or other source the hours came from; one live record per trainee and source.
    source_ref = models.CharField("来源编号", max_length=60, blank=True)
    is_it20 = models.BooleanField("信息技术2.0研修", default=False)
    started_on = models.DateField("开始日期", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    theory_hours = models.DecimalField("理论学时", max_digits=5, decimal_places=1, default=ZERO,
                                       validators=[MinValueValidator(ZERO)])
    practice_hours = models.DecimalField("实践学时", max_digits=5, decimal_places=1, default=ZERO,
                                         validators=[MinValueValidator(ZERO)])
    note = models.CharField("说明", max_length=500, blank=True)
    evidence = models.FileField("证明材料", max_length=255, blank=True)
    evidence_name = models.CharField("证明材料文件名", max_length=120, blank=True)
    evidence_type = models.CharField("证明材料类型", max_length=100, blank=True)
    evidence_size = models.PositiveIntegerField("证明材料大小", default=0)
    evidence_sha256 = models.CharField("证明材料散列", max_length=64, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField("报送时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    reject_reason = models.CharField("退回理由", max_length=500, blank=True)
    credits = models.DecimalField("认定学分", max_digits=6, decimal_places=2, null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    objects = HourRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "学时记录"
        verbose_name_plural = "学时记录"
        constraints = [
            models.CheckConstraint(condition=Q(theory_hours__gte=0) & Q(practice_hours__gte=0),
                                   name="hour_record_hours_not_negative"),
            models.CheckConstraint(condition=Q(theory_hours__gt=0) | Q(practice_hours__gt=0),
                                   name="hour_record_has_hours"),
            # MGMT-3: other training is recognised only on evidence (a class's hours come from attendance).
            models.CheckConstraint(condition=Q(origin="institution") | ~Q(evidence=""),
                                   name="hour_record_other_training_has_evidence"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="hour_record_rejection_has_reason"),
            models.CheckConstraint(condition=~Q(status="recognised") | Q(credits__isnull=False),
                                   name="hour_record_recognised_has_credits"),
            models.CheckConstraint(condition=Q(status="submitted") | Q(decided_by__isnull=False),
                                   name="hour_record_decision_has_auditor"),
            # A class's trainee has at most one live record of it; a rejected one may be submitted again.
            models.UniqueConstraint(fields=["teacher", "source_ref"],
                                    condition=Q(origin="institution") & ~Q(status="rejected"),
                                    name="hour_record_once_per_class"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True)
                                   | Q(ended_on__gte=F("started_on")), name="hour_record_dates_ordered"),
        ]
        indexes = [
            # The county's audit queue, oldest first.
            models.Index(fields=["region_code", "status", "submitted_at"], name="hour_record_queue"),
            # Totals and IT 2.0 progress: recognised records of a year, per teacher.
            models.Index(fields=["status", "year", "teacher"], name="hour_record_year_teacher"),
            models.Index(fields=["teacher", "year"], name="hour_record_teacher_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.title}（{self.total_hours}学时，{self.get_status_display()}）"

    @property
    def total_hours(self) -> Decimal:
        return (self.theory_hours or ZERO) + (self.practice_hours or ZERO)

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if (self.theory_hours or ZERO) + (self.practice_hours or ZERO) <= ZERO:
            errors.setdefault("theory_hours", []).append(ERR_NO_HOURS)
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors.setdefault("ended_on", []).append(ERR_DATES)
        if self.ended_on and self.year and self.ended_on.year != self.year:
            errors.setdefault("ended_on", []).append(ERR_YEAR_MISMATCH)
        if self.status == self.Status.REJECTED and not self.reject_reason.strip():
            errors.setdefault("reject_reason", []).append(ERR_REJECT_REASON)
        if errors:
            raise ValidationError(errors)
