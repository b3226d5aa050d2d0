"""Every write of the ten-year summary (SUMMARY-1) and the public column and package (SUMMARY-2).

Each function is keyword-only, runs in one transaction, validates with full_clean, and writes an audit event.
A city edits its package only while it is in its hands (draft or returned) and before its deadline (20
August by default, or the extension the province granted it). Files are checked by content before anything
is stored; if the database write then fails, the stored files are removed again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.jobs import job_start
from guopei.core.pii import pii_hash
from guopei.core.uploads import FILE_TYPES, UploadError, check_upload, human_size, stored_name
from guopei.orgs.models import Region, School
from guopei.orgs.scoping import region_bounds
from guopei.teachers.models import Teacher

from .deadlines import countdown, describe_moment, summary_year
from .media import process_image, video_poster
from .models import (
    ERR_NAME_WITHOUT_CONSENT,
    Material,
    RecommendationPackage,
    Submission,
    SubmissionEvent,
    TraineeOutcome,
    TypicalCase,
)

ERR_DEADLINE_PASSED = "已过提交截止时间（{day}），本市材料已锁定。如需补交，请联系省教育厅为本市延期。"
ERR_WITH_PROVINCE = "本市材料已提交省级审核，审核期间不能修改；如需修改，请等待省级退回。"
ERR_ACCEPTED = "本市材料已通过省级审核，不能再修改。"
ERR_CITY_QUOTA = "本市素材总量将超过上限 {limit}（已用 {used}，本文件 {size}），请删除不需要的素材后再上传。"
ERR_FEATURED_LOCKED = "该条目已被省级选入成果展示栏目，不能修改或删除；如需修改，请联系省教育厅先撤下。"
ERR_NOTHING_TO_SUBMIT = "报送内容为空：请至少上传一项素材、填写一个典型案例或登记一项学员成果后再提交。"
ERR_NOT_SUBMITTABLE = "当前状态（{state}）不能提交。"
ERR_NOT_UNDER_REVIEW = "只有“已提交待审核”的报送可以审核。"
ERR_RETURN_NEEDS_COMMENT = "退回修改时请填写审核意见，说明需要修改什么。"
ERR_EXTENSION_TOO_EARLY = "延期后的截止时间应晚于规定截止时间（{day}）和当前时间。"
ERR_EXTENSION_NEEDS_REASON = "请填写延期理由。"
ERR_FEATURE_NOT_RECEIVED = "地市尚未提交（或已退回修改）的材料不能选入展示栏目。"
ERR_PII_IN_TEXT = "“{title}”的文字中含有疑似{what}，不能公开；请退回地市删除后再选入。"
ERR_MATERIAL_NOT_OWN = "关联的素材不属于本市。"
ERR_MATERIAL_IN_USE = "该素材是学员成果“{title}”的文件，请先修改或删除该成果。"
ERR_TEACHER_NOT_FOUND = "本市教师库中没有这个身份证号对应的教师，请核对（不关联教师库也可只填写姓名和学校）。"
ERR_PACKAGE_EMPTY = "请至少选择一个典型案例、学员成果或素材。"
ERR_PACKAGE_NOT_ACCEPTED = "只能推荐已通过省级审核的地市材料，以下条目所在报送尚未通过：{titles}。"
ERR_PACKAGE_UNKNOWN = "所选条目不存在或已删除。"

ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def personal_data_in(text: str) -> str | None:
    """Name the kind of personal data a public text seems to contain (ID number, mobile number), or None."""
    if ID_NUMBER.search(text):
        return "身份证号"
    if MOBILE.search(text):
        return "手机号码"
    return None


# --- The submission and its lock ----------------------------------------------------------------------------
def _submission_for_update(city_code: str, year: int | None = None) -> Submission:
    """Return the city's submission for the year, locked for this transaction, creating it if needed."""
    year = year or summary_year()
    submission, _ = Submission.objects.get_or_create(city_id=city_code, year=year)
    return Submission.objects.select_for_update().select_related("city").get(pk=submission.pk)


def _require_editable(submission: Submission, now: datetime | None = None) -> None:
    """SUMMARY-1: the city edits only while the package is in its hands and before its deadline."""
    if submission.state == Submission.State.SUBMITTED:
        raise ValidationError(ERR_WITH_PROVINCE, code="with_province")
    if submission.state == Submission.State.ACCEPTED:
        raise ValidationError(ERR_ACCEPTED, code="accepted")
    clock = countdown(submission.effective_deadline, now=now)
    if not clock.is_open:
        raise ValidationError(ERR_DEADLINE_PASSED.format(day=f"{clock.last_day:%Y年%-m月%-d日}"),
                              code="deadline_passed")


def _require_unfeatured(item: Material | TypicalCase | TraineeOutcome) -> None:
    if item.is_featured:
        raise ValidationError(ERR_FEATURED_LOCKED, code="featured")


def _region(code: str | None) -> Region | None:
    return Region.objects.filter(code=code).first() if code else None


def _school(pk: Any) -> School | None:
    return School.objects.select_related("county").filter(pk=pk).first() if pk else None


# --- Materials ----------------------------------------------------------------------------------------------
def _delete_stored(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def material_upload(
    *,
    actor: Any,
    city_code: str,
    upload: IO[bytes],
    filename: str,
    title: str,
    caption: str = "",
    year: int,
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    now: datetime | None = None,
) -> Material:
    """Check a city's uploaded file by content and size, store it under a generated name, and record it.

    Refused files (wrong type, too large, an executable under any name) store nothing; the refusal is
    audited so that attempts to upload programs are visible.
    """
    try:
        checked = check_upload(upload, name=filename, allowed=FILE_TYPES.values(),
                               max_bytes=settings.SUMMARY_MAX_BYTES)
    except UploadError as exc:
        audit_record(actor=actor, action="summary.upload_refused", region_code=city_code,
                     detail={"code": exc.code, "name": filename[:200]})
        raise ValidationError(exc.message, code=exc.code) from None
    file_type = checked.file_type
    stored: list[str] = []
    try:
        with transaction.atomic():
            submission = _submission_for_update(city_code)
            _require_editable(submission, now)
            material = Material(
                submission=submission, city=submission.city, kind=file_type.kind, title=title.strip(),
                caption=caption.strip(), year=year, county=_region(county_code), school=_school(school_id),
                project_name=project_name.strip(), original_name=checked.display_name,
                content_type=file_type.mime, size=checked.size, sha256=checked.sha256, created_by=actor,
            )
            material.full_clean(exclude=["file", "submission", "created_by"])
            used = Material.objects.filter(city_id=city_code).aggregate(total=Sum("size"))["total"] or 0
            folder = f"summary/{city_code}/materials"
            content: Any = upload
            if file_type.kind == "image":
                picture = process_image(upload, file_type)
                content = ContentFile(picture.content)
                material.size = len(picture.content)
                material.width, material.height = picture.width, picture.height
                thumb_name = default_storage.save(stored_name(folder, "jpg"), ContentFile(picture.thumbnail))
                stored.append(thumb_name)
                material.thumbnail.name = thumb_name
                material.sha256 = hashlib.sha256(picture.content).hexdigest()
            quota = settings.SUMMARY_CITY_QUOTA_BYTES
            if used + material.size > quota:
                raise ValidationError(ERR_CITY_QUOTA.format(limit=human_size(quota), used=human_size(used),
                                                            size=human_size(material.size)), code="city_quota")
            if file_type.kind == "video":
                poster = video_poster(upload)
                if poster:
                    poster_name = default_storage.save(stored_name(folder, "jpg"), ContentFile(poster))
                    stored.append(poster_name)
                    material.poster.name = poster_name
            upload.seek(0)
            name = default_storage.save(stored_name(folder, file_type), content)
            stored.append(name)
            material.file.name = name
            material.save()
            audit_record(actor=actor, action="summary.material_upload", obj=material,
                         detail={"kind": material.kind, "type": file_type.key, "size": material.size,
                                 "sha256": material.sha256, "poster": bool(material.poster)})
    except BaseException:
        _delete_stored(stored)
        raise
    return material


def material_update(
    *,
    actor: Any,
    material: Material,
    title: str,
    caption: str = "",
    year: int,
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    now: datetime | None = None,
) -> Material:
    """Change a material's description (its file stays as uploaded)."""
    with transaction.atomic():
        submission = _submission_for_update(material.city_id, material.submission.year)
        _require_editable(submission, now)
        material = Material.objects.select_for_update().get(pk=material.pk)
        _require_unfeatured(material)
        material.title, material.caption, material.year = title.strip(), caption.strip(), year
        material.county, material.school = _region(county_code), _school(school_id)
        material.project_name = project_name.strip()
        material.full_clean()
        material.save(update_fields=["title", "caption", "year", "county", "school", "project_name", "updated_at"])
        audit_record(actor=actor, action="summary.material_update", obj=material)
    return material


def material_delete(*, actor: Any, material: Material, now: datetime | None = None) -> None:
    """Remove a material and, once the deletion is committed, its stored files."""
    with transaction.atomic():
        submission = _submission_for_update(material.city_id, material.submission.year)
        _require_editable(submission, now)
        material = Material.objects.select_for_update().get(pk=material.pk)
        _require_unfeatured(material)
        outcome = material.outcomes.first()
        if outcome is not None:
            raise ValidationError(ERR_MATERIAL_IN_USE.format(title=outcome.title), code="in_use")
        names = [material.file.name, material.thumbnail.name, material.poster.name]
        audit_record(actor=actor, action="summary.material_delete", obj=material,
                     detail={"title": material.title, "sha256": material.sha256})
        material.cases.clear()
        material.delete()
        transaction.on_commit(lambda: _delete_stored(names))


# --- Typical cases ------------------------------------------------------------------------------------------
def _own_materials(city_code: str, material_ids: Iterable[int]) -> list[Material]:
    ids = {int(pk) for pk in material_ids}
    found = list(Material.objects.filter(pk__in=ids, city_id=city_code))
    if len(found) != len(ids):
        raise ValidationError(ERR_MATERIAL_NOT_OWN, code="material_not_own")
    return found


def case_create(
    *,
    actor: Any,
    city_code: str,
    title: str,
    background: str,
    highlights: str,
    effects: str,
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    material_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> TypicalCase:
    """Write a typical case: title, background, value / features / innovations, effects, linked materials."""
    with transaction.atomic():
        submission = _submission_for_update(city_code)
        _require_editable(submission, now)
        case = TypicalCase(
            submission=submission, city=submission.city, title=title.strip(), background=background.strip(),
            highlights=highlights.strip(), effects=effects.strip(), county=_region(county_code),
            school=_school(school_id), project_name=project_name.strip(), created_by=actor,
        )
        case.full_clean()
        materials = _own_materials(city_code, material_ids)
        case.save()
        case.materials.set(materials)
        audit_record(actor=actor, action="summary.case_create", obj=case, detail={"materials": len(materials)})
    return case


def case_update(
    *,
    actor: Any,
    case: TypicalCase,
    title: str,
    background: str,
    highlights: str,
    effects: str,
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    material_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> TypicalCase:
    with transaction.atomic():
        submission = _submission_for_update(case.city_id, case.submission.year)
        _require_editable(submission, now)
        case = TypicalCase.objects.select_for_update().get(pk=case.pk)
        _require_unfeatured(case)
        case.title, case.background = title.strip(), background.strip()
        case.highlights, case.effects = highlights.strip(), effects.strip()
        case.county, case.school, case.project_name = _region(county_code), _school(school_id), project_name.strip()
        case.full_clean()
        materials = _own_materials(case.city_id, material_ids)
        case.save(update_fields=["title", "background", "highlights", "effects", "county", "school",
                                 "project_name", "updated_at"])
        case.materials.set(materials)
        audit_record(actor=actor, action="summary.case_update", obj=case, detail={"materials": len(materials)})
    return case


def case_delete(*, actor: Any, case: TypicalCase, now: datetime | None = None) -> None:
    with transaction.atomic():
        submission = _submission_for_update(case.city_id, case.submission.year)
        _require_editable(submission, now)
        case = TypicalCase.objects.select_for_update().get(pk=case.pk)
        _require_unfeatured(case)
        audit_record(actor=actor, action="summary.case_delete", obj=case, detail={"title": case.title})
        case.materials.clear()
        case.delete()


# --- Trainees' outcomes -------------------------------------------------------------------------------------
def _city_teacher(city_code: str, id_number: str) -> Teacher:
    """The teacher of the city's teacher database with this ID number (looked up by its keyed hash)."""
    teacher = (Teacher.objects.select_related("school")
               .filter(id_hash=pii_hash(id_number.strip().upper()), region_code__range=region_bounds(city_code))
               .first())
    if teacher is None:
        raise ValidationError({"teacher_id_number": ERR_TEACHER_NOT_FOUND}, code="teacher_not_found")
    return teacher


def _outcome_fields(outcome: TraineeOutcome, *, stage: str, form: str, title: str, year: int, summary: str,
                    county_code: str | None, school_id: Any, project_name: str, material_id: Any,
                    consent: bool, consent_note: str, teacher_name: str, teacher_school: str,
                    teacher_id_number: str) -> None:
    outcome.stage, outcome.form, outcome.title, outcome.year = stage, form, title.strip(), year
    outcome.summary, outcome.project_name = summary.strip(), project_name.strip()
    outcome.county, outcome.school = _region(county_code), _school(school_id)
    outcome.material = _own_materials(outcome.city_id, [material_id])[0] if material_id else None
    outcome.teacher_name, outcome.teacher_school = teacher_name.strip(), teacher_school.strip()
    if teacher_id_number.strip():
        if not consent:
            raise ValidationError({"teacher_name": ERR_NAME_WITHOUT_CONSENT}, code="no_consent")
        teacher = _city_teacher(outcome.city_id, teacher_id_number)
        outcome.teacher = teacher
        outcome.teacher_name, outcome.teacher_school = teacher.name, teacher.school.name
    elif not consent:
        outcome.teacher = None
    if consent and not outcome.consent:
        outcome.consent_recorded_at = timezone.now()
    outcome.consent, outcome.consent_note = consent, consent_note.strip() if consent else ""
    if not consent:
        outcome.consent_recorded_at = None


def outcome_create(
    *,
    actor: Any,
    city_code: str,
    stage: str,
    form: str,
    title: str,
    year: int,
    summary: str = "",
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    material_id: int | None = None,
    consent: bool = False,
    consent_note: str = "",
    teacher_name: str = "",
    teacher_school: str = "",
    teacher_id_number: str = "",
    now: datetime | None = None,
) -> TraineeOutcome:
    """Record a trainee's outcome; the teacher is named only when their consent is recorded (SUMMARY-1).

    With consent, the teacher may be linked to the teacher database by ID number (the number itself is not
    kept here); their name and school are then copied from it.
    """
    with transaction.atomic():
        submission = _submission_for_update(city_code)
        _require_editable(submission, now)
        outcome = TraineeOutcome(submission=submission, city=submission.city, created_by=actor)
        _outcome_fields(outcome, stage=stage, form=form, title=title, year=year, summary=summary,
                        county_code=county_code, school_id=school_id, project_name=project_name,
                        material_id=material_id, consent=consent, consent_note=consent_note,
                        teacher_name=teacher_name, teacher_school=teacher_school,
                        teacher_id_number=teacher_id_number)
        outcome.full_clean()
        outcome.save()
        audit_record(actor=actor, action="summary.outcome_create", obj=outcome,
                     detail={"stage": stage, "form": form, "consent": consent})
    return outcome


def outcome_update(
    *,
    actor: Any,
    outcome: TraineeOutcome,
    stage: str,
    form: str,
    title: str,
    year: int,
    summary: str = "",
    county_code: str | None = None,
    school_id: int | None = None,
    project_name: str = "",
    material_id: int | None = None,
    consent: bool = False,
    consent_note: str = "",
    teacher_name: str = "",
    teacher_school: str = "",
    teacher_id_number: str = "",
    now: datetime | None = None,
) -> TraineeOutcome:
    with transaction.atomic():
        submission = _submission_for_update(outcome.city_id, outcome.submission.year)
        _require_editable(submission, now)
        outcome = TraineeOutcome.objects.select_for_update().get(pk=outcome.pk)
        _require_unfeatured(outcome)
        _outcome_fields(outcome, stage=stage, form=form, title=title, year=year, summary=summary,
                        county_code=county_code, school_id=school_id, project_name=project_name,
                        material_id=material_id, consent=consent, consent_note=consent_note,
                        teacher_name=teacher_name, teacher_school=teacher_school,
                        teacher_id_number=teacher_id_number)
        outcome.full_clean()
        outcome.save()
        audit_record(actor=actor, action="summary.outcome_update", obj=outcome, detail={"consent": consent})
    return outcome


def outcome_delete(*, actor: Any, outcome: TraineeOutcome, now: datetime | None = None) -> None:
    with transaction.atomic():
        submission = _submission_for_update(outcome.city_id, outcome.submission.year)
        _require_editable(submission, now)
        outcome = TraineeOutcome.objects.select_for_update().get(pk=outcome.pk)
        _require_unfeatured(outcome)
        audit_record(actor=actor, action="summary.outcome_delete", obj=outcome, detail={"title": outcome.title})
        outcome.delete()


def outcome_consent_withdraw(*, actor: Any, outcome: TraineeOutcome) -> TraineeOutcome:
    """Remove the teacher's name and school at once when they withdraw consent.

    Allowed at any time, also after the deadline and on featured or accepted items: a withdrawn consent must
    take effect on the public column immediately.
    """
    with transaction.atomic():
        outcome = TraineeOutcome.objects.select_for_update().get(pk=outcome.pk)
        outcome.consent, outcome.consent_note, outcome.consent_recorded_at = False, "", None
        outcome.teacher_name, outcome.teacher_school, outcome.teacher = "", "", None
        outcome.full_clean()
        outcome.save(update_fields=["consent", "consent_note", "consent_recorded_at", "teacher_name",
                                    "teacher_school", "teacher", "updated_at"])
        audit_record(actor=actor, action="summary.outcome_consent_withdraw", obj=outcome)
    return outcome


# --- Submitting, reviewing, extending -----------------------------------------------------------------------
def _event(submission: Submission, kind: str, actor: Any, at: datetime, comment: str = "",
           is_late: bool = False) -> None:
    SubmissionEvent.objects.create(submission=submission, kind=kind, actor=actor, at=at, comment=comment,
                                   is_late=is_late)


def submission_submit(*, actor: Any, submission: Submission, now: datetime | None = None) -> Submission:
    """Send the city's package to the province (SUMMARY-1: by 20 August, or within an extension).

    A package first sent after the regular deadline (possible only under an extension) is marked late
    (逾期); resubmitting after the province returned it keeps the mark of the first submission.
    """
    now = now or timezone.now()
    with transaction.atomic():
        submission = Submission.objects.select_for_update().select_related("city").get(pk=submission.pk)
        if not submission.is_editable_state:
            raise ValidationError(ERR_NOT_SUBMITTABLE.format(state=submission.get_state_display()),
                                  code="not_submittable")
        _require_editable(submission, now)
        if not (submission.materials.exists() or submission.cases.exists() or submission.outcomes.exists()):
            raise ValidationError(ERR_NOTHING_TO_SUBMIT, code="empty")
        if submission.first_submitted_at is None:
            submission.first_submitted_at = now
            submission.is_late = now >= submission.deadline
        submission.state = Submission.State.SUBMITTED
        submission.submitted_at = now
        submission.full_clean()
        submission.save(update_fields=["state", "submitted_at", "first_submitted_at", "is_late", "updated_at"])
        _event(submission, SubmissionEvent.Kind.SUBMITTED, actor, now, is_late=now >= submission.deadline)
        audit_record(actor=actor, action="summary.submission_submit", obj=submission,
                     detail={"late": submission.is_late, "materials": submission.materials.count(),
                             "cases": submission.cases.count(), "outcomes": submission.outcomes.count()})
    return submission


def _extend(submission: Submission, *, actor: Any, until: datetime, reason: str, now: datetime) -> None:
    if not reason.strip():
        raise ValidationError(ERR_EXTENSION_NEEDS_REASON, code="extension_reason")
    if until <= submission.deadline or until <= now:
        day = countdown(submission.deadline, now=now).last_day
        raise ValidationError(ERR_EXTENSION_TOO_EARLY.format(day=f"{day:%Y年%-m月%-d日}"), code="extension_early")
    previous = submission.extended_until
    submission.extended_until, submission.extension_reason = until, reason.strip()[:300]
    submission.full_clean()
    submission.save(update_fields=["extended_until", "extension_reason", "updated_at"])
    _event(submission, SubmissionEvent.Kind.EXTENDED, actor, now,
           comment=f"延期至 {describe_moment(until)}：{reason.strip()}")
    audit_record(actor=actor, action="summary.submission_extend", obj=submission,
                 detail={"until": until.isoformat(), "previous": previous.isoformat() if previous else None,
                         "reason": reason.strip()[:300]})


def submission_extend(
    *, actor: Any, city_code: str, until: datetime, reason: str, year: int | None = None,
    now: datetime | None = None,
) -> Submission:
    """Grant one city more time to submit (or resubmit) after the deadline (SUMMARY-1). Audited."""
    now = now or timezone.now()
    with transaction.atomic():
        submission = _submission_for_update(city_code, year)
        _extend(submission, actor=actor, until=until, reason=reason, now=now)
    return submission


def submission_review(
    *,
    actor: Any,
    submission: Submission,
    accept: bool,
    comment: str = "",
    extend_until: datetime | None = None,
    now: datetime | None = None,
) -> Submission:
    """The province accepts a city's package, or returns it with comments (optionally with more time)."""
    now = now or timezone.now()
    with transaction.atomic():
        submission = Submission.objects.select_for_update().select_related("city").get(pk=submission.pk)
        if submission.state != Submission.State.SUBMITTED:
            raise ValidationError(ERR_NOT_UNDER_REVIEW, code="not_under_review")
        if not accept and not comment.strip():
            raise ValidationError(ERR_RETURN_NEEDS_COMMENT, code="comment_required")
        submission.state = Submission.State.ACCEPTED if accept else Submission.State.RETURNED
        submission.reviewed_at, submission.reviewed_by = now, actor
        submission.review_comment = comment.strip()
        submission.full_clean()
        submission.save(update_fields=["state", "reviewed_at", "reviewed_by", "review_comment", "updated_at"])
        _event(submission, SubmissionEvent.Kind.ACCEPTED if accept else SubmissionEvent.Kind.RETURNED, actor, now,
               comment=comment.strip())
        audit_record(actor=actor, action="summary.submission_accept" if accept else "summary.submission_return",
                     obj=submission, detail={"comment": comment.strip()[:500]})
        if not accept and extend_until is not None:
            _extend(submission, actor=actor, until=extend_until, reason=f"退回修改：{comment.strip()}"[:300], now=now)
    return submission


# --- The public column (SUMMARY-2) --------------------------------------------------------------------------
def _public_texts(item: Material | TypicalCase | TraineeOutcome) -> list[str]:
    if isinstance(item, Material):
        return [item.title, item.caption, item.project_name]
    if isinstance(item, TypicalCase):
        return [item.title, item.background, item.highlights, item.effects, item.project_name]
    return [item.title, item.summary, item.project_name]


def item_feature(*, actor: Any, item: Material | TypicalCase | TraineeOutcome, featured: bool) -> Any:
    """The province selects an item for the public column (SUMMARY-2), or takes it down.

    Only packages the province has received (submitted or accepted) are eligible, and no text that looks
    like an ID number or a mobile number is published. Featuring an outcome publishes its file with it.
    """
    model = type(item)
    with transaction.atomic():
        item = model.objects.select_for_update().select_related("submission").get(pk=item.pk)
        if featured:
            if not item.submission.is_received:
                raise ValidationError(ERR_FEATURE_NOT_RECEIVED, code="not_received")
            for text in _public_texts(item):
                what = personal_data_in(text or "")
                if what:
                    raise ValidationError(ERR_PII_IN_TEXT.format(title=item.title, what=what), code="pii")
        item.is_featured = featured
        item.featured_at = timezone.now() if featured else None
        item.featured_by = actor if featured else None
        item.save(update_fields=["is_featured", "featured_at", "featured_by", "updated_at"])
        linked = 0
        if isinstance(item, TraineeOutcome) and item.material_id and featured:
            linked = Material.objects.filter(pk=item.material_id, is_featured=False).update(
                is_featured=True, featured_at=item.featured_at, featured_by=actor
            )
        name = model._meta.model_name
        audit_record(actor=actor, action=f"summary.{name}_{'feature' if featured else 'unfeature'}", obj=item,
                     detail={"linked_materials": linked})
    return item


# --- The recommendation package for the Ministry (SUMMARY-2) ------------------------------------------------
def package_create(
    *,
    actor: Any,
    title: str,
    case_ids: Iterable[int] = (),
    outcome_ids: Iterable[int] = (),
    material_ids: Iterable[int] = (),
) -> RecommendationPackage:
    """Record the province's selection and start the background job that builds the zip."""
    case_ids, outcome_ids, material_ids = set(case_ids), set(outcome_ids), set(material_ids)
    if not (case_ids or outcome_ids or material_ids):
        raise ValidationError(ERR_PACKAGE_EMPTY, code="empty")
    accepted = Submission.State.ACCEPTED
    with transaction.atomic():
        cases = list(TypicalCase.objects.filter(pk__in=case_ids).select_related("submission"))
        outcomes = list(TraineeOutcome.objects.filter(pk__in=outcome_ids).select_related("submission"))
        materials = list(Material.objects.filter(pk__in=material_ids).select_related("submission"))
        if len(cases) != len(case_ids) or len(outcomes) != len(outcome_ids) or len(materials) != len(material_ids):
            raise ValidationError(ERR_PACKAGE_UNKNOWN, code="unknown")
        chosen: list[Material | TypicalCase | TraineeOutcome] = [*cases, *outcomes, *materials]
        pending = [item.title for item in chosen if item.submission.state != accepted]
        if pending:
            raise ValidationError(ERR_PACKAGE_NOT_ACCEPTED.format(titles="、".join(pending[:5])), code="not_accepted")
        package = RecommendationPackage(title=title.strip() or "国培计划十年成果推荐材料", year=summary_year(),
                                        region_code=settings.PROVINCE_CODE, created_by=actor)
        package.full_clean()
        package.save()
        package.cases.set(cases)
        package.outcomes.set(outcomes)
        package.materials.set(materials)
        audit_record(actor=actor, action="summary.package_create", obj=package,
                     detail={"cases": len(cases), "outcomes": len(outcomes), "materials": len(materials)})
        job = job_start(kind="summary.package_build", title=f"打包推荐材料：{package.title}", owner=actor,
                        region_code=settings.PROVINCE_CODE, params={"package_id": package.pk})
        package.job = job
        package.save(update_fields=["job", "updated_at"])
    return package
