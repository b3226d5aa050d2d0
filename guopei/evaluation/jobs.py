"""The background import of an evaluation agency's scores (第三方评估, MGMT-7).

Every row is checked first; one error anywhere and nothing is stored, and the person downloads the error file
(row, column, value, reason). A clean file is written in one transaction; importing the same file again changes
nothing, and a later file replaces the score of the same institution, project and county.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.conf import settings

from guopei.core.jobs import JobContext, JobError, job_handler
from guopei.core.spreadsheets import RowError, SpreadsheetError, error_file, read_table
from guopei.orgs.models import Institution, Region
from guopei.plans.models import Project

from . import services

THIRD_PARTY_IMPORT = "evaluation.third_party_import"
HEADERS = ["机构名称", "项目编号", "县区代码", "得分", "满分", "评语"]
REQUIRED = ["机构名称", "项目编号", "得分"]
NOTES = [
    "第三方评估得分导入说明",
    "1. 每行是评估机构对一个承训机构承担的一个项目（信息技术2.0项目为一个县区标段）的评分。",
    "2. 机构名称须与平台中的培训机构名称完全一致；项目编号为所选年度年度规划中的项目编号。",
    "3. 县区代码：信息技术2.0等按县区招标的项目填6位县级区划代码，其余项目留空（表示全省）。",
    "4. 得分为不小于0的数字；满分留空时按100分计，得分不能超过满分。",
    "5. 文件有任何错误时不导入任何数据，请下载错误明细修改后重新上传；同一文件重复导入不会改变数据。",
]
MSG_ERRORS = "发现 {n} 处错误，未导入任何数据。请下载错误明细，修改后重新上传。"
MSG_DUPLICATE = "此文件此前已导入，本次未改变任何数据。"
MSG_DONE = "导入完成：新增{created}条，更新{updated}条，未变{unchanged}条。"


def template_xlsx() -> bytes:
    from guopei.core.spreadsheets import write_xlsx

    return write_xlsx(HEADERS, [["山西师范大学", "2020-01", "", 88.5, 100, "组织规范，学员满意度高"]],
                      text_columns=[1, 2], notes=NOTES)


def _reject(ctx: JobContext, errors: list[RowError]) -> NoReturn:
    ctx.save_result_file("第三方评估-错误明细.xlsx", error_file(errors))
    raise JobError(MSG_ERRORS.format(n=len(errors)))


def _decimal(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def parse_rows(headers: list[str], rows: list[list[Any]], year: int) -> tuple[list[services.ThirdPartyRow],
                                                                               list[RowError]]:
    """Check every row against the platform's institutions, the year's projects and the counties."""
    errors: list[RowError] = [RowError(1, h, "", "缺少此列，请使用下载的模板。") for h in REQUIRED if h not in headers]
    if errors:
        return [], errors
    institutions = {i.name: i.pk for i in Institution.objects.all()}
    projects = {p.code: p.pk for p in Project.objects.filter(plan__year=year, plan__province=settings.PROVINCE_CODE)}
    counties = set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    parsed: list[services.ThirdPartyRow] = []
    seen: dict[tuple[int, int, str], int] = {}
    for index, raw in enumerate(rows):
        line = index + 2
        values = dict(zip(headers, raw, strict=False))
        row_errors: list[RowError] = []
        name = str(values.get("机构名称") or "").strip()
        code = str(values.get("项目编号") or "").strip()
        county = str(values.get("县区代码") or "").strip()
        score_text, max_text = values.get("得分"), values.get("满分")
        comment = str(values.get("评语") or "").strip()
        if name not in institutions:
            row_errors.append(RowError(line, "机构名称", name, "平台中没有此培训机构（名称须完全一致）。"))
        if code not in projects:
            row_errors.append(RowError(line, "项目编号", code, f"{year}年年度规划中没有此项目编号。"))
        if county and county not in counties:
            row_errors.append(RowError(line, "县区代码", county, "不是有效的6位县级区划代码。"))
        score = _decimal(score_text) if score_text not in (None, "") else None
        maximum = _decimal(max_text) if max_text not in (None, "") else Decimal(100)
        if score is None or score < 0:
            row_errors.append(RowError(line, "得分", score_text, "得分应为不小于0的数字。"))
        if maximum is None or maximum <= 0:
            row_errors.append(RowError(line, "满分", max_text, "满分应为大于0的数字（留空按100分计）。"))
        if score is not None and maximum is not None and score > maximum:
            row_errors.append(RowError(line, "得分", score_text, "得分不能超过满分。"))
        if len(comment) > 500:
            row_errors.append(RowError(line, "评语", comment[:20] + "…", "评语不超过500字。"))
        if row_errors:
            errors.extend(row_errors)
            continue
        assert score is not None and maximum is not None
        key = (institutions[name], projects[code], county or settings.PROVINCE_CODE)
        if key in seen:
            errors.append(RowError(line, "项目编号", code, f"与第{seen[key]}行是同一机构、项目和县区。"))
            continue
        seen[key] = line
        parsed.append(services.ThirdPartyRow(line=line, institution_id=key[0], project_id=key[1], region_code=key[2],
                                             score=score.quantize(Decimal("0.01")),
                                             max_score=maximum.quantize(Decimal("0.01")), comment=comment))
    return parsed, errors


@job_handler(THIRD_PARTY_IMPORT)
def third_party_import(ctx: JobContext) -> dict[str, Any]:
    """Import an agency's scores for one year; all-or-nothing; the same file twice changes nothing."""
    job = ctx.job
    year = int(ctx.params["year"])
    filename = ctx.params.get("filename") or job.input_file.name
    with job.input_file.open("rb") as handle:
        content = handle.read()
    try:
        table = read_table(content, filename)
    except SpreadsheetError as exc:
        raise JobError(str(exc)) from None
    total = len(table.rows)
    ctx.progress(0, total, "正在校验各行……")
    rows, errors = parse_rows(table.headers, table.rows, year)
    if errors:
        _reject(ctx, errors)
    ctx.progress(total, total, "校验通过，正在写入……")
    counts = services.third_party_import(actor=job.owner, year=year, agency=ctx.params.get("agency", ""),
                                         file_name=filename, content=content, rows=rows)
    ctx.progress(total, total, MSG_DUPLICATE if counts.get("duplicate") else MSG_DONE.format(**counts))
    return counts
