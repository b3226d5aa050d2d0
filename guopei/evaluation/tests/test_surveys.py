"""The anonymous trainee survey (学员评教, MGMT-7): tokens, anonymity, refusals and the answer threshold."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse

from guopei.core.models import AuditEvent
from guopei.delivery.models import Enrolment
from guopei.evaluation import services, tokens
from guopei.evaluation.models import Answer, Response, SurveyToken
from guopei.evaluation.survey_results import MSG_NOT_ENDED, MSG_TOO_FEW, survey_results
from guopei.orgs.models import User
from guopei.teachers.models import Teacher

from .factories import answer_all, answers_for, make_class, project_for

pytestmark = pytest.mark.django_db


def raw_token(token: SurveyToken) -> str:
    return tokens.token_for(token.survey_id, token.nonce)


def test_mgmt7_survey_issues_one_single_use_token_per_enrolled_trainee(survey, klass):
    assert survey.tokens.count() == klass.enrolments.count() == 6
    assert set(survey.tokens.values_list("enrolment_id", flat=True)) == set(klass.enrolments.values_list("pk",
                                                                                                        flat=True))
    token = survey.tokens.first()
    # Only the hash is stored; the token itself appears nowhere in the row.
    assert raw_token(token) not in {token.token_hash, token.nonce}
    assert token.token_hash == tokens.token_hash(raw_token(token))


def test_mgmt7_survey_issues_tokens_to_trainees_enrolled_later(survey, klass, institution_staff, school):
    from guopei.teachers.tests.factories import TeacherFactory

    teacher = TeacherFactory(school=school)
    Enrolment.objects.create(klass=klass, teacher=teacher, school=school, region_code=school.region_code,
                             source=Enrolment.Source.SELECTION)
    assert services.survey_tokens_issue(survey=survey, actor=institution_staff) == 1
    assert services.survey_tokens_issue(survey=survey, actor=institution_staff) == 0


def test_mgmt7_class_has_only_one_survey(survey, klass, questionnaire, institution_staff):
    with pytest.raises(ValidationError) as exc:
        services.survey_open(klass=klass, questionnaire=questionnaire, actor=institution_staff)
    assert services.ERR_CLASS_HAS_SURVEY in exc.value.messages


def test_mgmt7_used_questionnaire_cannot_change(survey, questionnaire, province_admin):
    with pytest.raises(ValidationError) as exc:
        services.question_add(questionnaire=questionnaire, actor=province_admin,
                              spec=services.QuestionSpec("text", "新题目"))
    assert services.ERR_QUESTIONNAIRE_LOCKED in exc.value.messages
    copy = services.questionnaire_copy(questionnaire=questionnaire, actor=province_admin, title="满意度问卷（修订）")
    assert copy.questions.count() == questionnaire.questions.count()
    services.question_add(questionnaire=copy, actor=province_admin, spec=services.QuestionSpec("text", "新题目"))


def test_mgmt7_answer_is_stored_and_the_token_used_up(survey):
    token = survey.tokens.first()
    services.survey_answer(survey=survey, token=raw_token(token), answers=answers_for(survey),
                           today=date(2020, 9, 1))
    token.refresh_from_db()
    assert token.used_on == date(2020, 9, 1)
    response = Response.objects.get(survey=survey)
    assert response.answers.count() == 5
    likert = sorted(response.answers.filter(likert__isnull=False).values_list("likert", flat=True))
    assert likert == [4, 4]


def test_mgmt7_token_is_accepted_with_hyphens_and_lower_case(survey):
    token = survey.tokens.first()
    typed = tokens.display(raw_token(token)).lower()
    services.survey_answer(survey=survey, token=typed, answers=answers_for(survey))
    assert Response.objects.filter(survey=survey).count() == 1


def test_mgmt7_second_answer_with_a_used_token_is_refused_and_audited(survey):
    code = raw_token(survey.tokens.first())
    services.survey_answer(survey=survey, token=code, answers=answers_for(survey, likert=5))
    with pytest.raises(services.SurveyRefused) as exc:
        services.survey_answer(survey=survey, token=code, answers=answers_for(survey, likert=1))
    assert exc.value.code == "used"
    assert exc.value.message == services.ERR_TOKEN_USED
    assert Response.objects.filter(survey=survey).count() == 1
    assert not Answer.objects.filter(likert=1).exists()
    event = AuditEvent.objects.get(action="evaluation.survey_answer_refused")
    assert event.detail == {"reason": "used"}
    assert code not in str(event.detail)


def test_mgmt7_answer_for_a_class_the_token_is_not_for_is_refused(survey, project, institution, province_admin,
                                                                 questionnaire, institution_staff):
    other_class = make_class(project=project, institution=institution, actor=province_admin, name="另一个班")
    other = services.survey_open(klass=other_class, questionnaire=questionnaire, actor=institution_staff)
    code = raw_token(survey.tokens.first())
    with pytest.raises(services.SurveyRefused) as exc:
        services.survey_answer(survey=other, token=code, answers=answers_for(other))
    assert exc.value.code == "other_class"
    assert exc.value.message == services.ERR_TOKEN_OTHER_CLASS
    assert not Response.objects.exists()
    assert not SurveyToken.objects.filter(used_on__isnull=False).exists()
    assert AuditEvent.objects.get(action="evaluation.survey_answer_refused").object_id == str(other.pk)


def test_mgmt7_unknown_token_and_closed_survey_are_refused(survey, institution_staff):
    with pytest.raises(services.SurveyRefused) as exc:
        services.survey_answer(survey=survey, token="AAAA-BBBB-CCCC-DDDD", answers=answers_for(survey))
    assert exc.value.code == "unknown"
    services.survey_close(survey=survey, actor=institution_staff)
    with pytest.raises(services.SurveyRefused) as exc:
        services.survey_answer(survey=survey, token=raw_token(survey.tokens.first()), answers=answers_for(survey))
    assert exc.value.code == "closed"
    assert not Response.objects.exists()


def test_mgmt7_incomplete_answers_are_refused_and_the_token_stays_unused(survey):
    token = survey.tokens.first()
    answers = answers_for(survey)
    likert_question = survey.questionnaire.questions.filter(kind="likert").first()
    single = survey.questionnaire.questions.get(kind="single")
    answers[likert_question.pk] = 7
    answers[single.pk] = "不在选项里"
    with pytest.raises(ValidationError) as exc:
        services.survey_answer(survey=survey, token=raw_token(token), answers=answers)
    assert exc.value.message_dict == {f"q{likert_question.pk}": [services.ERR_ANSWER_LIKERT],
                                      f"q{single.pk}": [services.ERR_ANSWER_CHOICE]}
    token.refresh_from_db()
    assert token.used_on is None
    assert not Response.objects.exists()


# --- anonymity ------------------------------------------------------------------------------------------------
def _forward_closure(model: type[models.Model]) -> set[type[models.Model]]:
    seen: set[type[models.Model]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        for field in current._meta.concrete_fields:
            target = field.related_model
            if field.is_relation and target is not None and target not in seen:
                seen.add(target)
                pending.append(target)
    return seen


def test_mgmt7_anonymity_no_column_of_an_answer_leads_to_the_trainee():
    assert {f.name for f in Response._meta.concrete_fields} == {"id", "survey"}
    assert {f.name for f in Answer._meta.concrete_fields} == {"id", "response", "question", "likert", "choices",
                                                              "text"}
    for model in (Response, Answer):
        # No time of any kind (it could be matched with the token's use), and random ids, not sequential ones.
        assert not [f for f in model._meta.concrete_fields if isinstance(f, models.DateField | models.DateTimeField)]
        assert isinstance(model._meta.pk, models.UUIDField)
        # Following every foreign key from an answer never reaches a trainee, their account or their token.
        reachable = _forward_closure(model)
        assert not reachable & {Enrolment, Teacher, SurveyToken}
        for field in model._meta.concrete_fields:
            assert field.related_model not in {User, Teacher, Enrolment, SurveyToken}
    # And the token holds nothing about the response it produced (only the day it was used).
    token_fields = {f.name: f for f in SurveyToken._meta.concrete_fields}
    assert set(token_fields) == {"id", "survey", "enrolment", "token_hash", "nonce", "used_on", "created_at"}
    assert isinstance(token_fields["used_on"], models.DateField)
    assert not isinstance(token_fields["used_on"], models.DateTimeField)
    assert not any(f.related_model in {Response, Answer} for f in SurveyToken._meta.get_fields() if f.is_relation)
    assert not any(f.related_model is SurveyToken for f in Response._meta.get_fields() + Answer._meta.get_fields()
                   if f.is_relation)


def test_mgmt7_anonymity_audit_trail_and_logs_hold_no_token_to_person_link(survey, teacher_in_class, teacher_user,
                                                                          caplog):
    services.survey_tokens_issue(survey=survey, actor=survey.opened_by)
    token = SurveyToken.objects.get(survey=survey, enrolment=teacher_in_class)
    code = raw_token(token)
    client = Client()
    client.force_login(teacher_user)  # even signed in, the answer must not be tied to the account
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    payload = {"token": code}
    for question_id, value in answers_for(survey).items():
        payload[f"q{question_id}"] = value
    with caplog.at_level(logging.DEBUG):
        response = client.post(reverse("evaluation:survey_answer", args=[survey.pk]), payload)
    assert response.status_code == 200
    assert "评教已提交" in response.content.decode()
    answer = Response.objects.get(survey=survey)
    secrets = {code, token.token_hash, token.nonce, teacher_user.username, teacher_user.full_name,
               teacher_in_class.teacher.name, str(answer.pk)}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [s for s in secrets if s and s in logged]
    new_events = AuditEvent.objects.exclude(pk__in=before)
    assert [e.action for e in new_events] == ["evaluation.survey_answer"]
    event = new_events.get()
    assert event.actor is None and event.actor_name == services.ANONYMOUS_ACTOR and event.role == ""
    assert event.ip_address is None
    assert event.object_id == str(survey.pk)
    text = f"{event.detail} {event.object_type} {event.object_id}"
    assert not [s for s in secrets | {str(teacher_in_class.pk), str(token.pk)} if s in text]


# --- the threshold and the results -----------------------------------------------------------------------------
def test_mgmt7_results_hidden_below_five_answers(survey):
    answer_all(survey, [5, 4, 4, 3])
    results = survey_results(survey)
    assert not results.visible
    assert results.reason == MSG_TOO_FEW == "回答人数不足，暂不显示结果"
    assert results.responses == 4 and results.questions == []


def test_mgmt7_results_shown_from_five_answers(survey):
    answer_all(survey, [5, 4, 4, 3, 2])
    results = survey_results(survey)
    assert results.visible
    first = results.questions[0]
    assert first.answered == 5
    assert str(first.mean) == "3.60"
    assert [count for _, count, _ in first.distribution] == [0, 1, 1, 2, 1]
    # Mean of every scale answer (3.6 on both scale questions) mapped onto 0-100: (3.6 - 1) / 4 × 100 = 65.
    assert str(results.score) == "65.00"
    single = results.questions[2]
    assert single.distribution[0] == ("合适", 5, 100)
    assert results.questions[4].texts == ["希望增加实践环节"] * 5


def test_mgmt7_answer_threshold_is_a_setting(survey, settings):
    settings.SURVEY_MIN_ANSWERS = 3
    answer_all(survey, [5, 4, 4])
    assert survey_results(survey).visible


def test_mgmt7_results_hidden_until_the_class_has_ended(project, institution, province_admin, questionnaire,
                                                        institution_staff):
    running = make_class(project=project, institution=institution, actor=province_admin, ended=False)
    survey = services.survey_open(klass=running, questionnaire=questionnaire, actor=institution_staff)
    answer_all(survey, [5, 5, 5, 5, 5, 5])
    results = survey_results(survey)
    assert not results.visible and results.reason == MSG_NOT_ENDED


def test_mgmt7_survey_for_class_without_trainees_is_refused(project, institution, province_admin, questionnaire,
                                                           institution_staff):
    empty = make_class(project=project, institution=institution, actor=province_admin, trainees=0)
    with pytest.raises(ValidationError) as exc:
        services.survey_open(klass=empty, questionnaire=questionnaire, actor=institution_staff)
    assert services.ERR_CLASS_NO_TRAINEES in exc.value.messages
    assert not empty.__class__.objects.get(pk=empty.pk).field_visits.exists()
    assert project_for(province_admin, 2020) == project
