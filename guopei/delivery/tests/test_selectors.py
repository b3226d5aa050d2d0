"""What other apps read from delivery (hours from attendance, passed enrolments), home panels and list costs."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from guopei.delivery import services
from guopei.delivery.selectors import attended_hours, completed_enrolments

from .factories import attend_all, enrol, make_class, open_offering, trainee

pytestmark = pytest.mark.django_db


def test_mgmt3_attended_hours_count_present_and_late_only(klass, staff, teacher, school):
    enrolment = enrol(klass, teacher)
    other = enrol(klass, trainee(school))
    sessions = list(klass.sessions.order_by("order"))
    services.attendance_mark(actor=staff, session=sessions[0], marks={enrolment.pk: "present", other.pk: "absent"})
    services.attendance_mark(actor=staff, session=sessions[1], marks={enrolment.pk: "late", other.pk: "excused"})
    services.attendance_mark(actor=staff, session=sessions[12], marks={enrolment.pk: "present"})  # a practice one
    rows = list(attended_hours())
    assert rows == [{"teacher_id": teacher.pk, "class_id": klass.pk, "year": 2020, "theory_hours": 8,
                     "practice_hours": 4}]
    assert list(attended_hours(teacher_ids=[other.teacher_id])) == []
    assert list(attended_hours(year=2021)) == []


def test_completed_enrolments_are_the_passed_ones(klass, staff, teacher, school):
    passed = enrol(klass, teacher)
    failed = enrol(klass, trainee(school))
    attend_all(klass, staff, [passed, failed])
    services.class_finish(actor=staff, klass=klass)
    services.completion_assess(actor=staff, enrolment=passed, score=Decimal("80"))
    services.completion_assess(actor=staff, enrolment=failed, score=Decimal("40"))
    assert list(completed_enrolments()) == [passed]
    assert list(completed_enrolments(year=2020, teacher_ids=[teacher.pk])) == [passed]
    assert not completed_enrolments(year=2019).exists()


def test_home_panels_for_each_role(client, klass, staff, teacher, teacher_user, school_admin, county_admin):
    enrol(klass, teacher)
    open_offering(make_class(klass.project, staff, sessions=False, name="首页选学班"), staff)
    client.force_login(teacher_user)
    body = client.get(reverse("home")).content.decode()
    assert "我的培训" in body and "可选培训" in body
    client.force_login(staff)
    assert "培训实施" in client.get(reverse("home")).content.decode()
    client.force_login(county_admin)
    assert "特殊情况审批" in client.get(reverse("home")).content.decode()
    client.force_login(school_admin)
    assert "本校教师参训" in client.get(reverse("home")).content.decode()


def test_list_pages_keep_a_bounded_number_of_queries(client, klass, staff, school, county_admin, school_admin,
                                                     django_assert_max_num_queries):
    for _ in range(12):
        enrol(klass, trainee(school))
    urls = [(school_admin, reverse("delivery:participation")), (county_admin, reverse("delivery:circumstance_list")),
            (county_admin, reverse("delivery:incident_list")), (county_admin, reverse("delivery:notice_list")),
            (county_admin, reverse("delivery:progress")), (staff, reverse("delivery:class_detail", args=[klass.pk]))]
    for user, url in urls:
        client.force_login(user)
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200, url


def test_reminder_command_reminds_once(klass, teacher):
    out = io.StringIO()
    call_command("delivery_reminders", stdout=out)
    assert "已提醒" in out.getvalue()
