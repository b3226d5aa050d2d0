"""Every write of credit hours (MGMT-3): submissions, the county's audit and recognition as credits.

Hours reach a teacher's record two ways. A programme class's hours come from its attendance, never from a
paper form: the institution submits them for the whole class at once, one record per completed trainee
(`hours_submit_for_class`). Other training (school-based study, self-study…) is submitted by the teacher with
evidence (`hour_record_submit`); without evidence it is refused. Either way the county administrator of the
teacher's county audits the record; approval recognises the hours as credits at the configured rate, a
rejection needs a reason. Every decision is its own audit event, also in a bulk approval, which adds one
summary event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.uploads import DOCX, JPEG, PDF, PNG, CheckedUpload, UploadError, check_upload, stored_name
from guopei.delivery.models import TrainingClass
from guopei.delivery.selectors import attended_hours, completed_enrolments
from guopei.orgs.models import Institution, Membership
from guopei.orgs.scoping import admin_region_codes, institution_ids_of, school_ids_of
from guopei.plans.models import Project
from guopei.teachers.models import Teacher

from .models import HourRecord
from .requirements import ONE_PLACE, credits_for

Role = Membership.Role
Kind = HourRecord.Kind
Status = HourRecord.Status

EVIDENCE_TYPES = (PDF, JPEG, PNG, DOCX)
TEACHER_KINDS = (Kind.SCHOOL_BASED, Kind.SELF_STUDY, Kind.OTHER)

ERR_EVIDENCE_REQUIRED = "申报其他培训学时必须上传证明材料（结业证书、培训通知或学校出具的证明等）。"
ERR_NOT_OWN_TEACHER = "只能为本人或本校（本园）教师申报学时。"
ERR_TEACHER_KIND = "教师本人只能申报校本研修、自主研修或其他培训的学时；国培计划的学时由承训机构依据考勤报送。"
ERR_TEACHER_INACTIVE = "该教师当前不在职，不能申报学时。"
ERR_NOT_PENDING = "该记录已审核（{status}），不能重复审核。"
ERR_NOT_AUDITOR = "只有该教师所在县（市、区）的县级管理员可以审核这条学时记录。"
ERR_REJECT_REASON = "退回时必须填写理由，告诉报送人需要补充或更正什么。"
ERR_BULK_EMPTY = "请至少选择一条待审核的记录。"
ERR_BULK_TOO_MANY = "一次最多批量认定 {limit} 条记录，请分批操作。"
ERR_NOT_INSTITUTION = "只有承训机构人员可以报送本机构班次的学时。"
ERR_NOTHING_ATTENDED = "该班次没有可报送的学时（没有结业学员或考勤中没有出勤学时）。"
ERR_CLASS_NOT_ENDED = "班次结班后才能报送学时。"


def _is_auditor(actor: Any, region_code: str) -> bool:
    """The county administrator of exactly this county (not a city or the province) audits (MGMT-3)."""
    return region_code in admin_region_codes(actor, [Role.COUNTY_ADMIN])


def _check_evidence(upload: IO[bytes], filename: str, actor: Any, region_code: str) -> CheckedUpload:
    """Check the evidence by content and size; a refusal is audited (attempts to upload programs show)."""
    try:
        return check_upload(upload, name=filename, allowed=EVIDENCE_TYPES,
                            max_bytes=settings.CREDIT_EVIDENCE_MAX_BYTES)
    except UploadError as exc:
        audit_record(actor=actor, action="credits.evidence_refused", region_code=region_code,
                     detail={"code": exc.code, "name": filename[:200]})
        raise ValidationError({"evidence": [exc.message]}, code=exc.code) from None


def _store_evidence(record: HourRecord, upload: IO[bytes], checked: CheckedUpload) -> str:
    upload.seek(0)
    name = default_storage.save(stored_name(f"credits/evidence/{record.region_code}", checked.file_type), upload)
    record.evidence.name = name
    record.evidence_name = checked.display_name
    record.evidence_type = checked.file_type.mime
    record.evidence_size = checked.size
    record.evidence_sha256 = checked.sha256
    return name


def hour_record_submit(
    *,
    actor: Any,
    teacher: Teacher,
    year: int,
    kind: str,
    title: str,
    theory_hours: Decimal,
    practice_hours: Decimal,
    evidence: IO[bytes] | None,
    evidence_filename: str = "",
    organiser: str = "",
    is_it20: bool = False,
    started_on: date | None = None,
    ended_on: date | None = None,
    note: str = "",
    is_demo: bool = False,
) -> HourRecord:
    """A teacher (or their school's administrator) submits hours of other training with evidence, for the
    county's audit (MGMT-3).

    Refused without evidence, for someone else, or for the programme's own classes (their hours come from
    attendance, see `hours_submit_for_class`). A refused file stores nothing.
    """
    if teacher.user_id is not None and teacher.user_id == getattr(actor, "pk", None):
        origin = HourRecord.Origin.TEACHER
    elif teacher.school_id in school_ids_of(actor, [Role.SCHOOL_ADMIN]):
        origin = HourRecord.Origin.SCHOOL
    else:
        raise PermissionDenied(ERR_NOT_OWN_TEACHER)
    if kind not in TEACHER_KINDS:
        raise ValidationError({"kind": [ERR_TEACHER_KIND]}, code="kind")
    if not teacher.is_active:
        raise ValidationError(ERR_TEACHER_INACTIVE, code="inactive")
    if evidence is None or not getattr(evidence, "size", 1):
        raise ValidationError({"evidence": [ERR_EVIDENCE_REQUIRED]}, code="evidence_required")
    record = HourRecord(
        teacher=teacher, region_code=teacher.region_code, year=year, kind=kind, origin=origin,
        title=title.strip(), organiser=organiser.strip(), is_it20=is_it20, started_on=started_on,
        ended_on=ended_on, theory_hours=Decimal(theory_hours).quantize(ONE_PLACE),
        practice_hours=Decimal(practice_hours).quantize(ONE_PLACE), note=note.strip(), submitted_by=actor,
        submitted_at=timezone.now(), is_demo=is_demo,
    )
    record.full_clean(exclude=["evidence", "evidence_name", "evidence_type", "evidence_sha256", "submitted_by",
                               "teacher"])
    checked = _check_evidence(evidence, evidence_filename, actor, record.region_code)
    stored = ""
    try:
        with transaction.atomic():
            stored = _store_evidence(record, evidence, checked)
            record.save()
            audit_record(actor=actor, action="credits.hour_record_submit", obj=record,
                         detail={"teacher_id": teacher.pk, "kind": kind, "year": year,
                                 "theory_hours": str(record.theory_hours),
                                 "practice_hours": str(record.practice_hours), "is_it20": is_it20,
                                 "evidence_sha256": record.evidence_sha256})
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return record


@dataclass(frozen=True)
class AttendedHours:
    """One completed trainee's hours from attendance (present or late sessions), split by session type."""

    teacher_id: int
    theory_hours: Decimal
    practice_hours: Decimal


@dataclass(frozen=True)
class ClassSubmission:
    created: list[HourRecord]
    skipped: int  # trainees who already have a record of this class awaiting audit or recognised


def class_hours_submit(
    *,
    actor: Any,
    institution: Institution,
    source_ref: str,
    title: str,
    year: int,
    project: Project | None,
    rows: Iterable[AttendedHours],
    started_on: date | None = None,
    ended_on: date | None = None,
    extra: dict[str, Any] | None = None,
    training_class: TrainingClass | None = None,
    is_demo: bool = False,
) -> ClassSubmission:
    """Create one record per completed trainee of a class from their attended hours (MGMT-3, PLAN-5).

    Re-running is safe: a trainee whose record of this class is pending or recognised is skipped; one whose
    record was rejected gets a new one (the institution corrected the attendance). Records of an IT 2.0
    project count towards IT 2.0 progress. One audit event per record, and one for the submission.
    """
    if institution.pk not in institution_ids_of(actor):
        raise PermissionDenied(ERR_NOT_INSTITUTION)
    wanted = [r for r in rows if r.theory_hours + r.practice_hours > 0]
    if not wanted:
        raise ValidationError(ERR_NOTHING_ATTENDED, code="nothing_attended")
    now = timezone.now()
    with transaction.atomic():
        teachers = {t.pk: t for t in Teacher.objects.filter(pk__in=[r.teacher_id for r in wanted])}
        taken = set(HourRecord.objects.filter(source_ref=source_ref, teacher_id__in=list(teachers),
                                              status__in=[Status.SUBMITTED, Status.RECOGNISED])
                    .values_list("teacher_id", flat=True))
        created: list[HourRecord] = []
        for row in sorted(wanted, key=lambda r: r.teacher_id):
            teacher = teachers.get(row.teacher_id)
            if teacher is None or teacher.pk in taken:
                continue
            record = HourRecord(
                teacher=teacher, region_code=teacher.region_code, year=year, kind=Kind.NATIONAL,
                origin=HourRecord.Origin.INSTITUTION, title=title[:200], organiser=institution.name[:100],
                project=project, institution=institution, source_ref=source_ref, training_class=training_class,
                is_it20=bool(project and project.is_it20), started_on=started_on, ended_on=ended_on,
                theory_hours=Decimal(row.theory_hours).quantize(ONE_PLACE),
                practice_hours=Decimal(row.practice_hours).quantize(ONE_PLACE),
                submitted_by=actor, submitted_at=now, is_demo=is_demo,
            )
            record.full_clean(exclude=["teacher", "submitted_by", "project", "institution", "training_class"])
            record.save()
            audit_record(actor=actor, action="credits.hour_record_submit", obj=record,
                         detail={"teacher_id": teacher.pk, "source": source_ref, "kind": record.kind,
                                 "theory_hours": str(record.theory_hours),
                                 "practice_hours": str(record.practice_hours), "is_it20": record.is_it20})
            created.append(record)
        audit_record(actor=actor, action="credits.class_hours_submit", obj=institution,
                     object_id=source_ref, object_type="credits.class",
                     detail={"source": source_ref, "created": len(created), "skipped": len(wanted) - len(created),
                             **(extra or {})})
    return ClassSubmission(created=created, skipped=len(wanted) - len(created))


def class_source_ref(training_class: TrainingClass) -> str:
    return f"class:{training_class.pk}"


def hours_submit_for_class(*, training_class: TrainingClass, actor: Any) -> ClassSubmission:
    """The institution submits a completed class's hours: one record per trainee who passed the completion
    assessment, theory and practice hours from the sessions they attended (present or late), never from a
    paper form (MGMT-3). Records of an IT 2.0 project count towards IT 2.0 progress (PLAN-5).

    Refused before the class has ended, or when nobody has passed yet. Safe to repeat: trainees assessed later
    are added, those already submitted are skipped.
    """
    if training_class.status != TrainingClass.Status.ENDED:
        raise ValidationError(ERR_CLASS_NOT_ENDED, code="class_not_ended")
    klass = TrainingClass.objects.select_related("project__plan", "institution").get(pk=training_class.pk)
    passed = list(completed_enrolments(institution_id=klass.institution_id).filter(klass=klass)
                  .values_list("teacher_id", flat=True))
    if not passed:
        raise ValidationError(ERR_NOTHING_ATTENDED, code="nothing_attended")
    hours: Any = attended_hours(teacher_ids=passed)
    rows = [AttendedHours(teacher_id=row["teacher_id"], theory_hours=Decimal(row["theory_hours"] or 0),
                          practice_hours=Decimal(row["practice_hours"] or 0))
            for row in hours.filter(class_id=klass.pk)]
    project = klass.project
    return class_hours_submit(
        actor=actor, institution=klass.institution, source_ref=class_source_ref(klass),
        title=f"{project.name}（{klass.name}）" if klass.name not in project.name else klass.name,
        year=project.plan.year, project=project, rows=rows, started_on=klass.start_date, ended_on=klass.end_date,
        extra={"class_id": klass.pk, "passed": len(passed)}, training_class=klass,
    )


def _decide(record: HourRecord, *, actor: Any, now: Any) -> HourRecord:
    if not _is_auditor(actor, record.region_code):
        raise PermissionDenied(ERR_NOT_AUDITOR)
    if record.status != Status.SUBMITTED:
        raise ValidationError(ERR_NOT_PENDING.format(status=record.get_status_display()), code="not_pending")
    record.decided_by = actor
    record.decided_at = now
    return record


def _approve_locked(record: HourRecord, *, actor: Any, now: Any) -> HourRecord:
    _decide(record, actor=actor, now=now)
    record.status = Status.RECOGNISED
    record.credits = credits_for(record.total_hours)
    record.reject_reason = ""
    record.full_clean(exclude=["teacher", "submitted_by", "decided_by", "project", "institution", "evidence",
                               "training_class"])
    record.save(update_fields=["status", "credits", "decided_by", "decided_at", "reject_reason", "updated_at"])
    audit_record(actor=actor, action="credits.hour_record_approve", obj=record,
                 detail={"teacher_id": record.teacher_id, "hours": str(record.total_hours),
                         "practice_hours": str(record.practice_hours), "credits": str(record.credits),
                         "hours_per_credit": settings.CREDIT_HOURS_PER_CREDIT})
    return record


def hour_record_approve(*, actor: Any, record: HourRecord) -> HourRecord:
    """The county approves a record; its hours are recognised as credits at the current rate (MGMT-3)."""
    with transaction.atomic():
        locked = HourRecord.objects.select_for_update().get(pk=record.pk)
        return _approve_locked(locked, actor=actor, now=timezone.now())


def hour_record_reject(*, actor: Any, record: HourRecord, reason: str) -> HourRecord:
    """The county rejects a record with a reason the submitter sees (MGMT-3); nothing is recognised."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [ERR_REJECT_REASON]}, code="reason_required")
    with transaction.atomic():
        locked = HourRecord.objects.select_for_update().get(pk=record.pk)
        _decide(locked, actor=actor, now=timezone.now())
        locked.status = Status.REJECTED
        locked.reject_reason = reason[:500]
        locked.credits = None
        locked.save(update_fields=["status", "reject_reason", "credits", "decided_by", "decided_at", "updated_at"])
        audit_record(actor=actor, action="credits.hour_record_reject", obj=locked,
                     detail={"teacher_id": locked.teacher_id, "reason": locked.reject_reason})
    return locked


@dataclass(frozen=True)
class BulkResult:
    approved: list[HourRecord]
    skipped: int  # already decided by someone else meanwhile


def hour_records_bulk_approve(*, actor: Any, record_ids: Sequence[int]) -> BulkResult:
    """Approve many pending records of the actor's county in one action (MGMT-3).

    All or nothing: a record outside the actor's county refuses the whole batch. Records decided meanwhile
    (by another administrator) are skipped and counted. Each approval writes its own audit event; the batch
    writes one more with the counts.
    """
    ids = sorted({int(pk) for pk in record_ids})
    if not ids:
        raise ValidationError(ERR_BULK_EMPTY, code="empty")
    limit = settings.CREDIT_BULK_APPROVE_MAX
    if len(ids) > limit:
        raise ValidationError(ERR_BULK_TOO_MANY.format(limit=limit), code="too_many")
    now = timezone.now()
    with transaction.atomic():
        records = list(HourRecord.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(records) != len(ids) or any(not _is_auditor(actor, r.region_code) for r in records):
            raise PermissionDenied(ERR_NOT_AUDITOR)
        approved = [_approve_locked(r, actor=actor, now=now) for r in records if r.status == Status.SUBMITTED]
        skipped = len(records) - len(approved)
        audit_record(actor=actor, action="credits.hour_records_bulk_approve",
                     object_type="credits.hourrecord", region_code=records[0].region_code,
                     detail={"approved": len(approved), "skipped": skipped,
                             "ids": [r.pk for r in approved][:limit],
                             "hours": str(sum((r.total_hours for r in approved), Decimal(0))),
                             "credits": str(sum((r.credits or Decimal(0) for r in approved), Decimal(0)))})
    return BulkResult(approved=approved, skipped=skipped)
