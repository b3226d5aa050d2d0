"""Pages of the annual plan: plans and their workflow, projects, quotas, project counties, funds, imports,
exports and the dashboard. Views parse input, load objects through the access helpers and call one service."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from guopei.core.jobs import JobError, job_start
from guopei.core.permissions import role_required
from guopei.core.spreadsheets import write_xlsx
from guopei.orgs.models import Membership, Region
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import admin_region_codes, has_role, region_q

from . import charts, exports, selectors, services
from .forms import (
    AllocationForm,
    CategoryForm,
    CommitmentForm,
    CountyUploadForm,
    DocumentForm,
    PaymentForm,
    PlanEditForm,
    PlanForm,
    ProjectCountyForm,
    ProjectForm,
    ReasonForm,
    UploadForm,
)
from .jobs import COUNTY_HEADERS, COUNTY_IMPORT, COUNTY_NOTES, PROJECT_IMPORT
from .models import AnnualPlan, Category, Commitment, Payment, PlanRevision, Project, ProjectCounty
from .project_table import HEADERS, NOTES, TEXT_COLUMNS
from .revisions import plan_snapshot, snapshot_diff, target_summary

Role = Membership.Role
VIEWERS = selectors.PLAN_VIEWER_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    from django.utils.encoding import escape_uri_path

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render with the flag the plan pages' tabs read (province users see the catalogue and funds tabs)."""
    context.setdefault("province", selectors.is_province(request.user))
    return render(request, template, context)


def _refuse_if_locked(request: HttpRequest, plan: AnnualPlan) -> HttpResponse | None:
    """PLAN-1: a plan under review or published is read-only; say so instead of showing a form."""
    if plan.is_editable:
        return None
    messages.error(request, services.ERR_NOT_EDITABLE)
    return redirect("plans:plan_detail", plan.pk)


def _current_plan(request: HttpRequest) -> AnnualPlan | None:
    """The plan chosen with ?plan=, else the newest plan the user may see."""
    plans = selectors.plans_for_user(request.user)
    if pk := request.GET.get("plan"):
        return selectors.access_plan_for_user(request.user, pk)
    return plans.order_by("-year").first()


# --- plans --------------------------------------------------------------------------------------------------
@require_safe
@role_required(*VIEWERS)
def plan_list(request: HttpRequest) -> HttpResponse:
    plans = selectors.plans_for_user(request.user).annotate(n_projects=Count("projects")).select_related(
        "education_signed_by", "finance_signed_by")
    return _render(request, "plans/plan_list.html", {
        "plans": plans, "can_create": has_role(request.user, Role.PROVINCE_ADMIN),
    })


@role_required(Role.PROVINCE_ADMIN)
def plan_create(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, **form.cleaned_data)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已创建年度规划（草拟）。")
            return redirect("plans:plan_detail", plan.pk)
    return _render(request, "plans/form.html", {"form": form, "title": "新建年度规划"})


@require_safe
@role_required(*VIEWERS)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    user = request.user
    projects = list(selectors.with_allocated(selectors.projects_for_user(user).filter(plan=plan)).order_by(
        "category__family__order", "category__order", "code"))
    parents = {p.parent_id for p in projects if p.parent_id}
    for project in projects:
        # A project with sub-projects is allocated through its sub-projects.
        project.unallocated = (  # type: ignore[attr-defined]
            None if project.pk in parents else project.quota - project.allocated)  # type: ignore[attr-defined]
    province = selectors.is_province(user)
    return _render(request, "plans/plan_detail.html", {
        "plan": plan,
        "projects": projects,
        "documents": plan.documents.all(),
        "province": province,
        "is_education": has_role(user, Role.PROVINCE_ADMIN),
        "is_finance": has_role(user, Role.PROVINCE_FINANCE),
        "reason_form": ReasonForm(),
        "document_form": DocumentForm(),
    })


@role_required(Role.PROVINCE_ADMIN)
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    if (refused := _refuse_if_locked(request, plan)) is not None:
        return refused
    form = PlanEditForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(plan=plan, actor=request.user, **form.cleaned_data)
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("plans:plan_detail", plan.pk)
    return _render(request, "plans/form.html", {"form": form, "title": f"修改规划：{plan}", "plan": plan})


WORKFLOW_STEPS: dict[str, tuple[Callable[..., Any], str, bool]] = {
    "submit": (services.plan_submit, "已提交教育厅审核。", False),
    "sign_education": (services.plan_sign_education, "教育厅已审核，转财政厅会签。", False),
    "sign_finance": (services.plan_sign_finance, "财政厅已会签。", False),
    "publish": (services.plan_publish, "规划已发布。", False),
    "return": (services.plan_return, "已退回草拟。", True),
    "revise": (services.plan_revise, "已发起修订，规划回到草拟状态。", True),
}


@require_POST
@role_required(*PROVINCE_ROLES)
def plan_workflow(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of PLAN-1's workflow; refusals are shown with their reason and change nothing."""
    plan = selectors.access_plan_for_user(request.user, pk)
    if step not in WORKFLOW_STEPS:
        raise Http404
    func, done, needs_reason = WORKFLOW_STEPS[step]
    kwargs: dict[str, Any] = {"plan": plan, "actor": request.user}
    if needs_reason:
        kwargs["reason"] = request.POST.get("reason", "")
    try:
        func(**kwargs)
    except services.PlanError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("plans:plan_detail", plan.pk)


@require_safe
@role_required(*VIEWERS)
def plan_history(request: HttpRequest, pk: int) -> HttpResponse:
    """Each published revision with its reason and sign-offs, and what changed from the one before."""
    plan = selectors.access_plan_for_user(request.user, pk)
    revisions = list(PlanRevision.objects.filter(plan=plan).select_related(
        "education_signed_by", "finance_signed_by", "published_by").order_by("number"))
    entries = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        entries.append({"revision": revision, "changes": snapshot_diff(previous, revision.snapshot)
                        if previous else []})
        previous = revision.snapshot
    entries.reverse()
    pending = None
    if selectors.is_province(request.user) and not plan.is_published and revisions:
        pending = snapshot_diff(revisions[-1].snapshot, plan_snapshot(plan))
    return _render(request, "plans/plan_history.html", {"plan": plan, "entries": entries, "pending": pending})


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.plan_document_add(plan=plan, actor=request.user, title=form.cleaned_data["title"],
                                       file=form.cleaned_data["file"])
        except services.PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已上传附件。")
    else:
        messages.error(request, "请选择要上传的文件。")
    return redirect("plans:plan_detail", plan.pk)


def _stream(field_file: Any, name: str) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=name or posixpath.basename(field_file.name))


@require_safe
@role_required(*VIEWERS)
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = selectors.access_document_for_user(request.user, pk)
    ext = posixpath.splitext(document.file.name)[1]
    return _stream(document.file, document.title if document.title.endswith(ext) else document.title + ext)


# --- projects -----------------------------------------------------------------------------------------------
@role_required(Role.PROVINCE_ADMIN)
def project_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    if (refused := _refuse_if_locked(request, plan)) is not None:
        return refused
    form = ProjectForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(plan=plan, actor=request.user, data=form.to_input())
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已添加项目。")
            return redirect("plans:project_detail", project.pk)
    return _render(request, "plans/project_form.html", {"form": form, "plan": plan, "title": "添加项目"})


@role_required(Role.PROVINCE_ADMIN)
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    if (refused := _refuse_if_locked(request, project.plan)) is not None:
        return refused
    form = ProjectForm(request.POST or None, instance=project, plan=project.plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(project=project, actor=request.user, data=form.to_input())
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存项目。")
            return redirect("plans:project_detail", project.pk)
    return _render(request, "plans/project_form.html", {"form": form, "plan": project.plan,
                                                       "title": f"修改项目：{project}"})


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def project_delete(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    plan_pk = project.plan_id
    try:
        services.project_delete(project=project, actor=request.user)
    except services.PlanError as exc:
        messages.error(request, str(exc))
        return redirect("plans:project_detail", project.pk)
    messages.success(request, "已删除项目。")
    return redirect("plans:plan_detail", plan_pk)


def _allocatable_regions(user: Any, project: Project) -> QuerySet[Region]:
    """Regions the user may give a share to: cities for the province, then counties within reach."""
    if has_role(user, Role.PROVINCE_ADMIN):
        return Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY],
                                     code__startswith=project.plan.province[:2]).order_by("code")
    if has_role(user, Role.CITY_ADMIN):
        return Region.objects.filter(region_q(user, "code", roles=[Role.CITY_ADMIN]),
                                     level=Region.Level.COUNTY).order_by("code")
    return Region.objects.none()


@require_safe
@role_required(*VIEWERS)
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    user = request.user
    regions = _allocatable_regions(user, project)
    unallocated = None
    if selectors.is_province(user):
        annotated: Any = selectors.with_allocated(Project.objects.filter(pk=project.pk)).get()
        unallocated = project.quota - annotated.allocated
    return _render(request, "plans/project_detail.html", {
        "project": project,
        "target": target_summary(project),
        "components": project.components.all(),
        "counties": project.counties.select_related("parent"),
        "children": project.children.all(),
        "tree": selectors.allocation_tree(project, user),
        "unallocated": unallocated,
        "allocation_form": AllocationForm(regions=regions) if regions.exists() and
        project.plan.has_been_published else None,
        "can_edit": has_role(user, Role.PROVINCE_ADMIN) and project.plan.is_editable,
    })


@require_POST
@role_required(Role.PROVINCE_ADMIN, Role.CITY_ADMIN)
def allocation_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Set one region's share; an excess is refused with the number of trainees it is over by."""
    project = selectors.access_project_for_user(request.user, pk)
    form = AllocationForm(request.POST, regions=_allocatable_regions(request.user, project))
    if form.is_valid():
        try:
            services.allocation_set(project=project, region=form.cleaned_data["region"],
                                    quota=form.cleaned_data["quota"], actor=request.user)
        except services.PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "名额已保存。")
    else:
        messages.error(request, "请选择管辖范围内的市或县区，并填写不小于0的名额。")
    return redirect("plans:project_detail", project.pk)


@require_safe
@role_required(*VIEWERS)
def allocation_list(request: HttpRequest) -> HttpResponse:
    """The user's shares across the current plan's projects; the province sees the unallocated remainder."""
    plan = _current_plan(request)
    rows: Any = []
    if plan is not None:
        qs = selectors.allocations_for_user(request.user).filter(project__plan=plan).select_related(
            "region__parent", "project__category", "parent__region").order_by("project__code", "region_code")
        rows = Paginator(qs, 100).get_page(request.GET.get("page"))
    unallocated: list[Project] = []
    if plan is not None and selectors.is_province(request.user):
        leaves = Project.objects.filter(plan=plan, children__isnull=True)
        for project in selectors.with_allocated(leaves).order_by("code"):
            if project.quota != project.allocated:  # type: ignore[attr-defined]
                project.remaining = project.quota - project.allocated  # type: ignore[attr-defined]
                unallocated.append(project)
    return _render(request, "plans/allocation_list.html", {
        "plan": plan, "page": rows, "unallocated": unallocated,
        "plans": selectors.plans_for_user(request.user).order_by("-year"),
    })


# --- catalogue and project counties -------------------------------------------------------------------------
@role_required(*PROVINCE_ROLES)
def category_list(request: HttpRequest) -> HttpResponse:
    """The catalogue (PLAN-2); the education department adds categories in later years without code."""
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        if not has_role(request.user, Role.PROVINCE_ADMIN):
            messages.error(request, services.ERR_NOT_PROVINCE_ADMIN)
        elif form.is_valid():
            try:
                services.category_create(actor=request.user, **form.cleaned_data)
            except services.PlanError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "已添加项目类别。")
                return redirect("plans:category_list")
    categories = Category.objects.select_related("family").annotate(n_projects=Count("projects"))
    return _render(request, "plans/category_list.html", {
        "categories": categories, "form": form, "can_add": has_role(request.user, Role.PROVINCE_ADMIN)})


@role_required(*VIEWERS)
def project_county_list(request: HttpRequest) -> HttpResponse:
    """The year's programme and IT 2.0 project-county lists (PLAN-3), with each programme county's
    co-implementing development centre (PLAN-4)."""
    years = sorted(set(ProjectCounty.objects.values_list("year", flat=True))
                   | set(AnnualPlan.objects.values_list("year", flat=True)), reverse=True)
    try:
        year = int(request.GET.get("year") or (years[0] if years else 2020))
    except ValueError:
        raise Http404 from None
    can_edit = has_role(request.user, Role.PROVINCE_ADMIN)
    form = ProjectCountyForm(request.POST or None, initial={"year": year})
    if request.method == "POST":
        if not can_edit:
            messages.error(request, services.ERR_NOT_PROVINCE_ADMIN)
            return redirect(reverse("plans:project_county_list") + f"?year={year}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.project_county_set(actor=request.user, year=data["year"], county=data["county"],
                                            is_programme=data["is_programme"], is_it20=data["is_it20"],
                                            note=data["note"])
            except services.PlanError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "名单已更新。")
                return redirect(reverse("plans:project_county_list") + f"?year={data['year']}")
    entries = selectors.project_counties_for_user(request.user).filter(year=year)
    return _render(request, "plans/project_county_list.html", {
        "year": year, "years": years, "entries": entries, "form": form, "can_edit": can_edit,
        "upload_form": CountyUploadForm(initial={"year": year}),
        "n_programme": sum(1 for e in entries if e.is_programme),
        "n_it20": sum(1 for e in entries if e.is_it20),
    })


@require_safe
@role_required(Role.PROVINCE_ADMIN)
def county_template(request: HttpRequest) -> HttpResponse:
    return _xlsx_response(write_xlsx(COUNTY_HEADERS, [], text_columns=[0], notes=COUNTY_NOTES),
                          "项目区县名单模板.xlsx")


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def county_import(request: HttpRequest) -> HttpResponse:
    form = CountyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择年度和文件。")
        return redirect("plans:project_county_list")
    upload = form.cleaned_data["file"]
    job = job_start(kind=COUNTY_IMPORT, title=f"导入{form.cleaned_data['year']}年项目区县名单",
                    owner=request.user, region_code=admin_region_codes(request.user)[0],
                    params={"year": form.cleaned_data["year"], "filename": upload.name},
                    input_name=upload.name, input_content=upload.read())
    return redirect("core:job_detail", job.pk)


# --- import and export --------------------------------------------------------------------------------------
@role_required(Role.PROVINCE_ADMIN)
def plan_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload the project table; it runs as a background job with progress and an error file."""
    plan = selectors.access_plan_for_user(request.user, pk)
    if (refused := _refuse_if_locked(request, plan)) is not None:
        return refused
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_start(kind=PROJECT_IMPORT, title=f"导入{plan.year}年项目规划表", owner=request.user,
                            region_code=plan.province, params={"plan_id": plan.pk, "filename": upload.name},
                            input_name=upload.name, input_content=upload.read())
        except JobError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("core:job_detail", job.pk)
    return _render(request, "plans/plan_import.html", {"plan": plan, "form": form, "notes": NOTES})


@require_safe
@role_required(Role.PROVINCE_ADMIN)
def import_template(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    return _xlsx_response(write_xlsx(HEADERS, [], text_columns=TEXT_COLUMNS, notes=NOTES, sheet_name="项目规划表"),
                          f"{plan.year}年项目规划表模板.xlsx")


@require_safe
@role_required(*VIEWERS)
def plan_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    content = exports.plan_xlsx(plan, request.user)
    return _xlsx_response(content, f"{plan.year}年国培计划项目规划（第{plan.revision}版）.xlsx")


@require_safe
@role_required(*VIEWERS)
def plan_export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_plan_for_user(request.user, pk)
    response = HttpResponse(exports.plan_pdf(plan, request.user), content_type="application/pdf")
    from django.utils.encoding import escape_uri_path

    name = f"{plan.year}年国培计划项目规划（第{plan.revision}版）.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(name)}"
    return response


# --- funds (PLAN-6) -----------------------------------------------------------------------------------------
@require_safe
@role_required(*PROVINCE_ROLES)
def funds_overview(request: HttpRequest) -> HttpResponse:
    """Budget, committed, paid and remaining per project, category and family."""
    plan = _current_plan(request)
    context: dict[str, Any] = {"plan": plan, "plans": selectors.plans_for_user(request.user).order_by("-year")}
    if plan is not None:
        by_category, by_family, total = selectors.funds_by_category(plan)
        projects = list(selectors.with_funds(Project.objects.filter(plan=plan).select_related(
            "category__family", "parent")).order_by("category__family__order", "category__order", "code"))
        for project in projects:
            project.remaining = project.budget - max(project.committed, project.paid)  # type: ignore[attr-defined]
        context.update(by_category=by_category, by_family=by_family, total=total, projects=projects)
    return _render(request, "plans/funds_overview.html", context)


@require_safe
@role_required(*PROVINCE_ROLES)
def funds_export(request: HttpRequest) -> HttpResponse:
    plan = _current_plan(request)
    if plan is None:
        raise Http404
    return _xlsx_response(exports.funds_xlsx(plan), f"{plan.year}年国培计划专项经费.xlsx")


@require_safe
@role_required(*PROVINCE_ROLES)
def project_funds(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    row: Any = selectors.with_funds(Project.objects.filter(pk=project.pk)).get()
    return _render(request, "plans/project_funds.html", {
        "project": project, "row": row,
        "remaining": project.budget - max(row.committed, row.paid),
        "commitments": Commitment.objects.filter(project=project).select_related("recorded_by"),
        "payments": Payment.objects.filter(project=project).select_related("recorded_by"),
        "commitment_form": CommitmentForm(), "payment_form": PaymentForm(),
        "is_finance": has_role(request.user, Role.PROVINCE_FINANCE),
    })


@require_POST
@role_required(*PROVINCE_ROLES)
def commitment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    form = CommitmentForm(request.POST)
    if form.is_valid():
        try:
            services.commitment_record(project=project, actor=request.user, **form.cleaned_data)
        except services.PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已登记经费承诺。")
    else:
        messages.error(request, "请完整填写金额、收款单位和依据。")
    return redirect("plans:project_funds", project.pk)


@require_POST
@role_required(Role.PROVINCE_FINANCE)
def payment_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.access_project_for_user(request.user, pk)
    form = PaymentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.payment_record(project=project, actor=request.user, **form.cleaned_data)
        except services.PlanError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "已登记支付。")
    else:
        messages.error(request, "请完整填写支付日期、金额、收款单位和凭证号。")
    return redirect("plans:project_funds", project.pk)


@require_safe
@role_required(*PROVINCE_ROLES)
def payment_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a payment voucher after the access check; vouchers never have a public URL."""
    try:
        payment = Payment.objects.get(pk=pk, project__in=selectors.projects_for_user(request.user))
    except (Payment.DoesNotExist, ValueError):
        raise Http404 from None
    if not payment.attachment:
        raise Http404
    return _stream(payment.attachment, posixpath.basename(payment.attachment.name))


# --- dashboard ----------------------------------------------------------------------------------------------
@require_safe
@role_required(*VIEWERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The province's charts of quota and funds, or a city's/county's own shares; numbers from the database."""
    plan = _current_plan(request)
    context: dict[str, Any] = {"plan": plan, "plans": selectors.plans_for_user(request.user).order_by("-year"),
                               "province": selectors.is_province(request.user)}
    if plan is not None:
        if context["province"]:
            context.update(charts.province_charts(plan))
        else:
            context.update(charts.local_charts(plan, request.user))
    return _render(request, "plans/dashboard.html", context)
