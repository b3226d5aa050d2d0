"""Hours flow from a class's attendance to recognised credits (MGMT-3), through delivery's real services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from guopei.credits import services
from guopei.credits.it20 import completed_teacher_ids
from guopei.credits.models import HourRecord
from guopei.credits.selectors import recognised_hours_by_teacher, transcript_for
from guopei.delivery import services as delivery
from guopei.delivery.models import Session
from guopei.delivery.tests.factories import awarded_project, enrol, make_class, trainee

D = Decimal


@pytest.fixture
def klass(province_admin, finance_officer, institution, institution_staff):
    project = awarded_project(province_admin, finance_officer, institution, institution_staff)
    return make_class(project, institution_staff)


def hours_of(sessions):
    theory = sum(s.hours for s in sessions if s.kind == Session.Kind.THEORY)
    practice = sum(s.hours for s in sessions if s.kind == Session.Kind.PRACTICE)
    return D(theory), D(practice)


@pytest.fixture
def finished(klass, institution_staff, school, teacher):
    """A class where `teacher` attended every session (one late), `partial` missed the last one, `absent`
    never came (a no-show), and `failed` attended but failed the assessment."""
    partial, absent = trainee(school, name="李部分"), trainee(school, name="王缺席")
    failed = trainee(school, name="赵未过")
    enrolments = {t.pk: enrol(klass, t) for t in (teacher, partial, absent, failed)}
    sessions = list(klass.sessions.order_by("order"))
    for index, session in enumerate(sessions):
        marks = {enrolments[teacher.pk].pk: "late" if index == 0 else "present",
                 enrolments[partial.pk].pk: "absent" if index == len(sessions) - 1 else "present",
                 enrolments[absent.pk].pk: "absent", enrolments[failed.pk].pk: "present"}
        delivery.attendance_mark(actor=institution_staff, session=session, marks=marks)
        delivery.register_close(actor=institution_staff, session=session, now=session.ends_at)
    return {"sessions": sessions, "enrolments": enrolments, "partial": partial, "absent": absent,
            "failed": failed}


def test_mgmt3_hours_flow_from_attendance_to_recognised_credits(klass, finished, institution_staff, teacher,
                                                                county_admin):
    with pytest.raises(ValidationError) as exc:
        services.hours_submit_for_class(training_class=klass, actor=institution_staff)
    assert services.ERR_CLASS_NOT_ENDED in exc.value.messages

    delivery.class_finish(actor=institution_staff, klass=klass)
    klass.refresh_from_db()
    with pytest.raises(ValidationError):  # nobody assessed yet
        services.hours_submit_for_class(training_class=klass, actor=institution_staff)
    enrolments = finished["enrolments"]
    for t, score in ((teacher, "90"), (finished["partial"], "80"), (finished["failed"], "30")):
        delivery.completion_assess(actor=institution_staff, enrolment=enrolments[t.pk], score=D(score))

    result = services.hours_submit_for_class(training_class=klass, actor=institution_staff)
    records = {r.teacher_id: r for r in result.created}
    assert set(records) == {teacher.pk, finished["partial"].pk}  # not the no-show, not the failed trainee
    full = hours_of(finished["sessions"])
    partial = hours_of(finished["sessions"][:-1])
    own = records[teacher.pk]
    assert (own.theory_hours, own.practice_hours) == full  # the late session counts
    assert (records[finished["partial"].pk].theory_hours, records[finished["partial"].pk].practice_hours) == partial
    assert own.training_class == klass and own.source_ref == f"class:{klass.pk}" and own.project == klass.project
    assert own.origin == "institution" and own.kind == "national" and own.status == "submitted"
    assert own.year == klass.project.plan.year and own.ended_on == klass.end_date

    again = services.hours_submit_for_class(training_class=klass, actor=institution_staff)
    assert again.created == [] and again.skipped == 2

    services.hour_records_bulk_approve(actor=county_admin, record_ids=[r.pk for r in result.created])
    row = recognised_hours_by_teacher(own.year).get(teacher_id=teacher.pk)
    assert row["hours"] == sum(full)
    transcript = transcript_for(teacher, own.year)
    assert transcript.this_year.hours == sum(full) and transcript.records[0].training_class_id == klass.pk


def test_only_the_classs_institution_submits_its_hours(klass, finished, institution_staff, teacher):
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import InstitutionFactory, make_user

    delivery.class_finish(actor=institution_staff, klass=klass)
    delivery.completion_assess(actor=institution_staff, enrolment=finished["enrolments"][teacher.pk], score=D("90"))
    klass.refresh_from_db()
    stranger = make_user(Membership.Role.INSTITUTION_STAFF, "140200", institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        services.hours_submit_for_class(training_class=klass, actor=stranger)
    assert not HourRecord.objects.exists()


def test_plan5_it20_class_hours_count_towards_it20_progress(klass, finished, institution_staff, teacher,
                                                            county_admin):
    project = klass.project
    project.is_it20 = True
    project.save(update_fields=["is_it20"])
    delivery.class_finish(actor=institution_staff, klass=klass)
    delivery.completion_assess(actor=institution_staff, enrolment=finished["enrolments"][teacher.pk], score=D("90"))
    klass.refresh_from_db()
    record = services.hours_submit_for_class(training_class=klass, actor=institution_staff).created[0]
    assert record.is_it20
    services.hour_record_approve(actor=county_admin, record=record)
    theory, practice = hours_of(finished["sessions"])
    done = completed_teacher_ids(record.year).filter(teacher_id=teacher.pk).exists()
    assert done == (theory + practice >= 50 and practice >= 25)


def test_class_hours_page_three_personas(client, klass, finished, institution_staff, teacher, county_admin):
    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import InstitutionFactory, make_user

    delivery.class_finish(actor=institution_staff, klass=klass)
    delivery.completion_assess(actor=institution_staff, enrolment=finished["enrolments"][teacher.pk], score=D("90"))
    client.force_login(institution_staff)
    response = client.get(reverse("credits:class_list"))
    assert response.status_code == 200 and klass.name in response.text
    response = client.post(reverse("credits:class_submit", args=[klass.pk]))
    assert response.status_code == 302 and HourRecord.objects.filter(training_class=klass).count() == 1
    stranger = make_user(Membership.Role.INSTITUTION_STAFF, "140200", institution=InstitutionFactory())
    client.force_login(stranger)
    assert list(client.get(reverse("credits:class_list")).context["page"]) == []
    assert client.post(reverse("credits:class_submit", args=[klass.pk])).status_code == 404
    client.force_login(county_admin)
    assert client.get(reverse("credits:class_list")).status_code == 403


def test_class_hours_api_three_personas(klass, finished, institution_staff, teacher, county_admin):
    from rest_framework.test import APIClient

    from guopei.orgs.models import Membership
    from guopei.orgs.tests.factories import InstitutionFactory, make_user

    delivery.class_finish(actor=institution_staff, klass=klass)
    delivery.completion_assess(actor=institution_staff, enrolment=finished["enrolments"][teacher.pk], score=D("90"))
    api = APIClient()
    api.force_authenticate(institution_staff)
    listed = api.get("/api/v1/credits/classes/").json()["results"]
    assert [(c["id"], c["passed"], c["submitted"]) for c in listed] == [(klass.pk, 1, 0)]
    response = api.post(f"/api/v1/credits/classes/{klass.pk}/submit-hours/")
    assert response.status_code == 200 and response.json()["created"] == 1
    stranger = make_user(Membership.Role.INSTITUTION_STAFF, "140200", institution=InstitutionFactory())
    api.force_authenticate(stranger)
    assert api.post(f"/api/v1/credits/classes/{klass.pk}/submit-hours/").status_code == 404
    api.force_authenticate(county_admin)
    assert api.get("/api/v1/credits/classes/").status_code == 403
