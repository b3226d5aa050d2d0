"""MGMT-1 / MGMT-2: each level's team sees its own region; the province sees everything."""

import pytest

from guopei.orgs.scoping import region_bounds
from guopei.orgs.selectors import schools_for_user
from guopei.orgs.tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def test_region_bounds_cover_children():
    assert region_bounds("140000") == ("140000", "149999")
    assert region_bounds("140100") == ("140100", "140199")
    assert region_bounds("140105") == ("140105", "140105")


def test_mgmt1_province_city_county_tiers_see_nested_school_sets(province_admin, city_admin, county_admin):
    xiaodian = SchoolFactory(county_id="140105")
    yingze = SchoolFactory(county_id="140106")
    datong = SchoolFactory(county_id="140213")
    assert set(schools_for_user(province_admin)) == {xiaodian, yingze, datong}
    assert set(schools_for_user(city_admin)) == {xiaodian, yingze}
    assert set(schools_for_user(county_admin)) == {xiaodian}


def test_mgmt2_school_admin_sees_only_own_school(school_admin, school):
    SchoolFactory(county_id="140105")
    assert list(schools_for_user(school_admin)) == [school]


def test_user_without_membership_sees_nothing(django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x" * 12)
    assert not schools_for_user(user).exists()
