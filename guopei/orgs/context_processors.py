from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guopei.core.registry import nav_items

from .scoping import active_memberships


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Show each role the parts of the platform it may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = nav_items(user)
    path = request.path
    active = max((item for item in items if item.url != "/" and path.startswith(item.url)),
                 key=lambda item: len(item.url), default=None)
    return {
        "nav_items": [{"label": i.label, "url": i.url, "active": i is active} for i in items],
        "nav_roles": sorted({m.get_role_display() for m in active_memberships(user)}),
    }
