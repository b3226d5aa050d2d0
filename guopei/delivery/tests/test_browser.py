"""A teacher self-selects a class on a phone and checks in by the room's QR code (MGMT-3, TRAINEE-1), driven in a
real browser. The credits app continues this journey to the transcript."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guopei.conftest import browser_login
from guopei.delivery.models import Attendance, Seat

from .factories import make_class, open_offering, today_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mgmt3_teacher_self_selects_on_a_phone_and_checks_in_by_qr(page, phone_page, live_server, project, staff,
                                                                    teacher, teacher_user):
    klass = make_class(project, staff, name="乡村教师能力提升培训（手机选学班）")
    session = today_session(klass, minutes_from_now=-5)
    offering = open_offering(klass, staff, capacity=3, region="140105", title="手机选学：乡村课堂教学")

    # The teacher finds the offering from the (collapsed) navigation on the phone and takes a seat.
    browser_login(phone_page, live_server, teacher_user.username)
    phone_page.goto(live_server.url + reverse("home"))
    phone_page.click("button.navbar-toggler")
    phone_page.click("nav >> text=选学")
    phone_page.wait_for_load_state("networkidle")
    card = phone_page.locator(f'[data-testid="offering-{offering.pk}"]')
    assert "手机选学：乡村课堂教学" in card.inner_text()
    assert card.locator('[data-testid="seats-left"]').inner_text() == "3"
    card.get_by_role("button", name="选这个").click()
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.get_by_text("已选上“手机选学：乡村课堂教学”").is_visible()
    card = phone_page.locator(f'[data-testid="offering-{offering.pk}"]')
    assert card.locator('[data-testid="seat-status"]').inner_text() == "已选上"
    assert card.locator('[data-testid="seats-left"]').inner_text() == "2"
    assert Seat.objects.get(offering=offering).status == "held"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

    # The head teacher shows the session's QR code in the room.
    browser_login(page, live_server, staff.username)
    page.goto(live_server.url + reverse("delivery:session_qr", args=[session.pk]))
    assert page.locator('[data-testid="qr"] svg').count() == 1
    assert page.locator('[data-testid="checked-in"]').inner_text() == "0"
    scanned = page.locator('[data-testid="checkin-link"]').get_attribute("href")

    # The phone opens what the code says and confirms; a second scan counts once.
    phone_page.goto(scanned)
    phone_page.get_by_role("button", name="确认签到").click()
    phone_page.wait_for_load_state("networkidle")
    assert "签到成功：出勤" in phone_page.locator('[data-testid="checkin-result"]').inner_text()
    phone_page.goto(scanned)
    phone_page.get_by_role("button", name="确认签到").click()
    phone_page.wait_for_load_state("networkidle")
    assert "签到成功" in phone_page.locator('[data-testid="checkin-result"]').inner_text()
    assert Attendance.objects.filter(session=session).count() == 1

    # A forged code is refused.
    phone_page.goto(live_server.url + reverse("delivery:checkin", args=[session.pk]) + "?s=1&t=forged")
    assert "无效或已过期" in phone_page.locator('[data-testid="checkin-error"]').inner_text()

    # The register on the head teacher's screen shows the check-in.
    page.goto(live_server.url + reverse("delivery:session_register", args=[session.pk]))
    enrolment = klass.enrolments.get(teacher=teacher)
    assert page.locator(f'[data-testid="att-{enrolment.pk}"]').inner_text() == "出勤"
    # And the teacher's own page lists the class.
    phone_page.goto(live_server.url + reverse("delivery:my_training"))
    assert "手机选学班" in phone_page.locator('[data-testid="my-enrolment"]').first.inner_text()
