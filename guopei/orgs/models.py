"""Regions, organisations, users and their role memberships (MGMT-1, MGMT-2)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models

from guopei.core.models import TimeStampedModel

region_code_validator = RegexValidator(r"^\d{6}$", "区域代码应为6位数字")


class Region(models.Model):
    """An administrative division (GB/T 2260): the province, a city, a county or a statistical zone."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省"
        CITY = "city", "市"
        COUNTY = "county", "县（市、区）"
        ZONE = "zone", "功能区"

    code = models.CharField("区划代码", max_length=6, primary_key=True, validators=[region_code_validator])
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    @property
    def region_code(self) -> str:
        return self.code

    @property
    def full_name(self) -> str:
        if self.parent_id and self.level in {self.Level.COUNTY, self.Level.ZONE}:
            return f"{self.parent.name}{self.name}"
        return self.name


class School(TimeStampedModel):
    """A school or kindergarten: the unit that employs teachers and sends them to training."""

    class Kind(models.TextChoices):
        KINDERGARTEN = "kindergarten", "幼儿园"
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        NINE_YEAR = "nine_year", "九年一贯制学校"
        SENIOR = "senior", "高中"
        COMPLETE_SECONDARY = "complete_secondary", "完全中学"
        TWELVE_YEAR = "twelve_year", "十二年一贯制学校"
        VOCATIONAL = "vocational", "中等职业学校"
        SPECIAL = "special", "特殊教育学校"

    class Location(models.TextChoices):
        URBAN = "urban", "城区"
        TOWN = "town", "镇区"
        RURAL = "rural", "乡村"

    name = models.CharField("名称", max_length=100)
    code = models.CharField(
        "学校标识码",
        max_length=10,
        unique=True,
        validators=[RegexValidator(r"^\d{10}$", "学校标识码应为10位数字")],
    )
    county = models.ForeignKey(Region, verbose_name="所在县区", on_delete=models.PROTECT, related_name="schools")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    kind = models.CharField("办学类型", max_length=20, choices=Kind.choices)
    location = models.CharField("城乡分类", max_length=10, choices=Location.choices)
    is_public = models.BooleanField("公办", default=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["region_code", "code"]
        verbose_name = "学校（幼儿园）"
        verbose_name_plural = "学校（幼儿园）"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.county_id
        super().save(*args, **kwargs)

    @property
    def is_kindergarten(self) -> bool:
        return self.kind == self.Kind.KINDERGARTEN


class Institution(TimeStampedModel):
    """A training institution (承训机构): a university, a teacher-development body, a remote-training provider…"""

    class Kind(models.TextChoices):
        UNIVERSITY = "university", "高等学校"
        DEVELOPMENT = "development", "教师发展机构"
        REMOTE = "remote", "远程培训机构"
        SCHOOL = "school", "中小学幼儿园"
        OTHER = "other", "其他"

    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    in_province = models.BooleanField("省内机构", default=True)
    region = models.ForeignKey(
        Region, verbose_name="所在地", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField("区域代码", max_length=6, blank=True, db_index=True, editable=False)
    on_remote_list = models.BooleanField("列入教育部远程培训机构推荐名单", default=False)
    remote_list_since = models.PositiveSmallIntegerField("列入名单年份", null=True, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact = models.CharField("联系人", max_length=50, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "培训机构"
        verbose_name_plural = "培训机构"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(on_remote_list=True) | models.Q(remote_list_since__isnull=True),
                name="institution_remote_since_only_if_listed",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id or ""
        super().save(*args, **kwargs)


class DevelopmentCentre(TimeStampedModel):
    """A county's teacher-development centre (教师发展中心), co-implementer in project counties (PLAN-4, MGMT-2)."""

    county = models.OneToOneField(
        Region, verbose_name="县区", on_delete=models.PROTECT, related_name="development_centre"
    )
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    name = models.CharField("名称", max_length=100)
    director = models.CharField("负责人", max_length=50, blank=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["region_code"]
        verbose_name = "县级教师发展中心"
        verbose_name_plural = "县级教师发展中心"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.county_id
        super().save(*args, **kwargs)


class Expert(TimeStampedModel):
    """A member of the province's expert pool (专家库)."""

    name = models.CharField("姓名", max_length=50)
    employer = models.CharField("工作单位", max_length=100)
    field = models.CharField("研究领域", max_length=100, blank=True)
    title = models.CharField("职称", max_length=50, blank=True)
    institutions = models.ManyToManyField(
        Institution, verbose_name="关联机构（利益冲突）", blank=True, related_name="linked_experts"
    )
    user = models.OneToOneField(
        "User", verbose_name="账号", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert"
    )
    is_active = models.BooleanField("在库", default=True)
    is_demo = models.BooleanField("示例数据", default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "专家"
        verbose_name_plural = "专家库"

    def __str__(self) -> str:
        return f"{self.name}（{self.employer}）"


class User(AbstractUser):
    """A person who signs in. What they may see and do comes from their memberships."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    is_demo = models.BooleanField("示例账号", default=False)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        ordering = ["username"]
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def needs_second_factor(self) -> bool:
        from .roles import PROVINCE_ROLES

        return self.is_superuser or self.memberships.filter(role__in=PROVINCE_ROLES, is_active=True).exists()


class Membership(TimeStampedModel):
    """A role held by a user in one organisation or region (MGMT-1: each level's team with clear roles)."""

    class Role(models.TextChoices):
        PROVINCE_ADMIN = "province_admin", "省教育厅管理员"
        PROVINCE_FINANCE = "province_finance", "省财政厅经办人"
        CITY_ADMIN = "city_admin", "市级管理员"
        COUNTY_ADMIN = "county_admin", "县级管理员"
        SCHOOL_ADMIN = "school_admin", "学校管理员"
        INSTITUTION_STAFF = "institution_staff", "培训机构人员"
        EXPERT = "expert", "评审专家"
        TEACHER = "teacher", "教师"

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField("区域代码", max_length=6, db_index=True, editable=False)
    school = models.ForeignKey(
        School, verbose_name="学校", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name="培训机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["user_id", "role"]
        verbose_name = "角色任职"
        verbose_name_plural = "角色任职"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region", "school", "institution"],
                name="membership_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["school_admin", "teacher"]) | models.Q(school__isnull=False),
                name="membership_school_roles_have_school",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="institution_staff") | models.Q(institution__isnull=False),
                name="membership_institution_staff_has_institution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.organisation_name}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.region_code = self.region_id
        super().save(*args, **kwargs)

    @property
    def organisation_name(self) -> str:
        if self.school_id:
            return self.school.name
        if self.institution_id:
            return self.institution.name
        return self.region.name
