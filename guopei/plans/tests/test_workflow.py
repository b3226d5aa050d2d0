"""PLAN-1: joint issue by the education and finance departments; published plans are read-only; revisions."""

from __future__ import annotations

import pytest

from guopei.core.models import AuditEvent
from guopei.orgs.models import Membership, Region
from guopei.orgs.tests.factories import make_user
from guopei.plans import services
from guopei.plans.models import AnnualPlan, PlanRevision
from guopei.plans.revisions import snapshot_diff

from .factories import make_plan, make_project, project_input, publish

Status = AnnualPlan.Status


def test_plan1_full_workflow_publishes_with_two_signoffs(draft_plan, province_admin, finance_officer):
    plan = services.plan_submit(plan=draft_plan, actor=province_admin)
    assert plan.status == Status.EDUCATION_REVIEW
    plan = services.plan_sign_education(plan=plan, actor=province_admin)
    assert plan.status == Status.FINANCE_REVIEW
    plan = services.plan_sign_finance(plan=plan, actor=finance_officer)
    plan = services.plan_publish(plan=plan, actor=province_admin)
    plan.refresh_from_db()
    assert plan.status == Status.PUBLISHED
    assert plan.education_signed_by == province_admin and plan.finance_signed_by == finance_officer
    revision = PlanRevision.objects.get(plan=plan)
    assert revision.number == 1 and revision.reason == "首次发布"
    assert "P01" in revision.snapshot["projects"]
    actions = list(AuditEvent.objects.filter(object_type="plans.annualplan").values_list("action", flat=True))
    for action in ("plans.plan_submit", "plans.plan_sign_education", "plans.plan_sign_finance",
                   "plans.plan_publish"):
        assert action in actions


def test_plan1_publish_without_signoffs_refused_nothing_changed(draft_plan, province_admin):
    with pytest.raises(services.WorkflowError) as exc:
        services.plan_publish(plan=draft_plan, actor=province_admin)
    assert str(exc.value) == services.ERR_PUBLISH_SIGNOFFS
    services.plan_submit(plan=draft_plan, actor=province_admin)
    services.plan_sign_education(plan=draft_plan, actor=province_admin)
    with pytest.raises(services.WorkflowError, match="财政厅会签"):
        services.plan_publish(plan=draft_plan, actor=province_admin)
    draft_plan.refresh_from_db()
    assert draft_plan.status == Status.FINANCE_REVIEW
    assert not PlanRevision.objects.exists()


def test_plan1_same_person_cannot_sign_twice(draft_plan):
    both = make_user(Membership.Role.PROVINCE_ADMIN, "140000", username="both_roles")
    Membership.objects.create(user=both, role=Membership.Role.PROVINCE_FINANCE,
                              region=Region.objects.get(code="140000"))
    services.plan_submit(plan=draft_plan, actor=both)
    services.plan_sign_education(plan=draft_plan, actor=both)
    with pytest.raises(services.WorkflowError) as exc:
        services.plan_sign_finance(plan=draft_plan, actor=both)
    assert str(exc.value) == services.ERR_SAME_SIGNER
    draft_plan.refresh_from_db()
    assert draft_plan.finance_signed_by is None


def test_plan1_signoffs_need_the_right_department(draft_plan, province_admin, finance_officer):
    services.plan_submit(plan=draft_plan, actor=province_admin)
    with pytest.raises(services.WorkflowError, match=services.ERR_NOT_EDUCATION):
        services.plan_sign_education(plan=draft_plan, actor=finance_officer)
    services.plan_sign_education(plan=draft_plan, actor=province_admin)
    with pytest.raises(services.WorkflowError, match=services.ERR_NOT_FINANCE):
        services.plan_sign_finance(plan=draft_plan, actor=province_admin)


def test_plan1_submit_empty_plan_refused(province_admin):
    plan = make_plan(province_admin)
    with pytest.raises(services.WorkflowError, match=services.ERR_NO_PROJECTS):
        services.plan_submit(plan=plan, actor=province_admin)


def test_plan1_one_plan_per_province_and_year(draft_plan, province_admin):
    with pytest.raises(services.PlanError, match=services.ERR_PLAN_EXISTS):
        make_plan(province_admin)


def test_plan1_only_education_admin_creates_plans(finance_officer, city_admin):
    for user in (finance_officer, city_admin):
        with pytest.raises(services.PlanError):
            make_plan(user)


def test_plan1_published_plan_is_read_only(published_plan, province_admin):
    project = published_plan.projects.get()
    with pytest.raises(services.WorkflowError) as exc:
        services.project_update(project=project, actor=province_admin, data=project_input("P01", quota=5))
    assert str(exc.value) == services.ERR_NOT_EDITABLE
    with pytest.raises(services.WorkflowError):
        services.plan_update(plan=published_plan, actor=province_admin, title="改", doc_number="", issued_on=None)
    with pytest.raises(services.WorkflowError):
        make_project(published_plan, province_admin, "P02")
    with pytest.raises(services.WorkflowError):
        services.project_delete(project=project, actor=province_admin)
    project.refresh_from_db()
    assert project.quota == 100
    assert published_plan.projects.count() == 1


def test_plan1_plan_under_review_is_read_only(draft_plan, province_admin):
    services.plan_submit(plan=draft_plan, actor=province_admin)
    with pytest.raises(services.WorkflowError):
        make_project(draft_plan, province_admin, "P02")


def test_plan1_return_clears_signoffs(draft_plan, province_admin, finance_officer):
    services.plan_submit(plan=draft_plan, actor=province_admin)
    services.plan_sign_education(plan=draft_plan, actor=province_admin)
    with pytest.raises(services.WorkflowError, match=services.ERR_RETURN_REASON):
        services.plan_return(plan=draft_plan, actor=finance_officer, reason=" ")
    plan = services.plan_return(plan=draft_plan, actor=finance_officer, reason="预算标准需调整")
    assert plan.status == Status.DRAFT and plan.education_signed_by is None


def test_plan1_revision_needs_reason_and_resigning(published_plan, province_admin, finance_officer):
    with pytest.raises(services.WorkflowError, match=services.ERR_REVISE_REASON):
        services.plan_revise(plan=published_plan, actor=province_admin, reason="")
    plan = services.plan_revise(plan=published_plan, actor=province_admin, reason="增加幼师项目")
    assert plan.status == Status.DRAFT and plan.revision == 2
    assert plan.education_signed_by is None and plan.finance_signed_by is None
    assert plan.has_been_published
    with pytest.raises(services.WorkflowError):
        services.plan_revise(plan=plan, actor=province_admin, reason="again")


def test_plan1_revision_history_shows_field_level_changes(published_plan, province_admin, finance_officer):
    plan = services.plan_revise(plan=published_plan, actor=province_admin, reason="调整名额并新增项目")
    project = plan.projects.get(code="P01")
    services.project_update(project=project, actor=province_admin, data=project_input("P01", quota=120))
    make_project(plan, province_admin, "P02", category="幼儿园新入职教师规范化培训")
    services.plan_update(plan=plan, actor=province_admin, title=plan.title, doc_number="晋教师〔2020〕15号",
                         issued_on=None)
    publish(plan, province_admin, finance_officer)
    first, second = PlanRevision.objects.filter(plan=plan).order_by("number")
    assert second.reason == "调整名额并新增项目"
    changes = snapshot_diff(first.snapshot, second.snapshot)
    described = {(c.kind, c.code, c.label, str(c.old), str(c.new)) for c in changes}
    assert ("changed", "P01", "培训人数", "100", "120") in described
    assert ("changed", "P01", "项目预算（元）", "400000.00", "480000.00") in described
    assert ("plan", "", "文号", "晋教师〔2020〕12号", "晋教师〔2020〕15号") in described
    assert any(c.kind == "added" and c.code == "P02" for c in changes)


def test_plan1_database_refuses_published_without_signoffs(draft_plan):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualPlan.objects.filter(pk=draft_plan.pk).update(status=Status.PUBLISHED)
