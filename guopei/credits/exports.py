"""The transcript as PDF (学时证明/学分档案) and IT 2.0 progress as XLSX (MGMT-3, PLAN-5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from guopei.core.spreadsheets import write_xlsx
from guopei.teachers.models import Teacher

from .it20 import Overview, Progress, with_it20_hours
from .requirements import it20_min_hours, it20_min_practice_hours
from .selectors import Transcript


def transcript_pdf(transcript: Transcript) -> bytes:
    """The transcript as a printable A4 document; the CSS names Noto Sans CJK SC so Chinese is real text."""
    from weasyprint import HTML

    html = render_to_string("credits/transcript_pdf.html", {"t": transcript, "now": timezone.localtime()})
    return HTML(string=html).write_pdf()


SCHOOL_HEADERS = ["县（市、区）代码", "县（市、区）", "学校（幼儿园）", "教师人数", "已达标人数", "学时已满实践不足",
                  "未达标人数", "整校达标率（%）", "整校完成"]


def _school_rows(overview: Overview, schools: list[Progress], names: dict[str, str]) -> Iterator[list[Any]]:
    for s in schools:
        code = s.extra["county_code"]
        yield [code, names.get(code, ""), s.name, s.teachers, s.complete, s.hours_only, s.not_started,
               float(s.share), "是" if s.whole_schools else "否"]
    yield []
    for c in overview.counties:
        yield [c.code, c.name, f"县合计（{c.schools}所学校，{c.whole_schools}所整校完成）", c.teachers, c.complete,
               c.hours_only, c.not_started, float(c.share), ""]
    t = overview.total
    yield ["", "合计", f"{t.schools}所学校，{t.whole_schools}所整校完成", t.teachers, t.complete, t.hours_only,
           t.not_started, float(t.share), ""]


def it20_schools_xlsx(overview: Overview, schools: list[Progress]) -> bytes:
    names = {c.code: c.name for c in overview.counties}
    notes = [f"{overview.year}年信息技术应用能力提升工程2.0整校推进进度（PLAN-5）",
             f"达标：已认定的2.0研修学时不少于{it20_min_hours()}学时，其中实践应用不少于{it20_min_practice_hours()}学时。",
             f"导出时间：{timezone.localtime():%Y年%m月%d日 %H:%M}"]
    return write_xlsx(SCHOOL_HEADERS, _school_rows(overview, schools, names), sheet_name="整校推进进度",
                      text_columns=[0], notes=notes)


TEACHER_HEADERS = ["学校（幼儿园）", "姓名", "学段", "任教学科", "2.0研修学时", "其中实践学时", "是否达标"]


def it20_teachers_xlsx(teachers: QuerySet[Teacher], year: int, title: str) -> bytes:
    annotated: Any = with_it20_hours(teachers.select_related("school"), year)
    rows = (
        [t.school.name, t.name, t.get_segment_display(), t.subject, float(t.it20_hours), float(t.it20_practice),
         "达标" if t.it20_complete else "未达标"]
        for t in annotated.order_by("school__name", "name_pinyin", "pk").iterator(chunk_size=2000)
    )
    notes = [f"{year}年信息技术2.0研修学时：{title}（PLAN-5）",
             f"达标：不少于{it20_min_hours()}学时，其中实践应用不少于{it20_min_practice_hours()}学时。",
             f"导出时间：{timezone.localtime():%Y年%m月%d日 %H:%M}"]
    return write_xlsx(TEACHER_HEADERS, rows, sheet_name="教师学时", notes=notes)
