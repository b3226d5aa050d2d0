"""Factories for regions, organisations and users with memberships."""

from __future__ import annotations

import factory

from guopei.orgs.models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User

Role = Membership.Role


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"测试第{n}小学")
    code = factory.Sequence(lambda n: f"{3114000000 + n:010d}")
    county = factory.LazyFunction(lambda: Region.objects.get(code="140105"))
    kind = School.Kind.PRIMARY
    location = School.Location.RURAL
    is_public = True


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试培训机构{n}")
    kind = Institution.Kind.UNIVERSITY
    in_province = True
    region = factory.LazyFunction(lambda: Region.objects.get(code="140100"))


class DevelopmentCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentCentre

    county = factory.LazyFunction(lambda: Region.objects.get(code="140105"))
    name = factory.LazyAttribute(lambda o: f"{o.county.name}教师发展中心")


class ExpertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expert

    name = factory.Sequence(lambda n: f"专家{n}")
    employer = "山西师范大学"
    field = "教师教育"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("correct-horse-battery-1")


def make_user(role: str, region_code: str = "140000", *, school: School | None = None,
              institution: Institution | None = None, username: str | None = None, **kwargs) -> User:
    """Create a user holding one role in one place."""
    user = UserFactory(**({"username": username} if username else {}), **kwargs)
    if school is not None:
        region_code = school.county_id
    Membership.objects.create(
        user=user, role=role, region=Region.objects.get(code=region_code), school=school, institution=institution
    )
    return user
