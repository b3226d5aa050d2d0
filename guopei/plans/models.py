"""The annual plan, its catalogue, projects, project counties, quota allocations and special funds (PLAN-1 … 6)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from guopei.core.models import TimeStampedModel
from guopei.orgs.models import DevelopmentCentre, Institution, Region

ZERO = Decimal("0.00")

# PLAN-5: an IT 2.0 teacher completes at least 50 hours, at least 25 of them practice-application hours.
IT20_MIN_HOURS: int = getattr(settings, "PLAN_IT20_MIN_HOURS", 50)
IT20_MIN_PRACTICE_HOURS: int = getattr(settings, "PLAN_IT20_MIN_PRACTICE_HOURS", 25)
# A training day carries at most this many hours (import and form check: hours ≤ days × 10).
MAX_HOURS_PER_DAY: int = getattr(settings, "PLAN_MAX_HOURS_PER_DAY", 10)

ERR_IT20_HOURS = f"信息技术2.0项目总学时不得少于{IT20_MIN_HOURS}学时（PLAN-5）。"
ERR_IT20_PRACTICE = f"信息技术2.0项目的返岗实践（实践应用）学时不得少于{IT20_MIN_PRACTICE_HOURS}学时（PLAN-5）。"
ERR_HOURS_PER_DAY = f"总学时不得超过培训天数×{MAX_HOURS_PER_DAY}。"
ERR_DATES = "结束日期不能早于开始日期。"
ERR_SERVICE_YEARS = "教龄下限不能大于上限。"
ERR_PARENT_LEVEL = "子项目不能再设子项目。"
ERR_PARENT_PLAN = "子项目必须与上级项目属于同一年度规划和同一类别。"
ERR_CONTINUES = "延续2019年的项目须填写2019年项目名称。"


class Family(TimeStampedModel):
    """A programme family (PLAN-2): 中西部项目 or 幼师国培项目."""

    class Code(models.TextChoices):
        CENTRAL_WESTERN = "central_western", "中西部项目"
        KINDERGARTEN = "kindergarten", "幼师国培项目"

    code = models.CharField("代码", max_length=30, unique=True, choices=Code.choices)
    name = models.CharField("名称", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "项目类别组"
        verbose_name_plural = "项目类别组"

    def __str__(self) -> str:
        return self.name


class Category(TimeStampedModel):
    """A programme category of a family (PLAN-2). The eleven of the notice are seed data; the province adds more."""

    family = models.ForeignKey(Family, verbose_name="项目类别组", on_delete=models.PROTECT, related_name="categories")
    name = models.CharField("类别名称", max_length=100, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    since_year = models.PositiveSmallIntegerField("启用年份", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    is_seed = models.BooleanField("通知列明", default=False, editable=False)

    class Meta:
        ordering = ["family__order", "order", "id"]
        verbose_name = "项目类别"
        verbose_name_plural = "项目类别"

    def __str__(self) -> str:
        return self.name


class AnnualPlan(TimeStampedModel):
    """A province's plan for one year, issued jointly by the education and finance departments (PLAN-1)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟"
        EDUCATION_REVIEW = "education_review", "教育厅审核"
        FINANCE_REVIEW = "finance_review", "财政厅会签"
        PUBLISHED = "published", "已发布"

    province = models.CharField("省份区划代码", max_length=6, default="140000")
    year = models.PositiveSmallIntegerField("年度", validators=[MinValueValidator(2010)])
    title = models.CharField("规划名称", max_length=200)
    doc_number = models.CharField("文号", max_length=60, blank=True, help_text="如：晋教师〔2020〕N号")
    issued_on = models.DateField("印发日期", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveSmallIntegerField("版本", default=1)
    revision_reason = models.CharField("修订原因", max_length=500, blank=True)
    education_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教育厅审核人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    education_signed_at = models.DateTimeField("教育厅审核时间", null=True, blank=True)
    finance_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="财政厅会签人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    finance_signed_at = models.DateTimeField("财政厅会签时间", null=True, blank=True)
    published_at = models.DateTimeField("最近发布时间", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-year", "province"]
        verbose_name = "年度规划"
        verbose_name_plural = "年度规划"
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="plan_one_per_province_year"),
            models.CheckConstraint(
                condition=~Q(status="published")
                | (Q(education_signed_by__isnull=False) & Q(finance_signed_by__isnull=False)),
                name="plan_published_has_both_signoffs",
            ),
            models.CheckConstraint(
                condition=Q(education_signed_by__isnull=True) | Q(finance_signed_by__isnull=True)
                | ~Q(education_signed_by=models.F("finance_signed_by")),
                name="plan_signoffs_by_different_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.title}"

    @property
    def region_code(self) -> str:
        return self.province

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_editable(self) -> bool:
        """Only a draft is edited (PLAN-1); a plan under review or published is read-only."""
        return self.status == self.Status.DRAFT

    @property
    def has_been_published(self) -> bool:
        return self.published_at is not None


def plan_document_path(instance: PlanDocument, filename: str) -> str:
    return f"plans/{instance.plan_id}/documents/{filename}"


class PlanDocument(TimeStampedModel):
    """A document attached to the plan (the notice, appendices); served only through an access-checked view."""

    plan = models.ForeignKey(AnnualPlan, verbose_name="年度规划", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("文件名称", max_length=200)
    file = models.FileField("文件", upload_to=plan_document_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plan", "created_at"]
        verbose_name = "规划附件"
        verbose_name_plural = "规划附件"

    def __str__(self) -> str:
        return self.title


class PlanRevision(TimeStampedModel):
    """What a plan looked like when one revision was published: a JSON snapshot of the plan and its projects."""

    plan = models.ForeignKey(AnnualPlan, verbose_name="年度规划", on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField("版本号")
    reason = models.CharField("修订原因", max_length=500, blank=True)
    snapshot = models.JSONField("内容快照", default=dict)
    education_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教育厅审核人", on_delete=models.PROTECT, related_name="+"
    )
    finance_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="财政厅会签人", on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间")

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = "规划版本"
        verbose_name_plural = "规划版本"
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_unique_number")]

    def __str__(self) -> str:
        return f"第{self.number}版"


class Project(TimeStampedModel):
    """A training project (or sub-project) of the plan, with the target conditions selection reads."""

    class Form(models.TextChoices):
        FACE_TO_FACE = "face_to_face", "集中面授"
        BLENDED = "blended", "混合式"
        ONLINE = "online", "网络研修"

    class Post(models.TextChoices):
        TEACHER = "teacher", "教师"
        PRINCIPAL = "principal", "校长"
        DEPUTY_PRINCIPAL = "deputy_principal", "副校长"
        DIRECTOR = "director", "园长"
        DEPUTY_DIRECTOR = "deputy_director", "副园长"

    class BackboneLevel(models.TextChoices):
        SCHOOL = "school", "校级骨干"
        COUNTY = "county", "县级骨干"
        CITY = "city", "市级骨干"
        PROVINCE = "province", "省级骨干"
        NATIONAL = "national", "国家级骨干"

    plan = models.ForeignKey(AnnualPlan, verbose_name="年度规划", on_delete=models.PROTECT, related_name="projects")
    code = models.CharField("项目编号", max_length=30)
    name = models.CharField("项目名称", max_length=200)
    category = models.ForeignKey(Category, verbose_name="项目类别", on_delete=models.PROTECT, related_name="projects")
    parent = models.ForeignKey(
        "self", verbose_name="上级项目", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Target group: structured conditions the selection engine reads. Empty list = any.
    target_segments = models.JSONField("学段（学校类型）", default=list, blank=True)
    target_posts = models.JSONField("岗位", default=list, blank=True)
    target_subjects = models.JSONField("学科", default=list, blank=True)
    rural_only = models.BooleanField("仅限乡村学校", default=False)
    target_backbone_levels = models.JSONField("骨干级别", default=list, blank=True)
    preschool_major = models.BooleanField("学前教育专业", null=True, blank=True, help_text="空 = 不限")
    service_years_min = models.PositiveSmallIntegerField("教龄下限（年）", null=True, blank=True)
    service_years_max = models.PositiveSmallIntegerField("教龄上限（年）", null=True, blank=True)
    hired_within_years = models.PositiveSmallIntegerField("入职年限内（年）", null=True, blank=True)
    private_kindergartens_only = models.BooleanField("仅限民办幼儿园", default=False)
    project_counties_only = models.BooleanField("仅限项目区县", default=False)
    target_description = models.CharField("培训对象（说明）", max_length=300, blank=True)
    training_form = models.CharField("培训形式", max_length=20, choices=Form.choices, default=Form.FACE_TO_FACE)
    days = models.PositiveSmallIntegerField("培训天数", default=0)
    hours = models.PositiveSmallIntegerField("总学时", default=0)
    quota = models.PositiveIntegerField("培训人数")
    cost_standard = models.DecimalField(
        "经费标准（元/人/天）", max_digits=10, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    budget = models.DecimalField(
        "项目预算（元）", max_digits=14, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)]
    )
    budget_is_explicit = models.BooleanField("预算单独核定", default=False)
    counties = models.ManyToManyField(Region, verbose_name="实施县区", blank=True, related_name="plan_projects")
    is_it20 = models.BooleanField("信息技术2.0项目", default=False)
    start_date = models.DateField("开始日期", null=True, blank=True)
    end_date = models.DateField("结束日期", null=True, blank=True)
    continues_from_2019 = models.BooleanField("延续2019年项目", default=False)
    previous_project_name = models.CharField("2019年项目名称", max_length=200, blank=True)
    previous_institution = models.ForeignKey(
        Institution, verbose_name="2019年承训机构", null=True, blank=True, on_delete=models.PROTECT,
        related_name="continued_projects",
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["plan", "category__family__order", "category__order", "code"]
        verbose_name = "项目"
        verbose_name_plural = "项目"
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="project_code_unique_in_plan"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="project_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def region_code(self) -> str:
        return self.plan.province

    @property
    def computed_budget(self) -> Decimal:
        """quota × days × standard (PLAN-6), the budget unless one is set explicitly."""
        return (Decimal(self.quota) * Decimal(self.days) * self.cost_standard).quantize(Decimal("0.01"))

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.hours > self.days * MAX_HOURS_PER_DAY and self.days:
            errors.setdefault("hours", []).append(ERR_HOURS_PER_DAY)
        if self.is_it20 and self.hours < IT20_MIN_HOURS:
            errors.setdefault("hours", []).append(ERR_IT20_HOURS)
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(ERR_DATES)
        if (self.service_years_min is not None and self.service_years_max is not None
                and self.service_years_min > self.service_years_max):
            errors.setdefault("service_years_max", []).append(ERR_SERVICE_YEARS)
        if self.continues_from_2019 and not self.previous_project_name.strip():
            errors.setdefault("previous_project_name", []).append(ERR_CONTINUES)
        if self.parent_id:
            parent = self.parent
            if parent.parent_id:
                errors.setdefault("parent", []).append(ERR_PARENT_LEVEL)
            elif parent.plan_id != self.plan_id or parent.category_id != self.category_id:
                errors.setdefault("parent", []).append(ERR_PARENT_PLAN)
        bad = [v for v in self.target_posts or [] if v not in self.Post.values]
        if bad:
            errors.setdefault("target_posts", []).append(f"未知的岗位：{'、'.join(map(str, bad))}")
        bad = [v for v in self.target_backbone_levels or [] if v not in self.BackboneLevel.values]
        if bad:
            errors.setdefault("target_backbone_levels", []).append(f"未知的骨干级别：{'、'.join(map(str, bad))}")
        from guopei.orgs.models import School

        bad = [v for v in self.target_segments or [] if v not in School.Kind.values]
        if bad:
            errors.setdefault("target_segments", []).append(f"未知的学段：{'、'.join(map(str, bad))}")
        if errors:
            raise ValidationError(errors)


class ProjectComponent(TimeStampedModel):
    """One component of a (blended) project with its hours."""

    class Kind(models.TextChoices):
        FACE_TO_FACE = "face_to_face", "集中研修"
        JOB_SHADOWING = "job_shadowing", "跟岗培训"
        SHADOW = "shadow", "影子培训"
        SCHOOL_VISIT = "school_visit", "名校访学"
        WORKSHOP = "workshop", "工作坊研修"
        ONLINE = "online", "网络研修"
        PRACTICE = "practice", "返岗实践"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="components")
    kind = models.CharField("环节", max_length=20, choices=Kind.choices)
    hours = models.PositiveSmallIntegerField("学时")

    class Meta:
        ordering = ["project", "id"]
        verbose_name = "项目环节"
        verbose_name_plural = "项目环节"
        constraints = [models.UniqueConstraint(fields=["project", "kind"], name="component_kind_once_per_project")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hours}学时"


class ProjectCounty(TimeStampedModel):
    """A county on the year's programme project-county list and/or the IT 2.0 list (PLAN-3, PLAN-4)."""

    year = models.PositiveSmallIntegerField("年度")
    county = models.ForeignKey(Region, verbose_name="县区", on_delete=models.PROTECT, related_name="project_years")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    is_programme = models.BooleanField("国培项目区县", default=False)
    is_it20 = models.BooleanField("信息技术2.0项目区县", default=False)
    development_centre = models.ForeignKey(
        DevelopmentCentre, verbose_name="共同实施的县级教师发展中心", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["year", "region_code"]
        verbose_name = "项目区县"
        verbose_name_plural = "项目区县"
        constraints = [
            models.UniqueConstraint(fields=["year", "county"], name="project_county_once_per_year"),
            models.CheckConstraint(condition=Q(is_programme=True) | Q(is_it20=True),
                                   name="project_county_on_some_list"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年 {self.county.name}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.county_id
        super().save(*args, **kwargs)


class Allocation(TimeStampedModel):
    """A share of a project's trainee quota given to a city, or to a county within its city's share."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="allocations")
    region = models.ForeignKey(Region, verbose_name="市/县区", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    parent = models.ForeignKey(
        "self", verbose_name="所属市级名额", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    quota = models.PositiveIntegerField("名额")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "region_code"]
        verbose_name = "名额分配"
        verbose_name_plural = "名额分配"
        constraints = [models.UniqueConstraint(fields=["project", "region"], name="allocation_once_per_region")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.quota}人"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id
        super().save(*args, **kwargs)

    @property
    def is_city(self) -> bool:
        return self.parent_id is None


def payment_attachment_path(instance: Payment, filename: str) -> str:
    return f"plans/payments/{instance.project_id}/{filename}"


class Commitment(TimeStampedModel):
    """An amount the programme's special funds are committed to, e.g. a contract from a tender award (PLAN-6)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="commitments")
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    payee = models.CharField("收款单位", max_length=200)
    reference = models.CharField("依据（合同/中标通知）", max_length=200)
    override_reason = models.CharField("超预算说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "created_at", "id"]
        verbose_name = "经费承诺"
        verbose_name_plural = "经费承诺"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="commitment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payee} {self.amount}元"


class Payment(TimeStampedModel):
    """A payment from the special funds, with its voucher (PLAN-6)."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField("支付日期")
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    payee = models.CharField("收款单位", max_length=200)
    voucher_number = models.CharField("凭证号", max_length=60)
    attachment = models.FileField("附件", upload_to=payment_attachment_path, max_length=300, blank=True)
    override_reason = models.CharField("超预算说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "paid_on", "id"]
        verbose_name = "经费支付"
        verbose_name_plural = "经费支付"
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.payee} {self.amount}元"
