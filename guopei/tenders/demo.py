"""The tenders' part of the demo world (示例): tenders of the 2020 plan in every state, bids and consortia, expert
panels, awards (with a fallback), a failed tender moved to expert selection, continuations from 2019, IT 2.0
county awards under the cap, contracts with their fund commitments, and course plans (approved, and one returned).

Everything runs through the real services with the demo accounts of guopei/orgs/demo.py (sheng_admin runs the
tenders, jigou_staff bids for 山西师范大学, zhuanjia scores), at dates of summer 2020; only the tender still taking
bids is dated from today so that it can be bid on. The institutions that bid get one demo staff account each and
two experts of the pool get accounts, so that every bid and every score is made by a person. Each scenario is found
again by its tender code (or by its project's award), so running the demo twice changes nothing.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from guopei.orgs.models import Expert, Institution, Membership, Region, School, User
from guopei.plans.models import AnnualPlan, Project

from . import services
from .checker import ModuleData
from .models import Award, CoursePlan, ExpertAssignment, Tender, TopicTag

Role = Membership.Role
YEAR = 2020
AGENCY = "山西省政府采购中心（示例）"


def _at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(YEAR, month, day, hour, minute))


PUBLISH, BIDDING, DEADLINE = _at(7, 15), _at(7, 25, 15), _at(7, 31, 17)
OPENING, EVALUATION, SCORING, AWARDING = _at(8, 1, 9, 30), _at(8, 3), _at(8, 4, 15), _at(8, 5, 10)
SIGNING, PLAN_SUBMIT, PLAN_REVIEW = _at(8, 10, 10), _at(8, 20, 10), _at(8, 25, 15)

# Demo staff accounts of the bidding institutions (山西师范大学's is jigou_staff, made by the orgs demo).
STAFF_USERNAMES = {
    "山西师范大学": "jigou_staff",
    "太原师范学院": "jigou_tysf",
    "山西大学": "jigou_sxdx",
    "山西大同大学": "jigou_dtdx",
    "忻州师范学院": "jigou_xzsf",
    "长治学院": "jigou_czxy",
    "运城学院": "jigou_ycxy",
    "吕梁学院": "jigou_llxy",
    "晋中学院": "jigou_jzxy",
    "山西省中小学教师培训中心": "jigou_pxzx",
    "中国教师研修网": "jigou_yxw",
    "奥鹏教师教育网": "jigou_aopeng",
    "全国中小学教师继续教育网": "jigou_jxjy",
    "山西教师教育网": "jigou_sxjsw",
}
EXPERT_USERNAMES = ("zhuanjia", "zhuanjia2", "zhuanjia3")

# How the topic catalogue is spread over the modules of the main component (COURSE-1, COURSE-3, COURSE-4).
TOPIC_MODULES = (
    ("习近平总书记关于教育的重要论述与师德师风建设", ("xi_on_education", "ethics_conduct"), "学习心得与师德承诺书"),
    ("三科统编教材解读与学科育德", ("unified_textbooks", "subject_moral_education", "subject_knowledge"),
     "学科育德教学设计一份"),
    ("课堂学习指导与有效教学", ("classroom_guidance",), "课堂观察量表与改进方案"),
    ("作业与考试命题设计工作坊", ("homework_exam_design",), "单元作业设计与命题双向细目表"),
    ("家校合作与家庭教育指导", ("home_school", "family_education"), "家长会设计方案"),
    ("疫情防控、健康卫生与学生视力保护", ("epidemic_prevention", "health_hygiene", "eyesight_protection"),
     "班级健康教育活动方案"),
    ("教师心理疏导与调适、信息安全", ("psych_counselling", "information_security"), "心理调适计划"),
    ("金融与诚信教育", ("finance_integrity",), "诚信主题班会设计"),
)
COMPONENT_MODULES = {
    "workshop": ("网络工作坊研修：课例研磨", ("workshop", "task_driven"), "磨课记录与改进课例"),
    "online": ("网络研修：专题课程学习与在线研讨", ("online_study", "task_driven"), "研修日志与在线作业"),
    "practice": ("返岗实践：课例实践与成果提交", ("field_practice", "task_driven"), "实践课例视频与反思"),
    "job_shadowing": ("跟岗研修：名校（园）跟岗实践", ("observation", "field_practice"), "跟岗日志与教学设计"),
    "shadow": ("影子培训：跟随名校长全程实践", ("observation", "field_practice"), "影子学习报告"),
    "school_visit": ("名校访学：浸润式观摩研讨", ("observation", "case_study"), "访学报告"),
    "face_to_face": ("集中研修：专题研讨与案例分析", ("lecture", "case_study", "task_driven"), "研讨成果汇编"),
}


@dataclass(frozen=True)
class DemoBid:
    lead: str
    price: str
    partners: tuple[str, ...] = ()
    scores: tuple[int, int] = (80, 80)
    host: str = ""  # "kg:<county code>": that county's first public kindergarten; otherwise a school outside


class Demo:
    """The accounts, documents and counters one build shares."""

    def __init__(self, stdout: Any, admin: User, finance: User) -> None:
        self.stdout = stdout
        self.admin = admin
        self.finance = finance
        self.created: dict[str, int] = defaultdict(int)
        self.institutions = {i.name: i for i in Institution.objects.all()}
        self._pdfs: dict[str, bytes] = {}
        self._staff: dict[str, User] = {}
        self.experts: list[Expert] = []

    # --- people -------------------------------------------------------------------------------------------
    def staff(self, institution: Institution) -> User:
        """The institution's demo staff account, made once."""
        if institution.name in self._staff:
            return self._staff[institution.name]
        username = STAFF_USERNAMES.get(institution.name, f"jigou_{institution.pk}")
        from guopei.orgs.demo import DEMO_PASSWORD

        user, made = User.objects.get_or_create(
            username=username, defaults={"full_name": f"{institution.name}项目办", "is_demo": True,
                                         "password": make_password(DEMO_PASSWORD)})
        Membership.objects.get_or_create(user=user, role=Role.INSTITUTION_STAFF,
                                         region_id=institution.region_id or "140000", institution=institution)
        self.created["accounts"] += made
        self._staff[institution.name] = user
        return user

    def panel(self) -> list[Expert]:
        """Three experts with accounts: zhuanjia and two experts of the pool without links to any institution."""
        if self.experts:
            return self.experts
        from guopei.orgs.demo import DEMO_PASSWORD

        first = Expert.objects.filter(user__username="zhuanjia").first()
        if first is None:
            return []
        experts = [first]
        for username in EXPERT_USERNAMES[1:]:
            expert = Expert.objects.filter(user__username=username).first()
            if expert is None:
                expert = (Expert.objects.filter(is_demo=True, is_active=True, user__isnull=True,
                                                institutions__isnull=True).order_by("name", "pk").first())
                if expert is None:
                    return []
                user = User.objects.create(username=username, full_name=expert.name, is_demo=True,
                                           password=make_password(DEMO_PASSWORD))
                Membership.objects.create(user=user, role=Role.EXPERT, region_id="140000")
                expert.user = user
                expert.save(update_fields=["user", "updated_at"])
                self.created["accounts"] += 1
            experts.append(expert)
        self.experts = experts
        return experts

    # --- documents ----------------------------------------------------------------------------------------
    def pdf(self, title: str) -> bytes:
        if title not in self._pdfs:
            from weasyprint import HTML

            html = ('<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">'
                    f"<h2>{title}（示例）</h2><p>本文件为国培计划管理平台的示例数据，仅用于演示招标流程。</p>"
                    "</body></html>")
            self._pdfs[title] = HTML(string=html).write_pdf()
        return self._pdfs[title]

    def upload(self, title: str) -> services.Upload:
        return services.Upload(file=io.BytesIO(self.pdf(title)), name=f"{title}.pdf")

    def protocol(self, tender: Tender, kind: str, title: str, at: datetime | None = None) -> None:
        services.tender_document_add(tender=tender, actor=self.admin, kind=kind, title=title, now=at,
                                     upload=io.BytesIO(self.pdf(title)), filename=f"{title}.pdf")

    # --- steps --------------------------------------------------------------------------------------------
    def tender(self, project: Project, code: str, *, county: Region | None = None, published: datetime = PUBLISH,
               deadline: datetime = DEADLINE, publish: bool = True, **terms: Any) -> Tender | None:
        """Create (and publish) the tender unless its code already exists; None when it does."""
        if Tender.objects.filter(code=code).exists():
            return None
        label = f"{project.name}（{county.name}）" if county else project.name
        data = services.TenderInput(code=code, title=f"{label}承训机构招标（示例）", agency=AGENCY,
                                    deadline=deadline, **terms)
        tender = services.tender_create(actor=self.admin, project=project, county=county, data=data, is_demo=True,
                                        now=published - timedelta(days=2))
        self.created["tenders"] += 1
        if publish:
            services.tender_publish(tender=tender, actor=self.admin, now=published)
            self.protocol(tender, "notice", "招标公告及招标文件", published)
        return tender

    def bid(self, tender: Tender, spec: DemoBid, now: datetime = BIDDING) -> Any:
        lead = self.institutions[spec.lead]
        partners = [self.institutions[name] for name in spec.partners]
        remote = next((p for p in partners if p.on_remote_list), None)
        choices = {}
        for component in tender.project.components.all():
            who = remote if component.kind == "workshop" and remote else lead
            if component.kind in ("job_shadowing", "shadow", "school_visit"):
                school = None
                if spec.host.startswith("kg:"):
                    school = (School.objects.filter(county_id=spec.host[3:], kind=School.Kind.KINDERGARTEN,
                                                    is_public=True).order_by("code").first())
                choices[component.pk] = services.ComponentChoice(
                    institution=who, host_school=school,
                    host_name="" if school else (spec.host or "北京市第一幼儿园（示例）"))
            else:
                choices[component.pk] = services.ComponentChoice(institution=who)
        documents = {"price": self.upload("投标报价文件"), "technical": self.upload("技术方案"),
                     "team": self.upload("团队构成")}
        self.created["bids"] += 1
        return services.bid_submit(tender=tender, actor=self.staff(lead), lead=lead, partners=partners,
                                   components=choices, price=spec.price, documents=documents, now=now,
                                   is_demo=True)

    def evaluate(self, tender: Tender, specs: Sequence[DemoBid], *, leave_first_expert: bool = False) -> None:
        """Open the bids, seat the panel, and let the experts declare, score and submit."""
        services.tender_close(tender=tender, actor=self.admin, now=OPENING)
        tender.refresh_from_db()
        if tender.status == Tender.Status.FAILED:
            return
        self.protocol(tender, "opening", "开标记录", OPENING)
        seats = [services.expert_assign(tender=tender, actor=self.admin, expert=e) for e in self.panel()]
        services.tender_start_evaluation(tender=tender, actor=self.admin, now=EVALUATION)
        marks = {s.lead: s.scores for s in specs}
        for index, seat in enumerate(seats):
            if leave_first_expert and index == 0:
                continue
            self.score(seat, marks, offset=index)

    def score(self, seat: ExpertAssignment, marks: dict[str, tuple[int, int]], offset: int = 0) -> None:
        user = seat.expert.user
        services.expert_declare(assignment=seat, actor=user, no_conflict=True, now=EVALUATION + timedelta(hours=1))
        for bid in seat.tender.bids.select_related("lead"):
            if bid.is_valid:
                technical, team = marks.get(bid.lead.name, (80, 80))
                services.score_save(assignment=seat, actor=user, bid=bid, technical=technical - offset,
                                    team=team + offset - 1, comment="方案完整，团队结构合理（示例）")
        services.scores_submit(assignment=seat, actor=user, now=SCORING)

    def award_and_sign(self, tender: Tender, *, sign: bool = True) -> Award:
        award = services.award_make(tender=tender, actor=self.admin, now=AWARDING)
        self.protocol(tender, "evaluation", "评标报告", AWARDING)
        self.protocol(tender, "award", "中标结果公示", AWARDING)
        self.created["awards"] += 1
        if sign:
            services.contract_sign(award=award, actor=self.admin, now=SIGNING)
            self.created["contracts"] += 1
        return award

    def course_plan(self, award: Award, *, approve: bool = True) -> None:
        plan = CoursePlan.objects.filter(award=award).first()
        if plan is None or plan.status != CoursePlan.Status.DRAFT or plan.version:
            return
        owner = self.staff(award.institution)
        services.course_plan_save(plan=plan, actor=owner, modules=modules_for(award.project),
                                  title=f"{award.lot_label}课程方案（示例）")
        services.course_plan_submit(plan=plan, actor=owner, now=PLAN_SUBMIT)
        if approve:
            services.course_plan_review(plan=plan, actor=self.admin, approve=True, now=PLAN_REVIEW)
        else:
            services.course_plan_review(plan=plan, actor=self.admin, approve=False, now=PLAN_REVIEW,
                                        comment="请将返岗实践细化到每周任务，并补充各模块的考核方式（示例）。")
        self.created["course_plans"] += 1


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def modules_for(project: Project) -> list[ModuleData]:
    """A course plan that passes the checker: the topic modules under the main component, one module for each
    other component, hours adding up per component, practice for every teacher (COURSE-1 … COURSE-4, PLAN-5)."""
    known = set(TopicTag.objects.values_list("code", flat=True))
    components = list(project.components.all())
    kinds = [c.kind for c in components]
    main = next((k for k in ("face_to_face", "online", "workshop") if k in kinds), kinds[0] if kinds else "")
    modules: list[ModuleData] = []
    for component in components:
        if component.kind == main:
            topic_modules = TOPIC_MODULES[: max(1, min(len(TOPIC_MODULES), component.hours))]
            for (title, topics, outputs), hours in zip(topic_modules, _split(component.hours, len(topic_modules)),
                                                       strict=True):
                practice = hours // 4
                methods: tuple[str, ...] = ("lecture", "case_study") if practice == 0 else ("lecture", "task_driven")
                modules.append(ModuleData(title=title, component=component.kind, theory_hours=hours - practice,
                                          practice_hours=practice, methods=methods,
                                          topics=tuple(t for t in topics if t in known), expected_outputs=outputs))
            continue
        title, methods, outputs = COMPONENT_MODULES[component.kind]
        practice_kinds = ("practice", "job_shadowing", "shadow", "school_visit")
        practice = component.hours if component.kind in practice_kinds else component.hours // 2
        modules.append(ModuleData(title=title, component=component.kind, theory_hours=component.hours - practice,
                                  practice_hours=practice, methods=methods, expected_outputs=outputs))
    return modules


def build(stdout: Any) -> None:
    """Create whatever of the tenders' demo world is missing; print one line saying what there is."""
    admin = User.objects.filter(username="sheng_admin").first()
    finance = User.objects.filter(username="sheng_caizheng").first()
    plan = AnnualPlan.objects.filter(province="140000", year=YEAR, is_demo=True).first()
    if admin is None or finance is None or plan is None or not plan.has_been_published:
        stdout.write("招标示例：未找到示例账号或已发布的2020年示例规划，未生成招标示例数据。")
        return
    demo = Demo(stdout, admin, finance)
    if len(demo.panel()) < 3:
        stdout.write("招标示例：专家库中没有足够的示例专家，未生成招标示例数据。")
        return
    projects = {p.code: p for p in Project.objects.filter(plan=plan)}
    needed = ("GP2020-01", "GP2020-02", "GP2020-03-1", "GP2020-03-2", "GP2020-04", "GP2020-06", "GP2020-07",
              "GP2020-08-1", "GP2020-09", "GP2020-10", "GP2020-11", "GP2020-12")
    if any(code not in projects for code in needed) or any(n not in demo.institutions for n in STAFF_USERNAMES):
        stdout.write("招标示例：2020年示例规划的项目或示例培训机构不全，未生成招标示例数据。")
        return

    # A completed tender: a consortium with a remote-listed partner for the workshop (TENDER-3, TENDER-4) wins;
    # a bid that keeps the workshop itself is invalid.
    specs: tuple[DemoBid, ...] = (
        DemoBid("山西师范大学", "1180000", ("中国教师研修网",), (93, 92)),
        DemoBid("忻州师范学院", "1150000", ("奥鹏教师教育网",), (86, 84)),
        DemoBid("长治学院", "1220000", ("全国中小学教师继续教育网",), (84, 86)),
        DemoBid("运城学院", "1050000"),
    )
    if tender := demo.tender(projects["GP2020-01"], "SXZB-2020-01"):
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs)
        demo.course_plan(demo.award_and_sign(tender))

    # A failed tender (an institution in two consortia makes both bids invalid) moved to expert selection.
    specs = (
        DemoBid("晋中学院", "1200000", (), (85, 85)),
        DemoBid("吕梁学院", "1180000", ("太原师范学院",), (82, 80)),
        DemoBid("长治学院", "1190000", ("太原师范学院",), (80, 82)),
    )
    if tender := demo.tender(projects["GP2020-03-1"], "SXZB-2020-03-1"):
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs)
        tender.refresh_from_db()
        if tender.status == Tender.Status.FAILED:
            demo.protocol(tender, "failure", "流标公告", OPENING)
            selection = services.selection_start(tender=tender, actor=admin, is_demo=True, now=_at(8, 2))
            for name, note in (("山西大同大学", "地处晋北片区，承担过大同、朔州乡村教师培训"),
                               ("忻州师范学院", "具备乡村教师培训经验"), ("晋中学院", "教师教育专业齐全")):
                services.candidate_add(selection=selection, actor=admin, institution=demo.institutions[name],
                                       note=f"{note}（示例）")
            seats = [services.expert_assign(tender=tender, actor=admin, expert=e, stage="selection")
                     for e in demo.panel()]
            services.selection_start_scoring(selection=selection, actor=admin, now=_at(8, 6))
            marks = {"山西大同大学": 91, "忻州师范学院": 84, "晋中学院": 80}
            for offset, seat in enumerate(seats):
                user = seat.expert.user
                services.expert_declare(assignment=seat, actor=user, no_conflict=True, now=_at(8, 6, 14))
                for candidate in selection.candidates.select_related("institution"):
                    services.candidate_score_save(assignment=seat, actor=user, candidate=candidate,
                                                  score=marks[candidate.institution.name] - offset)
                services.scores_submit(assignment=seat, actor=user, now=_at(8, 7))
            award = services.selection_confirm(selection=selection, actor=admin, amount="1250000",
                                               now=_at(8, 8))
            demo.protocol(tender, "selection", "专家遴选报告", _at(8, 8))
            services.contract_sign(award=award, actor=admin, now=_at(8, 12))
            demo.created["awards"] += 1
            demo.course_plan(award)

    # A completed tender whose winner declined during the standstill: the award passed to the next (fallback);
    # its course plan was returned for changes.
    specs = (
        DemoBid("长治学院", "1380000", (), (92, 90)),
        DemoBid("太原师范学院", "1400000", (), (90, 89)),
        DemoBid("晋中学院", "1420000", (), (84, 82)),
    )
    if tender := demo.tender(projects["GP2020-03-2"], "SXZB-2020-03-2"):
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs)
        first = demo.award_and_sign(tender, sign=False)
        successor = services.award_end(award=first, actor=admin, status="declined", now=_at(8, 7),
                                       reason="承训团队主要成员调整，无法按期组织实施（示例）")
        if successor is not None:
            services.contract_sign(award=successor, actor=admin, now=_at(8, 11))
            demo.course_plan(successor, approve=False)

    # IT 2.0: one tender per project county; five counties won by four distinct institutions (TENDER-2).
    it20 = projects["GP2020-04"]
    winners = (("140121", "山西教师教育网"), ("140122", "中国教师研修网"), ("140181", "山西教师教育网"),
               ("140215", "奥鹏教师教育网"), ("140224", "全国中小学教师继续教育网"))
    remote = ("山西教师教育网", "中国教师研修网", "奥鹏教师教育网", "全国中小学教师继续教育网")
    for index, (county_code, winner) in enumerate(winners, start=1):
        county = Region.objects.get(code=county_code)
        if not (tender := demo.tender(it20, f"SXZB-2020-04-{index:02d}", county=county)):
            continue
        pool = [name for name in remote if name != winner]
        others = (pool[index % len(pool):] + pool[:index % len(pool)])[:2]
        specs = (DemoBid(winner, "24000", (), (92, 90)),
                 *(DemoBid(name, str(24500 + 500 * n), (), (82 - n, 80)) for n, name in enumerate(others)))
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs)
        demo.course_plan(demo.award_and_sign(tender))

    # TENDER-1: projects continuing from 2019 are awarded directly to their 2019 institutions; their contract
    # commitments were recorded in the funds by the plan's demo and are linked, not counted twice.
    for code in ("GP2020-02", "GP2020-06"):
        project = projects[code]
        if Award.objects.filter(project=project).exists():
            continue
        award = services.award_continuation(project=project, actor=admin, amount=project.budget, now=_at(7, 20))
        demo.created["awards"] += 1
        demo.course_plan(award)

    # In evaluation: two experts have submitted; zhuanjia has yet to declare and score, so scores stay sealed.
    specs = (
        DemoBid("太原师范学院", "760000", (), (88, 86), host="kg:140105"),
        DemoBid("晋中学院", "745000", (), (85, 84), host="北京市第一幼儿园（示例）"),
        DemoBid("吕梁学院", "780000", (), (82, 83), host="kg:141102"),
    )
    if tender := demo.tender(projects["GP2020-08-1"], "SXZB-2020-08-1"):
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs, leave_first_expert=True)

    # In qualification review: the bids are open, the province seats the panel next.
    if tender := demo.tender(projects["GP2020-12"], "SXZB-2020-12"):
        for spec in (DemoBid("山西大同大学", "352000"), DemoBid("吕梁学院", "348000"), DemoBid("运城学院", "356000")):
            demo.bid(tender, spec)
        services.tender_close(tender=tender, actor=admin, now=OPENING)
        demo.protocol(tender, "opening", "开标记录", OPENING)

    # In the standstill: awarded, the contract waits for the province to sign it.
    specs = (
        DemoBid("忻州师范学院", "768000", (), (90, 88), host="kg:140902"),
        DemoBid("运城学院", "775000", (), (84, 85), host="上海市实验幼儿园（示例）"),
        DemoBid("山西省中小学教师培训中心", "790000", (), (82, 80), host="kg:140106"),
    )
    if tender := demo.tender(projects["GP2020-09"], "SXZB-2020-09"):
        for spec in specs:
            demo.bid(tender, spec)
        demo.evaluate(tender, specs)
        demo.award_and_sign(tender, sign=False)

    # Taking bids now: one bid is in; jigou_staff can bid for 山西师范大学.
    now = timezone.now()
    if tender := demo.tender(projects["GP2020-07"], "SXZB-2020-07", published=now - timedelta(days=3),
                             deadline=now + timedelta(days=21)):
        demo.bid(tender, DemoBid("山西教师教育网", "190000"), now=now - timedelta(days=1))

    # A draft, and a tender cancelled for a funds adjustment.
    demo.tender(projects["GP2020-10"], "SXZB-2020-10", publish=False, deadline=now + timedelta(days=30),
                published=now)
    if tender := demo.tender(projects["GP2020-11"], "SXZB-2020-11"):
        services.tender_cancel(tender=tender, actor=admin, reason="funds", now=_at(7, 22),
                               note="项目经费按财政厅意见调整，调整后重新招标（示例）")
        demo.protocol(tender, "cancellation", "终止公告", _at(7, 22))

    counts = {s: Tender.objects.filter(is_demo=True, status=s).count() for s in Tender.Status.values}
    stdout.write(
        "招标示例：招标 " + "，".join(f"{Tender.Status(s).label}{n}" for s, n in counts.items() if n)
        + f"；定标 {Award.objects.filter(is_demo=True).count()} 个，"
        f"课程方案通过 {CoursePlan.objects.filter(is_demo=True, status='approved').count()} 个"
        f"（本次新建：{dict(demo.created) or '无'}）。"
    )
