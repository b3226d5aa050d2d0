"""Scoped reads of tenders, bids, panels, awards, contracts and course plans, and the access helpers.

Who sees what:
* the province (education and finance departments) sees every tender, every bid with its price and documents,
  every panel and award; scores only once the whole panel has submitted (they are sealed until then);
* institution staff see published tenders (the notice and public documents), their own institution's bids
  (as lead or consortium member), awards and contracts, and their own course plans — never another bid;
* experts see the tenders they are assigned to and, once they have declared no conflict, the technical proposal
  and team of each bid (never the prices: the price is scored by formula);
* nobody else sees anything here.

An object that exists but is out of the user's reach is a 404; the attempt is audited.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from guopei.core.audit import audit_record
from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role, institution_ids_of
from guopei.plans.models import Project

from .models import (
    Award,
    Bid,
    BidDocument,
    Contract,
    CourseModule,
    CoursePlan,
    ExpertAssignment,
    Tender,
    TenderDocument,
)

Role = Membership.Role
M = TypeVar("M", bound=models.Model)


def _authenticated(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_province(user: Any) -> bool:
    return has_role(user, *PROVINCE_ROLES)


def is_institution(user: Any) -> bool:
    return has_role(user, Role.INSTITUTION_STAFF)


def is_expert(user: Any) -> bool:
    return has_role(user, Role.EXPERT)


def _access(user: Any, qs: QuerySet[M], pk: Any, what: str) -> M:
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
    if exists:
        audit_record(actor=user, action="tenders.access_denied", object_type=qs.model._meta.label_lower,
                     object_id=str(pk), detail={"what": what})
    raise Http404("不在您的查看范围内")


# --- tenders ------------------------------------------------------------------------------------------------
def tenders_for_user(user: Any) -> QuerySet[Tender]:
    """Every tender for the province; published ones for institutions; assigned ones for experts."""
    if not _authenticated(user):
        return Tender.objects.none()
    qs = Tender.objects.select_related("plan", "project", "county__parent")
    if is_province(user):
        return qs
    q = Q(pk__in=[])
    if is_institution(user):
        q |= ~Q(status=Tender.Status.DRAFT)
    if is_expert(user):
        q |= Q(pk__in=ExpertAssignment.objects.filter(expert__user=user).values("tender_id"))
    return qs.filter(q)


def access_tender_for_user(user: Any, pk: Any) -> Tender:
    return _access(user, tenders_for_user(user), pk, "tender")


def open_tenders(user: Any) -> QuerySet[Tender]:
    """Tenders taking bids now (招标中), as institutions see them."""
    return tenders_for_user(user).filter(status=Tender.Status.TENDERING)


def tender_documents_for_user(user: Any) -> QuerySet[TenderDocument]:
    """Protocol documents: all for the province; the public kinds of visible tenders for everyone else."""
    if not _authenticated(user):
        return TenderDocument.objects.none()
    qs = TenderDocument.objects.select_related("tender")
    if is_province(user):
        return qs
    return qs.filter(tender__in=tenders_for_user(user), kind__in=TenderDocument.PUBLIC_KINDS)


def access_tender_document_for_user(user: Any, pk: Any) -> TenderDocument:
    return _access(user, tender_documents_for_user(user), pk, "tender_document")


# --- bids (sealed) ------------------------------------------------------------------------------------------
def _declared_assignments(user: Any) -> QuerySet[ExpertAssignment]:
    return ExpertAssignment.objects.filter(expert__user=user, stage=ExpertAssignment.Stage.EVALUATION,
                                           recused_at__isnull=True, declared_at__isnull=False)


def bids_for_user(user: Any) -> QuerySet[Bid]:
    """Bids the user may open: all for the province; the institution's own (as lead or member); for a declared
    expert, the valid bids of the tender under evaluation (without prices, see the templates)."""
    if not _authenticated(user):
        return Bid.objects.none()
    qs = Bid.objects.select_related("tender__plan", "tender__project", "lead")
    if is_province(user):
        return qs
    q = Q(pk__in=[])
    if is_institution(user):
        own = institution_ids_of(user)
        q |= Q(lead_id__in=own) | Q(members__institution_id__in=own)
    if is_expert(user):
        q |= Q(tender_id__in=_declared_assignments(user).values("tender_id"),
               tender__status__in=[Tender.Status.EVALUATION, Tender.Status.STANDSTILL, Tender.Status.COMPLETE])
    return qs.filter(q).distinct()


def access_bid_for_user(user: Any, pk: Any) -> Bid:
    """Return the bid if the user may open it; a competitor's bid is a 404 and the attempt is audited."""
    return _access(user, bids_for_user(user), pk, "bid")


def sees_bid_prices(user: Any, bid: Bid) -> bool:
    """Prices are for the province and the bidder's own institution; experts score price by formula."""
    if is_province(user):
        return True
    own = set(institution_ids_of(user))
    return bool(own) and bid.members.filter(institution_id__in=own).exists()


def bid_documents_for_user(user: Any) -> QuerySet[BidDocument]:
    if not _authenticated(user):
        return BidDocument.objects.none()
    qs = BidDocument.objects.select_related("bid__tender")
    if is_province(user):
        return qs
    q = Q(pk__in=[])
    if is_institution(user):
        own = institution_ids_of(user)
        q |= Q(bid__lead_id__in=own) | Q(bid__members__institution_id__in=own)
    if is_expert(user):
        q |= Q(bid__in=bids_for_user(user).filter(tender_id__in=_declared_assignments(user).values("tender_id")),
               kind__in=BidDocument.EXPERT_KINDS)
    return qs.filter(q).distinct()


def access_bid_document_for_user(user: Any, pk: Any) -> BidDocument:
    return _access(user, bid_documents_for_user(user), pk, "bid_document")


def bids_of_institutions(user: Any) -> QuerySet[Bid]:
    """The user's institution's own bids (the 我的投标 list)."""
    own = institution_ids_of(user)
    return (Bid.objects.filter(Q(lead_id__in=own) | Q(members__institution_id__in=own)).distinct()
            .select_related("tender__project", "tender__county__parent", "lead"))


# --- panels -------------------------------------------------------------------------------------------------
def assignments_for_user(user: Any) -> QuerySet[ExpertAssignment]:
    """Panel seats: all for the province; an expert's own."""
    if not _authenticated(user):
        return ExpertAssignment.objects.none()
    qs = ExpertAssignment.objects.select_related("tender__project", "tender__county__parent", "expert")
    if is_province(user):
        return qs
    if is_expert(user):
        return qs.filter(expert__user=user)
    return ExpertAssignment.objects.none()


def access_assignment_for_user(user: Any, pk: Any) -> ExpertAssignment:
    return _access(user, assignments_for_user(user), pk, "assignment")


# --- awards and contracts -----------------------------------------------------------------------------------
def awards_for_user(user: Any) -> QuerySet[Award]:
    """Awards: all for the province; an institution's own."""
    if not _authenticated(user):
        return Award.objects.none()
    qs = Award.objects.select_related("project__plan", "county__parent", "institution", "tender", "fallback_from")
    if is_province(user):
        return qs
    if is_institution(user):
        return qs.filter(institution_id__in=institution_ids_of(user))
    return Award.objects.none()


def access_award_for_user(user: Any, pk: Any) -> Award:
    return _access(user, awards_for_user(user), pk, "award")


def contracts_for_user(user: Any) -> QuerySet[Contract]:
    if not _authenticated(user):
        return Contract.objects.none()
    qs = Contract.objects.select_related("project__plan", "county", "lead", "award")
    if is_province(user):
        return qs
    if is_institution(user):
        own = institution_ids_of(user)
        return qs.filter(Q(lead_id__in=own) | Q(members__institution_id__in=own)).distinct()
    return Contract.objects.none()


def continuation_projects() -> QuerySet[Project]:
    """Published projects continuing from 2019 that have no live award yet (TENDER-1)."""
    awarded = Award.objects.filter(status__in=Award.LIVE_STATUSES).values("project_id")
    return (Project.objects.filter(continues_from_2019=True, plan__published_at__isnull=False)
            .exclude(pk__in=awarded).select_related("plan", "previous_institution"))


# --- course plans -------------------------------------------------------------------------------------------
def course_plans_for_user(user: Any) -> QuerySet[CoursePlan]:
    """Course plans: all for the province; the lead institution's own."""
    if not _authenticated(user):
        return CoursePlan.objects.none()
    qs = CoursePlan.objects.select_related("project__plan", "county", "institution", "award")
    if is_province(user):
        return qs
    if is_institution(user):
        return qs.filter(institution_id__in=institution_ids_of(user))
    return CoursePlan.objects.none()


def access_course_plan_for_user(user: Any, pk: Any) -> CoursePlan:
    return _access(user, course_plans_for_user(user), pk, "course_plan")


def approved_course_plan(project: Project | int, county: Any = None) -> CoursePlan | None:
    """The approved course plan of a project (for an IT 2.0 project, of one county) — the template from which
    delivery creates classes and sessions (COURSE-5). None until the province has approved one.

    `county` is a Region or its code; without it an IT 2.0 project returns its first approved county plan.
    """
    project_id = project if isinstance(project, int) else project.pk
    qs = CoursePlan.objects.filter(project_id=project_id, status=CoursePlan.Status.APPROVED,
                                   award__status=Award.Status.CONTRACTED).select_related("institution", "award")
    if county is not None:
        qs = qs.filter(county_id=getattr(county, "pk", county))
    return qs.order_by("county_id", "pk").first()


def approved_course_plans(project: Project | int) -> QuerySet[CoursePlan]:
    """Every approved plan of a project (one per county for IT 2.0 projects)."""
    project_id = project if isinstance(project, int) else project.pk
    return CoursePlan.objects.filter(project_id=project_id, status=CoursePlan.Status.APPROVED,
                                     award__status=Award.Status.CONTRACTED).select_related("institution", "county")


def approved_modules(plan: CoursePlan) -> QuerySet[CourseModule]:
    """The modules of an approved plan in order: title, component, theory and practice hours, methods, topics,
    expected outputs."""
    if plan.status != CoursePlan.Status.APPROVED:
        return CourseModule.objects.none()
    return CourseModule.objects.filter(plan=plan).order_by("order")
