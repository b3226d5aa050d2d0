"""Every write to the teacher database: keyword-only, one transaction each, audited (MGMT-4, MGMT-5, MGMT-6)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
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
    Nomination,
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


def teachers_export_start(*, actor: Any, school: School | None = None, unmasked: bool = False) -> Job:
    """Queue an XLSX export of the teachers in the user's reach (or one school); unmasked only by explicit choice.

    Every export is an audit event; an unmasked one is `teachers.export_unmasked`, allowed to the roles that may
    reveal (the county, the province).
    """
    from .roles import TEACHER_VIEW_ROLES

    _require(actor, *TEACHER_VIEW_ROLES, message=ERR_REVEAL_DENIED)
    if unmasked and not can_export_unmasked(actor):
        raise PermissionDenied(ERR_REVEAL_DENIED)
    scope = f"school:{school.code}" if school is not None else "all"
    with transaction.atomic():
        title = "导出教师名册" + ("（含完整身份证号、手机号）" if unmasked else "")
        job = job_start(kind="teachers.export", title=title, owner=actor,
                        params={"school_id": school.pk if school else None, "unmasked": unmasked})
        audit_record(actor=actor, action="teachers.export_unmasked" if unmasked else "teachers.export",
                     object_type="teachers.teacher", detail={"scope": scope, "job": job.pk})
    return job


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
                      note: str = "", is_demo: bool = False) -> ReservePoolEntry:
    """Line a teacher of the county up for a category of future projects (or any category)."""
    if not user_covers_region(actor, teacher.region_code, TEACHER_ADMIN_ROLES) or not teacher.is_active:
        raise PermissionDenied(ERR_POOL_DENIED)
    with transaction.atomic():
        entry = ReservePoolEntry(teacher=teacher, category=category, priority=priority, note=note.strip()[:300],
                                 added_by=actor, is_demo=is_demo)
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
def intake_assign(*, actor: Any, project: Any, institution: Any, county: Any = None) -> IntakeAssignment:
    """Name the institution that receives a project's nominees (confirms, returns, dismisses them), from every
    county of the project or, with `county`, from that county only."""
    _require(actor, Role.PROVINCE_ADMIN, message=ERR_INTAKE_ROLE)
    return _intake_record(actor=actor, project=project, institution=institution, county=county, detail={})


def intake_assign_from_contract(*, contract: Any, actor: Any) -> IntakeAssignment:
    """Name a signed contract's lead institution as the receiver of the project's nominees (MGMT-5).

    Run inside the contract-signing transaction (`tenders.signals.contract_signed`), so the contract and its
    intake are saved together or not at all; the signer's role was checked by the contract service (a province
    finance officer may sign). The lead, not the consortium's partners: it signs for the lot and answers for its
    trainees, while partners deliver components (the remote workshop, TENDER-4; hosted visits, TENDER-5).
    Idempotent: an assignment the province already made by hand is kept as it is, with no second audit event.
    The contract of an IT 2.0 lot covers one county (TENDER-1), and so does its intake.
    """
    return _intake_record(actor=actor, project=contract.project, institution=contract.lead, county=contract.county,
                          detail={"source": "contract", "contract": contract.code})


def _intake_record(*, actor: Any, project: Any, institution: Any, county: Any,
                   detail: dict[str, Any]) -> IntakeAssignment:
    with transaction.atomic():
        assignment, created = IntakeAssignment.objects.get_or_create(
            project=project, institution=institution, county=county, defaults={"assigned_by": actor}
        )
        if created:
            audit_record(actor=actor, action="teachers.intake_assign", obj=assignment,
                         detail={"project": project.pk, "institution": institution.pk,
                                 "county": getattr(county, "pk", None), **detail})
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



# --- Nominations (MGMT-4, MGMT-5, MGMT-6) -----------------------------------------------------------------------
ERR_NOMINATE_DENIED = "只有该县区（或其上级）的管理员可以推荐本县区的教师。"
ERR_NO_ALLOCATION = "本县区没有该项目的名额，不能推荐。"
ERR_OVER_ALLOCATION = "推荐人数超出名额：本县区名额{quota}人，已推荐{taken}人，本次又推荐{asked}人。"
ERR_TOO_MANY_ALTERNATES = "候补人数不能超过本县区名额（{quota}人）。"
ERR_NOT_ELIGIBLE = "以下教师不符合本项目的遴选条件，不能推荐：{names}。"
ERR_ALREADY_NOMINATED = "以下教师已被推荐参加本项目：{names}。"
ERR_NOTHING_CHOSEN = "请至少选择一名教师。"
ERR_INTAKE_DENIED = "只有本项目的承训机构可以审核推荐人选。"
ERR_NOMINATION_STATE = "该推荐当前状态为“{status}”，不能执行此操作。"
ERR_REASON_REQUIRED = "退回或劝退必须填写原因。"
ERR_SUBSTITUTE_STATE = "只有已退回、已劝退或尚未确认的人选可以替换。"
ERR_SUBSTITUTE_ALTERNATE = "所选候补不属于本项目本县区，或已不再是候补。"


def _lock_allocation(project: Any, county_code: str) -> int:
    from guopei.plans.models import Allocation

    allocation = Allocation.objects.select_for_update().filter(project=project, region_id=county_code).first()
    return allocation.quota if allocation is not None else 0


def _active_nominations(project: Any, county_code: str) -> Any:
    return Nomination.objects.filter(project=project, county_id=county_code,
                                     status__in=[Nomination.Status.PROPOSED, Nomination.Status.CONFIRMED])


def _check_eligible(project: Any, county_code: str, teacher_ids: list[int]) -> dict[int, int]:
    """Return {teacher id: rank} for the chosen teachers, refusing any who are not eligible now (MGMT-4)."""
    from .selection import selection_for

    ranked = list(selection_for(project, county_code).eligible().values_list("pk", flat=True))
    ranks = {pk: position for position, pk in enumerate(ranked, start=1)}
    missing = [pk for pk in teacher_ids if pk not in ranks]
    if missing:
        names = "、".join(Teacher.objects.filter(pk__in=missing).values_list("name", flat=True)) or "（不在本县区）"
        raise ValidationError(ERR_NOT_ELIGIBLE.format(names=names))
    return {pk: ranks[pk] for pk in teacher_ids}


def nomination_propose(*, actor: Any, project: Any, county_code: str, teacher_ids: Iterable[Any],
                       alternate_ids: Iterable[Any] = (), is_demo: bool = False) -> list[Nomination]:
    """Propose eligible teachers of a county for a project, up to its allocation, plus alternates (MGMT-4)."""
    if not user_covers_region(actor, county_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_NOMINATE_DENIED)
    principals = list(dict.fromkeys(_ids(teacher_ids)))
    alternates = [pk for pk in dict.fromkeys(_ids(alternate_ids)) if pk not in principals]
    if not principals and not alternates:
        raise ValidationError(ERR_NOTHING_CHOSEN)
    with transaction.atomic():
        quota = _lock_allocation(project, county_code)
        if quota <= 0:
            raise ValidationError(ERR_NO_ALLOCATION)
        active = _active_nominations(project, county_code)
        taken = active.filter(is_alternate=False).count()
        if taken + len(principals) > quota:
            raise ValidationError(ERR_OVER_ALLOCATION.format(quota=quota, taken=taken, asked=len(principals)))
        if active.filter(is_alternate=True).count() + len(alternates) > quota:
            raise ValidationError(ERR_TOO_MANY_ALTERNATES.format(quota=quota))
        already = Nomination.objects.filter(project=project, teacher_id__in=principals + alternates,
                                            status__in=[Nomination.Status.PROPOSED, Nomination.Status.CONFIRMED])
        if already.exists():
            names = "、".join(already.values_list("teacher__name", flat=True))
            raise ValidationError(ERR_ALREADY_NOMINATED.format(names=names))
        ranks = _check_eligible(project, county_code, principals + alternates)
        created = Nomination.objects.bulk_create([
            Nomination(project=project, teacher_id=pk, county_id=county_code, region_code=county_code,
                       is_alternate=pk in alternates, rank=ranks[pk], proposed_by=actor, is_demo=is_demo)
            for pk in principals + alternates
        ])
        audit_record(actor=actor, action="teachers.nomination_propose", object_type="plans.project",
                     object_id=project.pk, region_code=county_code,
                     detail={"principals": len(principals), "alternates": len(alternates),
                             "teachers": principals + alternates, "quota": quota})
    return created


def can_receive(user: Any, project: Any, county_code: str | None = None) -> bool:
    """Whether the user is staff of an institution that receives the project's nominees (MGMT-5) — from
    `county_code` when given (an assignment limited to another county does not count), else from any county."""
    from guopei.orgs.scoping import institution_ids_of

    ids = institution_ids_of(user)
    if not ids:
        return False
    assignments = IntakeAssignment.objects.filter(project=project, institution_id__in=ids)
    if county_code is not None:
        assignments = assignments.filter(Q(county__isnull=True) | Q(county_id=county_code))
    return assignments.exists()


def _decide(*, actor: Any, nomination: Nomination, allowed: set[str], status: str, reason: str,
            action: str) -> Nomination:
    if not can_receive(actor, nomination.project, nomination.county_id):
        raise PermissionDenied(ERR_INTAKE_DENIED)
    with transaction.atomic():
        nomination = Nomination.objects.select_for_update().select_related("project", "teacher").get(pk=nomination.pk)
        if nomination.status not in allowed or nomination.is_alternate:
            raise ValidationError(ERR_NOMINATION_STATE.format(status=nomination.get_status_display()))
        nomination.status = status
        nomination.reason = reason[:500]
        nomination.decided_by = actor
        nomination.decided_at = timezone.now()
        nomination.full_clean()
        nomination.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
        audit_record(actor=actor, action=action, obj=nomination,
                     detail={"teacher": nomination.teacher_id, "project": nomination.project_id, "reason": reason})
    return nomination


def nomination_confirm(*, actor: Any, nomination: Nomination) -> Nomination:
    """The institution accepts a nominee; confirmed nominees are what delivery enrols."""
    return _decide(actor=actor, nomination=nomination, allowed={Nomination.Status.PROPOSED},
                   status=Nomination.Status.CONFIRMED, reason="", action="teachers.nomination_confirm")


def nomination_return(*, actor: Any, nomination: Nomination, reason: str) -> Nomination:
    """The institution sends a proposed nominee back to the county, with a reason; the county may substitute."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_REASON_REQUIRED)
    return _decide(actor=actor, nomination=nomination, allowed={Nomination.Status.PROPOSED},
                   status=Nomination.Status.RETURNED, reason=reason, action="teachers.nomination_return")


def nomination_dismiss(*, actor: Any, nomination: Nomination, reason: str,
                       event_date: date | None = None) -> Nomination:
    """Dismiss (劝退) a nominee found ineligible at intake (MGMT-5); the integrity file records it (MGMT-6)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(ERR_REASON_REQUIRED)
    with transaction.atomic():
        nomination = _decide(actor=actor, nomination=nomination, allowed={Nomination.Status.CONFIRMED},
                             status=Nomination.Status.DISMISSED, reason=reason, action="teachers.nomination_dismiss")
        integrity_entry_create(
            teacher=nomination.teacher, kind=IntegrityEntry.Kind.DISMISSED,
            event_date=event_date or timezone.localdate(), actor=actor,
            source=f"{nomination.project.plan.year}年“{nomination.project.name}”报到时被劝退：{reason}",
        )
    return nomination


def nomination_record_dismissal(*, actor: Any, nomination_id: int, reason: str) -> Nomination | None:
    """Mark a confirmed nomination dismissed (已劝退) when its trainee is dismissed from the class (MGMT-5).

    Called by delivery inside the dismissal's transaction, after it has checked that the actor is staff of the
    class; the integrity entry is written there, so this writes only the nomination and its audit event. The
    county then sees the dismissal on its nominations and may substitute the place.
    """
    nomination = Nomination.objects.select_for_update().filter(pk=nomination_id).first()
    if nomination is None or nomination.status != Nomination.Status.CONFIRMED:
        return None
    nomination.status = Nomination.Status.DISMISSED
    nomination.reason = reason[:500]
    nomination.decided_by = actor
    nomination.decided_at = timezone.now()
    nomination.full_clean()
    nomination.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    audit_record(actor=actor, action="teachers.nomination_dismiss", obj=nomination,
                 detail={"teacher": nomination.teacher_id, "project": nomination.project_id, "reason": reason,
                         "source": "class"})
    return nomination


def nomination_substitute(*, actor: Any, nomination: Nomination, alternate: Nomination | None = None,
                          teacher_id: Any = None) -> Nomination:
    """Replace a returned, dismissed or not yet confirmed nominee by an alternate or another eligible teacher.

    The replaced nomination keeps its record (a returned or proposed one becomes "substituted", a dismissed one
    stays dismissed); the new one points back at it through `substitute_for`.
    """
    county_code = nomination.county_id
    if not user_covers_region(actor, county_code, TEACHER_ADMIN_ROLES):
        raise PermissionDenied(ERR_NOMINATE_DENIED)
    with transaction.atomic():
        _lock_allocation(nomination.project, county_code)
        old = Nomination.objects.select_for_update().get(pk=nomination.pk)
        if old.is_alternate or old.status not in {Nomination.Status.RETURNED, Nomination.Status.DISMISSED,
                                                  Nomination.Status.PROPOSED}:
            raise ValidationError(ERR_SUBSTITUTE_STATE)
        if old.status != Nomination.Status.DISMISSED:
            old.status = Nomination.Status.SUBSTITUTED
            old.save(update_fields=["status", "updated_at"])
        if alternate is not None:
            new = Nomination.objects.select_for_update().get(pk=alternate.pk)
            if (new.project_id != old.project_id or new.county_id != county_code or not new.is_alternate
                    or new.status != Nomination.Status.PROPOSED):
                raise ValidationError(ERR_SUBSTITUTE_ALTERNATE)
            _check_eligible(old.project, county_code, [new.teacher_id])
            new.is_alternate = False
            new.substitute_for = old
            new.save(update_fields=["is_alternate", "substitute_for", "updated_at"])
        else:
            ids = _ids([teacher_id])
            if not ids:
                raise ValidationError(ERR_NOTHING_CHOSEN)
            if _active_nominations(old.project, county_code).filter(teacher_id=ids[0]).exists():
                raise ValidationError(ERR_ALREADY_NOMINATED.format(names=Teacher.objects.get(pk=ids[0]).name))
            ranks = _check_eligible(old.project, county_code, ids)
            new = Nomination(project=old.project, teacher_id=ids[0], county_id=county_code, region_code=county_code,
                             substitute_for=old, rank=ranks[ids[0]], proposed_by=actor)
            new.full_clean()
            new.save()
        audit_record(actor=actor, action="teachers.nomination_substitute", obj=new,
                     detail={"replaced": old.pk, "replaced_teacher": old.teacher_id, "teacher": new.teacher_id})
    return new
