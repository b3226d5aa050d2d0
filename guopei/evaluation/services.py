"""Every write of the evaluation (MGMT-7): questionnaires and anonymous surveys, field visits, forums, third-party
scores, the composite's weights and the bulletins. Each function runs in one transaction and is audited.

The survey answer is the exception to "audited with the actor": it is recorded as done by 匿名学员, without the
account, the IP address or anything about the token, so the audit trail holds no token-to-person link
(docs/adr/0005-anonymous-trainee-survey.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.uploads import GIF, JPEG, PNG, WEBP, check_upload, open_image, stored_name
from guopei.orgs.models import Expert, Institution, Region
from guopei.plans.models import Project

from . import tokens as token_codes
from .models import (
    Answer,
    Bulletin,
    BulletinRecipient,
    CompositeWeights,
    Criterion,
    FieldVisit,
    Forum,
    Question,
    Questionnaire,
    Response,
    Rubric,
    Survey,
    SurveyToken,
    ThirdPartyBatch,
    ThirdPartyScore,
    VisitPhoto,
    VisitScore,
)

# --- errors people can cause (shown in Chinese; tests import them) --------------------------------------------
ERR_QUESTIONNAIRE_LOCKED = "问卷已被班次使用，不能再修改题目；如需调整，请复制为新问卷后修改。"
ERR_QUESTIONNAIRE_EMPTY = "问卷还没有题目，不能用于评教。"
ERR_QUESTIONNAIRE_INACTIVE = "问卷已停用，请选择其他问卷。"
ERR_CLASS_HAS_SURVEY = "该班次已经发起学员评教。"
ERR_CLASS_NO_TRAINEES = "该班次没有在班学员，无法发放评教码。"
ERR_SURVEY_CLOSED = "本班次的评教已停止收集。"
ERR_TOKEN_UNKNOWN = "评教码无效，请核对后重新输入。"  # noqa: S105
ERR_TOKEN_USED = "此评教码已经使用过，每位学员只能评教一次。"  # noqa: S105
ERR_TOKEN_OTHER_CLASS = "此评教码不属于该班次，不能用于本班次的评教。"  # noqa: S105
ERR_ANSWER_REQUIRED = "请回答此题。"
ERR_ANSWER_LIKERT = "请在1-5分中选择。"
ERR_ANSWER_CHOICE = "请从给出的选项中选择。"
ERR_ANSWER_TOO_LONG = "文字回答不超过2000字。"

ERR_VISIT_SUBMITTED = "调研已提交，不能再修改。"
ERR_VISIT_NOT_YOURS = "只有被指派的专家本人可以填写此调研。"
ERR_VISIT_INCOMPLETE = "请为每个评分项打分并填写实际调研日期后再提交。"
ERR_VISIT_SCORE_RANGE = "得分应在0到{max}分之间。"
ERR_VISIT_CLASS_PROJECT = "所选班次不属于所选项目。"
ERR_VISIT_INSTITUTION = "该机构没有承担此项目（既无中标结果也无班次）。"
ERR_VISIT_CONFLICT = "该专家与被调研机构存在关联（利益冲突），不能指派。"
ERR_EXPERT_INACTIVE = "该专家已不在专家库中。"
ERR_EXPERT_NO_ACCOUNT = "该专家没有登录账号，无法在手机上填写调研，请先为其开通账号。"
ERR_RUBRIC_EMPTY = "评分量表至少需要一个评分项。"
ERR_TOO_MANY_PHOTOS = "每次调研最多上传{n}张照片。"
ERR_VISIT_DATE_FUTURE = "实际调研日期不能晚于今天。"

ERR_FORUM_CLASS_PROJECT = "所选班次不属于所选项目。"
ERR_FORUM_INSTITUTION = "所选班次由{name}承训，与所填承训机构不一致。"

ERR_BULLETIN_PUBLISHED = "通报已发布，不能再修改或删除。"
ERR_BULLETIN_NO_WEIGHTS = "{year}年还没有设置综合评价权重，请先设置权重。"
ERR_BULLETIN_NO_RESULTS = "{year}年还没有可以通报的评估结果。"

ANONYMOUS_ACTOR = "匿名学员"
# Audit events of survey answers carry no IP address: a request-less stand-in for audit_record.
_NO_REQUEST = SimpleNamespace(META={})

ALLOWED_PHOTOS = (JPEG, PNG, WEBP, GIF)


class SurveyRefused(Exception):
    """An answer refused as a whole: unknown, used or foreign token, or a closed survey. `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude)


# --- questionnaires ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    choices: tuple[str, ...] = ()
    required: bool = True


def questionnaire_create(*, actor: Any, title: str, description: str = "",
                         questions: list[QuestionSpec] | None = None, is_demo: bool = False) -> Questionnaire:
    with transaction.atomic():
        questionnaire = Questionnaire(title=title.strip(), description=description.strip(), created_by=actor,
                                      is_demo=is_demo)
        _full_clean(questionnaire)
        questionnaire.save()
        for spec in questions or []:
            _question_add(questionnaire, spec)
        audit_record(actor=actor, action="evaluation.questionnaire_create", obj=questionnaire,
                     detail={"title": questionnaire.title, "questions": len(questions or [])})
    return questionnaire


def questionnaire_update(*, questionnaire: Questionnaire, actor: Any, title: str, description: str,
                         is_active: bool) -> Questionnaire:
    with transaction.atomic():
        questionnaire.title, questionnaire.description = title.strip(), description.strip()
        questionnaire.is_active = is_active
        _full_clean(questionnaire)
        questionnaire.save(update_fields=["title", "description", "is_active", "updated_at"])
        audit_record(actor=actor, action="evaluation.questionnaire_update", obj=questionnaire,
                     detail={"title": questionnaire.title, "is_active": is_active})
    return questionnaire


def _locked(questionnaire: Questionnaire) -> bool:
    return questionnaire.surveys.exists()


def _question_add(questionnaire: Questionnaire, spec: QuestionSpec) -> Question:
    order = (questionnaire.questions.aggregate(m=Max("order"))["m"] or 0) + 1
    question = Question(questionnaire=questionnaire, order=order, kind=spec.kind, text=spec.text.strip(),
                        choices=[c.strip() for c in spec.choices if c.strip()], required=spec.required)
    _full_clean(question)
    question.save()
    return question


def question_add(*, questionnaire: Questionnaire, actor: Any, spec: QuestionSpec) -> Question:
    with transaction.atomic():
        if _locked(questionnaire):
            raise ValidationError(ERR_QUESTIONNAIRE_LOCKED)
        question = _question_add(questionnaire, spec)
        audit_record(actor=actor, action="evaluation.question_add", obj=questionnaire,
                     detail={"question": question.text, "kind": question.kind})
    return question


def question_delete(*, question: Question, actor: Any) -> None:
    with transaction.atomic():
        questionnaire = question.questionnaire
        if _locked(questionnaire):
            raise ValidationError(ERR_QUESTIONNAIRE_LOCKED)
        text = question.text
        question.delete()
        audit_record(actor=actor, action="evaluation.question_delete", obj=questionnaire, detail={"question": text})


def questionnaire_copy(*, questionnaire: Questionnaire, actor: Any, title: str) -> Questionnaire:
    """Copy a questionnaire (used ones cannot change) so the copy can be edited."""
    specs = [QuestionSpec(q.kind, q.text, tuple(q.choices), q.required) for q in questionnaire.questions.all()]
    return questionnaire_create(actor=actor, title=title, description=questionnaire.description, questions=specs)


# --- surveys ---------------------------------------------------------------------------------------------------
def _issue_tokens(survey: Survey) -> int:
    from guopei.delivery.models import Enrolment

    have = set(survey.tokens.values_list("enrolment_id", flat=True))
    missing = (Enrolment.objects.filter(klass_id=survey.klass_id, status=Enrolment.Status.ENROLLED)
               .exclude(pk__in=have).values_list("pk", flat=True))
    new = []
    for enrolment_id in missing:
        nonce = token_codes.new_nonce()
        raw = token_codes.token_for(survey.pk, nonce)
        new.append(SurveyToken(survey=survey, enrolment_id=enrolment_id, nonce=nonce,
                               token_hash=token_codes.token_hash(raw)))
    SurveyToken.objects.bulk_create(new)
    return len(new)


def survey_open(*, klass: Any, questionnaire: Questionnaire, actor: Any, is_demo: bool = False) -> Survey:
    """Attach a questionnaire to a class and issue one single-use token per trainee in the class."""
    if not questionnaire.is_active:
        raise ValidationError(ERR_QUESTIONNAIRE_INACTIVE)
    if not questionnaire.questions.exists():
        raise ValidationError(ERR_QUESTIONNAIRE_EMPTY)
    if Survey.objects.filter(klass=klass).exists():
        raise ValidationError(ERR_CLASS_HAS_SURVEY)
    try:
        with transaction.atomic():
            survey = Survey.objects.create(klass=klass, questionnaire=questionnaire,
                                           institution_id=klass.institution_id, region_code=klass.region_code,
                                           year=klass.project.plan.year, opened_by=actor, is_demo=is_demo)
            issued = _issue_tokens(survey)
            if not issued:
                raise ValidationError(ERR_CLASS_NO_TRAINEES)
            audit_record(actor=actor, action="evaluation.survey_open", obj=survey,
                         detail={"class": klass.pk, "questionnaire": questionnaire.pk, "tokens": issued})
    except IntegrityError:
        raise ValidationError(ERR_CLASS_HAS_SURVEY) from None
    return survey


def survey_tokens_issue(*, survey: Survey, actor: Any) -> int:
    """Issue tokens to trainees enrolled after the survey was opened; those who have one keep it."""
    with transaction.atomic():
        issued = _issue_tokens(survey)
        if issued:
            audit_record(actor=actor, action="evaluation.survey_tokens_issue", obj=survey, detail={"tokens": issued})
    return issued


def survey_close(*, survey: Survey, actor: Any) -> Survey:
    with transaction.atomic():
        if survey.closed_at is None:
            survey.closed_at = timezone.now()
            survey.save(update_fields=["closed_at", "updated_at"])
            audit_record(actor=actor, action="evaluation.survey_close", obj=survey)
    return survey


def survey_tokens_export(*, survey: Survey, actor: Any) -> list[tuple[str, str, str]]:
    """The (trainee, sending unit, token) slips the institution hands out; the export is audited."""
    rows = []
    for token in survey.tokens.select_related("enrolment__teacher", "enrolment__school").order_by(
            "enrolment__teacher__name_pinyin", "pk"):
        raw = token_codes.token_for(survey.pk, token.nonce)
        rows.append((token.enrolment.teacher.name, token.enrolment.school.name, token_codes.display(raw)))
    audit_record(actor=actor, action="evaluation.survey_tokens_export", obj=survey, detail={"tokens": len(rows)})
    return rows


def token_link(token: SurveyToken) -> str:
    """The token a trainee uses, regenerated from its nonce (for the trainee's own page only)."""
    return token_codes.token_for(token.survey_id, token.nonce)


def _refuse(survey: Survey, code: str, message: str) -> SurveyRefused:
    # Audited as an access attempt: which survey and why, never the token or who it belongs to.
    audit_record(actor=ANONYMOUS_ACTOR, action="evaluation.survey_answer_refused", obj=survey,
                 detail={"reason": code})
    return SurveyRefused(code, message)


def _clean_answers(questions: list[Question], answers: dict[int, Any]) -> list[Answer]:
    errors: dict[str, str] = {}
    rows: list[Answer] = []
    for q in questions:
        value = answers.get(q.pk)
        key = f"q{q.pk}"
        if q.kind == Question.Kind.LIKERT:
            if value in (None, ""):
                if q.required:
                    errors[key] = ERR_ANSWER_REQUIRED
                continue
            try:
                number = int(str(value))
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= 5:
                errors[key] = ERR_ANSWER_LIKERT
                continue
            rows.append(Answer(question=q, likert=number))
        elif q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            picked = value if isinstance(value, list | tuple) else ([value] if value not in (None, "") else [])
            picked = [str(p) for p in picked]
            if not picked:
                if q.required:
                    errors[key] = ERR_ANSWER_REQUIRED
                continue
            if any(p not in q.choices for p in picked) or (q.kind == Question.Kind.SINGLE and len(picked) > 1):
                errors[key] = ERR_ANSWER_CHOICE
                continue
            rows.append(Answer(question=q, choices=sorted(set(picked), key=q.choices.index)))
        else:
            text = str(value or "").strip()
            if not text:
                if q.required:
                    errors[key] = ERR_ANSWER_REQUIRED
                continue
            if len(text) > 2000:
                errors[key] = ERR_ANSWER_TOO_LONG
                continue
            rows.append(Answer(question=q, text=text))
    if errors:
        raise ValidationError(errors)
    return rows


def survey_answer(*, survey: Survey, token: str, answers: dict[int, Any], today: date | None = None) -> None:
    """Store one trainee's answers anonymously and use up their token, in one transaction.

    Refused as a whole (SurveyRefused, audited without the token) when the token is unknown, belongs to another
    class's survey, was used already, or the survey is closed. The response is linked to nothing but its survey;
    the token records only the day it was used. Nothing is returned, so no caller can tie the two together.
    """
    found = SurveyToken.objects.filter(token_hash=token_codes.token_hash(token)).values("pk", "survey_id").first()
    if found is None:
        raise _refuse(survey, "unknown", ERR_TOKEN_UNKNOWN)
    if found["survey_id"] != survey.pk:
        raise _refuse(survey, "other_class", ERR_TOKEN_OTHER_CLASS)
    if not survey.is_open:
        raise _refuse(survey, "closed", ERR_SURVEY_CLOSED)
    rows = _clean_answers(list(survey.questionnaire.questions.all()), answers)
    used = False
    with transaction.atomic():
        marked = SurveyToken.objects.filter(pk=found["pk"], used_on__isnull=True).update(
            used_on=today or timezone.localdate())
        if marked:
            response = Response.objects.create(survey=survey)
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
            audit_record(actor=ANONYMOUS_ACTOR, action="evaluation.survey_answer", obj=survey,
                         detail={"answers": len(rows)}, request=_NO_REQUEST)
        else:
            used = True
    if used:
        raise _refuse(survey, "used", ERR_TOKEN_USED)


# --- field visits --------------------------------------------------------------------------------------------
def rubric_create(*, actor: Any, name: str, description: str = "",
                  criteria: list[tuple[str, str, int]], is_demo: bool = False) -> Rubric:
    if not criteria:
        raise ValidationError(ERR_RUBRIC_EMPTY)
    with transaction.atomic():
        rubric = Rubric(name=name.strip(), description=description.strip(), is_demo=is_demo)
        _full_clean(rubric)
        rubric.save()
        for order, (title, hint, max_score) in enumerate(criteria, start=1):
            criterion = Criterion(rubric=rubric, order=order, name=title.strip(), description=hint.strip(),
                                  max_score=max_score)
            _full_clean(criterion)
            criterion.save()
        audit_record(actor=actor, action="evaluation.rubric_create", obj=rubric,
                     detail={"name": rubric.name, "criteria": len(criteria)})
    return rubric


def _institution_on_project(institution: Institution, project: Project) -> bool:
    from guopei.delivery.models import TrainingClass
    from guopei.tenders.models import Award

    return (Award.objects.filter(project=project, institution=institution, status__in=Award.LIVE_STATUSES).exists()
            or TrainingClass.objects.filter(project=project, institution=institution).exists())


def visit_assign(*, actor: Any, expert: Expert, project: Project, rubric: Rubric, planned_on: date,
                 institution: Institution | None = None, klass: Any = None, region: Region | None = None,
                 is_demo: bool = False) -> FieldVisit:
    """The province sends an expert to a project (of one institution) or to one class of it."""
    if not expert.is_active:
        raise ValidationError(ERR_EXPERT_INACTIVE)
    if expert.user_id is None:
        raise ValidationError(ERR_EXPERT_NO_ACCOUNT)
    if klass is not None:
        if klass.project_id != project.pk:
            raise ValidationError({"klass": ERR_VISIT_CLASS_PROJECT})
        institution = klass.institution
    if institution is None or not _institution_on_project(institution, project):
        raise ValidationError({"institution": ERR_VISIT_INSTITUTION})
    if expert.institutions.filter(pk=institution.pk).exists():
        raise ValidationError({"expert": ERR_VISIT_CONFLICT})
    if region is None:
        region = Region.objects.get(code=klass.region_code if klass is not None else settings.PROVINCE_CODE)
    with transaction.atomic():
        visit = FieldVisit(expert=expert, project=project, klass=klass, institution=institution, region=region,
                           year=project.plan.year, rubric=rubric, planned_on=planned_on, assigned_by=actor,
                           is_demo=is_demo)
        _full_clean(visit)
        visit.save()
        audit_record(actor=actor, action="evaluation.visit_assign", obj=visit,
                     detail={"expert": expert.name, "project": project.code, "institution": institution.name})
    return visit


def visit_withdraw(*, visit: FieldVisit, actor: Any) -> None:
    with transaction.atomic():
        visit = FieldVisit.objects.select_for_update().get(pk=visit.pk)
        if visit.is_submitted:
            raise ValidationError(ERR_VISIT_SUBMITTED)
        audit_record(actor=actor, action="evaluation.visit_withdraw", obj=visit,
                     detail={"expert": visit.expert.name, "project": visit.project_id})
        for photo in visit.photos.all():
            photo.file.delete(save=False)
        visit.delete()


def _editable_visit(visit: FieldVisit, actor: Any) -> FieldVisit:
    """Lock the visit's row and check it may still be changed by this person."""
    locked = FieldVisit.objects.select_for_update().select_related("expert", "rubric").get(pk=visit.pk)
    if locked.is_submitted:
        raise ValidationError(ERR_VISIT_SUBMITTED)
    if locked.expert.user_id != getattr(actor, "pk", None):
        raise ValidationError(ERR_VISIT_NOT_YOURS)
    return locked


def visit_save(*, visit: FieldVisit, actor: Any, visited_on: date | None, notes: str,
               scores: Mapping[int, Decimal | None]) -> FieldVisit:
    """Save the expert's scores and notes (a draft until submitted); refused once the visit is submitted."""
    with transaction.atomic():
        visit = _editable_visit(visit, actor)
        if visited_on and visited_on > timezone.localdate():
            raise ValidationError({"visited_on": ERR_VISIT_DATE_FUTURE})
        errors: dict[str, str] = {}
        criteria = {c.pk: c for c in visit.rubric.criteria.all()}
        for criterion_id, value in scores.items():
            criterion = criteria.get(criterion_id)
            if criterion is None:
                continue
            if value is None:
                VisitScore.objects.filter(visit=visit, criterion=criterion).delete()
                continue
            try:
                number = Decimal(value)
            except (InvalidOperation, TypeError):
                number = Decimal(-1)
            if not Decimal(0) <= number <= criterion.max_score:
                errors[f"c{criterion_id}"] = ERR_VISIT_SCORE_RANGE.format(max=criterion.max_score)
                continue
            VisitScore.objects.update_or_create(visit=visit, criterion=criterion, defaults={"score": number})
        if errors:
            raise ValidationError(errors)
        visit.visited_on, visit.notes = visited_on, notes.strip()
        _full_clean(visit)
        visit.save(update_fields=["visited_on", "notes", "updated_at"])
        audit_record(actor=actor, action="evaluation.visit_save", obj=visit,
                     detail={"scores": len([v for v in scores.values() if v is not None])})
    return visit


def visit_submit(*, visit: FieldVisit, actor: Any) -> FieldVisit:
    """Submit the visit: every criterion scored and the date given; the score is fixed and the visit read-only."""
    with transaction.atomic():
        visit = _editable_visit(visit, actor)
        criteria = list(visit.rubric.criteria.all())
        given = {s.criterion_id: s.score for s in visit.scores.all()}
        if visit.visited_on is None or any(c.pk not in given for c in criteria):
            raise ValidationError(ERR_VISIT_INCOMPLETE)
        from . import scoring

        total = sum((given[c.pk] for c in criteria), Decimal(0))
        maximum = sum((Decimal(c.max_score) for c in criteria), Decimal(0))
        visit.score = scoring.q2(scoring.ratio_to_100(total, maximum))
        visit.state = FieldVisit.State.SUBMITTED
        visit.submitted_at = timezone.now()
        visit.save(update_fields=["score", "state", "submitted_at", "updated_at"])
        audit_record(actor=actor, action="evaluation.visit_submit", obj=visit, detail={"score": str(visit.score)})
    return visit


def visit_photo_add(*, visit: FieldVisit, actor: Any, upload: Any, caption: str = "") -> VisitPhoto:
    """Add a photo taken on the visit: checked by its content (not its name), stored under a generated name."""
    limit = int(getattr(settings, "EVALUATION_PHOTO_MAX_BYTES", 10 * 1024 * 1024))
    checked = check_upload(upload, name=getattr(upload, "name", "") or "", allowed=ALLOWED_PHOTOS, max_bytes=limit)
    open_image(upload).close()
    with transaction.atomic():
        visit = _editable_visit(visit, actor)
        most = int(getattr(settings, "EVALUATION_MAX_PHOTOS_PER_VISIT", 12))
        if visit.photos.count() >= most:
            raise ValidationError(ERR_TOO_MANY_PHOTOS.format(n=most))
        photo = VisitPhoto(visit=visit, content_type=checked.file_type.mime, size=checked.size,
                           sha256=checked.sha256, display_name=checked.display_name, caption=caption.strip()[:200],
                           uploaded_by=actor)
        upload.seek(0)
        photo.file.save(stored_name("evaluation/visits", checked.file_type), ContentFile(upload.read()), save=False)
        photo.save()
        audit_record(actor=actor, action="evaluation.visit_photo_add", obj=visit,
                     detail={"photo": photo.pk, "size": checked.size, "type": checked.file_type.key})
    return photo


def visit_photo_delete(*, photo: VisitPhoto, actor: Any) -> None:
    with transaction.atomic():
        _editable_visit(photo.visit, actor)
        name = photo.file.name
        audit_record(actor=actor, action="evaluation.visit_photo_delete", obj=photo.visit, detail={"photo": photo.pk})
        photo.delete()
        transaction.on_commit(lambda: photo.file.storage.delete(name))


# --- forums ----------------------------------------------------------------------------------------------------
FORUM_FIELDS = ("held_on", "place", "region", "project", "klass", "institution", "participants", "names_consented",
                "participant_names", "minutes", "findings", "rating")


def _forum_apply(forum: Forum, data: dict[str, Any]) -> None:
    for name in FORUM_FIELDS:
        if name in data:
            setattr(forum, name, data[name])
    if not forum.names_consented:
        forum.participant_names = ""
    klass = forum.klass
    if klass is not None:
        if forum.project_id and klass.project_id != forum.project_id:
            raise ValidationError({"klass": ERR_FORUM_CLASS_PROJECT})
        forum.project_id = klass.project_id
        if forum.institution_id and forum.institution_id != klass.institution_id:
            raise ValidationError({"institution": ERR_FORUM_INSTITUTION.format(name=klass.institution.name)})
        forum.institution_id = klass.institution_id
    forum.year = forum.project.plan.year if forum.project_id else forum.held_on.year


def forum_record(*, actor: Any, data: dict[str, Any], is_demo: bool = False) -> Forum:
    """Record a trainee forum: counts of participants, names only with their consent, minutes, findings, rating."""
    with transaction.atomic():
        forum = Forum(recorded_by=actor, is_demo=is_demo)
        _forum_apply(forum, data)
        _full_clean(forum)
        forum.save()
        audit_record(actor=actor, action="evaluation.forum_record", obj=forum,
                     detail={"held_on": forum.held_on.isoformat(), "participants": forum.participants,
                             "rating": forum.rating})
    return forum


def forum_update(*, forum: Forum, actor: Any, data: dict[str, Any]) -> Forum:
    with transaction.atomic():
        forum = Forum.objects.select_for_update().get(pk=forum.pk)
        _forum_apply(forum, data)
        _full_clean(forum)
        forum.save()
        audit_record(actor=actor, action="evaluation.forum_update", obj=forum,
                     detail={"participants": forum.participants, "rating": forum.rating})
    return forum


# --- third-party scores ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ThirdPartyRow:
    line: int
    institution_id: int
    project_id: int
    region_code: str
    score: Decimal
    max_score: Decimal
    comment: str


def third_party_import(*, actor: Any, year: int, agency: str, file_name: str, content: bytes,
                       rows: list[ThirdPartyRow], is_demo: bool = False) -> dict[str, int]:
    """Store an agency's checked rows, all or nothing. A row replaces the score of the same institution, project
    and county; the same file imported again is recognised and changes nothing."""
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        if ThirdPartyBatch.objects.filter(year=year, sha256=digest).exists():
            return {"created": 0, "updated": 0, "unchanged": len(rows), "duplicate": 1}
        batch = ThirdPartyBatch.objects.create(year=year, agency=agency.strip()[:200], file_name=file_name[:200],
                                               sha256=digest, rows=len(rows), imported_by=actor, is_demo=is_demo)
        counts = {"created": 0, "updated": 0, "unchanged": 0, "duplicate": 0}
        existing = {(s.project_id, s.institution_id, s.region_code): s for s in ThirdPartyScore.objects.filter(
            project_id__in={r.project_id for r in rows})}
        for row in rows:
            current = existing.get((row.project_id, row.institution_id, row.region_code))
            if current is None:
                score = ThirdPartyScore(batch=batch, year=year, institution_id=row.institution_id,
                                        project_id=row.project_id, region_code=row.region_code, score=row.score,
                                        max_score=row.max_score, comment=row.comment, is_demo=is_demo)
                _full_clean(score)
                score.save()
                counts["created"] += 1
            elif (current.score, current.max_score, current.comment) == (row.score, row.max_score, row.comment):
                counts["unchanged"] += 1
            else:
                current.batch, current.score, current.max_score, current.comment = (batch, row.score, row.max_score,
                                                                                    row.comment)
                _full_clean(current)
                current.save(update_fields=["batch", "score", "max_score", "comment", "updated_at"])
                counts["updated"] += 1
        batch.created, batch.updated = counts["created"], counts["updated"]
        batch.save(update_fields=["created", "updated", "updated_at"])
        audit_record(actor=actor, action="evaluation.third_party_import", obj=batch,
                     detail={"year": year, "agency": batch.agency, **counts})
    return counts


# --- weights ---------------------------------------------------------------------------------------------------
def weights_set(*, actor: Any, year: int, survey: int, visit: int, forum: int, third_party: int,
                is_demo: bool = False) -> CompositeWeights:
    """Set the year's weights of the four inputs (MGMT-7); they must sum to 100."""
    with transaction.atomic():
        weights = CompositeWeights.objects.select_for_update().filter(year=year).first()
        before = weights.as_dict() if weights else None
        weights = weights or CompositeWeights(year=year, is_demo=is_demo)
        weights.survey, weights.visit, weights.forum, weights.third_party = survey, visit, forum, third_party
        weights.set_by = actor
        _full_clean(weights)
        weights.save()
        audit_record(actor=actor, action="evaluation.weights_set", obj=weights,
                     detail={"year": year, "before": before, "after": weights.as_dict()})
    return weights


# --- bulletins -------------------------------------------------------------------------------------------------
def _snapshot(year: int) -> dict[str, Any]:
    from .bulletins import build_snapshot

    if not CompositeWeights.objects.filter(year=year).exists():
        raise ValidationError(ERR_BULLETIN_NO_WEIGHTS.format(year=year))
    data = build_snapshot(year)
    if not data["institutions"] and not data["cities"]:
        raise ValidationError(ERR_BULLETIN_NO_RESULTS.format(year=year))
    return data


def _editable_bulletin(bulletin: Bulletin) -> Bulletin:
    locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if locked.is_published:
        raise ValidationError(ERR_BULLETIN_PUBLISHED)
    return locked


def bulletin_create(*, actor: Any, year: int, title: str = "", doc_number: str = "", commentary: str = "",
                    is_demo: bool = False) -> Bulletin:
    """Generate a draft bulletin of the year's results from the template; the figures are frozen into it."""
    from .bulletins import DEFAULT_COMMENTARY

    data = _snapshot(year)
    with transaction.atomic():
        bulletin = Bulletin(year=year, title=title.strip() or f"关于{year}年国培计划绩效评估结果的通报",
                            doc_number=doc_number.strip(), commentary=commentary.strip() or DEFAULT_COMMENTARY,
                            data=data,
                            generated_at=timezone.now(), created_by=actor, is_demo=is_demo)
        _full_clean(bulletin)
        bulletin.save()
        audit_record(actor=actor, action="evaluation.bulletin_create", obj=bulletin, detail={"year": year})
    return bulletin


def bulletin_update(*, bulletin: Bulletin, actor: Any, title: str, doc_number: str, commentary: str) -> Bulletin:
    """Edit a draft's title, number and commentary; a published bulletin is refused."""
    with transaction.atomic():
        bulletin = _editable_bulletin(bulletin)
        bulletin.title, bulletin.doc_number, bulletin.commentary = title.strip(), doc_number.strip(), commentary.strip()
        _full_clean(bulletin)
        bulletin.save(update_fields=["title", "doc_number", "commentary", "updated_at"])
        audit_record(actor=actor, action="evaluation.bulletin_update", obj=bulletin,
                     detail={"title": bulletin.title, "commentary_chars": len(bulletin.commentary)})
    return bulletin


def bulletin_refresh(*, bulletin: Bulletin, actor: Any) -> Bulletin:
    """Take the figures again from the current data (a draft only)."""
    data = _snapshot(bulletin.year)
    with transaction.atomic():
        bulletin = _editable_bulletin(bulletin)
        bulletin.data, bulletin.generated_at = data, timezone.now()
        bulletin.save(update_fields=["data", "generated_at", "updated_at"])
        audit_record(actor=actor, action="evaluation.bulletin_refresh", obj=bulletin)
    return bulletin


def bulletin_delete(*, bulletin: Bulletin, actor: Any) -> None:
    with transaction.atomic():
        bulletin = _editable_bulletin(bulletin)
        audit_record(actor=actor, action="evaluation.bulletin_delete", obj=bulletin, detail={"title": bulletin.title})
        bulletin.delete()


def bulletin_publish(*, bulletin: Bulletin, actor: Any) -> Bulletin:
    """Publish: render the Word and PDF files once, store them, and send the bulletin to the cities, counties and
    institutions it reports on. From then on the bulletin is immutable (MGMT-7)."""
    from .bulletins import recipients_of, render_docx, render_pdf

    with transaction.atomic():
        bulletin = _editable_bulletin(bulletin)
        bulletin.published_at = timezone.now()
        bulletin.published_by = actor
        docx_bytes, pdf_bytes = render_docx(bulletin), render_pdf(bulletin)
        bulletin.docx.save(stored_name("evaluation/bulletins", "docx"), ContentFile(docx_bytes), save=False)
        bulletin.pdf.save(stored_name("evaluation/bulletins", "pdf"), ContentFile(pdf_bytes), save=False)
        bulletin.docx_sha256 = hashlib.sha256(docx_bytes).hexdigest()
        bulletin.pdf_sha256 = hashlib.sha256(pdf_bytes).hexdigest()
        bulletin.status = Bulletin.Status.PUBLISHED
        bulletin.save()
        region_codes, institution_ids = recipients_of(bulletin.data)
        BulletinRecipient.objects.bulk_create(
            [BulletinRecipient(bulletin=bulletin, region_id=code, region_code=code) for code in region_codes]
            + [BulletinRecipient(bulletin=bulletin, institution_id=pk) for pk in institution_ids])
        audit_record(actor=actor, action="evaluation.bulletin_publish", obj=bulletin,
                     detail={"regions": len(region_codes), "institutions": len(institution_ids),
                             "docx_sha256": bulletin.docx_sha256, "pdf_sha256": bulletin.pdf_sha256})
    return bulletin

