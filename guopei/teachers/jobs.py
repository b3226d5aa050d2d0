"""Background jobs of the teacher database: roster and history imports (progress on the job page)."""

from __future__ import annotations

from typing import Any

from guopei.core.jobs import JobContext, JobError, job_handler
from guopei.core.spreadsheets import error_file

from .roster_import import ImportFailed

ERROR_FILE_NAME = "错误明细.xlsx"
DONE_MESSAGE = "导入完成：共{rows}行，新增{created}条，更新{updated}条，未变化{unchanged}条。"


def _input(ctx: JobContext) -> tuple[bytes, str]:
    job = ctx.job
    with job.input_file.open("rb") as handle:
        data = handle.read()
    return data, str(job.params.get("filename") or job.input_file.name)


def _run(ctx: JobContext, importer: Any) -> dict[str, Any]:
    data, filename = _input(ctx)
    try:
        outcome = importer(data=data, filename=filename, actor=ctx.job.owner, progress=ctx.progress)
    except ImportFailed as exc:
        if exc.errors:
            ctx.save_result_file(ERROR_FILE_NAME, error_file(exc.errors.items))
        raise JobError(str(exc)) from None
    # The last progress message ("正在写入…") would otherwise stay on the finished job's page.
    ctx.progress(outcome.rows, outcome.rows, DONE_MESSAGE.format(**outcome.as_dict()))
    return outcome.as_dict()


@job_handler("teachers.roster_import")
def roster_import_job(ctx: JobContext) -> dict[str, Any]:
    from .roster_import import roster_import

    return _run(ctx, roster_import)


@job_handler("teachers.history_import")
def history_import_job(ctx: JobContext) -> dict[str, Any]:
    from .history_import import history_import

    return _run(ctx, history_import)


@job_handler("teachers.export")
def teachers_export_job(ctx: JobContext) -> dict[str, Any]:
    """Export the teachers the job's owner may see (scoped again when the job runs)."""
    from django.utils import timezone

    from .exports import teachers_xlsx
    from .selectors import teachers_for_user

    params = ctx.job.params
    qs = teachers_for_user(ctx.job.owner)
    if params.get("school_id"):
        qs = qs.filter(school_id=params["school_id"])
    total = qs.count()
    ctx.progress(0, total, "正在导出")
    content = teachers_xlsx(qs, unmasked=bool(params.get("unmasked")))
    ctx.progress(total, total, "导出完成")
    suffix = "（含完整身份证号）" if params.get("unmasked") else ""
    ctx.save_result_file(f"教师名册{suffix}-{timezone.localdate():%Y%m%d}.xlsx", content)
    return {"rows": total, "unmasked": bool(params.get("unmasked"))}
