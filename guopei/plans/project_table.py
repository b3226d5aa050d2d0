"""The plan's project table in the appendix format: the import template, the export, and row parsing.

One row is one project or sub-project. The XLSX export uses the same columns, so an exported plan can be
edited and imported back into the next revision.

Rules a row must satisfy (checked here, then by the same services the forms use):
- 项目编号 unique in the file; the import updates the project with that code in the plan, or adds it.
- 项目类别 is a category of the catalogue (PLAN-2).
- A sub-project row fills 子项目名称 and 上级项目编号 (a project in the file or already in the plan).
- 培训人数 and the hours are whole numbers ≥ 0.
- Hours: the components' hours add up to 总学时, and 总学时 ≤ 培训天数 × 10 (a training day carries at most 10
  hours); an IT 2.0 project has at least 50 hours, 25 of them 返岗实践 (PLAN-5).
- 实施县区代码 are six-digit county codes; restricted and IT 2.0 projects take the year's lists (PLAN-3).
- 项目预算 empty means quota × days × standard (PLAN-6); a different figure is kept as set explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from guopei.core.spreadsheets import RowError
from guopei.orgs.models import Institution, Region, School

from .models import MAX_HOURS_PER_DAY, Category, Project, ProjectComponent
from .services import ProjectInput

COMPONENT_COLUMNS = [(f"{label}学时", kind) for kind, label in ProjectComponent.Kind.choices]

HEADERS = [
    "项目编号", "项目类别", "项目名称", "子项目名称", "上级项目编号", "培训对象（说明）",
    "学段", "岗位", "学科", "骨干级别", "仅限乡村学校", "学前教育专业", "教龄下限", "教龄上限", "入职年限内",
    "仅限民办幼儿园", "仅限项目区县", "信息技术2.0项目", "培训形式", "培训天数", "总学时",
    *[c for c, _ in COMPONENT_COLUMNS],
    "培训人数", "实施县区代码", "经费标准（元/人/天）", "项目预算（元）", "开始日期", "结束日期",
    "延续2019年项目", "2019年项目名称", "2019年承训机构",
]
TEXT_COLUMNS = [HEADERS.index("项目编号"), HEADERS.index("上级项目编号"), HEADERS.index("实施县区代码")]

NOTES = [
    "国培计划年度项目规划表填写说明",
    "1. 第一行为表头，请勿修改、增删列；每行一个项目或子项目。",
    "2. 项目编号在本表中不得重复；导入时按项目编号更新规划中已有的项目，或新增项目；表中没有的项目不会被删除。",
    "3. 项目类别须为项目类别目录中的名称（如：乡村中小学教师专业能力建设、幼儿园新入职教师规范化培训）。",
    "4. 子项目：填写“子项目名称”和“上级项目编号”；上级项目的培训人数和预算为各子项目之和，可留空。",
    "5. 学段填写：" + "、".join(School.Kind.labels) + "；多个用顿号分隔，留空为不限。",
    "6. 岗位填写：" + "、".join(Project.Post.labels) + "；骨干级别填写：" + "、".join(Project.BackboneLevel.labels)
    + "；留空为不限。",
    "7. 是/否列填“是”或“否”；“学前教育专业”留空为不限。",
    "8. 培训形式填写：" + "、".join(Project.Form.labels) + "。",
    f"9. 学时规则：各环节学时之和须等于总学时；总学时不得超过培训天数×{MAX_HOURS_PER_DAY}；"
    "信息技术2.0项目总学时不少于50，其中返岗实践（实践应用）不少于25学时。",
    "10. 实施县区代码填6位县级区划代码，多个用顿号分隔；“仅限项目区县”或信息技术2.0项目按当年项目区县名单自动设定。",
    "11. 项目预算留空时按 培训人数×培训天数×经费标准 计算；填写其他数额即为单独核定的预算。",
    "12. 日期格式：2020-08-20。导入为“全部成功或全部不导入”：任何一行有错，均不保存，并提供错误明细下载。",
]

YES = {"是", "Y", "y", "yes", "1", "√", "TRUE", "True", "true"}
NO = {"否", "N", "n", "no", "0", "", "FALSE", "False", "false"}


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return "是" if value else "否"


def _join(values: Iterable[str]) -> str:
    return "、".join(values)


def project_row(project: Project) -> list[Any]:
    """One export row, in HEADERS order. `project` should come with components, counties and parent loaded."""
    kinds = dict(School.Kind.choices)
    posts = dict(Project.Post.choices)
    levels = dict(Project.BackboneLevel.choices)
    components = {c.kind: c.hours for c in project.components.all()}
    is_child = project.parent_id is not None
    return [
        project.code,
        project.category.name,
        project.parent.name if is_child else project.name,
        project.name if is_child else "",
        project.parent.code if is_child else "",
        project.target_description,
        _join(kinds.get(s, s) for s in project.target_segments or []),
        _join(posts.get(p, p) for p in project.target_posts or []),
        _join(project.target_subjects or []),
        _join(levels.get(b, b) for b in project.target_backbone_levels or []),
        _yes_no(project.rural_only),
        _yes_no(project.preschool_major),
        project.service_years_min,
        project.service_years_max,
        project.hired_within_years,
        _yes_no(project.private_kindergartens_only),
        _yes_no(project.project_counties_only),
        _yes_no(project.is_it20),
        project.get_training_form_display(),
        project.days,
        project.hours,
        *[components.get(kind) for _, kind in COMPONENT_COLUMNS],
        project.quota,
        _join(sorted(c.code for c in project.counties.all())),
        float(project.cost_standard),
        float(project.budget),
        project.start_date,
        project.end_date,
        _yes_no(project.continues_from_2019),
        project.previous_project_name,
        project.previous_institution.name if project.previous_institution_id else "",
    ]


# --- parsing ------------------------------------------------------------------------------------------------
@dataclass
class ParsedRow:
    line: int
    code: str
    parent_code: str
    data: ProjectInput
    quota_given: int | None
    budget_given: Decimal | None
    errors: list[RowError] = field(default_factory=list)


class _RowParser:
    def __init__(self, line: int, values: dict[str, Any]) -> None:
        self.line = line
        self.values = values
        self.errors: list[RowError] = []

    def error(self, column: str, reason: str) -> None:
        self.errors.append(RowError(self.line, column, self.values.get(column, ""), reason))

    def text(self, column: str) -> str:
        value = self.values.get(column)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def integer(self, column: str, *, required: bool = False) -> int | None:
        raw = self.values.get(column)
        if raw in (None, ""):
            if required:
                self.error(column, "必填。")
            return None
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            self.error(column, "应为整数。")
            return None
        if number != number.to_integral_value():
            self.error(column, "应为整数。")
            return None
        if number < 0:
            self.error(column, "不能为负数。")
            return None
        if number > 1_000_000:
            self.error(column, "数值过大。")
            return None
        return int(number)

    def money(self, column: str) -> Decimal | None:
        raw = self.values.get(column)
        if raw in (None, ""):
            return None
        try:
            amount = Decimal(str(raw).replace(",", "").strip())
        except InvalidOperation:
            self.error(column, "应为金额（元）。")
            return None
        if not amount.is_finite() or amount < 0:
            self.error(column, "不能为负数。")
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.error(column, "金额最多两位小数。")
            return None
        return amount.quantize(Decimal("0.01"))

    def flag(self, column: str, *, nullable: bool = False) -> bool | None:
        text = self.text(column)
        if nullable and text == "":
            return None
        if text in YES:
            return True
        if text in NO:
            return False
        self.error(column, "应填“是”或“否”。")
        return None

    def date(self, column: str) -> date | None:
        raw = self.values.get(column)
        if raw in (None, ""):
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip().replace("/", "-").replace(".", "-"))
        except ValueError:
            self.error(column, "日期格式应为 2020-08-20。")
            return None

    def choices(self, column: str, choices: Iterable[tuple[str, str]]) -> list[str]:
        by_label = {label: value for value, label in choices}
        by_value = {value: value for value in by_label.values()}
        result = []
        for part in _split(self.text(column)):
            value = by_label.get(part) or by_value.get(part)
            if value is None:
                self.error(column, f"无法识别“{part}”，可填：{'、'.join(by_label)}。")
            else:
                result.append(value)
        return result


def _split(text: str) -> list[str]:
    from .forms import split_list

    return split_list(text)


def check_headers(headers: list[str]) -> list[RowError]:
    """Wrong headers refuse the whole file: every missing or unknown column is reported on line 1."""
    errors = []
    present = [h for h in headers if h]
    for h in HEADERS:
        if h not in present:
            errors.append(RowError(1, h, "", "缺少此列，请使用下载的模板。"))
    for h in present:
        if h not in HEADERS:
            errors.append(RowError(1, h, h, "模板中没有此列，请使用下载的模板。"))
    seen: set[str] = set()
    for h in present:
        if h in seen:
            errors.append(RowError(1, h, h, "列名重复。"))
        seen.add(h)
    return errors


def parse_rows(headers: list[str], rows: list[list[Any]], *, categories: dict[str, Category],
               institutions: dict[str, Institution], county_codes: set[str]) -> list[ParsedRow]:
    """Turn the sheet into ProjectInput rows, collecting every row-level error with its line and column."""
    parsed: list[ParsedRow] = []
    forms_by_label = {label: value for value, label in Project.Form.choices}
    for index, raw in enumerate(rows):
        line = index + 2
        values = dict(zip(headers, raw, strict=False))
        p = _RowParser(line, values)
        code = p.text("项目编号")
        if not code:
            p.error("项目编号", "必填。")
        elif len(code) > 30:
            p.error("项目编号", "不超过30个字符。")
        category = categories.get(p.text("项目类别"))
        if category is None:
            p.error("项目类别", "不在项目类别目录中（PLAN-2）。")
        sub_name = p.text("子项目名称")
        parent_code = p.text("上级项目编号")
        name = sub_name or p.text("项目名称")
        if not name:
            p.error("项目名称", "必填。")
        if sub_name and not parent_code:
            p.error("上级项目编号", "子项目须填写上级项目编号。")
        if parent_code and not sub_name:
            p.error("子项目名称", "填写了上级项目编号的行须填写子项目名称。")
        if parent_code and parent_code == code:
            p.error("上级项目编号", "不能是本项目自己。")
        form_label = p.text("培训形式")
        training_form = forms_by_label.get(form_label) or (form_label if form_label in Project.Form.values else "")
        if not training_form:
            p.error("培训形式", f"应为：{'、'.join(forms_by_label)}。")
        days = p.integer("培训天数", required=True)
        hours = p.integer("总学时", required=True)
        quota = p.integer("培训人数")
        components = {kind: p.integer(col) or 0 for col, kind in COMPONENT_COLUMNS}
        if days is not None and hours is not None and days and hours > days * MAX_HOURS_PER_DAY:
            p.error("总学时", f"总学时{hours}超过培训天数×{MAX_HOURS_PER_DAY}（{days * MAX_HOURS_PER_DAY}）。")
        total = sum(components.values())
        if hours is not None and total and total != hours:
            p.error("总学时", f"各环节学时合计{total}，与总学时{hours}不一致。")
        is_it20 = p.flag("信息技术2.0项目")
        if is_it20 and hours is not None:
            from .models import IT20_MIN_HOURS, IT20_MIN_PRACTICE_HOURS

            if hours < IT20_MIN_HOURS:
                p.error("总学时", f"信息技术2.0项目总学时不得少于{IT20_MIN_HOURS}（PLAN-5）。")
            if components.get(ProjectComponent.Kind.PRACTICE, 0) < IT20_MIN_PRACTICE_HOURS:
                p.error("返岗实践学时", f"信息技术2.0项目返岗实践学时不得少于{IT20_MIN_PRACTICE_HOURS}（PLAN-5）。")
        codes = _split(p.text("实施县区代码"))
        unknown = [c for c in codes if c not in county_codes]
        if unknown:
            p.error("实施县区代码", f"未知的县区代码：{'、'.join(unknown)}。")
        standard = p.money("经费标准（元/人/天）")
        budget = p.money("项目预算（元）")
        previous_name = p.text("2019年项目名称")
        institution_name = p.text("2019年承训机构")
        previous_institution = None
        if institution_name:
            previous_institution = institutions.get(institution_name)
            if previous_institution is None:
                p.error("2019年承训机构", "培训机构目录中没有此机构。")
        fields: dict[str, Any] = {
            "code": code,
            "name": name,
            "category": category,
            "target_description": p.text("培训对象（说明）"),
            "target_segments": p.choices("学段", School.Kind.choices),
            "target_posts": p.choices("岗位", Project.Post.choices),
            "target_subjects": _split(p.text("学科")),
            "target_backbone_levels": p.choices("骨干级别", Project.BackboneLevel.choices),
            "rural_only": bool(p.flag("仅限乡村学校")),
            "preschool_major": p.flag("学前教育专业", nullable=True),
            "service_years_min": p.integer("教龄下限"),
            "service_years_max": p.integer("教龄上限"),
            "hired_within_years": p.integer("入职年限内"),
            "private_kindergartens_only": bool(p.flag("仅限民办幼儿园")),
            "project_counties_only": bool(p.flag("仅限项目区县")),
            "is_it20": bool(is_it20),
            "training_form": training_form,
            "days": days or 0,
            "hours": hours or 0,
            "quota": quota or 0,
            "cost_standard": standard or Decimal("0.00"),
            "start_date": p.date("开始日期"),
            "end_date": p.date("结束日期"),
            "continues_from_2019": bool(p.flag("延续2019年项目")),
            "previous_project_name": previous_name,
            "previous_institution": previous_institution,
        }
        if quota is None and not p.text("培训人数"):
            fields["quota"] = 0
        parsed.append(ParsedRow(line=line, code=code, parent_code=parent_code,
                                data=ProjectInput(fields=fields, components=components, county_codes=codes),
                                quota_given=quota, budget_given=budget, errors=p.errors))
    return parsed


def known_county_codes() -> set[str]:
    return set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
