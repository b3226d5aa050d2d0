"""SUMMARY-2: the public column shows only what the province featured, to anyone, with nothing personal."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.orgs.tests.factories import SchoolFactory
from guopei.summary import services
from guopei.summary.models import Material

from .samples import add_case, add_material, add_outcome, jpeg_bytes, mp4_bytes

pytestmark = pytest.mark.django_db

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# The public ids in the column's links: a UUID's last group of 12 hex digits is sometimes 11 digits in a row that
# look like a mobile number.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def personal_numbers(html: str) -> list[str]:
    """ID numbers and mobile numbers in a page's text and attributes, leaving out the public ids in its links."""
    text = UUID.sub("", html)
    return [match.group(0) for pattern in (ID_NUMBER, MOBILE) for match in pattern.finditer(text)]


def test_summary2_personal_numbers_ignore_public_ids_and_find_numbers_next_to_text():
    page = ('<a href="/public/files/cb3b12be-04eb-42ce-8e6e-a15165042859/">图</a>'
            "<p>联系电话13812345678，身份证14010519850601004X</p>")
    assert personal_numbers(page) == ["14010519850601004X", "13812345678"]


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def published(city_admin, other_city_admin, province_admin):
    """太原市 submitted a picture, a video, a case and two outcomes; the province featured some of them."""
    picture = add_material(city_admin, title="晋祠小学送教下乡", caption="2016年小店区乡村教师研修现场")
    video = add_material(city_admin, data=mp4_bytes(), name="课.mp4", title="《秋天》课堂实录", caption="示范课")
    hidden = add_material(city_admin, title="未公开的照片", caption="内部资料")
    case = add_case(city_admin, title="送教下乡的小店模式", material_ids=[picture.pk, hidden.pk])
    consenting = add_outcome(city_admin, title="《秋天》教学设计", consent=True, teacher_name="李红",
                             teacher_school="迎泽区实验小学", material_id=video.pk)
    withdrawn = add_outcome(city_admin, title="研修反思：从模仿到创造", consent=True, teacher_name="王小明",
                            teacher_school="小店区示范小学")
    submission = services.submission_submit(actor=city_admin, submission=picture.submission)
    for item in (picture, case, consenting, withdrawn):
        services.item_feature(actor=province_admin, item=item, featured=True)
    services.outcome_consent_withdraw(actor=city_admin, outcome=withdrawn)
    draft = add_material(other_city_admin, "140200", title="大同草稿照片")
    return {"picture": picture, "video": video, "hidden": hidden, "case": case, "consenting": consenting,
            "withdrawn": withdrawn, "submission": submission, "draft": draft}


def test_summary2_public_column_needs_no_login_and_shows_featured_items(anonymous, published):
    response = anonymous.get(reverse("public:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html  # readable on a phone
    assert "晋祠小学送教下乡" in html
    assert "送教下乡的小店模式" in html
    assert "《秋天》教学设计" in html
    # The outcome's video was published with it.
    assert "《秋天》课堂实录" in html
    assert "未公开的照片" not in html
    assert "大同草稿照片" not in html


def test_summary2_public_pages_carry_no_personal_data(anonymous, published, city_admin):
    pages = [
        reverse("public:index"),
        reverse("public:index") + "?section=outcomes",
        reverse("public:case", args=[published["case"].pk]),
        reverse("public:outcome", args=[published["consenting"].pk]),
        reverse("public:outcome", args=[published["withdrawn"].pk]),
        reverse("public:material", args=[published["picture"].public_id]),
    ]
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert personal_numbers(html) == [], url
        # The teacher who withdrew consent is never named; nor the uploader.
        assert "王小明" not in html, url
        assert "小店区示范小学" not in html, url
        assert city_admin.username not in html and city_admin.full_name not in html, url
    # The consenting teacher is named on her outcome.
    assert "李红" in anonymous.get(reverse("public:outcome", args=[published["consenting"].pk])).content.decode()


def test_summary2_public_html_has_no_names_of_teachers_without_consent(anonymous, published, city_admin,
                                                                        province_admin):
    """Teachers in the database whose outcomes are shown without consent are never named on the column."""
    from guopei.teachers.tests.factories import TeacherFactory

    school = SchoolFactory(county_id="140105", name="小店区第五小学")
    silent = [TeacherFactory(name=name, school=school) for name in ("周建国", "吴秀英", "郑海涛")]
    consenting = TeacherFactory(name="孙慧敏", school=school, plain_id="14010519850601004X")
    submission = services.submission_review(actor=province_admin, submission=published["submission"],
                                            accept=False, comment="补充成果")
    items = [add_outcome(city_admin, title=f"{t.school.name}教学设计{n}") for n, t in enumerate(silent)]
    items.append(services.outcome_create(
        actor=city_admin, city_code="140100", stage="summative", form="reflection", title="研修反思：课堂的变化",
        year=2020, consent=True, consent_note="2020年7月签署同意书", teacher_id_number="14010519850601004X"))
    services.submission_submit(actor=city_admin, submission=submission)
    for item in items:
        services.item_feature(actor=province_admin, item=item, featured=True)
    urls = [reverse("public:index"), reverse("public:index") + "?section=outcomes"]
    urls += [reverse("public:outcome", args=[item.pk]) for item in items]
    seen_consenting = False
    for url in urls:
        html = anonymous.get(url).content.decode()
        for teacher in silent:
            assert teacher.name not in html, url
        assert personal_numbers(html) == [], url
        seen_consenting |= consenting.name in html
    assert seen_consenting


def test_summary2_province_cannot_publish_text_with_id_number_or_phone(city_admin, province_admin):
    with_id = add_material(city_admin, title="学员合影", caption="联系人身份证 14010519900315123X")
    with_phone = add_case(city_admin, title="案例")
    with_phone.effects = "咨询电话 13812345678"
    with_phone.save()
    services.submission_submit(actor=city_admin, submission=with_id.submission)
    with pytest.raises(ValidationError) as exc:
        services.item_feature(actor=province_admin, item=with_id, featured=True)
    assert exc.value.code == "pii" and "身份证号" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.item_feature(actor=province_admin, item=with_phone, featured=True)
    assert "手机号码" in exc.value.messages[0]
    assert not Material.objects.filter(is_featured=True).exists()


def test_summary2_search_over_titles_and_captions(anonymous, published):
    html = anonymous.get(reverse("public:index"), {"q": "乡村教师研修"}).content.decode()
    assert "晋祠小学送教下乡" in html  # matched by its caption
    assert "《秋天》教学设计" not in html
    html = anonymous.get(reverse("public:index"), {"q": "内部资料"}).content.decode()
    assert "未公开的照片" not in html


def test_summary2_published_file_is_served_to_anyone(anonymous, published):
    picture = published["picture"]
    response = anonymous.get(reverse("public:file", args=[picture.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == picture.file.open("rb").read()
    assert anonymous.get(reverse("public:thumb", args=[picture.public_id])).status_code == 200
    video = published["video"]
    ranged = anonymous.get(reverse("public:file", args=[video.public_id]), HTTP_RANGE="bytes=0-15")
    assert ranged.status_code == 206
    assert b"".join(ranged.streaming_content) == mp4_bytes()[:16]


def test_public_request_for_unpublished_file_is_404_and_audited(anonymous, published):
    hidden = published["hidden"]
    for name in ("public:file", "public:thumb", "public:material"):
        response = anonymous.get(reverse(name, args=[hidden.public_id]))
        assert response.status_code == 404
    events = AuditEvent.objects.filter(action="summary.public_access_denied", object_id=str(hidden.pk))
    assert events.count() == 3
    assert events.first().actor_name == "匿名访问"
    # A draft case and an unknown id are 404 too.
    draft_case = add_case(published["draft"].created_by, "140200", title="大同草稿案例")
    assert anonymous.get(reverse("public:case", args=[draft_case.pk])).status_code == 404
    import uuid

    assert anonymous.get(reverse("public:file", args=[uuid.uuid4()])).status_code == 404


def test_summary2_taking_an_item_down_removes_it_at_once(anonymous, published, province_admin):
    picture = published["picture"]
    services.item_feature(actor=province_admin, item=picture, featured=False)
    assert anonymous.get(reverse("public:file", args=[picture.public_id])).status_code == 404
    assert "晋祠小学送教下乡" not in anonymous.get(reverse("public:index")).content.decode()
    assert AuditEvent.objects.filter(action="summary.material_unfeature").count() == 1


def test_summary2_case_page_shows_only_its_published_materials(anonymous, published):
    html = anonymous.get(reverse("public:case", args=[published["case"].pk])).content.decode()
    assert "晋祠小学送教下乡" in html
    assert "未公开的照片" not in html
    assert str(published["hidden"].public_id) not in html


def test_public_index_query_count_does_not_grow(anonymous, published, city_admin, province_admin,
                                                django_assert_max_num_queries):
    submission = services.submission_review(actor=province_admin, submission=published["submission"],
                                            accept=False, comment="请再补充")
    added = []
    for n in range(8):
        added.append(add_material(city_admin, data=jpeg_bytes(color=(n * 20, 10, 10)), title=f"图片{n}"))
        added.append(add_case(city_admin, title=f"案例{n}"))
        added.append(add_outcome(city_admin, title=f"成果{n}"))
    services.submission_submit(actor=city_admin, submission=submission)
    for item in added:
        services.item_feature(actor=province_admin, item=item, featured=True)
    with django_assert_max_num_queries(6):
        assert anonymous.get(reverse("public:index")).status_code == 200
    for section in ("cases", "images", "videos", "outcomes"):
        with django_assert_max_num_queries(4):
            assert anonymous.get(reverse("public:index"), {"section": section}).status_code == 200
