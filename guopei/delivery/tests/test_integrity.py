"""Every path into the integrity file (MGMT-6) with its exact three-year end, special circumstances, annulment,
and selection refusing a banned teacher end to end."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from guopei.core.models import AuditEvent
from guopei.delivery import services
from guopei.delivery.models import Certificate, Enrolment, Notice
from guopei.teachers import services as teacher_services
from guopei.teachers.models import IntegrityEntry, Participation

from .factories import END, attend_all, close_all, enrol, make_class, trainee

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def enrolment(klass, teacher):
    return enrol(klass, teacher)


def evidence():
    return SimpleUploadedFile("证明材料.pdf", PDF)


def test_mgmt6_no_show_enters_integrity_file_from_class_end_for_exactly_three_years(klass, staff, enrolment):
    close_all(klass, staff)
    result = services.class_finish(actor=staff, klass=klass)
    assert result["no_show"] == 1 and result["integrity_entries"] == 1
    entry = IntegrityEntry.objects.get(teacher=enrolment.teacher)
    assert entry.kind == "no_show" and entry.event_date == END and entry.ban_until == date(2023, 9, 10)
    assert not entry.is_active_on(date(2023, 9, 10)) and entry.is_active_on(date(2023, 9, 9))
    enrolment.refresh_from_db()
    assert enrolment.status == "no_show"
    assert Participation.objects.get(teacher=enrolment.teacher).result == "no_show"


def test_mgmt6_no_show_marked_at_intake_enters_at_class_end(klass, staff, enrolment):
    services.enrolment_mark_no_show(actor=staff, enrolment=enrolment)
    assert not IntegrityEntry.objects.exists()
    close_all(klass, staff)
    services.class_finish(actor=staff, klass=klass)
    assert IntegrityEntry.objects.get(teacher=enrolment.teacher).event_date == END


def test_mgmt6_no_show_with_approved_special_circumstances_is_not_banned(klass, staff, enrolment, teacher_user,
                                                                          county_admin, other_county_admin):
    item = services.circumstance_file(actor=teacher_user, enrolment=enrolment, kind="illness",
                                      description="开班前住院", evidence=evidence())
    with pytest.raises(PermissionDenied):
        services.circumstance_decide(actor=other_county_admin, item=item, approve=True, note="属实")
    with pytest.raises(ValidationError, match="审批意见"):
        services.circumstance_decide(actor=county_admin, item=item, approve=True, note="")
    services.circumstance_decide(actor=county_admin, item=item, approve=True, note="住院证明属实")
    close_all(klass, staff)
    result = services.class_finish(actor=staff, klass=klass)
    assert result == {**result, "no_show": 1, "integrity_entries": 0, "excused_no_show": 1}
    assert not IntegrityEntry.objects.exists()


def test_mgmt6_circumstances_approved_after_class_end_annul_the_entry(klass, staff, enrolment, school_admin,
                                                                       county_admin):
    close_all(klass, staff)
    services.class_finish(actor=staff, klass=klass)
    entry = IntegrityEntry.objects.get(teacher=enrolment.teacher)
    item = services.circumstance_file(actor=school_admin, enrolment=enrolment, kind="duty",
                                      description="学校承担迎检任务")
    assert item.filed_as_school
    services.circumstance_decide(actor=county_admin, item=item, approve=True, note="学校证明属实")
    entry.refresh_from_db()
    assert entry.is_annulled and "特殊情况" in entry.annul_reason and entry.annulled_by == county_admin
    assert AuditEvent.objects.filter(action="teachers.integrity_annul", object_id=str(entry.pk)).exists()


def test_circumstance_filed_only_by_trainee_or_sending_unit(klass, enrolment, other_county_admin, school):
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import make_user

    other_teacher = make_user(Membership.Role.TEACHER, school=school, username="someone_else")
    trainee(school, other_teacher)
    with pytest.raises(PermissionDenied):
        services.circumstance_file(actor=other_teacher, enrolment=enrolment, kind="other", description="x")


def test_mgmt5_mgmt6_dismissal_bans_from_dismissal_day_and_tells_the_school(klass, staff, enrolment, school_admin,
                                                                             teacher_user):
    dismissal = services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="冒名顶替参训",
                                           evidence=evidence(), dismissed_on=date(2020, 9, 3))
    entry = IntegrityEntry.objects.get(teacher=enrolment.teacher)
    assert entry.kind == "dismissed" and entry.event_date == date(2020, 9, 3) and entry.ban_until == date(2023, 9, 3)
    assert "冒名顶替参训" in entry.source and dismissal.evidence_mime == "application/pdf"
    assert Notice.objects.filter(recipient=school_admin, text__contains="劝退").exists()
    assert Notice.objects.filter(recipient=teacher_user, text__contains="劝退").exists()
    enrolment.refresh_from_db()
    assert enrolment.status == "dismissed"


def test_mgmt5_dismissal_from_the_class_marks_the_county_nomination_dismissed(project, klass, staff, school,
                                                                              county_admin):
    from guopei.teachers.models import Nomination

    nomination = Nomination.objects.create(project=project, teacher=trainee(school), county_id="140105",
                                           status="confirmed", proposed_by=county_admin, rank=1)
    services.enrol_confirmed_nominees(actor=staff, klass=klass)
    enrolment = Enrolment.objects.get(nomination=nomination)
    services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="不符合参训条件", evidence=evidence())
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.DISMISSED
    assert "不符合参训条件" in nomination.reason and nomination.decided_by == staff
    assert AuditEvent.objects.filter(action="teachers.nomination_dismiss", object_id=str(nomination.pk)).exists()
    # One integrity entry: the class's dismissal wrote it, the nomination adds none.
    assert IntegrityEntry.objects.filter(teacher=nomination.teacher).count() == 1
    # The county may now substitute the place (a dismissed nominee keeps its record).
    replacement = teacher_services.nomination_substitute(actor=county_admin, nomination=nomination,
                                                          teacher_id=trainee(school).pk)
    assert replacement.substitute_for == nomination


def test_mgmt5_dismissal_needs_reason_and_evidence(klass, staff, enrolment):
    with pytest.raises(ValidationError, match="原因"):
        services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason=" ", evidence=evidence())
    with pytest.raises(ValidationError, match="证明材料"):
        services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="违纪", evidence=None)
    with pytest.raises(ValidationError, match="不能上传"):
        services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="违纪",
                                   evidence=SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"))


def test_mgmt6_dismissal_on_29_february_bans_until_28_february(project, staff, school):
    klass = make_class(project, staff, start=date(2024, 2, 20), end=date(2024, 3, 5), name="闰年班")
    enrolment = enrol(klass, trainee(school))
    services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="违纪", evidence=evidence(),
                               dismissed_on=date(2024, 2, 29))
    assert IntegrityEntry.objects.get(teacher=enrolment.teacher).ban_until == date(2027, 2, 28)


def test_mgmt6_failed_completion_bans_from_the_assessment_day(klass, staff, enrolment):
    attend_all(klass, staff, [enrolment])
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("55"), assessed_on=date(2020, 9, 15))
    enrolment.refresh_from_db()
    assert enrolment.result == "failed" and enrolment.criteria["score_ok"] is False
    entry = IntegrityEntry.objects.get(teacher=enrolment.teacher)
    assert entry.kind == "failed" and entry.event_date == date(2020, 9, 15) and entry.ban_until == date(2023, 9, 15)
    assert "考核成绩不合格" in entry.source
    assert not Certificate.objects.exists()
    assert Participation.objects.get(teacher=enrolment.teacher).result == "not_completed"


def test_completion_fails_on_attendance_below_threshold_even_with_a_high_score(klass, staff, enrolment):
    attend_all(klass, staff, [enrolment], skip=5)  # 15 of 20 sessions: 60 of 80 hours = 75 % < 80 %
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("98"))
    enrolment.refresh_from_db()
    assert enrolment.result == "failed" and enrolment.attendance_rate == Decimal("75.0")
    assert enrolment.criteria["attendance_ok"] is False and enrolment.criteria["score_ok"] is True
    assert "出勤率不足" in IntegrityEntry.objects.get(teacher=enrolment.teacher).source


def test_completion_pass_issues_certificate_and_records_hours(klass, staff, enrolment):
    attend_all(klass, staff, [enrolment], skip=4)  # 64 of 80 hours = 80 %: exactly the threshold passes
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("60"))
    enrolment.refresh_from_db()
    assert enrolment.result == "passed" and enrolment.attendance_rate == Decimal("80.0")
    certificate = enrolment.certificate
    assert certificate.hours == 64 and certificate.practice_hours == 24
    participation = Participation.objects.get(teacher=enrolment.teacher)
    assert (participation.result, participation.hours, participation.practice_hours) == ("completed", 64, 24)
    assert not IntegrityEntry.objects.exists()
    with pytest.raises(ValidationError, match="已完成结业考核"):
        services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("90"))


def test_completion_refused_before_the_class_ends(klass, staff, enrolment):
    with pytest.raises(ValidationError, match="结班后"):
        services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("90"))


def test_class_end_refused_while_registers_are_open(klass, staff, enrolment):
    with pytest.raises(ValidationError, match="考勤未关闭"):
        services.class_finish(actor=staff, klass=klass)


def test_mgmt6_annul_needs_a_written_reason(klass, staff, enrolment, county_admin):
    services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="违纪", evidence=evidence())
    entry = IntegrityEntry.objects.get(teacher=enrolment.teacher)
    with pytest.raises(ValidationError):
        teacher_services.integrity_entry_annul(actor=county_admin, entry=entry, reason="  ")
    teacher_services.integrity_entry_annul(actor=county_admin, entry=entry, reason="经复核劝退依据不足")
    entry.refresh_from_db()
    assert entry.is_annulled


def test_mgmt6_dismissed_teacher_excluded_from_next_projects_selection(klass, staff, enrolment, province_admin):
    from guopei.plans.tests.factories import make_plan, make_project
    from guopei.teachers.selection import selection_for

    services.enrolment_dismiss(actor=staff, enrolment=enrolment, reason="冒名顶替参训", evidence=evidence(),
                               dismissed_on=date(2020, 9, 3))
    plan = make_plan(province_admin, year=2021)
    next_project = make_project(plan, province_admin, "N01", start_date=date(2021, 7, 1), end_date=date(2021, 7, 10))
    selection = selection_for(next_project, "140105", on_date=date(2021, 7, 1))
    assert not selection.eligible().filter(pk=enrolment.teacher_id).exists()
    banned = selection.ineligible("banned").get(pk=enrolment.teacher_id)
    assert [r.label for r in selection.reasons_of(banned)] == ["诚信档案禁训期内（三年）"]
    # Three years later to the day the ban is over.
    later = selection_for(next_project, "140105", on_date=date(2023, 9, 3))
    assert later.eligible().filter(pk=enrolment.teacher_id).exists()


def test_trainee1_class_end_notifies_every_sending_unit_with_its_report(klass, staff, school, other_school,
                                                                        school_admin):
    from guopei.core.spreadsheets import read_table
    from guopei.delivery.documents import participation_report
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import make_user

    other_admin = make_user(Membership.Role.SCHOOL_ADMIN, school=other_school, username="pc_school")
    mine = enrol(klass, trainee(school, name="王小明"))
    theirs = enrol(klass, trainee(other_school, name="李平城"))
    attend_all(klass, staff, [mine])
    result = services.class_finish(actor=staff, klass=klass)
    assert result["sending_units"] == 2
    note = Notice.objects.get(recipient=school_admin)
    assert f"/report/{school.pk}/" in note.url and "参训情况报告" in note.text
    assert f"/report/{other_school.pk}/" in Notice.objects.get(recipient=other_admin).url
    table = read_table(participation_report(klass, school.pk), "r.xlsx")
    assert len(table.rows) == 1
    row = dict(zip(table.headers, table.rows[0], strict=False))
    assert row["姓名"] == "王小明" and int(row["实到学时"]) == 80 and float(row["出勤率（%）"]) == 100
    other_rows = read_table(participation_report(klass, other_school.pk), "r.xlsx").rows
    assert len(other_rows) == 1 and "未报到" in other_rows[0]
    assert Enrolment.objects.get(pk=theirs.pk).status == "no_show"


def test_trainee1_application_assessment_by_sending_unit_weeks_later(klass, staff, enrolment, school_admin,
                                                                      settings):
    from datetime import timedelta

    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import SchoolFactory, make_user

    attend_all(klass, staff, [enrolment])
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("90"))
    enrolment.refresh_from_db()
    early = klass.end_date + timedelta(days=settings.DELIVERY_APPLICATION_AFTER_DAYS - 1)
    with pytest.raises(ValidationError, match="开放"):
        services.application_assess(actor=school_admin, enrolment=enrolment, rating="good", today=early)
    stranger = make_user(Membership.Role.SCHOOL_ADMIN, school=SchoolFactory(), username="stranger_school")
    with pytest.raises(PermissionDenied):
        services.application_assess(actor=stranger, enrolment=enrolment, rating="good", today=early)
    services.application_assess(actor=school_admin, enrolment=enrolment, rating="excellent", comment="课堂有改进",
                                today=early + timedelta(days=1))
    enrolment.refresh_from_db()
    assert enrolment.application_rating == "excellent"
