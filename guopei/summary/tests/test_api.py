"""The summary's API: scoped reads for city and province administrators (SUMMARY-1) and the public column's
featured items for anyone (SUMMARY-2)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from guopei.summary import services

from .samples import add_case, add_material, add_outcome

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("api:summary-submission", "submission"),
    ("api:summary-material", "material"),
    ("api:summary-case", "case"),
    ("api:summary-outcome", "outcome"),
]


@pytest.fixture
def taiyuan(city_admin):
    material = add_material(city_admin)
    case = add_case(city_admin, material_ids=[material.pk])
    outcome = add_outcome(city_admin, consent=True, teacher_name="李红", teacher_school="迎泽区实验小学")
    return {"material": material, "case": case, "outcome": outcome, "submission": material.submission}


def api_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("name", "key"), ENDPOINTS)
def test_summary1_api_three_personas(name, key, taiyuan, city_admin, other_city_admin, county_admin, teacher_user,
                                     province_admin):
    detail = reverse(f"{name}-detail", args=[taiyuan[key].pk])
    listing = reverse(f"{name}-list")
    assert api_for(city_admin).get(detail).status_code == 200
    assert api_for(province_admin).get(detail).status_code == 200
    assert api_for(other_city_admin).get(detail).status_code == 404
    assert api_for(other_city_admin).get(listing).json()["count"] == 0
    assert api_for(city_admin).get(listing).json()["count"] == 1
    for user in (county_admin, teacher_user):
        assert api_for(user).get(listing).status_code == 403
        assert api_for(user).get(detail).status_code == 403
    assert api_for(None).get(listing).status_code == 401


def test_material_api_points_to_the_checked_file_view(taiyuan, city_admin):
    data = api_for(city_admin).get(reverse("api:summary-material-detail", args=[taiyuan["material"].pk])).json()
    assert data["file_url"] == reverse("summary:material_file", args=[taiyuan["material"].pk])
    assert data["sha256"] == taiyuan["material"].sha256
    assert "created_by" not in data


def test_summary2_public_api_lists_only_featured_items_without_login(taiyuan, city_admin, province_admin):
    anonymous = api_for(None)
    assert anonymous.get(reverse("api:public-material-list")).json()["count"] == 0
    services.submission_submit(actor=city_admin, submission=taiyuan["submission"])
    for key in ("material", "case", "outcome"):
        services.item_feature(actor=province_admin, item=taiyuan[key], featured=True)
    materials = anonymous.get(reverse("api:public-material-list")).json()
    assert materials["count"] == 1
    item = materials["results"][0]
    assert item["id"] == str(taiyuan["material"].public_id)
    assert item["file_url"] == reverse("public:file", args=[taiyuan["material"].public_id])
    assert set(item) == {"id", "kind", "title", "caption", "year", "city_name", "county_name", "project_name",
                         "content_type", "file_url", "thumbnail_url"}
    cases = anonymous.get(reverse("api:public-case-list"), {"q": "小店"}).json()
    assert cases["count"] == 1
    assert anonymous.get(reverse("api:public-case-list"), {"q": "不存在的词"}).json()["count"] == 0
    outcome = anonymous.get(reverse("api:public-outcome-list")).json()["results"][0]
    assert outcome["author"] == "李红（迎泽区实验小学）"
    assert "teacher_name" not in outcome and "consent_note" not in outcome
    services.outcome_consent_withdraw(actor=city_admin, outcome=taiyuan["outcome"])
    outcome = anonymous.get(reverse("api:public-outcome-list")).json()["results"][0]
    assert outcome["author"] == ""


def test_public_api_detail_of_unpublished_item_is_404(taiyuan):
    response = api_for(None).get(reverse("api:public-material-detail", args=[taiyuan["material"].public_id]))
    assert response.status_code == 404
    assert api_for(None).get(reverse("api:public-case-detail", args=[taiyuan["case"].pk])).status_code == 404


def test_api_list_query_counts(city_admin, province_admin, django_assert_max_num_queries):
    for n in range(5):
        material = add_material(city_admin, title=f"图{n}")
        add_case(city_admin, title=f"案例{n}", material_ids=[material.pk])
        add_outcome(city_admin, title=f"成果{n}")
    for name, _ in ENDPOINTS:
        with django_assert_max_num_queries(6):
            assert api_for(province_admin).get(reverse(f"{name}-list")).status_code == 200


def test_summary1_api_upload_checks_content_and_region(city_admin, other_city_admin, province_admin, county_admin,
                                                        settings):
    from guopei.core.uploads import ERR_EXECUTABLE
    from guopei.summary.models import Material

    from .samples import jpeg_bytes, stored_files, upload_file

    url = reverse("api:summary-material-list")
    response = api_for(city_admin).post(url, {"file": upload_file(jpeg_bytes(), "a.jpg"), "title": "接口上传",
                                              "year": 2018, "county": "140105"}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["city"] == "140100" and response.json()["content_type"] == "image/jpeg"
    response = api_for(city_admin).post(url, {"file": upload_file(b"MZ" + b"\0" * 100, "b.jpg"), "title": "程序",
                                              "year": 2018}, format="multipart")
    assert response.status_code == 400
    assert response.json() == [ERR_EXECUTABLE.format(what="Windows 程序")]
    # A county of another city is refused; other roles may not upload at all.
    response = api_for(city_admin).post(url, {"file": upload_file(jpeg_bytes(), "c.jpg"), "title": "外市",
                                              "year": 2018, "county": "140213"}, format="multipart")
    assert response.status_code == 400 and "county" in response.json()
    for user in (province_admin, county_admin):
        response = api_for(user).post(url, {"file": upload_file(jpeg_bytes(), "d.jpg"), "title": "x",
                                            "year": 2018}, format="multipart")
        assert response.status_code == 403
    assert Material.objects.count() == 1
    assert len(stored_files(settings)) == 2  # the one picture and its thumbnail


def test_summary1_api_submit_and_review(taiyuan, city_admin, other_city_admin, province_admin):
    submit = reverse("api:summary-submission-submit", args=[taiyuan["submission"].pk])
    review = reverse("api:summary-submission-review", args=[taiyuan["submission"].pk])
    assert api_for(other_city_admin).post(submit).status_code == 404
    assert api_for(province_admin).post(submit).status_code == 403
    response = api_for(city_admin).post(submit)
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert api_for(city_admin).post(review, {"accept": True}, format="json").status_code == 403
    response = api_for(province_admin).post(review, {"accept": False, "comment": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == [services.ERR_RETURN_NEEDS_COMMENT]
    response = api_for(province_admin).post(review, {"accept": True, "comment": "通过"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "accepted"
