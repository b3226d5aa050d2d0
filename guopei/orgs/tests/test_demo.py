"""The foundation's demo world: every county has schools, one account per role, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest

from guopei.core.models import AuditEvent
from guopei.orgs import demo
from guopei.orgs.models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User
from guopei.orgs.selectors import accounts_for_user, schools_for_user

pytestmark = pytest.mark.django_db

Role = Membership.Role
MODELS = (School, DevelopmentCentre, Institution, Expert, User, Membership, AuditEvent)


def counts() -> dict[str, int]:
    counted = {model.__name__: model.objects.count() for model in MODELS}
    counted["expert_links"] = Expert.institutions.through.objects.count()
    return counted


def test_demo_build_twice_changes_nothing():
    out = io.StringIO()
    demo.build(out)
    first = counts()
    assert "组织与账号示例" in out.getvalue()
    demo.build(io.StringIO())
    assert counts() == first

    # Schools and kindergartens in every county, codes starting with the county's, all labelled.
    counties = set(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    assert set(School.objects.values_list("region_code", flat=True)) == counties
    assert all(s.code.startswith(s.region_code) and len(s.code) == 10 and s.name.startswith("（示例）")
               for s in School.objects.all())
    assert not School.objects.filter(is_demo=False).exists()
    assert School.objects.filter(kind=School.Kind.KINDERGARTEN, is_public=False).exists()
    assert School.objects.filter(location=School.Location.RURAL).exists()
    assert DevelopmentCentre.objects.count() == len(counties)

    # Institutions: a dozen or so, some on the remote-training list, some outside the province.
    assert Institution.objects.count() >= 12
    remote = Institution.objects.filter(on_remote_list=True)
    assert remote.count() >= 3 and remote.filter(in_province=False).exists()
    assert all(2013 <= i.remote_list_since <= 2019 for i in remote)

    # One account per role, placed so that scoping shows.
    roles = set(Membership.objects.filter(user__is_demo=True).values_list("role", flat=True))
    assert roles == set(Role.values)
    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    assert users["jiaoshi"].check_password(demo.DEMO_PASSWORD)
    assert Expert.objects.get(user=users["zhuanjia"]).institutions.exists()
    xiaodian, pingcheng = users["xiaodian_admin"], users["pingcheng_admin"]
    assert schools_for_user(xiaodian).count() > 0
    assert not schools_for_user(xiaodian).filter(pk__in=schools_for_user(pingcheng)).exists()
    assert set(accounts_for_user(xiaodian)) == {users["school_admin"], users["jiaoshi"]}
    assert Membership.objects.get(user=users["school_admin"]).school.code == demo.DEMO_SCHOOL_CODE
