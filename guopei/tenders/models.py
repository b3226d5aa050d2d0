"""Tenders, bids, evaluation, awards, contracts and course plans (TENDER-1 … TENDER-6, COURSE-1 … COURSE-5).

The tender lifecycle follows open public procurement: 草拟 → 招标中 (bids open until a deadline) → 资格审查 →
评审 → 定标公示 (a standstill) → 已完成, or 流标 (too few valid bids) or 终止 (cancelled with a reason). Every
state change is a service call that writes an audit event and a `TenderEvent` row, which the tender page shows as
its history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from guopei.core.models import TimeStampedModel
from guopei.orgs.models import Expert, Institution, Region, School
from guopei.plans.models import AnnualPlan, Commitment, Project, ProjectComponent

ComponentKind = ProjectComponent.Kind

# TENDER-5: components hosted by quality schools or kindergartens (inside or outside the province).
HOSTED_KINDS = frozenset({ComponentKind.JOB_SHADOWING, ComponentKind.SHADOW, ComponentKind.SCHOOL_VISIT})

ERR_COUNTY_NOT_IT20 = "只有信息技术2.0项目按项目区县招标；其他项目的招标不选县区。"
ERR_COUNTY_REQUIRED = "信息技术2.0项目须按项目区县分别招标，请选择县区。"
ERR_COUNTY_NOT_IN_PROJECT = "该县区不是本项目的实施县区。"
ERR_WEIGHTS = "评分权重（价格、技术方案、团队、以往绩效）之和须为100。"
ERR_HOST_BOTH = "接待学校请在省内学校和省外学校名称中二选一。"
ERR_CONTINUATION_REF = "延续项目的直接委托须记录2019年的项目名称。"
ERR_MODULE_HOURS = "模块学时不能为0。"


class Tender(TimeStampedModel):
    """A public tender for one lot: a project or sub-project, or one IT 2.0 project county (TENDER-1, TENDER-2)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟"
        TENDERING = "tendering", "招标中"
        QUALIFICATION = "qualification", "资格审查"
        EVALUATION = "evaluation", "评审"
        STANDSTILL = "standstill", "定标公示"
        COMPLETE = "complete", "已完成"
        FAILED = "failed", "流标"
        CANCELLED = "cancelled", "终止"

    class CancelReason(models.TextChoices):
        NO_DEMAND = "no_demand", "无需求"
        VIOLATION = "violation", "无法纠正的违规"
        FORCE_MAJEURE = "force_majeure", "不可抗力"
        FUNDS = "funds", "经费调整"

    plan = models.ForeignKey(AnnualPlan, verbose_name="年度规划", on_delete=models.PROTECT, related_name="tenders")
    project = models.ForeignKey(Project, verbose_name="项目（标段）", on_delete=models.PROTECT, related_name="tenders")
    county = models.ForeignKey(
        Region, verbose_name="信息技术2.0项目区县", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    code = models.CharField("招标编号", max_length=40, unique=True)
    title = models.CharField("招标名称", max_length=200)
    agency = models.CharField("招标代理机构", max_length=100)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    deadline = models.DateTimeField("投标截止时间")
    min_valid_bids = models.PositiveSmallIntegerField(
        "最少有效投标数", validators=[MinValueValidator(1)], help_text="有效投标少于此数即流标。"
    )
    standstill_days = models.PositiveSmallIntegerField("定标公示期（天）")
    max_price = models.DecimalField(
        "最高限价（元）", max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    required_lead_kinds = models.JSONField(
        "牵头单位类型要求", default=list, blank=True, help_text="空 = 不限；机构类型代码列表。"
    )
    lead_on_remote_list = models.BooleanField("牵头单位须列入远程培训推荐名单", default=False)
    weight_price = models.PositiveSmallIntegerField("价格权重", default=30, validators=[MaxValueValidator(100)])
    weight_technical = models.PositiveSmallIntegerField("技术方案权重", default=40, validators=[MaxValueValidator(100)])
    weight_team = models.PositiveSmallIntegerField("团队权重", default=20, validators=[MaxValueValidator(100)])
    weight_past = models.PositiveSmallIntegerField("以往绩效权重", default=10, validators=[MaxValueValidator(100)])
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    closed_at = models.DateTimeField("开标时间", null=True, blank=True)
    standstill_until = models.DateTimeField("公示期截止", null=True, blank=True)
    failure_reason = models.CharField("流标原因", max_length=300, blank=True)
    cancel_reason = models.CharField("终止原因", max_length=20, choices=CancelReason.choices, blank=True)
    cancel_note = models.CharField("终止说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "招标"
        verbose_name_plural = "招标"
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_price__lte=100) & Q(weight_technical__lte=100) & Q(weight_team__lte=100)
                & Q(weight_past__lte=100),
                name="tender_weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="tender_cancelled_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def region_code(self) -> str:
        return self.county_id or self.plan.province

    @property
    def lot_label(self) -> str:
        """The lot in words: the project, and the county for an IT 2.0 tender."""
        if self.county_id:
            return f"{self.project.name}（{self.county.full_name}）"
        return self.project.name

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.TENDERING

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.COMPLETE, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def required_lead_kind_labels(self) -> str:
        labels = dict(Institution.Kind.choices)
        return "、".join(str(labels.get(k, k)) for k in self.required_lead_kinds or [])

    @property
    def weights(self) -> dict[str, int]:
        return {"price": self.weight_price, "technical": self.weight_technical, "team": self.weight_team,
                "past": self.weight_past}

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if sum(self.weights.values()) != 100:
            errors.setdefault("weight_price", []).append(ERR_WEIGHTS)
        kinds = set(Institution.Kind.values)
        bad = [k for k in self.required_lead_kinds or [] if k not in kinds]
        if bad:
            errors.setdefault("required_lead_kinds", []).append(f"未知的机构类型：{'、'.join(map(str, bad))}")
        if self.project_id:
            if self.project.is_it20 and not self.county_id:
                errors.setdefault("county", []).append(ERR_COUNTY_REQUIRED)
            elif not self.project.is_it20 and self.county_id:
                errors.setdefault("county", []).append(ERR_COUNTY_NOT_IT20)
        if errors:
            raise ValidationError(errors)


class TenderEvent(TimeStampedModel):
    """One step of a tender's history: the state change, who made it and why (shown on the tender page)."""

    tender = models.ForeignKey(Tender, verbose_name="招标", on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=20, choices=Tender.Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=Tender.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        ordering = ["tender", "created_at", "id"]
        verbose_name = "招标记录"
        verbose_name_plural = "招标记录"

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class TenderDocument(TimeStampedModel):
    """A protocol document of a tender step (notice, reports, award notice…), served through an access check."""

    class Kind(models.TextChoices):
        NOTICE = "notice", "招标公告及招标文件"
        CLARIFICATION = "clarification", "澄清与答疑"
        OPENING = "opening", "开标记录"
        QUALIFICATION = "qualification", "资格审查报告"
        EVALUATION = "evaluation", "评标报告"
        AWARD = "award", "中标结果公示"
        FAILURE = "failure", "流标公告"
        CANCELLATION = "cancellation", "终止公告"
        SELECTION = "selection", "专家遴选报告"
        CONTRACT = "contract", "合同文本"

    # Documents every viewer of a published tender may read; the others are the province's working papers.
    PUBLIC_KINDS = frozenset({"notice", "clarification", "award", "failure", "cancellation"})

    tender = models.ForeignKey(Tender, verbose_name="招标", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    file = models.FileField("文件", max_length=300)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("内容类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["tender", "created_at", "id"]
        verbose_name = "招标文件"
        verbose_name_plural = "招标文件"

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS

    @property
    def region_code(self) -> str:
        return self.tender.region_code


class Bid(TimeStampedModel):
    """A bid by one institution or a consortium (a lead and partners) — TENDER-3.

    The automatic validity checks (TENDER-4, qualifications, a member in two consortia) store their reasons in
    `problems`; a bid with any problem, or disqualified by the province, is not valid. Bids are sealed: only the
    province sees their contents before the award; bidders see their own bid and nothing of the others.
    """

    tender = models.ForeignKey(Tender, verbose_name="招标", on_delete=models.PROTECT, related_name="bids")
    lead = models.ForeignKey(Institution, verbose_name="牵头单位", on_delete=models.PROTECT, related_name="led_bids")
    price = models.DecimalField("投标报价（元）", max_digits=14, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))])
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间")
    problems = models.JSONField("无效原因", default=list, blank=True)
    disqualified_reason = models.CharField("取消资格原因", max_length=500, blank=True)
    score = models.DecimalField("综合得分", max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["tender", "rank", "submitted_at", "id"]
        verbose_name = "投标"
        verbose_name_plural = "投标"
        constraints = [models.UniqueConstraint(fields=["tender", "lead"], name="bid_one_per_lead_per_tender")]

    def __str__(self) -> str:
        return f"{self.lead.name}的投标"

    @property
    def region_code(self) -> str:
        return self.tender.region_code

    @property
    def is_valid(self) -> bool:
        return not self.problems and not self.disqualified_reason

    @property
    def is_consortium(self) -> bool:
        return self.members.filter(role=BidMember.Role.PARTNER).exists()


class BidMember(TimeStampedModel):
    """An institution in a bid: the lead, or a consortium partner."""

    class Role(models.TextChoices):
        LEAD = "lead", "牵头单位"
        PARTNER = "partner", "联合体成员"

    bid = models.ForeignKey(Bid, verbose_name="投标", on_delete=models.CASCADE, related_name="members")
    institution = models.ForeignKey(Institution, verbose_name="机构", on_delete=models.PROTECT,
                                    related_name="bid_memberships")
    role = models.CharField("角色", max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["bid", "role", "id"]
        verbose_name = "投标成员"
        verbose_name_plural = "投标成员"
        constraints = [models.UniqueConstraint(fields=["bid", "institution"], name="bid_member_once")]

    def __str__(self) -> str:
        return f"{self.institution.name}（{self.get_role_display()}）"


class BidComponent(TimeStampedModel):
    """Who delivers one component of the project in a bid; hosted components name their host (TENDER-5)."""

    bid = models.ForeignKey(Bid, verbose_name="投标", on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(ProjectComponent, verbose_name="环节", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, verbose_name="承担单位", on_delete=models.PROTECT, related_name="+")
    host_school = models.ForeignKey(
        School, verbose_name="接待学校（省内）", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    host_name = models.CharField("接待学校（省外）", max_length=200, blank=True)

    class Meta:
        ordering = ["bid", "component_id"]
        verbose_name = "投标环节分工"
        verbose_name_plural = "投标环节分工"
        constraints = [models.UniqueConstraint(fields=["bid", "component"], name="bid_component_once")]

    def __str__(self) -> str:
        return f"{self.component.get_kind_display()}：{self.institution.name}"

    @property
    def host_label(self) -> str:
        if self.host_school_id:
            return self.host_school.name
        return f"{self.host_name}（省外）" if self.host_name else ""

    def clean(self) -> None:
        if self.host_school_id and self.host_name.strip():
            raise ValidationError(ERR_HOST_BOTH)


class BidDocument(TimeStampedModel):
    """A document of a bid: the priced offer, the technical proposal or the team. Sealed like the bid."""

    class Kind(models.TextChoices):
        PRICE = "price", "报价文件"
        TECHNICAL = "technical", "技术方案"
        TEAM = "team", "团队构成"

    # What an assigned expert reads to score; the price is scored by formula and stays with the province.
    EXPERT_KINDS = frozenset({"technical", "team"})

    bid = models.ForeignKey(Bid, verbose_name="投标", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    file = models.FileField("文件", max_length=300)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("内容类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)

    class Meta:
        ordering = ["bid", "kind"]
        verbose_name = "投标文件"
        verbose_name_plural = "投标文件"
        constraints = [models.UniqueConstraint(fields=["bid", "kind"], name="bid_document_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.original_name}"

    @property
    def region_code(self) -> str:
        return self.bid.region_code


class ExpertAssignment(TimeStampedModel):
    """An expert on a tender's panel: the bid evaluation, or the expert selection after a failure (TENDER-6).

    The expert declares that they have no link to any bidder (or candidate) before scoring; the system also checks
    `Expert.institutions` when assigning. Scores stay sealed until every expert on the panel has submitted.
    """

    class Stage(models.TextChoices):
        EVALUATION = "evaluation", "评标"
        SELECTION = "selection", "专家遴选"

    tender = models.ForeignKey(Tender, verbose_name="招标", on_delete=models.CASCADE, related_name="assignments")
    stage = models.CharField("阶段", max_length=20, choices=Stage.choices)
    expert = models.ForeignKey(Expert, verbose_name="专家", on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="指派人", on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField("声明无利益冲突时间", null=True, blank=True)
    recused_at = models.DateTimeField("回避时间", null=True, blank=True)
    recusal_reason = models.CharField("回避原因", max_length=300, blank=True)
    submitted_at = models.DateTimeField("提交评分时间", null=True, blank=True)

    class Meta:
        ordering = ["tender", "stage", "id"]
        verbose_name = "评审专家指派"
        verbose_name_plural = "评审专家指派"
        constraints = [
            models.UniqueConstraint(fields=["tender", "stage", "expert"], name="assignment_once_per_stage"),
            models.CheckConstraint(condition=Q(recused_at__isnull=True) | Q(submitted_at__isnull=True),
                                   name="assignment_recused_never_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.expert.name}（{self.get_stage_display()}）"

    @property
    def region_code(self) -> str:
        return self.tender.region_code

    @property
    def is_active(self) -> bool:
        return self.recused_at is None


class Score(TimeStampedModel):
    """One expert's independent scores of one bid (0-100 for the technical proposal and for the team)."""

    assignment = models.ForeignKey(ExpertAssignment, verbose_name="专家指派", on_delete=models.CASCADE,
                                   related_name="scores")
    bid = models.ForeignKey(Bid, verbose_name="投标", on_delete=models.CASCADE, related_name="scores")
    technical = models.DecimalField("技术方案得分", max_digits=5, decimal_places=2,
                                    validators=[MinValueValidator(0), MaxValueValidator(100)])
    team = models.DecimalField("团队得分", max_digits=5, decimal_places=2,
                               validators=[MinValueValidator(0), MaxValueValidator(100)])
    comment = models.CharField("评语", max_length=500, blank=True)

    class Meta:
        ordering = ["assignment", "bid"]
        verbose_name = "专家评分"
        verbose_name_plural = "专家评分"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "bid"], name="score_once_per_expert_bid"),
            models.CheckConstraint(condition=Q(technical__gte=0, technical__lte=100, team__gte=0, team__lte=100),
                                   name="score_within_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.technical}/{self.team}"


class ExpertSelection(TimeStampedModel):
    """TENDER-6: a failed tender's lot goes to expert selection among qualified institutions named by the province."""

    class Status(models.TextChoices):
        CANDIDATES = "candidates", "拟定候选机构"
        SCORING = "scoring", "专家评分"
        CONFIRMED = "confirmed", "已确定"

    tender = models.OneToOneField(Tender, verbose_name="招标", on_delete=models.PROTECT, related_name="selection")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.CANDIDATES)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField("确定时间", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "专家遴选"
        verbose_name_plural = "专家遴选"

    def __str__(self) -> str:
        return f"{self.tender.code} 专家遴选"

    @property
    def region_code(self) -> str:
        return self.tender.region_code


class Candidate(TimeStampedModel):
    """A qualified institution the province names for expert selection."""

    selection = models.ForeignKey(ExpertSelection, verbose_name="专家遴选", on_delete=models.CASCADE,
                                  related_name="candidates")
    institution = models.ForeignKey(Institution, verbose_name="候选机构", on_delete=models.PROTECT, related_name="+")
    note = models.CharField("推荐理由", max_length=300, blank=True)
    score = models.DecimalField("平均得分", max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)

    class Meta:
        ordering = ["selection", "rank", "id"]
        verbose_name = "遴选候选机构"
        verbose_name_plural = "遴选候选机构"
        constraints = [models.UniqueConstraint(fields=["selection", "institution"], name="candidate_once")]

    def __str__(self) -> str:
        return self.institution.name


class CandidateScore(TimeStampedModel):
    """One expert's score (0-100) of one candidate in an expert selection."""

    assignment = models.ForeignKey(ExpertAssignment, verbose_name="专家指派", on_delete=models.CASCADE,
                                   related_name="candidate_scores")
    candidate = models.ForeignKey(Candidate, verbose_name="候选机构", on_delete=models.CASCADE, related_name="scores")
    score = models.DecimalField("得分", max_digits=5, decimal_places=2,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    comment = models.CharField("评语", max_length=500, blank=True)

    class Meta:
        ordering = ["assignment", "candidate"]
        verbose_name = "遴选评分"
        verbose_name_plural = "遴选评分"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "candidate"], name="candidate_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="candidate_score_within_0_100"),
        ]

    def __str__(self) -> str:
        return str(self.score)


class Award(TimeStampedModel):
    """The institution chosen for a lot: by tender, by continuation from 2019 (TENDER-1) or by expert selection
    (TENDER-6). A declined or disqualified award passes to the next valid bid; the new award points back to it."""

    class Kind(models.TextChoices):
        TENDER = "tender", "公开招标"
        CONTINUATION = "continuation", "延续2019年"
        EXPERT_SELECTED = "expert_selected", "专家遴选"

    class Status(models.TextChoices):
        STANDSTILL = "standstill", "公示中"
        CONTRACTED = "contracted", "已签约"
        DECLINED = "declined", "中标人放弃"
        DISQUALIFIED = "disqualified", "取消中标资格"

    # Awards that hold the lot (and count towards the IT 2.0 cap).
    LIVE_STATUSES = ("standstill", "contracted")

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="awards")
    county = models.ForeignKey(
        Region, verbose_name="信息技术2.0项目区县", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    tender = models.ForeignKey(Tender, verbose_name="招标", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="awards")
    bid = models.ForeignKey(Bid, verbose_name="中标投标", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="awards")
    institution = models.ForeignKey(Institution, verbose_name="中标（承训）机构", on_delete=models.PROTECT,
                                    related_name="awards")
    kind = models.CharField("方式", max_length=20, choices=Kind.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.STANDSTILL)
    amount = models.DecimalField("中标金额（元）", max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)
    score = models.DecimalField("综合得分", max_digits=6, decimal_places=2, null=True, blank=True)
    fallback_from = models.OneToOneField(
        "self", verbose_name="递补自", null=True, blank=True, on_delete=models.PROTECT, related_name="fallback_to"
    )
    reference_2019 = models.CharField("2019年项目（中标）依据", max_length=300, blank=True)
    standstill_until = models.DateTimeField("公示期截止", null=True, blank=True)
    ended_reason = models.CharField("放弃/取消原因", max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="定标人", on_delete=models.PROTECT, related_name="+"
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "county_id", "created_at", "id"]
        verbose_name = "定标结果"
        verbose_name_plural = "定标结果"
        constraints = [
            models.CheckConstraint(condition=~Q(kind="continuation") | ~Q(reference_2019=""),
                                   name="award_continuation_has_2019_reference"),
            models.CheckConstraint(condition=Q(kind="continuation") | Q(tender__isnull=False),
                                   name="award_tender_unless_continuation"),
        ]

    def __str__(self) -> str:
        return f"{self.institution.name}（{self.get_kind_display()}）"

    @property
    def region_code(self) -> str:
        return self.county_id or self.project.plan.province

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def lot_label(self) -> str:
        if self.county_id:
            return f"{self.project.name}（{self.county.full_name}）"
        return self.project.name

    def clean(self) -> None:
        if self.kind == self.Kind.CONTINUATION and not self.reference_2019.strip():
            raise ValidationError({"reference_2019": ERR_CONTINUATION_REF})


class Contract(TimeStampedModel):
    """The delivery contract an award creates, with its members, component split and hosts; its amount is a
    commitment in the project's special funds (PLAN-6)."""

    award = models.OneToOneField(Award, verbose_name="定标结果", on_delete=models.PROTECT, related_name="contract")
    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="contracts")
    county = models.ForeignKey(
        Region, verbose_name="信息技术2.0项目区县", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    code = models.CharField("合同编号", max_length=60, unique=True)
    lead = models.ForeignKey(Institution, verbose_name="牵头单位", on_delete=models.PROTECT, related_name="contracts")
    amount = models.DecimalField("合同金额（元）", max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    commitment = models.OneToOneField(Commitment, verbose_name="经费承诺", on_delete=models.PROTECT,
                                      related_name="contract")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签订登记人", on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField("签订时间")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = "承训合同"
        verbose_name_plural = "承训合同"

    def __str__(self) -> str:
        return f"{self.code} {self.lead.name}"

    @property
    def region_code(self) -> str:
        return self.county_id or self.project.plan.province


class ContractMember(TimeStampedModel):
    contract = models.ForeignKey(Contract, verbose_name="合同", on_delete=models.CASCADE, related_name="members")
    institution = models.ForeignKey(Institution, verbose_name="机构", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=10, choices=BidMember.Role.choices)

    class Meta:
        ordering = ["contract", "role", "id"]
        verbose_name = "合同成员"
        verbose_name_plural = "合同成员"
        constraints = [models.UniqueConstraint(fields=["contract", "institution"], name="contract_member_once")]

    def __str__(self) -> str:
        return f"{self.institution.name}（{self.get_role_display()}）"


class ContractComponent(TimeStampedModel):
    contract = models.ForeignKey(Contract, verbose_name="合同", on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(ProjectComponent, verbose_name="环节", on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, verbose_name="承担单位", on_delete=models.PROTECT, related_name="+")
    host_school = models.ForeignKey(
        School, verbose_name="接待学校（省内）", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    host_name = models.CharField("接待学校（省外）", max_length=200, blank=True)

    class Meta:
        ordering = ["contract", "component_id"]
        verbose_name = "合同环节分工"
        verbose_name_plural = "合同环节分工"
        constraints = [models.UniqueConstraint(fields=["contract", "component"], name="contract_component_once")]

    def __str__(self) -> str:
        return f"{self.component.get_kind_display()}：{self.institution.name}"

    @property
    def host_label(self) -> str:
        if self.host_school_id:
            return self.host_school.name
        if self.host_name:
            return f"{self.host_name}（省外）"
        return "由牵头单位安排" if self.component.kind in HOSTED_KINDS else ""


# --- Course plans (COURSE-1 … COURSE-5) ---------------------------------------------------------------------
class TopicTag(TimeStampedModel):
    """A topic a course plan must cover: the catalogue is data, seeded from the notice (see the data migration)."""

    class Group(models.TextChoices):
        MANDATORY = "mandatory", "必修内容（COURSE-3）"
        PANDEMIC = "pandemic", "疫情相关专题（COURSE-4）"
        FOCUS = "focus", "重点内容（COURSE-1）"

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    group = models.CharField("类别", max_length=20, choices=Group.choices)
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["group", "order", "code"]
        verbose_name = "课程专题标签"
        verbose_name_plural = "课程专题标签"

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> str:
        return {"mandatory": "COURSE-3", "pandemic": "COURSE-4", "focus": "COURSE-1"}[self.group]


class CoursePlan(TimeStampedModel):
    """The course plan of an awarded lot, drafted by the lead institution and approved by the province.

    The approved plan is the template from which delivery creates classes and sessions (COURSE-5).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟"
        SUBMITTED = "submitted", "待审核"
        RETURNED = "returned", "已退回"
        APPROVED = "approved", "已通过"

    award = models.OneToOneField(Award, verbose_name="定标结果", on_delete=models.PROTECT, related_name="course_plan")
    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="course_plans")
    county = models.ForeignKey(
        Region, verbose_name="信息技术2.0项目区县", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    institution = models.ForeignKey(Institution, verbose_name="牵头单位", on_delete=models.PROTECT,
                                    related_name="course_plans")
    title = models.CharField("方案名称", max_length=200)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveSmallIntegerField("已提交版本数", default=0)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    review_comment = models.CharField("审核意见", max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "county_id", "id"]
        verbose_name = "课程方案"
        verbose_name_plural = "课程方案"
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def region_code(self) -> str:
        return self.county_id or self.project.plan.province

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class CourseModule(TimeStampedModel):
    """One module of a course plan (COURSE-2): hours split into theory and practice, methods, topics, outputs."""

    class Method(models.TextChoices):
        LECTURE = "lecture", "专题讲座"
        CASE_STUDY = "case_study", "案例研讨"
        WORKSHOP = "workshop", "参与式工作坊"
        OBSERVATION = "observation", "课堂观摩"
        FIELD_PRACTICE = "field_practice", "实地实践"
        ONLINE_STUDY = "online_study", "网络研修"
        TASK_DRIVEN = "task_driven", "任务驱动项目"

    plan = models.ForeignKey(CoursePlan, verbose_name="课程方案", on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveSmallIntegerField("顺序")
    title = models.CharField("模块名称", max_length=200)
    component = models.CharField("环节", max_length=20, choices=ComponentKind.choices)
    theory_hours = models.PositiveSmallIntegerField("理论学时", default=0)
    practice_hours = models.PositiveSmallIntegerField("实践学时", default=0)
    methods = models.JSONField("教学方式", default=list, blank=True)
    topics = models.JSONField("专题标签", default=list, blank=True)
    expected_outputs = models.CharField("预期成果", max_length=500, blank=True)

    class Meta:
        ordering = ["plan", "order", "id"]
        verbose_name = "课程模块"
        verbose_name_plural = "课程模块"
        constraints = [models.UniqueConstraint(fields=["plan", "order"], name="course_module_order_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def hours(self) -> int:
        return self.theory_hours + self.practice_hours

    def get_methods_display(self) -> str:
        labels = dict(self.Method.choices)
        return "、".join(labels.get(m, m) for m in self.methods)


class CoursePlanVersion(TimeStampedModel):
    """A submitted version of a course plan: a snapshot of its modules and the province's decision on it."""

    class Decision(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "通过"
        RETURNED = "returned", "退回"

    plan = models.ForeignKey(CoursePlan, verbose_name="课程方案", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField("版本号")
    snapshot = models.JSONField("内容快照", default=dict)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间")
    decision = models.CharField("审核结果", max_length=20, choices=Decision.choices, default=Decision.PENDING)
    comment = models.CharField("审核意见", max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        verbose_name = "课程方案版本"
        verbose_name_plural = "课程方案版本"
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="course_plan_version_unique")]

    def __str__(self) -> str:
        return f"第{self.number}版"
