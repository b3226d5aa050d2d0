"""The security baseline: lockout, sessions, CSRF, CSP, no-store, and the audit of signing in and out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from guopei.core.middleware import AUTH_STARTED_AT, client_ip
from guopei.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-1"
IP = "10.14.1.5"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=IP)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Lockout (django-axes) ---------------------------------------------------------------------------------


def test_four_failures_do_not_lock_the_account(client, county_admin):
    for _ in range(4):
        assert _login(client, county_admin.username, "wrong-password-000").status_code == 200
    response = _login(client, county_admin.username, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    assert not AuditEvent.objects.filter(action="auth.lockout").exists()


def test_lockout_after_exactly_five_failures_refuses_right_password(client, county_admin):
    for attempt in range(1, 6):
        response = _login(client, county_admin.username, "wrong-password-000")
        assert AuditEvent.objects.filter(action="auth.lockout").exists() == (attempt == 5)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()

    sixth = _login(client, county_admin.username, PASSWORD)
    assert sixth.status_code == 429
    assert not _signed_in(client)

    lock = AuditEvent.objects.get(action="auth.lockout")
    assert lock.actor_name == county_admin.username
    assert lock.detail["failures"] == 5
    assert lock.detail["cooloff_minutes"] == 15
    assert lock.ip_address == IP
    # The refused sixth attempt is a failure recorded as made during the lock; the lock stays one event.
    failures = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert failures.count() == 6
    assert failures.last().detail == {"username": county_admin.username, "locked_out": True}
    assert AuditEvent.objects.filter(action="auth.login").count() == 0


def test_lock_is_per_username_not_per_address(client, county_admin, city_admin):
    for _ in range(5):
        _login(client, county_admin.username, "wrong-password-000")
    # Another person behind the same county NAT address still signs in.
    other = Client()
    assert _login(other, city_admin.username, PASSWORD).status_code == 302
    assert _signed_in(other)


def test_lock_lifts_after_the_cooloff(client, county_admin):
    for _ in range(5):
        _login(client, county_admin.username, "wrong-password-000")
    assert _login(client, county_admin.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=5))
    response = _login(client, county_admin.username, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_lock_holds_until_the_cooloff_ends(client, county_admin):
    for _ in range(5):
        _login(client, county_admin.username, "wrong-password-000")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    assert _login(client, county_admin.username, PASSWORD).status_code == 429


@override_settings(AXES_COOLOFF_TIME=timedelta(seconds=0.2))
def test_cooloff_is_configurable(client, county_admin):
    for _ in range(5):
        _login(client, county_admin.username, "wrong-password-000")
    time.sleep(0.3)
    assert _login(client, county_admin.username, PASSWORD).status_code == 302


# --- Audit of signing in and out ------------------------------------------------------------------------------


def test_login_is_audited_with_ip_role_and_region(client, county_admin):
    _login(client, county_admin.username, PASSWORD)
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == county_admin
    assert event.actor_name == county_admin.username
    assert event.role == "county_admin"
    assert event.region_code == "140105"
    assert event.ip_address == IP


def test_logout_is_audited(client, county_admin):
    _login(client, county_admin.username, PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=IP)
    event = AuditEvent.objects.get(action="auth.logout")
    assert event.actor == county_admin
    assert event.ip_address == IP
    assert not _signed_in(client)


def test_failed_login_records_username_never_password(client, county_admin):
    _login(client, county_admin.username, "Secret-Typed-Wrong-42")
    _login(client, "no-such-user", "Another-Secret-Typed-43")
    events = AuditEvent.objects.filter(action="auth.login_failed").order_by("id")
    assert [e.detail["username"] for e in events] == [county_admin.username, "no-such-user"]
    assert all(e.ip_address == IP and e.actor is None for e in events)
    dumped = json.dumps([list(e.__dict__.values()) for e in AuditEvent.objects.all()], default=str)
    assert "Secret-Typed-Wrong-42" not in dumped
    assert "Another-Secret-Typed-43" not in dumped


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_client_ip_behind_one_trusted_proxy_takes_the_proxy_appended_address(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.2")
    # 1.2.3.4 was written by the client and could be anything; the proxy appended 203.0.113.9.
    assert client_ip(request) == "203.0.113.9"


def test_client_ip_without_proxies_ignores_forwarded_header(rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"
    assert client_ip(rf.get("/", REMOTE_ADDR="not-an-ip")) is None


# --- Sessions -------------------------------------------------------------------------------------------


def test_idle_session_expires(client, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_pushes_the_idle_expiry_forward(client, county_admin):
    client.force_login(county_admin)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get(reverse("home"))
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_session_ends_twelve_hours_after_sign_in_whatever_the_activity(client, county_admin):
    client.force_login(county_admin)
    session = client.session
    session[AUTH_STARTED_AT] = time.time() - 13 * 3600
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("login") + "?expired=1"
    assert not _signed_in(client)
    assert AuditEvent.objects.get(action="auth.logout").detail == {"reason": "absolute_timeout"}
    # Eleven hours in is still fine.
    client.force_login(county_admin)
    session = client.session
    session[AUTH_STARTED_AT] = time.time() - 11 * 3600
    session.save()
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_starts_the_absolute_clock(client, county_admin):
    before = time.time()
    _login(client, county_admin.username, PASSWORD)
    assert client.session[AUTH_STARTED_AT] >= before


def test_disabled_account_session_ends(client, county_admin):
    client.force_login(county_admin)
    key = client.session.session_key
    assert client.get(reverse("home")).status_code == 200
    county_admin.is_active = False
    county_admin.save(update_fields=["is_active"])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("login") + "?expired=disabled"
    assert not Session.objects.filter(session_key=key).exists()
    event = AuditEvent.objects.get(action="auth.session_ended")
    assert event.actor == county_admin
    assert event.detail == {"reason": "account_disabled"}
    assert "账号已被停用" in client.get(response.url).content.decode()


# --- CSRF, CSP, caching ---------------------------------------------------------------------------------


def test_csrf_enforced_on_login(county_admin):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": county_admin.username, "password": PASSWORD})
    assert response.status_code == 403
    assert not _signed_in(client)


def test_csrf_enforced_on_signed_in_post(county_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_admin)
    assert client.post(reverse("logout")).status_code == 403
    assert _signed_in(client)


def test_login_with_csrf_token_works(county_admin):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("login"), {"username": county_admin.username, "password": PASSWORD,
                                              "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_csp_header_present(client, county_admin):
    for response in (client.get(reverse("login")), (client.force_login(county_admin), client.get("/"))[1]):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "object-src 'none'" in policy


def test_signed_in_pages_are_not_stored(client, county_admin):
    client.force_login(county_admin)
    response = client.get(reverse("home"))
    assert "no-store" in response["Cache-Control"]


def test_login_page_explains_lockout_from_settings(client):
    response = _login(client, "someone", "wrong-password-000")
    text = response.content.decode()
    assert f"连续失败{settings.AXES_FAILURE_LIMIT}次" in text
    assert "锁定15分钟" in text


def test_password_validators_require_twelve_characters(django_user_model):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("Shanxi-2020")  # 11 characters
    validate_password("Shanxi-2020!x")


def test_production_settings_require_second_factor_and_secure_cookies():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 60,
           "PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=", "PII_HASH_KEY": "k"}
    for name in ("OTP_REQUIRED_FOR_PROVINCE", "SESSION_IDLE_SECONDS", "SESSION_ABSOLUTE_SECONDS", "AXES_FAILURE_LIMIT",
                 "AXES_COOLOFF_MINUTES"):
        env.pop(name, None)
    code = ("from django.conf import settings as s;"
            "print(s.OTP_REQUIRED_FOR_PROVINCE, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
            " s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_COOKIE_AGE, s.SESSION_ABSOLUTE_SECONDS,"
            " s.SESSION_COOKIE_NAME, s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())")
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         cwd=settings.BASE_DIR, capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "True", "True", "1800", "43200", "__Host-sessionid", "5", "900.0"]
