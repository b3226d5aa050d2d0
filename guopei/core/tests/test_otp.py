"""TOTP second factor for province-level administrators (django-otp), with the requirement on and off."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from guopei.core.models import AuditEvent
from guopei.core.otp_views import ERR_TOKEN_INVALID, ERR_VERIFY_BEFORE_REENROL

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-1"


def token_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The 6-digit token the authenticator app would show now (or `steps_ahead` 30-second steps later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{totp.token():0{device.digits}d}"


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_province_admin_enrols_on_first_sign_in_then_reaches_home(province_admin):
    client = sign_in(province_admin.username)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    verify_url = urlparse(response.url)
    assert verify_url.path == reverse("otp_verify")
    assert parse_qs(verify_url.query) == {"next": ["/"]}

    # No authenticator yet: verification leads to enrolment, keeping where the person was going.
    response = client.get(response.url)
    assert urlparse(response.url).path == reverse("otp_setup")
    setup = client.get(response.url)
    assert setup.status_code == 200
    page = setup.content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    qr = setup.context["qr_data_uri"].split(",", 1)[1]
    assert base64.b64decode(qr).lstrip().startswith(b"<svg")
    device = TOTPDevice.objects.get(user=province_admin, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert setup.context["secret"].replace(" ", "") == secret

    response = client.post(reverse("otp_setup"), {"token": token_for(device), "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get(reverse("home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="auth.otp_enrolled", actor=province_admin).count() == 1


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_enrolment_with_a_wrong_token_is_refused(province_admin):
    client = sign_in(province_admin.username)
    client.get(reverse("otp_setup"))
    device = TOTPDevice.objects.get(user=province_admin)
    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp_setup"), {"token": wrong})
    assert response.status_code == 200
    assert ERR_TOKEN_INVALID in response.content.decode()
    assert not TOTPDevice.objects.filter(user=province_admin, confirmed=True).exists()
    assert client.get(reverse("home")).status_code == 302


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_enrolled_province_admin_must_enter_token_after_password(province_admin):
    device = enrolled(province_admin)
    client = sign_in(province_admin.username)
    response = client.get(reverse("orgs:school_list"))
    assert urlparse(response.url).path == reverse("otp_verify")

    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("otp_verify"), {"token": wrong, "next": reverse("orgs:school_list")})
    assert response.status_code == 200
    assert ERR_TOKEN_INVALID in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=province_admin).exists()
    assert client.get(reverse("home")).status_code == 302

    # Throttling after a failure makes the next try wait; a real person waits, the test clears the delay.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(reverse("otp_verify"), {"token": token_for(device), "next": reverse("orgs:school_list")})
    assert response.status_code == 302
    assert response.url == reverse("orgs:school_list")
    assert client.get(reverse("orgs:school_list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=province_admin).count() == 1


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_token_cannot_be_replayed(province_admin):
    device = enrolled(province_admin)
    token = token_for(device)
    first = sign_in(province_admin.username)
    assert first.post(reverse("otp_verify"), {"token": token}).status_code == 302
    second = sign_in(province_admin.username)
    response = second.post(reverse("otp_verify"), {"token": token})
    assert response.status_code == 200
    assert second.get(reverse("home")).status_code == 302


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_finance_officer_is_province_level_too(finance_officer):
    client = sign_in(finance_officer.username)
    assert urlparse(client.get(reverse("home")).url).path == reverse("otp_verify")


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_city_and_county_admins_need_no_second_factor(city_admin, county_admin):
    for user in (city_admin, county_admin):
        assert sign_in(user.username).get(reverse("home")).status_code == 200


@override_settings(OTP_REQUIRED_FOR_PROVINCE=False)
def test_with_the_requirement_off_province_admin_goes_straight_in(province_admin):
    enrolled(province_admin)
    client = sign_in(province_admin.username)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("audit:search")).status_code == 200


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_reenrolment_needs_a_verified_session(province_admin):
    device = enrolled(province_admin)
    client = sign_in(province_admin.username)
    response = client.get(reverse("otp_setup"), follow=True)
    assert response.redirect_chain[0][0] == reverse("otp_verify") + "?next=%2Faccounts%2Fotp%2Fsetup%2F"
    assert ERR_VERIFY_BEFORE_REENROL in response.content.decode()
    assert TOTPDevice.objects.filter(user=province_admin).count() == 1

    client.post(reverse("otp_verify"), {"token": token_for(device)})
    assert client.get(reverse("otp_setup")).status_code == 200
    new = TOTPDevice.objects.get(user=province_admin, confirmed=False)
    assert client.post(reverse("otp_setup"), {"token": token_for(new)}).status_code == 302
    # The new authenticator replaces the old one.
    assert list(TOTPDevice.objects.filter(user=province_admin).values_list("pk", flat=True)) == [new.pk]


def test_setup_is_not_offered_to_roles_without_second_factor(client, county_admin):
    client.force_login(county_admin)
    assert client.get(reverse("otp_setup")).status_code == 403
    assert not TOTPDevice.objects.filter(user=county_admin).exists()


def test_anonymous_is_sent_to_login(client):
    for name in ("otp_setup", "otp_verify"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_next_cannot_leave_the_site(province_admin):
    device = enrolled(province_admin)
    client = sign_in(province_admin.username)
    response = client.post(reverse("otp_verify"), {"token": token_for(device), "next": "https://evil.example/"})
    assert response.url == reverse("home")


@override_settings(OTP_REQUIRED_FOR_PROVINCE=True)
def test_logout_stays_reachable_before_verification(province_admin):
    enrolled(province_admin)
    client = sign_in(province_admin.username)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session
