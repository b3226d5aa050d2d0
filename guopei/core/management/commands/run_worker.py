"""Run the job worker for the configured task backend and keep its heartbeat fresh for /healthz.

With the database queue (the default) this runs django-tasks-db's worker in this process; with
`REDIS_URL` set it runs an RQ worker. Either way the handlers of every app are already registered: each
app imports its `jobs.py` in `AppConfig.ready()`, which `manage.py` runs before this command.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils import timezone

from guopei.core.health import worker_heartbeat, worker_heartbeats_prune
from guopei.core.jobs import job_backend, job_backend_kind, jobs_reap_orphaned, registered_kinds, worker_name_set

logger = logging.getLogger("guopei.worker")

NO_WORKER_NEEDED = "当前任务后端（{kind}）在提交任务的进程内直接执行，不需要工作进程。"


class Heartbeat:
    """Write this worker's heartbeat now and then every `interval` seconds from a background thread; each time,
    also mark as failed the running jobs of workers that are gone (killed mid-job)."""

    def __init__(self, *, name: str, backend: str, interval: float) -> None:
        self.name, self.backend, self.interval = name, backend, interval
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        worker_heartbeats_prune()
        worker_heartbeat(name=self.name, backend=self.backend, started_at=self.started_at)
        self._reap()
        if self.interval > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _reap(self) -> None:
        for pk in jobs_reap_orphaned():
            logger.warning("worker %s: job %s of a worker that is gone marked failed", self.name, pk)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                worker_heartbeat(name=self.name, backend=self.backend)
                self._reap()
            except Exception:
                # On SQLite a long job's transaction holds the write lock; the next beat will get through.
                logger.warning("worker %s: heartbeat not written", self.name, exc_info=True)
            finally:
                # This thread's own connection; closing it keeps nothing open between beats.
                connections.close_all()


class Command(BaseCommand):
    help = "运行后台任务工作进程（数据库队列或 Redis/RQ），并定时写入心跳供 /healthz 检查。"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--burst", action="store_true", help="处理完队列中已有的任务后退出。")
        parser.add_argument("--max-tasks", type=int, default=None, help="处理这么多个任务后退出。")
        parser.add_argument("--interval", type=float, default=1.0, help="数据库队列为空时的轮询间隔（秒）。")
        parser.add_argument(
            "--heartbeat-interval",
            type=float,
            default=getattr(settings, "WORKER_HEARTBEAT_INTERVAL", 10),
            help="写入心跳的间隔（秒）；0 表示只在启动时写一次。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = job_backend_kind()
        if kind not in {"database", "rq"}:
            raise CommandError(NO_WORKER_NEEDED.format(kind=kind))
        name = f"{socket.gethostname()}:{os.getpid()}"[:120]
        queues = sorted(job_backend().queues)
        self.stdout.write(
            f"工作进程 {name} 启动：后端 {kind}，队列 {', '.join(queues)}，"
            f"任务类型 {', '.join(registered_kinds()) or '（无）'}"
        )
        worker_name_set(name)
        heartbeat = Heartbeat(name=name, backend=kind, interval=options["heartbeat_interval"])
        heartbeat.start()
        try:
            if kind == "database":
                self._run_database_worker(name, queues, options)
            else:
                self._run_rq_worker(queues, options)
        finally:
            heartbeat.stop()

    def _run_database_worker(self, name: str, queues: list[str], options: dict[str, Any]) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["burst"],
            backend_name=job_backend().alias,
            startup_delay=False,
            max_tasks=options["max_tasks"],
            worker_id=name[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.reset_signals()

    def _run_rq_worker(self, queues: list[str], options: dict[str, Any]) -> None:
        import django_rq.queues
        from django_tasks_rq.backend import Job as TaskJob
        from rq import SimpleWorker

        class DjangoSimpleWorker(SimpleWorker):
            """Run each job in this process, like the database worker, with fresh database connections."""

            def execute_job(self, job: Any, queue: Any) -> None:
                close_old_connections()
                try:
                    super().execute_job(job, queue)
                finally:
                    close_old_connections()

        rq_queues = django_rq.queues.get_queues(*queues, job_class=TaskJob)
        worker = DjangoSimpleWorker(rq_queues, connection=rq_queues[0].connection, job_class=TaskJob)
        worker.work(burst=options["burst"], max_jobs=options["max_tasks"], logging_level="INFO")
