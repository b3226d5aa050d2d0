"""Build the one `/api/v1/` router from every app's `api.router_register(router)`."""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from rest_framework.routers import DefaultRouter

API_MODULE = "api"


def api_modules() -> list[str]:
    """Return the dotted names of the `guopei.<app>.api` modules that exist, in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("guopei."):
            continue
        module_name = f"{config.name}.{API_MODULE}"
        try:
            import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.append(module_name)
    return found


def build_router() -> DefaultRouter:
    """Return a router holding every app's viewsets; two apps claiming one URL prefix is an error."""
    router = DefaultRouter()
    owners: dict[str, str] = {}
    for module_name in api_modules():
        module = import_module(module_name)
        register = getattr(module, "router_register", None)
        if register is None:
            raise ImproperlyConfigured(f"{module_name} defines no router_register(router)")
        before = len(router.registry)
        register(router)
        for prefix, _viewset, _basename in router.registry[before:]:
            if prefix in owners:
                raise ImproperlyConfigured(f"API prefix {prefix!r} registered by {owners[prefix]} and {module_name}")
            owners[prefix] = module_name
    return router
