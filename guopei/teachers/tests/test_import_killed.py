"""Killing the worker in the middle of a roster import leaves no partial import, and a re-run succeeds (MGMT-4).

Real processes, not a simulated exception: a fresh SQLite database in a temporary directory, the database job
queue, `manage.py run_worker` as a separate process group that is killed with SIGKILL while it is writing the
teachers inside the import's transaction. Afterwards the database holds none of them; the next worker to start
marks the orphaned job failed with a Chinese message; importing the same file again succeeds.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache.backends.filebased import FileBasedCache

from guopei.teachers.tests.corpus import HEADERS, roster_row, xlsx

ROWS = 25_000
MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
SETUP = """
import django, sys
django.setup()
from guopei.orgs.models import Membership
from guopei.orgs.tests.factories import SchoolFactory, make_user
SchoolFactory(name="小店区示范小学", county_id="140105", code="1140105001")
make_user(Membership.Role.COUNTY_ADMIN, "140105", username="xd_admin")
"""
START = """
import django, sys
django.setup()
from django.contrib.auth import get_user_model
from guopei.teachers.services import roster_import_start
user = get_user_model().objects.get(username="xd_admin")
data = open(sys.argv[1], "rb").read()
print(roster_import_start(actor=user, filename="名册.xlsx", content=data).pk)
"""
# The worker, with the writes slowed down (small batches, a pause after each) so that the test can see it in the
# middle of the transaction on any machine; the pause changes nothing in what is written or when it commits.
SLOW_WORKER = """
import django, time
django.setup()
from django.core.management import call_command
from guopei.teachers import roster_import
real = roster_import.insert_rows
def slow_insert_rows(*args, **kwargs):
    result = real(*args, **kwargs)
    time.sleep(0.1)
    return result
roster_import.BATCH = 1000
roster_import.insert_rows = slow_insert_rows
call_command("run_worker", heartbeat_interval=1)
"""


def big_roster(school_code: str) -> bytes:
    """ROWS valid teachers: 400 ID sequence numbers per birth date, one birth date after another."""
    rows = []
    for n in range(ROWS):
        row = roster_row(school_code, n % 400, birth=date(1970, 1, 1) + timedelta(days=n // 400))
        row[HEADERS.index("手机号")] = f"139{n:08d}"
        rows.append(row)
    return xlsx(rows)[1]


@pytest.fixture
def sandbox(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.dev", GUOPEI_VAR_DIR=str(tmp_path), DJANGO_DEBUG="0",
               MEDIA_ROOT=str(tmp_path / "media"), WORKER_HEARTBEAT_MAX_AGE="600")

    def run(*args: str, check: bool = True) -> str:
        done = subprocess.run([sys.executable, *args], env=env, cwd=settings.BASE_DIR, capture_output=True,
                              text=True, timeout=600)
        if check and done.returncode:
            raise AssertionError(f"{args[:2]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    run(MANAGE, "migrate", "--noinput", "-v0")
    run("-c", SETUP)
    return tmp_path, env, run


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql).fetchall()


def live_progress(var: Path, job_id: int, created_at: str) -> dict:
    """What the running job reported to the shared progress cache (its own transaction hides its row)."""
    stamp = datetime.fromisoformat(created_at).replace(tzinfo=UTC).timestamp()
    cache = FileBasedCache(str(var / "cache" / "jobs"), {})
    return cache.get(f"guopei:job-progress:{job_id}:{stamp:.6f}") or {}


def test_killing_the_worker_midway_leaves_nothing_and_the_rerun_succeeds(sandbox):
    var, env, run = sandbox
    db = var / "db.sqlite3"
    roster = var / "名册.xlsx"
    roster.write_bytes(big_roster("1140105001"))
    job_id = int(run("-c", START, str(roster)).strip())

    worker = subprocess.Popen([sys.executable, "-c", SLOW_WORKER], env=env,
                              cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        writing = {}
        while time.monotonic() < deadline and worker.poll() is None:
            rows = query(db, f"SELECT state, created_at FROM core_job WHERE id = {job_id}")
            if rows and rows[0][0] == "running":
                writing = live_progress(var, job_id, rows[0][1])
                if writing.get("message") == "正在写入新教师" and 0 < writing["done"] < ROWS:
                    break
            time.sleep(0.05)
        assert worker.poll() is None, "the worker ended before it could be killed"
        assert writing.get("message") == "正在写入新教师", f"never seen in the middle of writing: {writing}"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    assert query(db, "SELECT count(*) FROM teachers_teacher") == [(0,)]
    assert query(db, f"SELECT state FROM core_job WHERE id = {job_id}") == [("running",)]

    # The next worker to start finds the job of the dead one and fails it; the queue is empty, so it exits.
    run(MANAGE, "run_worker", "--burst", "--heartbeat-interval", "0")
    state, error = query(db, f"SELECT state, error FROM core_job WHERE id = {job_id}")[0]
    assert state == "failed"
    assert "已中断" in error and "已撤销" in error and "重新提交" in error
    assert query(db, "SELECT count(*) FROM teachers_teacher") == [(0,)]

    rerun = int(run("-c", START, str(roster)).strip())
    run(MANAGE, "run_worker", "--burst", "--heartbeat-interval", "0")
    assert query(db, f"SELECT state, error FROM core_job WHERE id = {rerun}") == [("succeeded", "")]
    assert query(db, "SELECT count(*) FROM teachers_teacher") == [(ROWS,)]
    assert query(db, "SELECT count(DISTINCT id_hash) FROM teachers_teacher") == [(ROWS,)]
