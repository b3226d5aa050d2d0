"""Every write to the teacher database: keyword-only, one transaction each, audited (MGMT-4, MGMT-5, MGMT-6)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.jobs import job_start
from guopei.core.models import Job
from guopei.core.pii import pii_decrypt
from guopei.orgs.models import Membership, Region, School
from guopei.orgs.scoping import has_role, region_level, user_covers_region

from .models import (
    CapPolicy,
    IntakeAssignment,
    IntegrityEntry,
    Participation,
    ReservePoolEntry,
    Teacher,
    TeacherTransfer,
    ban_end,
)
from .roles import REVEAL_ROLES, TEACHER_ADMIN_ROLES

Role = Membership.Role

ERR_IMPORT_ROLE = "只有省、市、县级管理员可以导入教师名册。"
ERR_REVEAL_DENIED = "只有该教师所在县区的管理员或省级管理员可以查看完整信息。"
ERR_REVEAL_FIELD = "只能查看身份证号或手机号。"
ERR_TRANSFER_SAME_SCHOOL = "调入学校与当前学校相同。"
ERR_TRANSFER_PENDING = "该教师已有一条待接收的调动申请。"
ERR_TRANSFER_NOT_SENDER = "只有教师当前所在县区的管理员可以发起调动。"
ERR_TRANSFER_NOT_RECEIVER = "只有调入县区的管理员可以接收或拒绝调动。"
ERR_TRANSFER_NOT_PENDING = "该调动申请已处理，不能再次处理。"
ERR_TRANSFER_INACTIVE = "只有在职教师可以调动。"
ERR_ANNUL_REASON = "撤销诚信档案记录必须填写书面理由。"
ERR_ANNUL_TWICE = "该记录已撤销。"
ERR_ANNUL_DENIED = "只有该教师所在县区的管理员或省级管理员可以撤销诚信档案记录。"
ERR_CAP_LOOSEN = "上级规定每周期最多参训{parent}次，本级只能收紧（不高于{parent}次），不能放宽。"
ERR_CAP_CYCLE_PROVINCE = "周期长度和起始年只能由省级设置。"
ERR_CAP_REGION = "您不能为该区域设置参训次数上限。"
ERR_POOL_DENIED = "只能把本辖区的在职教师加入储备库。"
ERR_INTAKE_ROLE = "只有省级管理员可以设置项目的承训机构。"


def _require(user: Any, *roles: str, message: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(message)


# --- Roster and history imports ------------------------------------------------------------------------------
def roster_import_start(*, actor: Any, filename: str, content: bytes) -> Job:
    """Queue a roster import (MGMT-4); the job validates every row and applies the file all-or-nothing."""
    _require(actor, *TEACHER_ADMIN_ROLES, message=ERR_IMPORT_ROLE)
    return job_start(kind="teachers.roster_import", title=f"导入教师名册：{filename[:100]}", owner=actor,
                     params={"filename": filename[:200]}, input_name=_safe_name(filename), input_content=content)


def history_import_start(*, actor: Any, filename: str, content: bytes) -> Job:
    """Queue an import of past participations and other recognised hours (MGMT-4, MGMT-6)."""
    _require(actor, *TEACHER_ADMIN_ROLES, message=ERR_IMPORT_ROLE)
    return job_start(kind="teachers.history_import", title=f"导入参训历史：{filename[:100]}", owner=actor,
                     params={"filename": filename[:200]}, input_name=_safe_name(filename), input_content=content)


def _safe_name(filename: str) -> str:
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"upload.{suffix if suffix in {'xlsx', 'csv'} else 'bin'}"


# --- Personal data --------------------------------------------------------------------------------------------
def can_reveal(user: Any, teacher: Teacher) -> bool:
    """The teacher's county administrator, or a province administrator (not a city, not a school)."""
    return has_role(user, Role.PROVINCE_ADMIN) or user_covers_region(user, teacher.region_code, [Role.COUNTY_ADMIN])


def teacher_reveal(*, actor: Any, teacher: Teacher, field: str) -> str:
    """Return one teacher's full ID number or phone, and record that it was revealed."""
    if field not in {"id_number", "phone"}:
        raise ValidationError(ERR_REVEAL_FIELD)
    if not can_reveal(actor, teacher):
        raise PermissionDenied(ERR_REVEAL_DENIED)
    value = pii_decrypt(getattr(teacher, field))
    audit_record(actor=actor, action="teachers.reveal", obj=teacher, detail={"field": field})
    return value


def can_export_unmasked(user: Any) -> bool:
    return has_role(user, *REVEAL_ROLES)


def teachers_export_record(*, actor: Any, count: int, unmasked: bool, scope: str) -> None:
    """Record an export; an unmasked one only by an explicit choice of a role allowed to reveal."""
    if unmasked and not can_export_unmasked(actor):
        raise PermissionDenied(ERR_REVEAL_DENIED)
    audit_record(actor=actor, action="teachers.export_unmasked" if unmasked else "teachers.export",
                 object_type="teachers.teacher", detail={"count": count, "scope": scope})


# --- Transfers ---------------------------------------------------------------------------------------------------
def transfer_request(*, actor: Any, teacher: Teacher, to_school: School, reason: str = "") -> TeacherTransfer:
    """Move a teacher to another school: at once inside the county, as a request to the receiving county across."""
    if not user_covers_region(actor, teacher.region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_TRANSFER_NOT_SENDER)
    if teacher.school_id == to_school.pk:
        raise ValidationError(ERR_TRANSFER_SAME_SCHOOL)
    if not teacher.is_active:
        raise ValidationError(ERR_TRANSFER_INACTIVE)
    with transaction.atomic():
        teacher = Teacher.objects.select_for_update().get(pk=teacher.pk)
        if TeacherTransfer.objects.filter(teacher=teacher, status=TeacherTransfer.Status.PENDING).exists():
            raise ValidationError(ERR_TRANSFER_PENDING)
        transfer = TeacherTransfer(
            teacher=teacher, from_school_id=teacher.school_id, to_school=to_school,
            from_region_code=teacher.region_code, to_region_code=to_school.region_code, reason=reason.strip(),
            requested_by=actor,
        )
        transfer.full_clean()
        transfer.save()
        audit_record(actor=actor, action="teachers.transfer_request", obj=transfer,
                     region_code=transfer.from_region_code,
                     detail={"teacher": teacher.pk, "from": transfer.from_school_id, "to": to_school.pk})
        # Inside one county the county's own administrator both sends and receives.
        if not transfer.is_cross_county and user_covers_region(actor, to_school.region_code, TEACHER_ADMIN_ROLES):
            _transfer_apply(actor=actor, transfer=transfer, teacher=teacher)
    return transfer


def _transfer_apply(*, actor: Any, transfer: TeacherTransfer, teacher: Teacher) -> None:
    transfer.status = TeacherTransfer.Status.ACCEPTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    teacher.school = transfer.to_school
    teacher.save(update_fields=["school", "region_code", "updated_at"])
    removed = 0
    if transfer.is_cross_county:
        # The reserve pool is the sending county's list; the receiving county lines the teacher up itself.
        removed, _ = ReservePoolEntry.objects.filter(teacher=teacher).delete()
    audit_record(actor=actor, action="teachers.transfer_accept", obj=transfer, region_code=transfer.to_region_code,
                 detail={"teacher": teacher.pk, "reserve_entries_removed": removed})


def transfer_accept(*, actor: Any, transfer: TeacherTransfer) -> TeacherTransfer:
    """The receiving county accepts a transfer; the teacher moves to the new school."""
    if not user_covers_region(actor, transfer.to_region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_TRANSFER_NOT_RECEIVER)
    with transaction.atomic():
        transfer = TeacherTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != TeacherTransfer.Status.PENDING:
            raise ValidationError(ERR_TRANSFER_NOT_PENDING)
        teacher = Teacher.objects.select_for_update().get(pk=transfer.teacher_id)
        _transfer_apply(actor=actor, transfer=transfer, teacher=teacher)
    return transfer


def transfer_reject(*, actor: Any, transfer: TeacherTransfer, note: str = "") -> TeacherTransfer:
    """The receiving county declines; the teacher stays where they are."""
    if not user_covers_region(actor, transfer.to_region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_TRANSFER_NOT_RECEIVER)
    return _transfer_close(actor=actor, transfer=transfer, status=TeacherTransfer.Status.REJECTED, note=note,
                           action="teachers.transfer_reject")


def transfer_cancel(*, actor: Any, transfer: TeacherTransfer) -> TeacherTransfer:
    """The sending county withdraws its request."""
    if not user_covers_region(actor, transfer.from_region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_TRANSFER_NOT_SENDER)
    return _transfer_close(actor=actor, transfer=transfer, status=TeacherTransfer.Status.CANCELLED, note="",
                           action="teachers.transfer_cancel")


def _transfer_close(*, actor: Any, transfer: TeacherTransfer, status: str, note: str,
                    action: str) -> TeacherTransfer:
    with transaction.atomic():
        transfer = TeacherTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.status != TeacherTransfer.Status.PENDING:
            raise ValidationError(ERR_TRANSFER_NOT_PENDING)
        transfer.status = status
        transfer.decided_by = actor
        transfer.decided_at = timezone.now()
        transfer.decision_note = note.strip()[:300]
        transfer.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        audit_record(actor=actor, action=action, obj=transfer, region_code=transfer.from_region_code,
                     detail={"teacher": transfer.teacher_id, "note": transfer.decision_note})
    return transfer


# --- Integrity file (MGMT-6) ------------------------------------------------------------------------------------
RESULT_TO_INTEGRITY = {
    Participation.Result.NO_SHOW: IntegrityEntry.Kind.NO_SHOW,
    Participation.Result.DISMISSED: IntegrityEntry.Kind.DISMISSED,
    Participation.Result.NOT_COMPLETED: IntegrityEntry.Kind.FAILED,
}


def integrity_entry_create(*, teacher: Teacher, kind: str, event_date: date, source: str, actor: Any = None,
                           participation: Participation | None = None) -> IntegrityEntry:
    """Record a no-show, dismissal or failure; the ban ends exactly three years later (MGMT-6).

    Idempotent: the same teacher, kind and date give back the existing entry.
    """
    with transaction.atomic():
        existing = IntegrityEntry.objects.filter(teacher=teacher, kind=kind, event_date=event_date).first()
        if existing is not None:
            return existing
        entry = IntegrityEntry(teacher=teacher, kind=kind, event_date=event_date, ban_until=ban_end(event_date),
                               source=source[:300], participation=participation,
                               created_by=actor if getattr(actor, "is_authenticated", False) else None)
        entry.full_clean()
        entry.save()
        audit_record(actor=actor, action="teachers.integrity_create", obj=entry, region_code=teacher.region_code,
                     detail={"teacher": teacher.pk, "kind": kind, "event_date": event_date.isoformat(),
                             "ban_until": entry.ban_until.isoformat()})
    return entry


def integrity_entry_annul(*, actor: Any, entry: IntegrityEntry, reason: str) -> IntegrityEntry:
    """Annul an entry for special circumstances, with a written reason (MGMT-6: "without special circumstances")."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_ANNUL_REASON)
    if not (has_role(actor, Role.PROVINCE_ADMIN)
            or user_covers_region(actor, entry.teacher.region_code, [Role.COUNTY_ADMIN])):
        raise PermissionDenied(ERR_ANNUL_DENIED)
    with transaction.atomic():
        entry = IntegrityEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.is_annulled:
            raise ValidationError(ERR_ANNUL_TWICE)
        entry.annulled_at = timezone.now()
        entry.annulled_by = actor
        entry.annul_reason = reason[:500]
        entry.full_clean()
        entry.save(update_fields=["annulled_at", "annulled_by", "annul_reason", "updated_at"])
        audit_record(actor=actor, action="teachers.integrity_annul", obj=entry, region_code=entry.teacher.region_code,
                     detail={"teacher": entry.teacher_id, "reason": entry.annul_reason})
    return entry


# --- Reserve pool (MGMT-4) --------------------------------------------------------------------------------------
def reserve_entry_add(*, actor: Any, teacher: Teacher, category: Any = None, priority: int = 5,
                      note: str = "") -> ReservePoolEntry:
    """Line a teacher of the county up for a category of future projects (or any category)."""
    if not user_covers_region(actor, teacher.region_code, TEACHER_ADMIN_ROLES) or not teacher.is_active:
        raise PermissionDenied(ERR_POOL_DENIED)
    with transaction.atomic():
        entry = ReservePoolEntry(teacher=teacher, category=category, priority=priority, note=note.strip()[:300],
                                 added_by=actor)
        entry.full_clean()
        entry.save()
        audit_record(actor=actor, action="teachers.reserve_add", obj=entry, region_code=teacher.region_code,
                     detail={"teacher": teacher.pk, "category": getattr(category, "pk", None), "priority": priority})
    return entry


def reserve_entry_update(*, actor: Any, entry: ReservePoolEntry, priority: int, note: str) -> ReservePoolEntry:
    if not user_covers_region(actor, entry.teacher.region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_POOL_DENIED)
    with transaction.atomic():
        entry.priority = priority
        entry.note = note.strip()[:300]
        entry.full_clean()
        entry.save(update_fields=["priority", "note", "updated_at"])
        audit_record(actor=actor, action="teachers.reserve_update", obj=entry,
                     region_code=entry.teacher.region_code, detail={"priority": priority})
    return entry


def reserve_entry_remove(*, actor: Any, entry: ReservePoolEntry) -> None:
    if not user_covers_region(actor, entry.teacher.region_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_POOL_DENIED)
    with transaction.atomic():
        audit_record(actor=actor, action="teachers.reserve_remove", obj=entry,
                     region_code=entry.teacher.region_code, detail={"teacher": entry.teacher_id})
        entry.delete()


# --- Participation cap (MGMT-4) ---------------------------------------------------------------------------------
def cap_policy_set(*, actor: Any, region: Region, cap: int, cycle_years: int | None = None,
                   cycle_start_year: int | None = None, note: str = "") -> CapPolicy:
    """Set the cap per cycle for a region: the province sets it freely; a city or county may only tighten it."""
    from .selectors import effective_cap

    level = region_level(region.code)
    if not user_covers_region(actor, region.code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_CAP_REGION)
    if level == Region.Level.PROVINCE:
        if not has_role(actor, Role.PROVINCE_ADMIN):
            raise PermissionDenied(ERR_CAP_REGION)
    else:
        if cycle_years is not None or cycle_start_year is not None:
            raise ValidationError(ERR_CAP_CYCLE_PROVINCE)
        parent = region.parent_id or ""
        parent_cap = effective_cap(parent).cap
        if cap > parent_cap:
            raise ValidationError(ERR_CAP_LOOSEN.format(parent=parent_cap))
    with transaction.atomic():
        policy = CapPolicy.objects.select_for_update().filter(region=region).first() or CapPolicy(region=region)
        before = {"cap": policy.cap, "cycle_years": policy.cycle_years} if policy.pk else {}
        policy.cap = cap
        policy.cycle_years = cycle_years if level == Region.Level.PROVINCE else None
        policy.cycle_start_year = cycle_start_year if level == Region.Level.PROVINCE else None
        policy.note = note.strip()[:300]
        policy.set_by = actor
        policy.full_clean()
        policy.save()
        audit_record(actor=actor, action="teachers.cap_set", obj=policy, region_code=region.code,
                     detail={"before": before, "cap": cap, "cycle_years": policy.cycle_years,
                             "cycle_start_year": policy.cycle_start_year})
    return policy


# --- Intake institutions (MGMT-5) -------------------------------------------------------------------------------
def intake_assign(*, actor: Any, project: Any, institution: Any) -> IntakeAssignment:
    """Name the institution that receives a project's nominees (confirms, returns, dismisses them)."""
    _require(actor, Role.PROVINCE_ADMIN, message=ERR_INTAKE_ROLE)
    with transaction.atomic():
        assignment, created = IntakeAssignment.objects.get_or_create(
            project=project, institution=institution, defaults={"assigned_by": actor}
        )
        if created:
            audit_record(actor=actor, action="teachers.intake_assign", obj=assignment,
                         detail={"project": project.pk, "institution": institution.pk})
    return assignment


def intake_unassign(*, actor: Any, assignment: IntakeAssignment) -> None:
    _require(actor, Role.PROVINCE_ADMIN, message=ERR_INTAKE_ROLE)
    with transaction.atomic():
        audit_record(actor=actor, action="teachers.intake_unassign", obj=assignment,
                     detail={"project": assignment.project_id, "institution": assignment.institution_id})
        assignment.delete()


def _ids(values: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out

