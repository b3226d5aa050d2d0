"""The API shell's own viewsets, registered on the shared router like any other app's."""

from __future__ import annotations

from rest_framework.routers import BaseRouter

from .views import InstitutionViewSet, RegionViewSet, SchoolViewSet


def router_register(router: BaseRouter) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("schools", SchoolViewSet, basename="school")
    router.register("institutions", InstitutionViewSet, basename="institution")
