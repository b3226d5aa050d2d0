"""The audit trail: append-only, searched and exported by the province, pruned only past the retention."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guopei.core.audit import AuditFilter, audit_events_search, audit_record
from guopei.core.audit_views import ERR_DATE_ORDER, ERR_EXPORT_TOO_LARGE
from guopei.core.management.commands.audit_prune import ERR_RETENTION_TOO_SHORT, MIN_RETENTION_DAYS
from guopei.core.models import AuditEvent
from guopei.core.spreadsheets import read_table

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def _event(action="plans.plan_publish", region_code="", actor="", at=None, detail=None, **kwargs) -> AuditEvent:
    event = audit_record(actor=actor, action=action, region_code=region_code, detail=detail, **kwargs)
    if at is not None:
        # Back-date through a raw UPDATE: the model refuses to change a saved event, as it should.
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {AuditEvent._meta.db_table} SET at = %s WHERE id = %s",
                           [connection.ops.adapt_datetimefield_value(at), event.pk])
        event = AuditEvent.objects.get(pk=event.pk)
    return event


def _local(year, month, day, hour=12) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour), TZ)


# --- Writing -----------------------------------------------------------------------------------------------


def test_audit_record_stamps_actor_roles_object_region_and_ip(rf, county_admin, school):
    request = rf.post("/", REMOTE_ADDR="192.0.2.7")
    event = audit_record(actor=county_admin, action="orgs.school_update", obj=school, detail={"fields": ["name"]},
                         request=request)
    assert event.actor == county_admin
    assert event.actor_name == county_admin.username
    assert event.role == "county_admin"
    assert event.object_type == "orgs.school"
    assert event.object_id == str(school.pk)
    assert event.region_code == "140105"
    assert event.ip_address == "192.0.2.7"
    assert event.detail == {"fields": ["name"]}


def test_audit_record_without_account_keeps_the_name_given():
    event = audit_record(actor="someone-tried", action="auth.login_failed")
    assert event.actor is None
    assert event.actor_name == "someone-tried"
    assert event.role == ""


# --- Append-only -------------------------------------------------------------------------------------------


def test_saved_event_cannot_be_changed():
    event = _event()
    event.action = "something.else"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "plans.plan_publish"


def test_event_cannot_be_deleted():
    event = _event()
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_refused():
    _event()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(action="plans.plan_publish").delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(action="plans.plan_publish").count() == 1


def test_bulk_update_refused():
    event = _event()
    event.action = "x"
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "plans.plan_publish"


def test_admin_offers_no_change_or_delete(rf, province_admin):
    if not admin.site.is_registered(AuditEvent):
        return  # Not in the admin at all: nothing there can change it.
    model_admin = admin.site._registry[AuditEvent]
    request = rf.get("/")
    request.user = province_admin
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_only_the_prune_command_bypasses_the_guard():
    root = Path(settings.BASE_DIR) / "guopei"
    users = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts and "_raw_delete" in path.read_text(encoding="utf-8")
        and "AuditEvent" in path.read_text(encoding="utf-8")
    )
    assert users == ["core/management/commands/audit_prune.py"]


# --- Retention ---------------------------------------------------------------------------------------------


@override_settings(AUDIT_RETENTION_DAYS=90)
def test_prune_refuses_retention_below_180_days():
    _event(at=timezone.now() - timedelta(days=400))
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_prune")
    assert str(excinfo.value) == ERR_RETENTION_TOO_SHORT.format(minimum=MIN_RETENTION_DAYS, days=90)
    assert AuditEvent.objects.count() == 1


def test_prune_refuses_a_short_days_option():
    with pytest.raises(CommandError):
        call_command("audit_prune", days=179)
    assert not AuditEvent.objects.filter(action="audit.prune").exists()


@override_settings(AUDIT_RETENTION_DAYS=365)
def test_prune_deletes_only_events_past_retention_and_audits_the_count():
    old = [_event(at=timezone.now() - timedelta(days=400 + i)) for i in range(3)]
    kept = [_event(at=timezone.now() - timedelta(days=300)), _event()]
    call_command("audit_prune", stdout=_Sink())
    remaining = set(AuditEvent.objects.exclude(action="audit.prune").values_list("pk", flat=True))
    assert remaining == {e.pk for e in kept}
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    prune = AuditEvent.objects.get(action="audit.prune")
    assert prune.detail["deleted"] == 3
    assert prune.detail["retention_days"] == 365


def test_prune_at_exactly_180_days_is_allowed_and_dry_run_deletes_nothing():
    _event(at=timezone.now() - timedelta(days=200))
    call_command("audit_prune", days=180, dry_run=True, stdout=_Sink())
    assert AuditEvent.objects.count() == 1
    call_command("audit_prune", days=180, stdout=_Sink())
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["audit.prune"]


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


# --- Search page: three personas ---------------------------------------------------------------------------


def test_province_admin_opens_audit_log(client, province_admin):
    _event(action="orgs.school_create", region_code="140105", actor=province_admin)
    client.force_login(province_admin)
    response = client.get(reverse("audit:search"))
    assert response.status_code == 200
    assert "orgs.school_create" in response.content.decode()


@pytest.mark.parametrize("persona", ["city_admin", "county_admin", "finance_officer", "school_admin"])
def test_other_roles_get_403(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("audit:search")).status_code == 403
    assert client.post(reverse("audit:export")).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("audit:search"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_nav_shows_audit_log_to_province_admin_only(client, province_admin, city_admin):
    client.force_login(province_admin)
    assert "审计日志" in client.get(reverse("home")).content.decode()
    client.force_login(city_admin)
    assert "审计日志" not in client.get(reverse("home")).content.decode()


# --- Filters -----------------------------------------------------------------------------------------------


@pytest.fixture
def trail(province_admin, city_admin, county_admin, other_county_admin):
    return {
        "taiyuan_login": _event(action="auth.login", region_code="140100", actor=city_admin,
                                at=_local(2020, 8, 20, 9)),
        "xiaodian_write": _event(action="plans.allocation_set", region_code="140105", actor=county_admin,
                                 at=_local(2020, 8, 21, 10), detail={"县": "小店区", "名额": 30}),
        "pingcheng_write": _event(action="plans.allocation_set", region_code="140213", actor=other_county_admin,
                                  at=_local(2020, 8, 22, 23)),
        "province_write": _event(action="plans.plan_publish", region_code="140000", actor=province_admin,
                                 at=_local(2020, 9, 1, 8)),
        "failed": _event(action="auth.login_failed", actor="ty_admin_typo", at=_local(2020, 8, 20, 8)),
    }


def _found(**filters) -> set[int]:
    return set(audit_events_search(AuditFilter(**filters)).values_list("pk", flat=True))


def test_filter_by_actor_contains(trail):
    assert _found(actor="ty_") == {trail["taiyuan_login"].pk, trail["failed"].pk}
    assert _found(actor="XD_ADMIN") == {trail["xiaodian_write"].pk}


def test_filter_by_action(trail):
    assert _found(action="plans.allocation_set") == {trail["xiaodian_write"].pk, trail["pingcheng_write"].pk}


def test_filter_by_region_includes_subregions(trail):
    assert _found(region_code="140100") == {trail["taiyuan_login"].pk, trail["xiaodian_write"].pk}
    assert _found(region_code="140105") == {trail["xiaodian_write"].pk}
    assert _found(region_code="140000") == {e.pk for k, e in trail.items() if k != "failed"}


def test_filter_by_days_in_shanghai_time_both_ends_included(trail):
    from datetime import date

    assert _found(date_from=date(2020, 8, 21), date_to=date(2020, 8, 22)) == {
        trail["xiaodian_write"].pk, trail["pingcheng_write"].pk}  # 22 Aug 23:00 Beijing time is still the 22nd
    assert _found(date_from=date(2020, 9, 1)) == {trail["province_write"].pk}
    assert _found(date_to=date(2020, 8, 20)) == {trail["taiyuan_login"].pk, trail["failed"].pk}


def test_search_page_applies_filters_and_shows_detail_readably(client, province_admin, trail):
    client.force_login(province_admin)
    response = client.get(reverse("audit:search"), {"action": "plans.allocation_set", "region_code": "140100"})
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
    assert "xd_admin" in page
    assert "dt_admin" not in page.split('data-testid="audit-table"')[1]
    assert "&quot;名额&quot;: 30" in page  # JSON with Chinese kept readable, not \u-escaped
    assert "太原市小店区" in page


def test_search_page_rejects_reversed_dates(client, province_admin, trail):
    client.force_login(province_admin)
    response = client.get(reverse("audit:search"), {"date_from": "2020-09-01", "date_to": "2020-08-01"})
    assert response.context["page"].paginator.count == 0
    assert ERR_DATE_ORDER in response.content.decode()


def test_search_page_query_count_does_not_grow_with_rows(client, province_admin, django_assert_max_num_queries):
    client.force_login(province_admin)
    for i in range(3):
        _event(action="orgs.school_update", region_code="140105", actor=province_admin, detail={"i": i})
    client.get(reverse("audit:search"))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit:search"))
    for i in range(60):
        _event(action="orgs.school_update", region_code=["140105", "140213", "140100"][i % 3],
               actor=province_admin, detail={"i": i})
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("audit:search"), {"page": 2})
    assert len(many) == len(few)
    with django_assert_max_num_queries(16):
        client.get(reverse("audit:search"))


def test_pager_keeps_the_filters(client, province_admin):
    for _ in range(55):
        _event(action="orgs.school_update", region_code="140105")
    client.force_login(province_admin)
    page = client.get(reverse("audit:search"), {"action": "orgs.school_update"}).content.decode()
    assert re.search(r'href="\?action=orgs.school_update&amp;page=2"', page)


# --- Export ------------------------------------------------------------------------------------------------


def test_export_writes_filtered_events_and_is_audited(client, province_admin, trail):
    client.force_login(province_admin)
    response = client.post(reverse("audit:export"), {"region_code": "140100", "date_from": "2020-08-01"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    table = read_table(response.content, "audit.xlsx")
    assert table.headers[:5] == ["时间", "操作人账号", "角色", "操作代码", "操作"]
    assert sorted(row[3] for row in table.rows) == ["auth.login", "plans.allocation_set"]
    login_row = next(row for row in table.rows if row[3] == "auth.login")
    assert login_row[0] == "2020-08-20 09:00:00"
    assert login_row[4] == "登录"
    export = AuditEvent.objects.get(action="audit.export")
    assert export.actor == province_admin
    assert export.detail == {
        "count": 2,
        "filter": {"actor": "", "action": "", "region_code": "140100", "date_from": "2020-08-01", "date_to": ""},
    }


def test_export_needs_post_and_csrf(province_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_admin)
    assert client.get(reverse("audit:export")).status_code == 405
    assert client.post(reverse("audit:export"), {}).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_export_above_the_limit_is_refused(client, province_admin, monkeypatch):
    from guopei.core import audit_views

    monkeypatch.setattr(audit_views, "EXPORT_MAX_ROWS", 2)
    for _ in range(3):
        _event(action="orgs.school_update")
    client.force_login(province_admin)
    response = client.post(reverse("audit:export"), {"action": "orgs.school_update"}, follow=True)
    assert ERR_EXPORT_TOO_LARGE.format(count=3, limit=2) in response.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_export_neutralises_formulas_in_details(client, province_admin):
    _event(action="orgs.school_update", actor="=HYPERLINK(\"http://x\")")
    client.force_login(province_admin)
    response = client.post(reverse("audit:export"), {"action": "orgs.school_update"})
    table = read_table(response.content, "audit.xlsx")
    assert table.rows[0][1].startswith("'=")
