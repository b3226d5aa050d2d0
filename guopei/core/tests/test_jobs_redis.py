"""The same job on the Redis backend (django-tasks-rq), against the Redis server on 127.0.0.1:6379."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from guopei.core.models import Job, WorkerHeartbeat
from guopei.core.tests.test_jobs import FAIL_MESSAGE, FAILING_KIND, RESULT_NAME, SAMPLE_KIND
from guopei.orgs.models import Institution

REDIS_URL = "redis://127.0.0.1:6379/15"

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def rq_backend(monkeypatch):
    """Point the jobs at a queue of their own on the local Redis, and remove it afterwards."""
    if not _redis_reachable():
        pytest.skip("Redis 不可达（127.0.0.1:6379），跳过 Redis 后端测试")
    from guopei.core.management.commands import run_worker

    # The worker runs inside the test's transaction; it must not drop that connection between jobs.
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    queue_name = f"guopei-test-{uuid.uuid4().hex[:12]}"
    with override_settings(
        JOBS_QUEUE_NAME=queue_name,
        RQ_QUEUES={queue_name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}},
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}},
    ):
        import django_rq

        queue = django_rq.get_queue(queue_name)
        try:
            yield queue
        finally:
            connection = queue.connection
            job_ids = [*queue.finished_job_registry.get_job_ids(), *queue.failed_job_registry.get_job_ids()]
            queue.delete(delete_jobs=True)
            keys = [*connection.scan_iter(f"rq:*{queue_name}*")]
            keys += [f"rq:{kind}:{job_id}" for job_id in job_ids for kind in ("job", "results")]
            if keys:
                connection.delete(*keys)


def test_same_task_runs_on_redis_backend(rq_backend, county_admin, django_capture_on_commit_callbacks):
    from guopei.core.jobs import job_start

    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=SAMPLE_KIND, title="示例导入", owner=county_admin, params={"count": 5})
    assert rq_backend.count == 1
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED

    call_command("run_worker", "--burst", "--heartbeat-interval", "0")

    assert rq_backend.count == 0
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.result == {"count": 5}
    assert job.result_name == RESULT_NAME
    with job.result_file.open("rb") as handle:
        assert handle.read().decode("utf-8").splitlines() == ["序号", "1", "2", "3", "4", "5"]
    assert WorkerHeartbeat.objects.get().backend == "rq"


def test_failing_job_on_redis_backend_rolls_back(rq_backend, county_admin, django_capture_on_commit_callbacks):
    from guopei.core.jobs import job_start

    before = Institution.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=FAILING_KIND, title="示例导入", owner=county_admin)
    call_command("run_worker", "--burst", "--heartbeat-interval", "0")
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error == FAIL_MESSAGE
    assert Institution.objects.count() == before


def test_healthz_checks_redis_when_jobs_use_it(rq_backend, client):
    from guopei.core.health import worker_heartbeat

    worker_heartbeat(name="rq-host:1", backend="rq")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["queue"] == "ok"


def test_healthz_is_503_when_redis_is_down(rq_backend, client):
    from guopei.core.health import worker_heartbeat

    worker_heartbeat(name="rq-host:1", backend="rq")
    with override_settings(RQ_QUEUES={rq_backend.name: {"URL": "redis://127.0.0.1:1/0"}}):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["queue"] == "error"
