"""Pages of the performance evaluation (MGMT-7): surveys, visits, forums, third-party scores, performance
dashboards, weights and bulletins. Thin: load through an access helper, call one service, render or redirect.

The survey answer page is the one page without sign-in: the single-use token is the trainee's credential.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from guopei.core.jobs import JobError, job_start
from guopei.core.permissions import role_required
from guopei.core.spreadsheets import write_xlsx
from guopei.core.uploads import UploadError, file_response
from guopei.orgs.models import Institution, Membership, Region
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import admin_region_codes, has_role, institution_ids_of, region_level, user_covers_region

from . import charts, performance, services
from .forms import (
    LIKERT_CHOICES,
    BulletinCreateForm,
    BulletinEditForm,
    CopyForm,
    ForumForm,
    PhotoForm,
    QuestionForm,
    QuestionnaireForm,
    RubricForm,
    SurveyOpenForm,
    ThirdPartyImportForm,
    VisitAssignForm,
    VisitFillForm,
    WeightsForm,
    answer_value,
)
from .jobs import THIRD_PARTY_IMPORT, template_xlsx
from .models import Bulletin, FieldVisit, Forum, Question, Survey
from .scoring import INPUT_LABELS, INPUTS
from .selectors import (
    LOCAL_ROLES,
    VIEWER_ROLES,
    access_bulletin_for_user,
    access_forum_for_user,
    access_photo_for_user,
    access_questionnaire_for_user,
    access_survey_for_user,
    access_visit_for_user,
    batches_for_user,
    bulletins_for_user,
    forums_for_user,
    is_province,
    managed_survey_for_user,
    own_visit_for_expert,
    questionnaires_for_user,
    rubrics,
    surveys_for_user,
    third_party_scores_for_user,
    tokens_for_teacher,
    visits_for_user,
    weighted_years,
    with_survey_counts,
)
from .survey_results import survey_results
from .tokens import normalise

Role = Membership.Role
ADMIN = Role.PROVINCE_ADMIN
INSTITUTION = Role.INSTITUTION_STAFF
EXPERT = Role.EXPERT
TEACHER = Role.TEACHER
PROVINCE = tuple(PROVINCE_ROLES)
ERR_NO_WEIGHTS = "还没有设置任何年度的综合评价权重。"
SURVEY_OPEN_HELP = "每位在班学员获得一个只能使用一次的评教码；答卷不记录答题人。"


def _page(request: HttpRequest, qs: Any, per_page: int = 30) -> Any:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _job_url(job_id: int) -> str:
    try:
        return reverse("core:job_detail", args=[job_id])
    except NoReverseMatch:
        return reverse("evaluation:third_party_list")


def _year(request: HttpRequest, default: int | None) -> int | None:
    try:
        return int(request.GET.get("year") or default or 0) or None
    except ValueError:
        return default


def _show_errors(request: HttpRequest, error: ValidationError, form: Any = None) -> None:
    if form is not None and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for e in errors:
                form.add_error(target, e.messages[0] if hasattr(e, "messages") else str(e))
        return
    for message in error.messages:
        messages.error(request, message)


# --- hub ------------------------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES, EXPERT, TEACHER)
def index(request: HttpRequest) -> HttpResponse:
    """The evaluation's overview for each role: what there is and where to go."""
    user = request.user
    if not has_role(user, *VIEWER_ROLES):
        return redirect("evaluation:visit_list" if has_role(user, EXPERT) else "evaluation:my_surveys")
    bulletins = bulletins_for_user(user)
    context = {
        "is_province": is_province(user), "is_admin": has_role(user, ADMIN),
        "counts": {
            "surveys": surveys_for_user(user).count(),
            "visits": visits_for_user(user).count(),
            "visits_submitted": visits_for_user(user).filter(state=FieldVisit.State.SUBMITTED).count(),
            "forums": forums_for_user(user).count(),
            "third_party": third_party_scores_for_user(user).count(),
            "bulletins": bulletins.filter(status=Bulletin.Status.PUBLISHED).count(),
            "drafts": bulletins.filter(status=Bulletin.Status.DRAFT).count(),
        },
        "years": weighted_years(),
    }
    return render(request, "evaluation/index.html", context)


# --- questionnaires ----------------------------------------------------------------------------------------------
@role_required(*PROVINCE, INSTITUTION)
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/questionnaire_list.html", {
        "questionnaires": questionnaires_for_user(request.user), "is_admin": has_role(request.user, ADMIN)})


@role_required(ADMIN)
def questionnaire_create(request: HttpRequest) -> HttpResponse:
    form = QuestionnaireForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = services.questionnaire_create(actor=request.user, title=form.cleaned_data["title"],
                                                          description=form.cleaned_data["description"])
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "问卷已创建，请添加题目。")
            return redirect("evaluation:questionnaire_detail", pk=questionnaire.pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "新建评教问卷",
                                                    "back": reverse("evaluation:questionnaire_list")})


@role_required(*PROVINCE, INSTITUTION)
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access_questionnaire_for_user(request.user, pk)
    is_admin = has_role(request.user, ADMIN)
    form = QuestionForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("您的角色不能修改问卷")
        if form.is_valid():
            spec = services.QuestionSpec(form.cleaned_data["kind"], form.cleaned_data["text"],
                                         tuple(form.cleaned_data["choices"]), form.cleaned_data["required"])
            try:
                services.question_add(questionnaire=questionnaire, actor=request.user, spec=spec)
            except ValidationError as exc:
                _show_errors(request, exc, form)
            else:
                messages.success(request, "题目已添加。")
                return redirect("evaluation:questionnaire_detail", pk=pk)
    return render(request, "evaluation/questionnaire_detail.html", {
        "questionnaire": questionnaire, "questions": questionnaire.questions.all(), "form": form,
        "is_admin": is_admin, "locked": questionnaire.surveys.exists(), "copy_form": CopyForm(),
        "likert": LIKERT_CHOICES})


@role_required(ADMIN)
def questionnaire_edit(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access_questionnaire_for_user(request.user, pk)
    form = QuestionnaireForm(request.POST or None, instance=questionnaire)
    if request.method == "POST" and form.is_valid():
        services.questionnaire_update(questionnaire=questionnaire, actor=request.user, **form.cleaned_data)
        messages.success(request, "问卷已保存。")
        return redirect("evaluation:questionnaire_detail", pk=pk)
    return render(request, "evaluation/form.html", {"form": form, "title": f"修改问卷：{questionnaire.title}",
                                                    "back": reverse("evaluation:questionnaire_detail", args=[pk])})


@require_POST
@role_required(ADMIN)
def questionnaire_copy(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = access_questionnaire_for_user(request.user, pk)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            copy = services.questionnaire_copy(questionnaire=questionnaire, actor=request.user,
                                               title=form.cleaned_data["title"])
        except ValidationError as exc:
            _show_errors(request, exc)
        else:
            messages.success(request, "已复制为新问卷。")
            return redirect("evaluation:questionnaire_detail", pk=copy.pk)
    else:
        messages.error(request, "请填写新问卷名称。")
    return redirect("evaluation:questionnaire_detail", pk=pk)


@require_POST
@role_required(ADMIN)
def question_delete(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    questionnaire = access_questionnaire_for_user(request.user, pk)
    question = get_object_or_404(Question, pk=question_id, questionnaire=questionnaire)
    try:
        services.question_delete(question=question, actor=request.user)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(request, "题目已删除。")
    return redirect("evaluation:questionnaire_detail", pk=pk)


# --- surveys ---------------------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES)
def survey_list(request: HttpRequest) -> HttpResponse:
    qs = surveys_for_user(request.user)
    year = _year(request, None)
    if year:
        qs = qs.filter(year=year)
    return render(request, "evaluation/survey_list.html", {
        "page": _page(request, with_survey_counts(qs)), "year": year,
        "can_open": has_role(request.user, ADMIN, INSTITUTION)})


def _openable_classes(user: Any) -> Any:
    from guopei.delivery.models import TrainingClass
    from guopei.delivery.selectors import managed_classes_for_user

    qs = TrainingClass.objects.all() if has_role(user, ADMIN) else managed_classes_for_user(user)
    return qs.filter(survey__isnull=True).select_related("project", "institution").order_by("-start_date")


@role_required(ADMIN, INSTITUTION)
def survey_open(request: HttpRequest) -> HttpResponse:
    form = SurveyOpenForm(request.POST or None, classes=_openable_classes(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_open(klass=form.cleaned_data["klass"],
                                          questionnaire=form.cleaned_data["questionnaire"], actor=request.user)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "已发起评教并为每位在班学员发放了评教码。")
            return redirect("evaluation:survey_detail", pk=survey.pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "发起学员评教",
                                                    "back": reverse("evaluation:survey_list"),
                                                    "help": SURVEY_OPEN_HELP})


@role_required(*VIEWER_ROLES)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = access_survey_for_user(request.user, pk)
    can_manage = has_role(request.user, ADMIN) or (
        has_role(request.user, INSTITUTION) and survey.institution_id in institution_ids_of(request.user))
    return render(request, "evaluation/survey_detail.html", {
        "survey": survey, "results": survey_results(survey), "can_manage": can_manage,
        "answer_url": request.build_absolute_uri(reverse("evaluation:survey_answer", args=[survey.pk]))})


@require_POST
@role_required(ADMIN, INSTITUTION)
def survey_issue(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey_for_user(request.user, pk)
    issued = services.survey_tokens_issue(survey=survey, actor=request.user)
    messages.success(request, f"补发评教码 {issued} 个。" if issued else "每位在班学员都已有评教码。")
    return redirect("evaluation:survey_detail", pk=pk)


@require_POST
@role_required(ADMIN, INSTITUTION)
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = managed_survey_for_user(request.user, pk)
    services.survey_close(survey=survey, actor=request.user)
    messages.success(request, "评教已停止收集。")
    return redirect("evaluation:survey_detail", pk=pk)


@role_required(ADMIN, INSTITUTION)
def survey_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """The token slips to hand out in class (name, sending unit, token, link)."""
    survey = managed_survey_for_user(request.user, pk)
    base = request.build_absolute_uri(reverse("evaluation:survey_answer", args=[survey.pk]))
    rows = [(name, school, code, f"{base}?t={code}")
            for name, school, code in services.survey_tokens_export(survey=survey, actor=request.user)]
    data = write_xlsx(["学员", "选派单位", "评教码", "评教链接"], rows, sheet_name="评教码",
                      notes=["评教码每人一个，只能使用一次。请剪开后分发给学员本人。",
                             "答卷不记录答题人，评教码与答卷之间没有任何关联。"])
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"{survey.klass.name}-评教码.xlsx") or ""
    response["Cache-Control"] = "private, no-store"
    return response


def survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a class's survey with a single-use token; no sign-in, and nothing on the page knows who answers."""
    survey = get_object_or_404(Survey.objects.select_related("klass", "institution", "questionnaire"), pk=pk)
    questions = list(survey.questionnaire.questions.all())
    token = normalise(request.POST.get("token") or request.GET.get("t") or "")
    errors: dict[str, str] = {}
    refused = ""
    if request.method == "POST":
        answers = {q.pk: answer_value(q, request.POST) for q in questions}
        try:
            services.survey_answer(survey=survey, token=token, answers=answers)
        except services.SurveyRefused as exc:
            refused = exc.message
        except ValidationError as exc:
            errors = {k: v[0] for k, v in exc.message_dict.items()}
        else:
            return render(request, "evaluation/survey_thanks.html", {"survey": survey})
    items = [{"q": q, "error": errors.get(f"q{q.pk}", ""),
              "given": request.POST.getlist(f"q{q.pk}") if request.method == "POST" else []} for q in questions]
    return render(request, "evaluation/survey_answer.html", {
        "survey": survey, "items": items, "token": token, "errors": errors, "refused": refused,
        "likert": LIKERT_CHOICES, "Kind": Question.Kind}, status=400 if refused or errors else 200)


@role_required(TEACHER)
def my_surveys(request: HttpRequest) -> HttpResponse:
    rows = [{"token": t, "code": services.token_link(t)} for t in tokens_for_teacher(request.user)]
    return render(request, "evaluation/my_surveys.html", {"rows": rows})


# --- field visits ---------------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES, EXPERT)
def visit_list(request: HttpRequest) -> HttpResponse:
    qs = visits_for_user(request.user)
    state = request.GET.get("state", "")
    if state in FieldVisit.State.values:
        qs = qs.filter(state=state)
    year = _year(request, None)
    if year:
        qs = qs.filter(year=year)
    return render(request, "evaluation/visit_list.html", {
        "page": _page(request, qs), "state": state, "states": FieldVisit.State.choices, "year": year,
        "is_admin": has_role(request.user, ADMIN), "is_expert": has_role(request.user, EXPERT)})


@role_required(ADMIN)
def visit_assign(request: HttpRequest) -> HttpResponse:
    form = VisitAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_assign(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "已指派专家。")
            return redirect("evaluation:visit_detail", pk=visit.pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "指派专家实地调研",
                                                    "back": reverse("evaluation:visit_list")})


@role_required(*VIEWER_ROLES, EXPERT)
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access_visit_for_user(request.user, pk)
    scores = {s.criterion_id: s.score for s in visit.scores.all()}
    criteria = [(c, scores.get(c.pk)) for c in visit.rubric.criteria.all()]
    return render(request, "evaluation/visit_detail.html", {
        "visit": visit, "criteria": criteria, "photos": visit.photos.all(),
        "is_own": visit.expert.user_id == request.user.pk, "is_admin": has_role(request.user, ADMIN)})


@role_required(EXPERT)
def visit_fill(request: HttpRequest, pk: int) -> HttpResponse:
    """The expert's rubric, made for a phone: scores per criterion, notes, photos; save or submit."""
    visit = own_visit_for_expert(request.user, pk)
    if visit.is_submitted:
        messages.info(request, services.ERR_VISIT_SUBMITTED)
        return redirect("evaluation:visit_detail", pk=pk)
    criteria = list(visit.rubric.criteria.all())
    initial: dict[str, Any] = {"visited_on": visit.visited_on, "notes": visit.notes}
    initial.update({f"c{s.criterion_id}": s.score for s in visit.scores.all()})
    form = VisitFillForm(request.POST or None, criteria=criteria, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.visit_save(visit=visit, actor=request.user, visited_on=form.cleaned_data["visited_on"],
                                notes=form.cleaned_data["notes"], scores=form.scores())
            if request.POST.get("action") == "submit":
                services.visit_submit(visit=visit, actor=request.user)
                messages.success(request, "调研已提交，不能再修改。")
                return redirect("evaluation:visit_detail", pk=pk)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "已保存。")
            return redirect("evaluation:visit_fill", pk=pk)
    return render(request, "evaluation/visit_fill.html", {
        "visit": visit, "form": form, "photo_form": PhotoForm(), "photos": visit.photos.all()})


@require_POST
@role_required(EXPERT)
def visit_photo(request: HttpRequest, pk: int) -> HttpResponse:
    visit = own_visit_for_expert(request.user, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.visit_photo_add(visit=visit, actor=request.user, upload=form.cleaned_data["photo"],
                                     caption=form.cleaned_data["caption"])
        except UploadError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            _show_errors(request, exc)
        else:
            messages.success(request, "照片已上传。")
    else:
        messages.error(request, "请选择照片。")
    return redirect("evaluation:visit_fill" if not visit.is_submitted else "evaluation:visit_detail", pk=pk)


@require_POST
@role_required(EXPERT)
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    photo = access_photo_for_user(request.user, pk)
    own_visit_for_expert(request.user, photo.visit_id)
    try:
        services.visit_photo_delete(photo=photo, actor=request.user)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(request, "照片已删除。")
    return redirect("evaluation:visit_fill", pk=photo.visit_id)


@role_required(*VIEWER_ROLES, EXPERT)
def photo_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    photo = access_photo_for_user(request.user, pk)
    return file_response(request, photo.file, content_type=photo.content_type, filename=photo.display_name)


@require_POST
@role_required(ADMIN)
def visit_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access_visit_for_user(request.user, pk)
    try:
        services.visit_withdraw(visit=visit, actor=request.user)
    except ValidationError as exc:
        _show_errors(request, exc)
        return redirect("evaluation:visit_detail", pk=pk)
    messages.success(request, "已撤回指派。")
    return redirect("evaluation:visit_list")


@role_required(*PROVINCE)
def rubric_list(request: HttpRequest) -> HttpResponse:
    is_admin = has_role(request.user, ADMIN)
    form = RubricForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("您的角色不能新建评分量表")
        if form.is_valid():
            try:
                services.rubric_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _show_errors(request, exc, form)
            else:
                messages.success(request, "评分量表已创建。")
                return redirect("evaluation:rubric_list")
    return render(request, "evaluation/rubric_list.html", {"rubrics": rubrics(), "form": form, "is_admin": is_admin})


# --- forums ----------------------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES)
def forum_list(request: HttpRequest) -> HttpResponse:
    qs = forums_for_user(request.user)
    year = _year(request, None)
    if year:
        qs = qs.filter(year=year)
    return render(request, "evaluation/forum_list.html", {"page": _page(request, qs), "year": year,
                                                          "is_admin": has_role(request.user, ADMIN)})


@role_required(ADMIN)
def forum_create(request: HttpRequest) -> HttpResponse:
    form = ForumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            forum = services.forum_record(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "座谈记录已保存。")
            return redirect("evaluation:forum_detail", pk=forum.pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "记录学员座谈",
                                                    "back": reverse("evaluation:forum_list"),
                                                    "help": "只填写参加人数；参加者本人同意后才登记姓名。"})


@role_required(*VIEWER_ROLES)
def forum_detail(request: HttpRequest, pk: int) -> HttpResponse:
    forum = access_forum_for_user(request.user, pk)
    return render(request, "evaluation/forum_detail.html", {"forum": forum, "is_admin": has_role(request.user, ADMIN)})


@role_required(ADMIN)
def forum_edit(request: HttpRequest, pk: int) -> HttpResponse:
    forum = access_forum_for_user(request.user, pk)
    form = ForumForm(request.POST or None, instance=Forum.objects.get(pk=forum.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.forum_update(forum=forum, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "座谈记录已保存。")
            return redirect("evaluation:forum_detail", pk=pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "修改座谈记录",
                                                    "back": reverse("evaluation:forum_detail", args=[pk])})


# --- third-party scores ----------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES)
def third_party_list(request: HttpRequest) -> HttpResponse:
    qs = third_party_scores_for_user(request.user)
    year = _year(request, None)
    if year:
        qs = qs.filter(year=year)
    return render(request, "evaluation/third_party_list.html", {
        "page": _page(request, qs), "year": year, "batches": batches_for_user(request.user)[:10],
        "is_admin": has_role(request.user, ADMIN)})


@role_required(ADMIN)
def third_party_import(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    form = ThirdPartyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.EVALUATION_IMPORT_MAX_BYTES
        if upload.size > limit:
            form.add_error("file", f"文件超过{limit // (1024 * 1024)}MB。")
        else:
            try:
                job = job_start(kind=THIRD_PARTY_IMPORT, title=f"导入{form.cleaned_data['year']}年第三方评估得分",
                                owner=request.user, region_code=settings.PROVINCE_CODE,
                                params={"year": form.cleaned_data["year"], "agency": form.cleaned_data["agency"],
                                        "filename": upload.name},
                                input_name=upload.name, input_content=upload.read())
            except JobError as exc:
                messages.error(request, str(exc))
            else:
                return redirect(_job_url(job.pk))
    return render(request, "evaluation/form.html", {
        "form": form, "title": "导入第三方评估得分", "back": reverse("evaluation:third_party_list"),
        "multipart": True, "help": "整份文件校验通过才导入，有任何错误都不会写入数据；同一文件重复导入不会改变数据。",
        "template_url": reverse("evaluation:third_party_template")})


@role_required(ADMIN)
def third_party_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_xlsx(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, "第三方评估得分导入模板.xlsx") or ""
    return response


# --- performance -------------------------------------------------------------------------------------------------
def _rows_context(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"row": r, "inputs": [r.inputs.get(k) for k in INPUTS]} for r in rows]


@role_required(*VIEWER_ROLES)
def performance_dashboard(request: HttpRequest) -> HttpResponse:
    """The province's dashboards by institution, city, county and category, with the year comparison."""
    user = request.user
    if not is_province(user):
        if has_role(user, *LOCAL_ROLES):
            return redirect("evaluation:region_performance", code=admin_region_codes(user, LOCAL_ROLES)[0])
        return redirect("evaluation:institution_performance", pk=institution_ids_of(user)[0])
    years = weighted_years()
    year = _year(request, years[0] if years else None)
    dimension = request.GET.get("by", "institution")
    if dimension not in performance.DIMENSIONS:
        dimension = "institution"
    rows = performance.table(year, dimension) if year and year in years else []
    chart_list = []
    if rows:
        label = performance.DIMENSIONS[dimension]
        chart_list.append(charts.composite_bar("chart-composite", f"{year}年{label}综合得分", rows))
        chart_list.append(charts.inputs_bar("chart-inputs", f"{year}年{label}各项得分", rows))
    if len(years) > 1:
        averages = [(y, avg) for y, avg, _ in performance.yearly_averages(dimension)]
        series = [(f"{performance.DIMENSIONS[dimension]}平均", averages)]
        for row in rows[:4]:
            history = performance.history(dimension, row.key)
            series.append((row.label, [(y, r.composite if r else None) for y, r in history]))
        chart_list.append(charts.trend_line("chart-trend", "历年综合得分比较", series))
    return render(request, "evaluation/performance.html", {
        "years": years, "year": year, "dimension": dimension, "dimensions": performance.DIMENSIONS,
        "rows": _rows_context(rows), "charts": chart_list, "input_labels": [INPUT_LABELS[k] for k in INPUTS],
        "weights": performance.CompositeWeights.objects.filter(year=year or 0).first(), "no_weights": ERR_NO_WEIGHTS,
        "is_admin": has_role(user, ADMIN)})


def _history_rows(history: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    return [{"year": y, "row": r, "inputs": [r.inputs.get(k) if r else None for k in INPUTS]} for y, r in history]


@role_required(*PROVINCE, INSTITUTION)
def institution_performance(request: HttpRequest, pk: int) -> HttpResponse:
    """One institution's composites over the years and their inputs: the province, or the institution itself."""
    if not is_province(request.user) and int(pk) not in institution_ids_of(request.user):
        raise Http404("不在您的查看范围内")
    institution = get_object_or_404(Institution, pk=pk)
    history = performance.history("institution", institution.pk)
    chart_list = [charts.trend_line("chart-trend", "历年综合得分", [
        ("综合得分", [(y, r.composite if r else None) for y, r in history])])] if history else []
    return render(request, "evaluation/entity_performance.html", {
        "title": institution.name, "history": _history_rows(history), "charts": chart_list,
        "input_labels": [INPUT_LABELS[k] for k in INPUTS], "children": [], "is_province": is_province(request.user)})


@role_required(*PROVINCE, *LOCAL_ROLES)
def region_performance(request: HttpRequest, code: str) -> HttpResponse:
    """A city's or county's composites over the years; a city also sees its counties for the latest year."""
    region = get_object_or_404(Region.objects.select_related("parent"), code=code)
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY, Region.Level.ZONE):
        raise Http404
    if not is_province(request.user) and not user_covers_region(request.user, code, LOCAL_ROLES):
        raise Http404("不在您的查看范围内")
    dimension = "city" if region_level(code) == Region.Level.CITY else "county"
    history = performance.history(dimension, code, within=code)
    years = weighted_years()
    children = performance.table(years[0], "county", within=code) if years and dimension == "city" else []
    chart_list = [charts.trend_line("chart-trend", "历年综合得分", [
        ("综合得分", [(y, r.composite if r else None) for y, r in history])])] if history else []
    if children:
        chart_list.append(charts.composite_bar("chart-children", f"{years[0]}年各县（市、区）综合得分", children))
    return render(request, "evaluation/entity_performance.html", {
        "title": region.full_name, "history": _history_rows(history), "charts": chart_list,
        "input_labels": [INPUT_LABELS[k] for k in INPUTS], "children": _rows_context(children),
        "children_year": years[0] if years else None, "is_province": is_province(request.user)})


@role_required(*PROVINCE)
def weights(request: HttpRequest) -> HttpResponse:
    is_admin = has_role(request.user, ADMIN)
    form = WeightsForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("您的角色不能设置权重")
        if form.is_valid():
            try:
                services.weights_set(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _show_errors(request, exc, form)
            else:
                messages.success(request, f"{form.cleaned_data['year']}年权重已保存。")
                return redirect("evaluation:weights")
    return render(request, "evaluation/weights.html", {
        "form": form, "is_admin": is_admin, "all_weights": performance.CompositeWeights.objects.all()})


# --- bulletins -------------------------------------------------------------------------------------------------
@role_required(*VIEWER_ROLES)
def bulletin_list(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/bulletin_list.html", {
        "page": _page(request, bulletins_for_user(request.user)), "is_admin": has_role(request.user, ADMIN)})


@role_required(ADMIN)
def bulletin_create(request: HttpRequest) -> HttpResponse:
    form = BulletinCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bulletin = services.bulletin_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "已按模板生成通报草稿，请修改评述后发布。")
            return redirect("evaluation:bulletin_detail", pk=bulletin.pk)
    return render(request, "evaluation/form.html", {"form": form, "title": "生成绩效评估通报",
                                                    "back": reverse("evaluation:bulletin_list")})


@role_required(*VIEWER_ROLES)
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from .bulletins import chart_svg, sections, signature

    bulletin = access_bulletin_for_user(request.user, pk)
    parts = [{"section": s, "svg": chart_svg(s.chart_title, s.chart) if s.chart else ""}
             for s in sections(bulletin)]
    issuer, day = signature(bulletin)
    return render(request, "evaluation/bulletin_detail.html", {
        "bulletin": bulletin, "parts": parts, "issuer": issuer, "day": day,
        "is_admin": has_role(request.user, ADMIN),
        "recipients": bulletin.recipients.select_related("region", "institution") if bulletin.is_published else []})


@role_required(ADMIN)
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = access_bulletin_for_user(request.user, pk)
    if bulletin.is_published:
        messages.error(request, services.ERR_BULLETIN_PUBLISHED)
        return redirect("evaluation:bulletin_detail", pk=pk)
    form = BulletinEditForm(request.POST or None, instance=Bulletin.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.bulletin_update(bulletin=bulletin, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _show_errors(request, exc, form)
        else:
            messages.success(request, "通报已保存。")
            return redirect("evaluation:bulletin_detail", pk=pk)
    return render(request, "evaluation/form.html", {"form": form, "title": f"修改通报：{bulletin.title}",
                                                    "back": reverse("evaluation:bulletin_detail", args=[pk]),
                                                    "help": "评述每段一行；发布后通报不能再修改。"})


def _bulletin_action(request: HttpRequest, pk: int, action: Any, success: str) -> HttpResponse:
    bulletin = access_bulletin_for_user(request.user, pk)
    try:
        action(bulletin=bulletin, actor=request.user)
    except ValidationError as exc:
        _show_errors(request, exc)
        return redirect("evaluation:bulletin_detail", pk=pk)
    messages.success(request, success)
    return redirect("evaluation:bulletin_list") if action is services.bulletin_delete else redirect(
        "evaluation:bulletin_detail", pk=pk)


@require_POST
@role_required(ADMIN)
def bulletin_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    return _bulletin_action(request, pk, services.bulletin_refresh, "已按当前数据重新生成评估结果。")


@require_POST
@role_required(ADMIN)
def bulletin_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _bulletin_action(request, pk, services.bulletin_publish, "通报已发布，相关市、县和承训机构可以查看。")


@require_POST
@role_required(ADMIN)
def bulletin_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _bulletin_action(request, pk, services.bulletin_delete, "通报草稿已删除。")


@role_required(*VIEWER_ROLES)
def bulletin_file(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    """The bulletin's Word or PDF file: the stored one once published; a fresh preview of a draft."""
    from .bulletins import render_docx, render_pdf

    bulletin = access_bulletin_for_user(request.user, pk)
    mime = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "pdf": "application/pdf"}[kind]
    filename = f"{bulletin.title}.{kind}"
    if bulletin.is_published:
        return file_response(request, getattr(bulletin, kind), content_type=mime, filename=filename,
                             as_attachment=True)
    data = render_docx(bulletin) if kind == "docx" else render_pdf(bulletin)
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = content_disposition_header(True, f"（草稿）{filename}") or ""
    response["Cache-Control"] = "private, no-store"
    return response

