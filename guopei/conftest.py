"""Personas shared by every app's tests.

Like Healthchecks' alice/bob/charlie: a role in its own region, the same role in another region, and a role
that must not use the page. 小店区 (140105) and 迎泽区 (140106) are in 太原市 (140100); 平城区 (140213) is in
大同市 (140200).
"""

from __future__ import annotations

import pytest

from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import InstitutionFactory, SchoolFactory, make_user

Role = Membership.Role


@pytest.fixture
def school(db):
    return SchoolFactory(name="小店区示范小学", county_id="140105")


@pytest.fixture
def other_school(db):
    return SchoolFactory(name="平城区实验小学", county_id="140213")


@pytest.fixture
def institution(db):
    return InstitutionFactory(name="山西师范大学继续教育学院")


@pytest.fixture
def province_admin(db):
    return make_user(Role.PROVINCE_ADMIN, "140000", username="prov_admin")


@pytest.fixture
def finance_officer(db):
    return make_user(Role.PROVINCE_FINANCE, "140000", username="prov_finance")


@pytest.fixture
def city_admin(db):
    return make_user(Role.CITY_ADMIN, "140100", username="ty_admin")


@pytest.fixture
def other_city_admin(db):
    return make_user(Role.CITY_ADMIN, "140200", username="dt_admin")


@pytest.fixture
def county_admin(db):
    return make_user(Role.COUNTY_ADMIN, "140105", username="xd_admin")


@pytest.fixture
def other_county_admin(db):
    return make_user(Role.COUNTY_ADMIN, "140213", username="pc_admin")


@pytest.fixture
def school_admin(db, school):
    return make_user(Role.SCHOOL_ADMIN, school=school, username="school_admin")


@pytest.fixture
def teacher_user(db, school):
    return make_user(Role.TEACHER, school=school, username="teacher1")


@pytest.fixture
def institution_staff(db, institution):
    return make_user(Role.INSTITUTION_STAFF, "140100", institution=institution, username="inst_staff")


@pytest.fixture
def expert_user(db):
    return make_user(Role.EXPERT, "140000", username="expert1")
