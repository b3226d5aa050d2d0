"""The province's audit log: search the trail by actor, action, region and time, and export what was found.

Only the province's education administrators use it (role `province_admin`): the trail covers every
region, including events tied to no region at all (a failed sign-in with an unknown username).
"""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST

from guopei.orgs.models import Membership, Region

from .audit import ACTION_LABELS, AuditFilter, action_label, audit_actions_in_use, audit_events_search, audit_record
from .models import AuditEvent
from .permissions import role_required
from .spreadsheets import write_xlsx

PAGE_SIZE = 50
# An export is built in the request; above this many events the province narrows the search first.
EXPORT_MAX_ROWS = 100_000

ERR_DATE_ORDER = "开始日期不能晚于结束日期。"
ERR_EXPORT_TOO_LARGE = (
    "符合条件的审计事件有{count}条，超过单次导出上限{limit}条，请缩小时间范围或增加筛选条件后再导出。"
)
ERR_FILTER_INVALID = "筛选条件有误，请按提示修改。"

EXPORT_HEADERS = [
    "时间", "操作人账号", "角色", "操作代码", "操作", "对象类型", "对象编号", "区域代码", "IP地址", "详情",
]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人账号", required=False, max_length=150)
    action = forms.ChoiceField(label="操作", required=False)
    region_code = forms.ChoiceField(label="区域", required=False)
    date_from = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = sorted(set(audit_actions_in_use()) | set(ACTION_LABELS))
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", "全部操作")] + [
            (code, f"{action_label(code)}（{code}）" if code in ACTION_LABELS else code) for code in actions
        ]
        regions = Region.objects.select_related("parent").order_by("code")
        cast(forms.ChoiceField, self.fields["region_code"]).choices = [("", "全部区域")] + [
            (r.code, f"{r.code} {r.full_name}") for r in regions
        ]
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name in {"action", "region_code"} else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", ERR_DATE_ORDER)
        return data

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            actor=(data.get("actor") or "").strip(),
            action=data.get("action") or "",
            region_code=data.get("region_code") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def _pretty_detail(detail: Any) -> str:
    if not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, indent=2, sort_keys=True)


def _role_labels(roles: str) -> str:
    labels = dict(Membership.Role.choices)
    return "、".join(str(labels.get(code, code)) for code in roles.split(",") if code)


def _region_names(codes: set[str]) -> dict[str, str]:
    regions = Region.objects.filter(code__in=codes).select_related("parent")
    return {r.code: r.full_name for r in regions}


@role_required(Membership.Role.PROVINCE_ADMIN)
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the audit trail; the table is paged and shows each event's details as readable JSON."""
    form = AuditFilterForm(request.GET or None)
    events: QuerySet[AuditEvent]
    if form.is_bound and not form.is_valid():
        events = AuditEvent.objects.none()
    else:
        events = audit_events_search(form.to_filter() if form.is_bound else AuditFilter())
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = _region_names({e.region_code for e in rows if e.region_code})
    table = [
        {
            "event": e,
            "action_label": action_label(e.action),
            "roles": _role_labels(e.role),
            "region_name": names.get(e.region_code, ""),
            "detail": _pretty_detail(e.detail),
        }
        for e in rows
    ]
    return render(request, "core/audit_search.html", {
        "form": form,
        "page": page,
        "table": table,
        "export_fields": [(name, form.data.get(name, "")) for name in form.fields] if form.is_bound else [],
    })


def _export_rows(events: Any) -> Any:
    tz = timezone.get_default_timezone()
    fields = ("at", "actor_name", "role", "action", "object_type", "object_id", "region_code", "ip_address",
              "detail")
    for at, actor_name, role, action, object_type, object_id, region_code, ip, detail in (
        events.values_list(*fields).iterator(chunk_size=2000)
    ):
        yield [
            timezone.localtime(at, tz).strftime("%Y-%m-%d %H:%M:%S"),
            actor_name,
            role,
            action,
            action_label(action),
            object_type,
            object_id,
            region_code,
            ip or "",
            json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else "",
        ]


@require_POST
@role_required(Membership.Role.PROVINCE_ADMIN)
def audit_export(request: HttpRequest) -> HttpResponse:
    """Export the events matching the search as XLSX; the export is itself an audit event."""
    form = AuditFilterForm(request.POST)
    fields = {name: request.POST.get(name, "") for name in form.fields if request.POST.get(name)}
    back = reverse("audit:search") + (f"?{urlencode(fields)}" if fields else "")
    if not form.is_valid():
        messages.error(request, ERR_FILTER_INVALID)
        return redirect(back)
    filters = form.to_filter()
    events = audit_events_search(filters)
    count = events.count()
    if count > EXPORT_MAX_ROWS:
        messages.error(request, ERR_EXPORT_TOO_LARGE.format(count=count, limit=EXPORT_MAX_ROWS))
        return redirect(back)
    content = write_xlsx(EXPORT_HEADERS, _export_rows(events), sheet_name="审计日志", text_columns=(6, 7, 8))
    audit_record(actor=request.user, action="audit.export", detail={"filter": filters.as_detail(), "count": count})
    stamp = timezone.localtime(timezone.now()).strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    disposition = content_disposition_header(as_attachment=True, filename=f"审计日志-{stamp}.xlsx")
    response["Content-Disposition"] = disposition or "attachment"
    return response

