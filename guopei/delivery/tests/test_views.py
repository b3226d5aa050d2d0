"""Three personas on every page: the right role in reach (200/302), the same role out of reach (404), a role that
must not use the page (403)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guopei.delivery import services
from guopei.delivery.checkin import current_slot, slot_token
from guopei.delivery.models import Certificate, Dismissal, Incident, LeaveRequest, Notice, Seat, SpecialCircumstance
from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import make_user

from .factories import enrol, make_class, open_offering, today_session, trainee

pytestmark = pytest.mark.django_db
Role = Membership.Role
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class World:
    pass


@pytest.fixture
def world(klass, staff, other_staff, teacher, teacher_user, school, other_school, school_admin, county_admin,
          other_county_admin, expert_user, province_admin):
    w = World()
    w.klass, w.staff, w.other_staff, w.teacher_user = klass, staff, other_staff, teacher_user
    w.school_admin, w.county_admin, w.other_county_admin, w.expert = (school_admin, county_admin,
                                                                      other_county_admin, expert_user)
    w.province_admin = province_admin
    w.other_school_admin = make_user(Role.SCHOOL_ADMIN, school=other_school, username="other_school_admin")
    w.other_teacher_user = make_user(Role.TEACHER, school=other_school, username="other_teacher")
    w.other_teacher = trainee(other_school, w.other_teacher_user, name="李平城")
    w.enrolment = enrol(klass, teacher)
    w.session = today_session(klass)
    w.offering = open_offering(make_class(klass.project, staff, sessions=False, name="选学二班"), staff, capacity=5,
                               region="140105")
    w.leave = LeaveRequest.objects.create(enrolment=w.enrolment, from_date=klass.start_date,
                                          to_date=klass.start_date, reason="家中有事")
    w.circumstance = SpecialCircumstance.objects.create(
        enrolment=w.enrolment, region_code="140105", kind="illness", description="住院", filed_by=teacher_user,
        evidence=SimpleUploadedFile("证明.pdf", PDF), evidence_name="证明.pdf", evidence_mime="application/pdf")
    w.incident = services.incident_report(actor=staff, klass=klass, data=services.IncidentInput(
        occurred_at=timezone.now(), place="食堂", people="学员一名", severity="severe", description="摔伤",
        actions="送医", enrolment_ids=(w.enrolment.pk,)))
    second = enrol(klass, trainee(school, name="赵德明"))
    w.dismissal = services.enrolment_dismiss(actor=staff, enrolment=second, reason="冒名顶替",
                                             evidence=SimpleUploadedFile("材料.pdf", PDF))
    w.certificate = Certificate.objects.create(enrolment=enrol(klass, trainee(school, name="孙结业")),
                                               code="TEST-CODE-0001", issued_on=klass.end_date, hours=80)
    w.cert_owner = None
    return w


def call(client, user, method, url, data=None):
    client.force_login(user)
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    client.logout()
    return response.status_code


def check(client, method, url, ok, other, wrong, ok_status=200, data=None):
    assert call(client, ok, method, url, data) == ok_status, f"ok {url}"
    if other is not None:
        assert call(client, other, method, url, data) == 404, f"other {url}"
    if wrong is not None:
        assert call(client, wrong, method, url, data) == 403, f"wrong {url}"


def test_class_pages_three_personas(client, world):
    w = world
    k = w.klass.pk
    check(client, "get", reverse("delivery:class_detail", args=[k]), w.staff, w.other_staff, w.expert)
    check(client, "get", reverse("delivery:class_detail", args=[k]), w.county_admin, w.other_county_admin, w.expert)
    check(client, "get", reverse("delivery:class_detail", args=[k]), w.school_admin, w.other_school_admin, w.expert)
    check(client, "get", reverse("delivery:class_edit", args=[k]), w.staff, w.other_staff, w.teacher_user)
    check(client, "get", reverse("delivery:completion", args=[k]), w.staff, w.other_staff, w.teacher_user)
    check(client, "get", reverse("delivery:offering_create", args=[k]), w.staff, w.other_staff, w.teacher_user)
    check(client, "get", reverse("delivery:incident_create", args=[k]), w.staff, w.other_staff, w.teacher_user)
    for name in ("sessions_generate", "enrol_nominees", "insurance_remind", "class_finish"):
        check(client, "post", reverse(f"delivery:{name}", args=[k]), w.staff, w.other_staff, w.teacher_user, 302)
    check(client, "post", reverse("delivery:selection_rounds", args=[k, "finish"]), w.staff, w.other_staff,
          w.teacher_user, 302)
    check(client, "get", reverse("delivery:class_create"), w.staff, None, w.teacher_user)


def test_class_list_scoped_with_bounded_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.staff)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("delivery:class_list"))
    assert response.status_code == 200 and world.klass.name in response.content.decode()
    client.force_login(world.other_staff)
    assert world.klass.name not in client.get(reverse("delivery:class_list")).content.decode()
    client.force_login(world.expert)
    assert client.get(reverse("delivery:class_list")).status_code == 403


def test_session_pages_three_personas(client, world):
    s = world.session.pk
    for name in ("session_register", "session_qr", "session_qr_code"):
        check(client, "get", reverse(f"delivery:{name}", args=[s]), world.staff, world.other_staff,
              world.county_admin)


def test_checkin_page_three_personas(client, world):
    slot = current_slot(timezone.now())
    url = reverse("delivery:checkin", args=[world.session.pk]) + f"?s={slot}&t={slot_token(world.session.pk, slot)}"
    check(client, "get", url, world.teacher_user, None, world.staff)
    client.force_login(world.teacher_user)
    assert client.get(reverse("delivery:checkin", args=[world.session.pk]) + "?s=1&t=x").status_code == 400
    assert client.get(reverse("delivery:checkin", args=[999999])).status_code == 404
    response = client.post(reverse("delivery:checkin", args=[world.session.pk]),
                           {"s": slot, "t": slot_token(world.session.pk, slot)})
    assert response.status_code == 200 and "签到成功" in response.content.decode()
    # The other county's teacher is not in the class: refused.
    client.force_login(world.other_teacher_user)
    response = client.post(reverse("delivery:checkin", args=[world.session.pk]),
                           {"s": slot, "t": slot_token(world.session.pk, slot)})
    assert response.status_code == 400 and services.ERR_NOT_ENROLLED in response.content.decode()


def test_offering_pages_three_personas(client, world, django_assert_max_num_queries):
    o = world.offering.pk
    client.force_login(world.teacher_user)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("delivery:offering_list"))
    assert world.offering.title in response.content.decode()
    client.force_login(world.other_teacher_user)
    assert world.offering.title not in client.get(reverse("delivery:offering_list")).content.decode()
    check(client, "get", reverse("delivery:offering_list"), world.teacher_user, None, world.expert)
    check(client, "post", reverse("delivery:seat_take", args=[o]), world.teacher_user, world.other_teacher_user,
          world.staff, 302)
    seat = Seat.objects.get(offering=world.offering)
    check(client, "post", reverse("delivery:seat_cancel", args=[seat.pk]), world.teacher_user,
          world.other_teacher_user, world.staff, 302)
    check(client, "get", reverse("delivery:offering_detail", args=[o]), world.staff, world.other_staff,
          world.teacher_user)
    check(client, "post", reverse("delivery:offering_action", args=[o, "close"]), world.staff, world.other_staff,
          world.teacher_user, 302)


def test_enrolment_pages_three_personas(client, world):
    e = world.enrolment.pk
    url = reverse("delivery:enrolment_detail", args=[e])
    check(client, "get", url, world.teacher_user, world.other_teacher_user, world.expert)
    check(client, "get", url, world.county_admin, world.other_county_admin, world.expert)
    check(client, "get", url, world.school_admin, world.other_school_admin, world.expert)
    check(client, "get", url, world.staff, world.other_staff, world.expert)
    check(client, "post", reverse("delivery:safety_update", args=[e]), world.teacher_user, world.other_teacher_user,
          world.staff, 302, {"insurance_bought": "on", "emergency_name": "张母", "emergency_phone": "13900000000"})
    check(client, "post", reverse("delivery:leave_file", args=[e]), world.teacher_user, world.other_teacher_user,
          world.staff, 302, {"from_date": "2020-09-02", "to_date": "2020-09-02", "reason": "事假"})
    check(client, "get", reverse("delivery:circumstance_file", args=[e]), world.teacher_user,
          world.other_teacher_user, world.staff)
    check(client, "get", reverse("delivery:enrolment_dismiss", args=[e]), world.staff, world.other_staff,
          world.teacher_user)
    check(client, "post", reverse("delivery:application_assess", args=[e]), world.school_admin,
          world.other_school_admin, world.teacher_user, 302, {"rating": "good"})
    check(client, "post", reverse("delivery:leave_decide", args=[world.leave.pk]), world.staff, world.other_staff,
          world.teacher_user, 302, {"decision": "approve"})
    check(client, "post", reverse("delivery:enrolment_no_show", args=[e]), world.staff, world.other_staff,
          world.teacher_user, 302)


def test_circumstance_pages_three_personas(client, world):
    c = world.circumstance.pk
    check(client, "get", reverse("delivery:circumstance_evidence", args=[c]), world.county_admin,
          world.other_county_admin, world.expert)
    client.force_login(world.other_county_admin)
    assert "住院" not in client.get(reverse("delivery:circumstance_list")).content.decode()
    check(client, "get", reverse("delivery:circumstance_list"), world.county_admin, None, world.expert)
    check(client, "post", reverse("delivery:circumstance_decide", args=[c]), world.county_admin,
          world.other_county_admin, world.school_admin, 302, {"decision": "approve", "note": "情况属实"})
    world.circumstance.refresh_from_db()
    assert world.circumstance.status == "approved"


def test_dismissal_certificate_and_report_three_personas(client, world):
    check(client, "get", reverse("delivery:dismissal_evidence", args=[world.dismissal.pk]), world.staff,
          world.other_staff, world.expert)
    owner = make_user(Role.TEACHER, school=world.certificate.enrolment.school, username="cert_owner")
    world.certificate.enrolment.teacher.user = owner
    world.certificate.enrolment.teacher.save()
    check(client, "get", reverse("delivery:certificate_download", args=[world.certificate.pk]), owner,
          world.other_teacher_user, world.expert)
    report = reverse("delivery:school_report", args=[world.klass.pk, world.enrolment.school_id])
    check(client, "get", report, world.school_admin, world.other_school_admin, world.expert)
    check(client, "get", report, world.county_admin, world.other_county_admin, world.expert)
    check(client, "get", reverse("delivery:participation"), world.school_admin, None, world.teacher_user)
    client.force_login(world.other_school_admin)
    assert world.klass.name not in client.get(reverse("delivery:participation")).content.decode()


def test_incident_pages_three_personas(client, world):
    i = world.incident.pk
    check(client, "get", reverse("delivery:incident_detail", args=[i]), world.county_admin,
          world.other_county_admin, world.school_admin)
    check(client, "get", reverse("delivery:incident_detail", args=[i]), world.staff, world.other_staff,
          world.school_admin)
    check(client, "get", reverse("delivery:incident_list"), world.county_admin, None, world.teacher_user)
    client.force_login(world.other_county_admin)
    assert "食堂" not in client.get(reverse("delivery:incident_list")).content.decode()


def test_progress_my_training_and_notices(client, world):
    check(client, "get", reverse("delivery:progress"), world.province_admin, None, world.teacher_user)
    check(client, "get", reverse("delivery:my_training"), world.teacher_user, None, world.school_admin)
    check(client, "get", reverse("delivery:notice_list"), world.county_admin, None, None)
    notice = Notice.objects.filter(recipient=world.county_admin).first()
    assert notice is not None
    check(client, "post", reverse("delivery:notice_read", args=[notice.pk]), world.county_admin,
          world.other_county_admin, None, 302)


def test_verify_page_is_public_and_masks_the_name(client, world):
    response = client.get(reverse("verify:certificate", args=[world.certificate.code]))
    body = response.content.decode()
    assert response.status_code == 200 and "孙*业" in body and "孙结业" not in body
    assert world.certificate.enrolment.teacher.id_number_plain not in body
    assert client.get(reverse("verify:certificate", args=["NOPE-NOPE-NOPE"])).status_code == 404
    assert client.get(reverse("verify:index") + "?code=test-code-0001").status_code == 302


def test_home_flags_severe_incident_for_the_province(client, world):
    client.force_login(world.province_admin)
    body = client.get(reverse("home")).content.decode()
    assert "重大安全事件" in body and "食堂" in body


def test_dismissal_form_posts_with_evidence(client, world):
    client.force_login(world.staff)
    url = reverse("delivery:enrolment_dismiss", args=[world.enrolment.pk])
    response = client.post(url, {"reason": "不符合参训条件", "dismissed_on": "2020-09-03",
                                 "evidence": SimpleUploadedFile("劝退.pdf", PDF)})
    assert response.status_code == 302
    assert Dismissal.objects.filter(enrolment=world.enrolment).exists()
    assert Incident.objects.count() == 1 and io is not None and timedelta
