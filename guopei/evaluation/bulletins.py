"""The bulletin (通报) of a year's evaluation results (MGMT-7): its frozen figures, its charts, Word and PDF.

The figures are taken once into `Bulletin.data` (a JSON snapshot), so a bulletin says the same thing however the
data change later. Charts are horizontal bars drawn here: SVG for the PDF (WeasyPrint) and PNG for Word (which
cannot show SVG), both from the same layout, with the "Noto Sans CJK SC" font for the Chinese labels.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from . import performance, scoring
from .models import Bulletin, CompositeWeights, FieldVisit, Forum, Response, ThirdPartyScore

FONT_FAMILY = "Noto Sans CJK SC"
FONT_FILE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_SC_INDEX = 2  # the collection's Simplified Chinese face
CHART_TOP = 15  # rows drawn in a chart; the tables list everyone
BAR_COLOUR = "#2f6db5"

DEFAULT_COMMENTARY = (
    "请各市、县（市、区）教育行政部门和各承训机构对照评估结果，认真总结经验，查找问题和不足，"
    "制定整改措施，切实提高培训的针对性和实效性。\n"
    "综合得分排名靠前的承训机构，在今后的项目招标中以往绩效予以体现；"
    "评估中发现的突出问题，相关单位须在通报印发后一个月内将整改情况报省教育厅教师工作处。"
)


def _dec(value: Any) -> str:
    return "—" if value in (None, "") else f"{float(value):.2f}"


# --- snapshot --------------------------------------------------------------------------------------------------
def build_snapshot(year: int) -> dict[str, Any]:
    """The year's figures as plain JSON: weights, counts and the ranked tables (with the previous year's)."""
    weights = CompositeWeights.objects.get(year=year)
    survey_ids = list(performance.survey_scores(year))
    return {
        "year": year,
        "previous_year": performance.previous_year(year),
        "weights": weights.as_dict(),
        "counts": {
            "surveys": len(survey_ids),
            "responses": Response.objects.filter(survey_id__in=survey_ids).count(),
            "visits": FieldVisit.objects.filter(year=year, state=FieldVisit.State.SUBMITTED).count(),
            "forums": Forum.objects.filter(year=year).count(),
            "third_party": ThirdPartyScore.objects.filter(year=year).count(),
        },
        "institutions": [r.as_dict() for r in performance.table(year, "institution")],
        "cities": [r.as_dict() for r in performance.table(year, "city")],
        "counties": [r.as_dict() for r in performance.table(year, "county")],
        "categories": [r.as_dict() for r in performance.table(year, "category")],
        "generated_at": timezone.now().isoformat(),
    }


def recipients_of(data: dict[str, Any]) -> tuple[list[str], list[int]]:
    """The regions (cities and counties) and institutions a bulletin reports on, and is therefore sent to."""
    regions = sorted({row["key"] for row in data.get("cities", []) + data.get("counties", [])})
    institutions = sorted({int(row["key"]) for row in data.get("institutions", [])})
    return regions, institutions


# --- the text of the bulletin ------------------------------------------------------------------------------------
@dataclass
class Section:
    heading: str
    paragraphs: list[str]
    table: tuple[list[str], list[list[str]]] | None = None
    chart: list[tuple[str, float]] | None = None
    chart_title: str = ""


TABLE_HEADERS = ["排名", "{name}", "学员评教", "专家调研", "学员座谈", "第三方评估", "综合得分", "上年得分"]


def _table(rows: list[dict[str, Any]], name: str) -> tuple[list[str], list[list[str]]]:
    headers = [h.format(name=name) for h in TABLE_HEADERS]
    body = [[str(r["rank"] or "—"), r["label"], *(_dec(r["inputs"].get(k)) for k in scoring.INPUTS),
             _dec(r["composite"]), _dec(r["previous"])] for r in rows]
    return headers, body


def _chart(rows: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(r["label"], float(r["composite"])) for r in rows if r["composite"] is not None][:CHART_TOP]


def _overview(c: dict[str, int]) -> str:
    """The year's evaluation work in one sentence, naming only what took place."""
    parts = []
    if c["surveys"]:
        parts.append(f"{c['surveys']}个班次的{c['responses']}名学员参加匿名评教")
    if c["visits"]:
        parts.append(f"专家实地调研{c['visits']}次")
    if c["forums"]:
        parts.append(f"召开学员座谈会{c['forums']}场")
    if c["third_party"]:
        parts.append(f"第三方评估机构评估项目标段{c['third_party']}个")
    return "本年度" + "，".join(parts) + "。" if parts else "本年度尚无评估数据。"


def issue_date(bulletin: Bulletin) -> datetime:
    return timezone.localtime(bulletin.published_at or timezone.now())


def sections(bulletin: Bulletin) -> list[Section]:
    data = bulletin.data
    year = data["year"]
    w = data["weights"]
    c = data["counts"]
    result = [
        Section("", [
            f"为加强国培计划项目管理、提高培训质量，省教育厅通过学员匿名评教、专家实地调研、学员座谈和第三方评估，"
            f"对{year}年国培计划各承训机构和各市、县（市、区）的项目实施情况进行了绩效评估。现将评估结果通报如下。",
        ]),
        Section("一、评估工作概况", [
            _overview(c),
            f"综合得分由四项评价加权得出，权重为：学员评教{w['survey']}%、专家实地调研{w['visit']}%、"
            f"学员座谈{w['forum']}%、第三方评估{w['third_party']}%。各项得分均折算为百分制；"
            f"某项评价缺少时，其权重按其余各项权重的比例分配。",
        ]),
    ]
    previous = f"“上年得分”为{data['previous_year']}年的综合得分。" if data.get("previous_year") else ""
    if data["institutions"]:
        best = data["institutions"][0]
        result.append(Section("二、承训机构绩效评估结果", [
            f"参加评估的承训机构共{len(data['institutions'])}个，综合得分最高的是{best['label']}"
            f"（{_dec(best['composite'])}分）。{previous}",
        ], _table(data["institutions"], "培训机构"), _chart(data["institutions"]), "承训机构综合得分"))
    if data["cities"]:
        result.append(Section("三、各市绩效评估结果", [
            f"有评估结果的市共{len(data['cities'])}个，各市得分依据在本市实施的项目和在本市开展的调研、座谈与评估计算。",
        ], _table(data["cities"], "市"), _chart(data["cities"]), "各市综合得分"))
    if data["categories"]:
        result.append(Section("四、各项目类别绩效情况", [
            "按项目类别汇总的评估结果如下。",
        ], _table(data["categories"], "项目类别")))
    numbers = "一二三四五六"
    commentary = [p.strip() for p in (bulletin.commentary or "").splitlines() if p.strip()]
    result.append(Section(f"{numbers[len(result) - 1]}、评述与要求", commentary or [DEFAULT_COMMENTARY]))
    return result


def signature(bulletin: Bulletin) -> tuple[str, str]:
    day = issue_date(bulletin)
    return getattr(settings, "BULLETIN_ISSUER", "山西省教育厅"), f"{day.year}年{day.month}月{day.day}日"


# --- charts ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartLayout:
    width: int = 640
    label_width: int = 190
    row: int = 26
    top: int = 34
    bottom: int = 24
    value_width: int = 56

    def height(self, n: int) -> int:
        return self.top + self.row * n + self.bottom

    def bar(self, value: float) -> float:
        span = self.width - self.label_width - self.value_width - 10
        return max(0.0, min(value, 100.0)) / 100.0 * span


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def chart_svg(title: str, items: list[tuple[str, float]], layout: ChartLayout = ChartLayout()) -> str:
    """A horizontal bar chart (0-100) as SVG text; labels are escaped."""
    h = layout.height(len(items))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}" height="{h}" '
             f'viewBox="0 0 {layout.width} {h}" font-family="{FONT_FAMILY}" font-size="12">',
             f'<text x="{layout.width / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>']
    axis_x = layout.label_width
    for i, (label, value) in enumerate(items):
        y = layout.top + i * layout.row
        length = layout.bar(value)
        parts.append(f'<text x="{axis_x - 6}" y="{y + 16}" text-anchor="end">{escape(_short(label))}</text>')
        parts.append(f'<rect x="{axis_x}" y="{y + 4}" width="{length:.1f}" height="{layout.row - 8}" '
                     f'fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{axis_x + length + 4:.1f}" y="{y + 16}">{value:.2f}</text>')
    parts.append(f'<line x1="{axis_x}" y1="{layout.top}" x2="{axis_x}" y2="{h - layout.bottom}" stroke="#555"/>')
    parts.append("</svg>")
    return "".join(parts)


def chart_png(title: str, items: list[tuple[str, float]], layout: ChartLayout = ChartLayout(),
              scale: int = 2) -> bytes:
    """The same chart as a PNG (for Word), drawn with Pillow at `scale`× for print."""
    from PIL import Image, ImageDraw, ImageFont

    def font(size: int) -> Any:
        if FONT_FILE.exists():
            return ImageFont.truetype(str(FONT_FILE), size * scale, index=FONT_SC_INDEX)
        return ImageFont.load_default()

    width, height = layout.width * scale, layout.height(len(items)) * scale
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    small, big = font(12), font(14)
    draw.text((width / 2, 10 * scale), title, fill="black", font=big, anchor="mt")
    axis_x = layout.label_width * scale
    for i, (label, value) in enumerate(items):
        y = (layout.top + i * layout.row) * scale
        length = layout.bar(value) * scale
        middle = y + layout.row * scale / 2
        draw.text((axis_x - 6 * scale, middle), _short(label), fill="black", font=small, anchor="rm")
        draw.rectangle([axis_x, y + 4 * scale, axis_x + length, y + (layout.row - 4) * scale], fill=BAR_COLOUR)
        draw.text((axis_x + length + 4 * scale, middle), f"{value:.2f}", fill="black", font=small, anchor="lm")
    draw.line([axis_x, layout.top * scale, axis_x, height - layout.bottom * scale], fill="#555555", width=scale)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --- Word --------------------------------------------------------------------------------------------------------
def _set_font(run: Any, size: float | None = None, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT_FAMILY
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_FAMILY)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold


def render_docx(bulletin: Bulletin) -> bytes:
    """The bulletin as a Word document (python-docx), Chinese in Noto Sans CJK SC, tables and charts inside."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = FONT_FAMILY
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_FAMILY)
    for section in document.sections:
        section.left_margin = section.right_margin = Cm(2.2)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(title.add_run(bulletin.title), 18, bold=True)
    if bulletin.doc_number:
        number = document.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(number.add_run(bulletin.doc_number), 12)
    _set_font(document.add_paragraph().add_run("各市、县（市、区）教育局，各有关承训机构："), 12)
    for part in sections(bulletin):
        if part.heading:
            _set_font(document.add_paragraph().add_run(part.heading), 14, bold=True)
        for text in part.paragraphs:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(24)
            _set_font(paragraph.add_run(text), 12)
        if part.chart:
            document.add_picture(io.BytesIO(chart_png(part.chart_title, part.chart)), width=Cm(16))
        if part.table:
            headers, body = part.table
            table = document.add_table(rows=1, cols=len(headers))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, headers, strict=True):
                cell.text = ""
                _set_font(cell.paragraphs[0].add_run(text), 10.5, bold=True)
            for row in body:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = ""
                    _set_font(cell.paragraphs[0].add_run(text), 10.5)
            document.add_paragraph()
    issuer, day = signature(bulletin)
    for text in (issuer, day):
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_font(paragraph.add_run(text), 12)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------------
def render_html(bulletin: Bulletin) -> str:
    parts = []
    for part in sections(bulletin):
        chart = ""
        if part.chart:
            svg = chart_svg(part.chart_title, part.chart).encode("utf-8")
            chart = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
        parts.append({"section": part, "chart": chart})
    issuer, day = signature(bulletin)
    return render_to_string("evaluation/bulletin_pdf.html", {
        "bulletin": bulletin, "parts": parts, "issuer": issuer, "day": day, "font": FONT_FAMILY,
    })


def render_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as PDF (WeasyPrint) from the HTML template, with the CJK font and the SVG charts."""
    from weasyprint import HTML

    return HTML(string=render_html(bulletin)).write_pdf()
