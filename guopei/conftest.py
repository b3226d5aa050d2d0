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


def _reload_reference_data() -> None:
    """Re-run every data migration of the platform's apps, in migration order, on a flushed database.

    Reference data (regions, the programme catalogue, topic tags) comes from data migrations. The flush after a
    transactional or live-server test empties every table, so the next such test starts from nothing; replaying
    the data migrations gives it the state `migrate` left.
    """
    from django.apps import apps as global_apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    plan = [key for key in loader.graph.leaf_nodes() if key[0] in {c.label for c in global_apps.get_app_configs()}]
    ordered = []
    for leaf in plan:
        for key in loader.graph.forwards_plan(leaf):
            if key not in ordered:
                ordered.append(key)
    platform_apps = {c.label for c in global_apps.get_app_configs() if c.name.startswith("guopei.")}
    with connection.schema_editor(atomic=True) as editor:
        for key in ordered:
            if key[0] not in platform_apps:
                continue
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, RunPython):
                    operation.code(global_apps, editor)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Give every transactional test the reference data that data migrations load."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from guopei.orgs.models import Region

        if not Region.objects.exists():
            _reload_reference_data()
    yield


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


# --- Browser tests ------------------------------------------------------------------------------------------
# Playwright drives Debian's chromium (/usr/bin/chromium); no browser is downloaded.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _playwright_browser():
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.fail("浏览器测试需要 Debian 的 chromium（make test 会自动安装）")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test between page
    # actions are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A desktop-sized page; `page.goto(live_server.url + path)`."""
    context = _playwright_browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                              viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(_playwright_browser, live_server):
    """A phone-sized page (390×844, touch)."""
    context = _playwright_browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                              viewport={"width": 390, "height": 844}, is_mobile=True,
                                              has_touch=True)
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


def browser_login(page, live_server, username: str, password: str = "correct-horse-battery-1") -> None:  # noqa: S107
    """Sign in through the login form as a person would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
