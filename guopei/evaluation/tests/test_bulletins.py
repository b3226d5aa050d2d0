"""Bulletins (通报, MGMT-7): generated from the template, Word and PDF with Chinese that reads back, published to the
regions and institutions concerned, immutable once published."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guopei.evaluation import services
from guopei.evaluation.bulletins import DEFAULT_COMMENTARY, chart_png, chart_svg, render_docx, render_pdf
from guopei.evaluation.models import Bulletin, BulletinRecipient
from guopei.evaluation.selectors import bulletins_for_user
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory, make_user

from .factories import project_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(province_admin, institution):
    """2020 results: the persona's institution province-wide and 太原师范学院 in 小店区 (太原市)."""
    services.weights_set(actor=province_admin, year=2020, survey=40, visit=30, forum=10, third_party=20)
    other = InstitutionFactory(name="太原师范学院")
    p1, p2 = project_for(province_admin, 2020, "P01"), project_for(province_admin, 2020, "P02")
    services.third_party_import(actor=province_admin, year=2020, agency="示例评估院", file_name="a.xlsx", content=b"x",
                                rows=[services.ThirdPartyRow(1, institution.pk, p1.pk, "140000", Decimal(45),
                                                             Decimal(50), ""),
                                      services.ThirdPartyRow(2, other.pk, p2.pk, "140105", Decimal(80),
                                                             Decimal(100), "")])
    return {"a": institution, "b": other}


@pytest.fixture
def bulletin(results, province_admin):
    return services.bulletin_create(actor=province_admin, year=2020, doc_number="晋教师〔2021〕3号")


def docx_text(data: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        fonts = page["/Resources"]["/Font"].get_object()
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names


def test_mgmt7_bulletin_is_generated_from_the_template(bulletin, results):
    assert bulletin.title == "关于2020年国培计划绩效评估结果的通报"
    assert bulletin.status == Bulletin.Status.DRAFT
    assert bulletin.commentary == DEFAULT_COMMENTARY
    data = bulletin.data
    assert data["weights"] == {"survey": 40, "visit": 30, "forum": 10, "third_party": 20}
    assert [(r["label"], r["composite"], r["rank"]) for r in data["institutions"]] == [
        (results["a"].name, "90.00", 1), ("太原师范学院", "80.00", 2)]
    assert [(r["key"], r["composite"]) for r in data["cities"]] == [("140100", "80.00")]


def test_mgmt7_bulletin_needs_weights_and_results(province_admin):
    with pytest.raises(ValidationError) as exc:
        services.bulletin_create(actor=province_admin, year=2020)
    assert services.ERR_BULLETIN_NO_WEIGHTS.format(year=2020) in exc.value.messages
    services.weights_set(actor=province_admin, year=2020, survey=25, visit=25, forum=25, third_party=25)
    with pytest.raises(ValidationError) as exc:
        services.bulletin_create(actor=province_admin, year=2020)
    assert services.ERR_BULLETIN_NO_RESULTS.format(year=2020) in exc.value.messages


def test_mgmt7_bulletin_word_chinese_text_reads_back(bulletin, results, province_admin):
    bulletin = services.bulletin_update(bulletin=bulletin, actor=province_admin, title=bulletin.title,
                                        doc_number=bulletin.doc_number, commentary="各承训机构要对照问题认真整改。")
    text = docx_text(render_docx(bulletin))
    for expected in ("关于2020年国培计划绩效评估结果的通报", "晋教师〔2021〕3号", "一、评估工作概况",
                     "二、承训机构绩效评估结果", "三、各市绩效评估结果", "太原市", "太原师范学院", results["a"].name,
                     "90.00", "80.00", "学员评教40%", "各承训机构要对照问题认真整改。", "山西省教育厅"):
        assert expected in text, expected
    from docx import Document

    document = Document(io.BytesIO(render_docx(bulletin)))
    assert len(document.inline_shapes) == 2  # the institutions' and the cities' charts
    assert document.styles["Normal"].font.name == "Noto Sans CJK SC"


def test_mgmt7_bulletin_pdf_chinese_text_extracts(bulletin, results):
    data = render_pdf(bulletin)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data).replace(" ", "").replace("\n", "")
    for expected in ("关于2020年国培计划绩效评估结果的通报", "晋教师〔2021〕3号", "评估工作概况",
                     "承训机构绩效评估结果", "太原师范学院", "太原市", "综合得分", "山西省教育厅"):
        assert expected in text, expected
    assert any(name.endswith("Noto-Sans-CJK-SC") for name in pdf_fonts(data))


def test_mgmt7_charts_are_drawn_server_side():
    items = [("山西师范大学<&>", 90.0), ("太原师范学院", 80.0)]
    svg = chart_svg("承训机构综合得分", items)
    assert svg.startswith("<svg") and "山西师范大学&lt;&amp;&gt;" in svg and "<script" not in svg
    assert 'font-family="Noto Sans CJK SC"' in svg
    assert chart_png("承训机构综合得分", items).startswith(b"\x89PNG")


def test_mgmt7_published_bulletin_is_immutable_and_sent_to_those_concerned(bulletin, results, province_admin):
    published = services.bulletin_publish(bulletin=bulletin, actor=province_admin)
    assert published.is_published and published.docx_sha256 and published.pdf_sha256
    assert "太原师范学院" in docx_text(published.docx.read())
    regions = set(BulletinRecipient.objects.filter(bulletin=published, region__isnull=False)
                  .values_list("region_code", flat=True))
    assert regions == {"140100", "140105"}
    institutions = set(BulletinRecipient.objects.filter(bulletin=published, institution__isnull=False)
                       .values_list("institution_id", flat=True))
    assert institutions == {results["a"].pk, results["b"].pk}
    for attempt in (
        lambda: services.bulletin_update(bulletin=published, actor=province_admin, title="改", doc_number="",
                                         commentary="改"),
        lambda: services.bulletin_refresh(bulletin=published, actor=province_admin),
        lambda: services.bulletin_publish(bulletin=published, actor=province_admin),
        lambda: services.bulletin_delete(bulletin=published, actor=province_admin),
    ):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert services.ERR_BULLETIN_PUBLISHED in exc.value.messages
    published.refresh_from_db()
    assert published.title == "关于2020年国培计划绩效评估结果的通报"


def test_mgmt7_bulletins_are_listed_for_their_recipients(bulletin, results, province_admin, city_admin,
                                                         other_city_admin, county_admin, other_county_admin,
                                                         institution_staff):
    draft_only = list(bulletins_for_user(city_admin))
    assert draft_only == []  # a draft is the province's alone
    services.bulletin_publish(bulletin=bulletin, actor=province_admin)
    assert list(bulletins_for_user(city_admin)) == [bulletin]
    assert list(bulletins_for_user(county_admin)) == [bulletin]
    assert list(bulletins_for_user(institution_staff)) == [bulletin]
    assert list(bulletins_for_user(other_city_admin)) == []
    assert list(bulletins_for_user(other_county_admin)) == []
    yingze = make_user("county_admin", "140106", username="yz_admin")
    assert list(bulletins_for_user(yingze)) == [bulletin]  # sent to 太原市, so its counties see it
    stranger = make_user("institution_staff", institution=InstitutionFactory(name="忻州师范学院"), username="xz")
    assert list(bulletins_for_user(stranger)) == []
    assert Region.objects.get(code="140106").parent_id == "140100"


def test_mgmt7_bulletin_overview_names_only_what_took_place():
    from guopei.evaluation.bulletins import _overview

    counts = {"surveys": 2, "responses": 57, "visits": 0, "forums": 3, "third_party": 0}
    assert _overview(counts) == "本年度2个班次的57名学员参加匿名评教，召开学员座谈会3场。"
    assert _overview(dict.fromkeys(counts, 0)) == "本年度尚无评估数据。"
