"""Pages of the ten-year summary (SUMMARY-1) and the province's selection and package (SUMMARY-2).

City administrators work on their own city's package; the province administrator reads every city's,
reviews, grants extensions, features items on the public column and builds the package for the Ministry.
Every object is loaded through an access helper (another city's object is a 404, audited); every write is
one service call.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from guopei.core.permissions import role_required
from guopei.core.uploads import file_response, human_size
from guopei.orgs.models import Membership, Region, School
from guopei.orgs.scoping import has_role, user_covers_region

from . import services
from .deadlines import base_deadline, countdown, deadline_day, summary_year
from .forms import CaseForm, ExtensionForm, MaterialForm, MaterialUploadForm, OutcomeForm, PackageForm, ReviewForm
from .media import decoder_available
from .models import Material, Submission, TraineeOutcome
from .selectors import (
    access_case_for_user,
    access_material_for_user,
    access_outcome_for_user,
    access_package_for_user,
    access_submission_for_user,
    cases_for_user,
    cities,
    city_submission,
    materials_for_user,
    outcomes_for_user,
    own_city_code,
    packages_for_user,
    submissions_for_user,
)

Role = Membership.Role
CITY = Role.CITY_ADMIN
PROVINCE = Role.PROVINCE_ADMIN
ERR_NO_CITY = "您的账号没有市级管理员角色对应的市，请联系省级管理员。"


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _page(request: HttpRequest, qs: QuerySet[Any], per_page: int = 24) -> Any:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def _city_code(request: HttpRequest) -> str:
    code = own_city_code(request.user)
    if code is None:
        raise Http404(ERR_NO_CITY)
    return code


def _job_url(job_id: int | None) -> str:
    if not job_id:
        return ""
    try:
        return reverse("core:job_detail", args=[job_id])
    except NoReverseMatch:
        return ""


# --- Overview and submissions -------------------------------------------------------------------------------
def _overview_context(request: HttpRequest, city: Region, submission: Submission | None) -> dict[str, Any]:
    year = submission.year if submission else summary_year()
    closes_at = submission.effective_deadline if submission else base_deadline(year)
    extended = bool(submission and submission.extended_until and submission.extended_until > submission.deadline)
    counts: dict[str, int] = {"image": 0, "video": 0, "document": 0, "cases": 0, "outcomes": 0, "bytes": 0}
    events: list[Any] = []
    if submission is not None:
        by_kind = submission.materials.values("kind").annotate(n=Count("pk"), size=Sum("size"))
        for row in by_kind:
            counts[row["kind"]] = row["n"]
            counts["bytes"] += row["size"] or 0
        counts["cases"] = submission.cases.count()
        counts["outcomes"] = submission.outcomes.count()
        events = list(submission.events.select_related("actor"))
    editable_state = submission is None or submission.is_editable_state
    clock = countdown(closes_at, extended=extended)
    return {
        "city": city,
        "submission": submission,
        "can_edit": editable_state and clock.is_open,
        "year": year,
        "deadline_day": deadline_day(year),
        "clock": clock,
        "counts": counts,
        "used": human_size(counts["bytes"]),
        "events": events,
        "is_city": has_role(request.user, CITY),
        "is_province": has_role(request.user, PROVINCE),
    }


@role_required(PROVINCE, CITY)
def index(request: HttpRequest) -> HttpResponse:
    """A city's own package; the province's list of all cities."""
    code = own_city_code(request.user)
    if code is None:
        return redirect("summary:submission_list")
    submission = city_submission(code)
    if submission is not None:
        return redirect("summary:submission_detail", pk=submission.pk)
    city = Region.objects.get(code=code)
    return render(request, "summary/overview.html", _overview_context(request, city, None))


@role_required(PROVINCE, CITY)
def submission_list(request: HttpRequest) -> HttpResponse:
    """Each city's submission state for the year; cities that have not started are shown too."""
    year = summary_year()
    submissions = (
        submissions_for_user(request.user)
        .filter(year=year)
        .annotate(
            n_materials=Count("materials", distinct=True),
            n_cases=Count("cases", distinct=True),
            n_outcomes=Count("outcomes", distinct=True),
        )
    )
    by_city = {s.city_id: s for s in submissions}
    visible = [c for c in cities() if _covers(request, c.code)]
    rows = [{"city": c, "submission": by_city.get(c.code)} for c in visible]
    state = request.GET.get("state", "")
    if state == "none":
        rows = [r for r in rows if r["submission"] is None]
    elif state in Submission.State.values:
        rows = [r for r in rows if r["submission"] and r["submission"].state == state]
    return render(request, "summary/submission_list.html", {
        "rows": rows, "year": year, "deadline_day": deadline_day(year), "states": Submission.State.choices,
        "state": state, "is_province": _is_province(request),
    })


def _covers(request: HttpRequest, code: str) -> bool:
    return user_covers_region(request.user, code, roles=[PROVINCE, CITY])


def _is_province(request: HttpRequest) -> bool:
    return has_role(request.user, PROVINCE)


@role_required(PROVINCE, CITY)
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission_for_user(request.user, pk)
    context = _overview_context(request, submission.city, submission)
    if _is_province(request):
        context["review_form"] = ReviewForm()
        context["extension_form"] = ExtensionForm()
    return render(request, "summary/overview.html", context)


@require_POST
@role_required(CITY)
def submission_submit(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission_for_user(request.user, pk)
    try:
        submission = services.submission_submit(actor=request.user, submission=submission)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, "已提交省教育厅审核。" + ("（逾期提交）" if submission.is_late else ""))
    return redirect("summary:submission_detail", pk=pk)


@require_POST
@role_required(PROVINCE)
def submission_review(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择审核结论。")
        return redirect("summary:submission_detail", pk=pk)
    accept = form.cleaned_data["decision"] == "accept"
    try:
        services.submission_review(actor=request.user, submission=submission, accept=accept,
                                   comment=form.cleaned_data["comment"], extend_until=form.extend_until_moment)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, "已审核通过。" if accept else "已退回地市修改。")
    return redirect("summary:submission_detail", pk=pk)


@require_POST
@role_required(PROVINCE)
def city_extend(request: HttpRequest, code: str) -> HttpResponse:
    """Grant one city an extension of its deadline (audited)."""
    if not cities().filter(code=code).exists() or not _covers(request, code):
        raise Http404("没有这个市")
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写延期日期和理由。")
    else:
        try:
            services.submission_extend(actor=request.user, city_code=code, until=form.until_moment,
                                       reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in _errors(exc):
                messages.error(request, message)
        else:
            messages.success(request, "已为该市延期。")
    submission = city_submission(code)
    if submission is not None:
        return redirect("summary:submission_detail", pk=submission.pk)
    return redirect("summary:submission_list")


# --- Materials ------------------------------------------------------------------------------------------------
@role_required(PROVINCE, CITY)
def material_list(request: HttpRequest) -> HttpResponse:
    qs = materials_for_user(request.user)
    kind = request.GET.get("kind", "")
    if kind in Material.Kind.values:
        qs = qs.filter(kind=kind)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(caption__icontains=q) | Q(project_name__icontains=q))
    if request.GET.get("featured") == "1":
        qs = qs.filter(is_featured=True)
    return render(request, "summary/material_list.html", {
        "page": _page(request, qs), "kind": kind, "kinds": Material.Kind.choices, "q": q,
        "is_province": _is_province(request), "decoder": decoder_available(),
    })


def _place_args(data: dict[str, Any]) -> dict[str, Any]:
    return {"county_code": data.get("county") or None, "school_id": data.get("school") or None,
            "project_name": data.get("project_name", "")}


@role_required(CITY)
def material_upload(request: HttpRequest) -> HttpResponse:
    """Upload a picture, video or document; its type is judged by content and its size limited (SUMMARY-1)."""
    code = _city_code(request)
    form = MaterialUploadForm(request.POST or None, request.FILES or None, city_code=code)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            material = services.material_upload(
                actor=request.user, city_code=code, upload=upload, filename=upload.name,
                title=form.cleaned_data["title"], caption=form.cleaned_data["caption"],
                year=form.cleaned_data["year"], **_place_args(form.cleaned_data),
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, f"已上传：{material.title}")
            return redirect("summary:material_detail", pk=material.pk)
    return render(request, "summary/form.html", {
        "form": form, "title": "上传素材", "multipart": True, "back": reverse("summary:material_list"),
        "limits": _limits(), "decoder": decoder_available(),
    })


def _limits() -> list[tuple[str, str]]:
    labels = {"image": "图片", "video": "视频", "document": "文档"}
    limits = [(labels[k], human_size(v)) for k, v in settings.SUMMARY_MAX_BYTES.items()]
    limits.append(("每市合计", human_size(settings.SUMMARY_CITY_QUOTA_BYTES)))
    return limits


@role_required(PROVINCE, CITY)
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    material = access_material_for_user(request.user, pk)
    return render(request, "summary/material_detail.html", {
        "material": material, "is_province": _is_province(request), "decoder": decoder_available(),
        "cases": material.cases.all(), "outcomes": material.outcomes.all(),
    })


@role_required(CITY)
def material_edit(request: HttpRequest, pk: int) -> HttpResponse:
    material = access_material_for_user(request.user, pk)
    initial = {"title": material.title, "caption": material.caption, "year": material.year,
               "county": material.county_id or "", "school": material.school_id or "",
               "project_name": material.project_name}
    form = MaterialForm(request.POST or None, initial=initial, city_code=material.city_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.material_update(actor=request.user, material=material, title=form.cleaned_data["title"],
                                     caption=form.cleaned_data["caption"], year=form.cleaned_data["year"],
                                     **_place_args(form.cleaned_data))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已保存。")
            return redirect("summary:material_detail", pk=material.pk)
    return render(request, "summary/form.html", {
        "form": form, "title": f"修改素材：{material.title}",
        "back": reverse("summary:material_detail", args=[material.pk]),
    })


@require_POST
@role_required(CITY)
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    material = access_material_for_user(request.user, pk)
    try:
        services.material_delete(actor=request.user, material=material)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("summary:material_detail", pk=pk)
    messages.success(request, "已删除。")
    return redirect("summary:material_list")


def _serve(request: HttpRequest, material: Material, variant: str) -> Any:
    if variant == "file":
        as_attachment = material.kind == Material.Kind.DOCUMENT
        return file_response(request, material.file, content_type=material.content_type,
                             filename=material.original_name, as_attachment=as_attachment)
    field = material.thumbnail if variant == "thumb" else material.poster
    if not field:
        raise Http404("没有可显示的预览图")
    stem = material.original_name.rsplit(".", 1)[0]
    return file_response(request, field, content_type="image/jpeg", filename=f"{stem}-预览.jpg")


@role_required(PROVINCE, CITY)
def material_file(request: HttpRequest, pk: int, variant: str = "file") -> Any:
    """Stream a private file after the access check; another city's file is a 404, audited."""
    return _serve(request, access_material_for_user(request.user, pk), variant)


def _feature(request: HttpRequest, item: Any, back: str) -> HttpResponse:
    featured = request.POST.get("featured") == "1"
    try:
        services.item_feature(actor=request.user, item=item, featured=featured)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, "已选入成果展示栏目。" if featured else "已从成果展示栏目撤下。")
    return redirect(back)


@require_POST
@role_required(PROVINCE)
def material_feature(request: HttpRequest, pk: int) -> HttpResponse:
    material = access_material_for_user(request.user, pk)
    return _feature(request, material, reverse("summary:material_detail", args=[pk]))


@role_required(CITY)
def school_options(request: HttpRequest) -> HttpResponse:
    """The schools of one county of the user's city, as <option>s for the form's school list (htmx)."""
    code = _city_code(request)
    county = request.GET.get("county", "")
    schools = School.objects.filter(county_id=county, county__parent_id=code).order_by("name") if county else []
    return render(request, "summary/_school_options.html", {"schools": schools})


# --- Typical cases ------------------------------------------------------------------------------------------
@role_required(PROVINCE, CITY)
def case_list(request: HttpRequest) -> HttpResponse:
    qs = cases_for_user(request.user).annotate(n_materials=Count("materials")).order_by("-created_at", "-id")
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(project_name__icontains=q))
    return render(request, "summary/case_list.html", {"page": _page(request, qs), "q": q,
                                                      "is_province": _is_province(request)})


def _case_args(data: dict[str, Any]) -> dict[str, Any]:
    return {"title": data["title"], "background": data["background"], "highlights": data["highlights"],
            "effects": data["effects"], "material_ids": data.get("materials") or [], **_place_args(data)}


@role_required(CITY)
def case_create(request: HttpRequest) -> HttpResponse:
    code = _city_code(request)
    form = CaseForm(request.POST or None, city_code=code)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=request.user, city_code=code, **_case_args(form.cleaned_data))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已保存典型案例。")
            return redirect("summary:case_detail", pk=case.pk)
    return render(request, "summary/form.html", {"form": form, "title": "撰写典型案例",
                                                 "back": reverse("summary:case_list")})


@role_required(PROVINCE, CITY)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case_for_user(request.user, pk)
    return render(request, "summary/case_detail.html", {
        "case": case, "materials": case.materials.select_related("city"), "is_province": _is_province(request),
    })


@role_required(CITY)
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case_for_user(request.user, pk)
    initial = {"title": case.title, "background": case.background, "highlights": case.highlights,
               "effects": case.effects, "county": case.county_id or "", "school": case.school_id or "",
               "project_name": case.project_name, "materials": [m.pk for m in case.materials.all()]}
    form = CaseForm(request.POST or None, initial=initial, city_code=case.city_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_update(actor=request.user, case=case, **_case_args(form.cleaned_data))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已保存。")
            return redirect("summary:case_detail", pk=case.pk)
    return render(request, "summary/form.html", {"form": form, "title": f"修改典型案例：{case.title}",
                                                 "back": reverse("summary:case_detail", args=[case.pk])})


@require_POST
@role_required(CITY)
def case_delete(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case_for_user(request.user, pk)
    try:
        services.case_delete(actor=request.user, case=case)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("summary:case_detail", pk=pk)
    messages.success(request, "已删除。")
    return redirect("summary:case_list")


@require_POST
@role_required(PROVINCE)
def case_feature(request: HttpRequest, pk: int) -> HttpResponse:
    case = access_case_for_user(request.user, pk)
    return _feature(request, case, reverse("summary:case_detail", args=[pk]))


# --- Trainees' outcomes -------------------------------------------------------------------------------------
@role_required(PROVINCE, CITY)
def outcome_list(request: HttpRequest) -> HttpResponse:
    qs = outcomes_for_user(request.user)
    stage = request.GET.get("stage", "")
    if stage in TraineeOutcome.Stage.values:
        qs = qs.filter(stage=stage)
    if q := request.GET.get("q", "").strip():
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    return render(request, "summary/outcome_list.html", {
        "page": _page(request, qs), "q": q, "stage": stage, "stages": TraineeOutcome.Stage.choices,
        "is_province": _is_province(request),
    })


def _outcome_args(data: dict[str, Any]) -> dict[str, Any]:
    return {"stage": data["stage"], "form": data["form"], "title": data["title"], "year": data["year"],
            "summary": data["summary"], "material_id": data.get("material") or None,
            "consent": bool(data.get("consent")), "consent_note": data.get("consent_note", ""),
            "teacher_name": data.get("teacher_name", ""), "teacher_school": data.get("teacher_school", ""),
            "teacher_id_number": data.get("teacher_id_number", ""), **_place_args(data)}


@role_required(CITY)
def outcome_create(request: HttpRequest) -> HttpResponse:
    code = _city_code(request)
    form = OutcomeForm(request.POST or None, city_code=code)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.outcome_create(actor=request.user, city_code=code, **_outcome_args(form.cleaned_data))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已登记学员成果。")
            return redirect("summary:outcome_detail", pk=outcome.pk)
    return render(request, "summary/form.html", {"form": form, "title": "登记学员成果",
                                                 "back": reverse("summary:outcome_list")})


@role_required(PROVINCE, CITY)
def outcome_detail(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = access_outcome_for_user(request.user, pk)
    return render(request, "summary/outcome_detail.html", {"outcome": outcome, "is_province": _is_province(request)})


@role_required(CITY)
def outcome_edit(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = access_outcome_for_user(request.user, pk)
    initial = {"stage": outcome.stage, "form": outcome.form, "title": outcome.title, "year": outcome.year,
               "summary": outcome.summary, "material": outcome.material_id or "", "consent": outcome.consent,
               "consent_note": outcome.consent_note, "teacher_name": outcome.teacher_name,
               "teacher_school": outcome.teacher_school, "county": outcome.county_id or "",
               "school": outcome.school_id or "", "project_name": outcome.project_name}
    form = OutcomeForm(request.POST or None, initial=initial, city_code=outcome.city_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_update(actor=request.user, outcome=outcome, **_outcome_args(form.cleaned_data))
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已保存。")
            return redirect("summary:outcome_detail", pk=outcome.pk)
    return render(request, "summary/form.html", {"form": form, "title": f"修改学员成果：{outcome.title}",
                                                 "back": reverse("summary:outcome_detail", args=[outcome.pk])})


@require_POST
@role_required(CITY)
def outcome_delete(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = access_outcome_for_user(request.user, pk)
    try:
        services.outcome_delete(actor=request.user, outcome=outcome)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("summary:outcome_detail", pk=pk)
    messages.success(request, "已删除。")
    return redirect("summary:outcome_list")


@require_POST
@role_required(PROVINCE, CITY)
def outcome_withdraw_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher withdrew consent: their name and school disappear at once, public column included."""
    outcome = access_outcome_for_user(request.user, pk)
    services.outcome_consent_withdraw(actor=request.user, outcome=outcome)
    messages.success(request, "已撤回署名：教师姓名和学校已删除。")
    return redirect("summary:outcome_detail", pk=pk)


@require_POST
@role_required(PROVINCE)
def outcome_feature(request: HttpRequest, pk: int) -> HttpResponse:
    outcome = access_outcome_for_user(request.user, pk)
    return _feature(request, outcome, reverse("summary:outcome_detail", args=[pk]))


# --- Recommendation packages (SUMMARY-2) --------------------------------------------------------------------
@role_required(PROVINCE)
def package_list(request: HttpRequest) -> HttpResponse:
    """Select accepted cases, outcomes and materials and start building the package for the Ministry."""
    accepted = Q(submission__state=Submission.State.ACCEPTED)
    form = PackageForm(
        request.POST or None,
        cases=cases_for_user(request.user).filter(accepted).order_by("region_code", "-is_featured", "title"),
        outcomes=outcomes_for_user(request.user).filter(accepted).order_by("region_code", "-is_featured", "title"),
        materials=materials_for_user(request.user).filter(accepted).order_by("region_code", "-is_featured", "title"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            package = services.package_create(
                actor=request.user, title=form.cleaned_data["title"], case_ids=form.cleaned_data["cases"],
                outcome_ids=form.cleaned_data["outcomes"], material_ids=form.cleaned_data["materials"],
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(request, "已开始打包，完成后可在此下载。")
            return redirect("summary:package_detail", pk=package.pk)
    packages = packages_for_user(request.user)
    return render(request, "summary/package_list.html", {"form": form, "packages": packages})


@role_required(PROVINCE)
def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    package = access_package_for_user(request.user, pk)
    return render(request, "summary/package_detail.html", {
        "package": package, "job": package.job, "job_url": _job_url(package.job_id),
        "cases": package.cases.select_related("city"), "outcomes": package.outcomes.select_related("city"),
        "materials": package.materials.select_related("city"),
    })


@role_required(PROVINCE)
def package_download(request: HttpRequest, pk: int) -> Any:
    package = access_package_for_user(request.user, pk)
    if not package.zip_file:
        raise Http404("推荐包尚未生成")
    name = f"{package.title}-{package.created_at:%Y%m%d}.zip"
    return file_response(request, package.zip_file, content_type="application/zip", filename=name,
                         as_attachment=True)
