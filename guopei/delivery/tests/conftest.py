from __future__ import annotations

import pytest

from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import make_user

from .factories import awarded_project, make_class, trainee

Role = Membership.Role


@pytest.fixture
def staff(institution_staff):
    return institution_staff


@pytest.fixture
def project(province_admin, finance_officer, institution, staff):
    return awarded_project(province_admin, finance_officer, institution, staff)


@pytest.fixture
def klass(project, staff):
    return make_class(project, staff)


@pytest.fixture
def teacher(school, teacher_user):
    """The teacher_user persona's teacher record, at the 小店区 school."""
    return trainee(school, teacher_user, name="张晓明")


@pytest.fixture
def other_staff(db):
    from guopei.orgs.tests.factories import InstitutionFactory

    return make_user(Role.INSTITUTION_STAFF, "140200", institution=InstitutionFactory(name="山西大同大学"),
                     username="other_staff")
