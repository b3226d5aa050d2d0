"""Write audit events. Services call `audit_record`; nothing else writes AuditEvent rows."""

from __future__ import annotations

from typing import Any

from django.db import models

from .middleware import current_request
from .models import AuditEvent


def _client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


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
    """Append one audit event; the IP address comes from the current request when there is one."""
    request = request or current_request()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        region_code = region_code or getattr(obj, "region_code", "") or ""
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_name=getattr(actor_obj, "username", "") if actor_obj else (actor if isinstance(actor, str) else ""),
        role=role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        detail=detail or {},
        ip_address=_client_ip(request),
    )
