from __future__ import annotations

import pytest

from guopei.orgs.models import Region

from .factories import make_plan, make_project, publish


@pytest.fixture
def draft_plan(province_admin):
    plan = make_plan(province_admin)
    make_project(plan, province_admin, "P01")
    return plan


@pytest.fixture
def published_plan(draft_plan, province_admin, finance_officer):
    return publish(draft_plan, province_admin, finance_officer)


@pytest.fixture
def project(published_plan):
    return published_plan.projects.get(code="P01")


@pytest.fixture
def taiyuan(db):
    return Region.objects.get(code="140100")


@pytest.fixture
def datong(db):
    return Region.objects.get(code="140200")


@pytest.fixture
def xiaodian(db):
    return Region.objects.get(code="140105")


@pytest.fixture
def yingze(db):
    return Region.objects.get(code="140106")


@pytest.fixture
def pingcheng(db):
    return Region.objects.get(code="140213")
