"""A job whose worker dies mid-way is marked failed, not left "进行中" for ever; nothing it wrote survives."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guopei.core.jobs import jobs_reap_orphaned, worker_name_set, workers_gone
from guopei.core.models import AuditEvent, Job, WorkerHeartbeat
from guopei.core.tests.test_jobs import SAMPLE_KIND, queued_job

HOST = socket.gethostname()


@pytest.fixture
def dead_pid() -> int:
    """The process id of a process that has ended (and was reaped, so the id is free)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def running(owner, worker: str) -> Job:
    job = queued_job(owner)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, started_at=timezone.now(), worker=worker)
    return Job.objects.get(pk=job.pk)


def beat(name: str, age_seconds: int = 0) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"backend": "database", "beat_at": timezone.now() - timedelta(seconds=age_seconds)})


def test_job_of_a_worker_whose_process_has_ended_is_failed_with_a_chinese_message(county_admin, dead_pid):
    worker = f"{HOST}:{dead_pid}"
    beat(worker)  # a fresh heartbeat: the process is gone all the same
    job = running(county_admin, worker)
    assert jobs_reap_orphaned() == [job.pk]
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.finished_at is not None
    assert "工作进程" in job.error and "已中断" in job.error and "已撤销" in job.error and "重新提交" in job.error
    event = AuditEvent.objects.get(action="job.failed", object_id=str(job.pk))
    assert event.detail["worker_lost"] == worker


def test_job_of_a_worker_on_another_host_is_failed_once_its_heartbeat_is_stale(county_admin, settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 90
    worker = "worker-host-b:4242"
    beat(worker, age_seconds=30)
    job = running(county_admin, worker)
    assert jobs_reap_orphaned() == []
    beat(worker, age_seconds=91)
    assert jobs_reap_orphaned() == [job.pk]
    assert Job.objects.get(pk=job.pk).state == Job.State.FAILED


def test_job_of_a_live_worker_or_run_inline_is_left_alone(county_admin):
    live = f"{HOST}:{os.getpid()}"
    beat(live)
    alive_job = running(county_admin, live)
    inline_job = running(county_admin, "")
    assert jobs_reap_orphaned() == []
    assert Job.objects.get(pk=alive_job.pk).state == Job.State.RUNNING
    assert Job.objects.get(pk=inline_job.pk).state == Job.State.RUNNING
    assert workers_gone({live}) == set()


def test_a_job_that_finished_meanwhile_is_not_reaped(county_admin, dead_pid):
    job = running(county_admin, f"{HOST}:{dead_pid}")
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
    assert jobs_reap_orphaned() == []
    assert Job.objects.get(pk=job.pk).state == Job.State.SUCCEEDED


def test_worker_without_any_heartbeat_counts_as_gone(db):
    assert workers_gone({"worker-host-c:77"}) == {"worker-host-c:77"}


def test_executed_job_records_its_worker(county_admin):
    from guopei.core.jobs import job_execute

    job = queued_job(county_admin, kind=SAMPLE_KIND, count=2)
    worker_name_set(f"{HOST}:99999")
    try:
        job_execute(job.pk)
    finally:
        worker_name_set("")
    assert Job.objects.get(pk=job.pk).worker == f"{HOST}:99999"


def test_job_page_warns_when_the_worker_is_unresponsive_without_writing(client, county_admin, dead_pid):
    job = running(county_admin, f"{HOST}:{dead_pid}")
    client.force_login(county_admin)
    for name in ("core:job_detail", "core:job_progress"):
        response = client.get(reverse(name, args=[job.pk]))
        assert response.status_code == 200
        assert "工作进程已无响应" in response.content.decode()
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING  # the page only reads


def test_job_page_of_a_healthy_running_job_shows_no_warning(client, county_admin):
    live = f"{HOST}:{os.getpid()}"
    beat(live)
    job = running(county_admin, live)
    client.force_login(county_admin)
    response = client.get(reverse("core:job_progress", args=[job.pk]))
    assert "工作进程已无响应" not in response.content.decode()
