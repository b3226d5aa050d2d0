"""/api/v1/institutions/: the directory of training institutions, scoped like its page."""

from __future__ import annotations

import pytest

from guopei.orgs.models import Institution
from guopei.orgs.tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"


def ids(response):
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def institutions(institution):
    remote = InstitutionFactory(name="示例远程培训机构", kind=Institution.Kind.REMOTE, in_province=False, region=None,
                                on_remote_list=True, remote_list_since=2016, contact="张联系人")
    other = InstitutionFactory(name="大同示例教师发展中心", kind=Institution.Kind.DEVELOPMENT,
                               region_id="140200")
    return {"own": institution, "remote": remote, "other": other}


@pytest.mark.parametrize("persona", ["province_admin", "county_admin", "other_county_admin", "expert_user"])
def test_administrators_and_experts_list_the_whole_directory(api, request, persona, institutions):
    api.force_login(request.getfixturevalue(persona))
    response = api.get(LIST)
    assert response.status_code == 200
    assert ids(response) == {i.pk for i in institutions.values()}


def test_institution_staff_lists_only_own_institution(api, institution_staff, institutions):
    api.force_login(institution_staff)
    response = api.get(LIST)
    assert ids(response) == {institutions["own"].pk}
    assert api.get(f"{LIST}{institutions['own'].pk}/").status_code == 200


def test_institution_staff_gets_404_on_another_institution(api, institution_staff, institutions):
    api.force_login(institution_staff)
    assert api.get(f"{LIST}{institutions['other'].pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["teacher_user", "school_admin"])
def test_school_roles_get_403(api, request, persona, institutions):
    api.force_login(request.getfixturevalue(persona))
    assert api.get(LIST).status_code == 403
    assert api.get(f"{LIST}{institutions['own'].pk}/").status_code == 403


def test_anonymous_gets_401(api, institutions):
    assert api.get(LIST).status_code == 401


def test_filter_on_remote_list(api, county_admin, institutions):
    api.force_login(county_admin)
    assert ids(api.get(LIST, {"on_remote_list": "true"})) == {institutions["remote"].pk}
    assert institutions["remote"].pk not in ids(api.get(LIST, {"on_remote_list": "false"}))
    assert ids(api.get(LIST, {"in_province": "false"})) == {institutions["remote"].pk}
    assert ids(api.get(LIST, {"kind": "development"})) == {institutions["other"].pk}


def test_detail_shows_list_membership_but_no_contact_person(api, county_admin, institutions):
    api.force_login(county_admin)
    body = api.get(f"{LIST}{institutions['remote'].pk}/").json()
    assert body["on_remote_list"] is True
    assert body["remote_list_since"] == 2016
    assert body["region"] is None and body["region_name"] is None
    assert "contact" not in body
    assert "张联系人" not in str(body)


def test_list_query_count_is_fixed(api, province_admin, django_assert_max_num_queries):
    InstitutionFactory.create_batch(30)
    api.force_login(province_admin)
    with django_assert_max_num_queries(10):
        response = api.get(LIST)
    assert response.json()["count"] == 30
