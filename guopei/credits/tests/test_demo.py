"""The credits demo: queue in 小店区, a full transcript for `jiaoshi`, IT 2.0 progress; a second run changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from guopei.core.models import AuditEvent
from guopei.credits import demo
from guopei.credits.it20 import county_progress
from guopei.credits.models import HourRecord
from guopei.credits.selectors import audit_queue_for_user, transcript_for
from guopei.orgs import demo as orgs_demo
from guopei.orgs.models import User
from guopei.plans import demo as plans_demo
from guopei.teachers import demo as teachers_demo
from guopei.teachers.models import Teacher

pytestmark = pytest.mark.django_db


def test_credits_demo_builds_the_story_and_a_second_run_changes_nothing():
    for module in (orgs_demo, plans_demo, teachers_demo):
        module.build(io.StringIO())
    out = io.StringIO()
    demo.build(out)
    assert "学时学分示例" in out.getvalue()
    records = HourRecord.objects.count()
    events = AuditEvent.objects.count()
    assert records and not HourRecord.objects.filter(is_demo=False).exists()
    assert all("示例" in r.title for r in HourRecord.objects.all())

    # 小店区's administrator has institution and school submissions waiting, with evidence where needed.
    xiaodian = User.objects.get(username="xiaodian_admin")
    queue = audit_queue_for_user(xiaodian)
    assert queue.filter(origin="institution").exists() and queue.filter(origin="school").exists()
    assert all(r.evidence for r in HourRecord.objects.exclude(origin="institution"))

    # The demo teacher: a cycle's worth of recognised hours and her own pending self-study.
    own = Teacher.objects.get(user__username="jiaoshi")
    transcript = transcript_for(own, 2020)
    assert transcript.cycle_hours >= Decimal("300") and transcript.pending
    assert HourRecord.objects.filter(teacher=own, origin="teacher", status="submitted").exists()

    # IT 2.0: some complete, one school as a whole, some with too little practice.
    overview = county_progress(User.objects.get(username="sheng_admin"), 2020)
    total = overview.total
    assert total.complete and total.hours_only and total.whole_schools >= 1 and total.complete < total.teachers

    demo.build(io.StringIO())
    assert HourRecord.objects.count() == records and AuditEvent.objects.count() == events
