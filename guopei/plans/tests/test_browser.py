"""Browser journey: the province publishes a plan with both sign-offs, and a county administrator sees its share.

One test on purpose: it walks the whole journey, and one live-server test per module keeps the database
restore between transactional tests out of the picture.
"""

from __future__ import annotations

import pytest

from guopei.conftest import browser_login
from guopei.plans.models import AnnualPlan

from .factories import make_plan, make_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def logout(page):
    page.context.clear_cookies()


def test_province_publishes_plan_and_county_sees_its_allocation(page, live_server, province_admin,
                                                                finance_officer, city_admin, county_admin):
    plan = make_plan(province_admin, title="2020年国培计划项目规划")
    project = make_project(plan, province_admin, "GP-01", name="乡村小学语文教师培训")
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    plan_url = f"{live_server.url}/plans/{plan.pk}/"

    # Education department: submit, then sign off.
    browser_login(page, live_server, province_admin.username)
    page.goto(plan_url)
    page.get_by_test_id("plan-submit").click()
    page.get_by_test_id("plan-sign-education").click()
    assert page.get_by_test_id("plan-status").inner_text() == "财政厅会签"
    # Publishing before the finance countersignature is refused with the reason.
    page.get_by_test_id("plan-publish").click()
    assert "发布前须完成教育厅审核和财政厅会签" in page.content()

    # Finance department countersigns.
    logout(page)
    browser_login(page, live_server, finance_officer.username)
    page.goto(plan_url)
    page.get_by_test_id("plan-sign-finance").click()
    assert "财政厅已会签" in page.content()

    # Education department publishes and gives 太原市 40 of the 100 places.
    logout(page)
    browser_login(page, live_server, province_admin.username)
    page.goto(plan_url)
    page.get_by_test_id("plan-publish").click()
    assert page.get_by_test_id("plan-status").inner_text() == "已发布"
    plan.refresh_from_db()
    assert plan.status == AnnualPlan.Status.PUBLISHED
    page.goto(f"{live_server.url}/plans/projects/{project.pk}/")
    page.select_option("#id_region", "140100")
    page.fill("#id_quota", "40")
    page.get_by_role("button", name="保存").click()
    assert "尚未分配 60 人" in page.get_by_test_id("project-quota").inner_text()
    # The province's dashboard draws its four charts from the database.
    page.goto(f"{live_server.url}/plans/dashboard/")
    assert page.get_by_test_id("dash-unallocated").inner_text() == "60"
    for chart in ("chart-family", "chart-category", "chart-city", "chart-funds"):
        page.wait_for_selector(f"[data-chart='{chart}'] canvas")

    # 太原市 gives 小店区 25.
    logout(page)
    browser_login(page, live_server, city_admin.username)
    page.goto(f"{live_server.url}/plans/projects/{project.pk}/")
    page.select_option("#id_region", "140105")
    page.fill("#id_quota", "25")
    page.get_by_role("button", name="保存").click()
    assert page.get_by_test_id("allocation-140105").inner_text() == "25"

    # 小店区 sees its share on its dashboard, drawn by ECharts.
    logout(page)
    browser_login(page, live_server, county_admin.username)
    page.goto(f"{live_server.url}/plans/dashboard/")
    assert page.get_by_test_id("dash-own-total").inner_text() == "25"
    page.wait_for_selector("[data-chart='chart-own'] canvas")
    page.goto(f"{live_server.url}/plans/projects/{project.pk}/")
    assert page.get_by_test_id("allocation-140105").inner_text() == "25"
    assert page.evaluate("window.__cspViolations") == []

