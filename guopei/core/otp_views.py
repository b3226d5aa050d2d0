"""The TOTP second factor for province-level administrators: enrol an authenticator, then verify each sign-in.

OTPRequiredMiddleware sends a province-level administrator whose session is not yet verified to
`otp_verify` when settings.OTP_REQUIRED_FOR_PROVINCE is on; with no authenticator yet, verification leads to
`otp_setup`. The QR code is drawn here as SVG (no outside service sees the secret).
"""

from __future__ import annotations

import base64
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .middleware import needs_second_factor

# User-facing messages (the word "token" here is a one-time code, not a secret).
ERR_TOKEN_INVALID = "动态口令不正确或已过期，请输入验证器上当前显示的6位数字。"  # noqa: S105
ERR_TOKEN_FORMAT = "请输入6位数字动态口令。"  # noqa: S105
ERR_THROTTLED = "动态口令错误次数过多，请稍后再试。"
ERR_VERIFY_BEFORE_REENROL = "已绑定验证器的账号须先通过动态口令验证，才能更换验证器。"
ERR_NOT_REQUIRED = "您的角色不使用动态口令。"

PENDING_DEVICE_NAME = "待确认的验证器"
DEVICE_NAME = "身份验证器"


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="动态口令",
        regex=r"^\d{6}$",
        error_messages={"invalid": ERR_TOKEN_FORMAT, "required": ERR_TOKEN_FORMAT},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6,
                                      "class": "form-control form-control-lg text-center", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("home")


def _confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-id").first()


def totp_device_pending(*, user: Any) -> TOTPDevice:
    """Return the user's unconfirmed authenticator, creating one with a fresh secret if there is none."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm `device` with its first token; it replaces any earlier authenticator and verifies the session."""
    user: Any = request.user
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not device.verify_token(token):
            audit_record(actor=user, action="auth.otp_failed", obj=user, detail={"stage": "enrol"})
            return False
        TOTPDevice.objects.devices_for_user(user, confirmed=None).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.name = DEVICE_NAME
        device.save(update_fields=["confirmed", "name"])
        audit_record(actor=user, action="auth.otp_enrolled", obj=user, detail={"device": device.persistent_id})
    otp_login(request, device)
    return True


def qr_svg_data_uri(text: str) -> str:
    """Draw `text` as a QR code in SVG and return it as a data: URI (allowed by the CSP's img-src)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def _grouped_secret(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the secret), then confirm with its first token."""
    user: Any = request.user
    if not needs_second_factor(user) and not _confirmed_device(user):
        raise PermissionDenied(ERR_NOT_REQUIRED)
    if _confirmed_device(user) is not None and not user.is_verified():
        # Someone holding only the password must not be able to swap in their own authenticator.
        messages.info(request, ERR_VERIFY_BEFORE_REENROL)
        return redirect(f"{reverse('otp_verify')}?{urlencode({'next': reverse('otp_setup')})}")
    device = totp_device_pending(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", ERR_TOKEN_INVALID)
    return render(request, "core/otp_setup.html", {
        "form": form,
        "qr_data_uri": qr_svg_data_uri(device.config_url),
        "secret": _grouped_secret(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "next": _next_url(request),
        "replacing": _confirmed_device(user) is not None,
    })


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the 6-digit token from the enrolled authenticator before anything else is shown."""
    user: Any = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    device = _confirmed_device(user)
    if device is None:
        if needs_second_factor(user):
            query = request.GET.urlencode()
            return redirect(f"{reverse('otp_setup')}?{query}" if query else reverse("otp_setup"))
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", ERR_THROTTLED)
        elif (matched := verify_token(user, device.persistent_id, form.cleaned_data["token"])) is not None:
            otp_login(request, matched)
            audit_record(actor=user, action="auth.otp_verified", obj=user)
            return redirect(_next_url(request))
        else:
            audit_record(actor=user, action="auth.otp_failed", obj=user, detail={"stage": "verify"})
            form.add_error("token", ERR_TOKEN_INVALID)
    return render(request, "core/otp_verify.html", {"form": form, "next": _next_url(request)})
