"""Liveness of the platform for load balancers and monitoring: the database and the job workers.

Each worker (`manage.py run_worker`) writes a `WorkerHeartbeat` row every few seconds; `/healthz` answers
200 when the database answers and at least one heartbeat is younger than `WORKER_HEARTBEAT_MAX_AGE`, and
503 otherwise, naming the part that failed. The answer carries no personal data and no host names.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .jobs import job_backend, job_backend_kind
from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Heartbeats of workers gone for longer than this are removed when a worker starts.
HEARTBEAT_KEEP = timedelta(days=1)


def worker_heartbeat(*, name: str, backend: str, started_at: Any = None) -> None:
    """Record that the worker `name` is alive now."""
    now = timezone.now()
    defaults: dict[str, Any] = {"backend": backend, "beat_at": now}
    if started_at is not None:
        defaults["started_at"] = started_at
    WorkerHeartbeat.objects.update_or_create(name=name, defaults=defaults)


def worker_heartbeats_prune() -> int:
    """Forget workers that have not been heard of for a day (restarts leave one row per process id)."""
    deleted, _ = WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - HEARTBEAT_KEEP).delete()
    return deleted


def live_worker_count() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    return WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).count()


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("health check: database unavailable")
        return False


def _check_queue() -> str | None:
    """Ping Redis when jobs go through RQ; None when the queue lives in the database."""
    if job_backend_kind() != "rq":
        return None
    try:
        import django_rq

        for queue_name in sorted(job_backend().queues):
            django_rq.get_connection(queue_name).ping()
    except Exception:
        logger.exception("health check: job queue unavailable")
        return "error"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and a job worker are alive, 503 with the failing part otherwise."""
    body: dict[str, Any] = {"database": "ok" if _check_database() else "error"}
    if body["database"] == "ok":
        workers = live_worker_count()
        body["worker"] = "ok" if workers else "error"
        body["workers"] = workers
    else:
        body["worker"] = "unknown"
    queue = _check_queue()
    if queue is not None:
        body["queue"] = queue
    healthy = body["database"] == "ok" and body["worker"] == "ok" and queue in (None, "ok")
    body["status"] = "ok" if healthy else "error"
    return JsonResponse(body, status=200 if healthy else 503)
