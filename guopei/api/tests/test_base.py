"""The API base: scoped querysets only, role permissions, app discovery, service errors as 400."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIRequestFactory

from guopei.api import routers
from guopei.api.base import ROLE_DENIED, HasRole, ScopedReadOnlyViewSet
from guopei.api.exceptions import exception_handler
from guopei.orgs.models import School
from guopei.orgs.selectors import schools_for_user

pytestmark = pytest.mark.django_db


def test_a_viewset_with_an_unscoped_queryset_cannot_be_defined():
    with pytest.raises(ImproperlyConfigured, match="scoped_queryset"):

        class Leaky(ScopedReadOnlyViewSet):
            queryset = School.objects.all()


def test_a_viewset_overriding_get_queryset_cannot_be_defined():
    with pytest.raises(ImproperlyConfigured, match="get_queryset"):

        class Leaky(ScopedReadOnlyViewSet):
            def get_queryset(self):
                return School.objects.all()


def test_get_queryset_is_the_scoped_selector(county_admin, schools):
    class Schools(ScopedReadOnlyViewSet):
        def scoped_queryset(self, user):
            return schools_for_user(user)

    view = Schools()
    view.request = SimpleNamespace(user=county_admin)
    assert set(view.get_queryset()) == set(schools["140105"])


def test_a_viewset_without_scoped_queryset_fails_loudly(county_admin):
    class Forgot(ScopedReadOnlyViewSet):
        pass

    view = Forgot()
    view.request = SimpleNamespace(user=county_admin)
    with pytest.raises(NotImplementedError):
        view.get_queryset()


def test_has_role_admits_only_the_named_roles(county_admin, teacher_user):
    permission = HasRole("county_admin", "city_admin")()
    factory = APIRequestFactory()
    request = factory.get("/")
    for user, allowed in [(county_admin, True), (teacher_user, False), (AnonymousUser(), False)]:
        request.user = user
        assert permission.has_permission(request, None) is allowed
    assert permission.message == ROLE_DENIED


def test_has_role_needs_a_role():
    with pytest.raises(ImproperlyConfigured):
        HasRole()


def test_wrong_role_gets_the_chinese_403_message(api, teacher_user):
    api.force_login(teacher_user)
    response = api.get("/api/v1/regions/")
    assert response.status_code == 403
    assert response.json() == {"detail": ROLE_DENIED}


def test_router_collects_every_app_api_module():
    assert "guopei.api.api" in routers.api_modules()
    prefixes = {prefix for prefix, _viewset, _basename in routers.build_router().registry}
    assert {"regions", "schools", "institutions"} <= prefixes


def test_two_apps_claiming_one_prefix_stop_start_up(monkeypatch):
    monkeypatch.setattr(routers, "api_modules", lambda: ["guopei.api.api", "guopei.api.api"])
    with pytest.raises(ImproperlyConfigured):
        routers.build_router()


def test_an_api_module_without_router_register_is_an_error(monkeypatch):
    monkeypatch.setattr(routers, "api_modules", lambda: ["guopei.api.pagination"])
    with pytest.raises(ImproperlyConfigured, match="router_register"):
        routers.build_router()


def test_router_is_a_default_router():
    assert isinstance(routers.build_router(), DefaultRouter)


def test_service_validation_errors_become_400_with_their_messages():
    response = exception_handler(DjangoValidationError({"__all__": ["整体错误"], "quota": ["名额超出5人"]}), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["整体错误"], "quota": ["名额超出5人"]}
    plain = exception_handler(DjangoValidationError("不能修改已发布的计划"), {})
    assert plain.status_code == 400
    assert plain.data == ["不能修改已发布的计划"]
