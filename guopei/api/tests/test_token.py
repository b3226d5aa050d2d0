"""/api/v1/auth/token/: API tokens, with django-axes counting failures exactly as on the sign-in page."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from guopei.api.views import SIGNIN_BAD_CREDENTIALS, SIGNIN_OTP_INVALID, SIGNIN_OTP_REQUIRED
from guopei.core.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery-1"


def ask(api, username, password=PASSWORD, **extra):
    return api.post(URL, {"username": username, "password": password, **extra}, format="json")


def test_token_for_right_password_authenticates_api_requests(api, county_admin):
    response = ask(api, "xd_admin")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(user=county_admin).key == key
    assert "no-store" in response["Cache-Control"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "xd_admin"


def test_asking_twice_returns_the_same_token_and_audits_each_issue(api, county_admin):
    first = ask(api, "xd_admin").json()["token"]
    second = ask(api, "xd_admin").json()["token"]
    assert first == second
    events = AuditEvent.objects.filter(action="api.token_issue", actor=county_admin)
    assert events.count() == 2
    assert all(first not in str(event.detail) for event in events)
    county_admin.refresh_from_db()
    assert county_admin.last_login is not None


def test_wrong_password_is_400_with_chinese_message(api, county_admin):
    response = ask(api, "xd_admin", "wrong-password-123")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [SIGNIN_BAD_CREDENTIALS]}
    assert not Token.objects.exists()


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(api, db):
    response = ask(api, "nobody-here", "wrong-password-123")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [SIGNIN_BAD_CREDENTIALS]}


def test_disabled_account_gets_no_token(api, county_admin):
    county_admin.is_active = False
    county_admin.save(update_fields=["is_active"])
    assert ask(api, "xd_admin").status_code == 400


def test_five_wrong_passwords_lock_the_account_for_the_token_endpoint(api, county_admin):
    for _ in range(4):
        assert ask(api, "xd_admin", "wrong-password-123").status_code == 400
    fifth = ask(api, "xd_admin", "wrong-password-123")
    assert fifth.status_code == 429
    assert "锁定" in fifth.json()["detail"]
    assert AccessAttempt.objects.get(username="xd_admin").failures_since_start == 5
    # Locked: the right password gets no token either.
    locked = ask(api, "xd_admin")
    assert locked.status_code == 429
    assert "15分钟" in locked.json()["detail"]
    assert not Token.objects.filter(user=county_admin).exists()


def test_token_endpoint_failures_and_lockout_are_audited(api, county_admin):
    for _ in range(5):
        ask(api, "xd_admin", "wrong-password-123")
    ask(api, "xd_admin")
    failures = AuditEvent.objects.filter(action="auth.login_failed", actor_name="xd_admin")
    assert failures.count() == 6
    # The attempt with the right password during the lock is refused and recorded as such.
    assert failures.order_by("-id").first().detail.get("locked_out") is True
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.detail["failures"] == 5
    assert all("wrong-password" not in str(event.detail) for event in AuditEvent.objects.all())


def test_lock_set_through_the_token_endpoint_also_closes_the_sign_in_page(api, client, county_admin):
    for _ in range(5):
        ask(api, "xd_admin", "wrong-password-123")
    response = client.post("/accounts/login/", {"username": "xd_admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_the_sign_in_page_count_towards_the_token_lock(api, client, county_admin):
    for _ in range(4):
        client.post("/accounts/login/", {"username": "xd_admin", "password": "wrong-password-123"})
    assert ask(api, "xd_admin", "wrong-password-123").status_code == 429
    assert ask(api, "xd_admin").status_code == 429


def test_success_resets_the_failure_count(api, county_admin):
    for _ in range(4):
        ask(api, "xd_admin", "wrong-password-123")
    assert ask(api, "xd_admin").status_code == 200
    for _ in range(4):
        assert ask(api, "xd_admin", "wrong-password-123").status_code == 400
    assert ask(api, "xd_admin").status_code == 200


def test_token_request_needs_no_csrf_token_even_with_a_session(county_admin):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(county_admin)
    assert ask(browser, "xd_admin").status_code == 200


def test_delete_revokes_the_token(api, county_admin):
    key = ask(api, "xd_admin").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.delete(URL).status_code == 204
    assert not Token.objects.filter(user=county_admin).exists()
    assert AuditEvent.objects.filter(action="api.token_revoke", actor=county_admin).exists()
    assert api.get("/api/v1/me/").status_code == 401


def test_anonymous_cannot_revoke(api, county_admin):
    assert api.delete(URL).status_code == 401


def test_disabled_account_token_stops_working(api, county_admin):
    key = ask(api, "xd_admin").json()["token"]
    county_admin.is_active = False
    county_admin.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_province_admin_needs_a_totp_code_when_second_factor_is_required(api, province_admin):
    device = TOTPDevice.objects.create(user=province_admin, name="认证器", confirmed=True)
    missing = ask(api, "prov_admin")
    assert missing.status_code == 400
    assert missing.json() == {"otp_token": [SIGNIN_OTP_REQUIRED]}
    good_code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    wrong_code = f"{(int(good_code) + 1) % 1000000:06d}"
    wrong = ask(api, "prov_admin", otp_token=wrong_code)
    assert wrong.status_code == 400
    assert wrong.json() == {"otp_token": [SIGNIN_OTP_INVALID]}
    assert not Token.objects.filter(user=province_admin).exists()
    # django-otp slows guessing down after a wrong code; a person would wait, the test resets the delay.
    device.refresh_from_db()
    device.throttle_reset()
    assert ask(api, "prov_admin", otp_token=good_code).status_code == 200


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_county_admin_needs_no_totp_code(api, county_admin):
    assert ask(api, "xd_admin").status_code == 200


# --- lifetime ---------------------------------------------------------------------------------------------------
def test_token_expires_after_its_lifetime_with_a_chinese_401(api, county_admin, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.API_TOKEN_TTL_HOURS = 12
    response = ask(api, "xd_admin")
    key = response.json()["token"]
    token = Token.objects.get(key=key)
    assert response.json()["expires_at"].startswith(
        timezone.localtime(token.created + timedelta(hours=12)).isoformat()[:16])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(hours=11, minutes=59))
    assert client.get("/api/v1/me/").status_code == 200
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(hours=12))
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert "接口令牌已过期" in refused.json()["detail"]
    assert refused["WWW-Authenticate"].startswith("Token")


def test_asking_after_expiry_issues_a_new_key_and_the_old_one_stays_refused(api, county_admin):
    from datetime import timedelta

    from django.utils import timezone

    old = ask(api, "xd_admin").json()["token"]
    Token.objects.filter(key=old).update(created=timezone.now() - timedelta(days=2))
    new = ask(api, "xd_admin").json()["token"]
    assert new != old
    assert list(Token.objects.filter(user=county_admin).values_list("key", flat=True)) == [new]
    event = AuditEvent.objects.filter(action="api.token_issue").order_by("-id").first()
    assert event.detail["renewed_expired"] is True and event.detail["created"] is True
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert stale.get("/api/v1/me/").status_code == 401
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert fresh.get("/api/v1/me/").status_code == 200
