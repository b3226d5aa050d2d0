"""Browser journey: an institution submits a consortium bid; after the award it drafts the course plan with the
live checker and submits it; the province approves it.

One test on purpose: it walks the whole journey through one live server.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guopei.conftest import browser_login
from guopei.tenders import services
from guopei.tenders.models import Bid, CoursePlan, TopicTag

from .factories import PDF_BYTES, make_tender, panel, score_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_institution_bids_as_consortium_and_province_approves_its_course_plan(
        page, live_server, tmp_path, lot, province_admin, institution, staff, remote, host_school, experts):
    deadline = timezone.now() + timedelta(days=5)
    tender = make_tender(lot, province_admin, deadline=deadline, min_valid_bids=1)
    components = {c.kind: c for c in lot.components.all()}
    files = {}
    for kind in ("price", "technical", "team"):
        files[kind] = tmp_path / f"{kind}.pdf"
        files[kind].write_bytes(PDF_BYTES)

    # The institution bids with a remote-listed partner for the workshop (TENDER-3, TENDER-4).
    browser_login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/tenders/{tender.pk}/")
    page.get_by_role("link", name="投标", exact=True).click()
    page.select_option("#id_partners", [str(remote.pk)])
    page.select_option(f"#id_member_{components['face_to_face'].pk}", str(institution.pk))
    page.select_option(f"#id_member_{components['job_shadowing'].pk}", str(institution.pk))
    page.fill(f"#id_school_{components['job_shadowing'].pk}", host_school.code)
    page.select_option(f"#id_member_{components['workshop'].pk}", str(remote.pk))
    page.fill("#id_price", "298000")
    for kind, path in files.items():
        page.set_input_files(f"#id_doc_{kind}", str(path))
    page.get_by_role("button", name="提交投标").click()
    assert "有效投标" in page.get_by_test_id("bid-validity").inner_text()
    bid = Bid.objects.get()
    assert bid.members.count() == 2 and bid.components.get(component__kind="workshop").institution == remote

    # The province runs the tender to its contract (services stand in for the province's clicks here).
    services.tender_close(tender=tender, actor=province_admin, now=deadline + timedelta(hours=1))
    seats = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin, now=deadline + timedelta(hours=2))
    score_all(seats)
    award = services.award_make(tender=tender, actor=province_admin, now=deadline + timedelta(days=1))
    services.contract_sign(award=award, actor=province_admin, now=deadline + timedelta(days=5))
    plan = CoursePlan.objects.get(award=award)

    # The institution drafts the plan; the checker lists what is missing, live, until nothing is.
    page.goto(f"{live_server.url}/tenders/course-plans/{plan.pk}/edit/")
    assert "缺少必修内容" in page.get_by_test_id("checker").inner_text()
    page.fill("#id_m-0-title", "师德师风与学科育德专题研修")
    page.select_option("#id_m-0-component", "face_to_face")
    page.fill("#id_m-0-theory_hours", "30")
    page.fill("#id_m-0-practice_hours", "10")
    page.check("#id_m-0-methods_0")
    page.check("#id_m-0-methods_6")
    for index in range(TopicTag.objects.count()):
        page.check(f"#id_m-0-topics_{index}")
    page.fill("#id_m-0-expected_outputs", "学科育德教学设计一份")
    rows = (("跟岗研修", "job_shadowing", "0", "20", 4, "跟岗日志"),
            ("网络工作坊研修", "workshop", "10", "10", 2, "磨课记录"))
    for n, (title, kind, theory, practice, method, outputs) in enumerate(rows, start=1):
        page.get_by_role("button", name="添加模块").click()
        page.fill(f"#id_m-{n}-title", title)
        page.select_option(f"#id_m-{n}-component", kind)
        page.fill(f"#id_m-{n}-theory_hours", theory)
        page.fill(f"#id_m-{n}-practice_hours", practice)
        page.check(f"#id_m-{n}-methods_{method}")
        page.fill(f"#id_m-{n}-expected_outputs", outputs)
    page.get_by_test_id("checker-ok").wait_for()
    page.get_by_test_id("submit-plan").click()
    assert page.get_by_test_id("plan-status").inner_text() == "待审核"
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.SUBMITTED and plan.modules.count() == 3

    # The province approves it.
    page.context.clear_cookies()
    browser_login(page, live_server, province_admin.username)
    page.goto(f"{live_server.url}/tenders/course-plans/{plan.pk}/")
    page.get_by_label("通过").check()
    page.get_by_role("button", name="提交审核结果").click()
    assert page.get_by_test_id("plan-status").inner_text() == "已通过"
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.APPROVED
