"""Every page of the summary with three personas: the city's own administrator (or the province), another city's
administrator (404, audited), and roles that must not use it (403)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.core.uploads import ERR_EXECUTABLE
from guopei.orgs.tests.factories import SchoolFactory
from guopei.summary import services
from guopei.summary.models import Material, Submission, TraineeOutcome, TypicalCase

from .samples import add_case, add_material, add_outcome, jpeg_bytes, stored_files, upload_file

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def taiyuan(city_admin):
    """太原市's package: a picture, a case and an outcome, still in draft."""
    material = add_material(city_admin)
    case = add_case(city_admin, material_ids=[material.pk])
    outcome = add_outcome(city_admin, consent=True, teacher_name="李红", teacher_school="迎泽区实验小学")
    return {"material": material, "case": case, "outcome": outcome, "submission": material.submission}


READ_VIEWS = [
    ("summary:submission_detail", "submission"),
    ("summary:material_detail", "material"),
    ("summary:material_file", "material"),
    ("summary:material_thumb", "material"),
    ("summary:case_detail", "case"),
    ("summary:outcome_detail", "outcome"),
]
CITY_EDIT_VIEWS = [
    ("summary:material_edit", "material"),
    ("summary:case_edit", "case"),
    ("summary:outcome_edit", "outcome"),
]
CITY_POST_VIEWS = [
    ("summary:submission_submit", "submission"),
    ("summary:material_delete", "material"),
    ("summary:case_delete", "case"),
    ("summary:outcome_delete", "outcome"),
]
PROVINCE_POST_VIEWS = [
    ("summary:material_feature", "material"),
    ("summary:case_feature", "case"),
    ("summary:outcome_feature", "outcome"),
    ("summary:submission_review", "submission"),
]
LIST_VIEWS = ["summary:submission_list", "summary:material_list", "summary:case_list", "summary:outcome_list"]


@pytest.mark.parametrize(("name", "key"), READ_VIEWS + CITY_EDIT_VIEWS)
def test_city_admin_opens_own_city_pages(name, key, taiyuan, city_admin):
    response = client_for(city_admin).get(reverse(name, args=[taiyuan[key].pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "key"), READ_VIEWS)
def test_province_admin_reads_every_city(name, key, taiyuan, province_admin):
    assert client_for(province_admin).get(reverse(name, args=[taiyuan[key].pk])).status_code == 200


@pytest.mark.parametrize(("name", "key"), READ_VIEWS + CITY_EDIT_VIEWS)
def test_other_city_admin_gets_404_and_the_attempt_is_audited(name, key, taiyuan, other_city_admin):
    response = client_for(other_city_admin).get(reverse(name, args=[taiyuan[key].pk]))
    assert response.status_code == 404
    event = AuditEvent.objects.get(action="summary.access_denied")
    assert event.actor == other_city_admin
    assert event.object_id == str(taiyuan[key].pk)
    assert event.region_code == "140100"


@pytest.mark.parametrize(("name", "key"), [*CITY_POST_VIEWS, ("summary:outcome_withdraw_consent", "outcome")])
def test_other_city_admin_cannot_change_anything(name, key, taiyuan, other_city_admin):
    response = client_for(other_city_admin).post(reverse(name, args=[taiyuan[key].pk]))
    assert response.status_code == 404
    assert Material.objects.count() == 1 and TypicalCase.objects.count() == 1
    assert TraineeOutcome.objects.get().teacher_name == "李红"
    assert Submission.objects.get().state == Submission.State.DRAFT


@pytest.mark.parametrize("persona", ["county_admin", "teacher_user", "school_admin", "institution_staff",
                                     "finance_officer"])
@pytest.mark.parametrize(("name", "key"), READ_VIEWS + CITY_EDIT_VIEWS)
def test_other_roles_get_403(name, key, persona, taiyuan, request):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse(name, args=[taiyuan[key].pk])).status_code == 403


@pytest.mark.parametrize("persona", ["county_admin", "teacher_user"])
@pytest.mark.parametrize("name", [*LIST_VIEWS, "summary:index", "summary:material_upload", "summary:case_create",
                                  "summary:outcome_create", "summary:package_list", "summary:school_options"])
def test_other_roles_get_403_on_lists_and_forms(name, persona, request):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(reverse(name)).status_code == 403


@pytest.mark.parametrize(("name", "key"), PROVINCE_POST_VIEWS)
def test_city_admin_cannot_use_province_actions(name, key, taiyuan, city_admin):
    assert client_for(city_admin).post(reverse(name, args=[taiyuan[key].pk]), {"featured": "1"}).status_code == 403


@pytest.mark.parametrize(("name", "key"), CITY_EDIT_VIEWS + CITY_POST_VIEWS)
def test_province_admin_does_not_edit_a_citys_package(name, key, taiyuan, province_admin):
    assert client_for(province_admin).post(reverse(name, args=[taiyuan[key].pk])).status_code == 403


def test_anonymous_is_sent_to_login(taiyuan):
    response = Client().get(reverse("summary:material_file", args=[taiyuan["material"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", LIST_VIEWS)
def test_lists_show_only_own_city(name, taiyuan, other_city_admin, city_admin):
    add_material(other_city_admin, "140200", title="大同云冈小学研修")
    add_case(other_city_admin, "140200", title="大同案例")
    add_outcome(other_city_admin, "140200", title="大同成果")
    html = client_for(city_admin).get(reverse(name)).content.decode()
    for title in ("大同云冈小学研修", "大同案例", "大同成果", "大同市"):
        assert title not in html
    html = client_for(other_city_admin).get(reverse(name)).content.decode()
    assert taiyuan["case"].title not in html and taiyuan["material"].title not in html


def test_submission_list_shows_every_city_to_the_province_and_one_to_a_city(taiyuan, province_admin, city_admin):
    html = client_for(province_admin).get(reverse("summary:submission_list")).content.decode()
    for city in ("太原市", "大同市", "运城市", "吕梁市"):
        assert city in html
    html = client_for(city_admin).get(reverse("summary:submission_list")).content.decode()
    assert "太原市" in html and "大同市" not in html


@pytest.mark.parametrize("name", LIST_VIEWS)
def test_list_query_counts_stay_flat(name, city_admin, province_admin, django_assert_max_num_queries):
    for n in range(6):
        material = add_material(city_admin, data=jpeg_bytes(color=(n * 30, 0, 0)), title=f"图片{n}")
        add_case(city_admin, title=f"案例{n}", material_ids=[material.pk])
        add_outcome(city_admin, title=f"成果{n}", material_id=material.pk)
    for user in (city_admin, province_admin):
        client = client_for(user)
        client.get(reverse(name))  # warm the session
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


def test_index_redirects_a_city_with_a_package_and_shows_a_countdown(taiyuan, city_admin, other_city_admin):
    response = client_for(city_admin).get(reverse("summary:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("summary:submission_detail", args=[taiyuan["submission"].pk])
    page = client_for(other_city_admin).get(reverse("summary:index"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "大同市国培计划十年总结" in html and "未开始" in html
    assert 'data-testid="countdown">剩余' in html
    assert "<script>" not in html  # the countdown is computed on the server


def test_province_index_goes_to_the_list(province_admin):
    response = client_for(province_admin).get(reverse("summary:index"))
    assert response["Location"] == reverse("summary:submission_list")


# --- Journeys through the pages --------------------------------------------------------------------------------
def test_city_uploads_through_the_page_and_sees_a_clear_refusal_for_an_executable(city_admin, settings):
    client = client_for(city_admin)
    exe = b"MZ\x90\x00" + b"\x00" * 300
    response = client.post(reverse("summary:material_upload"), {
        "file": upload_file(exe, "风采.jpg"), "title": "风采", "year": "2018",
    })
    assert response.status_code == 200
    assert ERR_EXECUTABLE.format(what="Windows 程序") in response.content.decode()
    assert Material.objects.count() == 0 and stored_files(settings) == []
    school = SchoolFactory(county_id="140105", name="小店区第一小学")
    response = client.post(reverse("summary:material_upload"), {
        "file": upload_file(jpeg_bytes(), "风采.jpg"), "title": "风采", "caption": "教师风采", "year": "2018",
        "county": "140105", "school": str(school.pk), "project_name": "乡村教师访名校",
    })
    material = Material.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("summary:material_detail", args=[material.pk])
    assert (material.county_id, material.school_id, material.project_name) == ("140105", school.pk, "乡村教师访名校")


def test_school_options_lists_only_schools_of_the_citys_county(city_admin):
    own = SchoolFactory(county_id="140105", name="小店区第一小学")
    SchoolFactory(county_id="140213", name="平城区第一小学")
    client = client_for(city_admin)
    html = client.get(reverse("summary:school_options"), {"county": "140105"}).content.decode()
    assert own.name in html
    html = client.get(reverse("summary:school_options"), {"county": "140213"}).content.decode()
    assert "平城区第一小学" not in html


def test_case_and_outcome_forms_create_through_services(city_admin, taiyuan):
    client = client_for(city_admin)
    response = client.post(reverse("summary:case_create"), {
        "title": "名师工作室引领", "background": "背景", "highlights": "特色", "effects": "成效",
        "materials": [str(taiyuan["material"].pk)],
    })
    case = TypicalCase.objects.get(title="名师工作室引领")
    assert response.status_code == 302 and list(case.materials.all()) == [taiyuan["material"]]
    response = client.post(reverse("summary:outcome_create"), {
        "stage": "summative", "form": "reflection", "title": "研修总结", "year": "2020",
        "teacher_name": "张三",
    })
    assert response.status_code == 200
    assert "只有勾选" in response.content.decode()
    assert not TraineeOutcome.objects.filter(title="研修总结").exists()


def test_submit_review_feature_through_the_pages(taiyuan, city_admin, province_admin):
    city, province = client_for(city_admin), client_for(province_admin)
    submission = taiyuan["submission"]
    response = city.post(reverse("summary:submission_submit", args=[submission.pk]))
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.state == Submission.State.SUBMITTED
    response = province.post(reverse("summary:case_feature", args=[taiyuan["case"].pk]), {"featured": "1"})
    assert response.status_code == 302
    assert TypicalCase.objects.get().is_featured
    response = province.post(reverse("summary:submission_review", args=[submission.pk]),
                             {"decision": "return", "comment": "请补充图片说明。"})
    submission.refresh_from_db()
    assert submission.state == Submission.State.RETURNED
    html = city.get(reverse("summary:submission_detail", args=[submission.pk])).content.decode()
    assert "请补充图片说明。" in html and "重新提交" in html


def test_deadline_passed_page_says_locked_and_province_can_extend(city_admin, province_admin, settings):
    settings.SUMMARY_YEAR = 2020
    page = client_for(city_admin).get(reverse("summary:index"))
    html = page.content.decode()
    assert 'data-testid="countdown">已截止' in html
    assert "如需补交，请联系省教育厅为本市延期" in html
    response = client_for(city_admin).post(reverse("summary:material_upload"), {
        "file": upload_file(jpeg_bytes(), "a.jpg"), "title": "迟到的照片", "year": "2019",
    })
    assert services.ERR_DEADLINE_PASSED.format(day="2020年8月20日") in response.content.decode()
    assert not Material.objects.exists()
    until = "2099-12-31"
    response = client_for(province_admin).post(reverse("summary:city_extend", args=["140100"]),
                                               {"until": until, "reason": "资料整理延误"})
    assert response.status_code == 302
    submission = Submission.objects.get(city_id="140100")
    html = client_for(city_admin).get(reverse("summary:submission_detail", args=[submission.pk])).content.decode()
    assert "已延期至 2099年12月31日" in html
    assert 'data-testid="countdown">剩余' in html


def test_city_extend_is_province_only_and_needs_a_city(city_admin, province_admin):
    assert client_for(city_admin).post(reverse("summary:city_extend", args=["140100"])).status_code == 403
    assert client_for(province_admin).post(reverse("summary:city_extend", args=["140105"])).status_code == 404


def test_package_pages_are_province_only(province_admin, city_admin, taiyuan, django_capture_on_commit_callbacks):
    services.submission_submit(actor=city_admin, submission=taiyuan["submission"])
    services.submission_review(actor=province_admin, submission=taiyuan["submission"], accept=True)
    client = client_for(province_admin)
    assert taiyuan["case"].title in client.get(reverse("summary:package_list")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("summary:package_list"), {"title": "推荐包",
                                                                  "cases": [str(taiyuan["case"].pk)]})
    package_url = response["Location"]
    pk = int(package_url.rstrip("/").split("/")[-1])
    assert client.get(package_url).status_code == 200
    download = client.get(reverse("summary:package_download", args=[pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment")
    for name in ("summary:package_detail", "summary:package_download"):
        assert client_for(city_admin).get(reverse(name, args=[pk])).status_code == 403
    assert client_for(city_admin).get(reverse("summary:package_list")).status_code == 403


def test_private_file_response_headers(taiyuan, city_admin):
    response = client_for(city_admin).get(reverse("summary:material_file", args=[taiyuan["material"].pk]))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline")
