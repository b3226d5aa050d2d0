"""Request-wide concerns: the current request for audit, session lifetime, no-store, second factor."""

from __future__ import annotations

import contextvars
import ipaddress
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

_request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("request", default=None)

# Session keys this module reads and writes.
AUTH_STARTED_AT = "auth_started_at"
LOGOUT_REASON_ATTR = "_guopei_logout_reason"


def current_request() -> HttpRequest | None:
    return _request_var.get()


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str | None:
    """Return the address the request came from, for audit events and the lockout records.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each appends the address it received the request from to
    X-Forwarded-For, so the client is the entry that many places from the right; anything further left was
    written by the client and is not trusted. Without proxies, REMOTE_ADDR is the client.
    """
    if request is None:
        return None
    meta = getattr(request, "META", {})
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies])
    return _valid_ip(meta.get("REMOTE_ADDR") or "")


class RequestContextMiddleware:
    """Remember the request so services can stamp audit events with its IP address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_var.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_var.reset(token)


def _login_redirect(reason: str) -> HttpResponse:
    return redirect(f"{reverse('login')}?{urlencode({'expired': reason})}")


class SessionLifetimeMiddleware:
    """End a session 12 hours after sign-in whatever the activity, and at once when the account is disabled.

    The idle timeout (30 minutes) is Django's own: SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST, so
    each request pushes the expiry forward and a session left alone expires in the session store.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(AUTH_STARTED_AT)
            now = time.time()
            if started is None:
                request.session[AUTH_STARTED_AT] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                setattr(request, LOGOUT_REASON_ATTR, "absolute_timeout")
                logout(request)
                return _login_redirect("1")
        elif user is not None and request.session.get(SESSION_KEY):
            # The session names an account that no longer authenticates: disabled (or removed) since
            # sign-in. Django already treats the request as anonymous; end the session itself too.
            self._end_for_disabled_account(request, request.session[SESSION_KEY])
            return _login_redirect("disabled")
        return self.get_response(request)

    @staticmethod
    def _end_for_disabled_account(request: HttpRequest, user_id: Any) -> None:
        from django.contrib.auth import get_user_model

        from .audit import audit_record

        request.session.flush()
        account = get_user_model().objects.filter(pk=user_id).first()
        if account is not None:
            audit_record(actor=account, action="auth.session_ended", detail={"reason": "account_disabled"},
                         request=request)


class NoStoreMiddleware:
    """Forbid caching of every page served to a signed-in user: they may carry personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        static = settings.STATIC_URL or "/static/"
        if user is not None and user.is_authenticated and not request.path.startswith(static):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


def needs_second_factor(user: Any) -> bool:
    """Province-level administrators (and superusers) sign in with a second factor."""
    from guopei.orgs.roles import PROVINCE_ROLES
    from guopei.orgs.scoping import has_role

    return bool(user.is_superuser) or has_role(user, *PROVINCE_ROLES)


class OTPRequiredMiddleware:
    """Send a province-level administrator without a verified second factor to the TOTP page.

    On when settings.OTP_REQUIRED_FOR_PROVINCE is (production's default). Sign-in, sign-out and the two
    TOTP pages stay reachable; so do static files, the health check and the public certificate check.
    """

    EXEMPT_PREFIXES = ("/static/", "/healthz", "/public/", "/verify/")
    EXEMPT_URL_NAMES = ("login", "logout", "otp_verify", "otp_setup")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _exempt(self, path: str) -> bool:
        if path.startswith(self.EXEMPT_PREFIXES):
            return True
        return path in {reverse(name) for name in self.EXEMPT_URL_NAMES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.OTP_REQUIRED_FOR_PROVINCE:
            user: Any = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and not user.is_verified()
                and not self._exempt(request.path)
                and needs_second_factor(user)
            ):
                return redirect(f"{reverse('otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
