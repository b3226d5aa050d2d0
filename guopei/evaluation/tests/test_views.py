"""Every page of the evaluation with three personas: the right role in its own region or institution (200), the same
role elsewhere (404, audited), and a role that must not use the page (403); list pages with bounded queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.evaluation import services, tokens
from guopei.evaluation.models import Bulletin, FieldVisit, Forum
from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory, make_user

from .factories import answer_all, jpeg_upload, make_expert

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(province_admin, institution, survey, klass, expert, rubric, project, questionnaire):
    """A 2020 world in 太原市小店区: survey (5 answers), a submitted visit with a photo, a forum, a third-party
    score, weights and a published bulletin."""
    answer_all(survey, [5, 4, 4, 3, 4])
    xiaodian = Region.objects.get(code="140105")
    visit = services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                  planned_on=date(2020, 9, 10), region=xiaodian)
    services.visit_photo_add(visit=visit, actor=expert.user, upload=jpeg_upload())
    criteria = list(rubric.criteria.all())
    services.visit_save(visit=visit, actor=expert.user, visited_on=date(2020, 9, 10), notes="听课",
                        scores={c.pk: Decimal(20) for c in criteria})
    visit = services.visit_submit(visit=visit, actor=expert.user)
    forum = services.forum_record(actor=province_admin, data={
        "held_on": date(2020, 9, 12), "place": "小店区教师发展中心", "region": xiaodian, "klass": klass,
        "participants": 12, "minutes": "纪要", "findings": "发现", "rating": 4})
    services.third_party_import(actor=province_admin, year=2020, agency="示例评估院", file_name="a.xlsx",
                                content=b"x", rows=[services.ThirdPartyRow(1, institution.pk, project.pk, "140105",
                                                                           Decimal(88), Decimal(100), "")])
    services.weights_set(actor=province_admin, year=2020, survey=40, visit=30, forum=10, third_party=20)
    bulletin = services.bulletin_create(actor=province_admin, year=2020)
    services.bulletin_publish(bulletin=bulletin, actor=province_admin)
    draft = services.bulletin_create(actor=province_admin, year=2020, title="草稿通报")
    return {"survey": survey, "visit": visit, "photo": visit.photos.get(), "forum": forum, "bulletin": bulletin,
            "draft": draft, "questionnaire": questionnaire, "institution": institution}


@pytest.fixture
def other_institution_staff(db):
    return make_user("institution_staff", "140200", institution=InstitutionFactory(name="山西大同大学"),
                     username="dt_staff")


@pytest.fixture
def other_expert(db):
    return make_expert(make_user("expert", username="expert2"), name="郝振华").user


# name, key, own persona, other persona, wrong persona
DETAIL_VIEWS = [
    ("evaluation:survey_detail", "survey", "city_admin", "other_city_admin", "teacher_user"),
    ("evaluation:survey_detail", "survey", "institution_staff", "other_institution_staff", "school_admin"),
    ("evaluation:visit_detail", "visit", "county_admin", "other_county_admin", "teacher_user"),
    ("evaluation:visit_detail", "visit", "expert_user", "other_expert", "school_admin"),
    ("evaluation:visit_detail", "visit", "institution_staff", "other_institution_staff", "teacher_user"),
    ("evaluation:photo_file", "photo", "county_admin", "other_county_admin", "teacher_user"),
    ("evaluation:forum_detail", "forum", "county_admin", "other_county_admin", "teacher_user"),
    ("evaluation:forum_detail", "forum", "institution_staff", "other_institution_staff", "expert_user"),
    ("evaluation:bulletin_detail", "bulletin", "city_admin", "other_city_admin", "teacher_user"),
    ("evaluation:bulletin_detail", "bulletin", "institution_staff", "other_institution_staff", "expert_user"),
    ("evaluation:bulletin_docx", "bulletin", "county_admin", "other_county_admin", "teacher_user"),
    ("evaluation:bulletin_pdf", "bulletin", "institution_staff", "other_institution_staff", "teacher_user"),
    ("evaluation:bulletin_detail", "draft", "province_admin", "city_admin", "teacher_user"),
    ("evaluation:survey_tokens", "survey", "institution_staff", "other_institution_staff", "city_admin"),
]


@pytest.mark.parametrize(("name", "key", "own", "other", "wrong"), DETAIL_VIEWS)
def test_detail_pages_three_personas(name, key, own, other, wrong, world, request):
    url = reverse(name, args=[world[key].pk])
    assert client_for(request.getfixturevalue(own)).get(url).status_code == 200
    outsider = request.getfixturevalue(other)
    assert client_for(outsider).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="evaluation.access_denied", actor=outsider).exists()
    assert client_for(request.getfixturevalue(wrong)).get(url).status_code == 403


@pytest.mark.parametrize("key", ["survey", "visit", "forum", "bulletin", "photo"])
def test_province_reads_every_detail(key, world, province_admin, finance_officer):
    names = {"survey": "survey_detail", "visit": "visit_detail", "forum": "forum_detail",
             "bulletin": "bulletin_detail", "photo": "photo_file"}
    url = reverse(f"evaluation:{names[key]}", args=[world[key].pk])
    assert client_for(province_admin).get(url).status_code == 200
    assert client_for(finance_officer).get(url).status_code == 200


LIST_VIEWS = [
    ("evaluation:survey_list", "city_admin", "other_city_admin", "teacher_user", "survey"),
    ("evaluation:visit_list", "county_admin", "other_county_admin", "teacher_user", "visit"),
    ("evaluation:forum_list", "county_admin", "other_county_admin", "teacher_user", "forum"),
    ("evaluation:third_party_list", "city_admin", "other_city_admin", "teacher_user", "third_party"),
    ("evaluation:bulletin_list", "institution_staff", "other_institution_staff", "teacher_user", "bulletin"),
    ("evaluation:index", "county_admin", "other_county_admin", "school_admin", ""),
]


@pytest.mark.parametrize(("name", "own", "other", "wrong", "marker"), LIST_VIEWS)
def test_list_pages_three_personas(name, own, other, wrong, marker, world, request, django_assert_max_num_queries):
    url = reverse(name)
    own_client = client_for(request.getfixturevalue(own))
    with django_assert_max_num_queries(30):
        mine = own_client.get(url)
    theirs = client_for(request.getfixturevalue(other)).get(url)
    assert mine.status_code == theirs.status_code == 200
    labels = {"survey": world["survey"].klass.name, "visit": world["visit"].project.name,
              "forum": "小店区教师发展中心", "third_party": "示例评估院", "bulletin": world["bulletin"].title}
    if marker:
        assert labels[marker] in mine.content.decode()
        assert labels[marker] not in theirs.content.decode()
    assert client_for(request.getfixturevalue(wrong)).get(url).status_code == 403


def test_list_pages_show_counts_from_the_database(world, county_admin):
    page = client_for(county_admin).get(reverse("evaluation:index")).content.decode()
    assert 'data-testid="count-surveys">1<' in page
    assert 'data-testid="count-forums">1<' in page


@pytest.mark.parametrize("name", ["evaluation:questionnaire_list", "evaluation:questionnaire_detail"])
def test_questionnaire_pages(name, world, institution_staff, province_admin, city_admin):
    args = [world["questionnaire"].pk] if name.endswith("detail") else []
    url = reverse(name, args=args)
    assert client_for(province_admin).get(url).status_code == 200
    assert client_for(institution_staff).get(url).status_code == 200
    assert client_for(city_admin).get(url).status_code == 403


def test_inactive_questionnaire_is_hidden_from_institutions(world, province_admin, institution_staff):
    q = world["questionnaire"]
    services.questionnaire_update(questionnaire=q, actor=province_admin, title=q.title, description="",
                                  is_active=False)
    url = reverse("evaluation:questionnaire_detail", args=[q.pk])
    assert client_for(institution_staff).get(url).status_code == 404
    assert client_for(province_admin).get(url).status_code == 200


PROVINCE_ADMIN_PAGES = ["evaluation:questionnaire_create", "evaluation:visit_assign", "evaluation:forum_create",
                        "evaluation:third_party_import", "evaluation:bulletin_create",
                        "evaluation:third_party_template"]


@pytest.mark.parametrize("name", PROVINCE_ADMIN_PAGES)
def test_province_admin_pages(name, world, province_admin, finance_officer, city_admin):
    url = reverse(name)
    assert client_for(province_admin).get(url).status_code == 200
    assert client_for(finance_officer).get(url).status_code == 403
    assert client_for(city_admin).get(url).status_code == 403


@pytest.mark.parametrize("name", ["evaluation:forum_edit", "evaluation:bulletin_edit"])
def test_province_admin_edit_pages(name, world, province_admin, city_admin, institution_staff):
    key = "forum" if "forum" in name else "draft"
    url = reverse(name, args=[world[key].pk])
    assert client_for(province_admin).get(url).status_code == 200
    assert client_for(city_admin).get(url).status_code == 403
    assert client_for(institution_staff).get(url).status_code == 403


def test_rubric_and_weights_pages(world, province_admin, finance_officer, city_admin):
    for name in ("evaluation:rubric_list", "evaluation:weights"):
        url = reverse(name)
        assert client_for(province_admin).get(url).status_code == 200
        assert client_for(finance_officer).get(url).status_code == 200
        assert client_for(finance_officer).post(url, {}).status_code == 403
        assert client_for(city_admin).get(url).status_code == 403


def test_weights_form_sets_and_checks_the_sum(world, province_admin):
    client = client_for(province_admin)
    bad = client.post(reverse("evaluation:weights"), {"year": 2020, "survey": 50, "visit": 30, "forum": 10,
                                                      "third_party": 20})
    assert "四项权重之和必须等于100（现在是110）" in bad.content.decode()
    good = client.post(reverse("evaluation:weights"), {"year": 2020, "survey": 50, "visit": 20, "forum": 10,
                                                       "third_party": 20})
    assert good.status_code == 302
    assert AuditEvent.objects.filter(action="evaluation.weights_set").count() == 2


def test_survey_open_page(world, institution_staff, city_admin, province_admin, klass, project):
    from .factories import make_class

    fresh = make_class(project=project, institution=world["institution"], actor=province_admin, name="第二班")
    url = reverse("evaluation:survey_open")
    page = client_for(institution_staff).get(url)
    assert page.status_code == 200 and "第二班" in page.content.decode()
    assert klass.name + "<" not in page.content.decode()  # already has a survey
    assert client_for(city_admin).get(url).status_code == 403
    response = client_for(institution_staff).post(url, {"klass": fresh.pk, "questionnaire": world["questionnaire"].pk})
    assert response.status_code == 302
    assert fresh.survey.tokens.count() == 6


def test_survey_detail_hides_results_below_threshold(province_admin, survey, institution_staff):
    answer_all(survey, [5, 4])
    page = client_for(institution_staff).get(reverse("evaluation:survey_detail", args=[survey.pk])).content.decode()
    assert "回答人数不足，暂不显示结果" in page
    assert "课程内容对您的教学有帮助" not in page


def test_survey_answer_page_refuses_a_used_token(survey):
    token = survey.tokens.first()
    code = tokens.token_for(survey.pk, token.nonce)
    url = reverse("evaluation:survey_answer", args=[survey.pk])
    client = Client()
    page = client.get(url, {"t": code})
    assert page.status_code == 200 and "课程内容对您的教学有帮助" in page.content.decode()
    payload = {"token": code}
    for q in survey.questionnaire.questions.all():
        payload[f"q{q.pk}"] = {"likert": "4", "single": "合适", "multiple": "专家讲座", "text": "好"}[q.kind]
    assert client.post(url, payload).status_code == 200
    again = client.post(url, payload)
    assert again.status_code == 400
    assert services.ERR_TOKEN_USED in again.content.decode()
    assert survey.responses.count() == 1


def test_my_surveys_lists_the_teachers_own_links(survey, teacher_in_class, teacher_user, province_admin,
                                                 institution_staff):
    services.survey_tokens_issue(survey=survey, actor=institution_staff)
    url = reverse("evaluation:my_surveys")
    page = client_for(teacher_user).get(url)
    assert page.status_code == 200
    token = survey.tokens.get(enrolment=teacher_in_class)
    assert f"?t={tokens.token_for(survey.pk, token.nonce)}" in page.content.decode()
    assert client_for(province_admin).get(url).status_code == 403


def test_visit_fill_three_personas(province_admin, expert, project, klass, rubric, other_expert, expert_user):
    visit = services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                  planned_on=date(2020, 9, 10))
    url = reverse("evaluation:visit_fill", args=[visit.pk])
    assert client_for(expert_user).get(url).status_code == 200
    assert client_for(other_expert).get(url).status_code == 404
    assert client_for(province_admin).get(url).status_code == 403
    criteria = list(rubric.criteria.all())
    data = {"visited_on": "2020-09-10", "notes": "手机填写", "action": "submit"}
    data.update({f"c{c.pk}": "20" for c in criteria})
    assert client_for(expert_user).post(url, data).status_code == 302
    visit.refresh_from_db()
    assert visit.state == FieldVisit.State.SUBMITTED and visit.score == Decimal("60.00")
    # Once submitted the form is gone: the page sends the expert back to the read-only visit.
    assert client_for(expert_user).get(url).status_code == 302


def test_visit_photo_upload_refuses_a_program(province_admin, expert, project, klass, rubric, expert_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    visit = services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                  planned_on=date(2020, 9, 10))
    program = SimpleUploadedFile("现场.jpg", b"MZ" + b"\x00" * 200, content_type="image/jpeg")
    response = client_for(expert_user).post(reverse("evaluation:visit_photo", args=[visit.pk]),
                                            {"photo": program, "caption": "x"}, follow=True)
    assert "不论扩展名是什么都不能上传" in response.content.decode()
    assert not visit.photos.exists()


def test_performance_pages_three_personas(world, province_admin, city_admin, other_city_admin, county_admin,
                                          institution_staff, other_institution_staff, school_admin):
    dashboard = reverse("evaluation:performance")
    for by in ("institution", "city", "county", "category"):
        page = client_for(province_admin).get(dashboard, {"year": 2020, "by": by})
        assert page.status_code == 200
        assert 'id="chart-composite"' in page.content.decode()
    assert client_for(city_admin).get(dashboard).url == reverse("evaluation:region_performance", args=["140100"])
    assert client_for(institution_staff).get(dashboard).url == reverse(
        "evaluation:institution_performance", args=[world["institution"].pk])
    assert client_for(school_admin).get(dashboard).status_code == 403
    region = reverse("evaluation:region_performance", args=["140100"])
    assert client_for(city_admin).get(region).status_code == 200
    assert client_for(county_admin).get(region).status_code == 404
    assert client_for(other_city_admin).get(region).status_code == 404
    assert client_for(school_admin).get(region).status_code == 403
    own = reverse("evaluation:institution_performance", args=[world["institution"].pk])
    assert client_for(institution_staff).get(own).status_code == 200
    assert client_for(other_institution_staff).get(own).status_code == 404
    assert client_for(city_admin).get(own).status_code == 403


def test_bulletin_publish_page_and_immutability(world, province_admin, city_admin):
    draft = world["draft"]
    assert client_for(city_admin).post(reverse("evaluation:bulletin_publish", args=[draft.pk])).status_code == 403
    client = client_for(province_admin)
    assert client.post(reverse("evaluation:bulletin_publish", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.PUBLISHED
    response = client.post(reverse("evaluation:bulletin_edit", args=[draft.pk]),
                           {"title": "改", "doc_number": "", "commentary": "改"}, follow=True)
    assert services.ERR_BULLETIN_PUBLISHED in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "草稿通报"
    word = client_for(city_admin).get(reverse("evaluation:bulletin_docx", args=[draft.pk]))
    assert word.status_code == 200 and word["X-Content-Type-Options"] == "nosniff"


def test_forum_create_page_keeps_names_only_with_consent(world, province_admin):
    from guopei.evaluation.models import ERR_NAMES_NEED_CONSENT

    client = client_for(province_admin)
    data = {"held_on": "2020-09-20", "place": "迎泽区教师进修学校", "region": "140106", "participants": 9,
            "participant_names": "张三", "minutes": "纪要", "findings": "发现", "rating": 5}
    refused = client.post(reverse("evaluation:forum_create"), data)
    assert ERR_NAMES_NEED_CONSENT in refused.content.decode()
    assert not Forum.objects.filter(place="迎泽区教师进修学校").exists()
    data["names_consented"] = "on"
    assert client.post(reverse("evaluation:forum_create"), data).status_code == 302
    assert Forum.objects.get(place="迎泽区教师进修学校").participant_names == "张三"


# name, key, own persona (→ 302), other persona (→ 404, or None when the page is the province's alone), wrong (→ 403)
POST_ACTIONS = [
    ("evaluation:survey_issue", "survey", "institution_staff", "other_institution_staff", "city_admin"),
    ("evaluation:survey_close", "survey", "institution_staff", "other_institution_staff", "county_admin"),
    ("evaluation:photo_delete", "photo", "expert_user", "other_expert", "province_admin"),
    ("evaluation:visit_withdraw", "visit", "province_admin", None, "city_admin"),
    ("evaluation:bulletin_refresh", "draft", "province_admin", None, "city_admin"),
    ("evaluation:bulletin_delete", "draft", "province_admin", None, "institution_staff"),
    ("evaluation:questionnaire_copy", "questionnaire", "province_admin", None, "institution_staff"),
]


@pytest.fixture
def open_visit(world, province_admin, expert, project, klass, rubric):
    """A visit not yet submitted, with a photo: what may still be withdrawn or changed."""
    visit = services.visit_assign(actor=province_admin, expert=expert, project=project, klass=klass, rubric=rubric,
                                  planned_on=date(2020, 10, 10))
    services.visit_photo_add(visit=visit, actor=expert.user, upload=jpeg_upload())
    return {**world, "visit": visit, "photo": visit.photos.get()}


@pytest.mark.parametrize(("name", "key", "own", "other", "wrong"), POST_ACTIONS)
def test_post_actions_three_personas(name, key, own, other, wrong, open_visit, request):
    url = reverse(name, args=[open_visit[key].pk])
    assert client_for(request.getfixturevalue(wrong)).post(url, {"title": "复制"}).status_code == 403
    if other is not None:
        assert client_for(request.getfixturevalue(other)).post(url, {"title": "复制"}).status_code == 404
    assert client_for(request.getfixturevalue(own)).post(url, {"title": "评教问卷（复制）"}).status_code == 302


def test_question_delete_refused_once_the_questionnaire_is_used(world, province_admin, institution_staff):
    question = world["questionnaire"].questions.first()
    url = reverse("evaluation:question_delete", args=[world["questionnaire"].pk, question.pk])
    assert client_for(institution_staff).post(url).status_code == 403
    response = client_for(province_admin).post(url, follow=True)
    assert services.ERR_QUESTIONNAIRE_LOCKED in response.content.decode()
    assert world["questionnaire"].questions.filter(pk=question.pk).exists()
