"""SUMMARY-1: cities collect materials, cases and outcomes and submit them to the province by 20 August."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from PIL import Image

from guopei.core.models import AuditEvent
from guopei.core.uploads import ERR_EXECUTABLE
from guopei.orgs.tests.factories import SchoolFactory
from guopei.summary import services
from guopei.summary.deadlines import base_deadline, countdown
from guopei.summary.models import (
    ERR_COUNTY_NOT_IN_CITY,
    ERR_NAME_WITHOUT_CONSENT,
    ERR_SCHOOL_NOT_IN_CITY,
    Material,
    Submission,
    SubmissionEvent,
    TraineeOutcome,
)

from .samples import (
    PDF_BYTES,
    add_case,
    add_material,
    add_outcome,
    docx_bytes,
    jpeg_bytes,
    mp4_bytes,
    png_bytes,
    stored_files,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- Materials and safe uploads -----------------------------------------------------------------------------
def test_summary1_city_uploads_picture_with_thumbnail_and_no_exif(city_admin, settings):
    material = add_material(city_admin, data=jpeg_bytes((1200, 900), exif_make="SecretCam"), name="现场.JPG")
    assert material.kind == Material.Kind.IMAGE
    assert material.content_type == "image/jpeg"
    assert (material.width, material.height) == (1200, 900)
    assert material.region_code == "140100"
    assert material.submission.state == Submission.State.DRAFT
    stored = material.file.read()
    assert b"SecretCam" not in stored and b"GPS-Model" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    import hashlib

    assert hashlib.sha256(stored).hexdigest() == material.sha256
    assert material.size == len(stored)
    thumb = Image.open(material.thumbnail)
    assert max(thumb.size) <= 480
    assert material.file.name.startswith("summary/140100/materials/")
    assert material.file.name.endswith(".jpg") and "现场" not in material.file.name
    assert material.original_name == "现场.jpg"
    event = AuditEvent.objects.get(action="summary.material_upload")
    assert event.region_code == "140100" and event.detail["sha256"] == material.sha256


def test_summary1_png_keeps_its_type_and_gets_a_jpeg_thumbnail(city_admin):
    material = add_material(city_admin, data=png_bytes(), name="logo.png")
    assert material.content_type == "image/png"
    assert material.file.name.endswith(".png")
    assert material.thumbnail.name.endswith(".jpg")


def test_summary1_video_and_documents_are_typed_by_content(city_admin, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)  # no decoder on this machine: no poster
    video = add_material(city_admin, data=mp4_bytes(), name="课堂实录.avi", title="课堂实录")
    assert (video.kind, video.content_type, video.poster.name) == ("video", "video/mp4", "")
    assert video.original_name == "课堂实录.mp4"
    pdf = add_material(city_admin, data=PDF_BYTES, name="总结报告.pdf", title="十年总结报告")
    assert (pdf.kind, pdf.content_type) == ("document", "application/pdf")
    word = add_material(city_admin, data=docx_bytes(), name="教学设计.docx", title="教学设计")
    assert word.kind == "document" and word.file.name.endswith(".docx")


def test_summary1_video_poster_is_made_when_a_decoder_is_on_the_path(city_admin, tmp_path, monkeypatch):
    # A stand-in for ffmpeg: writes a JPEG to the last argument, as the real decoder would.
    frame = tmp_path / "frame.jpg"
    frame.write_bytes(jpeg_bytes((320, 180)))
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nfor last; do :; done\ncp "{frame}" "$last"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    video = add_material(city_admin, data=mp4_bytes(), name="a.mp4", title="课堂实录")
    assert video.poster.name.endswith(".jpg")
    assert Image.open(video.poster).size == (320, 180)


def test_summary1_a_failing_decoder_leaves_the_video_without_poster(city_admin, tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "ffmpeg"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    video = add_material(city_admin, data=mp4_bytes(), name="a.mp4", title="课堂实录")
    assert video.poster.name == "" and video.kind == "video"


def test_executable_renamed_jpg_is_refused_nothing_stored_and_audited(city_admin, settings):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, data=exe, name="校园风貌.jpg")
    assert exc.value.messages == [ERR_EXECUTABLE.format(what="Windows 程序")]
    assert Material.objects.count() == 0
    assert stored_files(settings) == []
    event = AuditEvent.objects.get(action="summary.upload_refused")
    assert event.detail["code"] == "executable" and event.region_code == "140100"


def test_video_over_the_limit_is_refused_and_nothing_stored(city_admin, settings):
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, data=mp4_bytes(64 * 1024 + 1), name="长视频.mp4")
    assert exc.value.code == "too_large"
    assert "视频" in exc.value.messages[0] and "64.0 KB" in exc.value.messages[0]
    assert Material.objects.count() == 0
    assert stored_files(settings) == []


def test_city_quota_counts_all_of_a_citys_materials(city_admin, other_city_admin, settings):
    first = add_material(city_admin, data=PDF_BYTES + b"%" * 1000, name="a.pdf")
    settings.SUMMARY_CITY_QUOTA_BYTES = first.size + 500
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, data=PDF_BYTES + b"%" * 1000, name="b.pdf")
    assert exc.value.code == "city_quota"
    assert Material.objects.filter(city_id="140100").count() == 1
    assert len(stored_files(settings)) == 1
    # Another city's allowance is its own.
    add_material(other_city_admin, "140200", data=PDF_BYTES, name="c.pdf")


def test_summary1_metadata_county_and_school_must_lie_in_the_city(city_admin, settings):
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, county_code="140213")
    assert exc.value.message_dict["county"] == [ERR_COUNTY_NOT_IN_CITY]
    other = SchoolFactory(county_id="140213")
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, school_id=other.pk)
    assert exc.value.message_dict["school"] == [ERR_SCHOOL_NOT_IN_CITY]
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, year=2009)
    assert "year" in exc.value.message_dict
    assert stored_files(settings) == []
    own = SchoolFactory(county_id="140105")
    material = add_material(city_admin, county_code="140105", school_id=own.pk, year=2010)
    assert material.place == f"太原市 · 小店区 · {own.name}"


def test_material_year_is_checked_by_the_database_too(city_admin):
    material = add_material(city_admin)
    with pytest.raises(IntegrityError):
        Material.objects.filter(pk=material.pk).update(year=2021)


def test_deleting_a_material_removes_its_files(city_admin, settings, django_capture_on_commit_callbacks):
    material = add_material(city_admin)
    assert len(stored_files(settings)) == 2  # the picture and its thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        services.material_delete(actor=city_admin, material=material)
    assert stored_files(settings) == []
    assert AuditEvent.objects.filter(action="summary.material_delete").count() == 1


# --- Cases and outcomes ---------------------------------------------------------------------------------------
def test_summary1_typical_case_links_only_own_materials(city_admin, other_city_admin):
    own = add_material(city_admin)
    foreign = add_material(other_city_admin, "140200")
    case = add_case(city_admin, material_ids=[own.pk])
    assert list(case.materials.all()) == [own]
    assert case.highlights.startswith("以县为单位")
    with pytest.raises(ValidationError) as exc:
        add_case(city_admin, title="另一个案例", material_ids=[foreign.pk])
    assert exc.value.messages == [services.ERR_MATERIAL_NOT_OWN]


def test_summary1_outcome_names_a_teacher_only_with_recorded_consent(city_admin):
    with pytest.raises(ValidationError) as exc:
        add_outcome(city_admin, teacher_name="王小明", teacher_school="小店区示范小学")
    assert exc.value.message_dict["teacher_name"] == [ERR_NAME_WITHOUT_CONSENT]
    anonymous = add_outcome(city_admin)
    assert anonymous.public_teacher == ""
    named = add_outcome(city_admin, title="研修反思", consent=True, teacher_name="李红",
                        teacher_school="迎泽区实验小学")
    assert named.public_teacher == "李红（迎泽区实验小学）"
    assert named.consent_recorded_at is not None


def test_summary1_name_without_consent_is_refused_by_the_database(city_admin):
    outcome = add_outcome(city_admin)
    with pytest.raises(IntegrityError):
        TraineeOutcome.objects.filter(pk=outcome.pk).update(teacher_name="王小明")


def test_summary1_consent_withdrawal_removes_the_name_even_when_locked(city_admin, province_admin):
    outcome = add_outcome(city_admin, consent=True, teacher_name="李红", teacher_school="迎泽区实验小学")
    submission = services.submission_submit(actor=city_admin, submission=outcome.submission)
    services.submission_review(actor=province_admin, submission=submission, accept=True)
    outcome = services.outcome_consent_withdraw(actor=city_admin, outcome=outcome)
    outcome.refresh_from_db()
    assert (outcome.consent, outcome.teacher_name, outcome.teacher_school, outcome.consent_note) == (False, "", "", "")
    assert AuditEvent.objects.filter(action="summary.outcome_consent_withdraw").count() == 1


# --- Deadline, submission, extension, review ------------------------------------------------------------------
def test_summary1_deadline_is_20_august_end_of_day_and_a_setting(settings):
    assert base_deadline(2020) == at(2020, 8, 21, 0, 0)
    settings.SUMMARY_DEADLINE = "09-01"
    assert base_deadline(2020) == at(2020, 9, 2, 0, 0)


def test_summary1_countdown_is_computed_on_the_server():
    clock = countdown(at(2020, 8, 21, 0, 0), now=at(2020, 8, 18, 9, 30))
    assert (clock.is_open, clock.days, clock.hours, clock.text) == (True, 2, 14, "2 天 14 小时")
    assert clock.last_day.date().isoformat() == "2020-08-20"
    closed = countdown(at(2020, 8, 21, 0, 0), now=at(2020, 8, 21, 0, 0))
    assert (closed.is_open, closed.text) == (False, "已截止")


def test_summary1_city_submits_before_the_deadline(city_admin, settings):
    settings.SUMMARY_YEAR = 2020
    material = add_material(city_admin, now=at(2020, 8, 1))
    submission = services.submission_submit(actor=city_admin, submission=material.submission,
                                            now=at(2020, 8, 20, 23, 59))
    assert submission.state == Submission.State.SUBMITTED
    assert submission.is_late is False
    assert submission.events.get().kind == SubmissionEvent.Kind.SUBMITTED
    assert AuditEvent.objects.filter(action="summary.submission_submit", region_code="140100").count() == 1


def test_submission_after_the_deadline_is_refused_and_materials_locked(city_admin, settings):
    settings.SUMMARY_YEAR = 2020
    material = add_material(city_admin, now=at(2020, 8, 1))
    late = at(2020, 8, 21, 0, 1)
    with pytest.raises(ValidationError) as exc:
        services.submission_submit(actor=city_admin, submission=material.submission, now=late)
    assert exc.value.code == "deadline_passed"
    assert exc.value.messages == [services.ERR_DEADLINE_PASSED.format(day="2020年8月20日")]
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, now=late)
    assert exc.value.code == "deadline_passed"
    with pytest.raises(ValidationError):
        add_case(city_admin, now=late)
    with pytest.raises(ValidationError):
        services.material_delete(actor=city_admin, material=material, now=late)
    material.submission.refresh_from_db()
    assert material.submission.state == Submission.State.DRAFT
    assert Material.objects.count() == 1


def test_summary1_extension_reopens_one_city_and_marks_the_submission_late(city_admin, other_city_admin,
                                                                           province_admin, settings):
    settings.SUMMARY_YEAR = 2020
    material = add_material(city_admin, now=at(2020, 8, 1))
    other = add_material(other_city_admin, "140200", now=at(2020, 8, 1))
    services.submission_extend(actor=province_admin, city_code="140100", until=at(2020, 8, 28, 0, 0),
                               reason="暴雨影响，资料整理延误", now=at(2020, 8, 22))
    event = AuditEvent.objects.get(action="summary.submission_extend")
    assert event.region_code == "140100" and event.detail["reason"] == "暴雨影响，资料整理延误"
    submission = services.submission_submit(actor=city_admin, submission=material.submission, now=at(2020, 8, 25))
    assert submission.state == Submission.State.SUBMITTED
    assert submission.is_late is True  # 逾期
    assert submission.events.filter(kind="submitted").get().is_late
    # The other city got no extension: still locked.
    with pytest.raises(ValidationError):
        services.submission_submit(actor=other_city_admin, submission=other.submission, now=at(2020, 8, 25))
    # And the extension ends too.
    add_late = at(2020, 8, 28, 0, 1)
    with pytest.raises(ValidationError):
        add_material(city_admin, now=add_late)


def test_extension_needs_a_reason_and_a_later_date(province_admin, settings):
    settings.SUMMARY_YEAR = 2020
    with pytest.raises(ValidationError) as exc:
        services.submission_extend(actor=province_admin, city_code="140100", until=at(2020, 8, 30), reason=" ",
                                   now=at(2020, 8, 22))
    assert exc.value.messages == [services.ERR_EXTENSION_NEEDS_REASON]
    with pytest.raises(ValidationError) as exc:
        services.submission_extend(actor=province_admin, city_code="140100", until=at(2020, 8, 19), reason="理由",
                                   now=at(2020, 8, 22))
    assert exc.value.code == "extension_early"
    assert not AuditEvent.objects.filter(action="summary.submission_extend").exists()


def test_summary1_empty_package_cannot_be_submitted(city_admin, province_admin):
    services.submission_extend(actor=province_admin, city_code="140100", until=base_deadline(2099),
                               reason="测试")
    submission = Submission.objects.get(city_id="140100")
    with pytest.raises(ValidationError) as exc:
        services.submission_submit(actor=city_admin, submission=submission)
    assert exc.value.messages == [services.ERR_NOTHING_TO_SUBMIT]


def test_summary1_locked_while_with_the_province_then_returned_edited_and_resubmitted(city_admin, province_admin):
    material = add_material(city_admin)
    submission = services.submission_submit(actor=city_admin, submission=material.submission)
    with pytest.raises(ValidationError) as exc:
        add_case(city_admin)
    assert exc.value.messages == [services.ERR_WITH_PROVINCE]
    with pytest.raises(ValidationError) as exc:
        services.submission_review(actor=province_admin, submission=submission, accept=False, comment="")
    assert exc.value.messages == [services.ERR_RETURN_NEEDS_COMMENT]
    submission = services.submission_review(actor=province_admin, submission=submission, accept=False,
                                            comment="请补充典型案例。")
    assert submission.state == Submission.State.RETURNED
    assert AuditEvent.objects.filter(action="summary.submission_return").count() == 1
    add_case(city_admin)
    submission = services.submission_submit(actor=city_admin, submission=submission)
    assert submission.state == Submission.State.SUBMITTED
    submission = services.submission_review(actor=province_admin, submission=submission, accept=True,
                                            comment="材料齐全。")
    assert submission.state == Submission.State.ACCEPTED
    assert [e.kind for e in submission.events.all()] == ["submitted", "returned", "submitted", "accepted"]
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin)
    assert exc.value.messages == [services.ERR_ACCEPTED]
    with pytest.raises(ValidationError):
        services.submission_review(actor=province_admin, submission=submission, accept=True)


def test_late_mark_stays_with_the_first_submission(city_admin, province_admin, settings):
    settings.SUMMARY_YEAR = 2020
    material = add_material(city_admin, now=at(2020, 8, 1))
    submission = services.submission_submit(actor=city_admin, submission=material.submission, now=at(2020, 8, 10))
    # Returned after the deadline, with more time in the same step.
    submission = services.submission_review(actor=province_admin, submission=submission, accept=False,
                                            comment="请补充说明。", extend_until=at(2020, 9, 5, 0, 0),
                                            now=at(2020, 8, 24))
    assert submission.extended_until == at(2020, 9, 5, 0, 0)
    submission = services.submission_submit(actor=city_admin, submission=submission, now=at(2020, 8, 30))
    assert submission.is_late is False
    assert submission.events.filter(kind="submitted").last().is_late is True


def test_featured_item_is_locked_for_the_city(city_admin, province_admin):
    material = add_material(city_admin)
    submission = services.submission_submit(actor=city_admin, submission=material.submission)
    services.submission_review(actor=province_admin, submission=submission, accept=False, comment="补充")
    # Featured while with the province would be possible; here the package is back with the city: refused.
    with pytest.raises(ValidationError) as exc:
        services.item_feature(actor=province_admin, item=material, featured=True)
    assert exc.value.messages == [services.ERR_FEATURE_NOT_RECEIVED]
    services.submission_submit(actor=city_admin, submission=submission)
    services.item_feature(actor=province_admin, item=material, featured=True)
    services.submission_review(actor=province_admin, submission=submission, accept=False, comment="再补充")
    with pytest.raises(ValidationError) as exc:
        services.material_update(actor=city_admin, material=material, title="改名", year=2016)
    assert exc.value.messages == [services.ERR_FEATURED_LOCKED]


def test_submission_per_city_and_year_is_unique(city_admin):
    add_material(city_admin)
    add_material(city_admin)
    assert Submission.objects.filter(city_id="140100").count() == 1


def test_deadline_message_shows_the_extended_day(city_admin, province_admin, settings):
    settings.SUMMARY_YEAR = 2020
    add_material(city_admin, now=at(2020, 8, 1))
    services.submission_extend(actor=province_admin, city_code="140100", until=at(2020, 8, 26, 0, 0), reason="延期",
                               now=at(2020, 8, 22))
    with pytest.raises(ValidationError) as exc:
        add_material(city_admin, now=at(2020, 8, 26, 0, 0) + timedelta(minutes=1))
    assert "2020年8月25日" in exc.value.messages[0]


def test_summary1_outcome_links_a_database_teacher_only_with_consent(city_admin):
    from guopei.teachers.tests.factories import TeacherFactory

    school = SchoolFactory(county_id="140105", name="小店区第三小学")
    teacher = TeacherFactory(name="赵丽华", school=school, plain_id="14010519850601002X")
    with pytest.raises(ValidationError) as exc:
        services.outcome_create(actor=city_admin, city_code="140100", stage="summative", form="reflection",
                                title="研修反思", year=2020, teacher_id_number="14010519850601002X")
    assert exc.value.message_dict["teacher_name"] == [ERR_NAME_WITHOUT_CONSENT]
    outcome = services.outcome_create(actor=city_admin, city_code="140100", stage="summative", form="reflection",
                                      title="研修反思", year=2020, consent=True, consent_note="书面同意书",
                                      teacher_id_number="14010519850601002x")
    assert outcome.teacher == teacher
    assert (outcome.teacher_name, outcome.teacher_school) == ("赵丽华", "小店区第三小学")
    # A teacher of another city is not found through 太原市's package.
    TeacherFactory(name="钱多多", school=SchoolFactory(county_id="140213"), plain_id="140213198506010011")
    with pytest.raises(ValidationError) as exc:
        services.outcome_create(actor=city_admin, city_code="140100", stage="summative", form="reflection",
                                title="研修反思2", year=2020, consent=True, consent_note="书面同意书",
                                teacher_id_number="140213198506010011")
    assert exc.value.message_dict["teacher_id_number"] == [services.ERR_TEACHER_NOT_FOUND]
    outcome = services.outcome_consent_withdraw(actor=city_admin, outcome=outcome)
    assert outcome.teacher is None and outcome.teacher_name == ""


def test_extension_is_described_as_the_last_day(province_admin, settings):
    from guopei.summary.deadlines import describe_moment

    assert describe_moment(at(2020, 8, 21, 0, 0)) == "2020年8月20日（当日24时）"
    assert describe_moment(at(2020, 8, 25, 17, 30)) == "2020年8月25日 17:30"
    settings.SUMMARY_YEAR = 2020
    submission = services.submission_extend(actor=province_admin, city_code="140200", until=at(2020, 8, 28, 0, 0),
                                            reason="延误", now=at(2020, 8, 22))
    assert submission.events.get().comment == "延期至 2020年8月27日（当日24时）：延误"
    assert submission.extended_until_text == "2020年8月27日（当日24时）"
