"""Background jobs: a `Job` row the user watches, and a django-tasks task that runs the registered handler.

A handler is a function `handler(ctx: JobContext) -> dict | None` registered under a kind with
`@job_handler("teachers.roster_import")`. `job_start` creates the row and enqueues the task once the
transaction commits. The handler reports progress through `ctx.progress`; if it raises, the job is marked
failed with a Chinese message and whatever the handler wrote in its own transaction is rolled back, so a
failed job leaves the data as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from .audit import audit_record
from .models import Job

logger = logging.getLogger(__name__)

JobHandler = Callable[["JobContext"], dict[str, Any] | None]
_HANDLERS: dict[str, JobHandler] = {}


class JobError(Exception):
    """An error the user can act on; its message (Chinese) is shown on the job page."""


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(func: JobHandler) -> JobHandler:
        _HANDLERS[kind] = func
        return func

    return register


@dataclass
class JobContext:
    job: Job

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record progress outside any open transaction's scope, so the job page sees it while work goes on."""
        fields: dict[str, Any] = {"done": done, "updated_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        if message:
            fields["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**fields)
        for key, value in fields.items():
            setattr(self.job, key, value)

    def save_result_file(self, name: str, content: bytes) -> None:
        self.job.result_file.save(name, ContentFile(content), save=False)
        self.job.result_name = name
        Job.objects.filter(pk=self.job.pk).update(result_file=self.job.result_file.name, result_name=name)


def job_start(
    *,
    kind: str,
    title: str,
    owner: Any,
    region_code: str = "",
    params: dict[str, Any] | None = None,
    input_name: str = "",
    input_content: bytes | None = None,
) -> Job:
    """Create a job and queue it to run after the current transaction commits."""
    if kind not in _HANDLERS:
        raise JobError(f"未知的任务类型：{kind}")
    with transaction.atomic():
        job = Job(kind=kind, title=title, owner=owner, region_code=region_code, params=params or {})
        if input_content is not None:
            job.input_file.save(input_name or "upload.bin", ContentFile(input_content), save=False)
        job.save()
        audit_record(actor=owner, action="job.start", obj=job, detail={"kind": kind, "title": title})
        job_id = job.pk
        transaction.on_commit(lambda: run_job.enqueue(job_id))
    return job


def job_execute(job_id: int) -> Job:
    """Run one job's handler now, recording state, timing and any error."""
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=timezone.now(), error="")
    job.refresh_from_db()
    ctx = JobContext(job)
    try:
        result = _HANDLERS[job.kind](ctx) or {}
    except JobError as exc:
        _finish(job, Job.State.FAILED, error=str(exc))
    except Exception as exc:  # a bug must not leave the job "running" forever
        logger.exception("job %s failed", job.pk)
        _finish(job, Job.State.FAILED, error=f"任务执行出错，已处理的内容均已撤销。（{type(exc).__name__}）")
    else:
        _finish(job, Job.State.SUCCEEDED, result=result)
    job.refresh_from_db()
    return job


def _finish(job: Job, state: str, *, error: str = "", result: dict[str, Any] | None = None) -> None:
    fields: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "error": error}
    if result is not None:
        fields["result"] = result
    Job.objects.filter(pk=job.pk).update(**fields)
    audit_record(actor=job.owner, action=f"job.{state}", obj=job, detail={"kind": job.kind, "error": error})


@task()
def run_job(job_id: int) -> None:
    job_execute(job_id)
