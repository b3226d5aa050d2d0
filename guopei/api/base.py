"""The base every app's API is built on: scoped querysets, role permissions, no caching of responses.

How an app adds endpoints
-------------------------
Nobody edits ``guopei/api/urls.py``. An app publishes its endpoints by defining ``guopei/<app>/api.py`` with a
``router_register(router)`` function; ``guopei.api.routers.build_router`` imports that module for every
``guopei.*`` app in ``INSTALLED_APPS`` (the same discovery ``guopei.core.registry`` uses for navigation) and
serves everything under ``/api/v1/``::

    # guopei/plans/api.py
    from guopei.api.base import HasRole, ScopedReadOnlyViewSet
    from guopei.orgs.roles import REGION_ADMIN_ROLES

    from .selectors import plans_for_user
    from .serializers import PlanSerializer


    class PlanViewSet(ScopedReadOnlyViewSet):
        \"\"\"Annual plans in the user's reach.\"\"\"

        serializer_class = PlanSerializer
        permission_classes = [HasRole(*REGION_ADMIN_ROLES)]
        filterset_fields = ["year"]

        def scoped_queryset(self, user):
            return plans_for_user(user)


    def router_register(router):
        router.register("plans", PlanViewSet, basename="plan")

A write is an action that loads the object through the scope and calls one service::

    class NominationViewSet(ScopedGenericViewSet):
        serializer_class = NominationSerializer
        permission_classes = [HasRole(Role.INSTITUTION_STAFF)]

        def scoped_queryset(self, user):
            return nominations_for_user(user)

        @extend_schema(request=None, responses=NominationSerializer)
        @action(detail=True, methods=["post"])
        def confirm(self, request, pk=None):
            nomination = self.get_object()  # 404 outside the user's scope
            nomination_confirm(actor=request.user, nomination=nomination)
            return Response(self.get_serializer(nomination).data)

Each endpoint gets the three-persona tests (right role in its region → 200, same role elsewhere → 404, wrong
role → 403) and a `django_assert_max_num_queries` bound on its list; see guopei/api/tests/test_schools.py.

The rules the base enforces:

* ``get_queryset`` always returns ``scoped_queryset(request.user)``: a subclass implements ``scoped_queryset``
  by calling the app's scoped selector (``<things>_for_user``). Defining ``queryset`` or overriding
  ``get_queryset`` raises ``ImproperlyConfigured`` when the class is created, so an unscoped viewset cannot
  exist. The selector must return an empty queryset for an anonymous user (the schema generator calls it
  with one to learn the model).
* An object outside the user's reach is simply not in the queryset, so its detail URL answers 404, never
  403 (a 403 would confirm that it exists).
* ``HasRole(*roles)`` gives 403 to a signed-in user holding none of ``roles`` and 401 to an anonymous one.
* Pagination, filtering backends, authentication (session and token) and the exception handler come from
  ``REST_FRAMEWORK`` in settings; a viewset does not override them.
* Every response carries ``Cache-Control: no-store``: token-authenticated requests are anonymous to the
  middleware, so the page-level no-store rule would not reach them.
* Writes go through the app's services (``<thing>_<verb>``), called from ``create``/``update``/``@action``
  methods of a ``ScopedGenericViewSet``; a ``django.core.exceptions.ValidationError`` raised by a service
  becomes a 400 with its messages (``guopei.api.exceptions``). Serializers validate input and render output;
  they do not save models.
* Route names are ``api:<basename>-list`` and ``api:<basename>-detail``; basenames must be unique across
  apps, and so must URL prefixes (a clash stops start-up).
* Two models with a ``TextChoices`` field of the same name (``kind``, ``state``…) need an entry in
  ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``, or the schema check (``manage.py spectacular --validate
  --fail-on-warn``, run by the tests) fails.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.cache import patch_cache_control
from rest_framework import viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guopei.orgs.scoping import has_role

ROLE_DENIED = "您的角色不能使用此接口"


def HasRole(*roles: str) -> type[BasePermission]:
    """Build a permission class that admits only signed-in users holding one of `roles`."""
    if not roles:
        raise ImproperlyConfigured("HasRole() needs at least one role")
    wanted = tuple(sorted(str(role) for role in roles))

    class _HasRole(BasePermission):
        message = ROLE_DENIED

        def has_permission(self, request: Request, view: APIView) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and has_role(user, *wanted))

    _HasRole.__name__ = _HasRole.__qualname__ = f"HasRole({', '.join(wanted)})"
    _HasRole.roles = wanted  # type: ignore[attr-defined]
    return _HasRole


class NoStoreMixin:
    """Forbid caching of every API response: most carry data scoped to one person."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        patch_cache_control(response, no_store=True, private=True)
        return response


class ScopedViewSetMixin(NoStoreMixin):
    """Serve exactly the rows the app's scoped selector gives the current user.

    Subclasses implement `scoped_queryset(user)`; they may not set `queryset` or override `get_queryset`.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("queryset") is not None:
            raise ImproperlyConfigured(f"{cls.__name__}: set no `queryset`; implement scoped_queryset(user)")
        if "get_queryset" in cls.__dict__:
            raise ImproperlyConfigured(f"{cls.__name__}: do not override get_queryset; implement scoped_queryset")

    def scoped_queryset(self, user: Any) -> QuerySet[Any]:
        """Return the rows `user` may see, from the app's selector."""
        raise NotImplementedError(f"{type(self).__name__} must implement scoped_queryset(user)")

    def get_queryset(self) -> QuerySet[Any]:
        request = self.request  # type: ignore[attr-defined]
        qs = self.scoped_queryset(request.user)
        if not isinstance(qs, QuerySet):
            raise ImproperlyConfigured(f"{type(self).__name__}.scoped_queryset must return a QuerySet")
        return qs


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """List and detail of scoped rows; a row outside the scope is a 404."""


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A scoped base for viewsets whose actions call services: add the mixins or `@action` methods you need.

    `self.get_object()` looks the object up in the scoped queryset, so it raises 404 outside the scope.
    """
