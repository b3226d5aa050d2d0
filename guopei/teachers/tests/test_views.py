"""Every page and endpoint with three personas: right role in its region, same role elsewhere, wrong role."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guopei.core.models import AuditEvent, Job
from guopei.orgs.tests.factories import InstitutionFactory, SchoolFactory, make_user
from guopei.plans.models import Allocation
from guopei.teachers import services
from guopei.teachers.models import Nomination, ReservePoolEntry, TeacherTransfer

from .corpus import roster_row, xlsx
from .factories import IntegrityEntryFactory, TeacherFactory
from .test_selection import make_project

PASSWORD = "correct-horse-battery-1"


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def project(db, province_admin, institution):
    project = make_project()
    project.plan.published_at = timezone.now()
    project.plan.status = "published"
    project.plan.save(update_fields=["published_at"])
    Allocation.objects.create(project=project, region_id="140105", quota=3)
    services.intake_assign(actor=province_admin, project=project, institution=institution)
    return project


def get(client, user, url):
    return login(client, user).get(url)


def post(client, user, url, data=None):
    return login(client, user).post(url, data or {})


# --- teacher pages --------------------------------------------------------------------------------------------
def test_teacher_list_three_personas(client, county_admin, other_county_admin, teacher_user, teacher, other_teacher):
    url = reverse("teachers:teacher_list")
    response = get(client, county_admin, url)
    assert response.status_code == 200
    assert teacher.name in response.text and other_teacher.name not in response.text
    assert "140105********" in response.text and teacher.id_number_plain not in response.text
    response = get(client, other_county_admin, url)
    assert teacher.name not in response.text and other_teacher.name in response.text
    assert get(client, teacher_user, url).status_code == 403


def test_teacher_list_uses_a_fixed_number_of_queries_per_page(client, county_admin, school):
    TeacherFactory.create_batch(5, school=school)
    login(client, county_admin)
    url = reverse("teachers:teacher_list")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    TeacherFactory.create_batch(120, school=school)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url)
    assert len(big) == len(small) <= 12
    page = response.context["page"]
    assert len(page.rows) == 50 and page.next_cursor
    with CaptureQueriesContext(connection) as nxt:
        second = client.get(url, {"after": page.next_cursor})
    assert len(nxt) == len(small)
    names_first = [t.pk for t in page.rows]
    names_second = [t.pk for t in second.context["page"].rows]
    assert not set(names_first) & set(names_second) and len(names_second) == 50
    back = client.get(url, {"before": second.context["page"].prev_cursor})
    assert [t.pk for t in back.context["page"].rows] == names_first


def test_teacher_list_search_by_pinyin_and_exact_id_number(client, county_admin, school):
    zhang = TeacherFactory(school=school, name="张晓明", plain_id="140105199003151234")
    TeacherFactory(school=school, name="李华")
    login(client, county_admin)
    url = reverse("teachers:teacher_list")
    assert [t.pk for t in client.get(url, {"q": "zhangx"}).context["page"].rows] == [zhang.pk]
    assert [t.pk for t in client.get(url, {"q": "140105199003151234"}).context["page"].rows] == [zhang.pk]
    assert [t.pk for t in client.get(url, {"q": "张"}).context["page"].rows] == [zhang.pk]


def test_teacher_detail_three_personas(client, county_admin, other_county_admin, institution_staff, teacher):
    url = reverse("teachers:teacher_detail", args=[teacher.pk])
    response = get(client, county_admin, url)
    assert response.status_code == 200 and "140105********" in response.text
    assert str(teacher.birth_date.year) in response.text and teacher.birth_date.isoformat() not in response.text
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, institution_staff, url).status_code == 404


def test_school_admin_sees_own_school_teachers_only(client, school_admin, teacher, other_teacher):
    assert get(client, school_admin, reverse("teachers:teacher_detail", args=[teacher.pk])).status_code == 200
    assert get(client, school_admin, reverse("teachers:teacher_detail", args=[other_teacher.pk])).status_code == 404


def test_teacher_me_shows_own_record(client, teacher_user, county_admin, teacher):
    url = reverse("teachers:teacher_me")
    assert get(client, teacher_user, url).status_code == 404
    teacher.user = teacher_user
    teacher.save(update_fields=["user"])
    response = get(client, teacher_user, url)
    assert response.status_code == 200 and teacher.name in response.text
    assert get(client, county_admin, url).status_code == 403


def test_reveal_is_audited_and_limited(client, county_admin, other_county_admin, city_admin, province_admin,
                                       school_admin, teacher):
    url = reverse("teachers:teacher_reveal", args=[teacher.pk, "id_number"])
    response = post(client, county_admin, url)
    assert response.status_code == 200 and teacher.id_number_plain in response.text
    assert AuditEvent.objects.filter(action="teachers.reveal", object_id=str(teacher.pk),
                                     detail__field="id_number").count() == 1
    assert post(client, province_admin, reverse("teachers:teacher_reveal", args=[teacher.pk, "phone"])).status_code \
        == 200
    assert post(client, other_county_admin, url).status_code == 404
    assert post(client, city_admin, url).status_code == 403
    assert post(client, school_admin, url).status_code == 403
    assert get(client, county_admin, url).status_code == 405
    assert AuditEvent.objects.filter(action="teachers.reveal").count() == 2


def test_export_masked_by_default_unmasked_only_by_explicit_choice(client, county_admin, school_admin, teacher,
                                                                   django_capture_on_commit_callbacks):
    from guopei.core.spreadsheets import read_table

    url = reverse("teachers:teacher_export")
    assert get(client, county_admin, url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, county_admin, url, {"unmasked": "1"})
    job = Job.objects.latest("pk")
    assert response.url == reverse("core:job_detail", args=[job.pk])
    rows = read_table(job.result_file.read(), "x.xlsx").rows
    assert rows[0][1] == "140105********" + teacher.id_number_plain[-4:]
    assert AuditEvent.objects.filter(action="teachers.export").exists()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, county_admin, url, {"unmasked": "1", "confirm": "1", "school": teacher.school_id})
    job = Job.objects.latest("pk")
    assert read_table(job.result_file.read(), "x.xlsx").rows[0][1] == teacher.id_number_plain
    assert AuditEvent.objects.filter(action="teachers.export_unmasked").count() == 1
    response = post(client, school_admin, url, {"unmasked": "1", "confirm": "1"})
    assert response.status_code == 200 and AuditEvent.objects.filter(action="teachers.export_unmasked").count() == 1
    assert get(client, make_user("teacher", school=teacher.school), url).status_code == 403


# --- imports -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["roster_import", "roster_template", "history_import", "history_template"])
def test_import_pages_three_personas(client, county_admin, other_county_admin, school_admin, name):
    url = reverse(f"teachers:{name}")
    assert get(client, county_admin, url).status_code == 200
    assert get(client, other_county_admin, url).status_code == 200
    assert get(client, school_admin, url).status_code == 403


def test_roster_upload_goes_to_the_job_page(client, county_admin, school, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, data = xlsx([roster_row(school.code, 1)])
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, county_admin, reverse("teachers:roster_import"),
                        {"file": SimpleUploadedFile(name, data)})
    job = Job.objects.get(kind="teachers.roster_import")
    assert response.url == reverse("core:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == "succeeded"


# --- transfers -----------------------------------------------------------------------------------------------------
def test_transfer_across_counties_needs_the_receiving_county(client, county_admin, other_county_admin, school_admin,
                                                              teacher, other_school):
    url = reverse("teachers:transfer_create", args=[teacher.pk])
    assert get(client, county_admin, url).status_code == 200
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, school_admin, url).status_code == 403
    post(client, county_admin, url, {"school_code": other_school.code, "reason": "工作调动"})
    transfer = TeacherTransfer.objects.get()
    assert transfer.status == "pending"
    teacher.refresh_from_db()
    assert teacher.school_id != other_school.pk
    # The sending county cannot accept on the receiving county's behalf.
    accept = reverse("teachers:transfer_decide", args=[transfer.pk, "accept"])
    post(client, county_admin, accept)
    assert TeacherTransfer.objects.get().status == "pending"
    assert get(client, other_county_admin, reverse("teachers:transfer_list")).status_code == 200
    post(client, other_county_admin, accept)
    teacher.refresh_from_db()
    assert teacher.school_id == other_school.pk and teacher.region_code == "140213"
    assert get(client, other_county_admin, reverse("teachers:teacher_detail", args=[teacher.pk])).status_code == 200
    assert get(client, county_admin, reverse("teachers:teacher_detail", args=[teacher.pk])).status_code == 404
    assert get(client, school_admin, reverse("teachers:transfer_list")).status_code == 403


def test_transfer_inside_a_county_applies_at_once(client, county_admin, teacher):
    target = SchoolFactory(county_id="140105")
    post(client, county_admin, reverse("teachers:transfer_create", args=[teacher.pk]), {"school_code": target.code})
    teacher.refresh_from_db()
    assert teacher.school == target and TeacherTransfer.objects.get().status == "accepted"


def test_county_admin_cannot_move_another_countys_teacher(county_admin, other_teacher, school):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.transfer_request(actor=county_admin, teacher=other_teacher, to_school=school)


def test_transfer_decision_by_other_region_is_404(client, county_admin, city_admin, other_city_admin, teacher,
                                                  other_school):
    transfer = services.transfer_request(actor=county_admin, teacher=teacher, to_school=other_school)
    url = reverse("teachers:transfer_decide", args=[transfer.pk, "reject"])
    assert post(client, other_city_admin, url).status_code == 302  # 大同 is the receiving city
    transfer.refresh_from_db()
    assert transfer.status == "rejected"
    transfer2 = services.transfer_request(actor=county_admin, teacher=teacher, to_school=other_school)
    assert post(client, make_user("county_admin", "140106"),
                reverse("teachers:transfer_decide", args=[transfer2.pk, "accept"])).status_code == 404


# --- integrity file, reserve pool, cap ----------------------------------------------------------------------------
def test_integrity_pages_three_personas(client, county_admin, other_county_admin, city_admin, teacher_user, teacher):
    from datetime import timedelta

    entry = IntegrityEntryFactory(teacher=teacher, event_date=timezone.localdate() - timedelta(days=100))
    response = get(client, county_admin, reverse("teachers:integrity_list"))
    assert response.status_code == 200 and teacher.name in response.text
    assert teacher.name not in get(client, other_county_admin, reverse("teachers:integrity_list")).text
    assert get(client, teacher_user, reverse("teachers:integrity_list")).status_code == 403
    url = reverse("teachers:integrity_annul", args=[entry.pk])
    assert get(client, county_admin, url).status_code == 200
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, city_admin, url).status_code == 403
    response = post(client, county_admin, url, {"reason": "因公出差，单位出具证明"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.is_annulled


def test_reserve_pages_three_personas(client, county_admin, other_county_admin, school_admin, teacher):
    url = reverse("teachers:reserve_list")
    assert get(client, school_admin, url).status_code == 403
    response = post(client, county_admin, url, {"id_number": teacher.id_number_plain, "priority": 2,
                                                "note": "骨干后备"})
    assert response.status_code == 302
    entry = ReservePoolEntry.objects.get()
    assert entry.priority == 2
    response = post(client, other_county_admin, url, {"id_number": teacher.id_number_plain, "priority": 2})
    assert response.status_code == 200 and "管辖范围内没有" in response.text
    edit = reverse("teachers:reserve_edit", args=[entry.pk])
    assert get(client, county_admin, edit).status_code == 200
    assert get(client, other_county_admin, edit).status_code == 404
    assert get(client, school_admin, edit).status_code == 403
    post(client, county_admin, edit, {"priority": 1, "note": "优先"})
    entry.refresh_from_db()
    assert entry.priority == 1
    post(client, county_admin, edit, {"remove": "1"})
    assert not ReservePoolEntry.objects.exists()


def test_cap_page_three_personas(client, county_admin, other_county_admin, school_admin):
    url = reverse("teachers:cap_policy")
    assert get(client, county_admin, url).status_code == 200
    response = post(client, county_admin, url, {"region": "140105", "cap": 5})
    assert "不能放宽" in response.text
    assert post(client, county_admin, url, {"region": "140105", "cap": 1}).status_code == 302
    assert post(client, other_county_admin, url, {"region": "140105", "cap": 1}).status_code == 404
    assert get(client, school_admin, url).status_code == 403


# --- selection and nominations -----------------------------------------------------------------------------------
def test_selection_pages_three_personas(client, county_admin, other_county_admin, school_admin, project, teacher):
    assert get(client, county_admin, reverse("teachers:selection_index")).status_code == 200
    assert get(client, school_admin, reverse("teachers:selection_index")).status_code == 403
    url = reverse("teachers:selection_result", args=[project.pk])
    response = get(client, county_admin, url)
    assert response.status_code == 200 and teacher.name in response.text
    assert response.context["counts"]["eligible"] == 1
    assert get(client, county_admin, url + "?tab=ineligible").status_code == 200
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, school_admin, url).status_code == 403
    export = reverse("teachers:selection_export", args=[project.pk])
    response = get(client, county_admin, export)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEvent.objects.filter(action="teachers.selection_export").exists()
    assert get(client, other_county_admin, export).status_code == 404
    assert get(client, school_admin, export).status_code == 403


def test_selection_page_queries_do_not_grow_with_teachers(client, county_admin, project, school):
    TeacherFactory.create_batch(3, school=school)
    url = reverse("teachers:selection_result", args=[project.pk])
    login(client, county_admin)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    TeacherFactory.create_batch(60, school=school)
    with CaptureQueriesContext(connection) as big:
        client.get(url)
    assert len(big) == len(small)


def test_nominate_and_intake_three_personas(client, county_admin, other_county_admin, school_admin,
                                            institution_staff, project, school):
    teachers = TeacherFactory.create_batch(4, school=school)
    url = reverse("teachers:nominate", args=[project.pk])
    data = {"region": "140105", "principal": [teachers[0].pk, teachers[1].pk], "alternate": [teachers[2].pk]}
    assert post(client, school_admin, url, data).status_code == 403
    assert post(client, other_county_admin, url, data).status_code == 404
    assert post(client, county_admin, url, data).status_code == 302
    assert Nomination.objects.count() == 3
    nominations_url = reverse("teachers:nomination_list")
    assert get(client, county_admin, nominations_url).status_code == 200
    response = get(client, institution_staff, nominations_url)
    assert response.status_code == 200 and teachers[0].name in response.text
    assert teachers[0].id_number_plain not in response.text
    stranger = make_user("institution_staff", "140100", institution=InstitutionFactory())
    assert teachers[0].name not in get(client, stranger, nominations_url).text
    assert get(client, make_user("teacher", school=school), nominations_url).status_code == 403
    first = Nomination.objects.get(teacher=teachers[0])
    second = Nomination.objects.get(teacher=teachers[1])
    confirm = reverse("teachers:nomination_decide", args=[first.pk, "confirm"])
    assert post(client, county_admin, confirm).status_code == 403
    assert post(client, stranger, confirm).status_code == 404
    assert post(client, institution_staff, confirm).status_code == 302
    first.refresh_from_db()
    assert first.status == "confirmed"
    post(client, institution_staff, reverse("teachers:nomination_decide", args=[second.pk, "return"]),
         {"reason": "不是项目要求的学段"})
    second.refresh_from_db()
    assert second.status == "returned"
    post(client, institution_staff, reverse("teachers:nomination_decide", args=[first.pk, "dismiss"]),
         {"reason": "报到时核实为非在编代课人员"})
    first.refresh_from_db()
    assert first.status == "dismissed" and first.teacher.integrity_entries.filter(kind="dismissed").exists()
    alternate = Nomination.objects.get(teacher=teachers[2])
    substitute = reverse("teachers:nomination_substitute", args=[second.pk])
    assert post(client, institution_staff, substitute, {"alternate": alternate.pk}).status_code == 403
    assert post(client, other_county_admin, substitute, {"alternate": alternate.pk}).status_code == 404
    assert post(client, county_admin, substitute, {"alternate": alternate.pk}).status_code == 302
    alternate.refresh_from_db()
    assert not alternate.is_alternate and alternate.substitute_for_id == second.pk
    response = get(client, county_admin, reverse("teachers:selection_result", args=[project.pk]))
    assert response.status_code == 200 and "已替换" in response.text


def test_intake_page_is_for_the_province(client, province_admin, city_admin, county_admin, project, institution):
    url = reverse("teachers:intake_list")
    response = get(client, province_admin, url)
    assert response.status_code == 200 and institution.name in response.text
    assert get(client, city_admin, url).status_code == 403
    assert get(client, county_admin, url).status_code == 403
    other = InstitutionFactory()
    post(client, province_admin, url, {"project": project.pk, "institution": other.pk})
    assert project.intake_assignments.count() == 2


def test_home_panel_counts_for_county_and_institution(client, county_admin, institution_staff, teacher):
    response = get(client, county_admin, reverse("home"))
    assert response.status_code == 200 and "教师库与遴选" in response.text
    response = get(client, institution_staff, reverse("home"))
    assert "学员推荐审核" in response.text
