"""The teacher API with three personas per endpoint: masked data, audited reveal, imports, pool, selection."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from guopei.core.models import AuditEvent, Job
from guopei.orgs.tests.factories import InstitutionFactory, make_user
from guopei.teachers.models import Nomination, ReservePoolEntry

from .corpus import roster_row, xlsx
from .factories import TeacherFactory
from .test_views import project  # noqa: F401  (fixture)

BASE = "/api/v1"


@pytest.fixture
def api():
    return APIClient()


def as_(api, user):
    api.force_authenticate(user)
    return api


def test_teacher_list_and_detail_are_scoped_and_masked(api, county_admin, other_county_admin, teacher_user,
                                                       teacher, other_teacher):
    response = as_(api, county_admin).get(f"{BASE}/teachers/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [teacher.pk]
    assert rows[0]["id_number_masked"].startswith("140105********")
    assert teacher.id_number_plain not in response.content.decode()
    assert as_(api, county_admin).get(f"{BASE}/teachers/{teacher.pk}/").status_code == 200
    assert as_(api, other_county_admin).get(f"{BASE}/teachers/{teacher.pk}/").status_code == 404
    assert as_(api, teacher_user).get(f"{BASE}/teachers/").status_code == 403


def test_teacher_list_pages_by_cursor(api, county_admin, school):
    TeacherFactory.create_batch(60, school=school)
    first = as_(api, county_admin).get(f"{BASE}/teachers/").json()
    assert len(first["results"]) == 50 and first["next"] and "count" not in first
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 10
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_reveal_three_personas_and_audit(api, county_admin, other_county_admin, city_admin, teacher):
    url = f"{BASE}/teachers/{teacher.pk}/reveal/"
    response = as_(api, county_admin).post(url, {"field": "id_number"})
    assert response.status_code == 200 and response.json()["value"] == teacher.id_number_plain
    assert AuditEvent.objects.filter(action="teachers.reveal", object_id=str(teacher.pk)).count() == 1
    assert as_(api, other_county_admin).post(url, {"field": "id_number"}).status_code == 404
    assert as_(api, city_admin).post(url, {"field": "id_number"}).status_code == 403
    assert AuditEvent.objects.filter(action="teachers.reveal").count() == 1


def test_import_start_progress_and_error_file(api, county_admin, other_county_admin, school_admin, school,
                                              other_school, django_capture_on_commit_callbacks):
    name, data = xlsx([roster_row(school.code, 1), roster_row(other_school.code, 2)])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_(api, county_admin).post(f"{BASE}/teacher-imports/", {
            "kind": "roster", "file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code == 202
    job_id = response.json()["id"]
    body = api.get(f"{BASE}/teacher-imports/{job_id}/").json()
    assert body["state"] == "failed" and body["has_error_file"]
    error_file = api.get(f"{BASE}/teacher-imports/{job_id}/error-file/")
    assert error_file.status_code == 200
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-imports/{job_id}/").status_code == 404
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-imports/{job_id}/error-file/").status_code == 404
    assert as_(api, school_admin).post(f"{BASE}/teacher-imports/", {
        "kind": "roster", "file": SimpleUploadedFile(name, data)}, format="multipart").status_code == 403
    assert Job.objects.filter(kind="teachers.roster_import").count() == 1


def test_reserve_pool_three_personas(api, county_admin, other_county_admin, school_admin, teacher, other_teacher):
    response = as_(api, county_admin).post(f"{BASE}/teacher-reserve/", {"teacher": teacher.pk, "priority": 2})
    assert response.status_code == 201
    entry_id = response.json()["id"]
    assert as_(api, county_admin).post(f"{BASE}/teacher-reserve/", {"teacher": other_teacher.pk}).status_code == 400
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-reserve/{entry_id}/").status_code == 404
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-reserve/").json()["results"] == []
    assert as_(api, school_admin).get(f"{BASE}/teacher-reserve/").status_code == 403
    assert as_(api, county_admin).patch(f"{BASE}/teacher-reserve/{entry_id}/", {"priority": 1}).json()[
        "priority"] == 1
    assert as_(api, other_county_admin).delete(f"{BASE}/teacher-reserve/{entry_id}/").status_code == 404
    assert as_(api, county_admin).delete(f"{BASE}/teacher-reserve/{entry_id}/").status_code == 204
    assert not ReservePoolEntry.objects.exists()


def test_selection_three_personas(api, county_admin, other_county_admin, school_admin, project, teacher):  # noqa: F811
    url = f"{BASE}/teacher-selections/{project.pk}/?region=140105"
    body = as_(api, county_admin).get(url).json()
    assert body["eligible"] == 1 and body["teachers"][0]["id"] == teacher.pk and body["teachers"][0]["rank"] == 1
    assert {r["code"] for r in body["reasons"]} >= {"banned", "cap", "hours_met", "inactive"}
    assert as_(api, county_admin).get(url + "&tab=ineligible").json()["teachers"] == []
    assert as_(api, other_county_admin).get(url).status_code == 404
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-selections/{project.pk}/?region=140213").status_code \
        == 404
    assert as_(api, school_admin).get(url).status_code == 403


def test_nominations_three_personas(api, county_admin, other_county_admin, institution_staff, teacher_user,
                                    project, school):  # noqa: F811
    teachers = TeacherFactory.create_batch(3, school=school)
    payload = {"project": project.pk, "county": "140105", "principals": [teachers[0].pk],
               "alternates": [teachers[1].pk]}
    assert as_(api, other_county_admin).post(f"{BASE}/teacher-nominations/", payload).status_code == 404
    assert as_(api, teacher_user).post(f"{BASE}/teacher-nominations/", payload).status_code == 403
    response = as_(api, county_admin).post(f"{BASE}/teacher-nominations/", payload)
    assert response.status_code == 201 and len(response.json()) == 2
    nomination = Nomination.objects.get(teacher=teachers[0])
    assert as_(api, institution_staff).get(f"{BASE}/teacher-nominations/").json()["count"] == 2
    stranger = make_user("institution_staff", "140100", institution=InstitutionFactory())
    assert as_(api, stranger).post(f"{BASE}/teacher-nominations/{nomination.pk}/confirm/").status_code == 404
    assert as_(api, county_admin).post(f"{BASE}/teacher-nominations/{nomination.pk}/confirm/").status_code == 403
    response = as_(api, institution_staff).post(f"{BASE}/teacher-nominations/{nomination.pk}/return/",
                                                {"reason": ""})
    assert response.status_code == 400
    response = as_(api, institution_staff).post(f"{BASE}/teacher-nominations/{nomination.pk}/return/",
                                                {"reason": "学段不符"})
    assert response.json()["status"] == "returned"
    alternate = Nomination.objects.get(teacher=teachers[1])
    response = as_(api, county_admin).post(f"{BASE}/teacher-nominations/{nomination.pk}/substitute/",
                                           {"alternate": alternate.pk})
    assert response.status_code == 200 and response.json()["substitute_for"] == nomination.pk
    assert as_(api, other_county_admin).get(f"{BASE}/teacher-nominations/{nomination.pk}/").status_code == 404
