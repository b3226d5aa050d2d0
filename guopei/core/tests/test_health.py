"""/healthz: 200 when the database and a job worker are alive, 503 naming what failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from guopei.core import health
from guopei.core.health import worker_heartbeat, worker_heartbeats_prune
from guopei.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

URL = "/healthz"


def test_healthz_url_is_named():
    assert reverse("healthz") == URL


def test_healthz_is_200_with_database_and_fresh_heartbeat(client):
    worker_heartbeat(name="worker-host-7:4242", backend="database")
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "worker": "ok", "workers": 1, "status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    # Nothing about the machines: no host names or process ids.
    assert b"worker-host-7" not in response.content


@override_settings(WORKER_HEARTBEAT_MAX_AGE=90)
def test_healthz_is_503_with_stale_heartbeat(client):
    WorkerHeartbeat.objects.create(
        name="w:1", backend="database", beat_at=timezone.now() - timedelta(seconds=91)
    )
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "worker": "error", "workers": 0, "status": "error"}


def test_healthz_is_503_with_no_heartbeat(client):
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["worker"] == "error"
    assert response.json()["database"] == "ok"


def test_healthz_is_503_when_database_fails(client, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json() == {"database": "error", "worker": "unknown", "status": "error"}


def test_healthz_counts_only_live_workers(client):
    worker_heartbeat(name="a:1", backend="database")
    worker_heartbeat(name="b:2", backend="database")
    WorkerHeartbeat.objects.create(name="c:3", backend="database", beat_at=timezone.now() - timedelta(hours=1))
    assert client.get(URL).json()["workers"] == 2


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_healthz_needs_no_login_and_no_second_factor(client, province_admin):
    worker_heartbeat(name="a:1", backend="database")
    assert client.get(URL).status_code == 200
    client.force_login(province_admin)
    assert client.get(reverse("home")).status_code == 302  # elsewhere: sent to the second-factor page
    assert client.get(URL).status_code == 200


def test_healthz_refuses_writes(client):
    assert client.post(URL).status_code == 405


def test_heartbeat_updates_one_row_per_worker_and_prune_forgets_old_ones():
    worker_heartbeat(name="a:1", backend="database", started_at=timezone.now() - timedelta(minutes=5))
    first = WorkerHeartbeat.objects.get(name="a:1")
    worker_heartbeat(name="a:1", backend="database")
    again = WorkerHeartbeat.objects.get(name="a:1")
    assert again.beat_at >= first.beat_at
    assert again.started_at == first.started_at
    WorkerHeartbeat.objects.create(name="gone:9", backend="rq", beat_at=timezone.now() - timedelta(days=2))
    assert worker_heartbeats_prune() == 1
    assert list(WorkerHeartbeat.objects.values_list("name", flat=True)) == ["a:1"]
