"""Build tenders, bids, panels and awards through the real services, so tests exercise the rules."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from guopei.orgs.models import Expert, Institution, Membership
from guopei.orgs.tests.factories import InstitutionFactory, make_user
from guopei.tenders import services
from guopei.tenders.checker import ModuleData
from guopei.tenders.models import Award, Bid, ExpertAssignment, Tender, TopicTag

Role = Membership.Role
T0 = timezone.make_aware(datetime(2020, 5, 1, 9, 0))
DEADLINE = T0 + timedelta(days=10)
BIDDING = T0 + timedelta(days=1)
OPENING = DEADLINE + timedelta(hours=1)
AWARDING = DEADLINE + timedelta(days=2)
SIGNING = AWARDING + timedelta(days=4)
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "文件.pdf") -> services.Upload:
    return services.Upload(file=io.BytesIO(PDF_BYTES), name=name)


def bid_documents() -> dict[str, services.Upload]:
    return {"price": pdf("报价.pdf"), "technical": pdf("技术方案.pdf"), "team": pdf("团队.pdf")}


def remote_institution(name: str = "中国教师研修网") -> Institution:
    return InstitutionFactory(name=name, kind=Institution.Kind.REMOTE, in_province=False, region=None,
                              on_remote_list=True, remote_list_since=2013)


def staff_for(institution: Institution, username: str | None = None) -> Any:
    return make_user(Role.INSTITUTION_STAFF, "140100", institution=institution, username=username)


def expert(name: str, *, linked: tuple[Institution, ...] = (), username: str | None = None) -> Expert:
    user = make_user(Role.EXPERT, "140000", username=username)
    row = Expert.objects.create(name=name, employer="山西省教育科学研究院", field="教师教育", user=user)
    if linked:
        row.institutions.set(linked)
    return row


def tender_input(code: str = "SXZB-2020-001", **overrides: Any) -> services.TenderInput:
    values: dict[str, Any] = {"code": code, "title": f"{code}招标", "agency": "山西省政府采购中心",
                              "deadline": DEADLINE}
    values.update(overrides)
    return services.TenderInput(**values)


def make_tender(project: Any, actor: Any, *, code: str = "SXZB-2020-001", county: Any = None, publish: bool = True,
                **overrides: Any) -> Tender:
    tender = services.tender_create(actor=actor, project=project, county=county, data=tender_input(code, **overrides))
    if publish:
        tender = services.tender_publish(tender=tender, actor=actor, now=T0)
    return tender


def default_components(tender: Tender, lead: Institution, partners: tuple[Institution, ...] = (),
                       host_school: Any = None) -> dict[int, services.ComponentChoice]:
    """Every component to the lead, the workshop to the first remote-listed partner, hosts to a school."""
    remote = next((p for p in partners if p.on_remote_list), None)
    choices = {}
    for component in tender.project.components.all():
        who = remote if component.kind == "workshop" and remote else lead
        if component.kind in ("job_shadowing", "shadow", "school_visit"):
            choices[component.pk] = services.ComponentChoice(
                institution=who, host_school=host_school, host_name="" if host_school else "北京市海淀区实验小学")
        else:
            choices[component.pk] = services.ComponentChoice(institution=who)
    return choices


def submit_bid(tender: Tender, lead: Institution, *, staff: Any = None, partners: tuple[Institution, ...] = (),
               price: str = "300000.00", components: dict[int, services.ComponentChoice] | None = None,
               now: datetime = BIDDING) -> Bid:
    staff = staff or staff_for(lead)
    return services.bid_submit(
        tender=tender, actor=staff, lead=lead, partners=list(partners),
        components=components if components is not None else default_components(tender, lead, partners),
        price=price, documents=bid_documents(), now=now,
    )


def panel(tender: Tender, actor: Any, experts: list[Expert], stage: str = ExpertAssignment.Stage.EVALUATION
          ) -> list[ExpertAssignment]:
    return [services.expert_assign(tender=tender, actor=actor, expert=e, stage=stage) for e in experts]


def score_all(assignments: list[ExpertAssignment], scores: dict[int, tuple[int, int]] | None = None) -> None:
    """Each expert declares, scores every valid bid (technical, team) and submits."""
    for assignment in assignments:
        user = assignment.expert.user
        services.expert_declare(assignment=assignment, actor=user, no_conflict=True)
        for bid in assignment.tender.bids.all():
            if not bid.is_valid:
                continue
            technical, team = (scores or {}).get(bid.pk, (80, 80))
            services.score_save(assignment=assignment, actor=user, bid=bid, technical=technical, team=team)
        services.scores_submit(assignment=assignment, actor=user)


def run_to_award(tender: Tender, actor: Any, experts: list[Expert],
                 scores: dict[int, tuple[int, int]] | None = None) -> Award:
    services.tender_close(tender=tender, actor=actor, now=OPENING)
    assignments = panel(tender, actor, experts)
    services.tender_start_evaluation(tender=tender, actor=actor)
    score_all(assignments, scores)
    return services.award_make(tender=tender, actor=actor, now=AWARDING)


def full_modules(project: Any) -> list[ModuleData]:
    """Modules covering every catalogue topic with hours matching each component: a plan the checker accepts."""
    codes = list(TopicTag.objects.order_by("order").values_list("code", flat=True))
    components = list(project.components.all())
    modules = []
    for index, component in enumerate(components):
        practice = component.hours // 2
        modules.append(ModuleData(
            title=f"{component.get_kind_display()}模块", component=component.kind,
            theory_hours=component.hours - practice, practice_hours=practice,
            methods=("lecture", "task_driven"), topics=tuple(codes) if index == 0 else (),
            expected_outputs="教学设计一份",
        ))
    return modules


def money(value: str) -> Decimal:
    return Decimal(value)
