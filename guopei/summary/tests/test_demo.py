"""The summary's demo world: built through the services, labelled 示例, and idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent, Job
from guopei.orgs import demo as orgs_demo
from guopei.summary import demo
from guopei.summary.models import Material, RecommendationPackage, Submission, TraineeOutcome, TypicalCase

pytestmark = pytest.mark.django_db


def test_demo_builds_the_story_once(settings, django_capture_on_commit_callbacks):
    settings.SUMMARY_YEAR = 2020  # the deadline is past: 太原 worked in July, 大同 has an extension
    orgs_demo.build(io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        demo.build(io.StringIO())
    taiyuan = Submission.objects.get(city_id="140100")
    datong = Submission.objects.get(city_id="140200")
    assert taiyuan.state == Submission.State.ACCEPTED and not taiyuan.is_late
    assert datong.state == Submission.State.DRAFT and datong.extended_until is not None
    assert Material.objects.filter(is_featured=True).count() == 2
    assert TypicalCase.objects.filter(is_featured=True).count() == 1
    assert TraineeOutcome.objects.filter(is_featured=True, consent=True).count() == 1
    for model in (Material, TypicalCase, TraineeOutcome):
        assert all(title.endswith("（示例）") for title in model.objects.values_list("title", flat=True))
    package = RecommendationPackage.objects.get()
    assert Job.objects.get(pk=package.job_id).state == Job.State.SUCCEEDED
    package.refresh_from_db()
    assert default_storage.exists(package.zip_file.name)
    html = Client().get(reverse("public:index")).content.decode()
    assert "送教下乡的“小店模式”（示例）" in html

    counts = [m.objects.count() for m in (Material, TypicalCase, TraineeOutcome, Submission, RecommendationPackage,
                                          Job)]
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        demo.build(io.StringIO())
    assert counts == [m.objects.count() for m in (Material, TypicalCase, TraineeOutcome, Submission,
                                                  RecommendationPackage, Job)]
    assert AuditEvent.objects.count() == events


def test_demo_pictures_carry_chinese_captions_when_the_font_exists():
    data = demo.picture("小店区送教下乡现场", (46, 110, 170))
    assert data[:3] == b"\xff\xd8\xff"
    if demo.CJK_FONT.exists():
        assert demo._font(20) is not None


def test_demo_skips_without_demo_accounts():
    out = io.StringIO()
    demo.build(out)
    assert "已跳过" in out.getvalue()
    assert not Material.objects.exists()
