"""The delivery demo: the three classes' story for every role, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from guopei.core.models import AuditEvent
from guopei.delivery import demo
from guopei.delivery.models import Enrolment, Incident, Notice, Offering, SpecialCircumstance, TrainingClass
from guopei.orgs import demo as orgs_demo
from guopei.orgs.models import User
from guopei.plans import demo as plans_demo
from guopei.teachers import demo as teachers_demo
from guopei.teachers.models import IntegrityEntry
from guopei.tenders import demo as tenders_demo
from guopei.tenders.tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db


def test_delivery_demo_builds_the_story_and_a_second_run_changes_nothing(monkeypatch):
    monkeypatch.setattr(tenders_demo.Demo, "pdf", lambda self, title: PDF_BYTES)
    for module in (orgs_demo, plans_demo, tenders_demo, teachers_demo):
        module.build(io.StringIO())
    out = io.StringIO()
    demo.build(out)
    assert "培训实施示例：班次 3 个" in out.getvalue()
    events = AuditEvent.objects.count()
    demo.build(io.StringIO())
    assert AuditEvent.objects.count() == events

    classes = {c.status: c for c in TrainingClass.objects.filter(is_demo=True)}
    assert set(classes) == {"ended", "running", "planned"} and all("示例" in c.name for c in classes.values())
    ended = classes["ended"]
    assert ended.enrolments.filter(result="passed", certificate__isnull=False).count() >= 10
    assert set(IntegrityEntry.objects.filter(source__contains=ended.name).values_list("kind", flat=True)) == {
        "no_show", "dismissed", "failed"}
    jiaoshi = User.objects.get(username="jiaoshi")
    assert Enrolment.objects.get(klass=ended, teacher__user=jiaoshi).result == "passed"
    # 梁雅婷 can join the open offering of 三班 on her phone.
    assert Offering.objects.filter(klass=classes["planned"], status="open").exists()
    # The running class has sessions today; the province sees the severe incident.
    assert classes["running"].sessions.filter(date=timezone.localdate()).exists()
    assert Incident.objects.filter(severity="severe", status="open").exists()
    # 小店区 has the school's special circumstances to decide; the demo school got its notice and report.
    assert SpecialCircumstance.objects.filter(status="pending", region_code="140105").exists()
    assert Notice.objects.filter(recipient__username="school_admin", url__contains="/report/").exists()
