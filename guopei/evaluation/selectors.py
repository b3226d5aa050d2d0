"""Scoped reads of the evaluation, the access helpers, and what the tenders app reads (MGMT-7).

Who sees what:
* the province (education and finance departments) sees everything; only the education department writes;
* institution staff see their institution's surveys and results, the submitted visits and the forums and
  third-party scores about it, its own performance, and the bulletins sent to it;
* city and county administrators see the surveys of classes their trainees attend, the visits, forums and
  third-party scores in their region, their region's performance, and the bulletins sent to their region;
* an expert sees the visits assigned to them; a teacher sees their own survey links.
An object that exists but is out of reach is a 404, and the attempt is audited.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from guopei.core.audit import audit_record
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import admin_region_codes, has_role, institution_ids_of, region_q

from .models import (
    Bulletin,
    CompositeWeights,
    FieldVisit,
    Forum,
    Questionnaire,
    Rubric,
    Survey,
    SurveyToken,
    ThirdPartyBatch,
    ThirdPartyScore,
    VisitPhoto,
)

Role = Membership.Role
M = TypeVar("M", bound=models.Model)
LOCAL_ROLES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
VIEWER_ROLES = (*PROVINCE_ROLES, *LOCAL_ROLES, Role.INSTITUTION_STAFF)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_province(user: Any) -> bool:
    return has_role(user, *PROVINCE_ROLES)


def is_province_admin(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN)


def survey_min_answers() -> int:
    return int(getattr(settings, "SURVEY_MIN_ANSWERS", 5))


def _access(user: Any, qs: QuerySet[M], pk: Any) -> M:
    """Return the object from the user's scope; otherwise audit the attempt (if it exists) and raise 404."""
    model: Any = qs.model
    try:
        return qs.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        pass
    try:
        exists = model.objects.filter(pk=pk).exists()
    except (ValueError, TypeError):
        exists = False
    if exists and _authenticated(user):
        audit_record(actor=user, action="evaluation.access_denied", object_type=model._meta.label_lower,
                     object_id=str(pk))
    raise Http404("不在您的查看范围内")


def _ancestor_codes(code: str) -> list[str]:
    """The region itself, its city and the province."""
    return sorted({code, code[:4] + "00", code[:2] + "0000"})


# --- questionnaires and surveys ------------------------------------------------------------------------------
def questionnaires_for_user(user: Any) -> QuerySet[Questionnaire]:
    """The province manages the questionnaires; institutions see the active ones to choose from."""
    if not _authenticated(user):
        return Questionnaire.objects.none()
    qs = Questionnaire.objects.annotate(n_questions=Count("questions", distinct=True),
                                        n_surveys=Count("surveys", distinct=True)).order_by("-is_active", "title")
    if is_province(user):
        return qs
    if has_role(user, Role.INSTITUTION_STAFF):
        return qs.filter(is_active=True)
    return Questionnaire.objects.none()


def access_questionnaire_for_user(user: Any, pk: Any) -> Questionnaire:
    return _access(user, questionnaires_for_user(user), pk)


def surveys_for_user(user: Any) -> QuerySet[Survey]:
    if not _authenticated(user):
        return Survey.objects.none()
    qs = Survey.objects.select_related("klass", "klass__project", "institution", "questionnaire")
    if is_province(user):
        return qs
    q = Q(institution_id__in=institution_ids_of(user))
    if admin_region_codes(user, LOCAL_ROLES):
        from guopei.delivery.selectors import classes_for_user

        # Classes run in the region (IT 2.0 county classes) or attended by the region's trainees.
        q |= Q(klass__in=classes_for_user(user).values("pk"))
    return qs.filter(q)


def with_survey_counts(qs: QuerySet[Survey]) -> QuerySet[Survey]:
    """Annotate tokens issued (`n_tokens`), used (`n_used`) and responses (`n_responses`), in the same query."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import Response

    def count(model: Any, **filters: Any) -> Coalesce:
        sub = (model.objects.filter(survey=OuterRef("pk"), **filters).order_by().values("survey")
               .annotate(n=Count("pk")).values("n"))
        return Coalesce(Subquery(sub, output_field=IntegerField()), 0)

    return qs.annotate(n_tokens=count(SurveyToken), n_used=count(SurveyToken, used_on__isnull=False),
                       n_responses=count(Response))


def access_survey_for_user(user: Any, pk: Any) -> Survey:
    return _access(user, surveys_for_user(user), pk)


def managed_survey_for_user(user: Any, pk: Any) -> Survey:
    """A survey the user may run (issue tokens, close): the institution's own, or any for the province admin."""
    qs = Survey.objects.select_related("klass", "institution", "questionnaire")
    if not is_province_admin(user):
        qs = qs.filter(institution_id__in=institution_ids_of(user)) if _authenticated(user) else qs.none()
    return _access(user, qs, pk)


def tokens_for_teacher(user: Any) -> QuerySet[SurveyToken]:
    """The survey links issued to the signed-in teacher's own enrolments."""
    if not _authenticated(user):
        return SurveyToken.objects.none()
    return (SurveyToken.objects.filter(enrolment__teacher__user_id=user.pk)
            .select_related("survey", "survey__klass", "survey__institution").order_by("-survey__klass__end_date"))


def class_has_ended(klass: Any, today: Any = None) -> bool:
    from django.utils import timezone

    today = today or timezone.localdate()
    return bool(klass.status == "ended" or klass.end_date < today)


# --- field visits ------------------------------------------------------------------------------------------
def rubrics() -> QuerySet[Rubric]:
    return Rubric.objects.prefetch_related("criteria")


def visits_for_user(user: Any) -> QuerySet[FieldVisit]:
    if not _authenticated(user):
        return FieldVisit.objects.none()
    qs = FieldVisit.objects.select_related("expert", "project", "klass", "institution", "region", "rubric")
    if is_province(user):
        return qs
    q = Q(expert__user_id=user.pk)
    institutions = institution_ids_of(user)
    if institutions:
        q |= Q(institution_id__in=institutions, state=FieldVisit.State.SUBMITTED)
    if admin_region_codes(user, LOCAL_ROLES):
        q |= region_q(user, "region_code", LOCAL_ROLES)
    return qs.filter(q)


def access_visit_for_user(user: Any, pk: Any) -> FieldVisit:
    return _access(user, visits_for_user(user), pk)


def own_visit_for_expert(user: Any, pk: Any) -> FieldVisit:
    """A visit assigned to the signed-in expert (the only person who fills it in)."""
    qs = FieldVisit.objects.select_related("expert", "project", "klass", "institution", "region", "rubric")
    qs = qs.filter(expert__user_id=user.pk) if _authenticated(user) else qs.none()
    return _access(user, qs, pk)


def access_photo_for_user(user: Any, pk: Any) -> VisitPhoto:
    return _access(user, VisitPhoto.objects.filter(visit__in=visits_for_user(user)).select_related("visit"), pk)


# --- forums and third-party scores ---------------------------------------------------------------------------
def forums_for_user(user: Any) -> QuerySet[Forum]:
    if not _authenticated(user):
        return Forum.objects.none()
    qs = Forum.objects.select_related("region", "project", "klass", "institution")
    if is_province(user):
        return qs
    q = Q(institution_id__in=institution_ids_of(user)) | region_q(user, "region_code", LOCAL_ROLES)
    return qs.filter(q)


def access_forum_for_user(user: Any, pk: Any) -> Forum:
    return _access(user, forums_for_user(user), pk)


def third_party_scores_for_user(user: Any) -> QuerySet[ThirdPartyScore]:
    if not _authenticated(user):
        return ThirdPartyScore.objects.none()
    qs = ThirdPartyScore.objects.select_related("institution", "project", "batch")
    if is_province(user):
        return qs
    q = Q(institution_id__in=institution_ids_of(user)) | region_q(user, "region_code", LOCAL_ROLES)
    return qs.filter(q)


def batches_for_user(user: Any) -> QuerySet[ThirdPartyBatch]:
    if not is_province(user):
        return ThirdPartyBatch.objects.none()
    return ThirdPartyBatch.objects.select_related("imported_by")


# --- weights, performance and bulletins ------------------------------------------------------------------------
def weights_for(year: int) -> CompositeWeights | None:
    return CompositeWeights.objects.filter(year=year).first()


def weighted_years() -> list[int]:
    return list(CompositeWeights.objects.order_by("-year").values_list("year", flat=True))


def bulletins_for_user(user: Any) -> QuerySet[Bulletin]:
    """The province sees every bulletin; others the published ones sent to their region or institution."""
    if not _authenticated(user):
        return Bulletin.objects.none()
    qs = Bulletin.objects.select_related("published_by", "created_by")
    if is_province(user):
        return qs
    q = Q(recipients__institution_id__in=institution_ids_of(user))
    codes = admin_region_codes(user, LOCAL_ROLES)
    if codes:
        ancestors = sorted({a for code in codes for a in _ancestor_codes(code)})
        q |= Q(recipients__region_code__in=ancestors) | region_q(user, "recipients__region_code", LOCAL_ROLES)
    ids = Bulletin.objects.filter(q, status=Bulletin.Status.PUBLISHED).values("pk")
    return qs.filter(pk__in=ids)


def access_bulletin_for_user(user: Any, pk: Any) -> Bulletin:
    return _access(user, bulletins_for_user(user), pk)


def institution_past_performance(institution: Any, year: int) -> Decimal | None:
    """The institution's composite score (0-100) of the most recent evaluated year before `year`, or None.

    Read by the tenders app for the past-performance criterion of a bid (TENDER, MGMT-7). A year counts when
    the province has set its weights and the institution has at least one input that year.
    """
    from .performance import institution_composite

    institution_id = getattr(institution, "pk", institution)
    for past in CompositeWeights.objects.filter(year__lt=year).order_by("-year").values_list("year", flat=True):
        value = institution_composite(institution_id, past)
        if value is not None:
            return value
    return None
