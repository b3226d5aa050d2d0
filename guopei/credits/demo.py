"""Credit hours and IT 2.0 progress in the demo world (示例), built through the real services.

- The delivery demo's ended classes: their institutions submit the hours of the trainees who passed, from
  attendance; 小店区 recognises those of the earlier classes, the latest class's wait in its queue.
- 小店区 (the `xiaodian_admin` account's county): class hours of 2020 programme classes submitted by the
  institution (`jigou_staff`), most recognised, the latest class still waiting in the county's audit queue;
  school-based study the demo school's administrator submitted with a generated certificate as evidence, some
  recognised, some waiting; and the `jiaoshi` teacher's transcript across the 2016–2020 cycle with a
  self-study submission of her own still pending.
- The demo IT 2.0 counties that have demo teachers: every teacher of the whole-school kinds gets hours from the
  IT 2.0 project (online and practice), spread so that some complete (one school entirely), some reach 50
  hours with too little practice, some are halfway, some have not started. Each county's administrator
  account (created here when missing) recognises them.

Everything is found again by natural key (teacher + source, or teacher + year + title), and which records are
recognised follows a hash of the teacher, so running it twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction

from guopei.delivery.models import Enrolment, TrainingClass
from guopei.orgs.models import Institution, Membership, Region, School, User
from guopei.plans.models import Project, ProjectCounty
from guopei.teachers.models import Teacher

from . import services
from .it20 import IT20_SCHOOL_KINDS
from .models import HourRecord

Role = Membership.Role
Status = HourRecord.Status
YEAR = 2020
D = Decimal
MARK = "（示例）"
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

# County administrators of the demo IT 2.0 counties that have demo teachers (they audit those counties' hours).
IT20_AUDITORS = {"140121": ("qingxu_admin", "阎海燕"), "140215": ("yunzhou_admin", "常振华")}


def _score(*parts: Any) -> int:
    """A stable number 0–99 for these parts: decides outcomes without depending on the order of creation."""
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16) % 100


def _certificate(teacher: Teacher, title: str, hours: Decimal, issuer: str) -> ContentFile:
    """A certificate picture (PNG) with the teacher's name, the training and the hours, as evidence."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (900, 600), "#fffaf0")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 880, 580), outline="#b22222", width=6)
    big: Any
    small: Any
    try:
        big, small = ImageFont.truetype(FONT, 48), ImageFont.truetype(FONT, 28)
    except OSError:
        big = small = ImageFont.load_default()
    draw.text((450, 110), "培训学时证明", font=big, fill="#b22222", anchor="mm")
    lines = [f"{teacher.name} 老师：", f"参加“{title}”", f"共计 {hours} 学时，特此证明。", "", f"{issuer}",
             f"{YEAR}年12月（示例）"]
    for i, line in enumerate(lines):
        draw.text((110, 200 + i * 52), line, font=small, fill="#222222")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="培训证明.png")


@dataclass
class Counts:
    created: int = 0
    recognised: int = 0


def _recognise(auditor: User | None, records: list[HourRecord], counts: Counts) -> None:
    pending = [r.pk for r in records if r.status == Status.SUBMITTED]
    if auditor is None or not pending:
        return
    for start in range(0, len(pending), 400):
        result = services.hour_records_bulk_approve(actor=auditor, record_ids=pending[start:start + 400])
        counts.recognised += len(result.approved)


def _class(staff: User, institution: Institution, *, ref: str, title: str, year: int, project: Project | None,
           rows: list[services.AttendedHours], started: date, ended: date, counts: Counts) -> list[HourRecord]:
    """Submit a class's hours (skipping trainees already submitted) and return all its live records."""
    done = set(HourRecord.objects.filter(source_ref=ref).exclude(status=Status.REJECTED)
               .values_list("teacher_id", flat=True))
    rows = [r for r in rows if r.teacher_id not in done]
    if rows:
        result = services.class_hours_submit(actor=staff, institution=institution, source_ref=ref, title=title,
                                             year=year, project=project, rows=rows, started_on=started,
                                             ended_on=ended, extra={"demo": True}, is_demo=True)
        counts.created += len(result.created)
    return list(HourRecord.objects.filter(source_ref=ref).exclude(status=Status.REJECTED))


def _submission(actor: User, teacher: Teacher, *, year: int, kind: str, title: str, theory: str, practice: str,
                organiser: str, counts: Counts, is_it20: bool = False) -> HourRecord:
    existing = HourRecord.objects.filter(teacher=teacher, year=year, title=title).exclude(
        status=Status.REJECTED).first()
    if existing is not None:
        return existing
    hours = D(theory) + D(practice)
    record = services.hour_record_submit(
        actor=actor, teacher=teacher, year=year, kind=kind, title=title, organiser=organiser,
        theory_hours=D(theory), practice_hours=D(practice), is_it20=is_it20,
        evidence=_certificate(teacher, title, hours, organiser), evidence_filename=f"{teacher.name}_培训证明.png",
        started_on=date(year, 3, 2), ended_on=date(year, 6, 30), is_demo=True,
    )
    counts.created += 1
    return record


def _county_admin(code: str, username: str, full_name: str, password: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, full_name=full_name, is_demo=True,
                                   password=make_password(password))
    Membership.objects.get_or_create(user=user, role=Role.COUNTY_ADMIN, region=Region.objects.get(code=code),
                                     school=None, institution=None)
    return user


def _xiaodian(users: dict[str, User], staff: User, institution: Institution, counts: Counts) -> None:
    """小店区: recognised and pending class hours and school-based study, and the demo teacher's transcript."""
    from guopei.orgs.demo import DEMO_SCHOOL_CODE

    auditor = users.get("xiaodian_admin")
    teachers = list(Teacher.objects.filter(is_demo=True, region_code="140105", status=Teacher.Status.ACTIVE)
                    .select_related("school").order_by("id_hash"))
    if not teachers:
        return
    projects = {p.code: p for p in Project.objects.filter(plan__year=YEAR, code__in=["GP2020-01", "GP2020-02"])}
    primary = [t for t in teachers if t.school.kind == School.Kind.PRIMARY]
    junior = [t for t in teachers if t.school.kind in (School.Kind.JUNIOR, School.Kind.NINE_YEAR)]
    # A summer class, audited and recognised.
    done = [t for t in junior if _score("jr", t.id_hash) < 40][:14]
    records = _class(staff, institution, ref="demo:class:GP2020-02-1",
                     title="乡村初中数学教师学科育德与作业设计能力培训（第1期）" + MARK, year=YEAR,
                     project=projects.get("GP2020-02"), started=date(2020, 10, 12), ended=date(2020, 10, 17),
                     rows=[services.AttendedHours(t.pk, D("36"), D("12") if _score("jr-p", t.id_hash) < 80
                                                  else D("8")) for t in done], counts=counts)
    _recognise(auditor, records, counts)
    # The latest class: its hours wait in the county's audit queue.
    waiting = [t for t in primary if _score("py", t.id_hash) < 30][:12]
    _class(staff, institution, ref="demo:class:GP2020-01-1",
           title="乡村小学语文骨干教师教学能力提升培训（第1期）" + MARK, year=YEAR, project=projects.get("GP2020-01"),
           started=date(2020, 9, 14), ended=date(2020, 11, 30),
           rows=[services.AttendedHours(t.pk, D("60") if _score("py-t", t.id_hash) < 85 else D("56"), D("20"))
                 for t in waiting], counts=counts)
    # School-based study at the demo school, submitted by its administrator with certificates.
    school_admin = users.get("school_admin")
    demo_school = [t for t in teachers if t.school.code == DEMO_SCHOOL_CODE and t.user_id is None]
    if school_admin is not None:
        spring = [_submission(school_admin, t, year=YEAR, kind=HourRecord.Kind.SCHOOL_BASED,
                              title="2020年春季校本研修：线上教学与作业设计" + MARK, theory="16", practice="8",
                              organiser="小店区第一小学教研室" + MARK, counts=counts) for t in demo_school[:8]]
        _recognise(auditor, spring[:5], counts)
    # The demo teacher (`jiaoshi`): a full cycle, and a self-study submission of her own still pending.
    own = Teacher.objects.filter(user__username="jiaoshi").select_related("school", "user").first()
    if own is not None:
        history = [
            ("demo:own:2016", "小学语文教师教学能力提升培训" + MARK, 2016, "48", "24"),
            ("demo:own:2017", "乡村教师工作坊研修" + MARK, 2017, "40", "32"),
            ("demo:own:2018", "骨干教师教学能力提升培训" + MARK, 2018, "56", "24"),
            ("demo:own:2019", "送教下乡培训（语文）" + MARK, 2019, "32", "40"),
        ]
        for ref, title, year, theory, practice in history:
            _recognise(auditor, _class(staff, institution, ref=ref, title=title, year=year, project=None,
                                       rows=[services.AttendedHours(own.pk, D(theory), D(practice))],
                                       started=date(year, 7, 6), ended=date(year, 7, 17), counts=counts), counts)
        if school_admin is not None:
            _recognise(auditor, [_submission(school_admin, own, year=YEAR, kind=HourRecord.Kind.SCHOOL_BASED,
                                             title="2020年春季校本研修：线上教学与作业设计" + MARK, theory="16",
                                             practice="8", organiser="小店区第一小学教研室" + MARK,
                                             counts=counts)], counts)
        if own.user is not None:
            _submission(own.user, own, year=YEAR, kind=HourRecord.Kind.SELF_STUDY,
                        title="国家中小学网络云平台：整本书阅读教学专题" + MARK, theory="12", practice="0",
                        organiser="国家中小学网络云平台", counts=counts)


def _it20(staff: User, institution: Institution, password: str, counts: Counts) -> None:
    """The demo IT 2.0 counties with demo teachers: hours from the IT 2.0 project, recognised by the county."""
    project = Project.objects.filter(plan__year=YEAR, code="GP2020-04").first()
    codes = list(ProjectCounty.objects.filter(year=YEAR, is_it20=True, county_id__in=list(IT20_AUDITORS))
                 .values_list("county_id", flat=True))
    for code in sorted(codes):
        teachers = list(Teacher.objects.filter(is_demo=True, region_code=code, status=Teacher.Status.ACTIVE,
                                               school__kind__in=IT20_SCHOOL_KINDS)
                        .select_related("school", "school__county").order_by("school__code", "id_hash"))
        if not teachers:
            continue
        county = teachers[0].school.county
        username, full_name = IT20_AUDITORS[code]
        auditor = _county_admin(code, username, full_name, password)
        showcase = teachers[0].school_id  # this school completes as a whole
        rows = []
        for t in teachers:
            score = 0 if t.school_id == showcase else _score("it20", t.id_hash)
            if score < 45:
                theory, practice = ("25", "25") if score % 3 == 0 else ("28", "30")
            elif score < 55:
                theory, practice = "26", "24"  # 50 hours, one practice hour short
            elif score < 80:
                theory, practice = "20", "10" if score % 2 else "4"
            else:
                continue  # not started
            rows.append(services.AttendedHours(t.pk, D(theory), D(practice)))
        records = _class(staff, institution, ref=f"demo:it20:GP2020-04:{code}",
                         title=f"信息技术应用能力提升工程2.0整校推进培训（{county.name}）" + MARK, year=YEAR,
                         project=project, started=date(2020, 9, 1), ended=date(2020, 12, 20), rows=rows,
                         counts=counts)
        # A few records wait for the county's audit; they do not count until recognised.
        _recognise(auditor, [r for r in records if _score("it20-audit", r.teacher_id) >= 8], counts)


def _delivered_classes(users: dict[str, User], counts: Counts) -> None:
    """Ended demo classes of the delivery demo: their institution submits the hours of trainees who passed;
    小店区's administrator recognises the 小店区 ones that are from classes ended before the latest one."""
    classes = list(TrainingClass.objects.filter(is_demo=True, status=TrainingClass.Status.ENDED)
                   .select_related("institution").order_by("end_date", "pk"))
    for klass in classes:
        staff = (User.objects.filter(memberships__role=Role.INSTITUTION_STAFF, memberships__is_active=True,
                                     memberships__institution=klass.institution).order_by("pk").first())
        if staff is None:
            continue
        ref = services.class_source_ref(klass)
        passed = set(Enrolment.objects.filter(klass=klass, status=Enrolment.Status.ENROLLED,
                                              result=Enrolment.Result.PASSED).values_list("teacher_id", flat=True))
        done = set(HourRecord.objects.filter(source_ref=ref).exclude(status=Status.REJECTED)
                   .values_list("teacher_id", flat=True))
        if not passed - done:
            continue
        result = services.hours_submit_for_class(training_class=klass, actor=staff)
        counts.created += len(result.created)
    if classes and "xiaodian_admin" in users:
        older = [services.class_source_ref(k) for k in classes[:-1]]
        _recognise(users["xiaodian_admin"], list(HourRecord.objects.filter(source_ref__in=older, region_code="140105",
                                                                          status=Status.SUBMITTED)), counts)


@transaction.atomic
def build(stdout: Any) -> None:
    """Create whatever of the credits demo is missing; print one line saying what there is."""
    from guopei.orgs.demo import DEMO_INSTITUTION_NAME, DEMO_PASSWORD

    if not Teacher.objects.filter(is_demo=True).exists():
        stdout.write("学时学分示例：未找到示例教师（请先生成教师库示例），未生成学时示例数据。")
        return
    users = {u.username: u for u in User.objects.filter(
        username__in=["xiaodian_admin", "school_admin", "jigou_staff", "jiaoshi"])}
    institution = Institution.objects.filter(name=DEMO_INSTITUTION_NAME).first()
    staff = users.get("jigou_staff")
    if institution is None or staff is None:
        stdout.write("学时学分示例：未找到示例培训机构或机构账号，未生成学时示例数据。")
        return
    counts = Counts()
    _delivered_classes(users, counts)
    _xiaodian(users, staff, institution, counts)
    _it20(staff, institution, DEMO_PASSWORD, counts)
    demo = HourRecord.objects.filter(is_demo=True)
    stdout.write(
        f"学时学分示例：学时记录 {demo.count()} 条（已认定 {demo.filter(status=Status.RECOGNISED).count()} 条，"
        f"小店区待审核 {demo.filter(status=Status.SUBMITTED, region_code='140105').count()} 条）"
        f"（本次新建 {counts.created} 条，认定 {counts.recognised} 条）。"
    )
