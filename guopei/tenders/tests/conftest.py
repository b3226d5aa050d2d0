from __future__ import annotations

from decimal import Decimal

import pytest

from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory, SchoolFactory
from guopei.plans import services as plan_services
from guopei.plans.tests.factories import CW_IT, make_plan, make_project, publish

from .factories import expert, remote_institution, staff_for

IT20_COUNTIES = ["140105", "140106", "140107", "140108", "140109", "140110", "140213"]


@pytest.fixture
def plan(province_admin, finance_officer):
    for code in IT20_COUNTIES:
        plan_services.project_county_set(actor=province_admin, year=2020, county=Region.objects.get(code=code),
                                         is_programme=False, is_it20=True)
    plan = make_plan(province_admin)
    make_project(plan, province_admin, "P01", training_form="blended", days=10, hours=80,
                 components={"face_to_face": 40, "job_shadowing": 20, "workshop": 20})
    make_project(plan, province_admin, "IT01", category=CW_IT, is_it20=True, days=10, hours=50,
                 components={"face_to_face": 25, "practice": 25})
    make_project(plan, province_admin, "C01", continues_from_2019=True, previous_project_name="2019年乡村教师培训",
                 previous_institution=InstitutionFactory(name="太原师范学院"))
    return publish(plan, province_admin, finance_officer)


@pytest.fixture
def lot(plan):
    return plan.projects.get(code="P01")


@pytest.fixture
def it20(plan):
    return plan.projects.get(code="IT01")


@pytest.fixture
def continuing(plan):
    return plan.projects.get(code="C01")


@pytest.fixture
def remote(db):
    return remote_institution()


@pytest.fixture
def rivals(db):
    return [InstitutionFactory(name=name) for name in ("山西大学", "忻州师范学院", "长治学院")]


@pytest.fixture
def experts(db):
    return [expert(name, username=f"exp{n}") for n, name in enumerate(["张评审", "李评审", "王评审"])]


@pytest.fixture
def host_school(db):
    return SchoolFactory(name="太原市第一实验小学", county_id="140106")


@pytest.fixture
def staff(institution_staff):
    return institution_staff


@pytest.fixture
def rival_staff(rivals):
    return staff_for(rivals[0], username="rival_staff")


@pytest.fixture
def budget() -> Decimal:
    return Decimal("400000.00")

