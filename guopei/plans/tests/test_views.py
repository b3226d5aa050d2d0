"""Every page with three personas: the right role in its region, the same role elsewhere, a role that must not."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from guopei.core.models import Job
from guopei.plans import services
from guopei.plans.models import AnnualPlan, Category, Commitment, Payment, PlanDocument, ProjectCounty
from guopei.plans.project_table import HEADERS
from guopei.plans.selectors import allocation_for

from .factories import make_plan, make_project
from .test_import import good_rows, xlsx


@pytest.fixture
def world(published_plan, project, province_admin, finance_officer, city_admin, taiyuan, xiaodian, yingze):
    """A published plan whose project gives 太原 40 and 小店区 25."""
    services.allocation_set(project=project, region=taiyuan, quota=40, actor=province_admin)
    services.allocation_set(project=project, region=xiaodian, quota=25, actor=city_admin)
    services.project_county_set(actor=province_admin, year=2020, county=xiaodian, is_programme=True,
                                is_it20=False)
    services.project_county_set(actor=province_admin, year=2020, county=yingze, is_programme=False, is_it20=True)
    services.commitment_record(project=project, amount=Decimal("200000"), payee="山西师范大学", reference="合同1",
                               actor=province_admin)
    payment = services.payment_record(project=project, paid_on=date(2020, 9, 1), amount=Decimal("80000"),
                                      payee="山西师范大学", voucher_number="记-001", actor=finance_officer,
                                      attachment=SimpleUploadedFile("voucher.pdf", b"%PDF-1.4 voucher"))
    return {"plan": published_plan, "project": project, "payment": payment}


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- plan list and detail -----------------------------------------------------------------------------------
def test_plan_list_personas(client, world, province_admin, county_admin, teacher_user,
                            django_assert_max_num_queries):
    url = reverse("plans:plan_list")
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and world["plan"].title in response.content.decode()
    assert get(client, county_admin, url).status_code == 200
    assert get(client, teacher_user, url).status_code == 403


def test_plan_list_hides_drafts_from_cities_and_counties(client, province_admin, city_admin):
    plan = make_plan(province_admin, year=2021, title="2021年规划草案")
    assert "2021年规划草案" in get(client, province_admin, reverse("plans:plan_list")).content.decode()
    assert "2021年规划草案" not in get(client, city_admin, reverse("plans:plan_list")).content.decode()
    assert get(client, city_admin, reverse("plans:plan_detail", args=[plan.pk])).status_code == 404


def test_plan_detail_personas(client, world, province_admin, county_admin, other_county_admin, teacher_user,
                              django_assert_max_num_queries):
    url = reverse("plans:plan_detail", args=[world["plan"].pk])
    client.force_login(province_admin)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200 and "P01" in response.content.decode()
    own = get(client, county_admin, url)
    assert own.status_code == 200 and "P01" in own.content.decode()
    # Another county sees the published plan but none of the projects it has no share in.
    other = get(client, other_county_admin, url)
    assert other.status_code == 200 and "P01" not in other.content.decode()
    assert get(client, teacher_user, url).status_code == 403


def test_plan_detail_query_count_does_not_grow_with_projects(client, province_admin,
                                                             django_assert_max_num_queries):
    plan = make_plan(province_admin)
    for i in range(30):
        make_project(plan, province_admin, f"P{i:02d}")
    client.force_login(province_admin)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("plans:plan_detail", args=[plan.pk])).status_code == 200


# --- the workflow through the pages (PLAN-1) -----------------------------------------------------------------
def test_plan1_workflow_pages(client, draft_plan, province_admin, finance_officer, city_admin):
    def step(user, name, **data):
        client.force_login(user)
        return client.post(reverse("plans:plan_workflow", args=[draft_plan.pk, name]), data, follow=True)

    assert step(city_admin, "submit").status_code == 403
    response = step(province_admin, "publish")
    assert services.ERR_PUBLISH_SIGNOFFS in response.content.decode()
    step(province_admin, "submit")
    step(province_admin, "sign_education")
    response = step(finance_officer, "sign_finance")
    assert "财政厅已会签" in response.content.decode()
    step(province_admin, "publish")
    draft_plan.refresh_from_db()
    assert draft_plan.status == AnnualPlan.Status.PUBLISHED
    response = step(province_admin, "revise", reason="")
    assert services.ERR_REVISE_REASON in response.content.decode()
    step(province_admin, "revise", reason="调整")
    draft_plan.refresh_from_db()
    assert draft_plan.revision == 2
    client.force_login(province_admin)
    assert client.post(reverse("plans:plan_workflow", args=[draft_plan.pk, "nonsense"])).status_code == 404


def test_plan_edit_and_create_pages(client, draft_plan, province_admin, finance_officer):
    client.force_login(province_admin)
    assert client.get(reverse("plans:plan_create")).status_code == 200
    response = client.post(reverse("plans:plan_create"), {"year": 2021, "title": "2021年规划", "doc_number": ""})
    assert response.status_code == 302
    url = reverse("plans:plan_edit", args=[draft_plan.pk])
    assert client.post(url, {"title": "新名称", "doc_number": "晋教师〔2020〕9号"}).status_code == 302
    draft_plan.refresh_from_db()
    assert draft_plan.title == "新名称"
    assert get(client, finance_officer, url).status_code == 403


def test_published_plan_edit_refused_with_reason(client, published_plan, province_admin):
    client.force_login(province_admin)
    response = client.post(reverse("plans:plan_edit", args=[published_plan.pk]), {"title": "改"}, follow=True)
    assert services.ERR_NOT_EDITABLE in response.content.decode()
    published_plan.refresh_from_db()
    assert published_plan.title != "改"
    project = published_plan.projects.get()
    for url in (reverse("plans:project_create", args=[published_plan.pk]),
                reverse("plans:project_edit", args=[project.pk]),
                reverse("plans:plan_import", args=[published_plan.pk])):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("plans:plan_detail", args=[published_plan.pk])
        assert services.ERR_NOT_EDITABLE in response.content.decode()


def test_plan_history_page(client, world, province_admin, finance_officer, county_admin, teacher_user):
    plan = world["plan"]
    services.plan_revise(plan=plan, actor=province_admin, reason="调整培训人数")
    from .factories import project_input, publish

    services.project_update(project=world["project"], actor=province_admin, data=project_input("P01", quota=150))
    url = reverse("plans:plan_history", args=[plan.pk])
    pending = get(client, province_admin, url).content.decode()
    assert "调整培训人数" in pending and "150" in pending
    publish(plan, province_admin, finance_officer)
    page = get(client, county_admin, url).content.decode()
    assert "第2版" in page and "培训人数" in page and "150" in page
    assert get(client, teacher_user, url).status_code == 403


def test_documents_upload_and_access_checked_download(client, draft_plan, province_admin, finance_officer,
                                                      city_admin, teacher_user):
    client.force_login(province_admin)
    client.post(reverse("plans:document_add", args=[draft_plan.pk]),
                {"title": "关于做好2020年国培计划的通知", "file": SimpleUploadedFile("notice.pdf", b"%PDF-1.4 x")})
    document = PlanDocument.objects.get()
    url = reverse("plans:document_download", args=[document.pk])
    response = get(client, finance_officer, url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert get(client, city_admin, url).status_code == 404  # draft plan: not visible to cities
    assert get(client, teacher_user, url).status_code == 403


# --- projects -----------------------------------------------------------------------------------------------
def test_project_detail_personas(client, world, province_admin, county_admin, other_county_admin, city_admin,
                                 other_city_admin, teacher_user):
    url = reverse("plans:project_detail", args=[world["project"].pk])
    page = get(client, province_admin, url).content.decode()
    assert "尚未分配 60 人" in page
    own = get(client, county_admin, url)
    assert own.status_code == 200 and 'data-testid="allocation-140105">25<' in own.content.decode()
    assert get(client, city_admin, url).status_code == 200
    assert get(client, other_county_admin, url).status_code == 404
    assert get(client, other_city_admin, url).status_code == 404
    assert get(client, teacher_user, url).status_code == 403


def test_project_create_edit_delete_pages(client, draft_plan, province_admin, finance_officer):
    client.force_login(province_admin)
    url = reverse("plans:project_create", args=[draft_plan.pk])
    assert client.get(url).status_code == 200
    category = Category.objects.get(name="幼儿园园长法治与安全教育培训")
    data = {"code": "P09", "name": "幼儿园园长法治与安全教育培训", "category": category.pk,
            "training_form": "blended", "days": 5, "hours": 40, "quota": 80, "cost_standard": "450",
            "target_segments": ["kindergarten"], "target_posts": ["director", "deputy_director"],
            "component_face_to_face": 30, "component_online": 10, "preschool_major": "",
            "counties": ["140105", "140213"]}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    project = draft_plan.projects.get(code="P09")
    assert project.budget == Decimal("180000.00") and project.target_posts == ["director", "deputy_director"]
    data["component_online"] = 20
    response = client.post(reverse("plans:project_edit", args=[project.pk]), data)
    assert "各环节学时合计（50）须等于项目总学时（40）" in response.content.decode()
    assert get(client, finance_officer, reverse("plans:project_edit", args=[project.pk])).status_code == 403
    client.force_login(province_admin)
    client.post(reverse("plans:project_delete", args=[project.pk]))
    assert not draft_plan.projects.filter(code="P09").exists()


# --- allocations --------------------------------------------------------------------------------------------
def test_allocation_save_personas(client, world, city_admin, other_city_admin, county_admin, province_admin):
    project = world["project"]
    url = reverse("plans:allocation_save", args=[project.pk])
    client.force_login(city_admin)
    response = client.post(url, {"region": "140106", "quota": 20}, follow=True)
    assert "超出 5 人" in response.content.decode()
    client.post(url, {"region": "140106", "quota": 15})
    assert allocation_for(project, "140106") == 15
    assert get(client, other_city_admin, reverse("plans:project_detail", args=[project.pk])).status_code == 404
    client.force_login(other_city_admin)
    assert client.post(url, {"region": "140213", "quota": 1}).status_code == 404
    client.force_login(county_admin)
    assert client.post(url, {"region": "140105", "quota": 1}).status_code == 403


def test_allocation_list_personas(client, world, province_admin, city_admin, county_admin, other_county_admin,
                                  teacher_user, django_assert_max_num_queries):
    url = reverse("plans:allocation_list")
    client.force_login(province_admin)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "太原市" in page and "小店区" in page
    own = get(client, county_admin, url).content.decode()
    assert "小店区" in own and "P01" in own
    other = get(client, other_county_admin, url).content.decode()
    assert "P01" not in other
    assert get(client, teacher_user, url).status_code == 403


# --- catalogue and counties ---------------------------------------------------------------------------------
def test_plan2_province_adds_category_without_code(client, province_admin, finance_officer, city_admin):
    url = reverse("plans:category_list")
    client.force_login(province_admin)
    response = client.post(url, {"family": 2, "name": "幼儿园保育员培训", "since_year": 2021})
    assert response.status_code == 302
    category = Category.objects.get(name="幼儿园保育员培训")
    assert category.family.code == "kindergarten" and not category.is_seed
    client.force_login(finance_officer)
    assert client.get(url).status_code == 200
    client.post(url, {"family": 1, "name": "财政厅不能加"})
    assert not Category.objects.filter(name="财政厅不能加").exists()
    assert get(client, city_admin, url).status_code == 403


def test_plan3_project_county_page_personas(client, world, province_admin, county_admin, other_county_admin,
                                            teacher_user, django_assert_max_num_queries):
    url = reverse("plans:project_county_list") + "?year=2020"
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert 'data-testid="n-programme">1<' in page and 'data-testid="n-it20">1<' in page
    own = get(client, county_admin, url).content.decode()
    assert "小店区" in own and "迎泽区" not in own
    assert "小店区" not in get(client, other_county_admin, url).content.decode()
    assert get(client, teacher_user, url).status_code == 403
    client.force_login(county_admin)
    client.post(url, {"year": 2020, "county": "140213", "is_programme": "on"})
    assert not ProjectCounty.objects.filter(county_id="140213").exists()


def test_plan3_project_county_form_and_template(client, province_admin, city_admin):
    client.force_login(province_admin)
    client.post(reverse("plans:project_county_list"), {"year": 2020, "county": "140213", "is_it20": "on"})
    assert ProjectCounty.objects.get(county_id="140213").is_it20
    response = client.get(reverse("plans:county_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert get(client, city_admin, reverse("plans:county_template")).status_code == 403


def test_county_import_page_starts_job(client, province_admin, django_capture_on_commit_callbacks):
    from guopei.core.spreadsheets import write_xlsx
    from guopei.plans.jobs import COUNTY_HEADERS

    client.force_login(province_admin)
    content = write_xlsx(COUNTY_HEADERS, [["140105", "小店区", "是", "否", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("plans:county_import"),
                               {"year": 2020, "file": SimpleUploadedFile("名单.xlsx", content)})
    job = Job.objects.get()
    assert response.url == reverse("core:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert ProjectCounty.objects.filter(year=2020, county_id="140105", is_programme=True).exists()


# --- import, exports ----------------------------------------------------------------------------------------
def test_plan_import_page_and_template(client, province_admin, finance_officer,
                                       django_capture_on_commit_callbacks):
    plan = make_plan(province_admin)
    client.force_login(province_admin)
    assert client.get(reverse("plans:plan_import", args=[plan.pk])).status_code == 200
    template = client.get(reverse("plans:import_template", args=[plan.pk]))
    assert template.status_code == 200
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(template.content))
    assert workbook.sheet_names == ["项目规划表", "填写说明"]
    assert workbook.get_sheet_by_index(0).to_python()[0] == HEADERS
    assert "国培计划年度项目规划表填写说明" in str(workbook.get_sheet_by_index(1).to_python())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("plans:plan_import", args=[plan.pk]),
                               {"file": SimpleUploadedFile("规划.xlsx", xlsx(good_rows()))})
    assert response.status_code == 302
    assert plan.projects.count() == 4
    assert get(client, finance_officer, reverse("plans:plan_import", args=[plan.pk])).status_code == 403


def test_exports_personas(client, world, province_admin, county_admin, other_county_admin, teacher_user):
    plan = world["plan"]
    for name in ("plans:plan_export_xlsx", "plans:plan_export_pdf"):
        url = reverse(name, args=[plan.pk])
        assert get(client, province_admin, url).status_code == 200
        assert get(client, county_admin, url).status_code == 200
        assert get(client, teacher_user, url).status_code == 403
    # Another county's export leaves out the projects it has no share in.
    from guopei.core.spreadsheets import read_table

    own = read_table(get(client, county_admin, reverse("plans:plan_export_xlsx", args=[plan.pk])).content, "a.xlsx")
    assert [r[0] for r in own.rows] == ["P01"]
    response = get(client, other_county_admin, reverse("plans:plan_export_xlsx", args=[plan.pk]))
    with pytest.raises(Exception, match="没有数据行"):
        read_table(response.content, "a.xlsx")


# --- funds --------------------------------------------------------------------------------------------------
def test_funds_overview_personas(client, world, province_admin, finance_officer, city_admin, county_admin,
                                 django_assert_max_num_queries):
    url = reverse("plans:funds_overview")
    client.force_login(finance_officer)
    with django_assert_max_num_queries(14):
        page = client.get(url).content.decode()
    assert "200,000.00" in page and "80,000.00" in page
    assert get(client, province_admin, url).status_code == 200
    assert get(client, city_admin, url).status_code == 403
    assert get(client, county_admin, url).status_code == 403
    export = get(client, finance_officer, reverse("plans:funds_export") + f"?plan={world['plan'].pk}")
    assert export.status_code == 200
    assert get(client, city_admin, reverse("plans:funds_export")).status_code == 403


def test_funds_query_count_constant(client, province_admin, finance_officer, django_assert_max_num_queries):
    from .factories import publish

    plan = make_plan(province_admin)
    projects = [make_project(plan, province_admin, f"P{i:02d}") for i in range(25)]
    publish(plan, province_admin, finance_officer)
    for p in projects:
        services.commitment_record(project=p, amount=Decimal("1000"), payee="甲", reference="1",
                                   actor=province_admin)
    client.force_login(finance_officer)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("plans:funds_overview")).status_code == 200


def test_project_funds_pages(client, world, province_admin, finance_officer, city_admin, teacher_user):
    project = world["project"]
    url = reverse("plans:project_funds", args=[project.pk])
    page = get(client, finance_officer, url).content.decode()
    assert 'data-testid="remaining">200,000.00元' in page
    assert get(client, city_admin, url).status_code == 403
    assert get(client, teacher_user, url).status_code == 403
    client.force_login(finance_officer)
    response = client.post(reverse("plans:payment_add", args=[project.pk]),
                           {"paid_on": "2020-10-01", "amount": "400000", "payee": "山西师范大学",
                            "voucher_number": "记-002"}, follow=True)
    assert "超出" in response.content.decode()
    assert Payment.objects.count() == 1
    client.post(reverse("plans:payment_add", args=[project.pk]),
                {"paid_on": "2020-10-01", "amount": "400000", "payee": "山西师范大学", "voucher_number": "记-002",
                 "override_reason": "经研究同意超支"})
    assert Payment.objects.count() == 2
    client.force_login(province_admin)
    assert client.post(reverse("plans:payment_add", args=[project.pk]), {}).status_code == 403
    client.post(reverse("plans:commitment_add", args=[project.pk]),
                {"amount": "1000", "payee": "山西大学", "reference": "补充合同"})
    assert Commitment.objects.count() == 2


def test_payment_attachment_access_checked(client, world, finance_officer, province_admin, city_admin,
                                           teacher_user):
    url = reverse("plans:payment_attachment", args=[world["payment"].pk])
    response = get(client, finance_officer, url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 voucher"
    assert get(client, province_admin, url).status_code == 200
    assert get(client, city_admin, url).status_code == 403
    assert get(client, teacher_user, url).status_code == 403
    assert get(client, finance_officer, reverse("plans:payment_attachment", args=[99999])).status_code == 404


# --- dashboard and home -------------------------------------------------------------------------------------
def test_dashboard_personas(client, world, province_admin, county_admin, other_county_admin, teacher_user,
                            django_assert_max_num_queries):
    url = reverse("plans:dashboard")
    client.force_login(province_admin)
    with django_assert_max_num_queries(16):
        page = client.get(url).content.decode()
    assert 'data-testid="dash-unallocated">60<' in page
    assert 'id="chart-city"' in page and "<script>" not in page.replace('<script src=', '')
    own = get(client, county_admin, url).content.decode()
    assert 'data-testid="dash-own-total">25<' in own
    assert 'data-testid="dash-own-total">0<' in get(client, other_county_admin, url).content.decode()
    assert get(client, teacher_user, url).status_code == 403


def test_home_panels_and_nav(client, world, province_admin, finance_officer, city_admin, county_admin):
    page = get(client, finance_officer, reverse("home")).content.decode()
    assert "2020年专项经费" in page and "专项经费" in page
    page = get(client, county_admin, reverse("home")).content.decode()
    assert "2020年本地区名额" in page and reverse("plans:plan_list") in page
    page = get(client, city_admin, reverse("home")).content.decode()
    assert "2020年本地区名额" in page
    page = get(client, province_admin, reverse("home")).content.decode()
    assert "2020年规划" in page


def test_plan_detail_parent_projects_are_allocated_through_subprojects(client, province_admin, finance_officer):
    from .factories import KG_NEW, publish

    plan = make_plan(province_admin)
    parent = make_project(plan, province_admin, "K1", category=KG_NEW, quota=0, days=0, hours=0)
    make_project(plan, province_admin, "K1-1", category=KG_NEW, parent=parent, quota=30)
    publish(plan, province_admin, finance_officer)
    page = get(client, province_admin, reverse("plans:plan_detail", args=[plan.pk])).content.decode()
    assert "名额分配在子项目上" in page
    listing = get(client, province_admin, reverse("plans:allocation_list")).content.decode()
    assert "K1-1" in listing and ">K1<" not in listing
