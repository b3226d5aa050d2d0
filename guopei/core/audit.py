"""Write and search audit events. Services call `audit_record`; nothing else writes AuditEvent rows.

The trail is append-only (the model and its queryset refuse updates and deletes); the only way rows leave
is `manage.py audit_prune`, which removes events older than the documented retention (at least 180 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from .middleware import client_ip, current_request
from .models import AuditEvent

# Chinese names of the actions the platform writes most; an action not listed is shown by its code.
ACTION_LABELS: dict[str, str] = {
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    "auth.lockout": "账号锁定",
    "auth.session_ended": "会话终止",
    "auth.otp_enrolled": "绑定动态口令",
    "auth.otp_verified": "动态口令验证通过",
    "auth.otp_failed": "动态口令验证失败",
    "audit.export": "导出审计日志",
    "audit.prune": "清理过期审计日志",
    "core.pii_rotate": "个人信息密钥轮换",
    "teachers.reveal": "查看完整身份证号或手机号",
    "teachers.export": "导出教师名单（脱敏）",
    "teachers.export_unmasked": "导出教师名单（未脱敏）",
}

# The roles column is short; a person holding many roles keeps the first ones that fit.
_ROLE_FIELD_MAX = AuditEvent._meta.get_field("role").max_length or 40


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _roles_for(actor: Any) -> str:
    from guopei.orgs.scoping import roles_of

    joined = ""
    for role in sorted(roles_of(actor)):
        candidate = f"{joined},{role}" if joined else role
        if len(candidate) > _ROLE_FIELD_MAX:
            break
        joined = candidate
    return joined


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    region_code: str = "",
    detail: dict[str, Any] | None = None,
    role: str = "",
    request: Any = None,
) -> AuditEvent:
    """Append one audit event; the IP address comes from the current request when there is one.

    `actor` is a user, or a plain string naming who acted when there is no account (a failed sign-in
    records the username that was tried). The role defaults to the actor's active roles.
    """
    request = request or current_request()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        region_code = region_code or getattr(obj, "region_code", "") or ""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    if actor_obj is not None:
        actor_name = actor_obj.get_username()
        role = role or _roles_for(actor_obj)
    else:
        actor_name = actor if isinstance(actor, str) else ""
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_name=actor_name[:150],
        role=role[:_ROLE_FIELD_MAX],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        detail=detail or {},
        ip_address=client_ip(request),
    )


@dataclass(frozen=True)
class AuditFilter:
    """What the province searches the trail by; every field is optional."""

    actor: str = ""
    action: str = ""
    region_code: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_detail(self) -> dict[str, str]:
        """The filter as plain strings, for the audit event that records an export."""
        return {
            "actor": self.actor,
            "action": self.action,
            "region_code": self.region_code,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def audit_events_search(filters: AuditFilter) -> models.QuerySet[AuditEvent]:
    """Events matching `filters`, newest first.

    A region code matches itself and everything under it (a city matches its counties) through the same
    code range the scoping module uses, so the region index serves it. Dates are whole days in Asia/Shanghai,
    both ends included.
    """
    from guopei.orgs.scoping import region_bounds

    qs = AuditEvent.objects.all()
    if filters.actor:
        qs = qs.filter(actor_name__icontains=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.region_code:
        lo, hi = region_bounds(filters.region_code)
        qs = qs.filter(region_code__range=(lo, hi)) if lo != hi else qs.filter(region_code=lo)
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return qs.order_by("-at", "-id")


def audit_actions_in_use() -> list[str]:
    """Every action code present in the trail, for the search form's choices."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
