"""Audit sign-ins, sign-outs, failures and lockouts.

These are written from signals because sign-in happens inside Django and django-axes, not in a service of
ours. (The only other signal that leads to an audit event is tenders' `contract_signed`, whose receiver in
teachers calls a service, in the signing transaction.) Each event carries the client's IP address; a failure records the
username that was tried and never the password.
"""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .middleware import AUTH_STARTED_AT, LOGOUT_REASON_ATTR


def _username_field(credentials: dict[str, Any]) -> str:
    from django.contrib.auth import get_user_model

    value = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    return str(value)[:150]


def _home_region(user: Any) -> str:
    """The region of the account's widest active membership: what a regional search should find it under."""
    from guopei.orgs.scoping import active_memberships

    codes = sorted((m.region_code for m in active_memberships(user) if m.region_code), key=lambda c: (
        not c.endswith("0000"), not c.endswith("00"), c))
    return codes[0] if codes else ""


@receiver(user_logged_in, dispatch_uid="guopei_audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        # The 12-hour absolute lifetime counts from here (SessionLifetimeMiddleware).
        request.session[AUTH_STARTED_AT] = time.time()
    audit_record(actor=user, action="auth.login", obj=user, region_code=_home_region(user), request=request)


@receiver(user_logged_out, dispatch_uid="guopei_audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, LOGOUT_REASON_ATTR, "") if request is not None else ""
    audit_record(actor=user, action="auth.logout", obj=user, region_code=_home_region(user),
                 detail={"reason": reason} if reason else {}, request=request)


@receiver(user_login_failed, dispatch_uid="guopei_audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the username is kept: `credentials` also holds the password (Django masks it, but we take nothing
    # else from it on purpose).
    username = _username_field(credentials)
    detail: dict[str, Any] = {"username": username}
    if request is not None and getattr(request, "axes_locked_out", False):
        # Refused because the account is locked, whatever the password was.
        detail["locked_out"] = True
    audit_record(actor=username, action="auth.login_failed", detail=detail, request=request)


@receiver(user_locked_out, dispatch_uid="guopei_audit_lockout")
def audit_lockout(sender: Any, request: Any, username: str | None, ip_address: str | None, **kwargs: Any) -> None:
    # axes sends this when the limit is reached (failures counted on the request) and again for each attempt
    # refused during the lock (no count); the lock itself is one event.
    failures = getattr(request, "axes_failures_since_start", None) if request is not None else None
    if failures is None:
        return
    audit_record(
        actor=username or "",
        action="auth.lockout",
        detail={
            "username": username or "",
            "failures": failures,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        request=request,
    )
