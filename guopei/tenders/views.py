"""Pages of tenders, bids, evaluations, awards and course plans. Views parse input, load objects through the
access helpers (out of reach → 404, audited) and call one service; refusals are shown with their reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from guopei.core.permissions import role_required
from guopei.core.uploads import file_response
from guopei.orgs.models import Institution, Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role, institution_ids_of
from guopei.plans.services import PlanError

from . import selectors, services
from .forms import (
    AwardEndForm,
    BidForm,
    CancelForm,
    CandidateForm,
    ConfirmForm,
    ContinuationForm,
    ContractForm,
    DeclareForm,
    DisqualifyForm,
    ExpertAssignForm,
    ReviewForm,
    TenderDocumentForm,
    TenderForm,
    module_formset,
    modules_from,
)
from .models import (
    Award,
    Bid,
    BidMember,
    Candidate,
    CoursePlan,
    ExpertAssignment,
    ExpertSelection,
    Score,
    Tender,
    TopicTag,
)
from .versions import snapshot_diff

Role = Membership.Role
PROVINCE = tuple(PROVINCE_ROLES)
TENDER_VIEWERS = (*PROVINCE, Role.INSTITUTION_STAFF, Role.EXPERT)
PLAN_VIEWERS = (*PROVINCE, Role.INSTITUTION_STAFF)
Stage = ExpertAssignment.Stage
ERRORS = (services.TenderError, PlanError)


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    user = request.user
    context.setdefault("is_province", selectors.is_province(user))
    context.setdefault("is_province_admin", has_role(user, Role.PROVINCE_ADMIN))
    context.setdefault("is_institution", selectors.is_institution(user))
    context.setdefault("is_expert", selectors.is_expert(user))
    return render(request, template, context)


def _page(request: HttpRequest, qs: Any, size: int = 50) -> Any:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _error(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))
    for problem in getattr(exc, "problems", []):
        messages.error(request, problem)


# --- tenders ------------------------------------------------------------------------------------------------
@require_safe
@role_required(*TENDER_VIEWERS)
def tender_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.tenders_for_user(request.user)
    status = request.GET.get("status", "")
    if status in Tender.Status.values:
        qs = qs.filter(status=status)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(project__name__icontains=q))
    province = selectors.is_province(request.user)
    if province:
        qs = qs.annotate(n_bids=Count("bids"))
    mine = set()
    if selectors.is_institution(request.user):
        mine = set(selectors.bids_of_institutions(request.user).values_list("tender_id", flat=True))
    return _render(request, "tenders/tender_list.html", {
        "page": _page(request, qs.order_by("-created_at", "-id")), "status": status, "q": q,
        "statuses": Tender.Status.choices, "mine": mine, "now": timezone.now(),
    })


@role_required(Role.PROVINCE_ADMIN)
def tender_create(request: HttpRequest) -> HttpResponse:
    form = TenderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tender = services.tender_create(actor=request.user, project=form.cleaned_data["project"],
                                            county=form.cleaned_data["county"], data=form.tender_input())
        except ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已创建招标（草拟）。")
            return redirect("tenders:tender_detail", tender.pk)
    return _render(request, "tenders/tender_form.html", {"form": form, "title": "新建招标"})


@role_required(Role.PROVINCE_ADMIN)
def tender_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tender = selectors.access_tender_for_user(request.user, pk)
    form = TenderForm(request.POST or None, editing=True, initial=TenderForm.initial_for(tender))
    if request.method == "POST" and form.is_valid():
        try:
            services.tender_update(tender=tender, actor=request.user, data=form.tender_input())
        except ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("tenders:tender_detail", tender.pk)
    return _render(request, "tenders/tender_form.html", {"form": form, "title": f"修改招标：{tender.code}",
                                                         "tender": tender})


def _bids_for_province(tender: Tender) -> list[Bid]:
    return list(tender.bids.select_related("lead").prefetch_related(
        Prefetch("members", queryset=BidMember.objects.select_related("institution")), "documents"
    ).order_by("rank", "submitted_at", "pk"))


@require_safe
@role_required(*TENDER_VIEWERS)
def tender_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    tender = selectors.access_tender_for_user(user, pk)
    province = selectors.is_province(user)
    context: dict[str, Any] = {
        "tender": tender,
        "events": tender.events.select_related("actor").order_by("id"),
        "documents": selectors.tender_documents_for_user(user).filter(tender=tender),
        "awards": [],
    }
    live_awards = tender.awards.filter(status__in=Award.LIVE_STATUSES).select_related("institution")
    if province:
        panel = list(tender.assignments.filter(stage=Stage.EVALUATION).select_related("expert"))
        sealed = not services.panel_complete(tender, Stage.EVALUATION)
        context.update({
            "bids": _bids_for_province(tender),
            "panel": panel,
            "sealed": sealed,
            "awards": tender.awards.select_related("institution", "fallback_from__institution").order_by("pk"),
            "document_form": TenderDocumentForm(),
            "assign_form": ExpertAssignForm(),
            "cancel_form": CancelForm(),
        })
        selection = ExpertSelection.objects.filter(tender=tender).first()
        if selection is not None:
            selection_panel = list(tender.assignments.filter(stage=Stage.SELECTION).select_related("expert"))
            context.update({
                "selection": selection,
                "candidates": selection.candidates.select_related("institution"),
                "selection_panel": selection_panel,
                "selection_sealed": not services.panel_complete(tender, Stage.SELECTION),
                "candidate_form": CandidateForm(),
                "selection_assign_form": ExpertAssignForm(prefix="sel"),
                "confirm_form": ConfirmForm(),
            })
    else:
        # Public results only: the live award once the tender reached the standstill.
        context["awards"] = live_awards
    if selectors.is_institution(user):
        own = institution_ids_of(user)
        context["own_bid"] = tender.bids.filter(lead_id__in=own).first() or tender.bids.filter(
            members__institution_id__in=own).first()
        context["can_bid"] = tender.is_open and timezone.now() <= tender.deadline and context["own_bid"] is None
    if selectors.is_expert(user):
        context["my_assignments"] = tender.assignments.filter(expert__user_id=request.user.id or 0)
    return _render(request, "tenders/tender_detail.html", context)


STEPS = {
    "publish": (services.tender_publish, "招标已发布，开始接受投标。"),
    "close": (services.tender_close, "已开标，进入资格审查。"),
    "start_evaluation": (services.tender_start_evaluation, "已进入评审。"),
    "award": (services.award_make, "已定标，进入公示期。"),
}


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def tender_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One state change of the tender; a refusal is shown with its reason and changes nothing."""
    tender = selectors.access_tender_for_user(request.user, pk)
    try:
        if step == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                raise services.TenderError(services.ERR_CANCEL_REASON)
            services.tender_cancel(tender=tender, actor=request.user, reason=form.cleaned_data["reason"],
                                   note=form.cleaned_data["note"])
            done = "招标已终止。"
        elif step == "start_selection":
            services.selection_start(tender=tender, actor=request.user)
            done = "已转入专家遴选。"
        elif step in STEPS:
            func, done = STEPS[step]
            func(tender=tender, actor=request.user)
        else:
            raise Http404
    except ERRORS as exc:
        _error(request, exc)
    else:
        tender.refresh_from_db()
        messages.success(request, done)
        if tender.status == Tender.Status.FAILED and step in ("close", "start_evaluation"):
            messages.warning(request, f"本招标流标：{tender.failure_reason}")
    return redirect("tenders:tender_detail", tender.pk)


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def document_add(request: HttpRequest, pk: int) -> HttpResponse:
    tender = selectors.access_tender_for_user(request.user, pk)
    form = TenderDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.tender_document_add(tender=tender, actor=request.user, kind=form.cleaned_data["kind"],
                                         title=form.cleaned_data["title"], upload=upload, filename=upload.name)
        except ERRORS as exc:
            _error(request, exc)
        else:
            messages.success(request, "已上传文件。")
    else:
        messages.error(request, "请选择文件类型并上传 PDF 或 Word 文件。")
    return redirect("tenders:tender_detail", tender.pk)


@require_safe
@role_required(*TENDER_VIEWERS)
def document_download(request: HttpRequest, pk: int) -> Any:
    document = selectors.access_tender_document_for_user(request.user, pk)
    return file_response(request, document.file, content_type=document.content_type,
                         filename=document.original_name, as_attachment=True)


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def expert_assign(request: HttpRequest, pk: int) -> HttpResponse:
    tender = selectors.access_tender_for_user(request.user, pk)
    stage = request.POST.get("stage", Stage.EVALUATION)
    if stage not in Stage.values:
        raise Http404
    form = ExpertAssignForm(request.POST, prefix="sel" if stage == Stage.SELECTION else None)
    if form.is_valid():
        try:
            services.expert_assign(tender=tender, actor=request.user, expert=form.cleaned_data["expert"],
                                   stage=stage)
        except ERRORS as exc:
            _error(request, exc)
        else:
            messages.success(request, f"已指派专家{form.cleaned_data['expert'].name}。")
    else:
        messages.error(request, "请选择专家。")
    return redirect("tenders:tender_detail", tender.pk)


# --- bids ---------------------------------------------------------------------------------------------------
@role_required(Role.INSTITUTION_STAFF)
def bid_create(request: HttpRequest, pk: int) -> HttpResponse:
    tender = selectors.access_tender_for_user(request.user, pk)
    institutions = Institution.objects.filter(pk__in=institution_ids_of(request.user)).order_by("name")
    form = BidForm(request.POST or None, request.FILES or None, tender=tender, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        documents = {kind: services.Upload(file=data[f"doc_{kind}"], name=data[f"doc_{kind}"].name)
                     for kind in ("price", "technical", "team")}
        try:
            bid = services.bid_submit(tender=tender, actor=request.user, lead=data["lead"],
                                      partners=list(data["partners"]), components=form.choices(),
                                      price=data["price"], documents=documents)
        except ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            if bid.is_valid:
                messages.success(request, "投标已提交，已通过自动符合性检查。")
            else:
                messages.warning(request, "投标已提交，但自动检查发现问题，该投标目前无效：" + "；".join(bid.problems))
            return redirect("tenders:bid_detail", bid.pk)
    return _render(request, "tenders/bid_form.html", {"form": form, "tender": tender})


@require_safe
@role_required(Role.INSTITUTION_STAFF)
def my_bids(request: HttpRequest) -> HttpResponse:
    bids = selectors.bids_of_institutions(request.user).order_by("-submitted_at")
    return _render(request, "tenders/my_bids.html", {"page": _page(request, bids)})


@require_safe
@role_required(*TENDER_VIEWERS)
def bid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A bid, for the province, the bidder's own staff, or a declared expert (without the price)."""
    user = request.user
    bid = selectors.access_bid_for_user(user, pk)
    tender = bid.tender
    context: dict[str, Any] = {
        "bid": bid,
        "tender": tender,
        "members": bid.members.select_related("institution"),
        "components": bid.components.select_related("component", "institution", "host_school"),
        "documents": selectors.bid_documents_for_user(user).filter(bid=bid),
        "show_price": selectors.sees_bid_prices(user, bid),
    }
    if selectors.is_province(user):
        context["disqualify_form"] = DisqualifyForm()
        if services.panel_complete(tender, Stage.EVALUATION):
            context["scores"] = Score.objects.filter(bid=bid, assignment__recused_at__isnull=True).select_related(
                "assignment__expert")
    elif selectors.is_expert(user):
        context["scores"] = Score.objects.filter(bid=bid, assignment__expert__user_id=user.id or 0).select_related(
            "assignment__expert")
    return _render(request, "tenders/bid_detail.html", context)


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def bid_disqualify(request: HttpRequest, pk: int) -> HttpResponse:
    bid = selectors.access_bid_for_user(request.user, pk)
    form = DisqualifyForm(request.POST)
    try:
        services.bid_disqualify(bid=bid, actor=request.user,
                                reason=form.cleaned_data["reason"] if form.is_valid() else "")
    except ERRORS as exc:
        _error(request, exc)
    else:
        messages.success(request, "已取消该投标的资格。")
    return redirect("tenders:bid_detail", bid.pk)


@require_safe
@role_required(*TENDER_VIEWERS)
def bid_document_download(request: HttpRequest, pk: int) -> Any:
    document = selectors.access_bid_document_for_user(request.user, pk)
    return file_response(request, document.file, content_type=document.content_type,
                         filename=document.original_name, as_attachment=True)


# --- experts: declarations and scoring ----------------------------------------------------------------------
@require_safe
@role_required(Role.EXPERT)
def assignment_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.assignments_for_user(request.user).order_by("-created_at")
    return _render(request, "tenders/assignment_list.html", {"page": _page(request, qs)})


@role_required(Role.EXPERT)
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's own seat on a panel: the declaration, then the bids (or candidates) to score."""
    assignment = selectors.access_assignment_for_user(request.user, pk)
    tender = assignment.tender
    if request.method == "POST":
        return _assignment_post(request, assignment)
    rows: list[dict[str, Any]] = []
    if assignment.stage == Stage.EVALUATION:
        own = {s.bid_id: s for s in assignment.scores.all()}
        if assignment.declared_at:
            for bid in tender.bids.select_related("lead").prefetch_related("members__institution", "documents"):
                if bid.is_valid:
                    rows.append({"bid": bid, "score": own.get(bid.pk),
                                 "documents": [d for d in bid.documents.all() if d.kind in ("technical", "team")]})
    else:
        own_c = {s.candidate_id: s for s in assignment.candidate_scores.all()}
        if assignment.declared_at:
            for candidate in Candidate.objects.filter(selection__tender=tender).select_related("institution"):
                rows.append({"candidate": candidate, "score": own_c.get(candidate.pk)})
    if assignment.stage == Stage.EVALUATION:
        scoring_open = tender.status == Tender.Status.EVALUATION
    else:
        selection = getattr(tender, "selection", None)
        scoring_open = selection is not None and selection.status == ExpertSelection.Status.SCORING
    return _render(request, "tenders/assignment_detail.html", {
        "assignment": assignment, "tender": tender, "rows": rows, "declare_form": DeclareForm(),
        "scoring_open": scoring_open and assignment.declared_at and not assignment.submitted_at
        and not assignment.recused_at,
    })


def _assignment_post(request: HttpRequest, assignment: ExpertAssignment) -> HttpResponse:
    action = request.POST.get("action", "")
    user = request.user
    try:
        if action == "declare":
            form = DeclareForm(request.POST)
            if not form.is_valid():
                raise services.TenderError("请选择利益冲突声明。")
            services.expert_declare(assignment=assignment, actor=user, no_conflict=form.cleaned_data["no_conflict"],
                                    reason=form.cleaned_data["reason"])
            messages.success(request, "已声明。" if form.cleaned_data["no_conflict"] else "已申请回避。")
        elif action in ("save", "submit"):
            _save_scores(request, assignment)
            if action == "submit":
                services.scores_submit(assignment=assignment, actor=user)
                messages.success(request, "评分已提交。全部专家提交后评分结果才会公开。")
            else:
                messages.success(request, "评分已保存（尚未提交）。")
        else:
            raise Http404
    except ERRORS as exc:
        _error(request, exc)
    return redirect("tenders:assignment_detail", assignment.pk)


def _save_scores(request: HttpRequest, assignment: ExpertAssignment) -> None:
    post = request.POST
    tender = assignment.tender
    if assignment.stage == Stage.EVALUATION:
        for bid in tender.bids.all():
            technical, team = post.get(f"technical_{bid.pk}", ""), post.get(f"team_{bid.pk}", "")
            if technical.strip() == "" and team.strip() == "":
                continue
            services.score_save(assignment=assignment, actor=request.user, bid=bid, technical=technical, team=team,
                                comment=post.get(f"comment_{bid.pk}", ""))
    else:
        for candidate in Candidate.objects.filter(selection__tender=tender).select_related("selection",
                                                                                             "institution"):
            value = post.get(f"score_{candidate.pk}", "")
            if value.strip() == "":
                continue
            services.candidate_score_save(assignment=assignment, actor=request.user, candidate=candidate,
                                          score=value, comment=post.get(f"comment_{candidate.pk}", ""))


# --- expert selection (TENDER-6) ----------------------------------------------------------------------------
@require_POST
@role_required(Role.PROVINCE_ADMIN)
def selection_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    tender = selectors.access_tender_for_user(request.user, pk)
    selection = get_object_or_404(ExpertSelection, tender=tender)
    try:
        if step == "candidate":
            form = CandidateForm(request.POST)
            if not form.is_valid():
                raise services.TenderError("请选择候选机构。")
            services.candidate_add(selection=selection, actor=request.user,
                                   institution=form.cleaned_data["institution"], note=form.cleaned_data["note"])
            done = "已加入候选名单。"
        elif step == "scoring":
            services.selection_start_scoring(selection=selection, actor=request.user)
            done = "专家开始评分。"
        elif step == "confirm":
            confirm = ConfirmForm(request.POST)
            if not confirm.is_valid():
                raise services.TenderError(services.ERR_AMOUNT)
            award = services.selection_confirm(selection=selection, actor=request.user,
                                               amount=confirm.cleaned_data["amount"])
            messages.success(request, f"专家遴选结果已确定：{award.institution.name}。")
            return redirect("tenders:award_detail", award.pk)
        else:
            raise Http404
    except ERRORS as exc:
        _error(request, exc)
    else:
        messages.success(request, done)
    return redirect("tenders:tender_detail", tender.pk)


# --- awards and contracts -----------------------------------------------------------------------------------
@require_safe
@role_required(*PLAN_VIEWERS)
def award_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    awards = selectors.awards_for_user(user).order_by("-created_at", "-id")
    context: dict[str, Any] = {"page": _page(request, awards)}
    if selectors.is_province(user):
        from django.conf import settings

        from guopei.plans.models import AnnualPlan

        plans = AnnualPlan.objects.filter(published_at__isnull=False).order_by("-year")
        context["it20"] = [(plan, services.it20_institutions(plan)) for plan in plans[:3]]
        context["it20_cap"] = settings.IT20_MAX_INSTITUTIONS
        context["continuations"] = selectors.continuation_projects().order_by("plan__year", "code")
        context["continuation_form"] = ContinuationForm()
    return _render(request, "tenders/award_list.html", context)


@require_safe
@role_required(*PLAN_VIEWERS)
def award_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    award = selectors.access_award_for_user(user, pk)
    contract = getattr(award, "contract", None)
    context: dict[str, Any] = {
        "award": award,
        "contract": contract,
        "chain": _fallback_chain(award),
        "now": timezone.now(),
    }
    if contract is not None:
        context["contract_members"] = contract.members.select_related("institution")
        context["contract_components"] = contract.components.select_related("component", "institution",
                                                                            "host_school")
    if selectors.is_province(user):
        context["end_form"] = AwardEndForm()
        context["contract_form"] = ContractForm()
        context["can_override"] = has_role(user, Role.PROVINCE_FINANCE)
    return _render(request, "tenders/award_detail.html", context)


def _fallback_chain(award: Award) -> list[Award]:
    """The awards of the same lot this one replaced, oldest first."""
    chain = []
    current = award.fallback_from
    while current is not None:
        chain.append(current)
        current = current.fallback_from
    return list(reversed(chain))


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def award_end(request: HttpRequest, pk: int) -> HttpResponse:
    award = selectors.access_award_for_user(request.user, pk)
    form = AwardEndForm(request.POST)
    try:
        if not form.is_valid():
            raise services.TenderError(services.ERR_AWARD_END_REASON)
        successor = services.award_end(award=award, actor=request.user, status=form.cleaned_data["status"],
                                       reason=form.cleaned_data["reason"])
    except ERRORS as exc:
        _error(request, exc)
        return redirect("tenders:award_detail", award.pk)
    if successor is not None:
        messages.success(request, f"已由第{successor.rank}名{successor.institution.name}递补，重新公示。")
        return redirect("tenders:award_detail", successor.pk)
    messages.warning(request, "已登记。没有可以递补的有效投标。")
    return redirect("tenders:tender_detail", award.tender_id)


@require_POST
@role_required(*PROVINCE)
def contract_sign(request: HttpRequest, pk: int) -> HttpResponse:
    award = selectors.access_award_for_user(request.user, pk)
    form = ContractForm(request.POST)
    reason = form.cleaned_data["override_reason"] if form.is_valid() else ""
    try:
        contract = services.contract_sign(award=award, actor=request.user, override_reason=reason)
    except ERRORS as exc:
        _error(request, exc)
    else:
        messages.success(request, f"已签订合同{contract.code}，合同金额已计入项目专项经费承诺。")
    return redirect("tenders:award_detail", award.pk)


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def continuation_award(request: HttpRequest, project_pk: int) -> HttpResponse:
    project = get_object_or_404(selectors.continuation_projects(), pk=project_pk)
    form = ContinuationForm(request.POST)
    try:
        if not form.is_valid():
            raise services.TenderError(services.ERR_AMOUNT)
        award = services.award_continuation(project=project, actor=request.user,
                                            amount=form.cleaned_data["amount"],
                                            override_reason=form.cleaned_data["override_reason"])
    except ERRORS as exc:
        _error(request, exc)
        return redirect("tenders:award_list")
    messages.success(request, f"已由2019年承训机构{award.institution.name}直接承担（TENDER-1），合同已签订。")
    return redirect("tenders:award_detail", award.pk)


# --- course plans -------------------------------------------------------------------------------------------
@require_safe
@role_required(*PLAN_VIEWERS)
def course_plan_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.course_plans_for_user(request.user).annotate(n_modules=Count("modules"))
    status = request.GET.get("status", "")
    if status in CoursePlan.Status.values:
        qs = qs.filter(status=status)
    return _render(request, "tenders/course_plan_list.html", {
        "page": _page(request, qs.order_by("status", "-updated_at")), "status": status,
        "statuses": CoursePlan.Status.choices,
    })


def _topic_names() -> dict[str, str]:
    return dict(TopicTag.objects.values_list("code", "name"))


@require_safe
@role_required(*PLAN_VIEWERS)
def course_plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_course_plan_for_user(request.user, pk)
    topics = _topic_names()
    modules = list(plan.modules.all())
    for module in modules:
        module.topic_names = [topics.get(c, c) for c in module.topics]  # type: ignore[attr-defined]
    versions = list(plan.versions.select_related("submitted_by", "reviewed_by"))
    return _render(request, "tenders/course_plan_detail.html", {
        "plan": plan, "modules": modules, "versions": versions,
        "problems": services.plan_problems(plan) if plan.is_editable else [],
        "review_form": ReviewForm() if plan.status == CoursePlan.Status.SUBMITTED else None,
        "is_owner": plan.institution_id in institution_ids_of(request.user),
        "components": plan.project.components.all(),
    })


@role_required(Role.INSTITUTION_STAFF)
def course_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the draft's modules; the checker runs live (htmx) and again on submission."""
    plan = selectors.access_course_plan_for_user(request.user, pk)
    if not plan.is_editable:
        messages.error(request, services.ERR_PLAN_NOT_EDITABLE)
        return redirect("tenders:course_plan_detail", plan.pk)
    formset = module_formset(plan, request.POST if request.method == "POST" else None)
    title = request.POST.get("title", plan.title) if request.method == "POST" else plan.title
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.course_plan_save(plan=plan, actor=request.user, modules=modules_from(formset), title=title)
                if request.POST.get("action") == "submit":
                    services.course_plan_submit(plan=plan, actor=request.user)
                    messages.success(request, "课程方案已提交，等待省教育厅审核。")
                    return redirect("tenders:course_plan_detail", plan.pk)
            except ERRORS as exc:
                _error(request, exc)
            else:
                messages.success(request, "草稿已保存。")
                return redirect("tenders:course_plan_edit", plan.pk)
        else:
            messages.error(request, "请检查标红的模块。")
    problems = services.check_course_plan(services.project_frame(plan.project), modules_from(formset),
                                          services.topic_catalogue()) if request.method == "POST" else \
        services.plan_problems(plan)
    return _render(request, "tenders/course_plan_edit.html", {
        "plan": plan, "formset": formset, "title_value": title, "problems": problems,
        "components": plan.project.components.all(),
    })


@require_POST
@role_required(Role.INSTITUTION_STAFF)
def course_plan_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The live checker: the unsaved form in, the list of what is missing out (an htmx fragment)."""
    plan = selectors.access_course_plan_for_user(request.user, pk)
    formset = module_formset(plan, request.POST)
    modules = modules_from(formset)
    problems = services.check_course_plan(services.project_frame(plan.project), modules, services.topic_catalogue())
    totals = {"hours": sum(m.hours for m in modules), "practice": sum(m.practice_hours for m in modules)}
    return render(request, "tenders/_checker.html", {"problems": problems, "totals": totals, "plan": plan})


@require_POST
@role_required(Role.PROVINCE_ADMIN)
def course_plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.access_course_plan_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    try:
        if not form.is_valid():
            raise services.TenderError("请选择审核结果。")
        approve = form.cleaned_data["decision"] == "approve"
        services.course_plan_review(plan=plan, actor=request.user, approve=approve,
                                    comment=form.cleaned_data["comment"])
    except ERRORS as exc:
        _error(request, exc)
    else:
        messages.success(request, "课程方案已通过。" if approve else "课程方案已退回修改。")
    return redirect("tenders:course_plan_detail", plan.pk)


@require_safe
@role_required(*PLAN_VIEWERS)
def course_plan_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Compare two submitted versions (default: the last two)."""
    plan = selectors.access_course_plan_for_user(request.user, pk)
    versions = list(plan.versions.order_by("number"))
    by_number = {v.number: v for v in versions}
    try:
        a = by_number[int(request.GET["a"])] if "a" in request.GET else (versions[-2] if len(versions) > 1 else None)
        b = by_number[int(request.GET["b"])] if "b" in request.GET else (versions[-1] if versions else None)
    except (KeyError, ValueError):
        raise Http404 from None
    changes = snapshot_diff(a.snapshot, b.snapshot, _topic_names()) if a and b else []
    return _render(request, "tenders/course_plan_diff.html", {
        "plan": plan, "versions": versions, "a": a, "b": b, "changes": changes,
    })

