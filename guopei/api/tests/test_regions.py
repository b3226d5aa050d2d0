"""/api/v1/regions/: the regions a user administers (MGMT-1)."""

from __future__ import annotations

import pytest

from guopei.orgs.models import Region

pytestmark = pytest.mark.django_db

LIST = "/api/v1/regions/"


def codes(response):
    return {row["code"] for row in response.json()["results"]}


def test_mgmt1_county_admin_lists_only_own_county(api, county_admin):
    api.force_login(county_admin)
    response = api.get(LIST)
    assert response.status_code == 200
    assert codes(response) == {"140105"}
    row = response.json()["results"][0]
    assert row == {
        "code": "140105",
        "name": "小店区",
        "level": "county",
        "level_display": "县（市、区）",
        "parent": "140100",
        "full_name": "太原市小店区",
    }


def test_mgmt1_city_admin_lists_city_and_its_counties(api, city_admin):
    api.force_login(city_admin)
    response = api.get(LIST, {"page_size": 200})
    expected = set(Region.objects.filter(code__range=("140100", "140199")).values_list("code", flat=True))
    assert codes(response) == expected
    assert "140100" in expected and "140105" in expected
    assert all(code.startswith("1401") for code in codes(response))


def test_mgmt1_province_admin_lists_every_region(api, province_admin):
    api.force_login(province_admin)
    assert api.get(LIST).json()["count"] == Region.objects.count()


def test_filters_by_level_and_parent(api, province_admin):
    api.force_login(province_admin)
    cities = codes(api.get(LIST, {"level": "city", "page_size": 200}))
    assert len(cities) == 11
    taiyuan = codes(api.get(LIST, {"parent": "140100", "page_size": 200}))
    assert "140105" in taiyuan and "140213" not in taiyuan
    assert taiyuan == set(Region.objects.filter(parent_id="140100").values_list("code", flat=True))


def test_county_admin_sees_own_region_detail(api, county_admin):
    api.force_login(county_admin)
    assert api.get(f"{LIST}140105/").json()["name"] == "小店区"


def test_other_county_admin_gets_404_on_xiaodian(api, other_county_admin):
    api.force_login(other_county_admin)
    assert api.get(f"{LIST}140105/").status_code == 404
    # The county cannot read its own city either: it does not administer it.
    assert api.get(f"{LIST}140200/").status_code == 404


def test_other_city_admin_list_has_no_taiyuan_rows(api, other_city_admin):
    api.force_login(other_city_admin)
    response = api.get(LIST, {"page_size": 200})
    assert codes(response)
    assert all(code.startswith("1402") for code in codes(response))


@pytest.mark.parametrize("persona", ["teacher_user", "school_admin", "expert_user", "institution_staff"])
def test_roles_that_administer_no_region_get_403(api, request, persona):
    api.force_login(request.getfixturevalue(persona))
    assert api.get(LIST).status_code == 403
    assert api.get(f"{LIST}140105/").status_code == 403


def test_anonymous_gets_401(api):
    assert api.get(LIST).status_code == 401


def test_non_code_lookup_is_404(api, province_admin):
    api.force_login(province_admin)
    assert api.get(f"{LIST}abc/").status_code == 404


def test_list_query_count_is_fixed(api, province_admin, django_assert_max_num_queries):
    api.force_login(province_admin)
    with django_assert_max_num_queries(10):
        response = api.get(LIST, {"page_size": 200})
    assert len(response.json()["results"]) > 100
