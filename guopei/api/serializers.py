"""Read-only representations of regions, organisations and the current user.

No serializer here carries anyone's personal data except the requesting user's own (`MeSerializer`):
an institution's contact person, for example, is left out.
"""

from __future__ import annotations

from rest_framework import serializers

from guopei.orgs.models import Institution, Membership, Region, School


class RegionSerializer(serializers.ModelSerializer[Region]):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    # Declared fields are collected by the serializer metaclass, so this does not shadow Field.parent.
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent_id", read_only=True, allow_null=True, help_text="上级区划代码"
    )
    full_name = serializers.CharField(read_only=True, help_text="含上级市名的全称")

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent", "full_name"]
        read_only_fields = fields


class SchoolSerializer(serializers.ModelSerializer[School]):
    county = serializers.CharField(source="county_id", read_only=True, help_text="所在县区的区划代码")
    county_name = serializers.CharField(source="county.full_name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    location_display = serializers.CharField(source="get_location_display", read_only=True)

    class Meta:
        model = School
        fields = [
            "id",
            "name",
            "code",
            "county",
            "county_name",
            "region_code",
            "kind",
            "kind_display",
            "location",
            "location_display",
            "is_public",
            "is_demo",
        ]
        read_only_fields = fields


class InstitutionSerializer(serializers.ModelSerializer[Institution]):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True, help_text="所在地区划代码")
    region_name = serializers.CharField(source="region.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "in_province",
            "region",
            "region_name",
            "on_remote_list",
            "remote_list_since",
            "credit_code",
            "is_demo",
        ]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.full_name", read_only=True)
    school = serializers.IntegerField(source="school_id", read_only=True, allow_null=True)
    school_name = serializers.CharField(source="school.name", read_only=True, allow_null=True, default=None)
    institution = serializers.IntegerField(source="institution_id", read_only=True, allow_null=True)
    institution_name = serializers.CharField(
        source="institution.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Membership
        fields = [
            "role",
            "role_display",
            "region",
            "region_name",
            "school",
            "school_name",
            "institution",
            "institution_name",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The signed-in user and the roles they hold."""

    username = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)


class TokenCredentialsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    username = serializers.CharField(label="用户名", max_length=150)
    password = serializers.CharField(label="密码", max_length=128, style={"input_type": "password"},
                                     trim_whitespace=False, write_only=True)
    otp_token = serializers.RegexField(
        r"^\d{6}$", label="动态口令", required=False, allow_blank=True, write_only=True,
        help_text="省级管理员在启用双因素认证时必填：认证器应用中的6位数字",
    )


class TokenSerializer(serializers.Serializer):  # type: ignore[type-arg]
    token = serializers.CharField(read_only=True, help_text='请求时放在 "Authorization: Token <token>" 头中')
    expires_at = serializers.DateTimeField(read_only=True, help_text="令牌失效时间；失效后请重新获取")
