"""The plan's demo world: built through the services, labelled 示例, and idempotent."""

from __future__ import annotations

import io

from guopei.core.models import AuditEvent
from guopei.orgs import demo as orgs_demo
from guopei.plans import demo
from guopei.plans.models import Allocation, AnnualPlan, Commitment, Payment, Project, ProjectCounty
from guopei.plans.selectors import allocation_for, projects_for_user


def test_demo_without_accounts_creates_nothing(db):
    out = io.StringIO()
    demo.build(out)
    assert "未找到示例账号" in out.getvalue()
    assert not AnnualPlan.objects.exists() and not ProjectCounty.objects.exists()


def test_demo_builds_published_plan_and_is_idempotent(db):
    orgs_demo.build(io.StringIO())
    demo.build(io.StringIO())
    plan = AnnualPlan.objects.get(year=2020)
    assert plan.is_published and plan.is_demo and "示例" in plan.doc_number
    assert plan.education_signed_by.username == "sheng_admin"
    assert plan.finance_signed_by.username == "sheng_caizheng"
    assert list(plan.revisions.values_list("number", flat=True)) == [1, 2]
    assert ProjectCounty.objects.filter(year=2020, is_programme=True).count() == 22
    assert ProjectCounty.objects.filter(year=2020, is_it20=True).count() == 36
    assert ProjectCounty.objects.filter(is_programme=True, development_centre__isnull=False).count() == 22
    projects = Project.objects.filter(plan=plan)
    assert projects.values("category").distinct().count() == 11
    assert projects.filter(parent__isnull=False).exists() and projects.filter(is_it20=True).count() == 2
    assert projects.filter(continues_from_2019=True, previous_institution__isnull=False).count() == 2
    assert Commitment.objects.count() == 2 and Payment.objects.exclude(attachment="").count() == 2
    xiaodian = orgs_demo.User.objects.get(username="xiaodian_admin")
    pingcheng = orgs_demo.User.objects.get(username="pingcheng_admin")
    assert projects_for_user(xiaodian).exists() and projects_for_user(pingcheng).exists()
    assert allocation_for(projects.get(code="GP2020-01"), "140105") > 0
    counts = (Project.objects.count(), Allocation.objects.count(), ProjectCounty.objects.count(),
              AuditEvent.objects.count())
    out = io.StringIO()
    demo.build(out)
    assert "本次新建：无" in out.getvalue()
    assert (Project.objects.count(), Allocation.objects.count(), ProjectCounty.objects.count(),
            AuditEvent.objects.count()) == counts
