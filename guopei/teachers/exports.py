"""XLSX exports of teachers and of selection results; ID numbers and phones masked unless chosen otherwise.

Every text cell goes through `write_xlsx`, which neutralises cells starting with = + - @ (formula injection).
A masked export shows the birth year only: the masked ID number hides exactly the birth date, so the full date
beside it would give the number back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from guopei.core.pii import mask_id_number, mask_phone, pii_decrypt
from guopei.core.spreadsheets import write_xlsx
from guopei.orgs.models import School

from .models import BackboneLevel, Post, Teacher
from .selection import Selection

KINDS = dict(School.Kind.choices)
POSTS = dict(Post.choices)
BACKBONE = dict(BackboneLevel.choices)
STATUS = dict(Teacher.Status.choices)
EMPLOYMENT = dict(Teacher.EmploymentType.choices)
GENDER = dict(Teacher.Gender.choices)

# The same columns as the roster template, so an unmasked export can be corrected and imported again.
UNMASKED_HEADERS = ["姓名", "身份证号", "性别", "出生日期", "手机号", "学校标识码", "学段", "任教学科", "职称", "岗位",
                    "骨干级别", "学前教育专业", "首次任教日期", "用工性质", "状态", "学校名称"]
MASKED_HEADERS = ["姓名", "身份证号（脱敏）", "性别", "出生年份", "手机号（脱敏）", "学校标识码", "学段", "任教学科",
                  "职称", "岗位", "骨干级别", "学前教育专业", "首次任教日期", "用工性质", "状态", "学校名称"]


def _teacher_cells(t: Teacher, *, unmasked: bool) -> list[Any]:
    id_number = pii_decrypt(t.id_number)
    phone = pii_decrypt(t.phone)
    return [
        t.name,
        id_number if unmasked else mask_id_number(id_number),
        GENDER.get(t.gender, ""),
        t.birth_date if unmasked else t.birth_date.year,
        phone if unmasked else mask_phone(phone),
        t.school.code,
        KINDS.get(t.segment, ""),
        t.subject,
        t.title,
        POSTS.get(t.post, ""),
        BACKBONE.get(t.backbone_level, "无"),
        "是" if t.preschool_major else "否",
        t.first_employed_on,
        EMPLOYMENT.get(t.employment_type, ""),
        STATUS.get(t.status, ""),
        t.school.name,
    ]


def teachers_xlsx(qs: QuerySet[Teacher], *, unmasked: bool) -> bytes:
    rows: Iterator[list[Any]] = (
        _teacher_cells(t, unmasked=unmasked)
        for t in qs.select_related("school").order_by("school__code", "name_pinyin", "pk").iterator(chunk_size=2000)
    )
    notes = [] if unmasked else ["身份证号和手机号已脱敏；出生日期只显示年份。"]
    return write_xlsx(UNMASKED_HEADERS if unmasked else MASKED_HEADERS, rows, sheet_name="教师名册",
                      text_columns=[1, 4, 5], notes=notes)


SELECTION_HEADERS = ["排名", "是否符合", "不符合原因（规则）", "姓名", "身份证号（脱敏）", "学校", "学段", "任教学科",
                     "岗位", "骨干级别", "储备库", "往届参训次数", "最近参训年度", "排序得分"]


def selection_xlsx(selection: Selection) -> bytes:
    """Every teacher of the region: eligible ones ranked, the others with every reason and its rule."""

    def rows() -> Iterator[list[Any]]:
        rank = 0
        t: Any
        for t in selection.rows_for_export():
            reasons = selection.reasons_of(t)
            if not reasons:
                rank += 1
            yield [
                rank if not reasons else "",
                "否" if reasons else "是",
                "；".join(f"{r.label}（{r.rule}）" for r in reasons),
                t.name,
                mask_id_number(pii_decrypt(t.id_number)),
                t.school.name,
                KINDS.get(t.segment, ""),
                t.subject,
                POSTS.get(t.post, ""),
                BACKBONE.get(t.backbone_level, "无"),
                "是" if t.in_pool else "否",
                t.past_count,
                t.last_year or "",
                t.score,
            ]

    project = selection.project
    notes = [f"项目：{project.code} {project.name}（{project.plan.year}年）", f"区域代码：{selection.region_code}",
             f"判定日期：{selection.on_date:%Y-%m-%d}；参训次数周期：{selection.cycle[0]}—{selection.cycle[1]}年，"
             f"上限{selection.cap.cap}次；年度学时要求：{selection.hours_required}学时。"]
    return write_xlsx(SELECTION_HEADERS, rows(), sheet_name="遴选结果", text_columns=[4], notes=notes)
