"""The journey of a county administrator through the shell, in a real browser (MGMT-1 scoping)."""

import re

import pytest
from django.urls import reverse

from guopei.conftest import browser_login
from guopei.orgs.tests.factories import SchoolFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mgmt1_county_admin_sees_chinese_home_and_not_other_county_school(page, live_server, county_admin):
    own = SchoolFactory(name="小店区浏览器测试小学", county_id="140105")
    other = SchoolFactory(name="平城区浏览器测试小学", county_id="140213")

    browser_login(page, live_server, county_admin.username)

    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "首页" in page.title()
    assert page.get_by_text("管辖范围").is_visible()
    # The home page counts come from the database: one school in 小店区.
    assert page.locator('[data-stat="学校"]').inner_text() == "1"

    page.click("text=区域与学校")
    assert page.get_by_text(own.name).is_visible()
    assert page.get_by_text(other.name).count() == 0

    response = page.goto(live_server.url + reverse("orgs:school_detail", args=[other.pk]))
    assert response is not None and response.status == 404
    assert page.get_by_text("不在您的管理范围内").is_visible()

    response = page.goto(live_server.url + reverse("orgs:school_detail", args=[own.pk]))
    assert response is not None and response.status == 200
    assert re.search(own.code, page.content())
