"""Submissions, the county's audit and recognition as credits (MGMT-3), and the totals read elsewhere (MGMT-4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from guopei.core.models import AuditEvent
from guopei.credits import services
from guopei.credits.models import HourRecord
from guopei.credits.requirements import credits_for, cycle_for
from guopei.credits.selectors import (
    hours_met_teacher_ids,
    recognised_hours_by_teacher,
    transcript_for,
    with_totals,
)
from guopei.orgs.models import Membership
from guopei.teachers.models import Teacher
from guopei.teachers.tests.factories import TeacherFactory

from .factories import HourRecordFactory, pdf_upload, recognised

D = Decimal
Status = HourRecord.Status


def submit(actor, teacher, **kwargs):
    values = {"year": 2020, "kind": HourRecord.Kind.SCHOOL_BASED, "title": "2020年春季校本研修",
              "theory_hours": D("12"), "practice_hours": D("8"), "evidence": pdf_upload(),
              "evidence_filename": "证明.pdf", "organiser": "小店区示范小学"}
    values.update(kwargs)
    return services.hour_record_submit(actor=actor, teacher=teacher, **values)


# --- teacher submissions ------------------------------------------------------------------------------------
def test_mgmt3_teacher_submission_without_evidence_is_refused(teacher_user, teacher):
    with pytest.raises(ValidationError) as exc:
        submit(teacher_user, teacher, evidence=None)
    assert services.ERR_EVIDENCE_REQUIRED in exc.value.messages
    assert not HourRecord.objects.exists()


def test_mgmt3_database_refuses_teacher_record_without_evidence(teacher_user, teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        HourRecordFactory(teacher=teacher, origin=HourRecord.Origin.TEACHER, kind=HourRecord.Kind.SELF_STUDY,
                          evidence="", submitted_by=teacher_user)


def test_mgmt3_teacher_submits_other_training_with_evidence(teacher_user, teacher):
    record = submit(teacher_user, teacher, is_it20=True)
    assert record.status == Status.SUBMITTED and record.region_code == "140105"
    assert record.evidence.name.startswith("credits/evidence/140105/") and record.evidence_type == "application/pdf"
    assert record.total_hours == D("20.0") and record.is_it20
    event = AuditEvent.objects.get(action="credits.hour_record_submit")
    assert event.object_id == str(record.pk) and event.region_code == "140105"


def test_teacher_submission_refuses_a_program_renamed_as_pdf(teacher_user, teacher):
    with pytest.raises(ValidationError) as exc:
        submit(teacher_user, teacher, evidence=ContentFile(b"MZ\x90\x00" * 20, name="x.pdf"))
    assert "Windows 程序" in " ".join(exc.value.messages)
    assert not HourRecord.objects.exists()
    assert AuditEvent.objects.filter(action="credits.evidence_refused").count() == 1


def test_teacher_cannot_submit_for_someone_else_or_a_programme_class(teacher_user, teacher, other_teacher):
    with pytest.raises(PermissionDenied):
        submit(teacher_user, other_teacher)
    with pytest.raises(ValidationError) as exc:
        submit(teacher_user, teacher, kind=HourRecord.Kind.NATIONAL)
    assert services.ERR_TEACHER_KIND in exc.value.messages


def test_teacher_submission_needs_hours_and_dates_inside_the_year(teacher_user, teacher):
    from datetime import date

    with pytest.raises(ValidationError):
        submit(teacher_user, teacher, theory_hours=D("0"), practice_hours=D("0"))
    with pytest.raises(ValidationError):
        submit(teacher_user, teacher, ended_on=date(2019, 12, 1))
    assert not HourRecord.objects.exists()


# --- audit by the teacher's county ----------------------------------------------------------------------------
def test_mgmt3_county_approval_recognises_hours_as_credits(teacher_user, teacher, county_admin, settings):
    settings.CREDIT_HOURS_PER_CREDIT = 10
    record = submit(teacher_user, teacher, theory_hours=D("12.5"), practice_hours=D("8"))
    services.hour_record_approve(actor=county_admin, record=record)
    record.refresh_from_db()
    assert record.status == Status.RECOGNISED and record.credits == D("2.05")
    assert record.decided_by == county_admin and record.decided_at
    assert AuditEvent.objects.filter(action="credits.hour_record_approve", object_id=str(record.pk)).count() == 1


def test_mgmt3_credit_rate_is_a_setting_fixed_at_recognition(teacher_user, teacher, county_admin, settings):
    settings.CREDIT_HOURS_PER_CREDIT = 8
    assert credits_for(D("20")) == D("2.50")
    record = submit(teacher_user, teacher)
    services.hour_record_approve(actor=county_admin, record=record)
    settings.CREDIT_HOURS_PER_CREDIT = 10
    record.refresh_from_db()
    assert record.credits == D("2.50")


def test_mgmt3_only_the_teachers_county_audits(teacher_user, teacher, other_county_admin, city_admin,
                                               province_admin):
    record = submit(teacher_user, teacher)
    for actor in (other_county_admin, city_admin, province_admin, teacher_user):
        with pytest.raises(PermissionDenied):
            services.hour_record_approve(actor=actor, record=record)
    record.refresh_from_db()
    assert record.status == Status.SUBMITTED


def test_mgmt3_rejection_needs_a_reason_and_recognises_nothing(teacher_user, teacher, county_admin):
    record = submit(teacher_user, teacher)
    with pytest.raises(ValidationError):
        services.hour_record_reject(actor=county_admin, record=record, reason="  ")
    services.hour_record_reject(actor=county_admin, record=record, reason="证明材料不清晰，请重新上传盖章证明。")
    record.refresh_from_db()
    assert record.status == Status.REJECTED and record.credits is None
    assert "盖章" in AuditEvent.objects.get(action="credits.hour_record_reject").detail["reason"]


def test_a_decided_record_cannot_be_decided_again(teacher_user, teacher, county_admin):
    record = submit(teacher_user, teacher)
    services.hour_record_approve(actor=county_admin, record=record)
    with pytest.raises(ValidationError):
        services.hour_record_approve(actor=county_admin, record=record)
    with pytest.raises(ValidationError):
        services.hour_record_reject(actor=county_admin, record=record, reason="重复")


def test_mgmt3_bulk_approval_audits_every_record_and_the_batch(county_admin, school):
    records = [HourRecordFactory(teacher=TeacherFactory(school=school)) for _ in range(4)]
    already = records[0]
    services.hour_record_approve(actor=county_admin, record=already)
    result = services.hour_records_bulk_approve(actor=county_admin, record_ids=[r.pk for r in records])
    assert len(result.approved) == 3 and result.skipped == 1
    assert HourRecord.objects.filter(status=Status.RECOGNISED).count() == 4
    per_record = AuditEvent.objects.filter(action="credits.hour_record_approve")
    assert per_record.count() == 4  # one from the single approval, three from the batch
    summary = AuditEvent.objects.get(action="credits.hour_records_bulk_approve")
    assert summary.detail["approved"] == 3 and summary.detail["skipped"] == 1
    assert summary.detail["credits"] == "15.00"  # 3 × 50 hours / 10


def test_mgmt3_bulk_approval_with_another_countys_record_changes_nothing(county_admin, school, other_school):
    own = HourRecordFactory(teacher=TeacherFactory(school=school))
    foreign = HourRecordFactory(teacher=TeacherFactory(school=other_school))
    with pytest.raises(PermissionDenied):
        services.hour_records_bulk_approve(actor=county_admin, record_ids=[own.pk, foreign.pk])
    assert not HourRecord.objects.filter(status=Status.RECOGNISED).exists()
    assert not AuditEvent.objects.filter(action__startswith="credits.hour_record").exists()


def test_bulk_approval_refuses_an_empty_or_oversized_batch(county_admin, settings):
    settings.CREDIT_BULK_APPROVE_MAX = 2
    with pytest.raises(ValidationError):
        services.hour_records_bulk_approve(actor=county_admin, record_ids=[])
    with pytest.raises(ValidationError):
        services.hour_records_bulk_approve(actor=county_admin, record_ids=[1, 2, 3])


# --- class records from attendance --------------------------------------------------------------------------
def rows_for(*teachers, theory="30", practice="20"):
    return [services.AttendedHours(teacher_id=t.pk, theory_hours=D(theory), practice_hours=D(practice))
            for t in teachers]


def test_mgmt3_class_hours_make_one_record_per_trainee_and_resubmitting_skips_them(institution_staff, institution,
                                                                                  school, county_admin):
    a, b = TeacherFactory(school=school), TeacherFactory(school=school)
    first = services.class_hours_submit(actor=institution_staff, institution=institution, source_ref="class:1",
                                        title="小学语文骨干教师培训班", year=2020, project=None,
                                        rows=rows_for(a, b))
    assert len(first.created) == 2 and first.skipped == 0
    assert {r.origin for r in first.created} == {HourRecord.Origin.INSTITUTION}
    again = services.class_hours_submit(actor=institution_staff, institution=institution, source_ref="class:1",
                                        title="小学语文骨干教师培训班", year=2020, project=None,
                                        rows=rows_for(a, b))
    assert again.created == [] and again.skipped == 2
    services.hour_record_reject(actor=county_admin, record=first.created[0], reason="考勤有误，请核对后重报")
    third = services.class_hours_submit(actor=institution_staff, institution=institution, source_ref="class:1",
                                        title="小学语文骨干教师培训班", year=2020, project=None,
                                        rows=rows_for(a, b, theory="28"))
    assert [r.teacher_id for r in third.created] == [first.created[0].teacher_id]
    assert AuditEvent.objects.filter(action="credits.class_hours_submit").count() == 3


def test_class_hours_only_by_the_institutions_staff(institution_staff, county_admin, school):
    from guopei.orgs.tests.factories import InstitutionFactory

    a = TeacherFactory(school=school)
    with pytest.raises(PermissionDenied):
        services.class_hours_submit(actor=institution_staff, institution=InstitutionFactory(), source_ref="c:2",
                                    title="班", year=2020, project=None, rows=rows_for(a))
    with pytest.raises(ValidationError):
        services.class_hours_submit(actor=institution_staff,
                                    institution=Membership.objects.get(user=institution_staff).institution,
                                    source_ref="c:2", title="班", year=2020, project=None,
                                    rows=rows_for(a, theory="0", practice="0"))


# --- totals ---------------------------------------------------------------------------------------------------
def test_mgmt4_recognised_hours_by_teacher_counts_only_recognised_records(county_admin, school):
    t = TeacherFactory(school=school)
    recognised(HourRecordFactory(teacher=t, theory_hours=D("40"), practice_hours=D("12")), county_admin)
    recognised(HourRecordFactory(teacher=t, theory_hours=D("20"), practice_hours=D("0")), county_admin)
    HourRecordFactory(teacher=t, theory_hours=D("50"))  # pending: not counted
    recognised(HourRecordFactory(teacher=t, year=2019, theory_hours=D("90")), county_admin)
    row = recognised_hours_by_teacher(2020).get(teacher_id=t.pk)
    assert row["hours"] == D("72.0") and row["practice_hours"] == D("12.0") and row["credits"] == D("7.20")
    assert list(hours_met_teacher_ids(2020, 72)) == [{"teacher_id": t.pk}]
    assert not hours_met_teacher_ids(2020, 73).exists()
    assert Teacher.objects.filter(pk__in=hours_met_teacher_ids(2020, 72)).get() == t


def test_mgmt3_annual_and_five_year_cycle_totals(county_admin, school, settings):
    settings.CREDIT_CYCLE_HOURS = 360
    t = TeacherFactory(school=school)
    for year, hours in ((2016, "80"), (2018, "100"), (2020, "72"), (2021, "40")):
        recognised(HourRecordFactory(teacher=t, year=year, theory_hours=D(hours), practice_hours=D("0")),
                   county_admin)
    HourRecordFactory(teacher=t, year=2020, theory_hours=D("10"), practice_hours=D("0"))
    assert cycle_for(2020).first == 2016 and cycle_for(2020).last == 2020 and cycle_for(2021).first == 2021
    row = with_totals(Teacher.objects.filter(pk=t.pk), 2020).get()
    assert row.year_hours == D("72.0") and row.cycle_hours == D("252.0") and row.pending_hours == D("10.0")
    assert row.cycle_credits == D("25.20")
    transcript = transcript_for(t, 2020)
    assert transcript.cycle_hours == D("252.0") and transcript.cycle_remaining == D("108.0")
    assert not transcript.cycle_met and transcript.this_year.met
    assert [line.year for line in transcript.lines] == [2016, 2017, 2018, 2019, 2020]
    assert len(transcript.pending) == 1 and len(transcript.records) == 3


def test_another_county_admin_user_cannot_audit_even_as_second_role(teacher_user, teacher, other_county_admin):
    """A county role elsewhere plus a school role here is still not this county's auditor."""
    Membership.objects.create(user=other_county_admin, role=Membership.Role.SCHOOL_ADMIN, region_id="140105",
                              school=teacher.school)
    record = submit(teacher_user, teacher)
    with pytest.raises(PermissionDenied):
        services.hour_record_approve(actor=other_county_admin, record=record)


def test_mgmt3_school_admin_submits_for_own_school_teachers_only(school_admin, teacher, other_teacher):
    record = submit(school_admin, teacher, kind=HourRecord.Kind.SCHOOL_BASED)
    assert record.origin == HourRecord.Origin.SCHOOL and record.submitted_by == school_admin
    with pytest.raises(PermissionDenied):
        submit(school_admin, other_teacher)
    with pytest.raises(ValidationError):
        submit(school_admin, teacher, evidence=None)
