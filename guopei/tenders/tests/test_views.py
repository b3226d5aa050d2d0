"""Every page with three personas: the right role (200), the same role without a link to the object (404, and
the attempt audited where it concerns a bid), a role that must not use the page (403)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guopei.core.models import AuditEvent
from guopei.tenders import services
from guopei.tenders.models import Award, Bid, CoursePlan, ExpertAssignment, Tender

from .factories import (
    AWARDING,
    OPENING,
    PDF_BYTES,
    SIGNING,
    expert,
    full_modules,
    make_tender,
    panel,
    remote_institution,
    score_all,
    staff_for,
    submit_bid,
)

pytestmark = pytest.mark.django_db


def get(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


def post(client, user, url, data=None, **kwargs):
    client.force_login(user)
    return client.post(url, data or {}, **kwargs)


@pytest.fixture
def scene(lot, province_admin, institution, staff, remote, rivals, experts):
    """A tender in its standstill: three valid bids (ours wins), a panel that has submitted, a protocol document
    of each visibility, and a draft tender nobody outside the province may see."""
    tender = make_tender(lot, province_admin)
    partners = [remote, remote_institution("奥鹏教师教育网"), remote_institution("全国中小学教师继续教育网")]
    own = submit_bid(tender, institution, staff=staff, partners=(partners[0],), price="300000")
    rival_bid = submit_bid(tender, rivals[0], partners=(partners[1],), price="320000")
    submit_bid(tender, rivals[1], partners=(partners[2],), price="350000")
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assignments = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    score_all(assignments)
    award = services.award_make(tender=tender, actor=province_admin, now=AWARDING)
    public = services.tender_document_add(tender=tender, actor=province_admin, kind="notice", title="招标公告",
                                          upload=SimpleUploadedFile("a.pdf", PDF_BYTES), filename="a.pdf")
    internal = services.tender_document_add(tender=tender, actor=province_admin, kind="evaluation",
                                            title="评标报告", upload=SimpleUploadedFile("b.pdf", PDF_BYTES),
                                            filename="b.pdf")
    draft = make_tender(lot.plan.projects.get(code="IT01"), province_admin, code="DRAFT-1",
                        county=lot.plan.projects.get(code="IT01").counties.first(), publish=False)
    return {"tender": tender, "own": own, "rival_bid": rival_bid, "award": award, "assignments": assignments,
            "public": public, "internal": internal, "draft": draft}


@pytest.fixture
def outsider_expert(db):
    return expert("孙局外", username="outsider")


# --- tenders ------------------------------------------------------------------------------------------------
def test_tender_list_three_personas(client, scene, province_admin, staff, experts, outsider_expert, county_admin,
                                    django_assert_max_num_queries):
    url = reverse("tenders:tender_list")
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and "DRAFT-1" in response.text and scene["tender"].code in response.text
    response = get(client, staff, url)
    assert response.status_code == 200 and scene["tender"].code in response.text and "DRAFT-1" not in response.text
    assert scene["tender"].code in get(client, experts[0].user, url).text
    assert scene["tender"].code not in get(client, outsider_expert.user, url).text
    assert get(client, county_admin, url).status_code == 403


def test_tender_list_query_count_does_not_grow(client, lot, province_admin, django_assert_max_num_queries):
    it20 = lot.plan.projects.get(code="IT01")
    for n, county in enumerate(it20.counties.all()):
        make_tender(it20, province_admin, code=f"IT-{n}", county=county, publish=n % 2 == 0)
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("tenders:tender_list")).status_code == 200


def test_tender_detail_three_personas(client, scene, province_admin, staff, experts, outsider_expert, county_admin):
    url = reverse("tenders:tender_detail", args=[scene["tender"].pk])
    response = get(client, province_admin, url)
    assert response.status_code == 200
    assert "300000.00" in response.text and "评标报告" in response.text and "定标公示" in response.text
    response = get(client, staff, url)
    assert response.status_code == 200
    assert "320000.00" not in response.text and "评标报告" not in response.text and "招标公告" in response.text
    assert "查看本机构的投标" in response.text
    assert get(client, experts[0].user, url).status_code == 200
    assert get(client, outsider_expert.user, url).status_code == 404
    assert get(client, staff, reverse("tenders:tender_detail", args=[scene["draft"].pk])).status_code == 404
    assert get(client, county_admin, url).status_code == 403


def test_tender_history_shows_every_state_change(client, scene, province_admin):
    response = get(client, province_admin, reverse("tenders:tender_detail", args=[scene["tender"].pk]))
    for label in ("草拟", "招标中", "资格审查", "评审", "定标公示"):
        assert label in response.text


def test_tender_create_and_edit(client, lot, province_admin, finance_officer, staff):
    url = reverse("tenders:tender_create")
    assert get(client, province_admin, url).status_code == 200
    assert get(client, finance_officer, url).status_code == 403
    assert get(client, staff, url).status_code == 403
    deadline = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    data = {"project": lot.pk, "code": "SXZB-2020-777", "title": "乡村教师培训招标", "agency": "山西省采购中心",
            "deadline": deadline, "weight_price": 30, "weight_technical": 40, "weight_team": 20, "weight_past": 10,
            "required_lead_kinds": ["university"]}
    response = post(client, province_admin, url, data)
    tender = Tender.objects.get(code="SXZB-2020-777")
    assert response.status_code == 302 and tender.required_lead_kinds == ["university"]
    edit = reverse("tenders:tender_edit", args=[tender.pk])
    assert get(client, province_admin, edit).status_code == 200
    response = post(client, province_admin, edit, {**data, "title": "改名", "weight_past": 20})
    assert "100" in response.text  # weights now sum to 110: refused with the reason
    post(client, province_admin, edit, {**data, "title": "改名"})
    tender.refresh_from_db()
    assert tender.title == "改名"
    assert get(client, staff, edit).status_code == 403


def test_tender_steps_publish_and_refusals(client, lot, province_admin, staff):
    tender = make_tender(lot, province_admin, publish=False, deadline=timezone.now() + timedelta(days=5))
    url = reverse("tenders:tender_step", args=[tender.pk, "publish"])
    assert post(client, staff, url).status_code == 403
    post(client, province_admin, url)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.TENDERING
    response = post(client, province_admin, reverse("tenders:tender_step", args=[tender.pk, "close"]), follow=True)
    assert "未到" in response.text
    assert post(client, province_admin, reverse("tenders:tender_step", args=[tender.pk, "nope"])).status_code == 404
    response = post(client, province_admin, reverse("tenders:tender_step", args=[tender.pk, "cancel"]),
                    {"reason": "force_majeure", "note": "疫情"}, follow=True)
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED and "不可抗力" in response.text


def test_protocol_documents_three_personas(client, scene, province_admin, staff, county_admin):
    public = reverse("tenders:document_download", args=[scene["public"].pk])
    internal = reverse("tenders:document_download", args=[scene["internal"].pk])
    assert get(client, province_admin, internal).status_code == 200
    response = get(client, staff, public)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert get(client, staff, internal).status_code == 404
    assert get(client, county_admin, public).status_code == 403
    upload = reverse("tenders:document_add", args=[scene["tender"].pk])
    response = post(client, province_admin, upload,
                    {"kind": "award", "title": "中标公示", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)})
    assert response.status_code == 302 and scene["tender"].documents.filter(kind="award").exists()
    assert post(client, staff, upload, {"kind": "award"}).status_code == 403


def test_expert_assignment_page_refuses_conflicts(client, lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    linked = expert("周关联", linked=(institution,))
    url = reverse("tenders:expert_assign", args=[tender.pk])
    response = post(client, province_admin, url, {"expert": linked.pk, "stage": "evaluation"}, follow=True)
    assert "利益冲突" in response.text and not ExpertAssignment.objects.exists()
    assert post(client, staff, url, {"expert": linked.pk}).status_code == 403


# --- bids (sealed) ------------------------------------------------------------------------------------------
def test_bid_form_submits_a_consortium_bid(client, lot, province_admin, institution, staff, remote, host_school):
    tender = make_tender(lot, province_admin, deadline=timezone.now() + timedelta(days=3))
    url = reverse("tenders:bid_create", args=[tender.pk])
    assert get(client, staff, url).status_code == 200
    assert get(client, province_admin, url).status_code == 403
    data = {"lead": institution.pk, "partners": [remote.pk], "price": "299000"}
    for component in lot.components.all():
        data[f"member_{component.pk}"] = remote.pk if component.kind == "workshop" else institution.pk
        if component.kind == "job_shadowing":
            data[f"school_{component.pk}"] = host_school.code
    for kind in ("price", "technical", "team"):
        data[f"doc_{kind}"] = SimpleUploadedFile(f"{kind}.pdf", PDF_BYTES, content_type="application/pdf")
    response = post(client, staff, url, data)
    bid = Bid.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tenders:bid_detail", args=[bid.pk])
    assert bid.is_valid and bid.components.get(component__kind="job_shadowing").host_school == host_school


def test_bid_form_on_a_draft_tender_is_404(client, scene, staff):
    assert get(client, staff, reverse("tenders:bid_create", args=[scene["draft"].pk])).status_code == 404


def test_my_bids_shows_only_own(client, scene, staff, rival_staff, province_admin, django_assert_max_num_queries):
    url = reverse("tenders:my_bids")
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200 and "300000.00" in response.text and "320000.00" not in response.text
    assert "320000.00" in get(client, rival_staff, url).text
    assert get(client, province_admin, url).status_code == 403


def test_bidder_opening_another_bid_by_id_gets_404_and_is_audited(client, scene, staff, rival_staff):
    url = reverse("tenders:bid_detail", args=[scene["rival_bid"].pk])
    assert get(client, staff, url).status_code == 404
    event = AuditEvent.objects.get(action="tenders.access_denied")
    assert event.object_id == str(scene["rival_bid"].pk) and event.actor == staff
    assert get(client, rival_staff, url).status_code == 200


def test_bid_detail_three_personas(client, scene, province_admin, staff, experts, outsider_expert, county_admin):
    url = reverse("tenders:bid_detail", args=[scene["own"].pk])
    response = get(client, province_admin, url)
    assert response.status_code == 200 and "300000.00" in response.text
    assert "300000.00" in get(client, staff, url).text
    response = get(client, experts[0].user, url)
    assert response.status_code == 200 and "300000.00" not in response.text and "技术方案" in response.text
    assert get(client, outsider_expert.user, url).status_code == 404
    assert get(client, county_admin, url).status_code == 403


def test_bid_documents_three_personas(client, scene, province_admin, staff, rival_staff, experts, county_admin):
    own = scene["own"]
    price = reverse("tenders:bid_document_download", args=[own.documents.get(kind="price").pk])
    technical = reverse("tenders:bid_document_download", args=[own.documents.get(kind="technical").pk])
    assert get(client, province_admin, price).status_code == 200
    assert get(client, staff, price).status_code == 200
    assert get(client, rival_staff, technical).status_code == 404
    assert get(client, experts[0].user, technical).status_code == 200
    assert get(client, experts[0].user, price).status_code == 404
    assert get(client, county_admin, technical).status_code == 403


def test_bid_disqualify_by_province_only(client, scene, province_admin, staff):
    url = reverse("tenders:bid_disqualify", args=[scene["rival_bid"].pk])
    assert post(client, staff, url, {"reason": "x"}).status_code == 403
    post(client, province_admin, url, {"reason": "业绩材料不实"})
    scene["rival_bid"].refresh_from_db()
    assert scene["rival_bid"].disqualified_reason == "业绩材料不实"


# --- experts ------------------------------------------------------------------------------------------------
def test_assignment_pages_three_personas(client, scene, experts, outsider_expert, province_admin,
                                         django_assert_max_num_queries):
    seat = scene["assignments"][0]
    client.force_login(experts[0].user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("tenders:assignment_list"))
    assert response.status_code == 200 and scene["tender"].code in response.text
    url = reverse("tenders:assignment_detail", args=[seat.pk])
    assert get(client, experts[0].user, url).status_code == 200
    assert get(client, outsider_expert.user, url).status_code == 404
    assert get(client, province_admin, url).status_code == 403


def test_expert_declares_scores_and_submits_through_the_page(client, lot, province_admin, institution, staff,
                                                             remote, experts):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    bid = submit_bid(tender, institution, staff=staff, partners=(remote,))
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    seats = panel(tender, province_admin, experts)
    services.tender_start_evaluation(tender=tender, actor=province_admin)
    url = reverse("tenders:assignment_detail", args=[seats[0].pk])
    user = experts[0].user
    post(client, user, url, {"action": "declare", "no_conflict": "yes"})
    response = get(client, user, url)
    assert f"technical_{bid.pk}" in response.text
    response = post(client, user, url, {"action": "submit", f"technical_{bid.pk}": "88", f"team_{bid.pk}": "90"},
                    follow=True)
    assert "评分已提交" in response.text
    seats[0].refresh_from_db()
    assert seats[0].submitted_at is not None
    # The province still sees no scores: two experts have not submitted.
    detail = get(client, province_admin, reverse("tenders:bid_detail", args=[bid.pk]))
    assert "88.00" not in detail.text


# --- awards, contracts, continuations and selections --------------------------------------------------------
def test_award_list_three_personas(client, scene, province_admin, staff, rival_staff, experts,
                                   django_assert_max_num_queries):
    url = reverse("tenders:award_list")
    client.force_login(province_admin)
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200 and "太原师范学院" in response.text  # the continuation waiting
    assert scene["award"].institution.name in get(client, staff, url).text
    assert "award-table" in get(client, rival_staff, url).text
    assert scene["award"].institution.name not in get(client, rival_staff, url).text.split("award-table")[1]
    assert get(client, experts[0].user, url).status_code == 403


def test_award_detail_three_personas(client, scene, province_admin, staff, rival_staff, experts):
    url = reverse("tenders:award_detail", args=[scene["award"].pk])
    assert get(client, province_admin, url).status_code == 200
    assert get(client, staff, url).status_code == 200
    assert get(client, rival_staff, url).status_code == 404
    assert get(client, experts[0].user, url).status_code == 403


def test_award_fallback_and_contract_through_the_pages(client, scene, province_admin, finance_officer, staff,
                                                       rivals):
    award = scene["award"]
    assert post(client, staff, reverse("tenders:award_end", args=[award.pk]), {}).status_code == 403
    response = post(client, province_admin, reverse("tenders:award_end", args=[award.pk]),
                    {"status": "declined", "reason": "团队变动"})
    successor = Award.objects.get(fallback_from=award)
    assert response["Location"] == reverse("tenders:award_detail", args=[successor.pk])
    assert successor.institution == rivals[0]
    Award.objects.filter(pk=successor.pk).update(standstill_until=timezone.now() - timedelta(minutes=1))
    assert post(client, staff, reverse("tenders:contract_sign", args=[successor.pk])).status_code == 403
    response = post(client, finance_officer, reverse("tenders:contract_sign", args=[successor.pk]), follow=True)
    assert "已签订合同" in response.text
    successor.refresh_from_db()
    assert successor.status == Award.Status.CONTRACTED
    assert "HT-2020" in get(client, province_admin, reverse("tenders:award_detail", args=[successor.pk])).text


def test_contract_refused_over_budget_shows_the_funds_message(client, lot, province_admin, institution, staff,
                                                             remote, experts):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,), price="500000")
    from .factories import run_to_award

    award = run_to_award(tender, province_admin, experts)
    Award.objects.filter(pk=award.pk).update(standstill_until=timezone.now() - timedelta(minutes=1))
    response = post(client, province_admin, reverse("tenders:contract_sign", args=[award.pk]), follow=True)
    assert "超出" in response.text and "财政厅经办人" in response.text
    award.refresh_from_db()
    assert award.status == Award.Status.STANDSTILL


def test_continuation_award_page(client, continuing, province_admin, staff):
    url = reverse("tenders:continuation_award", args=[continuing.pk])
    assert post(client, staff, url, {"amount": "1000"}).status_code == 403
    response = post(client, province_admin, url, {"amount": "380000"})
    award = Award.objects.get(project=continuing)
    assert response["Location"] == reverse("tenders:award_detail", args=[award.pk])
    assert award.kind == Award.Kind.CONTINUATION
    assert post(client, province_admin, url, {"amount": "1000"}).status_code == 404  # no longer waiting


def test_expert_selection_through_the_pages(client, lot, province_admin, institution, staff, remote, rivals,
                                            experts):
    tender = make_tender(lot, province_admin)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    assert post(client, staff, reverse("tenders:tender_step", args=[tender.pk, "start_selection"])).status_code == 403
    post(client, province_admin, reverse("tenders:tender_step", args=[tender.pk, "start_selection"]))
    for candidate in (rivals[0], rivals[1]):
        post(client, province_admin, reverse("tenders:selection_step", args=[tender.pk, "candidate"]),
             {"institution": candidate.pk, "note": "资质齐全"})
    for e in experts:
        post(client, province_admin, reverse("tenders:expert_assign", args=[tender.pk]),
             {"stage": "selection", "sel-expert": e.pk})
    post(client, province_admin, reverse("tenders:selection_step", args=[tender.pk, "scoring"]))
    seats = list(ExpertAssignment.objects.filter(tender=tender, stage="selection"))
    assert len(seats) == 3
    candidates = list(tender.selection.candidates.all())
    for seat in seats:
        url = reverse("tenders:assignment_detail", args=[seat.pk])
        post(client, seat.expert.user, url, {"action": "declare", "no_conflict": "yes"})
        post(client, seat.expert.user, url, {"action": "submit", f"score_{candidates[0].pk}": "70",
                                             f"score_{candidates[1].pk}": "90"})
    response = post(client, province_admin, reverse("tenders:selection_step", args=[tender.pk, "confirm"]),
                    {"amount": "310000"})
    award = Award.objects.get(kind=Award.Kind.EXPERT_SELECTED)
    assert response["Location"] == reverse("tenders:award_detail", args=[award.pk])
    assert award.institution == rivals[1]


# --- course plans -------------------------------------------------------------------------------------------
@pytest.fixture
def plan_scene(continuing, province_admin):
    award = services.award_continuation(project=continuing, actor=province_admin, amount="380000", now=SIGNING)
    owner = staff_for(award.institution, username="plan_owner")
    return award.course_plan, owner


def _formset_data(modules):
    data = {"m-TOTAL_FORMS": str(len(modules)), "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "0",
            "m-MAX_NUM_FORMS": "200", "title": "乡村教师专业能力提升课程方案"}
    for n, m in enumerate(modules):
        data.update({f"m-{n}-title": m.title, f"m-{n}-component": m.component,
                     f"m-{n}-theory_hours": str(m.theory_hours), f"m-{n}-practice_hours": str(m.practice_hours),
                     f"m-{n}-methods": list(m.methods), f"m-{n}-topics": list(m.topics),
                     f"m-{n}-expected_outputs": m.expected_outputs})
    return data


def test_course_plan_pages_three_personas(client, plan_scene, province_admin, staff, county_admin,
                                          django_assert_max_num_queries):
    plan, owner = plan_scene
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("tenders:course_plan_list")).status_code == 200
    assert plan.title in get(client, owner, reverse("tenders:course_plan_list")).text
    assert plan.title not in get(client, staff, reverse("tenders:course_plan_list")).text
    detail = reverse("tenders:course_plan_detail", args=[plan.pk])
    assert get(client, province_admin, detail).status_code == 200
    assert get(client, owner, detail).status_code == 200
    assert get(client, staff, detail).status_code == 404
    assert get(client, county_admin, detail).status_code == 403
    edit = reverse("tenders:course_plan_edit", args=[plan.pk])
    assert get(client, owner, edit).status_code == 200
    assert get(client, staff, edit).status_code == 404
    assert get(client, province_admin, edit).status_code == 403


def test_live_checker_fragment_lists_what_is_missing(client, plan_scene, staff):
    plan, owner = plan_scene
    url = reverse("tenders:course_plan_check", args=[plan.pk])
    modules = full_modules(plan.project)
    response = post(client, owner, url, _formset_data(modules), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "checker-ok" in response.text
    broken = [m.__class__(**{**m.as_dict(), "methods": tuple(m.methods), "topics": ()}) for m in modules]
    response = post(client, owner, url, _formset_data(broken))
    assert "缺少必修内容（COURSE-3）：师德师风。" in response.text
    assert "缺少疫情相关专题（COURSE-4）：信息安全。" in response.text
    assert "缺少重点内容（COURSE-1）：家庭教育指导。" in response.text
    assert post(client, staff, url, _formset_data(modules)).status_code == 404


def test_course_plan_edit_submit_review_and_diff(client, plan_scene, province_admin):
    plan, owner = plan_scene
    edit = reverse("tenders:course_plan_edit", args=[plan.pk])
    modules = full_modules(plan.project)
    incomplete = [m.__class__(**{**m.as_dict(), "methods": tuple(m.methods), "topics": ()}) for m in modules]
    response = post(client, owner, edit, {**_formset_data(incomplete), "action": "submit"}, follow=True)
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.DRAFT and "不能提交" in response.text
    response = post(client, owner, edit, {**_formset_data(modules), "action": "submit"})
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.SUBMITTED and plan.version == 1
    review = reverse("tenders:course_plan_review", args=[plan.pk])
    assert post(client, owner, review, {"decision": "approve"}).status_code == 403
    post(client, province_admin, review, {"decision": "return", "comment": "请细化预期成果"})
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.RETURNED
    renamed = [m.__class__(**{**m.as_dict(), "methods": tuple(m.methods), "topics": tuple(m.topics),
                              "title": "新的模块名称" if n == 0 else m.title}) for n, m in enumerate(modules)]
    post(client, owner, edit, {**_formset_data(renamed), "action": "submit"})
    post(client, province_admin, review, {"decision": "approve", "comment": ""})
    plan.refresh_from_db()
    assert plan.status == CoursePlan.Status.APPROVED
    diff = get(client, province_admin, reverse("tenders:course_plan_diff", args=[plan.pk]))
    assert diff.status_code == 200 and "新的模块名称" in diff.text
    assert get(client, owner, reverse("tenders:course_plan_diff", args=[plan.pk])).status_code == 200


# --- navigation and home ------------------------------------------------------------------------------------
def test_home_panels_show_real_counts(client, scene, province_admin, staff, experts):
    response = get(client, province_admin, reverse("home"))
    assert "招标与定标" in response.text and "课程方案" in response.text
    response = get(client, staff, reverse("home"))
    assert "招标与课程方案" in response.text
    response = get(client, experts[0].user, reverse("home"))
    assert "评审任务" in response.text
