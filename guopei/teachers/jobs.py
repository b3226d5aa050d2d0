"""Background jobs of the teacher database: roster and history imports (progress on the job page)."""

from __future__ import annotations

from typing import Any

from guopei.core.jobs import JobContext, JobError, job_handler
from guopei.core.spreadsheets import error_file

from .roster_import import ImportFailed

ERROR_FILE_NAME = "错误明细.xlsx"


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
    return outcome.as_dict()


@job_handler("teachers.roster_import")
def roster_import_job(ctx: JobContext) -> dict[str, Any]:
    from .roster_import import roster_import

    return _run(ctx, roster_import)


@job_handler("teachers.history_import")
def history_import_job(ctx: JobContext) -> dict[str, Any]:
    from .history_import import history_import

    return _run(ctx, history_import)
