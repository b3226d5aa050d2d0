"""Performance evaluation (MGMT-7): anonymous trainee surveys, expert field visits, trainee forums, third-party
scores, the composite's weights, and the bulletins that publish the results.

Anonymity of the trainee survey (docs/adr/0005-anonymous-trainee-survey.md): a `SurveyToken` knows whom it was
issued to and whether it was used, but not which response it produced; a `Response` and its `Answer`s know only
their survey and a random id — no foreign key, column or timestamp leads from an answer back to the token, the
enrolment, the teacher or the account. The token records only the day it was used, so the order in which tokens
were used cannot be matched with anything either.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from guopei.core.models import TimeStampedModel
from guopei.orgs.models import Expert, Institution, Region
from guopei.plans.models import Project

LIKERT_MIN = 1
LIKERT_MAX = 5
LIKERT_LABELS = {1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}

ERR_CHOICES_NEEDED = "单选题和多选题至少需要两个不重复的选项。"
ERR_CHOICES_NOT_ALLOWED = "量表题和文字题不设选项。"
ERR_NAMES_NEED_CONSENT = "只有参加者本人同意后才能登记姓名；未取得同意时只填写人数。"
ERR_SCORE_ABOVE_MAX = "得分不能超过满分。"
ERR_WEIGHTS_SUM = "四项权重之和必须等于100。"
ERR_RECIPIENT_ONE = "接收单位须为一个地区或一个培训机构。"


# --- Trainee survey (学员评教) --------------------------------------------------------------------------------
class Questionnaire(TimeStampedModel):
    """A questionnaire template the province writes; classes' surveys use it."""

    title = models.CharField("问卷名称", max_length=200, unique=True)
    description = models.CharField("说明", max_length=1000, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-is_active", "title"]
        verbose_name = "评教问卷"
        verbose_name_plural = "评教问卷"

    def __str__(self) -> str:
        return self.title


class Question(TimeStampedModel):
    """One question of a questionnaire: a 1-5 scale, a single or multiple choice, or free text."""

    class Kind(models.TextChoices):
        LIKERT = "likert", "量表（1-5分）"
        SINGLE = "single", "单选"
        MULTIPLE = "multiple", "多选"
        TEXT = "text", "文字"

    questionnaire = models.ForeignKey(Questionnaire, verbose_name="问卷", on_delete=models.CASCADE,
                                      related_name="questions")
    order = models.PositiveSmallIntegerField("序号")
    kind = models.CharField("题型", max_length=10, choices=Kind.choices)
    text = models.CharField("题目", max_length=300)
    choices = models.JSONField("选项", default=list, blank=True)
    required = models.BooleanField("必答", default=True)

    class Meta:
        ordering = ["questionnaire", "order"]
        verbose_name = "问卷题目"
        verbose_name_plural = "问卷题目"
        constraints = [models.UniqueConstraint(fields=["questionnaire", "order"], name="question_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"

    def clean(self) -> None:
        options = [str(c).strip() for c in self.choices or []]
        if self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE):
            if len(options) < 2 or len(set(options)) != len(options) or any(not c for c in options):
                raise ValidationError({"choices": ERR_CHOICES_NEEDED})
        elif options:
            raise ValidationError({"choices": ERR_CHOICES_NOT_ALLOWED})


class Survey(TimeStampedModel):
    """A class's anonymous trainee survey (学员评教): one per class, with one single-use token per trainee."""

    klass = models.OneToOneField("delivery.TrainingClass", verbose_name="班次", on_delete=models.PROTECT,
                                 related_name="survey")
    questionnaire = models.ForeignKey(Questionnaire, verbose_name="问卷", on_delete=models.PROTECT,
                                      related_name="surveys")
    institution = models.ForeignKey(Institution, verbose_name="承训机构", on_delete=models.PROTECT,
                                    related_name="surveys")
    region_code = models.CharField("区域代码", max_length=6, db_index=True)
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField("停止收集时间", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "学员评教"
        verbose_name_plural = "学员评教"

    def __str__(self) -> str:
        return f"{self.klass}（学员评教）"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SurveyToken(models.Model):
    """A trainee's single-use right to answer one survey.

    Only a hash of the token is stored; `nonce` lets the server show the trainee their own link again. The token
    records the day it was used and nothing about the response it produced. It has no `updated_at`, which would
    record the exact moment of use.
    """

    survey = models.ForeignKey(Survey, verbose_name="评教", on_delete=models.CASCADE, related_name="tokens")
    enrolment = models.ForeignKey("delivery.Enrolment", verbose_name="学员", on_delete=models.PROTECT,
                                  related_name="+")
    token_hash = models.CharField("评教码散列", max_length=64, unique=True, editable=False)
    nonce = models.CharField("随机数", max_length=32, editable=False)
    used_on = models.DateField("使用日期", null=True, blank=True)
    created_at = models.DateTimeField("发放时间", default=timezone.now, editable=False)

    class Meta:
        ordering = ["survey", "id"]
        verbose_name = "评教码"
        verbose_name_plural = "评教码"
        constraints = [models.UniqueConstraint(fields=["survey", "enrolment"], name="survey_token_once")]

    def __str__(self) -> str:
        return f"评教码 #{self.pk}"

    @property
    def is_used(self) -> bool:
        return self.used_on is not None


class Response(models.Model):
    """One anonymous set of answers: its survey and a random id, nothing else (no time, no person, no token)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, verbose_name="评教", on_delete=models.CASCADE, related_name="responses")

    class Meta:
        ordering = ["survey", "id"]
        verbose_name = "评教答卷"
        verbose_name_plural = "评教答卷"

    def __str__(self) -> str:
        return "匿名答卷"


class Answer(models.Model):
    """One answer of an anonymous response. A random id, so its order tells nothing either."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, verbose_name="答卷", on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, verbose_name="题目", on_delete=models.PROTECT, related_name="answers")
    likert = models.PositiveSmallIntegerField("量表得分", null=True, blank=True,
                                              validators=[MinValueValidator(LIKERT_MIN),
                                                          MaxValueValidator(LIKERT_MAX)])
    choices = models.JSONField("所选选项", default=list, blank=True)
    text = models.TextField("文字回答", blank=True, max_length=2000)

    class Meta:
        ordering = ["response", "question__order"]
        verbose_name = "评教答案"
        verbose_name_plural = "评教答案"
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question"),
            models.CheckConstraint(condition=Q(likert__isnull=True) | Q(likert__gte=LIKERT_MIN, likert__lte=LIKERT_MAX),
                                   name="answer_likert_range"),
        ]

    def __str__(self) -> str:
        return f"答案 {self.question_id}"


# --- Expert field visits (专家实地调研) -------------------------------------------------------------------------
class Rubric(TimeStampedModel):
    """The criteria an expert scores during a field visit."""

    name = models.CharField("量表名称", max_length=100, unique=True)
    description = models.CharField("说明", max_length=500, blank=True)
    is_active = models.BooleanField("启用", default=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = "调研评分量表"
        verbose_name_plural = "调研评分量表"

    def __str__(self) -> str:
        return self.name


class Criterion(TimeStampedModel):
    rubric = models.ForeignKey(Rubric, verbose_name="量表", on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField("序号")
    name = models.CharField("评分项", max_length=100)
    description = models.CharField("评分要点", max_length=500, blank=True)
    max_score = models.PositiveSmallIntegerField("满分", validators=[MinValueValidator(1), MaxValueValidator(100)])

    class Meta:
        ordering = ["rubric", "order"]
        verbose_name = "评分项"
        verbose_name_plural = "评分项"
        constraints = [
            models.UniqueConstraint(fields=["rubric", "order"], name="criterion_order_unique"),
            models.CheckConstraint(condition=Q(max_score__gte=1), name="criterion_max_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.max_score}分）"


class FieldVisit(TimeStampedModel):
    """An expert's field visit to a project or one of its classes; read-only once submitted."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", "待调研"
        SUBMITTED = "submitted", "已提交"

    expert = models.ForeignKey(Expert, verbose_name="专家", on_delete=models.PROTECT, related_name="field_visits")
    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="field_visits")
    klass = models.ForeignKey("delivery.TrainingClass", verbose_name="班次", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="field_visits")
    institution = models.ForeignKey(Institution, verbose_name="承训机构", on_delete=models.PROTECT,
                                    related_name="field_visits")
    region = models.ForeignKey(Region, verbose_name="调研地", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    rubric = models.ForeignKey(Rubric, verbose_name="评分量表", on_delete=models.PROTECT, related_name="visits")
    planned_on = models.DateField("计划调研日期")
    visited_on = models.DateField("实际调研日期", null=True, blank=True)
    notes = models.TextField("调研记录", blank=True, max_length=5000)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.ASSIGNED)
    score = models.DecimalField("得分（百分制）", max_digits=5, decimal_places=2, null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="指派人", on_delete=models.PROTECT,
                                    related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = "专家实地调研"
        verbose_name_plural = "专家实地调研"
        constraints = [
            models.CheckConstraint(condition=Q(state="assigned") | (Q(score__isnull=False)
                                                                    & Q(submitted_at__isnull=False)),
                                   name="visit_submitted_has_score"),
        ]
        indexes = [models.Index(fields=["expert", "state"], name="visit_expert_state")]

    def __str__(self) -> str:
        return f"{self.expert.name} · {self.project.name}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id
        super().save(*args, **kwargs)

    @property
    def is_submitted(self) -> bool:
        return self.state == self.State.SUBMITTED


class VisitScore(TimeStampedModel):
    visit = models.ForeignKey(FieldVisit, verbose_name="调研", on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, verbose_name="评分项", on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField("得分", max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["visit", "criterion__order"]
        verbose_name = "调研评分"
        verbose_name_plural = "调研评分"
        constraints = [
            models.UniqueConstraint(fields=["visit", "criterion"], name="visit_score_once"),
            models.CheckConstraint(condition=Q(score__gte=0), name="visit_score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"


def visit_photo_path(instance: VisitPhoto, filename: str) -> str:
    return filename


class VisitPhoto(TimeStampedModel):
    """A photo taken during a visit; the stored name is generated and the file served only after a check."""

    visit = models.ForeignKey(FieldVisit, verbose_name="调研", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=visit_photo_path, max_length=300)
    content_type = models.CharField("内容类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    display_name = models.CharField("文件名", max_length=200)
    caption = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["visit", "created_at", "id"]
        verbose_name = "调研照片"
        verbose_name_plural = "调研照片"

    def __str__(self) -> str:
        return self.display_name


# --- Trainee forums (学员座谈) --------------------------------------------------------------------------------
class Forum(TimeStampedModel):
    """A forum with trainees: counts of participants (names only with their consent), minutes, findings, rating."""

    class Rating(models.IntegerChoices):
        VERY_GOOD = 5, "好"
        GOOD = 4, "较好"
        FAIR = 3, "一般"
        POOR = 2, "较差"
        VERY_POOR = 1, "差"

    year = models.PositiveSmallIntegerField("年度", db_index=True)
    held_on = models.DateField("座谈日期")
    place = models.CharField("地点", max_length=200)
    region = models.ForeignKey(Region, verbose_name="所在地区", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    project = models.ForeignKey(Project, verbose_name="项目", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="forums")
    klass = models.ForeignKey("delivery.TrainingClass", verbose_name="班次", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="forums")
    institution = models.ForeignKey(Institution, verbose_name="承训机构", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="forums")
    participants = models.PositiveIntegerField("参加学员人数", validators=[MinValueValidator(1)])
    names_consented = models.BooleanField("参加者同意登记姓名", default=False)
    participant_names = models.CharField("参加者姓名", max_length=1000, blank=True)
    minutes = models.TextField("座谈纪要", max_length=10000)
    findings = models.TextField("主要发现", max_length=5000)
    rating = models.PositiveSmallIntegerField("综合评价", choices=Rating.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                    related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = "学员座谈"
        verbose_name_plural = "学员座谈"
        constraints = [
            models.CheckConstraint(condition=Q(names_consented=True) | Q(participant_names=""),
                                   name="forum_names_only_with_consent"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="forum_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y年%m月%d日} {self.place}座谈"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.participant_names.strip() and not self.names_consented:
            raise ValidationError({"participant_names": ERR_NAMES_NEED_CONSENT})


# --- Third-party evaluation (第三方评估) ------------------------------------------------------------------------
class ThirdPartyBatch(TimeStampedModel):
    """One imported file of an evaluation agency's scores; the same file twice is recognised by its hash."""

    year = models.PositiveSmallIntegerField("年度")
    agency = models.CharField("评估机构", max_length=200)
    file_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("文件SHA-256", max_length=64)
    rows = models.PositiveIntegerField("行数")
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT,
                                    related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "第三方评估导入"
        verbose_name_plural = "第三方评估导入"
        constraints = [models.UniqueConstraint(fields=["year", "sha256"], name="third_party_file_once_per_year")]

    def __str__(self) -> str:
        return f"{self.year}年 {self.agency}（{self.file_name}）"


class ThirdPartyScore(TimeStampedModel):
    """An agency's score of an institution on a project (in one county for county lots, else province-wide)."""

    batch = models.ForeignKey(ThirdPartyBatch, verbose_name="导入批次", on_delete=models.PROTECT,
                              related_name="scores")
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    institution = models.ForeignKey(Institution, verbose_name="承训机构", on_delete=models.PROTECT,
                                    related_name="third_party_scores")
    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT,
                                related_name="third_party_scores")
    region_code = models.CharField("区域代码", max_length=6, db_index=True,
                                   help_text="县区项目为县区代码，其余为全省")
    score = models.DecimalField("得分", max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    max_score = models.DecimalField("满分", max_digits=6, decimal_places=2, default=Decimal(100),
                                    validators=[MinValueValidator(Decimal("0.01"))])
    comment = models.CharField("评语", max_length=500, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["year", "institution__name", "project__code", "region_code"]
        verbose_name = "第三方评估得分"
        verbose_name_plural = "第三方评估得分"
        constraints = [
            models.UniqueConstraint(fields=["project", "institution", "region_code"],
                                    name="third_party_score_once_per_lot"),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="third_party_max_positive"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=F("max_score")),
                                   name="third_party_score_within_max"),
        ]

    def __str__(self) -> str:
        return f"{self.institution.name} {self.score}/{self.max_score}"

    def clean(self) -> None:
        if self.score is not None and self.max_score is not None and self.score > self.max_score:
            raise ValidationError({"score": ERR_SCORE_ABOVE_MAX})


# --- The composite and the bulletin --------------------------------------------------------------------------
class CompositeWeights(TimeStampedModel):
    """The weights of the four inputs of the year's composite (MGMT-7), set by the province; they sum to 100."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    survey = models.PositiveSmallIntegerField("学员评教", validators=[MaxValueValidator(100)])
    visit = models.PositiveSmallIntegerField("专家实地调研", validators=[MaxValueValidator(100)])
    forum = models.PositiveSmallIntegerField("学员座谈", validators=[MaxValueValidator(100)])
    third_party = models.PositiveSmallIntegerField("第三方评估", validators=[MaxValueValidator(100)])
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", on_delete=models.PROTECT,
                               related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-year"]
        verbose_name = "综合评价权重"
        verbose_name_plural = "综合评价权重"
        constraints = [
            models.CheckConstraint(condition=Q(survey=100 - F("visit") - F("forum") - F("third_party")),
                                   name="weights_sum_to_100"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年权重"

    def clean(self) -> None:
        parts = (self.survey, self.visit, self.forum, self.third_party)
        if all(p is not None for p in parts) and sum(parts) != 100:
            raise ValidationError(ERR_WEIGHTS_SUM)

    def as_dict(self) -> dict[str, int]:
        return {"survey": self.survey, "visit": self.visit, "forum": self.forum, "third_party": self.third_party}


def bulletin_file_path(instance: Bulletin, filename: str) -> str:
    return filename


class Bulletin(TimeStampedModel):
    """The year's bulletin of evaluation results (通报): a draft the province edits, then published, immutable."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"

    year = models.PositiveSmallIntegerField("年度", db_index=True)
    title = models.CharField("标题", max_length=200)
    doc_number = models.CharField("文号", max_length=60, blank=True, help_text="如：晋教师〔2021〕N号")
    commentary = models.TextField("评述与要求", blank=True, max_length=20000)
    data = models.JSONField("评估结果快照", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    generated_at = models.DateTimeField("数据生成时间")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    docx = models.FileField("Word 文件", upload_to=bulletin_file_path, max_length=300, blank=True)
    pdf = models.FileField("PDF 文件", upload_to=bulletin_file_path, max_length=300, blank=True)
    docx_sha256 = models.CharField("Word 文件SHA-256", max_length=64, blank=True)
    pdf_sha256 = models.CharField("PDF 文件SHA-256", max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="起草人", on_delete=models.PROTECT,
                                   related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-year", "-created_at", "-id"]
        verbose_name = "绩效评估通报"
        verbose_name_plural = "绩效评估通报"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(published_at__isnull=False) & ~Q(docx="") & ~Q(pdf="")),
                name="bulletin_published_has_files",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def region_code(self) -> str:
        return settings.PROVINCE_CODE

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class BulletinRecipient(TimeStampedModel):
    """A region or institution a published bulletin was sent to."""

    bulletin = models.ForeignKey(Bulletin, verbose_name="通报", on_delete=models.CASCADE, related_name="recipients")
    region = models.ForeignKey(Region, verbose_name="地区", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    region_code = models.CharField("区域代码", max_length=6, blank=True, db_index=True, editable=False)
    institution = models.ForeignKey(Institution, verbose_name="培训机构", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="bulletins_received")

    class Meta:
        ordering = ["bulletin", "region_code", "institution__name"]
        verbose_name = "通报接收单位"
        verbose_name_plural = "通报接收单位"
        constraints = [
            models.CheckConstraint(
                condition=(Q(region__isnull=False) & Q(institution__isnull=True))
                | (Q(region__isnull=True) & Q(institution__isnull=False)),
                name="bulletin_recipient_region_or_institution",
            ),
            models.UniqueConstraint(fields=["bulletin", "region"], name="bulletin_recipient_region_once"),
            models.UniqueConstraint(fields=["bulletin", "institution"], name="bulletin_recipient_institution_once"),
        ]

    def __str__(self) -> str:
        return str(self.region or self.institution)

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id or ""
        super().save(*args, **kwargs)
