"""A city's picture and case travel to the public column, in a real browser (SUMMARY-1, SUMMARY-2)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guopei.conftest import browser_login
from guopei.summary.models import Material, Submission, TypicalCase

from .samples import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_summary2_city_submits_province_features_anonymous_visitor_sees_it(page, phone_page, live_server,
                                                                           city_admin, province_admin, tmp_path):
    picture = tmp_path / "送教下乡.jpg"
    picture.write_bytes(jpeg_bytes((800, 600)))

    # The city uploads a picture…
    browser_login(page, live_server, city_admin.username)
    page.goto(live_server.url + reverse("summary:material_upload"))
    page.set_input_files("#id_file", str(picture))
    page.fill("#id_title", "晋祠小学送教下乡现场")
    page.fill("#id_caption", "2016年小店区乡村教师研修")
    page.select_option("#id_year", "2016")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已上传：晋祠小学送教下乡现场").is_visible()
    material = Material.objects.get()

    # …writes a case linked to it…
    page.goto(live_server.url + reverse("summary:case_create"))
    page.fill("#id_title", "送教下乡的小店模式")
    page.fill("#id_background", "乡村学校教师外出培训难。")
    page.fill("#id_highlights", "诊断、示范、研课、展示四环节。")
    page.fill("#id_effects", "覆盖乡村教师一千余人次。")
    page.check(f"input[name=materials][value='{material.pk}']")
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("已保存典型案例。").is_visible()

    # …and submits to the province, with the countdown in view.
    page.goto(live_server.url + reverse("summary:index"))
    assert "剩余" in page.locator('[data-testid="countdown"]').inner_text()
    page.click('[data-testid="submit-button"]')
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="submission-state"]').inner_text() == "已提交待审核"
    page.click("text=退出登录")

    # The province features the case and the picture.
    browser_login(page, live_server, province_admin.username)
    case = TypicalCase.objects.get()
    page.goto(live_server.url + reverse("summary:case_detail", args=[case.pk]))
    page.click('[data-testid="feature-button"]')
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + reverse("summary:material_detail", args=[material.pk]))
    page.click('[data-testid="feature-button"]')
    page.wait_for_load_state("networkidle")
    assert Submission.objects.get().state == Submission.State.SUBMITTED
    assert TypicalCase.objects.get().is_featured and Material.objects.get().is_featured

    # An anonymous visitor on a phone finds them on the public column.
    phone_page.goto(live_server.url + reverse("public:index"))
    assert phone_page.get_by_text("送教下乡的小店模式").is_visible()
    phone_page.fill("input[name=q]", "乡村教师研修")
    phone_page.click("main button[type=submit]")
    phone_page.wait_for_load_state("networkidle")
    phone_page.click("text=晋祠小学送教下乡现场")
    phone_page.wait_for_load_state("networkidle")
    image = phone_page.locator("article img")
    assert image.evaluate("img => img.naturalWidth") == 800
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
