"""Background jobs: running on the database queue, failing cleanly, and the job pages (three personas)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from guopei.core import jobs
from guopei.core.jobs import JobContext, JobError, job_execute, job_handler, job_start
from guopei.core.models import AuditEvent, Job, WorkerHeartbeat
from guopei.orgs.models import Institution
from guopei.orgs.tests.factories import InstitutionFactory

SAMPLE_KIND = "core_tests.sample"
FAILING_KIND = "core_tests.failing"
CRASHING_KIND = "core_tests.crashing"
FAIL_MESSAGE = "第2行：学校标识码 1234 不存在，整个文件未导入。"
RESULT_NAME = "处理结果.csv"

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@job_handler(SAMPLE_KIND)
def sample_handler(ctx: JobContext) -> dict:
    """Count to `count`, reporting each step, and leave a result file listing the numbers."""
    total = int(ctx.params["count"])
    lines = ["序号"]
    for number in range(1, total + 1):
        lines.append(str(number))
        ctx.progress(number, total, f"已处理第{number}条")
    ctx.save_result_file(RESULT_NAME, "\n".join(lines).encode("utf-8"))
    return {"count": total}


@job_handler(FAILING_KIND)
def failing_handler(ctx: JobContext) -> None:
    """Write a row inside the job's transaction, then refuse the input: the row must not survive."""
    with transaction.atomic():
        InstitutionFactory(name="应被撤销的培训机构")
        ctx.progress(1, 3, "正在写入")
        raise JobError(FAIL_MESSAGE)


@job_handler(CRASHING_KIND)
def crashing_handler(ctx: JobContext) -> None:
    raise ValueError("a bug")


@pytest.fixture
def in_test_transaction(monkeypatch):
    """Let the workers run inside the test's transaction: they drop connections whose autocommit is off."""
    from django_tasks_db.management.commands import db_worker

    from guopei.core.management.commands import run_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)


def start_sample(owner, django_capture_on_commit_callbacks, count=4, kind=SAMPLE_KIND) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        return job_start(kind=kind, title="示例导入", owner=owner, region_code="140105", params={"count": count})


def queued_job(owner, kind=SAMPLE_KIND, count=3) -> Job:
    """A job row as job_start leaves it: the test's transaction never commits, so nothing is enqueued."""
    return job_start(kind=kind, title="示例导出", owner=owner, region_code="140105", params={"count": count})


# --- running -----------------------------------------------------------------------------------------------


@override_settings(TASKS=DB_TASKS)
def test_job_runs_on_database_backend_and_reports_progress(
    county_admin, django_capture_on_commit_callbacks, in_test_transaction
):
    job = start_sample(county_admin, django_capture_on_commit_callbacks, count=5)
    task_row = DBTaskResult.objects.get()
    assert task_row.status == "READY"
    assert task_row.args_kwargs == {"args": [job.pk], "kwargs": {}}
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED

    call_command("run_worker", "--burst", "--heartbeat-interval", "0")

    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.message == "已处理第5条"
    assert job.result == {"count": 5}
    assert job.result_name == RESULT_NAME
    with job.result_file.open("rb") as handle:
        assert handle.read().decode("utf-8").splitlines() == ["序号", "1", "2", "3", "4", "5"]
    assert job.started_at is not None and job.finished_at >= job.started_at
    task_row.refresh_from_db()
    assert task_row.status == "SUCCESSFUL"
    beat = WorkerHeartbeat.objects.get()
    assert beat.backend == "database"
    assert beat.name.endswith(f":{os.getpid()}")
    assert list(AuditEvent.objects.filter(object_id=str(job.pk)).values_list("action", flat=True)) == [
        "job.succeeded",
        "job.start",
    ]


def test_worker_process_loads_every_apps_job_handlers():
    """Each app's jobs.py is imported by django.setup() (AppConfig.ready), so a fresh worker knows its kinds."""
    code = (
        "import json, sys, django; django.setup(); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('guopei.') and m.endswith('.jobs'))))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True,
                         text=True, check=True, timeout=120)
    expected = sorted(
        f"{config.name}.jobs" for config in apps.get_app_configs()
        if config.name.startswith("guopei.") and (Path(config.path) / "jobs.py").exists()
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected


def test_run_worker_refuses_a_backend_that_needs_no_worker(db):
    with pytest.raises(CommandError, match="不需要工作进程"):
        call_command("run_worker", "--burst")


def test_failed_job_shows_chinese_error_and_rolls_back_its_writes(
    client, county_admin, django_capture_on_commit_callbacks
):
    institutions_before = Institution.objects.count()
    job = start_sample(county_admin, django_capture_on_commit_callbacks, kind=FAILING_KIND)

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error == FAIL_MESSAGE
    assert Institution.objects.count() == institutions_before
    assert not Institution.objects.filter(name="应被撤销的培训机构").exists()
    assert (job.done, job.total) == (1, 3)

    client.force_login(county_admin)
    response = client.get(reverse("core:job_detail", args=[job.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "任务失败" in page and FAIL_MESSAGE in page
    assert "失败" in page
    assert 'hx-trigger="every 1s"' not in page
    assert AuditEvent.objects.filter(action="job.failed", object_id=str(job.pk)).exists()


def test_unexpected_error_fails_the_job_with_a_chinese_message(county_admin, django_capture_on_commit_callbacks):
    job = start_sample(county_admin, django_capture_on_commit_callbacks, kind=CRASHING_KIND)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error == jobs.UNEXPECTED_FAILURE.format(name="ValueError")


def test_job_of_a_kind_the_worker_did_not_load_fails_clearly(county_admin):
    job = queued_job(county_admin)
    Job.objects.filter(pk=job.pk).update(kind="core_tests.not_loaded")
    job = job_execute(job.pk)
    assert job.state == Job.State.FAILED
    assert job.error == jobs.HANDLER_NOT_LOADED.format(kind="core_tests.not_loaded")


def test_unknown_kind_is_refused_at_start(county_admin):
    with pytest.raises(JobError, match="未知的任务类型"):
        job_start(kind="core_tests.nope", title="x", owner=county_admin)


def test_finished_job_is_not_run_twice(county_admin, django_capture_on_commit_callbacks):
    job = start_sample(county_admin, django_capture_on_commit_callbacks)
    finished_at = Job.objects.get(pk=job.pk).finished_at
    assert job_execute(job.pk).finished_at == finished_at


def test_progress_never_exceeds_total_and_is_throttled(county_admin):
    job = queued_job(county_admin)
    ctx = JobContext(job)
    ctx.progress(7, 5, "超出")
    job.refresh_from_db()
    assert (job.done, job.total) == (5, 5)
    ctx = JobContext(job)
    ctx.progress(1, 100)
    ctx.progress(2, 100)  # within the throttle interval: kept on the context, not yet written
    assert Job.objects.values_list("done", "total").get(pk=job.pk) == (1, 100)
    assert (ctx.job.done, ctx.job.total) == (2, 100)


def test_page_shows_progress_the_running_transaction_has_not_committed(client, county_admin):
    job = queued_job(county_admin)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    job.refresh_from_db()
    JobContext(job).progress(3, 12, "正在校验第3行")
    # What another connection sees while the handler's transaction is open: the row as it was.
    Job.objects.filter(pk=job.pk).update(done=0, total=0, message="")

    client.force_login(county_admin)
    response = client.get(reverse("core:job_progress", args=[job.pk]))
    fragment = response.content.decode()
    assert "已处理 3 / 12（25%）" in fragment
    assert "job-bar-25" in fragment
    assert "正在校验第3行" in fragment
    assert f'hx-get="{reverse("core:job_progress", args=[job.pk])}"' in fragment
    assert 'hx-trigger="every 1s"' in fragment


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_progress_poll_writes_nothing_so_it_never_waits_for_a_running_job(client, county_admin):
    job = queued_job(county_admin)
    client.force_login(county_admin)
    with CaptureQueriesContext(connection) as page_load:
        client.get(reverse("core:job_detail", args=[job.pk]))
    assert any("django_session" in sql for sql in _writes(page_load.captured_queries))  # pages save the session
    with CaptureQueriesContext(connection) as poll:
        response = client.get(reverse("core:job_progress", args=[job.pk]))
    assert response.status_code == 200
    assert _writes(poll.captured_queries) == []


# --- pages: three personas -----------------------------------------------------------------------------------


@pytest.fixture
def finished_job(county_admin, django_capture_on_commit_callbacks):
    job = start_sample(county_admin, django_capture_on_commit_callbacks, count=3)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("url_name", ["core:job_detail", "core:job_progress", "core:job_result"])
def test_job_owner_and_province_admin_may_open_job(client, finished_job, county_admin, province_admin, url_name):
    for user in (county_admin, province_admin):
        client.force_login(user)
        assert client.get(reverse(url_name, args=[finished_job.pk])).status_code == 200


@pytest.mark.parametrize("url_name", ["core:job_detail", "core:job_progress", "core:job_result"])
def test_job_started_by_one_user_is_404_for_another(
    client, finished_job, other_county_admin, city_admin, teacher_user, url_name
):
    # Same role in another county, the owner's own city administrator, and a role that starts no jobs.
    for user in (other_county_admin, city_admin, teacher_user):
        client.force_login(user)
        assert client.get(reverse(url_name, args=[finished_job.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["core:job_list", "core:job_detail", "core:job_progress", "core:job_result"])
def test_job_pages_need_login(client, finished_job, url_name):
    args = [] if url_name == "core:job_list" else [finished_job.pk]
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_job_detail_shows_title_state_progress_and_result_link(client, finished_job, county_admin):
    client.force_login(county_admin)
    response = client.get(reverse("core:job_detail", args=[finished_job.pk]))
    page = response.content.decode()
    assert "示例导入" in page
    assert "已完成" in page
    assert "已处理 3 / 3（100%）" in page
    assert 'class="progress-bar job-bar-100 bg-success"' in page
    assert reverse("core:job_result", args=[finished_job.pk]) in page
    assert RESULT_NAME in page
    assert 'hx-trigger="every 1s"' not in page  # finished: the fragment stops polling
    assert response["Cache-Control"].startswith("no-store")


def test_queued_job_page_polls_for_progress(client, county_admin):
    job = queued_job(county_admin)
    client.force_login(county_admin)
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "排队中" in page
    assert f'hx-get="{reverse("core:job_progress", args=[job.pk])}"' in page
    assert 'hx-trigger="every 1s"' in page


def test_result_download_is_an_audited_attachment(client, finished_job, county_admin):
    client.force_login(county_admin)
    response = client.get(reverse("core:job_result", args=[finished_job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).decode("utf-8").startswith("序号")
    event = AuditEvent.objects.get(action="job.download")
    assert event.actor == county_admin
    assert event.object_id == str(finished_job.pk)
    assert event.region_code == "140105"


def test_job_without_result_file_has_no_download_and_input_is_never_served(client, county_admin):
    job = job_start(
        kind=SAMPLE_KIND, title="上传名单", owner=county_admin, params={"count": 1},
        input_name="名单.xlsx", input_content=b"PK\x03\x04 roster with personal data",
    )
    client.force_login(county_admin)
    assert client.get(reverse("core:job_result", args=[job.pk])).status_code == 404
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert job.input_file.name not in page
    assert not AuditEvent.objects.filter(action="job.download").exists()


def test_job_list_shows_only_own_jobs_with_bounded_queries(
    client, county_admin, other_county_admin, django_assert_max_num_queries
):
    mine = [queued_job(county_admin) for _ in range(5)]
    theirs = queued_job(other_county_admin)
    Job.objects.filter(pk=theirs.pk).update(title="平城区的任务")
    client.force_login(county_admin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("core:job_list"))
    page = response.content.decode()
    assert response.status_code == 200
    for job in mine:
        assert reverse("core:job_detail", args=[job.pk]) in page
    assert reverse("core:job_detail", args=[theirs.pk]) not in page
    assert "平城区的任务" not in page


def test_job_list_is_empty_for_a_user_without_jobs(client, teacher_user, finished_job):
    client.force_login(teacher_user)
    page = client.get(reverse("core:job_list")).content.decode()
    assert "您还没有发起过后台任务" in page
    assert "示例导入" not in page


def test_navigation_offers_jobs_to_roles_that_start_them(client, county_admin, teacher_user):
    client.force_login(county_admin)
    assert reverse("core:job_list") in client.get(reverse("home")).content.decode()
    client.force_login(teacher_user)
    assert f'href="{reverse("core:job_list")}"' not in client.get(reverse("home")).content.decode()


# --- in a real browser: htmx polling under the content security policy ----------------------------------------


@pytest.fixture
def regions_loaded(transactional_db):
    """Regions come from a data migration, which an earlier transactional test's flush removes."""
    from guopei.orgs.models import Region
    from guopei.orgs.regions import regions_load

    if not Region.objects.filter(code="140105").exists():
        regions_load(region_model=Region)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_job_page_progress_bar_follows_the_job_until_it_finishes(regions_loaded, page, live_server, county_admin):
    from guopei.conftest import browser_login

    job = queued_job(county_admin)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, done=1, total=4, message="正在校验")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text
            else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    browser_login(page, live_server, county_admin.username)
    page.goto(live_server.url + reverse("core:job_detail", args=[job.pk]))
    assert page.get_by_test_id("job-state").inner_text() == "进行中"
    bar = page.locator("#job-progress .progress-bar")
    assert "job-bar-25" in bar.get_attribute("class")
    assert bar.evaluate("el => el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width") \
        == pytest.approx(0.25, abs=0.02)

    Job.objects.filter(pk=job.pk).update(done=3, message="正在写入")
    page.get_by_text("已处理 3 / 4（75%）").wait_for(timeout=5000)
    assert page.get_by_test_id("job-message").inner_text() == "正在写入"

    jobs.JobContext(Job.objects.get(pk=job.pk)).save_result_file(RESULT_NAME, "序号\n1".encode())
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED, done=4)
    page.get_by_test_id("job-result").wait_for(timeout=5000)
    assert page.get_by_test_id("job-state").inner_text() == "已完成"
    assert page.locator("[hx-trigger]").count() == 0  # polling has stopped
    with page.expect_download() as download:
        page.get_by_test_id("job-result").click()
    assert download.value.suggested_filename == RESULT_NAME
    assert errors == []  # no CSP violations, script errors or missing files
