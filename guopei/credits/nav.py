from __future__ import annotations

from typing import Any

from guopei.core.registry import NavItem

from .templatetags.credits_tags import tabs_for

ORDER = {"my": 40, "classes": 41, "queue": 41, "records": 42, "totals": 43, "it20": 44}


def nav_items(user: Any) -> list[NavItem]:
    """One entry into credits for each role (the tabs inside lead further); IT 2.0 progress has its own."""
    tabs = tabs_for(user)
    items: list[NavItem] = []
    work = [t for t in tabs if t[0] != "it20"]
    if work:
        key, _label, url = work[0]
        label = "我的学分" if key == "my" else "学时学分"
        items.append(NavItem(label, url, ORDER[key]))
    items.extend(NavItem("信息技术2.0", url, ORDER[key]) for key, _label, url in tabs if key == "it20")
    return items
