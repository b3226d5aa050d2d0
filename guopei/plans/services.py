"""Every write to the annual plan, its projects, project counties, quotas and funds (PLAN-1 … PLAN-6).

Each function is keyword-only, runs in one transaction, validates the row with `full_clean()` and writes one
audit event. Errors a user can cause raise `PlanError` (or its subclasses) with a Chinese message from the
module-level constants below, so views show it and tests import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import ProtectedError, Q, Sum
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.orgs.models import DevelopmentCentre, Membership, Region
from guopei.orgs.scoping import has_role, user_covers_region

from .models import (
    IT20_MIN_PRACTICE_HOURS,
    ZERO,
    Allocation,
    AnnualPlan,
    Category,
    Commitment,
    Family,
    Payment,
    PlanDocument,
    PlanRevision,
    Project,
    ProjectComponent,
    ProjectCounty,
)
from .revisions import plan_snapshot

Role = Membership.Role
Status = AnnualPlan.Status


class PlanError(Exception):
    """An error the user caused; the message (Chinese) says what to do."""


class WorkflowError(PlanError):
    """A plan workflow step that is not allowed now or not by this person (PLAN-1)."""


class QuotaError(PlanError):
    """An allocation that would exceed the quota it is carved from."""


class FundsError(PlanError):
    """A commitment or payment that would overspend a project's budget without a valid override (PLAN-6)."""


# --- messages -----------------------------------------------------------------------------------------------
ERR_NOT_EDITABLE = "规划已提交审核或已发布，内容为只读；已发布的规划须先发起修订（新版本）后再修改。"
ERR_PLAN_EXISTS = "本省该年度已有年度规划。"
ERR_NO_PROJECTS = "规划中还没有项目，不能提交审核。"
ERR_WRONG_STATE = "规划当前状态为“{status}”，不能执行此操作。"
ERR_NOT_EDUCATION = "只有省教育厅管理员可以进行教育厅审核。"
ERR_NOT_FINANCE = "只有省财政厅经办人可以进行财政厅会签。"
ERR_NOT_PROVINCE_ADMIN = "只有省教育厅管理员可以执行此操作。"
ERR_SAME_SIGNER = "教育厅审核与财政厅会签须由两位不同人员完成，同一人不能签署两次。"
ERR_PUBLISH_SIGNOFFS = "发布前须完成教育厅审核和财政厅会签（两位不同人员）。"
ERR_REVISE_REASON = "发起修订须填写修订原因。"
ERR_RETURN_REASON = "退回须填写原因。"
ERR_REVISE_STATE = "只有已发布的规划可以发起修订。"
ERR_COMPONENT_SUM = "各环节学时合计（{total}）须等于项目总学时（{hours}）。"
ERR_COUNTY_UNKNOWN = "未知的县区代码：{codes}。"
ERR_NO_PROJECT_COUNTIES = "{year}年尚未设定{kind}名单，不能限定为项目区县。"
ERR_QUOTA_BELOW_ALLOCATED = "培训人数不能少于已分配给各市的名额合计（{allocated}人）。"
ERR_BUDGET_BELOW_COMMITTED = "项目预算不能低于已承诺金额（{committed}元）。"
ERR_PARENT_ROLLUP = "有子项目的项目，其培训人数和预算为各子项目之和，不能单独填写。"
ERR_PROJECT_IN_USE = "项目已有名额分配、经费记录或子项目，不能删除。"
ERR_CATEGORY_EXISTS = "已有同名的项目类别。"
ERR_NOT_A_COUNTY = "{name}不是县级行政区，不能列入项目区县。"
ERR_ON_NO_LIST = "请至少勾选一个名单（国培项目区县或信息技术2.0项目区县）。"
ERR_ALLOC_REGION = "名额只能分配给市或县区。"
ERR_ALLOC_PLAN_UNPUBLISHED = "规划发布后才能分配名额。"
ERR_ALLOC_NOT_YOURS = "您只能分配本级管辖范围内的名额。"
ERR_ALLOC_NO_CITY = "请先为{city}分配市级名额，再分到县区。"
ERR_ALLOC_OVER_PROJECT = "各市名额合计将达到{total}人，超过项目培训人数{quota}人，超出 {excess} 人。"
ERR_ALLOC_OVER_CITY = "{city}各县区名额合计将达到{total}人，超过该市名额{quota}人，超出 {excess} 人。"
ERR_ALLOC_BELOW_CHILDREN = "{city}已分配给县区{allocated}人，市级名额不能少于此数。"
ERR_ALLOC_NOT_IMPLEMENTING = "{county}不在该项目的实施县区中。"
ERR_AMOUNT = "金额须为大于0的数字（元，最多两位小数）。"
ERR_OVERRIDE_HINT = "如确需超支，须由财政厅经办人填写超支说明。"
ERR_OVERSPEND_COMMIT = "将超出“{project}”预算 {excess} 元（预算{budget}元，已承诺{used}元）。" + ERR_OVERRIDE_HINT
ERR_OVERSPEND_PAY = "将超出“{project}”预算 {excess} 元（预算{budget}元，已支付{used}元）。" + ERR_OVERRIDE_HINT
ERR_OVERRIDE_NOT_FINANCE = "只有财政厅经办人可以批准超预算，并须填写说明。"
ERR_NOT_FUNDS_ROLE = "只有省级管理人员可以登记经费承诺。"
ERR_NOT_PAYER = "只有财政厅经办人可以登记支付。"


def _lock_plan(plan: AnnualPlan) -> AnnualPlan:
    return AnnualPlan.objects.select_for_update().get(pk=plan.pk)


def _ensure_editable(plan: AnnualPlan) -> None:
    """PLAN-1: only a draft changes; a plan under review or published is read-only."""
    if not plan.is_editable:
        raise WorkflowError(ERR_NOT_EDITABLE)


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        parts = []
        for field, messages in exc.message_dict.items():
            parts.extend(messages if field == "__all__" else [f"{m}" for m in messages])
        return "；".join(parts)
    return "；".join(exc.messages)


def _full_clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise PlanError(_validation_message(exc)) from None


def money(value: Any) -> Decimal:
    """Parse an amount in 元 to a Decimal with two places; refuse anything else."""
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise PlanError(ERR_AMOUNT) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PlanError(ERR_AMOUNT)
    return amount.quantize(Decimal("0.01"))


# --- catalogue (PLAN-2) -------------------------------------------------------------------------------------
def category_create(*, actor: Any, family: Family, name: str, since_year: int | None = None) -> Category:
    """Add a category to a family; the province extends the catalogue in later years without code (PLAN-2)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    name = name.strip()
    with transaction.atomic():
        if Category.objects.filter(name=name).exists():
            raise PlanError(ERR_CATEGORY_EXISTS)
        order = (Category.objects.filter(family=family).order_by("-order").values_list("order", flat=True)
                 .first() or 0) + 1
        category = Category(family=family, name=name, order=order, since_year=since_year)
        _full_clean(category)
        category.save()
        audit_record(actor=actor, action="plans.category_create", obj=category,
                     detail={"family": family.code, "name": name})
    return category


# --- the plan and its workflow (PLAN-1) ---------------------------------------------------------------------
def plan_create(*, actor: Any, year: int, title: str, doc_number: str = "", issued_on: date | None = None,
                province: str | None = None, is_demo: bool = False) -> AnnualPlan:
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    province = province or settings.PROVINCE_CODE
    with transaction.atomic():
        if AnnualPlan.objects.filter(province=province, year=year).exists():
            raise PlanError(ERR_PLAN_EXISTS)
        plan = AnnualPlan(province=province, year=year, title=title.strip(), doc_number=doc_number.strip(),
                          issued_on=issued_on, is_demo=is_demo)
        _full_clean(plan)
        plan.save()
        audit_record(actor=actor, action="plans.plan_create", obj=plan, detail={"year": year, "title": plan.title})
    return plan


def plan_update(*, plan: AnnualPlan, actor: Any, title: str, doc_number: str, issued_on: date | None) -> AnnualPlan:
    """Change the plan's heading. Refused unless the plan is a draft (PLAN-1)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _ensure_editable(plan)
        plan.title, plan.doc_number, plan.issued_on = title.strip(), doc_number.strip(), issued_on
        _full_clean(plan)
        plan.save(update_fields=["title", "doc_number", "issued_on", "updated_at"])
        audit_record(actor=actor, action="plans.plan_update", obj=plan,
                     detail={"title": plan.title, "doc_number": plan.doc_number})
    return plan


def _require_state(plan: AnnualPlan, *states: str) -> None:
    if plan.status not in states:
        raise WorkflowError(ERR_WRONG_STATE.format(status=plan.get_status_display()))


def plan_submit(*, plan: AnnualPlan, actor: Any) -> AnnualPlan:
    """草拟 → 教育厅审核 (PLAN-1)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise WorkflowError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _require_state(plan, Status.DRAFT)
        if not plan.projects.exists():
            raise WorkflowError(ERR_NO_PROJECTS)
        plan.status = Status.EDUCATION_REVIEW
        plan.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="plans.plan_submit", obj=plan, detail={"revision": plan.revision})
    return plan


def plan_sign_education(*, plan: AnnualPlan, actor: Any) -> AnnualPlan:
    """The education department's sign-off: 教育厅审核 → 财政厅会签 (PLAN-1)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise WorkflowError(ERR_NOT_EDUCATION)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _require_state(plan, Status.EDUCATION_REVIEW)
        plan.education_signed_by = actor
        plan.education_signed_at = timezone.now()
        plan.status = Status.FINANCE_REVIEW
        plan.save(update_fields=["education_signed_by", "education_signed_at", "status", "updated_at"])
        audit_record(actor=actor, action="plans.plan_sign_education", obj=plan, detail={"revision": plan.revision})
    return plan


def plan_sign_finance(*, plan: AnnualPlan, actor: Any) -> AnnualPlan:
    """The finance department's countersignature, by a different person from the education sign-off (PLAN-1)."""
    if not has_role(actor, Role.PROVINCE_FINANCE):
        raise WorkflowError(ERR_NOT_FINANCE)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _require_state(plan, Status.FINANCE_REVIEW)
        if plan.finance_signed_by_id is not None:
            raise WorkflowError(ERR_WRONG_STATE.format(status="财政厅已会签"))
        if plan.education_signed_by_id == actor.pk:
            raise WorkflowError(ERR_SAME_SIGNER)
        plan.finance_signed_by = actor
        plan.finance_signed_at = timezone.now()
        plan.save(update_fields=["finance_signed_by", "finance_signed_at", "updated_at"])
        audit_record(actor=actor, action="plans.plan_sign_finance", obj=plan, detail={"revision": plan.revision})
    return plan


def plan_publish(*, plan: AnnualPlan, actor: Any) -> AnnualPlan:
    """财政厅会签 → 已发布, only with both sign-offs by different people (PLAN-1); snapshot the revision."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise WorkflowError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(plan)
        if (plan.status != Status.FINANCE_REVIEW or plan.education_signed_by_id is None
                or plan.finance_signed_by_id is None):
            raise WorkflowError(ERR_PUBLISH_SIGNOFFS)
        if plan.education_signed_by_id == plan.finance_signed_by_id:
            raise WorkflowError(ERR_SAME_SIGNER)
        now = timezone.now()
        plan.status = Status.PUBLISHED
        plan.published_at = now
        plan.save(update_fields=["status", "published_at", "updated_at"])
        PlanRevision.objects.create(
            plan=plan, number=plan.revision, reason=plan.revision_reason or "首次发布",
            snapshot=plan_snapshot(plan), education_signed_by_id=plan.education_signed_by_id,
            finance_signed_by_id=plan.finance_signed_by_id, published_by=actor, published_at=now,
        )
        audit_record(actor=actor, action="plans.plan_publish", obj=plan,
                     detail={"revision": plan.revision, "doc_number": plan.doc_number})
    return plan


def plan_return(*, plan: AnnualPlan, actor: Any, reason: str) -> AnnualPlan:
    """Send a plan under review back to draft; both sign-offs are cleared and must be given again."""
    if not has_role(actor, Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE):
        raise WorkflowError(ERR_NOT_PROVINCE_ADMIN)
    if not reason.strip():
        raise WorkflowError(ERR_RETURN_REASON)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _require_state(plan, Status.EDUCATION_REVIEW, Status.FINANCE_REVIEW)
        _clear_signoffs(plan)
        plan.status = Status.DRAFT
        plan.save(update_fields=["status", "education_signed_by", "education_signed_at", "finance_signed_by",
                                 "finance_signed_at", "updated_at"])
        audit_record(actor=actor, action="plans.plan_return", obj=plan, detail={"reason": reason.strip()})
    return plan


def _clear_signoffs(plan: AnnualPlan) -> None:
    plan.education_signed_by = None
    plan.education_signed_at = None
    plan.finance_signed_by = None
    plan.finance_signed_at = None


def plan_revise(*, plan: AnnualPlan, actor: Any, reason: str) -> AnnualPlan:
    """Open a new revision of a published plan, with a reason; it goes through both sign-offs again (PLAN-1)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise WorkflowError(ERR_NOT_PROVINCE_ADMIN)
    reason = reason.strip()
    if not reason:
        raise WorkflowError(ERR_REVISE_REASON)
    with transaction.atomic():
        plan = _lock_plan(plan)
        if plan.status != Status.PUBLISHED:
            raise WorkflowError(ERR_REVISE_STATE)
        _clear_signoffs(plan)
        plan.status = Status.DRAFT
        plan.revision += 1
        plan.revision_reason = reason[:500]
        plan.save(update_fields=["status", "revision", "revision_reason", "education_signed_by",
                                 "education_signed_at", "finance_signed_by", "finance_signed_at", "updated_at"])
        audit_record(actor=actor, action="plans.plan_revise", obj=plan,
                     detail={"revision": plan.revision, "reason": plan.revision_reason})
    return plan


def plan_document_add(*, plan: AnnualPlan, actor: Any, title: str, file: File) -> PlanDocument:
    """Attach a document to a draft plan; it is stored privately and served through an access check."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _ensure_editable(plan)
        document = PlanDocument(plan=plan, title=title.strip() or file.name or "附件", uploaded_by=actor)
        document.file.save(file.name or "document", file, save=False)
        _full_clean(document)
        document.save()
        audit_record(actor=actor, action="plans.document_add", obj=document,
                     region_code=plan.province, detail={"plan": plan.pk, "title": document.title})
    return document


# --- projects -----------------------------------------------------------------------------------------------
PROJECT_FIELDS = (
    "code", "name", "category", "parent", "target_segments", "target_posts", "target_subjects", "rural_only",
    "target_backbone_levels", "preschool_major", "service_years_min", "service_years_max", "hired_within_years",
    "private_kindergartens_only", "project_counties_only", "target_description", "training_form", "days",
    "hours", "quota", "cost_standard", "budget", "budget_is_explicit", "is_it20", "start_date", "end_date",
    "continues_from_2019", "previous_project_name", "previous_institution", "is_demo",
)


@dataclass
class ProjectInput:
    """What a form row or an import row says about one project."""

    fields: dict[str, Any]
    components: dict[str, int]
    county_codes: list[str]


def _committed(project_ids: Iterable[int]) -> Decimal:
    total = Commitment.objects.filter(project_id__in=list(project_ids)).aggregate(s=Sum("amount"))["s"] or ZERO
    return Decimal(total).quantize(Decimal("0.01"))


def _paid(project_ids: Iterable[int]) -> Decimal:
    total = Payment.objects.filter(project_id__in=list(project_ids)).aggregate(s=Sum("amount"))["s"] or ZERO
    return Decimal(total).quantize(Decimal("0.01"))


def project_counties_of_year(year: int, *, it20: bool) -> list[str]:
    """The year's programme (or IT 2.0) project-county codes (PLAN-3)."""
    qs = ProjectCounty.objects.filter(year=year)
    qs = qs.filter(is_it20=True) if it20 else qs.filter(is_programme=True)
    return list(qs.values_list("county_id", flat=True))


def _resolve_counties(project: Project, codes: Iterable[str]) -> list[str]:
    """Restricted projects take their counties from the year's lists (PLAN-3); others use the given codes."""
    if project.project_counties_only or project.is_it20:
        listed = project_counties_of_year(project.plan.year, it20=project.is_it20 and not
                                          project.project_counties_only)
        if not listed:
            kind = "信息技术2.0项目区县" if project.is_it20 and not project.project_counties_only else "国培项目区县"
            raise PlanError(ERR_NO_PROJECT_COUNTIES.format(year=project.plan.year, kind=kind))
        return listed
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    found = set(Region.objects.filter(code__in=wanted, level=Region.Level.COUNTY).values_list("code", flat=True))
    missing = [c for c in wanted if c not in found]
    if missing:
        raise PlanError(ERR_COUNTY_UNKNOWN.format(codes="、".join(missing)))
    return wanted


def check_components(hours: int, components: Mapping[str, int], *, is_it20: bool) -> list[str]:
    """The hour rules shared by the form and the import; return the broken ones as Chinese messages.

    The components' hours add up to the project's total hours (when components are given), and an IT 2.0
    project has at least 25 practice-application hours, which the 返岗实践 component carries (PLAN-5).
    """
    problems = []
    given = {k: int(v) for k, v in components.items() if v}
    total = sum(given.values())
    if given and total != hours:
        problems.append(ERR_COMPONENT_SUM.format(total=total, hours=hours))
    if is_it20 and given.get(ProjectComponent.Kind.PRACTICE, 0) < IT20_MIN_PRACTICE_HOURS:
        from .models import ERR_IT20_PRACTICE

        problems.append(ERR_IT20_PRACTICE)
    return problems


def _apply_project(project: Project, data: ProjectInput, *, actor: Any, action: str) -> Project:
    """Validate and save one project with its components and counties. The caller holds the plan lock."""
    for name, value in data.fields.items():
        if name not in PROJECT_FIELDS:
            raise ValueError(name)
        setattr(project, name, value)
    has_children = project.pk is not None and project.children.exists()
    if has_children:
        _rollup_values(project)
    elif not project.budget_is_explicit:
        project.budget = project.computed_budget
    _full_clean(project)
    problems = check_components(project.hours, data.components, is_it20=project.is_it20)
    if problems:
        raise PlanError("；".join(problems))
    if project.pk is not None:
        allocated = Allocation.objects.filter(project=project, parent__isnull=True).aggregate(
            s=Sum("quota"))["s"] or 0
        if project.quota < allocated:
            raise PlanError(ERR_QUOTA_BELOW_ALLOCATED.format(allocated=allocated))
        committed = _committed([project.pk, *project.children.values_list("pk", flat=True)])
        if project.budget < committed:
            raise PlanError(ERR_BUDGET_BELOW_COMMITTED.format(committed=committed))
    codes = _resolve_counties(project, data.county_codes)
    project.save()
    existing = {c.kind: c for c in project.components.all()}
    wanted = {k: int(v) for k, v in data.components.items() if v}
    for kind, component in existing.items():
        if kind not in wanted:
            component.delete()
    for kind, hours in wanted.items():
        if kind in existing:
            if existing[kind].hours != hours:
                existing[kind].hours = hours
                existing[kind].save(update_fields=["hours", "updated_at"])
        else:
            ProjectComponent.objects.create(project=project, kind=kind, hours=hours)
    if sorted(project.counties.values_list("code", flat=True)) != codes:
        project.counties.set(Region.objects.filter(code__in=codes))
    if project.parent is not None:
        _rollup_parent(project.parent)
    if actor is not None:
        audit_record(actor=actor, action=action, obj=project, region_code=project.plan.province,
                     detail={"code": project.code, "name": project.name, "quota": project.quota,
                             "budget": str(project.budget)})
    return project


def _rollup_values(parent: Project) -> None:
    sums = parent.children.aggregate(q=Sum("quota"), b=Sum("budget"))
    parent.quota = sums["q"] or 0
    parent.budget = sums["b"] or ZERO


def _rollup_parent(parent: Project) -> None:
    """A project with sub-projects takes its quota and budget as the sum of its sub-projects."""
    _rollup_values(parent)
    parent.save(update_fields=["quota", "budget", "updated_at"])


def project_create(*, plan: AnnualPlan, actor: Any, data: ProjectInput) -> Project:
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(plan)
        _ensure_editable(plan)
        project = Project(plan=plan)
        return _apply_project(project, data, actor=actor, action="plans.project_create")


def project_update(*, project: Project, actor: Any, data: ProjectInput) -> Project:
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(project.plan)
        _ensure_editable(plan)
        project = Project.objects.select_for_update().get(pk=project.pk)
        project.plan = plan
        if project.children.exists() and ({"quota", "budget"} & set(data.fields)):
            fields = dict(data.fields)
            if fields.get("quota", project.quota) != project.quota or (
                    fields.get("budget_is_explicit") and fields.get("budget", project.budget) != project.budget):
                raise PlanError(ERR_PARENT_ROLLUP)
            fields.pop("quota", None)
            fields.pop("budget", None)
            data = ProjectInput(fields=fields, components=data.components, county_codes=data.county_codes)
        return _apply_project(project, data, actor=actor, action="plans.project_update")


def project_delete(*, project: Project, actor: Any) -> None:
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        plan = _lock_plan(project.plan)
        _ensure_editable(plan)
        project = Project.objects.select_for_update().get(pk=project.pk)
        if (project.allocations.exists() or project.commitments.exists() or project.payments.exists()
                or project.children.exists()):
            raise PlanError(ERR_PROJECT_IN_USE)
        parent = project.parent
        detail = {"code": project.code, "name": project.name}
        pk = project.pk
        try:
            with transaction.atomic():
                project.delete()
        except ProtectedError:
            # Later stages (tenders, nominations, classes) hold the project.
            raise PlanError(ERR_PROJECT_IN_USE) from None
        if parent is not None:
            _rollup_parent(parent)
        audit_record(actor=actor, action="plans.project_delete", object_type="plans.project", object_id=pk,
                     region_code=plan.province, detail=detail)


# --- project counties (PLAN-3, PLAN-4) ----------------------------------------------------------------------
def _sync_restricted_projects(year: int) -> int:
    """Re-derive the counties of draft plans' projects restricted to the year's lists (PLAN-3)."""
    changed = 0
    for project in Project.objects.filter(plan__year=year, plan__status=Status.DRAFT).filter(
            Q(project_counties_only=True) | Q(is_it20=True)).select_related("plan"):
        codes = project_counties_of_year(year, it20=project.is_it20 and not project.project_counties_only)
        if sorted(project.counties.values_list("code", flat=True)) != sorted(codes):
            project.counties.set(Region.objects.filter(code__in=codes))
            changed += 1
    return changed


def project_county_set(*, actor: Any, year: int, county: Region, is_programme: bool, is_it20: bool,
                       note: str = "", is_demo: bool = False) -> ProjectCounty | None:
    """Put a county on (or take it off) the year's lists; in programme counties the county's development
    centre is recorded as co-implementer (PLAN-4)."""
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        entry = _project_county_write(year=year, county=county, is_programme=is_programme, is_it20=is_it20,
                                      note=note, is_demo=is_demo)
        _sync_restricted_projects(year)
        audit_record(actor=actor, action="plans.project_county_set", object_type="plans.projectcounty",
                     object_id=entry.pk if entry else "", region_code=county.code,
                     detail={"year": year, "county": county.code, "is_programme": is_programme,
                             "is_it20": is_it20})
    return entry


def _project_county_write(*, year: int, county: Region, is_programme: bool, is_it20: bool, note: str = "",
                          is_demo: bool = False) -> ProjectCounty | None:
    if county.level != Region.Level.COUNTY:
        raise PlanError(ERR_NOT_A_COUNTY.format(name=county.name))
    existing = ProjectCounty.objects.filter(year=year, county=county).first()
    if not is_programme and not is_it20:
        if existing:
            existing.delete()
        return None
    centre = DevelopmentCentre.objects.filter(county=county).first() if is_programme else None
    entry = existing or ProjectCounty(year=year, county=county)
    entry.is_programme, entry.is_it20, entry.development_centre = is_programme, is_it20, centre
    entry.note = note
    entry.is_demo = is_demo or entry.is_demo
    entry.region_code = county.code
    _full_clean(entry)
    entry.save()
    return entry


def project_counties_replace(*, actor: Any, year: int, rows: list[tuple[str, bool, bool, str]]) -> dict[str, int]:
    """Replace the year's two lists with the rows of an appendix import: (county code, programme, IT 2.0, note).

    All-or-nothing; one audit event with counts. Re-importing the same rows changes nothing.
    """
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    with transaction.atomic():
        regions = Region.objects.in_bulk([r[0] for r in rows])
        wanted = {}
        for code, programme, it20, note in rows:
            wanted[code] = (programme, it20, note)
        removed = 0
        for entry in ProjectCounty.objects.filter(year=year).exclude(county_id__in=list(wanted)):
            entry.delete()
            removed += 1
        created = updated = 0
        for code, (programme, it20, note) in wanted.items():
            before = ProjectCounty.objects.filter(year=year, county_id=code).values_list(
                "is_programme", "is_it20", "note").first()
            if before == (programme, it20, note):
                continue
            _project_county_write(year=year, county=regions[code], is_programme=programme, is_it20=it20,
                                  note=note)
            if before is None:
                created += 1
            else:
                updated += 1
        synced = _sync_restricted_projects(year)
        counts = {"created": created, "updated": updated, "removed": removed, "projects_synced": synced}
        audit_record(actor=actor, action="plans.project_counties_import", object_type="plans.projectcounty",
                     region_code=settings.PROVINCE_CODE, detail={"year": year, **counts})
    return counts


# --- quotas -------------------------------------------------------------------------------------------------
def allocation_set(*, project: Project, region: Region, quota: int, actor: Any,
                   is_demo: bool = False) -> Allocation | None:
    """Give a city (or a county, within its city's share) part of a project's quota; 0 removes the share.

    The parts never exceed the whole: the project row (and, for a county, its city's allocation row) is locked
    with select_for_update in that fixed order, so two people allocating at once cannot overbook.
    """
    if quota < 0:
        raise QuotaError("名额不能为负数。")
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        raise QuotaError(ERR_ALLOC_REGION)
    is_city = region.level == Region.Level.CITY
    if is_city and not has_role(actor, Role.PROVINCE_ADMIN):
        raise QuotaError(ERR_ALLOC_NOT_YOURS)
    if not is_city and not (has_role(actor, Role.PROVINCE_ADMIN)
                            or user_covers_region(actor, region.code, roles=[Role.CITY_ADMIN])):
        raise QuotaError(ERR_ALLOC_NOT_YOURS)
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("plan").get(pk=project.pk)
        if not project.plan.has_been_published:
            raise QuotaError(ERR_ALLOC_PLAN_UNPUBLISHED)
        existing = Allocation.objects.select_for_update().filter(project=project, region=region).first()
        if is_city:
            others = (Allocation.objects.filter(project=project, parent__isnull=True).exclude(region=region)
                      .aggregate(s=Sum("quota"))["s"] or 0)
            if others + quota > project.quota:
                raise QuotaError(ERR_ALLOC_OVER_PROJECT.format(total=others + quota, quota=project.quota,
                                                               excess=others + quota - project.quota))
            if existing is not None:
                below = existing.children.aggregate(s=Sum("quota"))["s"] or 0
                if quota < below:
                    raise QuotaError(ERR_ALLOC_BELOW_CHILDREN.format(city=region.name, allocated=below))
            parent = None
        else:
            city_code = region.parent_id or ""
            parent = Allocation.objects.select_for_update().filter(project=project, region_id=city_code).first()
            city_name = region.parent.name if region.parent_id else ""
            if parent is None:
                raise QuotaError(ERR_ALLOC_NO_CITY.format(city=city_name))
            implementing = set(project.counties.values_list("code", flat=True))
            if implementing and region.code not in implementing and quota > 0:
                raise QuotaError(ERR_ALLOC_NOT_IMPLEMENTING.format(county=region.name))
            others = parent.children.exclude(region=region).aggregate(s=Sum("quota"))["s"] or 0
            if others + quota > parent.quota:
                raise QuotaError(ERR_ALLOC_OVER_CITY.format(city=city_name, total=others + quota,
                                                            quota=parent.quota,
                                                            excess=others + quota - parent.quota))
        before = existing.quota if existing else 0
        if quota == 0:
            if existing is not None:
                if existing.children.exists():
                    raise QuotaError(ERR_ALLOC_BELOW_CHILDREN.format(
                        city=region.name, allocated=existing.children.aggregate(s=Sum("quota"))["s"] or 0))
                existing.delete()
            result = None
        else:
            allocation = existing or Allocation(project=project, region=region, parent=parent)
            allocation.quota = quota
            allocation.region_code = region.code
            allocation.is_demo = is_demo or allocation.is_demo
            _full_clean(allocation)
            allocation.save()
            result = allocation
        audit_record(actor=actor, action="plans.allocation_set", object_type="plans.allocation",
                     object_id=result.pk if result else "", region_code=region.code,
                     detail={"project": project.code, "region": region.code, "before": before, "after": quota})
    return result


# --- special funds (PLAN-6) ---------------------------------------------------------------------------------
def _funds_projects(project: Project) -> list[Project]:
    """The project and, for a sub-project, its parent: both budgets must hold. Locked in id order."""
    ids = sorted({project.pk, *([project.parent_id] if project.parent_id else [])})
    return list(Project.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _tree_ids(project: Project) -> list[int]:
    return [project.pk, *Project.objects.filter(parent=project).values_list("pk", flat=True)]


def _check_overspend(*, project: Project, amount: Decimal, actor: Any, override_reason: str, kind: str) -> str:
    """Refuse an overspend unless a province finance officer overrides it with a written reason (PLAN-6).

    Return the excess as text ("" when within budget) for the audit event.
    """
    worst = ZERO
    message = ""
    for target in _funds_projects(project):
        ids = _tree_ids(target)
        used = _committed(ids) if kind == "commitment" else _paid(ids)
        excess = used + amount - target.budget
        if excess > worst:
            worst = excess
            template = ERR_OVERSPEND_COMMIT if kind == "commitment" else ERR_OVERSPEND_PAY
            message = template.format(project=target.name, excess=excess, budget=target.budget, used=used)
    if worst <= 0:
        return ""
    if not override_reason.strip():
        raise FundsError(message)
    if not has_role(actor, Role.PROVINCE_FINANCE):
        raise FundsError(ERR_OVERRIDE_NOT_FINANCE)
    return str(worst)


def commitment_record(*, project: Project, amount: Decimal, payee: str, reference: str, actor: Any,
                      override_reason: str = "", is_demo: bool = False) -> Commitment:
    """Commit part of a project's budget (e.g. a contract awarded by tender) — PLAN-6.

    Raises FundsError when it would overspend the project (or its parent project) and no override reason is
    given by a province finance officer. An override is audited with its reason.
    """
    if not has_role(actor, Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE):
        raise FundsError(ERR_NOT_FUNDS_ROLE)
    amount = money(amount)
    with transaction.atomic():
        excess = _check_overspend(project=project, amount=amount, actor=actor, override_reason=override_reason,
                                  kind="commitment")
        commitment = Commitment(project_id=project.pk, amount=amount, payee=payee.strip(),
                                reference=reference.strip(), override_reason=override_reason.strip() if excess else "",
                                recorded_by=actor, is_demo=is_demo)
        _full_clean(commitment)
        commitment.save()
        detail = {"project": project.code, "amount": str(amount), "payee": commitment.payee,
                  "reference": commitment.reference}
        region = project.plan.province
        audit_record(actor=actor, action="plans.commitment_record", obj=commitment, region_code=region,
                     detail=detail)
        if excess:
            audit_record(actor=actor, action="plans.funds_override", obj=commitment, region_code=region,
                         detail={**detail, "excess": excess, "reason": commitment.override_reason})
    return commitment


def payment_record(*, project: Project, paid_on: date, amount: Decimal, payee: str, voucher_number: str,
                   actor: Any, attachment: File | None = None, override_reason: str = "",
                   is_demo: bool = False) -> Payment:
    """Record a payment from the special funds (PLAN-6); an overspend needs the finance officer's reason."""
    if not has_role(actor, Role.PROVINCE_FINANCE):
        raise FundsError(ERR_NOT_PAYER)
    amount = money(amount)
    with transaction.atomic():
        excess = _check_overspend(project=project, amount=amount, actor=actor, override_reason=override_reason,
                                  kind="payment")
        payment = Payment(project_id=project.pk, paid_on=paid_on, amount=amount, payee=payee.strip(),
                          voucher_number=voucher_number.strip(),
                          override_reason=override_reason.strip() if excess else "", recorded_by=actor,
                          is_demo=is_demo)
        if attachment is not None:
            payment.attachment.save(attachment.name or "voucher", attachment, save=False)
        _full_clean(payment)
        payment.save()
        detail = {"project": project.code, "amount": str(amount), "payee": payment.payee,
                  "voucher_number": payment.voucher_number, "paid_on": paid_on.isoformat()}
        region = project.plan.province
        audit_record(actor=actor, action="plans.payment_record", obj=payment, region_code=region, detail=detail)
        if excess:
            audit_record(actor=actor, action="plans.funds_override", obj=payment, region_code=region,
                         detail={**detail, "excess": excess, "reason": payment.override_reason})
    return payment


# --- the project table import (item 7) ----------------------------------------------------------------------
ERR_IMPORT_PARENT = "上级项目编号{code}在本表和规划中都不存在。"
ERR_IMPORT_PARENT_LEVEL = "上级项目{code}本身是子项目，子项目不能再设子项目。"
ERR_IMPORT_ROLLUP_QUOTA = "上级项目的培训人数应为各子项目之和（{total}），可留空。"
ERR_IMPORT_ROLLUP_BUDGET = "上级项目的预算应为各子项目之和（{total}元），可留空。"


@dataclass
class ImportItem:
    """One parsed row of the project table: the spreadsheet line, its parent's code, what it says."""

    line: int
    parent_code: str
    data: ProjectInput
    quota_given: int | None = None
    budget_given: Decimal | None = None


class ImportRejected(PlanError):
    """The file broke rules on some rows; nothing was saved. `errors` holds (line, column, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]) -> None:
        super().__init__(f"发现{len(errors)}处错误，未导入任何数据。")
        self.errors = errors


def _project_state(pk: int) -> tuple[Any, ...]:
    """Everything an import can change about one project, read fresh from the database."""
    project = Project.objects.get(pk=pk)
    values = tuple(getattr(project, f + "_id" if f in ("category", "parent", "previous_institution") else f)
                   for f in PROJECT_FIELDS)
    components = tuple(sorted(project.components.values_list("kind", "hours")))
    counties = tuple(sorted(project.counties.values_list("code", flat=True)))
    return values, components, counties


def projects_import(*, plan: AnnualPlan, actor: Any, items: list[ImportItem]) -> dict[str, int]:
    """Add or update the plan's projects from the project table, all-or-nothing, in one transaction.

    Rows are matched to projects by code within the plan; a row that would change nothing leaves its project
    untouched, so importing the same file twice changes nothing the second time. Only a draft plan is imported
    into (PLAN-1). Raises ImportRejected with every row's problem, having saved nothing.
    """
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise PlanError(ERR_NOT_PROVINCE_ADMIN)
    errors: list[tuple[int, str, str]] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        plan = _lock_plan(plan)
        _ensure_editable(plan)
        existing = {p.code: p for p in Project.objects.filter(plan=plan)}
        file_codes = {item.data.fields["code"] for item in items}
        ordered = sorted(items, key=lambda item: (bool(item.parent_code), item.line))
        for item in ordered:
            fields = dict(item.data.fields)
            code = fields["code"]
            if item.parent_code:
                parent = existing.get(item.parent_code)
                if parent is None:
                    column = "上级项目编号"
                    errors.append((item.line, column, ERR_IMPORT_PARENT.format(code=item.parent_code)))
                    continue
                if parent.parent_id:
                    errors.append((item.line, "上级项目编号", ERR_IMPORT_PARENT_LEVEL.format(code=parent.code)))
                    continue
                fields["parent"] = parent
            else:
                fields["parent"] = None
            if item.budget_given is not None:
                computed = (Decimal(fields["quota"]) * Decimal(fields["days"]) * fields["cost_standard"]).quantize(
                    Decimal("0.01"))
                fields["budget_is_explicit"] = item.budget_given != computed
                fields["budget"] = item.budget_given
            else:
                fields["budget_is_explicit"] = False
            project = existing.get(code) or Project(plan=plan)
            is_parent = any(i.parent_code == code for i in items) or (
                project.pk is not None and project.children.exclude(code__in=file_codes).exists())
            if is_parent:
                # A parent's quota and budget are its sub-projects' sums; they are checked after the rows.
                fields.pop("quota", None)
                fields.pop("budget", None)
                fields["budget_is_explicit"] = False
                if project.pk is None:
                    fields["quota"], fields["budget"] = 0, ZERO
            before = _project_state(project.pk) if project.pk else None
            savepoint = transaction.savepoint()
            try:
                _apply_project(project, ProjectInput(fields=fields, components=item.data.components,
                                                     county_codes=item.data.county_codes), actor=None, action="")
            except PlanError as exc:
                transaction.savepoint_rollback(savepoint)
                errors.append((item.line, "", str(exc)))
                continue
            existing[code] = project
            if before is None:
                transaction.savepoint_commit(savepoint)
                counts["created"] += 1
            elif before == _project_state(project.pk):
                transaction.savepoint_rollback(savepoint)
                counts["unchanged"] += 1
            else:
                transaction.savepoint_commit(savepoint)
                counts["updated"] += 1
        for item in items:
            code = item.data.fields["code"]
            saved = existing.get(code)
            if saved is None or not saved.pk or not any(i.parent_code == code for i in items):
                continue
            saved.refresh_from_db()
            if item.quota_given and item.quota_given != saved.quota:
                errors.append((item.line, "培训人数", ERR_IMPORT_ROLLUP_QUOTA.format(total=saved.quota)))
            if item.budget_given and item.budget_given != saved.budget:
                errors.append((item.line, "项目预算（元）", ERR_IMPORT_ROLLUP_BUDGET.format(total=saved.budget)))
        if errors:
            raise ImportRejected(sorted(errors))
        audit_record(actor=actor, action="plans.projects_import", obj=plan, detail={"rows": len(items), **counts})
    return counts
