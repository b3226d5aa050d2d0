"""Request-wide concerns: the current request for audit, session lifetime, no-store, second factor."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

_request_var: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("request", default=None)


def current_request() -> HttpRequest | None:
    return _request_var.get()


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


class SessionLifetimeMiddleware:
    """End a session 12 hours after login whatever the activity, and at once when the account is disabled.

    The idle timeout (30 minutes) is Django's own: SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get("auth_started_at")
            now = time.time()
            if started is None:
                request.session["auth_started_at"] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(f"{settings.LOGIN_URL and '/accounts/login/'}?expired=1")
        return self.get_response(request)


class NoStoreMiddleware:
    """Forbid caching of every page served to a signed-in user: they may carry personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


class OTPRequiredMiddleware:
    """Send a province-level administrator without a verified second factor to the TOTP page."""

    EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/public/", "/verify/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.OTP_REQUIRED_FOR_PROVINCE:
            user: Any = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and not request.path.startswith(self.EXEMPT_PREFIXES)
                and user.needs_second_factor
                and not user.is_verified()
            ):
                return redirect("otp_verify")
        return self.get_response(request)
