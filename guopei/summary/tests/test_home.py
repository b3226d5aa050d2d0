"""Navigation and home-page panels of the summary, with real counts (SUMMARY-1, SUMMARY-2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guopei.core.registry import home_panels, nav_items
from guopei.summary import services

from .samples import add_case, add_material

pytestmark = pytest.mark.django_db


def labels(user):
    return {item.label for item in nav_items(user)}


def test_nav_shows_the_summary_to_city_and_province_only(city_admin, province_admin, county_admin, teacher_user):
    assert {"十年总结", "成果展示"} <= labels(city_admin)
    assert "向教育部推荐" not in labels(city_admin)
    assert {"十年总结", "成果展示", "向教育部推荐"} <= labels(province_admin)
    assert "十年总结" not in labels(county_admin)
    assert "十年总结" not in labels(teacher_user)


def _panel(user, title_start):
    return next(p for p in home_panels(user) if p.title.startswith(title_start))


def test_city_home_panel_counts_and_countdown(city_admin, other_city_admin):
    add_material(city_admin)
    add_material(city_admin)
    add_case(city_admin)
    add_material(other_city_admin, "140200")
    panel = _panel(city_admin, "十年总结")
    stats = {label: number for label, number, _ in panel.stats}
    assert stats == {"素材": 2, "典型案例": 1, "学员成果": 0}
    assert panel.context["state"] == "整理中"
    assert panel.context["clock"].is_open
    html = Client()
    html.force_login(city_admin)
    page = html.get(reverse("home")).content.decode()
    assert 'data-testid="home-countdown"' in page and "整理中" in page


def test_province_home_panel_counts_submissions_by_state(city_admin, other_city_admin, province_admin):
    material = add_material(city_admin)
    add_material(other_city_admin, "140200")
    services.submission_submit(actor=city_admin, submission=material.submission)
    services.item_feature(actor=province_admin, item=material, featured=True)
    stats = {label: number for label, number, _ in _panel(province_admin, "各市十年总结").stats}
    assert stats["待审核"] == 1
    assert stats["已通过"] == 0
    assert stats["未提交"] == 10  # 11 cities: 太原 submitted, 大同 drafting, nine not started
    assert stats["展示栏目精选"] == 1


def test_no_summary_panels_for_other_roles(county_admin, teacher_user):
    for user in (county_admin, teacher_user):
        assert not [p for p in home_panels(user) if "十年总结" in p.title]
