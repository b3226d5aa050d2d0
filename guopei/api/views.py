"""Endpoints of the API shell: regions, schools, institutions, the current user, and API tokens."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django_otp import match_token
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guopei.orgs.models import Institution, Membership, Region, School
from guopei.orgs.roles import REGION_ADMIN_ROLES
from guopei.orgs.scoping import active_memberships
from guopei.orgs.selectors import institutions_for_user, regions_for_user, schools_for_user

from .authentication import token_expires_at
from .base import HasRole, NoStoreMixin, ScopedReadOnlyViewSet
from .filters import InstitutionFilter, RegionFilter, SchoolFilter
from .serializers import (
    InstitutionSerializer,
    MeSerializer,
    RegionSerializer,
    SchoolSerializer,
    TokenCredentialsSerializer,
    TokenSerializer,
)
from .services import token_issue, token_revoke

Role = Membership.Role

SIGNIN_BAD_CREDENTIALS = "用户名或密码不正确。"
SIGNIN_LOCKED = "登录失败次数过多，账号已被锁定，请{minutes}分钟后再试，或联系上级管理员解锁。"
SIGNIN_OTP_REQUIRED = "省级管理员须填写认证器应用中的6位动态口令。"
SIGNIN_OTP_INVALID = "动态口令不正确或已过期。"


class AccountLocked(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked"

    def __init__(self) -> None:
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        super().__init__(SIGNIN_LOCKED.format(minutes=minutes))


@extend_schema_view(
    list=extend_schema(summary="我管理的行政区划", description="本人所管区域及其下级区划；可按级别和上级筛选。"),
    retrieve=extend_schema(summary="一个行政区划", description="不在本人管理范围内的区划返回 404。"),
)
class RegionViewSet(ScopedReadOnlyViewSet):
    """Regions the user administers (province, city and county administrators only)."""

    serializer_class = RegionSerializer
    permission_classes = [HasRole(*REGION_ADMIN_ROLES)]
    filterset_class = RegionFilter
    lookup_value_regex = r"\d{6}"

    def scoped_queryset(self, user: Any) -> QuerySet[Region]:
        return regions_for_user(user)


@extend_schema_view(
    list=extend_schema(summary="学校（幼儿园）", description="本人区域内的学校；学校管理员只看到本校。"),
    retrieve=extend_schema(summary="一所学校（幼儿园）", description="不在本人范围内的学校返回 404。"),
)
class SchoolViewSet(ScopedReadOnlyViewSet):
    """Schools and kindergartens in the user's regions; a school administrator sees their own school."""

    serializer_class = SchoolSerializer
    permission_classes = [HasRole(*REGION_ADMIN_ROLES, Role.SCHOOL_ADMIN)]
    filterset_class = SchoolFilter

    def scoped_queryset(self, user: Any) -> QuerySet[School]:
        return schools_for_user(user)


@extend_schema_view(
    list=extend_schema(summary="培训机构", description="管理员和专家看到全部机构；机构人员只看到本机构。"),
    retrieve=extend_schema(summary="一个培训机构", description="不在本人范围内的机构返回 404。"),
)
class InstitutionViewSet(ScopedReadOnlyViewSet):
    """The directory of training institutions, as the institution pages show it."""

    serializer_class = InstitutionSerializer
    permission_classes = [HasRole(*REGION_ADMIN_ROLES, Role.EXPERT, Role.INSTITUTION_STAFF)]
    filterset_class = InstitutionFilter

    def scoped_queryset(self, user: Any) -> QuerySet[Institution]:
        return institutions_for_user(user)


class MeView(NoStoreMixin, APIView):
    """The signed-in user and their active role memberships."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(summary="当前用户", description="本人的用户名、姓名和有效的角色任职。", responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "username": user.get_username(),
            "full_name": getattr(user, "full_name", ""),
            "memberships": active_memberships(user),
        }
        return Response(MeSerializer(data).data)


class TokenView(NoStoreMixin, APIView):
    """Exchange a username and password for an API token (POST), or revoke one's token (DELETE).

    The password check goes through `authenticate(request=...)`, so django-axes counts failures here exactly
    as on the sign-in page and a locked account gets no token. A province-level administrator must also give
    a TOTP code when the second factor is required (OTP_REQUIRED_FOR_PROVINCE).
    """

    serializer_class = TokenCredentialsSerializer

    def get_permissions(self) -> list[Any]:
        if getattr(self.request, "method", None) == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_authenticators(self) -> list[Any]:
        # Asking for a token is itself the authentication; a session cookie must not turn it into a CSRF check.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        summary="获取接口令牌",
        description=(
            "用用户名和密码换取接口令牌，之后在请求头中写 `Authorization: Token <令牌>`。"
            "连续5次密码错误后账号锁定（与登录页共用计数）；省级管理员在启用双因素认证时还须填写动态口令。"
            "令牌自签发起在 `API_TOKEN_TTL_HOURS`（默认12小时）内有效，`expires_at` 给出失效时间；"
            "有效期内再次获取返回同一令牌，过期后获取则签发新令牌。"
        ),
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="用户名或密码不正确，或动态口令缺失、不正确"),
            429: OpenApiResponse(description="登录失败次数过多，账号已锁定"),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = TokenCredentialsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username = form.validated_data["username"]
        user = authenticate(request=request, username=username, password=form.validated_data["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                raise AccountLocked()
            raise exceptions.ValidationError({"non_field_errors": [SIGNIN_BAD_CREDENTIALS]})
        if settings.OTP_REQUIRED_FOR_PROVINCE and user.needs_second_factor:
            code = form.validated_data.get("otp_token", "")
            if not code:
                raise exceptions.ValidationError({"otp_token": [SIGNIN_OTP_REQUIRED]})
            if match_token(user, code) is None:
                raise exceptions.ValidationError({"otp_token": [SIGNIN_OTP_INVALID]})
        if settings.AXES_RESET_ON_SUCCESS:
            axes_reset(username=user.get_username())
        token = token_issue(user=user)
        return Response(TokenSerializer({"token": token.key, "expires_at": token_expires_at(token)}).data)

    @extend_schema(
        summary="注销接口令牌",
        description="删除本人的接口令牌，持有该令牌的所有客户端随即失效。",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
