"""Let each app contribute navigation items and home-page panels without the core importing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    order: int = 50


@dataclass
class Panel:
    """A card on a role's home page. `stats` are (label, number, link) triples computed from the database."""

    title: str
    order: int = 50
    stats: list[tuple[str, Any, str]] = field(default_factory=list)
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)


def _collect(module_name: str, function_name: str, user: Any) -> list[Any]:
    items: list[Any] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guopei."):
            continue
        try:
            module = import_module(f"{config.name}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{module_name}":
                raise
            continue
        items.extend(getattr(module, function_name)(user))
    return items


def nav_items(user: Any) -> list[NavItem]:
    return sorted(_collect("nav", "nav_items", user), key=lambda item: item.order)


def home_panels(user: Any) -> list[Panel]:
    return sorted(_collect("home", "home_panels", user), key=lambda panel: panel.order)
