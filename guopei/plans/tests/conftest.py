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


@pytest.fixture
def reference_data(transactional_db):
    """Regions and the catalogue for a transactional test.

    They come from data migrations and are normally restored by the serialized rollback; after a Playwright test
    in the same session the restore is skipped (the main thread gets a fresh connection object without the
    serialized contents), so reload them when they are missing.
    """
    from importlib import import_module

    from django.apps import apps

    from guopei.orgs.regions import regions_load
    from guopei.plans.models import Category

    if not Region.objects.exists():
        regions_load(region_model=Region)
    if not Category.objects.exists():
        import_module("guopei.plans.migrations.0002_seed_catalogue").seed(apps, None)
