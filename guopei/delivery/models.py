"""Delivering the training: classes and sessions, self-selection, attendance, dismissal, completion, certificates,
notices and incidents (MGMT-3, MGMT-5, MGMT-6, TRAINEE-1, TRAINEE-2, COURSE-5).

Every row that belongs to a place carries a region code for scoping: a class the county of its IT 2.0 lot (or the
province), an enrolment its teacher's county. Seats of a self-selection offering are taken with a conditional
UPDATE and the database refuses more than the capacity (docs/adr/0004-seat-booking.md).
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from guopei.core.models import TimeStampedModel
from guopei.core.pii import mask_phone, pii_decrypt
from guopei.orgs.models import Institution, School
from guopei.plans.models import Project, ProjectComponent

ERR_CLASS_DATES = "结束日期不能早于开始日期。"
ERR_SESSION_TIMES = "下课时间必须晚于上课时间。"
ERR_OFFERING_WINDOW = "选学截止时间必须晚于开放时间。"
ERR_OFFERING_CAPACITY = "选学名额不能超过班次容量（{capacity}人）。"
ERR_LEAVE_DATES = "请假结束日期不能早于开始日期。"


class TrainingClass(TimeStampedModel):
    """A class (班次) of an awarded project, run by the institution on the dates and at the venue it sets."""

    class Status(models.TextChoices):
        PLANNED = "planned", "筹备中"
        RUNNING = "running", "进行中"
        ENDED = "ended", "已结班"

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="classes")
    institution = models.ForeignKey(Institution, verbose_name="承训机构", on_delete=models.PROTECT,
                                    related_name="classes")
    award = models.ForeignKey("tenders.Award", verbose_name="定标结果", null=True, blank=True,
                              on_delete=models.PROTECT, related_name="classes")
    course_plan = models.ForeignKey("tenders.CoursePlan", verbose_name="课程方案", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="classes")
    region_code = models.CharField("区域代码", max_length=6, db_index=True,
                                   help_text="信息技术2.0项目为项目区县，其余为全省")
    name = models.CharField("班次名称", max_length=200)
    start_date = models.DateField("开班日期")
    end_date = models.DateField("结班日期")
    venue = models.CharField("培训地点", max_length=200)
    capacity = models.PositiveIntegerField("班额", validators=[MinValueValidator(1)])
    form = models.CharField("培训形式", max_length=20, choices=Project.Form.choices, default=Project.Form.FACE_TO_FACE)
    head_teacher = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="班主任", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    pass_mark = models.DecimalField("结业考核合格分", max_digits=5, decimal_places=1, default=60,
                                    validators=[MinValueValidator(0), MaxValueValidator(100)])
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PLANNED)
    ended_at = models.DateTimeField("结班时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = "班次"
        verbose_name_plural = "班次"
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="class_end_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="class_capacity_positive"),
        ]
        indexes = [models.Index(fields=["institution", "status"], name="class_institution_status")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": ERR_CLASS_DATES})

    @property
    def is_ended(self) -> bool:
        return self.status == self.Status.ENDED


class Session(TimeStampedModel):
    """One session (课次) of a class, generated from a module of the approved course plan (COURSE-5)."""

    class Kind(models.TextChoices):
        THEORY = "theory", "理论"
        PRACTICE = "practice", "实践"

    klass = models.ForeignKey(TrainingClass, verbose_name="班次", on_delete=models.CASCADE, related_name="sessions")
    order = models.PositiveSmallIntegerField("序号")
    title = models.CharField("内容（模块）", max_length=200)
    component = models.CharField("环节", max_length=20, choices=ProjectComponent.Kind.choices)
    kind = models.CharField("学时类型", max_length=10, choices=Kind.choices)
    date = models.DateField("日期")
    start_time = models.TimeField("上课时间")
    end_time = models.TimeField("下课时间")
    hours = models.PositiveSmallIntegerField("学时", validators=[MinValueValidator(1)])
    venue = models.CharField("地点", max_length=200, blank=True)
    register_closed_at = models.DateTimeField("考勤关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="关闭人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["klass", "order"]
        verbose_name = "课次"
        verbose_name_plural = "课次"
        constraints = [
            models.UniqueConstraint(fields=["klass", "order"], name="session_order_unique"),
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(hours__gte=1), name="session_hours_positive"),
        ]
        indexes = [models.Index(fields=["klass", "date"], name="session_class_date")]

    def __str__(self) -> str:
        return f"{self.date:%m月%d日} {self.start_time:%H:%M} {self.title}"

    def clean(self) -> None:
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": ERR_SESSION_TIMES})

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.start_time))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.end_time))

    @property
    def is_closed(self) -> bool:
        return self.register_closed_at is not None


class Offering(TimeStampedModel):
    """Seats of a class open to self-selection (选学, MGMT-3) in a window, round 1 and then round 2.

    `taken` counts held seats; it moves only by conditional UPDATEs in `services`, and the database refuses
    `taken > capacity` (docs/adr/0004-seat-booking.md).
    """

    class Status(models.TextChoices):
        OPEN = "open", "选学中"
        CLOSED = "closed", "已截止"
        CANCELLED = "cancelled", "已取消（人数不足）"

    klass = models.ForeignKey(TrainingClass, verbose_name="班次", on_delete=models.PROTECT, related_name="offerings")
    title = models.CharField("选学名称", max_length=200)
    description = models.CharField("说明", max_length=500, blank=True)
    region_code = models.CharField("面向区域", max_length=6, db_index=True,
                                   help_text="该区域（含下级）的教师可以选学")
    capacity = models.PositiveIntegerField("名额", validators=[MinValueValidator(1)])
    taken = models.PositiveIntegerField("已选", default=0, editable=False)
    min_enrolment = models.PositiveIntegerField("最低开班人数", default=1)
    opens_at = models.DateTimeField("开放时间")
    closes_at = models.DateTimeField("截止时间")
    round = models.PositiveSmallIntegerField("轮次", default=1, choices=[(1, "第一轮"), (2, "第二轮")])
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["opens_at", "id"]
        verbose_name = "选学项目"
        verbose_name_plural = "选学项目"
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=F("capacity")), name="offering_taken_within_capacity"),
            models.CheckConstraint(condition=Q(taken__gte=0), name="offering_taken_not_negative"),
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="offering_window_order"),
        ]
        indexes = [models.Index(fields=["status", "opens_at"], name="offering_status_opens")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = ERR_OFFERING_WINDOW
        if self.klass_id and self.capacity and self.capacity > self.klass.capacity:
            errors["capacity"] = ERR_OFFERING_CAPACITY.format(capacity=self.klass.capacity)
        if errors:
            raise ValidationError(errors)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.taken, 0)

    def is_open_at(self, when: datetime) -> bool:
        return self.status == self.Status.OPEN and self.opens_at <= when < self.closes_at


class Seat(TimeStampedModel):
    """A teacher's choice of an offering: a held seat, or a place on the waitlist (first come, first promoted)."""

    class Status(models.TextChoices):
        HELD = "held", "已选上"
        WAITLISTED = "waitlisted", "候补中"
        CANCELLED = "cancelled", "已退选"
        RELEASED = "released", "因取消开班释放"

    ACTIVE = ("held", "waitlisted")

    offering = models.ForeignKey(Offering, verbose_name="选学项目", on_delete=models.PROTECT, related_name="seats")
    teacher = models.ForeignKey("teachers.Teacher", verbose_name="教师", on_delete=models.PROTECT,
                                related_name="seats")
    status = models.CharField("状态", max_length=12, choices=Status.choices)
    queued_at = models.DateTimeField("排队时间", default=timezone.now)
    promoted_at = models.DateTimeField("候补转正时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("退选时间", null=True, blank=True)

    class Meta:
        ordering = ["offering", "queued_at", "id"]
        verbose_name = "选学报名"
        verbose_name_plural = "选学报名"
        constraints = [models.UniqueConstraint(fields=["offering", "teacher"], name="seat_once_per_teacher")]
        indexes = [
            models.Index(fields=["teacher", "status"], name="seat_teacher_status"),
            models.Index(fields=["offering", "status", "queued_at"], name="seat_waitlist_order"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id} · {self.offering_id}（{self.get_status_display()}）"


class Enrolment(TimeStampedModel):
    """A trainee of a class: a confirmed nominee or a teacher who self-selected (参训学员)."""

    class Source(models.TextChoices):
        NOMINATION = "nomination", "遴选推荐"
        SELECTION = "selection", "自主选学"

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "在班"
        CANCELLED = "cancelled", "已取消"
        NO_SHOW = "no_show", "未报到"
        DISMISSED = "dismissed", "已劝退"

    class Result(models.TextChoices):
        PENDING = "pending", "待考核"
        PASSED = "passed", "合格"
        FAILED = "failed", "不合格"

    class Rating(models.TextChoices):
        EXCELLENT = "excellent", "优秀"
        GOOD = "good", "良好"
        PASS = "pass", "合格"
        FAIL = "fail", "不合格"

    klass = models.ForeignKey(TrainingClass, verbose_name="班次", on_delete=models.PROTECT, related_name="enrolments")
    teacher = models.ForeignKey("teachers.Teacher", verbose_name="教师", on_delete=models.PROTECT,
                                related_name="enrolments")
    school = models.ForeignKey(School, verbose_name="选派单位", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True)
    source = models.CharField("来源", max_length=12, choices=Source.choices)
    nomination = models.ForeignKey("teachers.Nomination", verbose_name="推荐", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    seat = models.OneToOneField(Seat, verbose_name="选学报名", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="enrolment")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.ENROLLED)
    # Completion assessment (结业考核).
    result = models.CharField("结业考核", max_length=10, choices=Result.choices, default=Result.PENDING)
    score = models.DecimalField("考核成绩", max_digits=5, decimal_places=1, null=True, blank=True,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    attendance_rate = models.DecimalField("出勤率（%）", max_digits=5, decimal_places=1, null=True, blank=True)
    criteria = models.JSONField("考核依据", default=dict, blank=True)
    assessed_on = models.DateField("考核日期", null=True, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="考核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    # Results-application assessment (成果应用考核) by the sending unit, some weeks later (TRAINEE-1).
    application_rating = models.CharField("成果应用考核", max_length=10, choices=Rating.choices, blank=True)
    application_comment = models.CharField("成果应用评价", max_length=500, blank=True)
    application_assessed_at = models.DateTimeField("成果应用考核时间", null=True, blank=True)
    application_assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="成果应用考核人", null=True,
                                                blank=True, on_delete=models.PROTECT, related_name="+")
    # Health and safety (TRAINEE-2).
    insurance_bought = models.BooleanField("已购买人身意外伤害保险", default=False)
    insurance_recorded_at = models.DateTimeField("保险登记时间", null=True, blank=True)
    insurance_reminded_at = models.DateTimeField("保险提醒时间", null=True, blank=True)
    emergency_name = models.CharField("紧急联系人", max_length=50, blank=True)
    emergency_relation = models.CharField("与本人关系", max_length=20, blank=True)
    emergency_phone = models.CharField("紧急联系电话（密文）", max_length=255, blank=True, editable=False)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["klass", "teacher__name_pinyin", "id"]
        verbose_name = "参训学员"
        verbose_name_plural = "参训学员"
        constraints = [
            models.UniqueConstraint(fields=["klass", "teacher"], name="enrolment_once_per_class"),
            models.CheckConstraint(condition=~Q(result="passed") | Q(status="enrolled"),
                                   name="enrolment_passed_only_if_enrolled"),
        ]
        indexes = [
            models.Index(fields=["teacher", "status"], name="enrolment_teacher_status"),
            models.Index(fields=["school", "klass"], name="enrolment_school_class"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} · {self.klass}"

    @property
    def emergency_phone_masked(self) -> str:
        return mask_phone(pii_decrypt(self.emergency_phone)) if self.emergency_phone else ""

    @property
    def emergency_phone_plain(self) -> str:
        return pii_decrypt(self.emergency_phone) if self.emergency_phone else ""

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ENROLLED


class Attendance(TimeStampedModel):
    """A trainee's attendance at one session: present, late, excused or absent."""

    class Status(models.TextChoices):
        PRESENT = "present", "出勤"
        LATE = "late", "迟到"
        EXCUSED = "excused", "请假"
        ABSENT = "absent", "缺勤"

    ATTENDED = ("present", "late")

    class Method(models.TextChoices):
        QR = "qr", "扫码签到"
        STAFF = "staff", "工作人员登记"
        LEAVE = "leave", "请假批准"
        REGISTER_CLOSE = "close", "关闭考勤时记缺勤"

    session = models.ForeignKey(Session, verbose_name="课次", on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, verbose_name="学员", on_delete=models.CASCADE,
                                  related_name="attendance")
    status = models.CharField("考勤", max_length=10, choices=Status.choices)
    method = models.CharField("方式", max_length=10, choices=Method.choices)
    checked_at = models.DateTimeField("签到时间", null=True, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        ordering = ["session", "enrolment"]
        verbose_name = "考勤记录"
        verbose_name_plural = "考勤记录"
        constraints = [models.UniqueConstraint(fields=["session", "enrolment"], name="attendance_once_per_session")]
        indexes = [models.Index(fields=["enrolment", "status"], name="attendance_enrolment_status")]

    def __str__(self) -> str:
        return f"{self.session} {self.get_status_display()}"


class Decision(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"


class LeaveRequest(TimeStampedModel):
    """A trainee's request for leave over some days of the class; approved leave is excused attendance."""

    enrolment = models.ForeignKey(Enrolment, verbose_name="学员", on_delete=models.CASCADE,
                                  related_name="leave_requests")
    from_date = models.DateField("请假开始日期")
    to_date = models.DateField("请假结束日期")
    reason = models.CharField("请假事由", max_length=500)
    status = models.CharField("审批", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "请假申请"
        verbose_name_plural = "请假申请"
        constraints = [models.CheckConstraint(condition=Q(to_date__gte=F("from_date")), name="leave_dates_order")]

    def __str__(self) -> str:
        return f"{self.enrolment.teacher} {self.from_date}—{self.to_date}"

    def clean(self) -> None:
        if self.from_date and self.to_date and self.to_date < self.from_date:
            raise ValidationError({"to_date": ERR_LEAVE_DATES})

    def covers(self, day: date) -> bool:
        return self.from_date <= day <= self.to_date


def evidence_path(instance: models.Model, filename: str) -> str:
    return f"delivery/evidence/{filename}"


class Dismissal(TimeStampedModel):
    """The institution sends a trainee home (劝退, MGMT-5), with the reason and the evidence."""

    enrolment = models.OneToOneField(Enrolment, verbose_name="学员", on_delete=models.PROTECT,
                                     related_name="dismissal")
    reason = models.CharField("劝退原因", max_length=500)
    evidence = models.FileField("证明材料", upload_to=evidence_path, max_length=300)
    evidence_name = models.CharField("材料文件名", max_length=200)
    evidence_mime = models.CharField("材料类型", max_length=100)
    dismissed_on = models.DateField("劝退日期")
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="劝退人", on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        ordering = ["-dismissed_on", "-id"]
        verbose_name = "劝退记录"
        verbose_name_plural = "劝退记录"

    def __str__(self) -> str:
        return f"{self.enrolment.teacher} 劝退（{self.dismissed_on}）"

    @property
    def region_code(self) -> str:
        return self.enrolment.region_code


class SpecialCircumstance(TimeStampedModel):
    """Special circumstances (特殊情况) filed by the trainee or the sending unit; the teacher's county decides.

    Approved circumstances keep a no-show out of the integrity file (MGMT-6: "without special circumstances").
    """

    class Kind(models.TextChoices):
        ILLNESS = "illness", "本人患病"
        FAMILY = "family", "家庭重大变故"
        DUTY = "duty", "工作任务冲突（经单位证明）"
        FORCE_MAJEURE = "force_majeure", "不可抗力"
        OTHER = "other", "其他"

    enrolment = models.ForeignKey(Enrolment, verbose_name="学员", on_delete=models.CASCADE,
                                  related_name="circumstances")
    region_code = models.CharField("区域代码", max_length=6, db_index=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    description = models.CharField("情况说明", max_length=1000)
    evidence = models.FileField("证明材料", upload_to=evidence_path, max_length=300, blank=True)
    evidence_name = models.CharField("材料文件名", max_length=200, blank=True)
    evidence_mime = models.CharField("材料类型", max_length=100, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT,
                                 related_name="+")
    filed_as_school = models.BooleanField("由选派单位提交", default=False)
    status = models.CharField("审批", max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "特殊情况"
        verbose_name_plural = "特殊情况"
        constraints = [models.CheckConstraint(condition=Q(status="pending") | ~Q(decision_note=""),
                                              name="circumstance_decision_has_note")]

    def __str__(self) -> str:
        return f"{self.enrolment.teacher} {self.get_kind_display()}（{self.get_status_display()}）"


class Certificate(TimeStampedModel):
    """The completion certificate of a trainee who passed, with a code the public page checks."""

    enrolment = models.OneToOneField(Enrolment, verbose_name="学员", on_delete=models.PROTECT,
                                     related_name="certificate")
    code = models.CharField("验证码", max_length=20, unique=True)
    issued_on = models.DateField("发证日期")
    hours = models.PositiveSmallIntegerField("学时")
    practice_hours = models.PositiveSmallIntegerField("实践学时", default=0)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = "结业证书"
        verbose_name_plural = "结业证书"

    def __str__(self) -> str:
        return f"结业证书 {self.code}"


class Notice(TimeStampedModel):
    """An in-app notice to one person: shown on their home page until read."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE,
                                  related_name="delivery_notices")
    text = models.CharField("内容", max_length=500)
    url = models.CharField("链接", max_length=300, blank=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_recipient_read")]

    def __str__(self) -> str:
        return self.text[:40]


class Incident(TimeStampedModel):
    """A health or safety incident in a class (TRAINEE-2): what happened, to whom, what was done and followed up."""

    class Severity(models.TextChoices):
        MINOR = "minor", "一般（IV级）"
        MODERATE = "moderate", "较大（III级）"
        SEVERE = "severe", "重大（II级）"
        CRITICAL = "critical", "特别重大（I级）"

    SEVERE_LEVELS = ("severe", "critical")

    class Status(models.TextChoices):
        OPEN = "open", "处置中"
        CLOSED = "closed", "已办结"

    klass = models.ForeignKey(TrainingClass, verbose_name="班次", on_delete=models.PROTECT, related_name="incidents")
    occurred_at = models.DateTimeField("发生时间")
    place = models.CharField("地点", max_length=200)
    people = models.CharField("涉及人员", max_length=500)
    trainees: models.ManyToManyField[Enrolment, IncidentPerson] = models.ManyToManyField(
        Enrolment, verbose_name="涉及学员", through="IncidentPerson", related_name="incidents", blank=True)
    severity = models.CharField("等级", max_length=10, choices=Severity.choices)
    description = models.CharField("经过", max_length=2000)
    actions = models.CharField("已采取措施", max_length=2000)
    follow_up = models.CharField("后续跟进", max_length=2000, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报告人", on_delete=models.PROTECT,
                                    related_name="+")
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "安全事件"
        verbose_name_plural = "安全事件"
        indexes = [models.Index(fields=["severity", "status"], name="incident_severity_status")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.place}（{self.get_severity_display()}）"

    @property
    def is_severe(self) -> bool:
        return self.severity in self.SEVERE_LEVELS


class IncidentPerson(TimeStampedModel):
    """A trainee involved in an incident; its region code lets the trainee's county see the report."""

    incident = models.ForeignKey(Incident, verbose_name="事件", on_delete=models.CASCADE, related_name="persons")
    enrolment = models.ForeignKey(Enrolment, verbose_name="学员", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True)

    class Meta:
        ordering = ["incident", "id"]
        verbose_name = "事件涉及学员"
        verbose_name_plural = "事件涉及学员"
        constraints = [models.UniqueConstraint(fields=["incident", "enrolment"], name="incident_person_once")]

    def __str__(self) -> str:
        return str(self.enrolment)
