"""/api/v1/me/: the current user and their roles, nobody else's."""

from __future__ import annotations

import pytest

from guopei.orgs.models import Membership, Region

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/"


def test_county_admin_sees_own_membership(api, county_admin):
    api.force_login(county_admin)
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "username": "xd_admin",
        "full_name": county_admin.full_name,
        "memberships": [
            {
                "role": "county_admin",
                "role_display": "县级管理员",
                "region": "140105",
                "region_name": "太原市小店区",
                "school": None,
                "school_name": None,
                "institution": None,
                "institution_name": None,
            }
        ],
    }
    assert "no-store" in response["Cache-Control"]


def test_teacher_sees_own_school(api, teacher_user, school):
    api.force_login(teacher_user)
    [membership] = api.get(URL).json()["memberships"]
    assert membership["role"] == "teacher"
    assert membership["school"] == school.pk
    assert membership["school_name"] == school.name


def test_institution_staff_sees_own_institution(api, institution_staff, institution):
    api.force_login(institution_staff)
    [membership] = api.get(URL).json()["memberships"]
    assert membership["institution"] == institution.pk
    assert membership["institution_name"] == institution.name


def test_several_roles_and_no_inactive_ones(api, county_admin):
    Membership.objects.create(user=county_admin, role="expert", region=Region.objects.get(code="140000"))
    Membership.objects.create(user=county_admin, role="city_admin", region=Region.objects.get(code="140100"),
                              is_active=False)
    api.force_login(county_admin)
    roles = {m["role"] for m in api.get(URL).json()["memberships"]}
    assert roles == {"county_admin", "expert"}


def test_nobody_elses_data(api, county_admin, other_county_admin, teacher_user):
    api.force_login(county_admin)
    text = api.get(URL).content.decode()
    assert "pc_admin" not in text
    assert "teacher1" not in text
    assert other_county_admin.full_name not in text


def test_anonymous_gets_401(api):
    assert api.get(URL).status_code == 401


def test_read_only(api, county_admin):
    api.force_login(county_admin)
    assert api.put(URL, {"full_name": "改名"}).status_code == 405
    assert api.post(URL, {"full_name": "改名"}).status_code == 405
