"""Every page with three personas (right role in its region, same role elsewhere, wrong role), and the flows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.credits import services
from guopei.credits.models import HourRecord
from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import make_user
from guopei.plans.models import ProjectCounty
from guopei.teachers.tests.factories import TeacherFactory

from .factories import MINIMAL_PDF, HourRecordFactory, pdf_upload, recognised

D = Decimal
Role = Membership.Role


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def post(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data or {})


@pytest.fixture
def pending(teacher):
    return HourRecordFactory(teacher=teacher)


@pytest.fixture
def foreign(other_teacher):
    return HourRecordFactory(teacher=other_teacher)


@pytest.fixture
def other_teacher_user(db, other_school, other_teacher):
    user = make_user(Role.TEACHER, school=other_school, username="teacher2")
    other_teacher.user = user
    other_teacher.save()
    return user


# --- the teacher's own ---------------------------------------------------------------------------------------
def test_my_transcript_three_personas(client, teacher_user, teacher, other_teacher_user, county_admin, pending,
                                      foreign):
    url = reverse("credits:my_transcript")
    response = get(client, teacher_user, url)
    assert response.status_code == 200 and pending.title in response.text and foreign.title not in response.text
    response = get(client, other_teacher_user, url)
    assert response.status_code == 200 and foreign.title in response.text and pending.title not in response.text
    assert get(client, county_admin, url).status_code == 403


def test_teacher_without_linked_record_is_told_so(client, teacher_user):
    response = get(client, teacher_user, reverse("credits:my_transcript"))
    assert response.status_code == 200 and "尚未关联教师档案" in response.text


def test_mgmt3_teacher_submits_other_training_on_the_page(client, teacher_user, teacher):
    url = reverse("credits:record_create")
    assert get(client, teacher_user, url).status_code == 200
    data = {"year": _years()[0], "kind": "self_study", "title": "网络研修：作业设计", "theory_hours": "6",
            "practice_hours": "4", "organiser": "国家中小学智慧教育平台"}
    refused = client.post(url, data)
    assert refused.status_code == 200 and refused.context["form"].errors["evidence"]
    assert not HourRecord.objects.exists()
    response = client.post(url, {**data, "evidence": _upload()})
    assert response.status_code == 302
    record = HourRecord.objects.get()
    assert record.status == "submitted" and record.evidence_type == "application/pdf"
    assert record.teacher == teacher and record.total_hours == D("10.0")


def test_teacher_submission_with_a_program_as_evidence_shows_the_refusal(client, teacher_user, teacher):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(teacher_user)
    response = client.post(reverse("credits:record_create"), {
        "year": _years()[0], "kind": "other", "title": "培训", "theory_hours": "2", "practice_hours": "0",
        "evidence": SimpleUploadedFile("证明.pdf", b"MZ" + b"\0" * 100)})
    assert response.status_code == 200 and "Windows 程序" in response.text
    assert not HourRecord.objects.exists()


def _years():
    from guopei.credits.forms import year_choices

    return [y for y, _ in year_choices()]


def _upload(name="证明.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def test_record_create_is_for_teachers_only(client, county_admin, school_admin):
    url = reverse("credits:record_create")
    assert get(client, county_admin, url).status_code == 403
    assert get(client, school_admin, url).status_code == 403


# --- records ------------------------------------------------------------------------------------------------
def test_record_list_three_personas(client, county_admin, other_county_admin, teacher_user, pending, foreign):
    url = reverse("credits:record_list")
    response = get(client, county_admin, url)
    assert response.status_code == 200 and pending.title in response.text and foreign.title not in response.text
    response = get(client, other_county_admin, url)
    assert foreign.title in response.text and pending.title not in response.text
    assert get(client, teacher_user, url).status_code == 403


def test_record_list_uses_a_fixed_number_of_queries(client, county_admin, school, django_assert_max_num_queries):
    HourRecordFactory.create_batch(3, teacher=TeacherFactory(school=school))
    client.force_login(county_admin)
    client.get(reverse("credits:record_list"))
    HourRecordFactory.create_batch(60, teacher=TeacherFactory(school=school))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("credits:record_list"), {"year": "", "status": "submitted"})
    assert response.status_code == 200 and len(response.context["page"]) == 50


def test_school_admin_sees_own_school_records_only(client, school_admin, pending, foreign):
    response = get(client, school_admin, reverse("credits:record_list"))
    assert pending.title in response.text and foreign.title not in response.text
    assert get(client, school_admin, reverse("credits:record_detail", args=[foreign.pk])).status_code == 404


def test_record_detail_three_personas(client, county_admin, other_county_admin, teacher_user, other_teacher_user,
                                      pending):
    url = reverse("credits:record_detail", args=[pending.pk])
    response = get(client, county_admin, url)
    assert response.status_code == 200 and "审核通过并认定学分" in response.text
    assert get(client, other_county_admin, url).status_code == 404
    response = get(client, teacher_user, url)
    assert response.status_code == 200 and "审核通过" not in response.text
    assert get(client, other_teacher_user, url).status_code == 404


def test_city_admin_reads_but_does_not_audit(client, city_admin, pending):
    response = get(client, city_admin, reverse("credits:record_detail", args=[pending.pk]))
    assert response.status_code == 200 and "审核通过并认定学分" not in response.text
    assert post(client, city_admin, reverse("credits:record_approve", args=[pending.pk])).status_code == 403


def test_evidence_download_three_personas(client, teacher_user, teacher, county_admin, other_county_admin,
                                          expert_user):
    record = services.hour_record_submit(actor=teacher_user, teacher=teacher, year=2020, kind="school_based",
                                         title="校本研修", theory_hours=D("4"), practice_hours=D("4"),
                                         evidence=pdf_upload(), evidence_filename="证明.pdf")
    url = reverse("credits:record_evidence", args=[record.pk])
    response = get(client, county_admin, url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, expert_user, url).status_code == 403
    assert get(client, teacher_user, url).status_code == 200


# --- the audit queue --------------------------------------------------------------------------------------
def test_audit_queue_three_personas(client, county_admin, other_county_admin, city_admin, pending, foreign):
    url = reverse("credits:audit_queue")
    response = get(client, county_admin, url)
    assert response.status_code == 200 and pending.title in response.text and foreign.title not in response.text
    assert response.context["page"].paginator.count == 1
    response = get(client, other_county_admin, url)
    assert foreign.title in response.text and pending.title not in response.text
    assert get(client, city_admin, url).status_code == 403


def test_audit_queue_is_paged_with_a_fixed_number_of_queries(client, county_admin, school,
                                                             django_assert_max_num_queries):
    HourRecordFactory.create_batch(3, teacher=TeacherFactory(school=school))
    client.force_login(county_admin)
    client.get(reverse("credits:audit_queue"))
    for _ in range(4):
        HourRecordFactory.create_batch(20, teacher=TeacherFactory(school=school))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("credits:audit_queue"))
    page = response.context["page"]
    assert len(page) == 50 and page.paginator.num_pages == 2
    assert client.get(reverse("credits:audit_queue"), {"page": 2}).context["page"].object_list


def test_mgmt3_approve_reject_and_bulk_approve_on_the_pages(client, county_admin, school, pending):
    others = [HourRecordFactory(teacher=TeacherFactory(school=school)) for _ in range(3)]
    response = post(client, county_admin, reverse("credits:record_approve", args=[pending.pk]))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "recognised" and pending.credits == D("5.00")
    response = post(client, county_admin, reverse("credits:record_reject", args=[others[0].pk]), {"reason": ""})
    others[0].refresh_from_db()
    assert others[0].status == "submitted"
    post(client, county_admin, reverse("credits:record_reject", args=[others[0].pk]), {"reason": "考勤与名单不符"})
    others[0].refresh_from_db()
    assert others[0].status == "rejected" and others[0].reject_reason == "考勤与名单不符"
    response = post(client, county_admin, reverse("credits:audit_bulk_approve"),
                    {"ids": [others[1].pk, others[2].pk], "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("credits:audit_queue")
    assert HourRecord.objects.filter(status="recognised").count() == 3
    assert AuditEvent.objects.filter(action="credits.hour_record_approve").count() == 3
    assert AuditEvent.objects.filter(action="credits.hour_records_bulk_approve").count() == 1


def test_bulk_approve_ignores_another_countys_ids(client, county_admin, other_county_admin, pending, foreign):
    post(client, other_county_admin, reverse("credits:audit_bulk_approve"), {"ids": [pending.pk, foreign.pk]})
    pending.refresh_from_db()
    foreign.refresh_from_db()
    assert pending.status == "submitted" and foreign.status == "recognised"
    assert post(client, other_county_admin, reverse("credits:record_approve", args=[pending.pk])).status_code == 404
    assert post(client, county_admin, reverse("credits:audit_bulk_approve"), {"ids": []}).status_code == 302
    pending.refresh_from_db()
    assert pending.status == "submitted"


# --- totals and transcripts -------------------------------------------------------------------------------
def test_teacher_totals_three_personas(client, county_admin, other_county_admin, teacher_user, teacher,
                                       other_teacher, django_assert_max_num_queries):
    recognised(HourRecordFactory(teacher=teacher, year=2020, theory_hours=D("40"), practice_hours=D("32")),
               county_admin)
    url = reverse("credits:teacher_totals")
    client.force_login(county_admin)
    client.get(url, {"year": 2020})
    with django_assert_max_num_queries(10):
        response = client.get(url, {"year": 2020})
    assert response.status_code == 200 and teacher.name in response.text and other_teacher.name not in response.text
    row = response.context["rows"][0]
    assert row.year_hours == D("72.0") and row.cycle_hours == D("72.0")
    response = get(client, other_county_admin, url)
    assert other_teacher.name in response.text and teacher.name not in response.text
    assert get(client, teacher_user, url).status_code == 403


def test_teacher_transcript_three_personas(client, county_admin, other_county_admin, teacher_user, teacher,
                                           school_admin):
    recognised(HourRecordFactory(teacher=teacher, title="小学数学骨干教师高级研修班"), county_admin)
    url = reverse("credits:teacher_transcript", args=[teacher.pk])
    response = get(client, county_admin, url, year=2020)
    assert response.status_code == 200 and "小学数学骨干教师高级研修班" in response.text
    assert get(client, school_admin, url, year=2020).status_code == 200
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, teacher_user, url).status_code == 403


def test_transcript_pdf_three_personas(client, county_admin, other_county_admin, teacher_user, teacher):
    url = reverse("credits:teacher_transcript_pdf", args=[teacher.pk])
    response = get(client, county_admin, url, year=2020)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, teacher_user, url).status_code == 403
    own = get(client, teacher_user, reverse("credits:my_transcript_pdf"), year=2020)
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
    assert get(client, county_admin, reverse("credits:my_transcript_pdf")).status_code == 403


# --- IT 2.0 ----------------------------------------------------------------------------------------------------
@pytest.fixture
def it20_world(db, school, county_admin):
    ProjectCounty.objects.create(year=2020, county_id="140105", is_it20=True)
    ProjectCounty.objects.create(year=2020, county_id="140213", is_it20=True)
    done = TeacherFactory(school=school, name="达标老师")
    short = TeacherFactory(school=school, name="差一学时")
    recognised(HourRecordFactory(teacher=done, is_it20=True, theory_hours=D("25"), practice_hours=D("25")),
               county_admin)
    recognised(HourRecordFactory(teacher=short, is_it20=True, theory_hours=D("26"), practice_hours=D("24")),
               county_admin)
    return done, short


def test_it20_overview_three_personas(client, it20_world, province_admin, city_admin, other_city_admin,
                                      teacher_user, django_assert_max_num_queries):
    url = reverse("credits:it20_overview")
    client.force_login(province_admin)
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.total.teachers == 2 and overview.total.complete == 1 and overview.total.share == D("50.0")
    assert 'data-chart="chart-county"' in response.text and 'id="chart-county"' in response.text
    assert "<script>" not in response.text
    response = get(client, city_admin, url)
    assert [c.code for c in response.context["overview"].counties] == ["140105"]
    response = get(client, other_city_admin, url)
    assert [c.code for c in response.context["overview"].counties] == ["140213"]
    assert response.context["overview"].total.teachers == 0
    assert get(client, teacher_user, url).status_code == 403


def test_it20_county_page_three_personas(client, it20_world, county_admin, other_county_admin, teacher_user,
                                         school, django_assert_max_num_queries):
    url = reverse("credits:it20_county", args=["140105"])
    assert get(client, county_admin, reverse("credits:it20_overview")).status_code == 302
    with django_assert_max_num_queries(12):
        response = client.get(url, {"year": 2020})
    assert response.status_code == 200
    assert response.context["schools"][0].name == school.name and response.context["total"].complete == 1
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, teacher_user, url).status_code == 403


def test_it20_school_page_three_personas(client, it20_world, school_admin, other_school, school, county_admin,
                                         teacher_user):
    url = reverse("credits:it20_school", args=[school.pk])
    response = get(client, school_admin, url)
    assert response.status_code == 200 and "达标老师" in response.text and "差一学时" in response.text
    assert response.context["progress"].share == D("50.0")
    assert get(client, county_admin, url).status_code == 200
    other_admin = make_user(Role.SCHOOL_ADMIN, school=other_school, username="other_school_admin")
    assert get(client, other_admin, url).status_code == 404
    assert get(client, teacher_user, url).status_code == 403


def test_plan5_it20_export_rows(client, it20_world, province_admin, county_admin, other_county_admin, school_admin,
                                teacher_user, school):
    from guopei.core.spreadsheets import read_table

    url = reverse("credits:it20_export")
    response = get(client, province_admin, url)
    assert response.status_code == 200
    table = read_table(response.content, "x.xlsx")
    rows = [r for r in table.rows if r and r[2] == school.name]
    assert rows and rows[0][3] == 2 and rows[0][4] == 1
    response = get(client, county_admin, url, county="140105")
    table = read_table(response.content, "x.xlsx")
    by_name = {r[1]: r for r in table.rows if len(r) > 6}
    assert by_name["达标老师"][6] == "达标" and by_name["差一学时"][6] == "未达标"
    assert get(client, other_county_admin, url, county="140105").status_code == 404
    assert get(client, school_admin, url, school=school.pk).status_code == 200
    assert get(client, school_admin, url).status_code == 403
    assert get(client, teacher_user, url).status_code == 403


# --- navigation and home ----------------------------------------------------------------------------------
def test_home_panels_show_real_counts(client, county_admin, teacher_user, teacher, province_admin, pending,
                                      it20_world):
    response = get(client, county_admin, reverse("home"))
    assert 'data-stat="待审核学时记录">1<' in response.text
    response = get(client, teacher_user, reverse("home"))
    assert "我的学分" in response.text
    response = get(client, province_admin, reverse("home"))  # 张晓明 has no IT 2.0 hours: 1 of 3
    assert "2020年信息技术2.0整校推进" in response.text and 'data-stat="教师达标率（%）">33.3<' in response.text
    from guopei.credits.nav import nav_items

    assert [i.label for i in nav_items(county_admin)] == ["学时学分", "信息技术2.0"]
    assert [i.label for i in nav_items(teacher_user)] == ["我的学分"]
    assert nav_items(make_user(Role.EXPERT, "140000")) == []


def test_school_record_create_three_personas(client, school_admin, teacher, other_teacher, other_school,
                                             county_admin):
    url = reverse("credits:school_record_create")
    response = get(client, school_admin, url)
    assert response.status_code == 200 and teacher.name in response.text and other_teacher.name not in response.text
    data = {"teacher": teacher.pk, "year": _years()[0], "kind": "school_based", "title": "校本研修：大单元教学设计",
            "theory_hours": "8", "practice_hours": "8", "evidence": _upload()}
    assert client.post(url, data).status_code == 302
    assert HourRecord.objects.get().origin == "school"
    other_admin = make_user(Role.SCHOOL_ADMIN, school=other_school, username="other_school_admin2")
    refused = post(client, other_admin, url, {**data, "evidence": _upload()})
    assert refused.status_code == 200 and refused.context["form"].errors["teacher"]
    assert HourRecord.objects.count() == 1
    assert get(client, county_admin, url).status_code == 403


def test_index_sends_each_role_to_its_work(client, teacher_user, county_admin, institution_staff, school_admin,
                                           expert_user):
    url = reverse("credits:index")
    assert get(client, teacher_user, url)["Location"] == reverse("credits:my_transcript")
    assert get(client, county_admin, url)["Location"] == reverse("credits:audit_queue")
    assert get(client, institution_staff, url)["Location"] == reverse("credits:class_list")
    assert get(client, school_admin, url)["Location"] == reverse("credits:record_list")
    assert get(client, expert_user, url).status_code == 403


def test_it20_school_page_uses_a_fixed_number_of_queries(client, it20_world, school, county_admin,
                                                         django_assert_max_num_queries):
    client.force_login(county_admin)
    url = reverse("credits:it20_school", args=[school.pk])
    client.get(url)
    for _ in range(60):
        TeacherFactory(school=school)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert len(response.context["page"]) == 50 and response.context["progress"].teachers == 62
