"""API tokens that expire: `Authorization: Token <key>` is accepted for `API_TOKEN_TTL_HOURS` after the token
was issued, like the session's absolute limit on the pages (docs/security.md). An expired token is refused with
401 and a Chinese message; asking `POST /api/v1/auth/token/` again (password, and TOTP at province level) issues
a new one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

TOKEN_EXPIRED = "接口令牌已过期，请重新获取（POST /api/v1/auth/token/）。"  # noqa: S105 (a message)


def token_lifetime() -> timedelta:
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def token_expired(token: Any, now: Any = None) -> bool:
    """Whether a token issued at `token.created` is past its lifetime. A token read by raw SQL on SQLite carries
    a naive datetime (or its text), which the database stores in UTC."""
    created = token.created
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    if timezone.is_naive(created):
        created = created.replace(tzinfo=UTC)
    return bool(created <= (now or timezone.now()) - token_lifetime())


def token_expires_at(token: Any) -> Any:
    return token.created + token_lifetime()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than `API_TOKEN_TTL_HOURS`."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        self.check_lifetime(token)
        return user, token

    @staticmethod
    def check_lifetime(token: Any) -> None:
        if token_expired(token):
            raise exceptions.AuthenticationFailed(TOKEN_EXPIRED)
