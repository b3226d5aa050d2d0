"""Background jobs: a `Job` row the user watches, and a django-tasks task that runs the registered handler.

A handler is a function `handler(ctx: JobContext) -> dict | None` registered under a kind with
`@job_handler("teachers.roster_import")` in `guopei/<app>/jobs.py`, which the app imports in its
`AppConfig.ready()` so that web and worker processes both know it. `job_start` creates the row and enqueues
the task once the transaction commits. The handler reports progress through `ctx.progress`; if it raises, the
job is marked failed with a Chinese message and whatever the handler wrote in its own transaction is rolled
back, so a failed job leaves the data as it was.

Progress is written to the job row and, because a handler's own transaction hides that write from the job
page until it commits (and on SQLite holds the only write lock), also to the shared "jobs" cache, which the
page reads while the job runs.

A worker killed in the middle of a job (power cut, OOM killer, `kill -9`) cannot mark it failed, and the
database rolls its transaction back. The job row records which worker ran it; `jobs_reap_orphaned`, run by
every worker when it starts and with each heartbeat, marks the running jobs of workers that are gone as failed
so their owners see that nothing was applied and can submit again.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.backends.base import BaseCache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks.backends.base import BaseTaskBackend

from guopei.orgs.models import Membership
from guopei.orgs.scoping import has_role

from .audit import audit_record
from .models import Job, WorkerHeartbeat

logger = logging.getLogger(__name__)

JobHandler = Callable[["JobContext"], dict[str, Any] | None]
_HANDLERS: dict[str, JobHandler] = {}

UNKNOWN_KIND = "未知的任务类型：{kind}"
HANDLER_NOT_LOADED = "工作进程没有加载“{kind}”类任务的处理程序，请联系系统管理员。"
UNEXPECTED_FAILURE = "任务执行出错，已处理的内容均已撤销。（{name}）"
WORKER_LOST = "处理该任务的工作进程（{worker}）已中断，任务没有完成，已处理的内容均已撤销。请重新提交。"

# Progress is written at most this often (seconds), except the first and the last report.
PROGRESS_MIN_INTERVAL = 0.5


# The name ("host:pid") of the worker process this module runs in; blank in web processes.
_current_worker = {"name": ""}


def worker_name_set(name: str) -> None:
    """Record which worker process runs the jobs executed from now on in this process."""
    _current_worker["name"] = name[:120]


class JobError(Exception):
    """An error the user can act on; its message (Chinese) is shown on the job page."""


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(func: JobHandler) -> JobHandler:
        _HANDLERS[kind] = func
        return func

    return register


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


def _progress_cache() -> BaseCache:
    try:
        return caches["jobs"]
    except InvalidCacheBackendError:
        return caches["default"]


def _progress_key(job: Job) -> str:
    # The creation time keeps keys apart when several databases (test runs, deployments) share one cache.
    return f"guopei:job-progress:{job.pk}:{job.created_at.timestamp():.6f}"


@dataclass
class JobContext:
    job: Job
    _last_write: float = field(default=0.0, repr=False)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report how far the job has got; the job page shows it within about a second."""
        total = self.job.total if total is None else max(0, int(total))
        done = max(0, int(done))
        if total and done > total:
            done = total
        self.job.done, self.job.total = done, total
        if message:
            self.job.message = message[:500]
        now = time.monotonic()
        finished = bool(total) and done >= total
        if self._last_write and not finished and now - self._last_write < PROGRESS_MIN_INTERVAL:
            return
        self._last_write = now
        self._write_progress()

    def _write_progress(self) -> None:
        fields = {"done": self.job.done, "total": self.job.total, "message": self.job.message}
        try:
            _progress_cache().set(_progress_key(self.job), fields, timeout=24 * 3600)
        except Exception:  # the cache only speeds up what the row will show anyway
            logger.warning("job %s: progress cache unavailable", self.job.pk, exc_info=True)
        Job.objects.filter(pk=self.job.pk).update(updated_at=timezone.now(), **fields)

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
        raise JobError(UNKNOWN_KIND.format(kind=kind))
    with transaction.atomic():
        job = Job(kind=kind, title=title, owner=owner, region_code=region_code, params=params or {})
        if input_content is not None:
            job.input_file.save(input_name or "upload.bin", ContentFile(input_content), save=False)
        job.save()
        audit_record(actor=owner, action="job.start", obj=job, detail={"kind": kind, "title": title})
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    run_job.using(queue_name=getattr(settings, "JOBS_QUEUE_NAME", "default")).enqueue(job_id)


def job_execute(job_id: int) -> Job:
    """Run one job's handler now, recording state, timing and any error."""
    job = Job.objects.get(pk=job_id)
    if job.is_finished:
        return job
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=timezone.now(), error="",
                                         worker=_current_worker["name"])
    job.refresh_from_db()
    ctx = JobContext(job)
    handler = _HANDLERS.get(job.kind)
    if handler is None:
        logger.error("job %s: no handler registered for kind %s", job.pk, job.kind)
        _finish(ctx, Job.State.FAILED, error=HANDLER_NOT_LOADED.format(kind=job.kind))
        job.refresh_from_db()
        return job
    try:
        result = handler(ctx) or {}
    except JobError as exc:
        _finish(ctx, Job.State.FAILED, error=str(exc))
    except Exception as exc:  # a bug must not leave the job "running" forever
        logger.exception("job %s failed", job.pk)
        _finish(ctx, Job.State.FAILED, error=UNEXPECTED_FAILURE.format(name=type(exc).__name__))
    else:
        _finish(ctx, Job.State.SUCCEEDED, result=result)
    job.refresh_from_db()
    return job


def _finish(ctx: JobContext, state: str, *, error: str = "", result: dict[str, Any] | None = None) -> None:
    job = ctx.job
    fields: dict[str, Any] = {
        "state": state,
        "finished_at": timezone.now(),
        "error": error,
        # The last progress reported, which a rolled-back transaction or the write throttle may have dropped.
        "done": job.done,
        "total": job.total,
        "message": job.message,
    }
    if result is not None:
        fields["result"] = result
    Job.objects.filter(pk=job.pk).update(**fields)
    try:
        _progress_cache().delete(_progress_key(job))
    except Exception:
        logger.warning("job %s: progress cache unavailable", job.pk, exc_info=True)
    audit_record(actor=job.owner, action=f"job.{state}", obj=job, detail={"kind": job.kind, "error": error})


def _process_gone(worker: str) -> bool:
    """Whether `worker` ("host:pid") names a process of this host that no longer exists."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def workers_gone(names: set[str], *, now: Any = None) -> set[str]:
    """The workers among `names` that are gone: their process on this host has ended, or their last heartbeat
    is older than `WORKER_HEARTBEAT_MAX_AGE` (or was pruned)."""
    if not names:
        return set()
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    alive = set(WorkerHeartbeat.objects.filter(name__in=names, beat_at__gte=cutoff).values_list("name", flat=True))
    return {name for name in names if name not in alive or _process_gone(name)}


def jobs_reap_orphaned(*, now: Any = None) -> list[int]:
    """Mark as failed the running jobs whose worker is gone (its transaction was rolled back with it)."""
    running = dict(Job.objects.filter(state=Job.State.RUNNING).exclude(worker="").values_list("pk", "worker"))
    gone = workers_gone(set(running.values()), now=now)
    reaped = []
    for pk, worker in running.items():
        if worker not in gone:
            continue
        error = WORKER_LOST.format(worker=worker)
        with transaction.atomic():
            if not Job.objects.filter(pk=pk, state=Job.State.RUNNING, worker=worker).update(
                    state=Job.State.FAILED, finished_at=timezone.now(), error=error):
                continue
            job = Job.objects.select_related("owner").get(pk=pk)
            audit_record(actor=job.owner, action="job.failed", obj=job,
                         detail={"kind": job.kind, "error": error, "worker_lost": worker})
        logger.warning("job %s: worker %s is gone, marked failed", pk, worker)
        reaped.append(pk)
    return reaped


def job_worker_unresponsive(job: Job) -> bool:
    """Whether a running job's worker looks gone (read only: the job page says so without writing)."""
    return job.state == Job.State.RUNNING and bool(job.worker) and bool(workers_gone({job.worker}))


def job_live_progress(job: Job) -> Job:
    """Overlay the progress a running handler reported but has not committed yet."""
    if job.state != Job.State.RUNNING:
        return job
    try:
        live = _progress_cache().get(_progress_key(job))
    except Exception:
        logger.warning("job %s: progress cache unavailable", job.pk, exc_info=True)
        return job
    if live and (live["total"] != job.total or live["done"] > job.done):
        job.done, job.total = live["done"], live["total"]
        job.message = live["message"] or job.message
    return job


@task(queue_name=getattr(settings, "JOBS_QUEUE_NAME", "default"))
def run_job(job_id: int) -> None:
    job_execute(job_id)


def job_backend() -> BaseTaskBackend:
    return task_backends[DEFAULT_TASK_BACKEND_ALIAS]


def job_backend_kind() -> str:
    """Name the queue the jobs go through: "database" (django-tasks-db), "rq" (Redis) or another backend."""
    from django_tasks_db import DatabaseBackend

    backend = job_backend()
    if isinstance(backend, DatabaseBackend):
        return "database"
    if type(backend).__module__.startswith("django_tasks_rq"):
        return "rq"
    return type(backend).__name__


def jobs_for_user(user: Any) -> QuerySet[Job]:
    """The jobs a person started themselves, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    return Job.objects.filter(owner=user)


def access_job_for_user(user: Any, pk: int) -> Job:
    """Return the job if the user started it or is a province administrator; 404 otherwise."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    job = Job.objects.select_related("owner").filter(pk=pk).first()
    if job is None:
        raise Http404
    if job.owner_id != user.pk and not has_role(user, Membership.Role.PROVINCE_ADMIN):
        raise Http404
    return job


def job_result_download(*, actor: Any, job: Job) -> None:
    """Record that someone downloaded a job's result file."""
    audit_record(actor=actor, action="job.download", obj=job, detail={"kind": job.kind, "file": job.result_name})
