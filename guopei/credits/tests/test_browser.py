"""A teacher's recognised hours reach their transcript on a phone (MGMT-3), driven in a real browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from guopei.conftest import browser_login
from guopei.credits.models import HourRecord

from .factories import HourRecordFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mgmt3_teacher_sees_hours_the_county_recognised_in_the_transcript_on_a_phone(
        page, phone_page, live_server, county_admin, teacher_user, teacher):
    record = HourRecordFactory(teacher=teacher, year=2020, title="乡村小学语文骨干教师教学能力提升培训",
                               theory_hours=Decimal("60"), practice_hours=Decimal("20"))

    # Before the audit: the hours are pending, not in the transcript.
    browser_login(phone_page, live_server, teacher_user.username)
    phone_page.goto(f"{live_server.url}{reverse('credits:my_transcript')}?year=2020")
    assert phone_page.locator('[data-testid="year-hours"]').inner_text() == "0 学时"
    before = phone_page.locator('[data-testid="recognised-records"]').inner_text()
    assert "乡村小学语文骨干教师教学能力提升培训" not in before

    # The county administrator selects the page's records in the queue and approves them in bulk.
    browser_login(page, live_server, county_admin.username)
    page.goto(live_server.url + reverse("credits:audit_queue"))
    assert page.locator('[data-testid="queue-count"]').inner_text() == "1"
    page.check("#select-all")
    assert page.locator("#selected-count").inner_text() == "1"
    page.click("text=批量审核通过")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已批量认定1条学时记录").is_visible()
    record.refresh_from_db()
    assert record.status == HourRecord.Status.RECOGNISED

    # The teacher opens the transcript from the (collapsed) navigation on the phone.
    phone_page.goto(live_server.url + reverse("home"))
    phone_page.click("button.navbar-toggler")
    phone_page.click("text=我的学分")
    phone_page.wait_for_load_state("networkidle")
    if "year=2020" not in phone_page.url:
        phone_page.select_option("#year-picker", "2020")
        phone_page.click("text=查看")
        phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator('[data-testid="year-hours"]').inner_text() == "80 学时"
    recognised = phone_page.locator('[data-testid="recognised-records"]')
    assert "乡村小学语文骨干教师教学能力提升培训" in recognised.inner_text()
    assert recognised.is_visible()
    # The page fits the phone: nothing but the tables' own scrolling goes sideways.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
