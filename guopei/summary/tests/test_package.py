"""SUMMARY-2: the recommendation package for the Ministry is a zip whose manifest matches its files."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from guopei.core.jobs import job_execute
from guopei.core.models import AuditEvent, Job
from guopei.core.spreadsheets import read_table
from guopei.summary import services
from guopei.summary.models import RecommendationPackage
from guopei.summary.packaging import MANIFEST_HEADERS, MANIFEST_NAME

from .samples import PDF_BYTES, add_case, add_material, add_outcome, mp4_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(city_admin, other_city_admin, province_admin):
    picture = add_material(city_admin, title="送教下乡现场", caption="2016年")
    video = add_material(city_admin, data=mp4_bytes(), name="v.mp4", title="课堂实录")
    report = add_material(city_admin, data=PDF_BYTES, name="r.pdf", title="太原市十年总结报告")
    case = add_case(city_admin, title="送教下乡/小店模式", material_ids=[picture.pk, video.pk])
    outcome = add_outcome(city_admin, title="《秋天》教学设计", consent=True, teacher_name="李红",
                          teacher_school="迎泽区实验小学", material_id=report.pk)
    anonymous_outcome = add_outcome(city_admin, title="研修反思")
    submission = services.submission_submit(actor=city_admin, submission=picture.submission)
    services.submission_review(actor=province_admin, submission=submission, accept=True)
    pending = add_case(other_city_admin, "140200", title="大同未审核案例")
    return {"picture": picture, "video": video, "report": report, "case": case, "outcome": outcome,
            "anonymous_outcome": anonymous_outcome, "pending": pending}


def _build(province_admin, accepted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        package = services.package_create(
            actor=province_admin, title="山西省推荐材料",
            case_ids=[accepted["case"].pk],
            outcome_ids=[accepted["outcome"].pk, accepted["anonymous_outcome"].pk],
            material_ids=[accepted["picture"].pk, accepted["report"].pk],
        )
    package.refresh_from_db()
    return package


def test_summary2_package_manifest_matches_the_files_and_hashes(province_admin, accepted,
                                                                django_capture_on_commit_callbacks):
    package = _build(province_admin, accepted, django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=package.job_id)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.done == job.total > 0
    assert job.result["files"] == package.file_count

    data = default_storage.open(package.zip_file.name).read()
    assert hashlib.sha256(data).hexdigest() == package.zip_sha256
    assert len(data) == package.zip_size
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    assert MANIFEST_NAME in names
    manifest = read_table(archive.read(MANIFEST_NAME), "manifest.xlsx")
    assert manifest.headers == MANIFEST_HEADERS
    listed = {row[0]: row for row in manifest.rows}
    # Every file in the zip is in the manifest, and every manifest line is a file in the zip.
    assert set(listed) == names - {MANIFEST_NAME}
    for path, row in listed.items():
        content = archive.read(path)
        assert row[5] == len(content), path
        assert row[6] == hashlib.sha256(content).hexdigest(), path
        assert row[2] == "太原市"
    # The stored files travel unchanged: their recorded hashes appear in the manifest.
    hashes = {row[6] for row in manifest.rows}
    for key in ("picture", "video", "report"):
        assert accepted[key].sha256 in hashes
    # 1 case text + 2 case materials + 2 outcome texts + 1 outcome file + 2 selected materials.
    assert package.file_count == len(listed) == 8
    case_paths = [p for p in names if p.startswith("典型案例/太原市/")]
    assert any(p.endswith("案例正文.docx") for p in case_paths)
    assert all("/" not in part for p in case_paths for part in [p.split("/")[2]])  # the title's "/" is escaped
    types = {row[1] for row in manifest.rows}
    assert {"典型案例", "图片", "视频", "文档", "学员成果（生成性成果）"} <= types
    assert AuditEvent.objects.filter(action="summary.package_create").count() == 1


def test_summary2_package_names_only_consenting_teachers(province_admin, accepted, city_admin,
                                                         django_capture_on_commit_callbacks):
    import docx

    package = _build(province_admin, accepted, django_capture_on_commit_callbacks)
    archive = zipfile.ZipFile(default_storage.open(package.zip_file.name))
    texts = {}
    for name in archive.namelist():
        if name.endswith("成果说明.docx"):
            document = docx.Document(io.BytesIO(archive.read(name)))
            texts[name] = "\n".join(p.text for p in document.paragraphs)
    assert len(texts) == 2
    assert sum("李红" in text for text in texts.values()) == 1
    for text in texts.values():
        assert city_admin.username not in text


def test_summary2_package_refuses_items_not_yet_accepted(province_admin, accepted):
    with pytest.raises(ValidationError) as exc:
        services.package_create(actor=province_admin, title="推荐", case_ids=[accepted["pending"].pk])
    assert exc.value.code == "not_accepted" and "大同未审核案例" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.package_create(actor=province_admin, title="推荐")
    assert exc.value.messages == [services.ERR_PACKAGE_EMPTY]
    assert not RecommendationPackage.objects.exists()
    assert not Job.objects.exists()


def test_package_job_fails_cleanly_when_a_file_was_altered(province_admin, accepted,
                                                           django_capture_on_commit_callbacks, settings):
    picture = accepted["picture"]
    path = settings.MEDIA_ROOT / picture.file.name
    path.write_bytes(path.read_bytes() + b"tampered")
    package = _build(province_admin, accepted, django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=package.job_id)
    assert job.state == Job.State.FAILED
    assert "校验值不一致" in job.error and picture.title in job.error
    assert not package.zip_file
    assert not list((settings.MEDIA_ROOT / "summary").glob("packages/**/*.zip"))
    # Running it again does nothing more: the job is finished.
    assert job_execute(job.pk).state == Job.State.FAILED
