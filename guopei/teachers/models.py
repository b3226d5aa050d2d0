"""The teacher database, participation history, integrity file, reserve pool and nominations (MGMT-4/5/6).

ID numbers and phones are stored encrypted (`guopei.core.pii`) with a keyed hash beside each for exact lookup
and uniqueness; the model never holds them in plaintext. A teacher's `region_code` is the county of their
school (scoping follows the school, not the county in the ID number).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from guopei.core.models import TimeStampedModel
from guopei.core.pii import mask_id_number, mask_phone, pii_decrypt
from guopei.orgs.models import Institution, Region, School


class Post(models.TextChoices):
    TEACHER = "teacher", "教师"
    PRINCIPAL = "principal", "校长"
    DEPUTY_PRINCIPAL = "deputy_principal", "副校长"
    DIRECTOR = "director", "园长"
    DEPUTY_DIRECTOR = "deputy_director", "副园长"


class BackboneLevel(models.TextChoices):
    NONE = "", "无"
    SCHOOL = "school", "校级骨干"
    COUNTY = "county", "县级骨干"
    CITY = "city", "市级骨干"
    PROVINCE = "province", "省级骨干"
    NATIONAL = "national", "国家级骨干"


class Title(models.TextChoices):
    SENIOR_PLUS = "正高级教师", "正高级教师"
    SENIOR = "高级教师", "高级教师"
    FIRST = "一级教师", "一级教师"
    SECOND = "二级教师", "二级教师"
    THIRD = "三级教师", "三级教师"
    NONE = "未定级", "未定级"


class Teacher(TimeStampedModel):
    """A teacher, principal or kindergarten director in a school or kindergarten of the province (MGMT-4)."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class EmploymentType(models.TextChoices):
        STAFF = "staff", "在编"
        CONTRACT = "contract", "非在编"
        PRIVATE = "private", "民办"

    class Status(models.TextChoices):
        ACTIVE = "active", "在职"
        TRANSFERRED = "transferred", "调出"
        RETIRED = "retired", "退休"
        LEFT = "left", "离职"

    name = models.CharField("姓名", max_length=50)
    # Indexed through the (name_pinyin, id) index below; single-column indexes that a composite index's
    # prefix already serves are left out, since each index costs every roster import.
    name_pinyin = models.CharField("姓名拼音", max_length=120)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    id_number = models.CharField("身份证号（密文）", max_length=255, editable=False)
    # Unique and indexed through Meta (a constraint and an index): as field options on PostgreSQL they would also
    # get a `varchar_pattern_ops` index for `LIKE 'x%'`, which nobody runs on a keyed hash and every import writes.
    id_hash = models.CharField("身份证号检索散列", max_length=64, editable=False)
    birth_date = models.DateField("出生日期")
    phone = models.CharField("手机号（密文）", max_length=255, blank=True, editable=False)
    phone_hash = models.CharField("手机号检索散列", max_length=64, blank=True, editable=False)
    school = models.ForeignKey(School, verbose_name="学校（幼儿园）", on_delete=models.PROTECT, related_name="teachers",
                               db_index=False)
    region_code = models.CharField("区域代码", max_length=6, editable=False)
    segment = models.CharField("学段", max_length=20, choices=School.Kind.choices)
    subject = models.CharField("任教学科", max_length=30, blank=True)
    title = models.CharField("职称", max_length=20, choices=Title.choices, default=Title.NONE)
    post = models.CharField("岗位", max_length=20, choices=Post.choices, default=Post.TEACHER)
    backbone_level = models.CharField("骨干级别", max_length=10, choices=BackboneLevel.choices, blank=True,
                                      default="")
    preschool_major = models.BooleanField("学前教育专业", default=False)
    first_employed_on = models.DateField("首次任教日期", null=True, blank=True)
    employment_type = models.CharField("用工性质", max_length=10, choices=EmploymentType.choices,
                                       default=EmploymentType.STAFF)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ACTIVE)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="账号", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="teacher",
    )
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["name_pinyin", "id"]
        verbose_name = "教师"
        verbose_name_plural = "教师"
        indexes = [
            # Keyset pagination of a region's list in pinyin order, and of a school's list.
            models.Index(fields=["region_code", "name_pinyin", "id"], name="teacher_region_pinyin"),
            models.Index(fields=["school", "name_pinyin", "id"], name="teacher_school_pinyin"),
            models.Index(fields=["name_pinyin", "id"], name="teacher_pinyin_id"),
            # Lists filtered on a status other than active (3% of the teachers) in pinyin order. Partial, so
            # that roster imports of active teachers do not write it; SQLite uses it only when the query
            # repeats the condition term (`listing.status_q`).
            models.Index(fields=["status", "name_pinyin", "id"], name="teacher_inactive_pinyin",
                         condition=~Q(status="active")),
            models.Index(fields=["phone_hash"], name="teacher_phone_hash"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_hash"], name="teacher_id_hash_unique",
                                    violation_error_message="该身份证号的教师已存在。"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Scoping follows the school: the teacher's region is always the school's county.
        self.region_code = self.school.region_code
        super().save(*args, **kwargs)

    @property
    def id_number_plain(self) -> str:
        return pii_decrypt(self.id_number)

    @property
    def phone_plain(self) -> str:
        return pii_decrypt(self.phone)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number_plain)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone_plain)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TeacherTransfer(TimeStampedModel):
    """A move of a teacher to another school; across counties the receiving county accepts it (MGMT-4)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待接收"
        ACCEPTED = "accepted", "已接收"
        REJECTED = "rejected", "已拒绝"
        CANCELLED = "cancelled", "已撤回"

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.CASCADE, related_name="transfers")
    from_school = models.ForeignKey(School, verbose_name="调出学校", on_delete=models.PROTECT, related_name="+")
    to_school = models.ForeignKey(School, verbose_name="调入学校", on_delete=models.PROTECT, related_name="+")
    from_region_code = models.CharField("调出县区", max_length=6, db_index=True)
    to_region_code = models.CharField("调入县区", max_length=6, db_index=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField("调动原因", max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                     related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decision_note = models.CharField("处理意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "教师调动"
        verbose_name_plural = "教师调动"
        constraints = [
            models.UniqueConstraint(fields=["teacher"], condition=Q(status="pending"),
                                    name="transfer_one_pending_per_teacher"),
            models.CheckConstraint(condition=~Q(from_school=models.F("to_school")), name="transfer_changes_school"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher.name}：{self.from_school.name} → {self.to_school.name}（{self.get_status_display()}）"

    @property
    def is_cross_county(self) -> bool:
        return self.from_region_code != self.to_region_code


class Participation(TimeStampedModel):
    """One past (or delivered) programme participation of a teacher (MGMT-4, MGMT-6)."""

    class Result(models.TextChoices):
        COMPLETED = "completed", "结业"
        NOT_COMPLETED = "not_completed", "未结业"
        NO_SHOW = "no_show", "未报到"
        DISMISSED = "dismissed", "劝退"

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.CASCADE,
                                related_name="participations")
    year = models.PositiveSmallIntegerField("年度")
    project_name = models.CharField("项目名称", max_length=200)
    project = models.ForeignKey("plans.Project", verbose_name="项目", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="participations")
    institution_name = models.CharField("承训机构", max_length=100, blank=True)
    result = models.CharField("结果", max_length=16, choices=Result.choices)
    hours = models.PositiveSmallIntegerField("学时", default=0)
    practice_hours = models.PositiveSmallIntegerField("实践学时", default=0)
    ended_on = models.DateField("结束（事件）日期", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["teacher", "-year", "id"]
        verbose_name = "参训记录"
        verbose_name_plural = "参训记录"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "year", "project_name"], name="participation_unique"),
            models.CheckConstraint(condition=Q(practice_hours__lte=models.F("hours")),
                                   name="participation_practice_within_hours"),
        ]
        # Covers the cycle-cap count (year range, result, grouped by teacher) without reading the table.
        indexes = [models.Index(fields=["year", "teacher", "result"], name="participation_year_teacher_res")]

    def __str__(self) -> str:
        return f"{self.year}年 {self.project_name}（{self.get_result_display()}）"


class RecognisedHours(TimeStampedModel):
    """Other recognised training hours of a teacher in one year (school-based, self-study…) (MGMT-3, MGMT-4)."""

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.CASCADE,
                                related_name="recognised_hours")
    year = models.PositiveSmallIntegerField("年度")
    hours = models.PositiveSmallIntegerField("学时")
    note = models.CharField("说明", max_length=200, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["teacher", "-year"]
        verbose_name = "其他认定学时"
        verbose_name_plural = "其他认定学时"
        constraints = [models.UniqueConstraint(fields=["teacher", "year"], name="recognised_hours_once_per_year")]
        indexes = [models.Index(fields=["year", "teacher"], name="recognised_hours_year_teacher")]

    def __str__(self) -> str:
        return f"{self.year}年 {self.hours}学时"


def ban_end(event_date: date) -> date:
    """The day a three-year ban from `event_date` ends (MGMT-6): same month and day, 29 February → 28 February."""
    try:
        return event_date.replace(year=event_date.year + 3)
    except ValueError:
        return event_date.replace(year=event_date.year + 3, day=28)


class IntegrityEntry(TimeStampedModel):
    """An entry of the integrity file: a no-show, dismissal or failure bans for three years (MGMT-6).

    The teacher may not be selected while `event_date <= day < ban_until`; from `ban_until` on they may.
    """

    class Kind(models.TextChoices):
        NO_SHOW = "no_show", "无故未报到"
        DISMISSED = "dismissed", "被劝退"
        FAILED = "failed", "结业考核不合格"

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.CASCADE,
                                related_name="integrity_entries")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    event_date = models.DateField("发生日期")
    ban_until = models.DateField("禁训截止（当日起可再参训）")
    source = models.CharField("来源", max_length=300)
    participation = models.ForeignKey(Participation, verbose_name="参训记录", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="integrity_entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    annulled_at = models.DateTimeField("撤销时间", null=True, blank=True)
    annulled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    annul_reason = models.CharField("撤销理由", max_length=500, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = "诚信档案记录"
        verbose_name_plural = "诚信档案"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "kind", "event_date"], name="integrity_once_per_event"),
            models.CheckConstraint(condition=Q(ban_until__gt=models.F("event_date")),
                                   name="integrity_ban_after_event"),
            models.CheckConstraint(
                condition=Q(annulled_at__isnull=True) | ~Q(annul_reason=""), name="integrity_annul_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["ban_until", "event_date"], name="integrity_ban_window")]

    def __str__(self) -> str:
        return f"{self.teacher.name} {self.get_kind_display()}（{self.event_date}）"

    def clean(self) -> None:
        if self.event_date and self.ban_until and self.ban_until != ban_end(self.event_date):
            raise ValidationError({"ban_until": "禁训截止日期应为发生日期后整三年（MGMT-6）。"})

    @property
    def is_annulled(self) -> bool:
        return self.annulled_at is not None

    def is_active_on(self, day: date) -> bool:
        return not self.is_annulled and self.event_date <= day < self.ban_until


class ReservePoolEntry(TimeStampedModel):
    """A teacher lined up by their county for a category of future projects (储备库, MGMT-4)."""

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.CASCADE,
                                related_name="reserve_entries")
    category = models.ForeignKey("plans.Category", verbose_name="项目类别", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+", help_text="空 = 任何类别")
    priority = models.PositiveSmallIntegerField("优先级（1最高）", default=5)
    note = models.CharField("备注", max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="加入人", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["priority", "teacher__name_pinyin", "id"]
        verbose_name = "储备库人员"
        verbose_name_plural = "储备库"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "category"], name="reserve_once_per_category",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=Q(priority__gte=1) & Q(priority__lte=9), name="reserve_priority_1_9"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher.name}（{self.category or '任何类别'}，优先级{self.priority}）"


class CapPolicy(TimeStampedModel):
    """The participation cap per cycle (MGMT-4): the province sets cycle and cap; a city or county may lower the cap.

    `cycle_years` and `cycle_start_year` are set only on the province's row.
    """

    region = models.OneToOneField(Region, verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    cycle_years = models.PositiveSmallIntegerField("周期长度（年）", null=True, blank=True)
    cycle_start_year = models.PositiveSmallIntegerField("周期起始年", null=True, blank=True)
    cap = models.PositiveSmallIntegerField("周期内参训次数上限")
    note = models.CharField("说明", max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["region_code"]
        verbose_name = "参训次数上限"
        verbose_name_plural = "参训次数上限"
        constraints = [
            models.CheckConstraint(condition=Q(cap__gte=1), name="cap_at_least_one"),
            models.CheckConstraint(condition=Q(cycle_years__isnull=True) | Q(cycle_years__gte=1),
                                   name="cap_cycle_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name}：每周期不超过{self.cap}次"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id
        super().save(*args, **kwargs)


class IntakeAssignment(TimeStampedModel):
    """The institution that receives, confirms or returns a project's nominees (MGMT-5).

    Set when the contract is signed (its lead institution; for an IT 2.0 lot, for that county only), or by the
    province by hand (expert selection, the 2019 institution of a continuing project, TENDER-1). A blank county
    means every county of the project.
    """

    project = models.ForeignKey("plans.Project", verbose_name="项目", on_delete=models.CASCADE,
                                related_name="intake_assignments")
    institution = models.ForeignKey(Institution, verbose_name="承训机构", on_delete=models.PROTECT,
                                    related_name="intake_assignments")
    county = models.ForeignKey(Region, verbose_name="限定县区", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", help_text="留空表示接收该项目所有县区的学员。")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["project", "institution"]
        verbose_name = "项目承训机构（学员接收）"
        verbose_name_plural = "项目承训机构（学员接收）"
        constraints = [
            models.UniqueConstraint(fields=["project", "institution"], condition=Q(county__isnull=True),
                                    name="intake_once"),
            models.UniqueConstraint(fields=["project", "institution", "county"],
                                    condition=Q(county__isnull=False), name="intake_once_per_county"),
        ]

    def __str__(self) -> str:
        county = f"（{self.county.name}）" if self.county_id else ""
        return f"{self.project} · {self.institution}{county}"


class Nomination(TimeStampedModel):
    """A county's nominee for a project (MGMT-4), confirmed or returned by the institution (MGMT-5).

    `is_alternate` marks a substitute held in reserve; a returned nominee is replaced by a new nomination whose
    `substitute_for` points at the one it replaces, so the history stays.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "已推荐"
        CONFIRMED = "confirmed", "已确认"
        RETURNED = "returned", "已退回"
        DISMISSED = "dismissed", "已劝退"
        SUBSTITUTED = "substituted", "已替换"

    project = models.ForeignKey("plans.Project", verbose_name="项目", on_delete=models.PROTECT,
                                related_name="nominations")
    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.PROTECT, related_name="nominations")
    county = models.ForeignKey(Region, verbose_name="推荐县区", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PROPOSED)
    is_alternate = models.BooleanField("候补", default=False)
    substitute_for = models.ForeignKey("self", verbose_name="替换对象", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="substitutes")
    rank = models.PositiveIntegerField("遴选排名", null=True, blank=True)
    reason = models.CharField("原因（退回/劝退/替换）", max_length=500, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="推荐人", on_delete=models.PROTECT,
                                    related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["project", "region_code", "is_alternate", "rank", "id"]
        verbose_name = "参训推荐"
        verbose_name_plural = "参训推荐"
        constraints = [
            models.UniqueConstraint(fields=["project", "teacher"], condition=Q(status__in=["proposed", "confirmed"]),
                                    name="nomination_one_active_per_teacher"),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "confirmed", "substituted"]) | ~Q(reason=""),
                name="nomination_return_dismiss_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["teacher", "status"], name="nomination_teacher_status")]

    def __str__(self) -> str:
        return f"{self.teacher.name} · {self.project.name}（{self.get_status_display()}）"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.county_id
        super().save(*args, **kwargs)
