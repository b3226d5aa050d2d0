"""Certificates (PDF with Chinese text, public check with a masked name) and health and safety (TRAINEE-2)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from guopei.delivery import services
from guopei.delivery.documents import certificate_pdf, mask_name
from guopei.delivery.models import Enrolment, Incident, Notice

from .factories import attend_all, enrol, make_class

pytestmark = pytest.mark.django_db


def test_mask_name_keeps_first_and_last_character():
    assert mask_name("张晓明") == "张*明"
    assert mask_name("李平") == "李*"
    assert mask_name("欧阳文娜") == "欧**娜"
    assert mask_name("王") == "王"


def test_certificate_pdf_chinese_text_extracts(klass, staff, teacher):
    from pypdf import PdfReader

    enrolment = enrol(klass, teacher)
    attend_all(klass, staff, [enrolment])
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=enrolment, score=Decimal("88"))
    certificate = Enrolment.objects.get(pk=enrolment.pk).certificate
    pdf = certificate_pdf(certificate, "https://guopei.example.gov.cn/verify/" + certificate.code + "/")
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")
    for expected in ("结业证书", "张晓明", klass.name, "共计80学时", "其中实践40学时", "经考核合格", certificate.code,
                     klass.institution.name):
        assert expected in text, expected


def test_trainee2_emergency_phone_encrypted_and_masked(klass, teacher, teacher_user, other_county_admin):
    enrolment = enrol(klass, teacher)
    services.trainee_safety_update(actor=teacher_user, enrolment=enrolment, insurance_bought=True,
                                   emergency_name="张母", emergency_relation="母亲", emergency_phone="139 1234 5678")
    enrolment.refresh_from_db()
    assert "13912345678" not in enrolment.emergency_phone and enrolment.emergency_phone
    assert enrolment.emergency_phone_plain == "13912345678"
    assert enrolment.emergency_phone_masked != "13912345678" and enrolment.emergency_phone_masked.endswith("5678")
    assert enrolment.insurance_bought and enrolment.insurance_recorded_at is not None
    with pytest.raises(PermissionDenied):
        services.trainee_safety_update(actor=other_county_admin, enrolment=enrolment, insurance_bought=False,
                                       emergency_name="", emergency_relation="", emergency_phone="")
    with pytest.raises(ValidationError):
        services.trainee_safety_update(actor=teacher_user, enrolment=enrolment, insurance_bought=False,
                                       emergency_name="x", emergency_relation="", emergency_phone="12")


def test_trainee2_insurance_reminder_once_before_class_never_enforced(project, staff, school, teacher, teacher_user):
    from .factories import trainee

    start = timezone.localdate() + timedelta(days=2)
    klass = make_class(project, staff, start=start, end=start + timedelta(days=9), sessions=False, name="保险提醒班")
    insured = enrol(klass, trainee(school))
    insured.insurance_bought = True
    insured.save()
    uninsured = enrol(klass, teacher)
    assert services.insurance_reminders_send(today=timezone.localdate()) == 1
    assert Notice.objects.filter(recipient=teacher_user, text__contains="人身意外伤害保险").count() == 1
    assert services.insurance_reminders_send(today=timezone.localdate()) == 0
    # Not enforced: the uninsured trainee still checks in like anyone else.
    uninsured.refresh_from_db()
    assert uninsured.status == "enrolled" and uninsured.insurance_reminded_at is not None


def test_trainee2_incident_seen_by_institution_trainee_county_and_province(klass, staff, teacher, county_admin,
                                                                            other_county_admin, province_admin):
    from guopei.delivery.selectors import incidents_for_user

    enrolment = enrol(klass, teacher)
    incident = services.incident_report(actor=staff, klass=klass, data=services.IncidentInput(
        occurred_at=timezone.now(), place="实训楼楼梯", people="学员张晓明", severity="critical",
        description="下楼时摔倒骨折", actions="送医并通知家属", enrolment_ids=(enrolment.pk,)))
    for user in (staff, county_admin, province_admin):
        assert incidents_for_user(user).filter(pk=incident.pk).exists()
    assert not incidents_for_user(other_county_admin).filter(pk=incident.pk).exists()
    assert Notice.objects.filter(recipient=province_admin, text__contains="特别重大").exists()
    assert Notice.objects.filter(recipient=county_admin).exists()
    services.incident_follow_up(actor=staff, incident=incident, follow_up="已出院，返岗", close=True)
    assert Incident.objects.get(pk=incident.pk).status == "closed"


def test_incident_with_a_trainee_of_another_class_refused(project, klass, staff, teacher):
    other = make_class(project, staff, sessions=False, name="另一班", start=date(2020, 10, 1), end=date(2020, 10, 10))
    stranger = enrol(other, teacher)
    with pytest.raises(ValidationError, match="不在本班次"):
        services.incident_report(actor=staff, klass=klass, data=services.IncidentInput(
            occurred_at=timezone.now(), place="宿舍", people="x", severity="minor", description="x", actions="x",
            enrolment_ids=(stranger.pk,)))
