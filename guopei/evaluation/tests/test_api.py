"""The evaluation API with three personas per endpoint, bounded list queries, and the anonymous answer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from guopei.evaluation import services, tokens
from guopei.evaluation.models import Response
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory, make_user

from .factories import answer_all, answers_for

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def world(province_admin, institution, survey, klass, expert, rubric, project):
    answer_all(survey, [5, 4, 4, 3, 4])
    xiaodian = Region.objects.get(code="140105")
    visit = services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                  planned_on=date(2020, 9, 10), region=xiaodian)
    services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 10), notes="",
                        scores={c.pk: Decimal(25) for c in rubric.criteria.all()})
    visit = services.visit_submit(visit=visit, actor=expert.user)
    forum = services.forum_record(actor=province_admin, data={
        "held_on": date(2020, 9, 12), "place": "小店区", "region": xiaodian, "klass": klass, "participants": 8,
        "minutes": "纪要", "findings": "发现", "rating": 5})
    services.third_party_import(actor=province_admin, year=2020, agency="示例评估院", file_name="a.xlsx", content=b"x",
                                rows=[services.ThirdPartyRow(1, institution.pk, project.pk, "140105", Decimal(90),
                                                             Decimal(100), "")])
    services.weights_set(actor=province_admin, year=2020, survey=40, visit=30, forum=10, third_party=20)
    bulletin = services.bulletin_publish(bulletin=services.bulletin_create(actor=province_admin, year=2020),
                                         actor=province_admin)
    return {"survey": survey, "visit": visit, "forum": forum, "bulletin": bulletin}


@pytest.fixture
def other_institution_staff(db):
    return make_user("institution_staff", "140200", institution=InstitutionFactory(name="山西大同大学"),
                     username="dt_staff")


ENDPOINTS = [
    ("evaluation/surveys", "survey", "city_admin", "other_city_admin", "teacher_user"),
    ("evaluation/visits", "visit", "county_admin", "other_county_admin", "teacher_user"),
    ("evaluation/visits", "visit", "expert_user", "other_county_admin", "school_admin"),
    ("evaluation/forums", "forum", "county_admin", "other_county_admin", "expert_user"),
    ("evaluation/bulletins", "bulletin", "institution_staff", "other_institution_staff", "teacher_user"),
    ("evaluation/bulletins", "bulletin", "city_admin", "other_city_admin", "school_admin"),
]


@pytest.mark.parametrize(("prefix", "key", "own", "other", "wrong"), ENDPOINTS)
def test_endpoints_three_personas(prefix, key, own, other, wrong, world, request, django_assert_max_num_queries):
    obj = world[key]
    mine = api(request.getfixturevalue(own))
    with django_assert_max_num_queries(40):
        listed = mine.get(f"/api/v1/{prefix}/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [obj.pk]
    assert mine.get(f"/api/v1/{prefix}/{obj.pk}/").status_code == 200
    theirs = api(request.getfixturevalue(other))
    assert theirs.get(f"/api/v1/{prefix}/").json()["results"] == []
    assert theirs.get(f"/api/v1/{prefix}/{obj.pk}/").status_code == 404
    assert api(request.getfixturevalue(wrong)).get(f"/api/v1/{prefix}/").status_code == 403
    assert api().get(f"/api/v1/{prefix}/").status_code == 401
    assert listed["Cache-Control"].startswith("no-store") or "no-store" in listed["Cache-Control"]


def test_third_party_scores_endpoint(world, city_admin, other_city_admin, teacher_user):
    assert len(api(city_admin).get("/api/v1/evaluation/third-party-scores/").json()["results"]) == 1
    assert api(other_city_admin).get("/api/v1/evaluation/third-party-scores/").json()["results"] == []
    assert api(teacher_user).get("/api/v1/evaluation/third-party-scores/").status_code == 403


def test_questionnaires_endpoint(world, institution_staff, province_admin, city_admin, questionnaire):
    data = api(institution_staff).get("/api/v1/evaluation/questionnaires/").json()["results"]
    assert [q["id"] for q in data] == [questionnaire.pk] and len(data[0]["questions"]) == 5
    assert api(province_admin).get(f"/api/v1/evaluation/questionnaires/{questionnaire.pk}/").status_code == 200
    assert api(city_admin).get("/api/v1/evaluation/questionnaires/").status_code == 403


def test_survey_endpoint_shows_results_only_when_visible(world, institution_staff):
    survey = world["survey"]
    data = api(institution_staff).get(f"/api/v1/evaluation/surveys/{survey.pk}/").json()
    assert data["results"]["visible"] and data["results"]["responses"] == 5
    assert data["results"]["score"] == "75.00"  # scale mean 4.0 → (4 − 1) / 4 × 100


def test_performance_endpoint_is_scoped(world, province_admin, city_admin, other_city_admin, institution_staff,
                                        other_institution_staff, teacher_user, institution):
    url = "/api/v1/evaluation/performance/"
    rows = api(province_admin).get(url, {"year": 2020, "by": "institution"}).json()
    assert [r["key"] for r in rows] == [str(institution.pk)]
    assert api(city_admin).get(url, {"year": 2020, "by": "city"}).json()[0]["key"] == "140100"
    assert api(other_city_admin).get(url, {"year": 2020, "by": "city"}).json() == []
    assert [r["key"] for r in api(institution_staff).get(url, {"year": 2020}).json()] == [str(institution.pk)]
    assert api(other_institution_staff).get(url, {"year": 2020}).json() == []
    assert api(teacher_user).get(url).status_code == 403
    assert api(province_admin).get(url, {"year": 2019}).status_code == 404
    assert api(province_admin).get(url, {"by": "nonsense"}).status_code == 400


def test_anonymous_answer_endpoint(survey):
    token = survey.tokens.filter(used_on__isnull=True).first()
    code = tokens.token_for(survey.pk, token.nonce)
    body = {"survey": survey.pk, "token": code, "answers": {str(k): v for k, v in answers_for(survey).items()}}
    client = api()
    assert client.post("/api/v1/evaluation/survey-answers/", body, format="json").status_code == 201
    again = client.post("/api/v1/evaluation/survey-answers/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "used"
    assert Response.objects.filter(survey=survey).count() == 1


def test_survey_list_queries_do_not_grow_with_surveys(world, province_admin, project, institution, questionnaire,
                                                      institution_staff, django_assert_max_num_queries):
    from .factories import make_class

    client = api(province_admin)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/evaluation/surveys/").json()["results"]) == 1
    for n in range(3):
        extra = make_class(project=project, institution=institution, actor=province_admin, name=f"加开班{n}")
        services.survey_open(klass=extra, questionnaire=questionnaire, actor=institution_staff)
    with django_assert_max_num_queries(12):
        rows = client.get("/api/v1/evaluation/surveys/").json()["results"]
    assert len(rows) == 4 and {r["tokens"] for r in rows} == {6}
