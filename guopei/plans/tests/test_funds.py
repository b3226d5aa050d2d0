"""PLAN-6: budgets, commitments, payments, balances and audited overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guopei.core.models import AuditEvent
from guopei.orgs.models import Region
from guopei.plans import services
from guopei.plans.models import Commitment, Payment, Project
from guopei.plans.selectors import funds_by_category, with_funds

from .factories import CW_IT, KG_NEW, make_plan, make_project, project_input, publish


def test_plan6_budget_is_quota_times_days_times_standard(draft_plan):
    project = draft_plan.projects.get()
    assert project.budget == Decimal("100") * 10 * Decimal("400.00") == Decimal("400000.00")


def test_plan6_budget_can_be_set_explicitly(province_admin):
    plan = make_plan(province_admin)
    project = make_project(plan, province_admin, budget=Decimal("123456.78"), budget_is_explicit=True)
    assert project.budget == Decimal("123456.78")


def test_plan6_commitment_within_budget(project, province_admin):
    c = services.commitment_record(project=project, amount=Decimal("300000"), payee="山西师范大学",
                                   reference="中标通知书 SXZB-2020-01", actor=province_admin)
    assert c.amount == Decimal("300000.00") and c.override_reason == ""
    c2 = services.commitment_record(project=project, amount=Decimal("100000.00"), payee="山西大学",
                                    reference="合同2", actor=province_admin)
    assert c2.pk
    row = with_funds(Project.objects.filter(pk=project.pk)).get()
    assert row.committed == Decimal("400000.00")


def test_plan6_commitment_overspend_refused_with_excess(project, province_admin):
    services.commitment_record(project=project, amount=Decimal("399000"), payee="甲", reference="1",
                               actor=province_admin)
    with pytest.raises(services.FundsError) as exc:
        services.commitment_record(project=project, amount=Decimal("1000.01"), payee="乙", reference="2",
                                   actor=province_admin)
    assert "0.01 元" in str(exc.value)
    assert Commitment.objects.count() == 1


def test_plan6_override_only_by_finance_with_reason_and_audited(project, province_admin, finance_officer):
    with pytest.raises(services.FundsError, match=services.ERR_OVERRIDE_NOT_FINANCE):
        services.commitment_record(project=project, amount=Decimal("500000"), payee="甲", reference="1",
                                   actor=province_admin, override_reason="追加")
    with pytest.raises(services.FundsError):
        services.commitment_record(project=project, amount=Decimal("500000"), payee="甲", reference="1",
                                   actor=finance_officer)
    c = services.commitment_record(project=project, amount=Decimal("500000"), payee="甲", reference="1",
                                   actor=finance_officer, override_reason="经厅务会研究追加培训规模")
    assert c.override_reason == "经厅务会研究追加培训规模"
    event = AuditEvent.objects.get(action="plans.funds_override")
    assert event.detail["excess"] == "100000.00"
    assert event.detail["reason"] == "经厅务会研究追加培训规模"
    assert event.actor == finance_officer


def test_plan6_payment_overspend_needs_finance_reason(project, finance_officer, province_admin):
    with pytest.raises(services.FundsError, match=services.ERR_NOT_PAYER):
        services.payment_record(project=project, paid_on=date(2020, 9, 1), amount=Decimal("10"), payee="甲",
                                voucher_number="记-001", actor=province_admin)
    services.payment_record(project=project, paid_on=date(2020, 9, 1), amount=Decimal("250000"), payee="甲",
                            voucher_number="记-001", actor=finance_officer,
                            attachment=SimpleUploadedFile("凭证.pdf", b"%PDF-1.4 voucher"))
    with pytest.raises(services.FundsError) as exc:
        services.payment_record(project=project, paid_on=date(2020, 10, 1), amount=Decimal("150000.50"),
                                payee="甲", voucher_number="记-002", actor=finance_officer)
    assert "0.50 元" in str(exc.value)
    services.payment_record(project=project, paid_on=date(2020, 10, 1), amount=Decimal("150000.50"), payee="甲",
                            voucher_number="记-002", actor=finance_officer, override_reason="结算审计调增")
    row = with_funds(Project.objects.filter(pk=project.pk)).get()
    assert row.paid == Decimal("400000.50")
    assert Payment.objects.filter(attachment__startswith="plans/payments/").count() == 1


def test_plan6_amounts_must_be_positive_money(project, province_admin):
    for bad in ("0", "-5", "abc", "1.234"):
        with pytest.raises(services.PlanError, match=services.ERR_AMOUNT):
            services.commitment_record(project=project, amount=bad, payee="甲", reference="1",  # type: ignore
                                       actor=province_admin)


def test_plan6_subproject_commitment_checks_parent_budget(province_admin, finance_officer):
    plan = make_plan(province_admin)
    parent = make_project(plan, province_admin, "P10", category=KG_NEW, quota=0, days=0, hours=0)
    child_a = make_project(plan, province_admin, "P10-1", category=KG_NEW, parent=parent, quota=50, days=5,
                           hours=40, cost_standard=Decimal("300"))
    make_project(plan, province_admin, "P10-2", category=KG_NEW, parent=parent, quota=30, days=5, hours=40,
                 cost_standard=Decimal("300"))
    parent.refresh_from_db()
    assert parent.quota == 80 and parent.budget == Decimal("120000.00")
    publish(plan, province_admin, finance_officer)
    services.commitment_record(project=parent, amount=Decimal("60000"), payee="甲", reference="1",
                               actor=province_admin)
    # The child's own budget (75000) holds, but the parent's (120000) would be overspent by 15000.
    with pytest.raises(services.FundsError, match=r"15000\.00 元"):
        services.commitment_record(project=child_a, amount=Decimal("75000"), payee="甲", reference="2",
                                   actor=province_admin)


def test_plan6_balances_per_project_category_family(province_admin, finance_officer, django_assert_max_num_queries):
    plan = make_plan(province_admin)
    p1 = make_project(plan, province_admin, "P01")  # 400000
    services.project_county_set(actor=province_admin, year=2020, county=Region.objects.get(code="140105"),
                                is_programme=False, is_it20=True)
    p2 = make_project(plan, province_admin, "P02", category=CW_IT, is_it20=True, days=10, hours=50,
                      components={"online": 25, "practice": 25}, quota=200, cost_standard=Decimal("100"))
    p3 = make_project(plan, province_admin, "P03", category=KG_NEW, quota=50, days=5, hours=40,
                      cost_standard=Decimal("300"))
    publish(plan, province_admin, finance_officer)
    services.commitment_record(project=p1, amount=Decimal("350000"), payee="甲", reference="1", actor=province_admin)
    services.commitment_record(project=p3, amount=Decimal("70000"), payee="乙", reference="2", actor=province_admin)
    services.payment_record(project=p1, paid_on=date(2020, 9, 1), amount=Decimal("100000"), payee="甲",
                            voucher_number="1", actor=finance_officer)
    with django_assert_max_num_queries(6):
        by_category, by_family, total = funds_by_category(plan)
    cats = {line.label: line for line in by_category}
    assert cats["乡村中小学教师专业能力建设"].remaining == Decimal("50000.00")
    assert cats["乡村中小学教师专业能力建设"].unpaid == Decimal("300000.00")
    assert cats[CW_IT].budget == Decimal("200000.00") and cats[CW_IT].committed == 0
    fams = {line.label: line for line in by_family}
    assert fams["中西部项目"].budget == Decimal("600000.00")
    assert fams["中西部项目"].committed == Decimal("350000.00")
    assert fams["幼师国培项目"].remaining == Decimal("5000.00")
    assert total.budget == Decimal("675000.00") and total.paid == Decimal("100000.00")
    assert p2.budget == Decimal("200000.00")


def test_plan6_budget_not_below_commitments(published_plan, project, province_admin):
    services.commitment_record(project=project, amount=Decimal("300000"), payee="甲", reference="1",
                               actor=province_admin)
    services.plan_revise(plan=published_plan, actor=province_admin, reason="调减")
    with pytest.raises(services.PlanError, match=r"300000\.00"):
        services.project_update(project=project, actor=province_admin, data=project_input("P01", quota=50))
