"""Issue and revoke API tokens. Each is audited; the token itself never enters the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import update_last_login
from django.db import transaction
from rest_framework.authtoken.models import Token

from guopei.core.audit import audit_record

from .authentication import token_expired, token_expires_at


def token_issue(*, user: Any) -> Token:
    """Return the user's API token, creating it on first use or when the old one has expired (a new key), and
    record the sign-in."""
    with transaction.atomic():
        token, created = Token.objects.select_for_update().get_or_create(user=user)
        renewed = not created and token_expired(token)
        if renewed:
            token.delete()
            token = Token.objects.create(user=user)
        update_last_login(type(user), user)
        audit_record(actor=user, action="api.token_issue", obj=user,
                     detail={"created": created or renewed, "renewed_expired": renewed,
                             "expires_at": token_expires_at(token).isoformat()})
    return token


def token_revoke(*, user: Any) -> bool:
    """Delete the user's API token; every client holding it is signed out. Return whether one existed."""
    with transaction.atomic():
        deleted, _ = Token.objects.filter(user=user).delete()
        audit_record(actor=user, action="api.token_revoke", obj=user, detail={"deleted": bool(deleted)})
    return bool(deleted)
