"""School and development-centre pages: three personas each, scoped lists, bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.orgs.models import DevelopmentCentre, School
from guopei.orgs.tests.factories import DevelopmentCentreFactory, SchoolFactory

pytestmark = pytest.mark.django_db


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- List ------------------------------------------------------------------------------------------------


def test_school_list_shows_own_county_only(client, county_admin, school, other_school):
    response = get(client, county_admin, reverse("orgs:school_list"))
    assert response.status_code == 200
    assert school.name in response.text
    assert other_school.name not in response.text


def test_school_list_other_county_admin_sees_own_not_ours(client, other_county_admin, school, other_school):
    response = get(client, other_county_admin, reverse("orgs:school_list"))
    assert other_school.name in response.text
    assert school.name not in response.text


def test_school_list_forbidden_to_teacher(client, teacher_user):
    assert get(client, teacher_user, reverse("orgs:school_list")).status_code == 403


def test_school_list_filters_by_county_and_kind(client, city_admin, school):
    yingze = SchoolFactory(name="迎泽区实验幼儿园", county_id="140106", kind=School.Kind.KINDERGARTEN)
    url = reverse("orgs:school_list")
    response = get(client, city_admin, url + "?county=140106")
    assert yingze.name in response.text and school.name not in response.text
    response = client.get(url + "?kind=primary")
    assert school.name in response.text and yingze.name not in response.text
    # A county outside the user's reach is ignored, never used to widen the list.
    response = client.get(url + "?county=140213")
    assert response.context["county"] == ""
    assert {s.pk for s in response.context["page"]} == {school.pk, yingze.pk}


def test_school_list_search_by_code(client, county_admin, school):
    response = get(client, county_admin, reverse("orgs:school_list") + f"?q={school.code[:8]}")
    assert school.name in response.text


def test_school_list_query_count_does_not_grow(client, province_admin, django_assert_max_num_queries):
    SchoolFactory.create_batch(40, county_id="140105")
    SchoolFactory.create_batch(20, county_id="140213")
    client.force_login(province_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orgs:school_list"))
    assert len(response.context["page"]) == 50


# --- Detail ----------------------------------------------------------------------------------------------


def test_school_detail_own_county(client, county_admin, school, teacher_user):
    DevelopmentCentreFactory(county_id="140105", director="李华")
    response = get(client, county_admin, reverse("orgs:school_detail", args=[school.pk]))
    assert response.status_code == 200
    assert response.context["teacher_count"] == 1
    assert "小店区教师发展中心" in response.text
    assert reverse("orgs:school_edit", args=[school.pk]) in response.text


def test_school_detail_other_county_is_404(client, other_county_admin, school):
    assert get(client, other_county_admin, reverse("orgs:school_detail", args=[school.pk])).status_code == 404


def test_school_detail_forbidden_to_institution_staff(client, institution_staff, school):
    assert get(client, institution_staff, reverse("orgs:school_detail", args=[school.pk])).status_code == 403


def test_school_admin_sees_own_school_not_others(client, school_admin, school, other_school):
    assert get(client, school_admin, reverse("orgs:school_detail", args=[school.pk])).status_code == 200
    assert client.get(reverse("orgs:school_detail", args=[other_school.pk])).status_code == 404


def test_finance_officer_reads_school_without_edit_link(client, finance_officer, school):
    response = get(client, finance_officer, reverse("orgs:school_detail", args=[school.pk]))
    assert response.status_code == 200
    assert reverse("orgs:school_edit", args=[school.pk]) not in response.text


# --- Create and edit -------------------------------------------------------------------------------------


def school_post(**overrides):
    data = {"name": "小店区第二实验小学", "code": "1401050402", "county": "140105", "kind": "primary",
            "location": "urban", "is_public": "1"}
    data.update(overrides)
    return data


def test_county_admin_creates_school(client, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("orgs:school_create")).status_code == 200
    response = client.post(reverse("orgs:school_create"), school_post())
    school = School.objects.get(code="1401050402")
    assert response.status_code == 302
    assert response.url == reverse("orgs:school_detail", args=[school.pk])
    assert AuditEvent.objects.filter(action="orgs.school_create", object_id=str(school.pk)).exists()


def test_school_form_offers_only_counties_in_reach(client, county_admin):
    client.force_login(county_admin)
    choices = [value for value, _ in client.get(reverse("orgs:school_create")).context["form"].fields["county"].choices]
    assert [str(v) for v in choices if v] == ["140105"]
    response = client.post(reverse("orgs:school_create"), school_post(county="140213", code="1402130402"))
    assert response.status_code == 200
    assert response.context["form"].errors["county"]
    assert not School.objects.exists()


def test_school_form_shows_duplicate_code_error(client, county_admin, school):
    client.force_login(county_admin)
    response = client.post(reverse("orgs:school_create"), school_post(code=school.code))
    assert response.status_code == 200
    assert "该学校标识码已被其他学校使用。" in response.text


def test_school_create_forbidden_to_finance_and_teacher(client, finance_officer, teacher_user):
    assert get(client, finance_officer, reverse("orgs:school_create")).status_code == 403
    assert get(client, teacher_user, reverse("orgs:school_create")).status_code == 403


def test_county_admin_edits_own_school(client, county_admin, school):
    client.force_login(county_admin)
    url = reverse("orgs:school_edit", args=[school.pk])
    assert client.get(url).context["form"].initial["code"] == school.code
    response = client.post(url, school_post(name="小店区示范小学（新校区）", code=school.code))
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.name == "小店区示范小学（新校区）"


def test_school_edit_other_county_is_404(client, other_county_admin, school):
    assert get(client, other_county_admin, reverse("orgs:school_edit", args=[school.pk])).status_code == 404


def test_school_edit_forbidden_to_school_admin(client, school_admin, school):
    assert get(client, school_admin, reverse("orgs:school_edit", args=[school.pk])).status_code == 403


# --- Development centres (MGMT-2) --------------------------------------------------------------------------


def test_mgmt2_centre_list_shows_own_counties(client, city_admin, django_assert_max_num_queries):
    DevelopmentCentreFactory(county_id="140105", name="小店区教师发展中心")
    DevelopmentCentreFactory(county_id="140213", name="平城区教师发展中心")
    client.force_login(city_admin)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:centre_list"))
    assert response.status_code == 200
    assert "小店区教师发展中心" in response.text
    assert "平城区教师发展中心" not in response.text
    assert "尚未登记" in response.text  # 太原's other counties still lack a centre
    assert all(c.code.startswith("1401") for c in response.context["page"])


def test_centre_list_forbidden_to_school_admin(client, school_admin):
    assert get(client, school_admin, reverse("orgs:centre_list")).status_code == 403


def test_county_admin_records_own_centre(client, county_admin):
    client.force_login(county_admin)
    url = reverse("orgs:centre_edit", args=["140105"])
    assert client.get(url).context["form"].initial["name"] == "小店区教师发展中心"
    response = client.post(url, {"name": "小店区教师发展中心", "director": "王芳"})
    assert response.status_code == 302
    assert DevelopmentCentre.objects.get(county_id="140105").director == "王芳"


def test_centre_edit_other_county_is_404(client, other_county_admin):
    assert get(client, other_county_admin, reverse("orgs:centre_edit", args=["140105"])).status_code == 404


def test_centre_edit_of_a_city_is_404(client, city_admin):
    assert get(client, city_admin, reverse("orgs:centre_edit", args=["140100"])).status_code == 404


def test_centre_edit_forbidden_to_finance(client, finance_officer):
    assert get(client, finance_officer, reverse("orgs:centre_edit", args=["140105"])).status_code == 403


def test_navigation_offers_centres_to_region_admins_only(client, county_admin, teacher_user):
    response = get(client, county_admin, reverse("home"))
    assert reverse("orgs:centre_list") in response.text
    response = get(client, teacher_user, reverse("home"))
    assert reverse("orgs:centre_list") not in response.text
    assert reverse("orgs:school_list") not in response.text
