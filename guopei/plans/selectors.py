"""Scoped reads of plans, projects, project counties, allocations and funds, and the access helpers.

Who sees what: the province's two departments see every plan, draft or not, and all of its projects. City and
county administrators see plans that have been published, and only the projects that give their region a share
of the quota; their allocations are limited to their own region (a city sees its counties' shares too).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from guopei.orgs.models import Membership
from guopei.orgs.roles import PROVINCE_ROLES
from guopei.orgs.scoping import has_role, region_q

from .models import (
    ZERO,
    Allocation,
    AnnualPlan,
    Category,
    Commitment,
    Family,
    Payment,
    PlanDocument,
    Project,
    ProjectCounty,
)

Role = Membership.Role
LOCAL_ROLES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
PLAN_VIEWER_ROLES = (*PROVINCE_ROLES, *LOCAL_ROLES)


def _get_or_404(qs: QuerySet[Any], pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_province(user: Any) -> bool:
    return has_role(user, *PROVINCE_ROLES)


def plans_for_user(user: Any) -> QuerySet[AnnualPlan]:
    """Every plan for the province; published plans for cities and counties; nothing for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return AnnualPlan.objects.none()
    if is_province(user):
        return AnnualPlan.objects.all()
    if has_role(user, *LOCAL_ROLES):
        return AnnualPlan.objects.filter(published_at__isnull=False)
    return AnnualPlan.objects.none()


def access_plan_for_user(user: Any, pk: Any) -> AnnualPlan:
    """Return the plan if the user may see it, else raise 404."""
    return _get_or_404(plans_for_user(user), pk)


def access_document_for_user(user: Any, pk: Any) -> PlanDocument:
    return _get_or_404(PlanDocument.objects.filter(plan__in=plans_for_user(user)).select_related("plan"), pk)


def allocations_for_user(user: Any) -> QuerySet[Allocation]:
    """Allocations inside the user's reach (the province sees all)."""
    if not getattr(user, "is_authenticated", False):
        return Allocation.objects.none()
    qs = Allocation.objects.select_related("region", "project")
    if is_province(user):
        return qs
    return qs.filter(region_q(user, roles=LOCAL_ROLES), project__plan__published_at__isnull=False)


def projects_for_user(user: Any) -> QuerySet[Project]:
    """Projects the user may see: all for the province, those with a share in their region for cities/counties."""
    if not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    qs = Project.objects.select_related("plan", "category__family", "parent")
    if is_province(user):
        return qs
    if has_role(user, *LOCAL_ROLES):
        shared = Allocation.objects.filter(region_q(user, roles=LOCAL_ROLES)).values("project_id")
        return qs.filter(pk__in=shared, plan__published_at__isnull=False)
    return Project.objects.none()


def access_project_for_user(user: Any, pk: Any) -> Project:
    """Return the project if the user may see it, else raise 404."""
    return _get_or_404(projects_for_user(user), pk)


def allocation_for(project: Project | int, county_code: str) -> int:
    """The county's share of the project's quota; 0 if it has none."""
    project_id = project if isinstance(project, int) else project.pk
    quota = Allocation.objects.filter(project_id=project_id, region_id=county_code).values_list(
        "quota", flat=True).first()
    return quota or 0


def project_counties_for_user(user: Any) -> QuerySet[ProjectCounty]:
    """The year's lists: the whole lists for the province, the user's own counties for cities and counties."""
    qs = ProjectCounty.objects.select_related("county__parent", "development_centre")
    if is_province(user):
        return qs
    if has_role(user, *LOCAL_ROLES):
        return qs.filter(region_q(user, roles=LOCAL_ROLES))
    return ProjectCounty.objects.none()


def categories() -> QuerySet[Category]:
    return Category.objects.select_related("family")


# --- quota pictures -----------------------------------------------------------------------------------------
def with_allocated(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate each project with `allocated` (sum of city shares), for the province's unallocated remainder."""
    sub = (Allocation.objects.filter(project=OuterRef("pk"), parent__isnull=True).order_by()
           .values("project").annotate(total=Sum("quota")).values("total"))
    return qs.annotate(allocated=Coalesce(Subquery(sub, output_field=IntegerField()), Value(0)))


def with_funds(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate `committed` and `paid` per project (a parent includes its sub-projects), without N+1."""
    money: DecimalField = DecimalField(max_digits=16, decimal_places=2)

    def tree_sum(model: Any) -> Coalesce:
        sub = (model.objects.filter(Q(project=OuterRef("pk")) | Q(project__parent=OuterRef("pk"))).order_by()
               .annotate(one=Value(1)).values("one").annotate(total=Sum("amount")).values("total"))
        return Coalesce(Subquery(sub, output_field=money), Value(ZERO, output_field=money))

    return qs.annotate(committed=tree_sum(Commitment), paid=tree_sum(Payment))


@dataclass
class FundsLine:
    """Budget, committed and paid for one project, category or family, and what remains (PLAN-6)."""

    label: str
    budget: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    quota: int = 0
    family: str = ""
    key: Any = None

    @property
    def uncommitted(self) -> Decimal:
        return self.budget - self.committed

    @property
    def unpaid(self) -> Decimal:
        return self.budget - self.paid

    @property
    def remaining(self) -> Decimal:
        """What is left to spend: the budget less whichever is larger, the commitments or the payments."""
        return self.budget - max(self.committed, self.paid)


def funds_by_category(plan: AnnualPlan) -> tuple[list[FundsLine], list[FundsLine], FundsLine]:
    """Budget, committed and paid per category and per family, and the plan total, in five queries.

    Budgets and quotas count top-level projects only (a parent's figures are its sub-projects' sums);
    commitments and payments count every project once.
    """
    lines: dict[int, FundsLine] = {}
    cats = list(Category.objects.select_related("family").filter(
        Q(is_active=True) | Q(projects__plan=plan)).distinct())
    for cat in cats:
        lines[cat.pk] = FundsLine(label=cat.name, family=cat.family.name, key=cat)
    for row in (Project.objects.filter(plan=plan, parent__isnull=True).order_by().values("category_id")
                .annotate(b=Sum("budget"), q=Sum("quota"))):
        line = lines[row["category_id"]]
        line.budget, line.quota = row["b"] or ZERO, row["q"] or 0
    for model, attr in ((Commitment, "committed"), (Payment, "paid")):
        for row in (model.objects.filter(project__plan=plan).order_by().values("project__category_id")
                    .annotate(s=Sum("amount"))):
            setattr(lines[row["project__category_id"]], attr, row["s"] or ZERO)
    families: dict[str, FundsLine] = {}
    for family in Family.objects.all():
        families[family.name] = FundsLine(label=family.name, key=family)
    total = FundsLine(label="合计")
    for line in lines.values():
        fam = families[line.family]
        for target in (fam, total):
            target.budget += line.budget
            target.committed += line.committed
            target.paid += line.paid
            target.quota += line.quota
    return list(lines.values()), list(families.values()), total


def quota_by_city(plan: AnnualPlan) -> list[tuple[str, int]]:
    """City shares summed over the plan's projects, for the province dashboard."""
    rows = (Allocation.objects.filter(project__plan=plan, parent__isnull=True).order_by()
            .values("region_id", "region__name").annotate(q=Sum("quota")).order_by("region_id"))
    return [(r["region__name"], r["q"] or 0) for r in rows]


def allocation_tree(project: Project, user: Any) -> list[dict[str, Any]]:
    """The project's city shares with their county shares, within the user's reach, for the allocation table."""
    visible = list(allocations_for_user(user).filter(project=project).select_related("region").order_by(
        "region_code"))
    children: dict[int, list[Allocation]] = defaultdict(list)
    cities = []
    for a in visible:
        if a.parent_id:
            children[a.parent_id].append(a)
        else:
            cities.append(a)
    tree = []
    for city in cities:
        counties = children.get(city.pk, [])
        given = sum(c.quota for c in counties)
        tree.append({"city": city, "counties": counties, "given": given, "left": city.quota - given})
    # A county admin sees their own share without the city row above it.
    orphan_parents = {a.parent_id for a in visible if a.parent_id} - {c.pk for c in cities}
    for parent_id in sorted(p for p in orphan_parents if p is not None):
        tree.append({"city": None, "counties": children[parent_id], "given": None, "left": None})
    return tree
