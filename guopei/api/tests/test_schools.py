"""/api/v1/schools/: scoped like the school pages (MGMT-1, MGMT-2)."""

from __future__ import annotations

import pytest

from guopei.orgs.models import School
from guopei.orgs.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/schools/"


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_mgmt1_county_admin_lists_only_own_county_schools(api, county_admin, schools):
    api.force_login(county_admin)
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {s.pk for s in schools["140105"]}
    assert {row["county"] for row in response.json()["results"]} == {"140105"}
    assert response.json()["count"] == 3


def test_mgmt1_city_admin_lists_schools_of_all_own_counties(api, city_admin, schools):
    api.force_login(city_admin)
    response = api.get(LIST)
    assert ids(response) == {s.pk for s in schools["140105"] + schools["140106"]}


def test_mgmt1_province_admin_lists_every_school(api, province_admin, schools):
    api.force_login(province_admin)
    response = api.get(LIST)
    assert response.json()["count"] == School.objects.count() == 6


def test_county_admin_sees_own_school_detail(api, county_admin, school):
    api.force_login(county_admin)
    response = api.get(f"{LIST}{school.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == school.name
    assert body["county"] == "140105"
    assert body["county_name"] == "太原市小店区"
    assert body["kind_display"] == "小学"


def test_other_county_admin_gets_404_on_xiaodian_school(api, other_county_admin, school):
    api.force_login(other_county_admin)
    assert api.get(f"{LIST}{school.pk}/").status_code == 404


def test_other_county_admin_list_has_no_xiaodian_rows(api, other_county_admin, schools):
    api.force_login(other_county_admin)
    response = api.get(LIST)
    assert ids(response) == {s.pk for s in schools["140213"]}
    assert response.json()["count"] == 2


def test_other_city_admin_gets_404_on_taiyuan_school(api, other_city_admin, school):
    api.force_login(other_city_admin)
    assert api.get(f"{LIST}{school.pk}/").status_code == 404


def test_mgmt2_school_admin_lists_only_own_school(api, school_admin, school, schools):
    api.force_login(school_admin)
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {school.pk}
    assert api.get(f"{LIST}{schools['140105'][1].pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["teacher_user", "expert_user", "institution_staff"])
def test_roles_without_school_directory_get_403(api, request, persona, school):
    api.force_login(request.getfixturevalue(persona))
    assert api.get(LIST).status_code == 403
    assert api.get(f"{LIST}{school.pk}/").status_code == 403


def test_anonymous_gets_401(api, school):
    response = api.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert api.get(f"{LIST}{school.pk}/").status_code == 401


def test_filters_narrow_within_scope(api, city_admin, schools):
    kindergarten = SchoolFactory(county_id="140106", kind=School.Kind.KINDERGARTEN, location=School.Location.URBAN,
                                 name="迎泽区示例幼儿园")
    SchoolFactory(county_id="140213", kind=School.Kind.KINDERGARTEN, name="平城区示例幼儿园")
    api.force_login(city_admin)
    assert ids(api.get(LIST, {"county": "140106"})) == {schools["140106"][0].pk, kindergarten.pk}
    assert ids(api.get(LIST, {"kind": "kindergarten"})) == {kindergarten.pk}
    assert ids(api.get(LIST, {"location": "urban"})) == {kindergarten.pk}
    assert ids(api.get(LIST, {"q": "示例幼儿园"})) == {kindergarten.pk}
    assert ids(api.get(LIST, {"q": kindergarten.code})) == {kindergarten.pk}
    # A filter can only narrow: another city's county gives nothing, not that county's schools.
    assert ids(api.get(LIST, {"county": "140213"})) == set()


def test_bad_filter_value_is_400(api, county_admin, schools):
    api.force_login(county_admin)
    assert api.get(LIST, {"kind": "castle"}).status_code == 400


def test_list_query_count_does_not_grow_with_rows(api, province_admin, django_assert_max_num_queries):
    for county in ("140105", "140106", "140213"):
        SchoolFactory.create_batch(15, county_id=county)
    api.force_login(province_admin)
    with django_assert_max_num_queries(10):
        response = api.get(LIST)
    assert len(response.json()["results"]) == 45


def test_page_size_can_be_chosen_up_to_200(api, province_admin):
    School.objects.bulk_create(
        School(name=f"批量学校{n}", code=f"{3199000000 + n}", county_id="140105", region_code="140105",
               kind=School.Kind.PRIMARY, location=School.Location.RURAL)
        for n in range(205)
    )
    api.force_login(province_admin)
    assert len(api.get(LIST).json()["results"]) == 50
    body = api.get(LIST, {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["next"]
    assert len(api.get(LIST, {"page_size": 10000}).json()["results"]) == 200


def test_token_authenticated_list_is_scoped_and_not_cached(api, county_admin, schools):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=county_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {s.pk for s in schools["140105"]}
    assert "no-store" in response["Cache-Control"]
