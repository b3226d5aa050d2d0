"""Every write to tenders, bids, evaluations, awards, contracts and course plans (TENDER-1 … 6, COURSE-1 … 5).

Each function is keyword-only, runs in one transaction, validates with `full_clean()` and writes an audit event;
each tender state change also writes a `TenderEvent`. Errors a user can cause raise `TenderError` (or a subclass)
with a Chinese message from the constants below. A refused commitment raises the plans app's `FundsError`
unchanged, so the person sees the funds message (and the finance override it mentions).

Locks: a transaction that creates or moves an award locks the plan row first and the tender row second (always
in that order), so two awards at once cannot both pass the IT 2.0 cap (TENDER-2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.uploads import DOCX, PDF, UploadError, check_upload, stored_name
from guopei.orgs.models import Expert, Institution, Membership, Region, School
from guopei.orgs.scoping import has_role, institution_ids_of
from guopei.plans.models import AnnualPlan, Commitment, Project, ProjectComponent
from guopei.plans.services import commitment_record

from .checker import ModuleData, ProjectFrame, Tag, check_course_plan
from .models import (
    HOSTED_KINDS,
    Award,
    Bid,
    BidComponent,
    BidDocument,
    BidMember,
    Candidate,
    CandidateScore,
    Contract,
    ContractComponent,
    ContractMember,
    CourseModule,
    CoursePlan,
    CoursePlanVersion,
    ExpertAssignment,
    ExpertSelection,
    Score,
    Tender,
    TenderDocument,
    TenderEvent,
    TopicTag,
)
from .scoring import rank_bids, rank_candidates
from .signals import contract_signed

Role = Membership.Role
Status = Tender.Status
Stage = ExpertAssignment.Stage
DOCUMENT_TYPES = (PDF, DOCX)


class TenderError(Exception):
    """An error the user caused; the message (Chinese) says what is wrong."""


class BidRefused(TenderError):
    """A bid that is not accepted at all: after the deadline, a second bid by the same lead, an incomplete bid."""


class ConflictOfInterest(TenderError):
    """An expert linked to a bidder (or candidate) of the tender."""


class CapExceeded(TenderError):
    """An IT 2.0 award that would make more than IT20_MAX_INSTITUTIONS distinct institutions (TENDER-2)."""


class CoursePlanIncomplete(TenderError):
    """A course plan submitted while the checker still reports problems; `problems` lists them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(ERR_PLAN_INCOMPLETE.format(n=len(problems)))
        self.problems = problems


# --- messages -----------------------------------------------------------------------------------------------
ERR_NOT_PROVINCE_ADMIN = "只有省教育厅管理员可以执行此操作。"
ERR_NOT_CONTRACT_ROLE = "只有省级管理人员可以登记合同签订。"
ERR_WRONG_STATE = "招标当前状态为“{status}”，不能执行此操作。"
ERR_PLAN_UNPUBLISHED = "年度规划发布后才能对其项目招标。"
ERR_CONTINUATION_NO_TENDER = "该项目延续2019年项目，由2019年的中标机构直接承担，不再招标（TENDER-1）。"
ERR_PARENT_LOT = "该项目设有子项目，请按子项目分别招标。"
ERR_LOT_TAKEN = "该标段已有进行中或已完成的招标，或已确定承训机构。"
ERR_CODE_TAKEN = "招标编号已被使用。"
ERR_COUNTY_NOT_IN_PROJECT_MSG = "该县区不是本项目的实施县区（信息技术2.0项目区县）。"
ERR_DEADLINE_PAST = "投标截止时间须晚于当前时间。"
ERR_DEADLINE_NOT_REACHED = "投标截止时间（{deadline}）未到，不能开标。"
ERR_TOO_FEW_VALID = "有效投标{valid}家，少于最少有效投标数{minimum}家。"
ERR_TOO_FEW_EXPERTS = "评审专家至少{minimum}人（已指派且未回避{count}人）。"
ERR_CANCEL_REASON = "请选择终止原因。"
ERR_CANCEL_FINAL = "招标已结束（{status}），不能终止。"
ERR_LATE = "投标截止时间（{deadline}）已过，投标被拒收。"
ERR_NOT_OPEN = "该招标当前不接受投标（状态：{status}）。"
ERR_NOT_YOUR_INSTITUTION = "您只能以本机构作为牵头单位投标。"
ERR_SECOND_BID = "{lead}已对本标段投标，同一牵头单位不能再次投标。"
ERR_PARTNER_IS_LEAD = "牵头单位不能同时是联合体成员。"
ERR_COMPONENT_MISSING = "项目的每个环节都须指定承担单位，尚未指定：{kinds}。"
ERR_COMPONENT_NOT_MEMBER = "{kind}环节的承担单位{name}不是本投标的牵头单位或联合体成员。"
ERR_COMPONENT_UNKNOWN = "投标中的环节不属于本项目。"
ERR_HOST_MISSING = "{kind}环节须指定接待的学校或幼儿园（省内学校或省外学校名称，TENDER-5）。"
ERR_DOCUMENT_MISSING = "请上传{kind}。"
ERR_PRICE = "投标报价须为大于0的金额（元，最多两位小数）。"
ERR_DISQUALIFY_REASON = "取消投标资格须填写原因。"
ERR_DISQUALIFY_STATE = "只能在资格审查、评审或定标公示阶段取消投标资格。"
ERR_EXPERT_NO_ACCOUNT = "{name}没有平台账号或已不在专家库中，不能指派。"
ERR_EXPERT_TWICE = "{name}已在本次评审的专家名单中。"
ERR_CONFLICT = "{expert}与{institutions}有关联（利益冲突），不能评审本招标。"
ERR_ASSIGN_STATE = "当前阶段不能指派评审专家。"
ERR_NOT_YOUR_ASSIGNMENT = "这不是您的评审任务。"
ERR_NOT_DECLARED = "请先声明与各投标（候选）机构无利益冲突，再评分。"
ERR_RECUSED = "您已回避本次评审。"
ERR_ALREADY_SUBMITTED = "您已提交评分，评分不能再修改。"
ERR_RECUSE_REASON = "声明存在利益冲突时请说明与哪家机构有何关联。"
ERR_SCORE_STATE = "当前不在评分阶段。"
ERR_SCORE_RANGE = "分数须在0到100之间。"
ERR_SCORE_TARGET = "只能为本招标的有效投标（或候选机构）评分。"
ERR_SCORES_INCOMPLETE = "还有{n}份投标（或候选机构）未评分，不能提交。"
ERR_SCORES_SEALED = "还有专家未提交评分，评分结果暂不公开，不能定标。"
ERR_NO_VALID_BID = "没有可以定标的有效投标。"
ERR_IT20_CAP = ("信息技术2.0项目{year}年已有{count}家不同的承训机构（{names}），再由{institution}中标将超过全省"
                "{cap}家的上限（TENDER-2）。")
ERR_AWARD_END_STATE = "只有公示中的中标结果可以登记放弃或取消。"
ERR_AWARD_END_REASON = "请填写中标人放弃或被取消资格的原因。"
ERR_STANDSTILL = "定标公示期至{until}结束，公示期满后才能签订合同。"
ERR_CONTRACT_STATE = "该中标结果当前不能签订合同（{status}）。"
ERR_NOT_CONTINUATION = "该项目不是延续2019年的项目，须公开招标（TENDER-1）。"
ERR_NO_PREVIOUS = "延续项目须先在项目中登记2019年的承训机构。"
ERR_AMOUNT = "金额须为大于0的数字（元，最多两位小数）。"
ERR_SELECTION_STATE = "只有流标的招标可以转入专家遴选（TENDER-6）。"
ERR_SELECTION_EXISTS = "该招标已在专家遴选中。"
ERR_SELECTION_STEP = "专家遴选当前阶段（{status}）不能执行此操作。"
ERR_CANDIDATE_TWICE = "{name}已在候选名单中。"
ERR_NOT_QUALIFIED = "{name}不符合本标段的资格要求：{reasons}"
ERR_NO_CANDIDATES = "请先拟定至少一家候选机构。"
ERR_PLAN_INCOMPLETE = "课程方案还有{n}处问题，不能提交。"
ERR_PLAN_NOT_EDITABLE = "课程方案已提交或已通过，不能修改。"
ERR_NOT_PLAN_OWNER = "只有中标牵头单位的人员可以编制本课程方案。"
ERR_PLAN_NOT_SUBMITTED = "只有待审核的课程方案可以审核。"
ERR_RETURN_COMMENT = "退回课程方案须填写审核意见。"
ERR_MODULE_COMPONENT = "模块“{title}”的环节不是本项目的环节。"
ERR_MODULE_METHOD = "未知的教学方式：{value}。"
ERR_MODULE_TOPIC = "未知的专题标签：{value}。"
ERR_MODULE_HOURS_RANGE = "模块学时须为0到999之间的整数。"
ERR_TOO_MANY_MODULES = "一个课程方案最多200个模块。"

# Why a bid is invalid (stored on the bid, shown with it).
WHY_WORKSHOP = "工作坊研修环节由{name}承担，该机构不在教育部远程培训机构推荐名单上（TENDER-4）。"
WHY_LEAD_KIND = "牵头单位{name}的类型为“{kind}”，本标段要求：{required}。"
WHY_LEAD_REMOTE = "本标段要求牵头单位列入教育部远程培训机构推荐名单，{name}未列入。"
WHY_MAX_PRICE = "投标报价{price}元超过最高限价{limit}元。"
WHY_TWO_CONSORTIA = "{name}同时参加了本标段的另一份投标（{other}），两份投标均无效。"
WHY_FAILED_AFTER_AWARD = "中标候选人放弃或被取消资格后，没有其他有效投标。"
WHY_DECLINED = "中标后放弃：{reason}"


# --- helpers ------------------------------------------------------------------------------------------------
def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(m for messages in exc.message_dict.values() for m in messages)
    return "；".join(exc.messages)


def _full_clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise TenderError(_validation_message(exc)) from None


def _require_province_admin(actor: Any) -> None:
    if not has_role(actor, Role.PROVINCE_ADMIN):
        raise TenderError(ERR_NOT_PROVINCE_ADMIN)


def money(value: Any) -> Decimal:
    """Parse an amount in 元 to two places; refuse anything else."""
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (ArithmeticError, ValueError):
        raise TenderError(ERR_AMOUNT) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise TenderError(ERR_AMOUNT)
    return amount.quantize(Decimal("0.01"))


def _lock_tender(tender: Tender) -> Tender:
    return Tender.objects.select_for_update(of=("self",)).select_related("plan", "project", "county").get(pk=tender.pk)


def _lock_plan_then_tender(tender: Tender) -> Tender:
    """The fixed lock order of every award transaction: the plan row, then the tender row."""
    AnnualPlan.objects.select_for_update().get(pk=tender.plan_id)
    return _lock_tender(tender)


def _require_status(tender: Tender, *statuses: str) -> None:
    if tender.status not in statuses:
        raise TenderError(ERR_WRONG_STATE.format(status=tender.get_status_display()))


def _event(tender: Tender, *, actor: Any, note: str, at: datetime | None = None, before: str | None = None,
           to: str | None = None) -> TenderEvent:
    """Add a line to the tender's history (a state change, or a step within a state when before == to)."""
    return TenderEvent.objects.create(
        tender=tender, from_status=tender.status if before is None else before,
        to_status=tender.status if to is None else to,
        actor=actor if getattr(actor, "is_authenticated", False) else None, note=note[:500],
        created_at=at or timezone.now())


def _move(tender: Tender, to: str, *, actor: Any, note: str = "", fields: Sequence[str] = (),
          at: datetime | None = None) -> None:
    """Change the tender's state, record the step in its history and audit it."""
    before = tender.status
    tender.status = to
    tender.save(update_fields=["status", "updated_at", *fields])
    _event(tender, actor=actor, note=note, at=at, before=before, to=to)
    audit_record(actor=actor, action=f"tenders.tender_{to}", obj=tender,
                 detail={"code": tender.code, "from": before, "to": to, "note": note[:500]})


def _store_document(upload: IO[bytes], filename: str, folder: str) -> tuple[str, Any]:
    """Check a PDF or Word upload by content and store it under a generated name; return (name, checked)."""
    try:
        checked = check_upload(upload, name=filename, allowed=DOCUMENT_TYPES,
                               max_bytes=settings.TENDERS_MAX_DOCUMENT_BYTES)
    except UploadError as exc:
        raise TenderError(exc.message) from None
    upload.seek(0)
    name = default_storage.save(stored_name(folder, checked.file_type), File(upload))
    return name, checked


def _delete_stored(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def _lot_q(project: Project, county: Region | None) -> Q:
    return Q(project=project, county=county) if county is not None else Q(project=project, county__isnull=True)


# --- tenders (TENDER-1, TENDER-2) ---------------------------------------------------------------------------
@dataclass
class TenderInput:
    """What the province enters for a tender."""

    code: str
    title: str
    agency: str
    deadline: datetime
    min_valid_bids: int | None = None
    standstill_days: int | None = None
    max_price: Decimal | None = None
    required_lead_kinds: Sequence[str] = ()
    lead_on_remote_list: bool = False
    weight_price: int = 30
    weight_technical: int = 40
    weight_team: int = 20
    weight_past: int = 10


def _apply_tender_input(tender: Tender, data: TenderInput) -> None:
    tender.code = data.code.strip()
    tender.title = data.title.strip()
    tender.agency = data.agency.strip()
    tender.deadline = data.deadline
    tender.min_valid_bids = data.min_valid_bids or settings.TENDERS_MIN_VALID_BIDS
    tender.standstill_days = (data.standstill_days if data.standstill_days is not None
                              else settings.TENDERS_STANDSTILL_DAYS)
    tender.max_price = data.max_price
    tender.required_lead_kinds = list(data.required_lead_kinds)
    tender.lead_on_remote_list = data.lead_on_remote_list
    tender.weight_price, tender.weight_technical = data.weight_price, data.weight_technical
    tender.weight_team, tender.weight_past = data.weight_team, data.weight_past


def tender_create(*, actor: Any, project: Project, data: TenderInput, county: Region | None = None,
                  is_demo: bool = False, now: datetime | None = None) -> Tender:
    """Open a draft tender for one lot: a project or sub-project, or one IT 2.0 project county (TENDER-1, -2).

    Refused for a project continuing from 2019 (it keeps its 2019 institution, TENDER-1), for a project with
    sub-projects (each sub-project is its own lot) and for a lot that already has a live tender or award.
    """
    _require_province_admin(actor)
    with transaction.atomic():
        project = Project.objects.select_for_update(of=("self",)).select_related("plan").get(pk=project.pk)
        if not project.plan.has_been_published:
            raise TenderError(ERR_PLAN_UNPUBLISHED)
        if project.continues_from_2019:
            raise TenderError(ERR_CONTINUATION_NO_TENDER)
        if project.children.exists():
            raise TenderError(ERR_PARENT_LOT)
        if county is not None and project.is_it20 and not project.counties.filter(pk=county.pk).exists():
            raise TenderError(ERR_COUNTY_NOT_IN_PROJECT_MSG)
        live = Tender.objects.filter(_lot_q(project, county)).exclude(status__in=[Status.CANCELLED, Status.FAILED])
        if live.exists() or Award.objects.filter(_lot_q(project, county), status__in=Award.LIVE_STATUSES).exists():
            raise TenderError(ERR_LOT_TAKEN)
        if Tender.objects.filter(code=data.code.strip()).exists():
            raise TenderError(ERR_CODE_TAKEN)
        tender = Tender(plan=project.plan, project=project, county=county, created_by=actor, is_demo=is_demo)
        _apply_tender_input(tender, data)
        _full_clean(tender, exclude=["created_by"])
        tender.save()
        _event(tender, actor=actor, note="创建招标", at=now, before="", to=Status.DRAFT)
        audit_record(actor=actor, action="tenders.tender_create", obj=tender,
                     detail={"code": tender.code, "project": project.code, "county": county.pk if county else ""})
    return tender


def tender_update(*, tender: Tender, actor: Any, data: TenderInput) -> Tender:
    """Change a draft tender's terms; once published they are fixed."""
    _require_province_admin(actor)
    with transaction.atomic():
        tender = _lock_tender(tender)
        _require_status(tender, Status.DRAFT)
        if Tender.objects.filter(code=data.code.strip()).exclude(pk=tender.pk).exists():
            raise TenderError(ERR_CODE_TAKEN)
        _apply_tender_input(tender, data)
        _full_clean(tender)
        tender.save()
        audit_record(actor=actor, action="tenders.tender_update", obj=tender, detail={"code": tender.code})
    return tender


def tender_publish(*, tender: Tender, actor: Any, now: datetime | None = None) -> Tender:
    """草拟 → 招标中: bids are open until the deadline."""
    _require_province_admin(actor)
    now = _now(now)
    with transaction.atomic():
        tender = _lock_tender(tender)
        _require_status(tender, Status.DRAFT)
        if tender.deadline <= now:
            raise TenderError(ERR_DEADLINE_PAST)
        tender.published_at = now
        deadline = f"{timezone.localtime(tender.deadline):%Y-%m-%d %H:%M}"
        _move(tender, Status.TENDERING, actor=actor, note=f"发布招标公告，投标截止{deadline}", fields=["published_at"],
              at=now)
    return tender


def _valid_count(tender: Tender) -> int:
    return sum(1 for bid in tender.bids.all() if bid.is_valid)


def _fail(tender: Tender, *, actor: Any, reason: str, at: datetime | None = None) -> None:
    tender.failure_reason = reason[:300]
    _move(tender, Status.FAILED, actor=actor, note=reason, fields=["failure_reason"], at=at)


def tender_close(*, tender: Tender, actor: Any, now: datetime | None = None) -> Tender:
    """招标中 → 资格审查 once the deadline has passed: open the bids, re-run every validity check, and fail the
    tender (流标) when fewer valid bids than its minimum remain."""
    _require_province_admin(actor)
    now = _now(now)
    with transaction.atomic():
        tender = _lock_tender(tender)
        _require_status(tender, Status.TENDERING)
        if now <= tender.deadline:
            raise TenderError(ERR_DEADLINE_NOT_REACHED.format(
                deadline=f"{timezone.localtime(tender.deadline):%Y-%m-%d %H:%M}"))
        tender.closed_at = now
        _recheck_bids(tender)
        count = tender.bids.count()
        _move(tender, Status.QUALIFICATION, actor=actor, note=f"开标，收到投标{count}份", fields=["closed_at"], at=now)
        valid = _valid_count(tender)
        if valid < tender.min_valid_bids:
            _fail(tender, actor=actor, reason=ERR_TOO_FEW_VALID.format(valid=valid, minimum=tender.min_valid_bids),
                  at=now)
    return tender


def _active_assignments(tender: Tender, stage: str) -> list[ExpertAssignment]:
    return list(tender.assignments.filter(stage=stage, recused_at__isnull=True).select_related("expert"))


def _conflicts(experts: Iterable[Expert], institution_ids: set[int]) -> list[tuple[Expert, list[str]]]:
    """Experts linked (Expert.institutions) to any of the institutions, with the names of those institutions."""
    found = []
    for expert in experts:
        linked = [i.name for i in expert.institutions.all() if i.pk in institution_ids]
        if linked:
            found.append((expert, linked))
    return found


def _bidder_ids(tender: Tender) -> set[int]:
    return set(BidMember.objects.filter(bid__tender=tender).values_list("institution_id", flat=True))


def _candidate_ids(tender: Tender) -> set[int]:
    return set(Candidate.objects.filter(selection__tender=tender).values_list("institution_id", flat=True))


def _require_no_conflicts(tender: Tender, stage: str) -> None:
    ids = _bidder_ids(tender) if stage == Stage.EVALUATION else _candidate_ids(tender)
    found = _conflicts([a.expert for a in _active_assignments(tender, stage)], ids)
    if found:
        expert, names = found[0]
        raise ConflictOfInterest(ERR_CONFLICT.format(expert=expert.name, institutions="、".join(names)))


def tender_start_evaluation(*, tender: Tender, actor: Any, now: datetime | None = None) -> Tender:
    """资格审查 → 评审, with enough experts and none linked to a bidder; too few valid bids left → 流标."""
    _require_province_admin(actor)
    with transaction.atomic():
        tender = _lock_tender(tender)
        _require_status(tender, Status.QUALIFICATION)
        valid = _valid_count(tender)
        if valid < tender.min_valid_bids:
            _fail(tender, actor=actor, reason=ERR_TOO_FEW_VALID.format(valid=valid, minimum=tender.min_valid_bids),
                  at=now)
            return tender
        active = _active_assignments(tender, Stage.EVALUATION)
        if len(active) < settings.TENDERS_MIN_EXPERTS:
            raise TenderError(ERR_TOO_FEW_EXPERTS.format(minimum=settings.TENDERS_MIN_EXPERTS, count=len(active)))
        _require_no_conflicts(tender, Stage.EVALUATION)
        _move(tender, Status.EVALUATION, actor=actor,
              note=f"资格审查完成，有效投标{valid}份，评审专家{len(active)}人", at=now)
    return tender


def tender_cancel(*, tender: Tender, actor: Any, reason: str, note: str = "", now: datetime | None = None) -> Tender:
    """Any unfinished state → 终止, with one of the reasons the procurement rules allow."""
    _require_province_admin(actor)
    if reason not in Tender.CancelReason.values:
        raise TenderError(ERR_CANCEL_REASON)
    with transaction.atomic():
        tender = _lock_tender(tender)
        if tender.is_final:
            raise TenderError(ERR_CANCEL_FINAL.format(status=tender.get_status_display()))
        live = list(tender.awards.filter(status=Award.Status.STANDSTILL))
        for award in live:
            award.status = Award.Status.DISQUALIFIED
            award.ended_reason = f"招标终止：{Tender.CancelReason(reason).label}"
            award.save(update_fields=["status", "ended_reason", "updated_at"])
        tender.cancel_reason = reason
        tender.cancel_note = note.strip()[:500]
        label = Tender.CancelReason(reason).label
        note_text = f"{label}：{tender.cancel_note}" if tender.cancel_note else label
        _move(tender, Status.CANCELLED, actor=actor, note=note_text, fields=["cancel_reason", "cancel_note"], at=now)
    return tender


def tender_document_add(*, tender: Tender, actor: Any, kind: str, title: str, upload: IO[bytes],
                        filename: str, now: datetime | None = None) -> TenderDocument:
    """Attach a protocol document (PDF or Word, checked by content) to a tender step."""
    _require_province_admin(actor)
    if kind not in TenderDocument.Kind.values:
        raise TenderError("未知的文件类型。")
    name, checked = _store_document(upload, filename, f"tenders/{tender.pk}/protocol")
    try:
        with transaction.atomic():
            tender = _lock_tender(tender)
            document = TenderDocument(tender=tender, kind=kind, title=title.strip() or checked.display_name,
                                      original_name=checked.display_name, content_type=checked.file_type.mime,
                                      size=checked.size, sha256=checked.sha256, uploaded_by=actor,
                                      created_at=_now(now))
            document.file.name = name
            _full_clean(document)
            document.save()
            audit_record(actor=actor, action="tenders.document_add", obj=document,
                         detail={"tender": tender.code, "kind": kind, "sha256": checked.sha256})
    except BaseException:
        _delete_stored([name])
        raise
    return document


# --- bids (TENDER-3, TENDER-4, TENDER-5) --------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentChoice:
    """Who delivers one component in a bid, and for hosted components, where (TENDER-5)."""

    institution: Institution
    host_school: School | None = None
    host_name: str = ""


@dataclass(frozen=True)
class Upload:
    file: IO[bytes]
    name: str


def _lead_problems(tender: Tender, lead: Institution) -> list[str]:
    """The qualifications the tender asks of the lead."""
    problems = []
    if tender.required_lead_kinds and lead.kind not in tender.required_lead_kinds:
        labels = dict(Institution.Kind.choices)
        problems.append(WHY_LEAD_KIND.format(name=lead.name, kind=lead.get_kind_display(),
                                             required="、".join(labels.get(k, k) for k in tender.required_lead_kinds)))
    if tender.lead_on_remote_list and not lead.on_remote_list:
        problems.append(WHY_LEAD_REMOTE.format(name=lead.name))
    return problems


def bid_problems(bid: Bid, others: Sequence[Bid] = ()) -> list[str]:
    """The automatic validity checks of one bid, each with its reason (TENDER-4 and the tender's requirements);
    `others` are the lot's other bids, for the check that no institution is in two of them."""
    tender = bid.tender
    problems = _lead_problems(tender, bid.lead)
    for part in bid.components.all():
        if part.component.kind == ProjectComponent.Kind.WORKSHOP and not part.institution.on_remote_list:
            problems.append(WHY_WORKSHOP.format(name=part.institution.name))
    if tender.max_price is not None and bid.price > tender.max_price:
        problems.append(WHY_MAX_PRICE.format(price=bid.price, limit=tender.max_price))
    mine = {m.institution_id: m.institution.name for m in bid.members.all()}
    for other in others:
        if other.pk == bid.pk:
            continue
        shared = [name for pk, name in mine.items() if pk in {m.institution_id for m in other.members.all()}]
        for name in shared:
            problems.append(WHY_TWO_CONSORTIA.format(name=name, other=f"牵头单位：{other.lead.name}"))
    return problems


def _recheck_bids(tender: Tender) -> None:
    """Re-run the validity checks on every bid of the tender and store the reasons (one query per table)."""
    bids = list(Bid.objects.filter(tender=tender).select_related("lead", "tender").prefetch_related(
        "members__institution", "components__component", "components__institution"))
    for bid in bids:
        problems = bid_problems(bid, bids)
        if problems != bid.problems:
            bid.problems = problems
            bid.save(update_fields=["problems", "updated_at"])


def bid_submit(*, tender: Tender, actor: Any, lead: Institution, partners: Sequence[Institution],
               components: Mapping[int, ComponentChoice], price: Any, documents: Mapping[str, Upload],
               now: datetime | None = None, is_demo: bool = False) -> Bid:
    """Submit a bid by one institution or a consortium (TENDER-3).

    Refused outright: after the deadline, a second bid by the same lead, a component without a deliverer or a
    hosted component without a host (TENDER-5), a missing document. Accepted but invalid, with the reason stored
    on the bid: the workshop given to an institution not on the remote list (TENDER-4), a lead without the
    qualifications asked, a price over the ceiling, an institution in two bids of the lot (both bids flagged).
    """
    now = _now(now)
    if not has_role(actor, Role.INSTITUTION_STAFF) or lead.pk not in institution_ids_of(actor):
        raise BidRefused(ERR_NOT_YOUR_INSTITUTION)
    try:
        amount = money(price)
    except TenderError:
        raise BidRefused(ERR_PRICE) from None
    partners = [p for p in dict.fromkeys(partners)]
    if any(p.pk == lead.pk for p in partners):
        raise BidRefused(ERR_PARTNER_IS_LEAD)
    for kind in BidDocument.Kind.values:
        if kind not in documents:
            raise BidRefused(ERR_DOCUMENT_MISSING.format(kind=BidDocument.Kind(kind).label))
    stored: list[str] = []
    try:
        with transaction.atomic():
            tender = _lock_tender(tender)
            if tender.status != Status.TENDERING:
                raise BidRefused(ERR_NOT_OPEN.format(status=tender.get_status_display()))
            if now > tender.deadline:
                raise BidRefused(ERR_LATE.format(deadline=f"{timezone.localtime(tender.deadline):%Y-%m-%d %H:%M}"))
            if Bid.objects.filter(tender=tender, lead=lead).exists():
                raise BidRefused(ERR_SECOND_BID.format(lead=lead.name))
            project_components = {c.pk: c for c in tender.project.components.all()}
            unknown = set(components) - set(project_components)
            if unknown:
                raise BidRefused(ERR_COMPONENT_UNKNOWN)
            missing = [c.get_kind_display() for pk, c in project_components.items() if pk not in components]
            if missing:
                raise BidRefused(ERR_COMPONENT_MISSING.format(kinds="、".join(missing)))
            member_ids = {lead.pk, *(p.pk for p in partners)}
            for pk, choice in components.items():
                component = project_components[pk]
                if choice.institution.pk not in member_ids:
                    raise BidRefused(ERR_COMPONENT_NOT_MEMBER.format(kind=component.get_kind_display(),
                                                                     name=choice.institution.name))
                if component.kind in HOSTED_KINDS and not (choice.host_school or choice.host_name.strip()):
                    raise BidRefused(ERR_HOST_MISSING.format(kind=component.get_kind_display()))
            bid = Bid(tender=tender, lead=lead, price=amount, submitted_by=actor, submitted_at=now, is_demo=is_demo)
            _full_clean(bid, exclude=["submitted_by"])
            try:
                with transaction.atomic():
                    bid.save()
            except IntegrityError:
                raise BidRefused(ERR_SECOND_BID.format(lead=lead.name)) from None
            BidMember.objects.create(bid=bid, institution=lead, role=BidMember.Role.LEAD)
            for partner in partners:
                BidMember.objects.create(bid=bid, institution=partner, role=BidMember.Role.PARTNER)
            for pk, choice in components.items():
                part = BidComponent(bid=bid, component=project_components[pk], institution=choice.institution,
                                    host_school=choice.host_school if project_components[pk].kind in HOSTED_KINDS
                                    else None,
                                    host_name=choice.host_name.strip() if project_components[pk].kind in HOSTED_KINDS
                                    else "")
                _full_clean(part)
                part.save()
            for kind, upload in documents.items():
                name, checked = _store_document(upload.file, upload.name, f"tenders/{tender.pk}/bids")
                stored.append(name)
                document = BidDocument(bid=bid, kind=kind, original_name=checked.display_name,
                                       content_type=checked.file_type.mime, size=checked.size, sha256=checked.sha256)
                document.file.name = name
                document.save()
            _recheck_bids(tender)
            bid.refresh_from_db(fields=["problems"])
            audit_record(actor=actor, action="tenders.bid_submit", obj=bid,
                         detail={"tender": tender.code, "lead": lead.name, "partners": [p.name for p in partners],
                                 "valid": bid.is_valid, "problems": bid.problems})
    except BaseException:
        _delete_stored(stored)
        raise
    return bid


def bid_disqualify(*, bid: Bid, actor: Any, reason: str) -> Bid:
    """The province takes a bid out of the competition, with a reason (qualification review or later)."""
    _require_province_admin(actor)
    if not reason.strip():
        raise TenderError(ERR_DISQUALIFY_REASON)
    with transaction.atomic():
        tender = _lock_tender(bid.tender)
        if tender.status not in (Status.QUALIFICATION, Status.EVALUATION, Status.STANDSTILL):
            raise TenderError(ERR_DISQUALIFY_STATE)
        bid = Bid.objects.select_for_update().get(pk=bid.pk)
        bid.disqualified_reason = reason.strip()[:500]
        bid.save(update_fields=["disqualified_reason", "updated_at"])
        audit_record(actor=actor, action="tenders.bid_disqualify", obj=bid,
                     detail={"tender": tender.code, "lead": bid.lead.name, "reason": bid.disqualified_reason})
    return bid


# --- experts and scores -------------------------------------------------------------------------------------
def expert_assign(*, tender: Tender, actor: Any, expert: Expert, stage: str = Stage.EVALUATION) -> ExpertAssignment:
    """Put an expert with an account on a tender's panel; an expert linked to a bidder (or candidate) is refused
    (conflict of interest), and the refusal is audited."""
    _require_province_admin(actor)
    if expert.user_id is None or not expert.is_active:
        raise TenderError(ERR_EXPERT_NO_ACCOUNT.format(name=expert.name))
    with transaction.atomic():
        tender = _lock_tender(tender)
        if stage == Stage.EVALUATION:
            if tender.status not in (Status.QUALIFICATION, Status.EVALUATION):
                raise TenderError(ERR_ASSIGN_STATE)
            ids = _bidder_ids(tender)
        else:
            selection = getattr(tender, "selection", None)
            if selection is None or selection.status == ExpertSelection.Status.CONFIRMED:
                raise TenderError(ERR_ASSIGN_STATE)
            ids = _candidate_ids(tender)
        if ExpertAssignment.objects.filter(tender=tender, stage=stage, expert=expert).exists():
            raise TenderError(ERR_EXPERT_TWICE.format(name=expert.name))
        found = _conflicts([expert], ids)
        if not found:
            assignment = ExpertAssignment.objects.create(tender=tender, stage=stage, expert=expert, assigned_by=actor)
            audit_record(actor=actor, action="tenders.expert_assign", obj=assignment,
                         detail={"tender": tender.code, "expert": expert.name, "stage": stage})
            return assignment
    names = found[0][1]
    audit_record(actor=actor, action="tenders.expert_conflict_refused", obj=tender,
                 detail={"expert": expert.name, "institutions": names, "stage": stage})
    raise ConflictOfInterest(ERR_CONFLICT.format(expert=expert.name, institutions="、".join(names)))


def _own_assignment(assignment: ExpertAssignment, actor: Any) -> ExpertAssignment:
    locked = (ExpertAssignment.objects.select_for_update(of=("self",)).select_related("expert", "tender")
              .get(pk=assignment.pk))
    if locked.expert.user_id != getattr(actor, "pk", None) or not has_role(actor, Role.EXPERT):
        raise TenderError(ERR_NOT_YOUR_ASSIGNMENT)
    return locked


def expert_declare(*, assignment: ExpertAssignment, actor: Any, no_conflict: bool, reason: str = "",
                   now: datetime | None = None) -> ExpertAssignment:
    """The expert declares having no link to any bidder (then may score), or declares a conflict and recuses."""
    now = _now(now)
    with transaction.atomic():
        assignment = _own_assignment(assignment, actor)
        if assignment.recused_at:
            raise TenderError(ERR_RECUSED)
        if assignment.submitted_at:
            raise TenderError(ERR_ALREADY_SUBMITTED)
        if no_conflict:
            assignment.declared_at = now
            assignment.save(update_fields=["declared_at", "updated_at"])
            action, detail = "tenders.expert_declare", {"no_conflict": "是"}
        else:
            if not reason.strip():
                raise TenderError(ERR_RECUSE_REASON)
            assignment.recused_at = now
            assignment.recusal_reason = reason.strip()[:300]
            assignment.save(update_fields=["recused_at", "recusal_reason", "updated_at"])
            action, detail = "tenders.expert_recuse", {"reason": assignment.recusal_reason}
        audit_record(actor=actor, action=action, obj=assignment,
                     detail={"tender": assignment.tender.code, "stage": assignment.stage, **detail})
    return assignment


def _ready_to_score(assignment: ExpertAssignment) -> None:
    if assignment.recused_at:
        raise TenderError(ERR_RECUSED)
    if assignment.submitted_at:
        raise TenderError(ERR_ALREADY_SUBMITTED)
    if not assignment.declared_at:
        raise TenderError(ERR_NOT_DECLARED)
    tender = assignment.tender
    if assignment.stage == Stage.EVALUATION:
        if tender.status != Status.EVALUATION:
            raise TenderError(ERR_SCORE_STATE)
    elif getattr(tender, "selection", None) is None or tender.selection.status != ExpertSelection.Status.SCORING:
        raise TenderError(ERR_SCORE_STATE)


def _score_value(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        raise TenderError(ERR_SCORE_RANGE) from None
    if not number.is_finite() or number < 0 or number > 100:
        raise TenderError(ERR_SCORE_RANGE)
    return number.quantize(Decimal("0.01"))


def score_save(*, assignment: ExpertAssignment, actor: Any, bid: Bid, technical: Any, team: Any,
               comment: str = "") -> Score:
    """An expert's own scores of one valid bid; nobody else sees them until the whole panel has submitted."""
    technical_value, team_value = _score_value(technical), _score_value(team)
    with transaction.atomic():
        assignment = _own_assignment(assignment, actor)
        _ready_to_score(assignment)
        if assignment.stage != Stage.EVALUATION or bid.tender_id != assignment.tender_id or not bid.is_valid:
            raise TenderError(ERR_SCORE_TARGET)
        member_ids = set(bid.members.values_list("institution_id", flat=True))
        found = _conflicts([assignment.expert], member_ids)
        if found:
            raise ConflictOfInterest(ERR_CONFLICT.format(expert=assignment.expert.name,
                                                         institutions="、".join(found[0][1])))
        score, _ = Score.objects.update_or_create(
            assignment=assignment, bid=bid,
            defaults={"technical": technical_value, "team": team_value, "comment": comment.strip()[:500]},
        )
        audit_record(actor=actor, action="tenders.score_save", obj=assignment,
                     detail={"tender": assignment.tender.code, "bid": bid.pk})
    return score


def candidate_score_save(*, assignment: ExpertAssignment, actor: Any, candidate: Candidate, score: Any,
                         comment: str = "") -> CandidateScore:
    """An expert's own score of one candidate in an expert selection (TENDER-6)."""
    value = _score_value(score)
    with transaction.atomic():
        assignment = _own_assignment(assignment, actor)
        _ready_to_score(assignment)
        if assignment.stage != Stage.SELECTION or candidate.selection.tender_id != assignment.tender_id:
            raise TenderError(ERR_SCORE_TARGET)
        if _conflicts([assignment.expert], {candidate.institution_id}):
            raise ConflictOfInterest(ERR_CONFLICT.format(expert=assignment.expert.name,
                                                         institutions=candidate.institution.name))
        row, _ = CandidateScore.objects.update_or_create(
            assignment=assignment, candidate=candidate, defaults={"score": value, "comment": comment.strip()[:500]})
        audit_record(actor=actor, action="tenders.candidate_score_save", obj=assignment,
                     detail={"tender": assignment.tender.code, "candidate": candidate.institution.name})
    return row


def scores_submit(*, assignment: ExpertAssignment, actor: Any, now: datetime | None = None) -> ExpertAssignment:
    """Seal the expert's scores: every valid bid (or candidate) must be scored; nothing changes afterwards."""
    now = _now(now)
    with transaction.atomic():
        assignment = _own_assignment(assignment, actor)
        _ready_to_score(assignment)
        if assignment.stage == Stage.EVALUATION:
            targets = {b.pk for b in assignment.tender.bids.all() if b.is_valid}
            done = set(assignment.scores.values_list("bid_id", flat=True))
        else:
            targets = set(assignment.tender.selection.candidates.values_list("pk", flat=True))
            done = set(assignment.candidate_scores.values_list("candidate_id", flat=True))
        missing = targets - done
        if missing:
            raise TenderError(ERR_SCORES_INCOMPLETE.format(n=len(missing)))
        assignment.submitted_at = now
        assignment.save(update_fields=["submitted_at", "updated_at"])
        audit_record(actor=actor, action="tenders.scores_submit", obj=assignment,
                     detail={"tender": assignment.tender.code, "stage": assignment.stage, "count": len(targets)})
    return assignment


def panel_complete(tender: Tender, stage: str) -> bool:
    """True when every expert still on the panel has submitted (the scores are then unsealed)."""
    active = _active_assignments(tender, stage)
    return bool(active) and all(a.submitted_at for a in active)


# --- awards (TENDER-2 cap, fallback) ------------------------------------------------------------------------
def it20_institutions(plan: AnnualPlan) -> dict[int, str]:
    """Distinct institutions holding a live IT 2.0 award in the plan's year (TENDER-2), id → name."""
    rows = (Award.objects.filter(project__plan__province=plan.province, project__plan__year=plan.year,
                                 project__is_it20=True, status__in=Award.LIVE_STATUSES)
            .values_list("institution_id", "institution__name").distinct())
    return dict(rows)


def _check_it20_cap(project: Project, institution: Institution) -> None:
    """TENDER-2: refuse an IT 2.0 award that would make more than IT20_MAX_INSTITUTIONS distinct institutions in
    the year. The caller holds the plan row's lock, so two awards cannot both pass this check."""
    if not project.is_it20:
        return
    held = it20_institutions(project.plan)
    if institution.pk in held:
        return
    cap = settings.IT20_MAX_INSTITUTIONS
    if len(held) + 1 > cap:
        raise CapExceeded(ERR_IT20_CAP.format(year=project.plan.year, count=len(held),
                                              names="、".join(sorted(held.values())), institution=institution.name,
                                              cap=cap))


def _submitted_scores(tender: Tender) -> list[Score]:
    return list(Score.objects.filter(assignment__tender=tender, assignment__stage=Stage.EVALUATION,
                                     assignment__recused_at__isnull=True, assignment__submitted_at__isnull=False))


def _eligible_bids(tender: Tender) -> list[Bid]:
    """Valid bids whose lead has not already held (and lost) an award in this tender."""
    ended = set(tender.awards.exclude(status__in=Award.LIVE_STATUSES).values_list("bid_id", flat=True))
    return [b for b in tender.bids.select_related("lead").order_by("pk") if b.is_valid and b.pk not in ended]


def _new_award(*, tender: Tender, bid: Bid, actor: Any, now: datetime, fallback_from: Award | None = None) -> Award:
    _check_it20_cap(tender.project, bid.lead)
    award = Award(project=tender.project, county=tender.county, tender=tender, bid=bid, institution=bid.lead,
                  kind=Award.Kind.TENDER, amount=bid.price, rank=bid.rank, score=bid.score,
                  fallback_from=fallback_from, standstill_until=now + timedelta(days=tender.standstill_days),
                  decided_by=actor, is_demo=tender.is_demo)
    _full_clean(award, exclude=["decided_by", "fallback_from"])
    award.save()
    tender.standstill_until = award.standstill_until
    return award


def award_make(*, tender: Tender, actor: Any, now: datetime | None = None) -> Award:
    """评审 → 定标公示: rank the valid bids from the unsealed scores and award the best one.

    Refused while any expert on the panel has not submitted (scores are sealed), and for an IT 2.0 lot when the
    winner would be one institution too many (TENDER-2).
    """
    _require_province_admin(actor)
    now = _now(now)
    with transaction.atomic():
        tender = _lock_plan_then_tender(tender)
        _require_status(tender, Status.EVALUATION)
        active = _active_assignments(tender, Stage.EVALUATION)
        if len(active) < settings.TENDERS_MIN_EXPERTS:
            raise TenderError(ERR_TOO_FEW_EXPERTS.format(minimum=settings.TENDERS_MIN_EXPERTS, count=len(active)))
        if not panel_complete(tender, Stage.EVALUATION):
            raise TenderError(ERR_SCORES_SEALED)
        bids = [b for b in tender.bids.select_related("lead").order_by("pk") if b.is_valid]
        if not bids:
            raise TenderError(ERR_NO_VALID_BID)
        ranked, use_past = rank_bids(tender, bids, _submitted_scores(tender))
        for row in ranked:
            row.bid.score, row.bid.rank = row.total, row.rank
            row.bid.save(update_fields=["score", "rank", "updated_at"])
        winner = ranked[0].bid
        award = _new_award(tender=tender, bid=winner, actor=actor, now=now)
        note = (f"第一名：{winner.lead.name}（综合得分{winner.score}），公示至"
                f"{timezone.localtime(award.standstill_until):%Y-%m-%d}")
        if not use_past and tender.weight_past:
            note += "；以往绩效暂无评估结果，其权重已按比例分配给其他评分项"
        _move(tender, Status.STANDSTILL, actor=actor, note=note, fields=["standstill_until"], at=now)
        audit_record(actor=actor, action="tenders.award_make", obj=award,
                     detail={"tender": tender.code, "institution": winner.lead.name, "amount": str(award.amount),
                             "ranking": [[r.bid.lead.name, str(r.total)] for r in ranked]})
    return award


def award_end(*, award: Award, actor: Any, status: str, reason: str, now: datetime | None = None) -> Award | None:
    """The winner declines, or is disqualified, during the standstill: the award passes to the next valid bid in
    the ranking (the new award records the fallback). With no valid bid left the tender fails (流标).

    Returns the new award, or None when the tender failed.
    """
    _require_province_admin(actor)
    if status not in (Award.Status.DECLINED, Award.Status.DISQUALIFIED):
        raise TenderError(ERR_AWARD_END_STATE)
    if not reason.strip():
        raise TenderError(ERR_AWARD_END_REASON)
    now = _now(now)
    with transaction.atomic():
        if award.tender is None:
            raise TenderError(ERR_AWARD_END_STATE)
        tender = _lock_plan_then_tender(award.tender)
        award = Award.objects.select_for_update().get(pk=award.pk)
        if award.status != Award.Status.STANDSTILL:
            raise TenderError(ERR_AWARD_END_STATE)
        award.status = status
        award.ended_reason = reason.strip()[:500]
        award.save(update_fields=["status", "ended_reason", "updated_at"])
        if award.bid_id and status == Award.Status.DISQUALIFIED:
            Bid.objects.filter(pk=award.bid_id).update(disqualified_reason=f"取消中标资格：{award.ended_reason}"[:500])
        label = Award.Status(status).label
        audit_record(actor=actor, action="tenders.award_end", obj=award,
                     detail={"tender": tender.code, "institution": award.institution.name, "status": status,
                             "reason": award.ended_reason})
        if award.kind == Award.Kind.EXPERT_SELECTED:
            # An expert selection's winner who drops out sends the lot back to the province to confirm again.
            selection = tender.selection
            selection.status = ExpertSelection.Status.SCORING
            selection.confirmed_at = None
            selection.save(update_fields=["status", "confirmed_at", "updated_at"])
            _event(tender, actor=actor, at=now,
                   note=f"专家遴选结果{label}（{award.institution.name}）：{award.ended_reason}")
            return None
        ranked = sorted((b for b in _eligible_bids(tender) if b.rank is not None), key=lambda b: b.rank or 0)
        if not ranked:
            _fail(tender, actor=actor, reason=f"{award.institution.name}{label}；{WHY_FAILED_AFTER_AWARD}", at=now)
            return None
        successor = _new_award(tender=tender, bid=ranked[0], actor=actor, now=now, fallback_from=award)
        tender.save(update_fields=["standstill_until", "updated_at"])
        until = f"{timezone.localtime(successor.standstill_until):%Y-%m-%d}"
        _event(tender, actor=actor, at=now,
               note=f"{award.institution.name}{label}（{award.ended_reason}），由第{successor.rank}名"
                    f"{successor.institution.name}递补，重新公示至{until}")
        audit_record(actor=actor, action="tenders.award_fallback", obj=successor,
                     detail={"tender": tender.code, "from": award.institution.name,
                             "to": successor.institution.name, "rank": successor.rank})
    return successor


def _contract_code(award: Award) -> str:
    return f"HT-{award.project.plan.year}-{award.pk:05d}"


def _make_contract(*, award: Award, actor: Any, now: datetime, override_reason: str) -> Contract:
    """Create the contract with its members and component split, commit its amount in the project's special
    funds (PLAN-6; FundsError if it would overspend without the finance override), open its course plan and
    announce it (`contract_signed`: the teacher database makes the lead the project's intake, MGMT-5)."""
    project = award.project
    code = _contract_code(award)
    reference = f"{code} 承训合同"
    if award.tender_id:
        reference += f"（{award.tender.code}）"
    elif award.reference_2019:
        reference += f"（延续2019年：{award.reference_2019}）"
    # The funds page may already hold this contract's commitment (recorded by the finance officer before the
    # award was registered): the same payee and amount, not yet tied to a contract. Link it rather than count the
    # money twice.
    linked = True
    commitment = (Commitment.objects.select_for_update(of=("self",)).filter(
        project=project, payee=award.institution.name, amount=award.amount, contract__isnull=True)
        .order_by("pk").first())
    if commitment is None:
        linked = False
        commitment = commitment_record(project=project, amount=award.amount, payee=award.institution.name,
                                       reference=reference[:200], actor=actor, override_reason=override_reason,
                                       is_demo=award.is_demo)
    contract = Contract(award=award, project=project, county=award.county, code=code, lead=award.institution,
                        amount=award.amount, commitment=commitment, signed_by=actor, signed_at=now,
                        is_demo=award.is_demo)
    _full_clean(contract, exclude=["signed_by", "commitment", "award"])
    contract.save()
    if award.bid_id:
        for member in award.bid.members.select_related("institution"):
            ContractMember.objects.create(contract=contract, institution=member.institution, role=member.role)
        for part in award.bid.components.all():
            ContractComponent.objects.create(contract=contract, component=part.component,
                                             institution=part.institution, host_school=part.host_school,
                                             host_name=part.host_name)
    else:
        ContractMember.objects.create(contract=contract, institution=award.institution, role=BidMember.Role.LEAD)
        for component in project.components.all():
            ContractComponent.objects.create(contract=contract, component=component, institution=award.institution)
    CoursePlan.objects.create(award=award, project=project, county=award.county, institution=award.institution,
                              title=f"{award.lot_label}课程方案"[:200], is_demo=award.is_demo)
    audit_record(actor=actor, action="tenders.contract_sign", obj=contract,
                 detail={"code": code, "lead": award.institution.name, "amount": str(award.amount),
                         "commitment": commitment.pk, "linked_existing_commitment": linked,
                         "override": bool(commitment.override_reason)})
    # Sent by every signing (tender, expert selection, 2019 continuation), inside the caller's transaction.
    contract_signed.send(sender=Contract, contract=contract, actor=actor)
    return contract


def contract_sign(*, award: Award, actor: Any, override_reason: str = "", now: datetime | None = None) -> Contract:
    """After the standstill, sign the delivery contract: lead, partners, components, hosts and amount; its amount
    becomes a commitment in the project's special funds, refused (FundsError) if it would overspend unless a
    province finance officer gives an override reason. A tender's lot is then complete."""
    if not has_role(actor, Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE):
        raise TenderError(ERR_NOT_CONTRACT_ROLE)
    now = _now(now)
    with transaction.atomic():
        AnnualPlan.objects.select_for_update().get(pk=award.project.plan_id)
        award = (Award.objects.select_for_update(of=("self",))
                 .select_related("project__plan", "tender", "institution").get(pk=award.pk))
        if award.status != Award.Status.STANDSTILL:
            raise TenderError(ERR_CONTRACT_STATE.format(status=award.get_status_display()))
        if award.standstill_until and now < award.standstill_until:
            raise TenderError(ERR_STANDSTILL.format(
                until=f"{timezone.localtime(award.standstill_until):%Y-%m-%d %H:%M}"))
        contract = _make_contract(award=award, actor=actor, now=now, override_reason=override_reason)
        award.status = Award.Status.CONTRACTED
        award.save(update_fields=["status", "updated_at"])
        if award.tender is not None and award.kind == Award.Kind.TENDER:
            tender = _lock_tender(award.tender)
            _move(tender, Status.COMPLETE, actor=actor, at=now,
                  note=f"签订合同{contract.code}，金额{contract.amount}元，承训机构{award.institution.name}")
        elif award.tender is not None:
            _event(award.tender, actor=actor, at=now,
                   note=f"专家遴选结果签订合同{contract.code}（{award.institution.name}）")
    return contract


def award_continuation(*, project: Project, actor: Any, amount: Any, override_reason: str = "",
                       now: datetime | None = None) -> Award:
    """TENDER-1: a project continuing from 2019 is awarded directly to its 2019 institution, without a tender,
    recorded with the 2019 reference; the contract and its commitment are made at once."""
    _require_province_admin(actor)
    value = money(amount)
    now = _now(now)
    with transaction.atomic():
        AnnualPlan.objects.select_for_update().get(pk=project.plan_id)
        project = (Project.objects.select_for_update(of=("self",))
                   .select_related("plan", "previous_institution").get(pk=project.pk))
        if not project.plan.has_been_published:
            raise TenderError(ERR_PLAN_UNPUBLISHED)
        if not project.continues_from_2019:
            raise TenderError(ERR_NOT_CONTINUATION)
        if project.previous_institution is None:
            raise TenderError(ERR_NO_PREVIOUS)
        if Award.objects.filter(project=project, status__in=Award.LIVE_STATUSES).exists():
            raise TenderError(ERR_LOT_TAKEN)
        _check_it20_cap(project, project.previous_institution)
        reference = f"2019年项目：{project.previous_project_name}；2019年承训机构：{project.previous_institution.name}"
        award = Award(project=project, institution=project.previous_institution, kind=Award.Kind.CONTINUATION,
                      amount=value, reference_2019=reference[:300], decided_by=actor, is_demo=project.is_demo)
        _full_clean(award, exclude=["decided_by"])
        award.save()
        audit_record(actor=actor, action="tenders.award_continuation", obj=award,
                     detail={"project": project.code, "institution": award.institution.name,
                             "amount": str(value), "reference_2019": award.reference_2019})
        _make_contract(award=award, actor=actor, now=now, override_reason=override_reason)
        award.status = Award.Status.CONTRACTED
        award.save(update_fields=["status", "updated_at"])
    return award


# --- expert selection after a failed tender (TENDER-6) ------------------------------------------------------
def selection_start(*, tender: Tender, actor: Any, is_demo: bool = False,
                    now: datetime | None = None) -> ExpertSelection:
    """A failed (流标) lot moves to expert selection among qualified institutions (TENDER-6)."""
    _require_province_admin(actor)
    with transaction.atomic():
        tender = _lock_tender(tender)
        if tender.status != Status.FAILED:
            raise TenderError(ERR_SELECTION_STATE)
        if ExpertSelection.objects.filter(tender=tender).exists():
            raise TenderError(ERR_SELECTION_EXISTS)
        if Award.objects.filter(_lot_q(tender.project, tender.county), status__in=Award.LIVE_STATUSES).exists():
            raise TenderError(ERR_LOT_TAKEN)
        selection = ExpertSelection.objects.create(tender=tender, started_by=actor, is_demo=is_demo)
        _event(tender, actor=actor, at=now, note="流标后转入专家遴选（TENDER-6）")
        audit_record(actor=actor, action="tenders.selection_start", obj=tender, detail={"code": tender.code})
    return selection


def _lock_selection(selection: ExpertSelection) -> ExpertSelection:
    return (ExpertSelection.objects.select_for_update(of=("self",))
            .select_related("tender__plan", "tender__project").get(pk=selection.pk))


def candidate_add(*, selection: ExpertSelection, actor: Any, institution: Institution, note: str = "") -> Candidate:
    """Name a qualified institution as a candidate; one that fails the lot's requirements is refused."""
    _require_province_admin(actor)
    with transaction.atomic():
        selection = _lock_selection(selection)
        if selection.status != ExpertSelection.Status.CANDIDATES:
            raise TenderError(ERR_SELECTION_STEP.format(status=selection.get_status_display()))
        problems = _lead_problems(selection.tender, institution)
        if problems:
            raise TenderError(ERR_NOT_QUALIFIED.format(name=institution.name, reasons="".join(problems)))
        if selection.candidates.filter(institution=institution).exists():
            raise TenderError(ERR_CANDIDATE_TWICE.format(name=institution.name))
        candidate = Candidate.objects.create(selection=selection, institution=institution, note=note.strip()[:300])
        audit_record(actor=actor, action="tenders.candidate_add", obj=selection.tender,
                     detail={"institution": institution.name, "note": candidate.note})
    return candidate


def selection_start_scoring(*, selection: ExpertSelection, actor: Any,
                            now: datetime | None = None) -> ExpertSelection:
    """Candidates fixed → the experts score them; enough experts, none linked to a candidate."""
    _require_province_admin(actor)
    with transaction.atomic():
        selection = _lock_selection(selection)
        if selection.status != ExpertSelection.Status.CANDIDATES:
            raise TenderError(ERR_SELECTION_STEP.format(status=selection.get_status_display()))
        if not selection.candidates.exists():
            raise TenderError(ERR_NO_CANDIDATES)
        active = _active_assignments(selection.tender, Stage.SELECTION)
        if len(active) < settings.TENDERS_MIN_EXPERTS:
            raise TenderError(ERR_TOO_FEW_EXPERTS.format(minimum=settings.TENDERS_MIN_EXPERTS, count=len(active)))
        _require_no_conflicts(selection.tender, Stage.SELECTION)
        selection.status = ExpertSelection.Status.SCORING
        selection.save(update_fields=["status", "updated_at"])
        _event(selection.tender, actor=actor, at=now,
               note=f"专家遴选：候选机构{selection.candidates.count()}家，专家{len(active)}人开始评分")
        audit_record(actor=actor, action="tenders.selection_scoring", obj=selection.tender,
                     detail={"candidates": selection.candidates.count(), "experts": len(active)})
    return selection


def selection_confirm(*, selection: ExpertSelection, actor: Any, amount: Any,
                      now: datetime | None = None) -> Award:
    """The province confirms the experts' first-ranked candidate: an award like any other, marked expert-selected
    (TENDER-6), subject to the IT 2.0 cap and followed by the standstill and the contract."""
    _require_province_admin(actor)
    value = money(amount)
    now = _now(now)
    with transaction.atomic():
        tender = _lock_plan_then_tender(selection.tender)
        selection = _lock_selection(selection)
        if selection.status != ExpertSelection.Status.SCORING:
            raise TenderError(ERR_SELECTION_STEP.format(status=selection.get_status_display()))
        if not panel_complete(tender, Stage.SELECTION):
            raise TenderError(ERR_SCORES_SEALED)
        ended = set(tender.awards.exclude(status__in=Award.LIVE_STATUSES).values_list("institution_id", flat=True))
        candidates = [c for c in selection.candidates.select_related("institution") if c.institution_id not in ended]
        if not candidates:
            raise TenderError(ERR_NO_CANDIDATES)
        scores = CandidateScore.objects.filter(assignment__recused_at__isnull=True,
                                               assignment__submitted_at__isnull=False,
                                               candidate__selection=selection)
        ranked = rank_candidates(candidates, scores)
        for row in ranked:
            row.candidate.score, row.candidate.rank = row.average, row.rank
            row.candidate.save(update_fields=["score", "rank", "updated_at"])
        winner = ranked[0].candidate
        _check_it20_cap(tender.project, winner.institution)
        award = Award(project=tender.project, county=tender.county, tender=tender, institution=winner.institution,
                      kind=Award.Kind.EXPERT_SELECTED, amount=value, rank=1, score=winner.score,
                      standstill_until=now + timedelta(days=tender.standstill_days), decided_by=actor,
                      is_demo=tender.is_demo or selection.is_demo)
        _full_clean(award, exclude=["decided_by"])
        award.save()
        selection.status = ExpertSelection.Status.CONFIRMED
        selection.confirmed_at = now
        selection.save(update_fields=["status", "confirmed_at", "updated_at"])
        _event(tender, actor=actor, at=now, note=f"专家遴选确定{winner.institution.name}（平均得分{winner.score}），"
                                                 f"公示至{timezone.localtime(award.standstill_until):%Y-%m-%d}")
        audit_record(actor=actor, action="tenders.selection_confirm", obj=award,
                     detail={"tender": tender.code, "institution": winner.institution.name, "amount": str(value),
                             "ranking": [[r.candidate.institution.name, str(r.average)] for r in ranked]})
    return award


# --- course plans (COURSE-1 … COURSE-5, PLAN-5) -------------------------------------------------------------
def topic_catalogue() -> list[Tag]:
    return [Tag(code=t.code, name=t.name, group=t.group)
            for t in TopicTag.objects.filter(is_active=True).order_by("order", "code")]


def project_frame(project: Project) -> ProjectFrame:
    return ProjectFrame(hours=project.hours, is_it20=project.is_it20,
                        component_hours={c.kind: c.hours for c in project.components.all()})


def module_data(module: CourseModule) -> ModuleData:
    return ModuleData(title=module.title, component=module.component, theory_hours=module.theory_hours,
                      practice_hours=module.practice_hours, methods=tuple(module.methods),
                      topics=tuple(module.topics), expected_outputs=module.expected_outputs)


def plan_problems(plan: CoursePlan) -> list[str]:
    """The checker's findings on the saved plan."""
    return check_course_plan(project_frame(plan.project), [module_data(m) for m in plan.modules.all()],
                             topic_catalogue())


def _require_plan_owner(plan: CoursePlan, actor: Any) -> None:
    if not has_role(actor, Role.INSTITUTION_STAFF) or plan.institution_id not in institution_ids_of(actor):
        raise TenderError(ERR_NOT_PLAN_OWNER)


def _validate_modules(plan: CoursePlan, modules: Sequence[ModuleData]) -> None:
    kinds = set(plan.project.components.values_list("kind", flat=True)) or set(ProjectComponent.Kind.values)
    methods = set(CourseModule.Method.values)
    topics = set(TopicTag.objects.values_list("code", flat=True))
    if len(modules) > 200:
        raise TenderError(ERR_TOO_MANY_MODULES)
    for module in modules:
        if module.component not in kinds:
            raise TenderError(ERR_MODULE_COMPONENT.format(title=module.title))
        for value in module.methods:
            if value not in methods:
                raise TenderError(ERR_MODULE_METHOD.format(value=value))
        for value in module.topics:
            if value not in topics:
                raise TenderError(ERR_MODULE_TOPIC.format(value=value))
        for hours in (module.theory_hours, module.practice_hours):
            if not isinstance(hours, int) or not 0 <= hours <= 999:
                raise TenderError(ERR_MODULE_HOURS_RANGE)


def course_plan_save(*, plan: CoursePlan, actor: Any, modules: Sequence[ModuleData],
                     title: str | None = None) -> CoursePlan:
    """Save the draft's modules (all of them, replacing the previous draft); only a draft or returned plan."""
    _require_plan_owner(plan, actor)
    with transaction.atomic():
        plan = CoursePlan.objects.select_for_update(of=("self",)).select_related("project").get(pk=plan.pk)
        if not plan.is_editable:
            raise TenderError(ERR_PLAN_NOT_EDITABLE)
        _validate_modules(plan, modules)
        if title is not None and title.strip():
            plan.title = title.strip()[:200]
        plan.save(update_fields=["title", "updated_at"])
        plan.modules.all().delete()
        CourseModule.objects.bulk_create([
            CourseModule(plan=plan, order=n, title=m.title.strip()[:200], component=m.component,
                         theory_hours=m.theory_hours, practice_hours=m.practice_hours,
                         methods=list(dict.fromkeys(m.methods)), topics=list(dict.fromkeys(m.topics)),
                         expected_outputs=m.expected_outputs.strip()[:500])
            for n, m in enumerate(modules, start=1)
        ])
        audit_record(actor=actor, action="tenders.course_plan_save", obj=plan,
                     detail={"modules": len(modules), "hours": sum(m.hours for m in modules)})
    return plan


def plan_snapshot(plan: CoursePlan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "modules": [{"order": m.order, **module_data(m).as_dict()} for m in plan.modules.all()],
    }


def course_plan_submit(*, plan: CoursePlan, actor: Any, now: datetime | None = None) -> CoursePlan:
    """Submit the plan for the province's review; refused while the checker reports anything (COURSE-1 … 4,
    PLAN-5). Each submission is kept as a numbered version."""
    _require_plan_owner(plan, actor)
    now = _now(now)
    with transaction.atomic():
        plan = CoursePlan.objects.select_for_update(of=("self",)).select_related("project").get(pk=plan.pk)
        if not plan.is_editable:
            raise TenderError(ERR_PLAN_NOT_EDITABLE)
        problems = plan_problems(plan)
        if problems:
            raise CoursePlanIncomplete(problems)
        plan.version += 1
        plan.status = CoursePlan.Status.SUBMITTED
        plan.submitted_at = now
        plan.save(update_fields=["version", "status", "submitted_at", "updated_at"])
        CoursePlanVersion.objects.create(plan=plan, number=plan.version, snapshot=plan_snapshot(plan),
                                         submitted_by=actor, submitted_at=now)
        audit_record(actor=actor, action="tenders.course_plan_submit", obj=plan, detail={"version": plan.version})
    return plan


def course_plan_review(*, plan: CoursePlan, actor: Any, approve: bool, comment: str = "",
                       now: datetime | None = None) -> CoursePlan:
    """The province approves the submitted plan (it becomes delivery's template, COURSE-5) or returns it with
    comments for another version."""
    _require_province_admin(actor)
    comment = comment.strip()
    if not approve and not comment:
        raise TenderError(ERR_RETURN_COMMENT)
    now = _now(now)
    with transaction.atomic():
        plan = CoursePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != CoursePlan.Status.SUBMITTED:
            raise TenderError(ERR_PLAN_NOT_SUBMITTED)
        plan.status = CoursePlan.Status.APPROVED if approve else CoursePlan.Status.RETURNED
        plan.review_comment = comment[:1000]
        plan.reviewed_by = actor
        plan.reviewed_at = now
        plan.save(update_fields=["status", "review_comment", "reviewed_by", "reviewed_at", "updated_at"])
        decision = CoursePlanVersion.Decision.APPROVED if approve else CoursePlanVersion.Decision.RETURNED
        plan.versions.filter(number=plan.version).update(decision=decision, comment=comment[:1000],
                                                         reviewed_by=actor, reviewed_at=now, updated_at=now)
        audit_record(actor=actor, action="tenders.course_plan_approve" if approve else "tenders.course_plan_return",
                     obj=plan, detail={"version": plan.version, "comment": comment[:1000]})
    return plan
