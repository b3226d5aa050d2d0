"""Background jobs of the plan: the project-table import and the project-county list import (item 7, PLAN-3).

Both validate every row first, then write everything in one transaction through the services, so a file
with any error saves nothing and the person gets a downloadable error file (row, column, value, reason).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings

from guopei.core.jobs import JobContext, JobError, job_handler
from guopei.core.spreadsheets import RowError, SpreadsheetError, error_file, read_table
from guopei.orgs.models import Institution, Region

from . import services
from .models import AnnualPlan, Category
from .project_table import check_headers, known_county_codes, parse_rows

PROJECT_IMPORT = "plans.project_import"
COUNTY_IMPORT = "plans.county_import"

COUNTY_HEADERS = ["县区代码", "县区名称", "国培项目区县", "信息技术2.0项目区县", "备注"]
COUNTY_NOTES = [
    "项目区县名单（通知附件4）填写说明",
    "1. 每行一个县（市、区），县区代码为6位县级区划代码；县区名称仅供核对。",
    "2. “国培项目区县”“信息技术2.0项目区县”填“是”或“否”，一个县可同时列入两个名单，至少填一个“是”。",
    "3. 导入后，本年度名单以本表为准（表中没有的县区移出名单）；重复导入同一文件不会改变任何数据。",
    "4. 列入国培项目区县的，县级教师发展中心自动登记为共同实施单位（PLAN-4）。",
]

MSG_ERRORS = "发现 {n} 处错误，未导入任何数据。请下载错误明细，修改后重新上传。"


def _read(ctx: JobContext) -> Any:
    job = ctx.job
    try:
        with job.input_file.open("rb") as handle:
            data = handle.read()
        return read_table(data, ctx.params.get("filename") or job.input_file.name)
    except SpreadsheetError as exc:
        raise JobError(str(exc)) from None


def _reject(ctx: JobContext, errors: list[RowError], stem: str) -> NoReturn:
    ctx.save_result_file(f"{stem}-错误明细.xlsx", error_file(errors))
    raise JobError(MSG_ERRORS.format(n=len(errors)))


@job_handler(PROJECT_IMPORT)
def project_import(ctx: JobContext) -> dict[str, Any]:
    """Import the plan's project table; all-or-nothing; the same file twice changes nothing."""
    plan = AnnualPlan.objects.get(pk=ctx.params["plan_id"])
    actor = ctx.job.owner
    table = _read(ctx)
    header_errors = check_headers(table.headers)
    if header_errors:
        _reject(ctx, header_errors, "项目规划表")
    total = len(table.rows)
    ctx.progress(0, total, "正在校验各行……")
    parsed = parse_rows(
        table.headers, table.rows,
        categories={c.name: c for c in Category.objects.select_related("family")},
        institutions={i.name: i for i in Institution.objects.all()},
        county_codes=known_county_codes(),
    )
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(parsed, start=1):
        errors.extend(row.errors)
        if row.code:
            if row.code in seen:
                errors.append(RowError(row.line, "项目编号", row.code, f"项目编号与第{seen[row.code]}行重复。"))
            else:
                seen[row.code] = row.line
        if i % 20 == 0 or i == total:
            ctx.progress(i, total, "正在校验各行……")
    if errors:
        _reject(ctx, errors, "项目规划表")
    items = [services.ImportItem(line=r.line, parent_code=r.parent_code, data=r.data, quota_given=r.quota_given,
                                 budget_given=r.budget_given) for r in parsed]
    by_line = {r.line: r for r in parsed}
    try:
        counts = services.projects_import(plan=plan, actor=actor, items=items)
    except services.ImportRejected as exc:
        rejected = []
        for line, column, reason in exc.errors:
            values = dict(zip(table.headers, table.rows[line - 2], strict=False)) if line in by_line else {}
            rejected.append(RowError(line, column or "（整行）", values.get(column, "") if column else "", reason))
        _reject(ctx, rejected, "项目规划表")
    except services.PlanError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(total, total, "导入完成：新增{created}个，更新{updated}个，未变{unchanged}个。".format(**counts))
    return counts


@job_handler(COUNTY_IMPORT)
def county_import(ctx: JobContext) -> dict[str, Any]:
    """Replace the year's project-county lists with the appendix sheet (PLAN-3); all-or-nothing."""
    year = int(ctx.params["year"])
    table = _read(ctx)
    errors: list[RowError] = []
    for h in COUNTY_HEADERS:
        if h not in table.headers:
            errors.append(RowError(1, h, "", "缺少此列，请使用下载的模板。"))
    if errors:
        _reject(ctx, errors, "项目区县名单")
    counties = {r.code: r for r in Region.objects.filter(level=Region.Level.COUNTY,
                                                          code__startswith=settings.PROVINCE_CODE[:2])}
    rows: list[tuple[str, bool, bool, str]] = []
    seen: dict[str, int] = {}
    total = len(table.rows)
    ctx.progress(0, total, "正在校验各行……")
    for index, raw in enumerate(table.rows):
        line = index + 2
        values = dict(zip(table.headers, raw, strict=False))
        code = str(values.get("县区代码") or "").strip()
        flags = []
        for column in ("国培项目区县", "信息技术2.0项目区县"):
            text = str(values.get(column) or "").strip()
            if text in ("是", "否", ""):
                flags.append(text == "是")
            else:
                errors.append(RowError(line, column, text, "应填“是”或“否”。"))
                flags.append(False)
        if code not in counties:
            errors.append(RowError(line, "县区代码", code, "未知的县区代码（应为本省6位县级区划代码）。"))
        elif code in seen:
            errors.append(RowError(line, "县区代码", code, f"与第{seen[code]}行重复。"))
        else:
            seen[code] = line
            if not any(flags):
                errors.append(RowError(line, "国培项目区县", "", "至少一个名单填“是”。"))
        rows.append((code, flags[0], flags[1], str(values.get("备注") or "").strip()[:200]))
    ctx.progress(total, total, "正在校验各行……")
    if errors:
        _reject(ctx, errors, "项目区县名单")
    try:
        counts = services.project_counties_replace(actor=ctx.job.owner, year=year, rows=rows)
    except services.PlanError as exc:
        raise JobError(str(exc)) from None
    ctx.progress(total, total, "导入完成：新增{created}个，更新{updated}个，移出{removed}个。".format(**counts))
    return counts
