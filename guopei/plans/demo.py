"""The annual plan's part of the demo world (示例): the 2020 plan, its project counties, quotas and funds.

Built through the real services by the demo accounts of guopei/orgs/demo.py (sheng_admin signs for the education
department, sheng_caizheng countersigns for finance), so the audit log and revision history read as they would
in use. Every step looks for its result first by natural key (plan year, project code, county and year,
allocations of a project, a commitment's reference, a payment's voucher number), so running it twice changes
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile

from guopei.orgs.models import Institution, Region, User

from . import services
from .models import Allocation, AnnualPlan, Category, Commitment, Payment, Project, ProjectCounty
from .services import ProjectInput

YEAR = 2020
TITLE = "2020年山西省中小学幼儿园教师国家级培训计划项目规划（示例）"
DOC_NUMBER = "晋教师〔2020〕N号（示例）"

# PLAN-3: the 22 programme project counties (the province's newly added poverty counties of 2019) and the 36
# IT 2.0 project counties. Chosen for the demo among Shanxi's real counties; the real appendix 4 is entered by
# the province.
PROGRAMME_COUNTIES = (
    "140122", "140123", "140221", "140222", "140223", "140224", "140225", "140425", "140429", "140623", "140722",
    "140723", "140922", "140926", "140929", "140932", "141030", "141032", "141034", "141123", "141124", "141126",
)
IT20_COUNTIES = (
    "140121", "140122", "140181", "140215", "140224", "140226", "140321", "140322", "140423", "140426", "140427",
    "140428", "140430", "140521", "140522", "140524", "140581", "140621", "140622", "140681", "140721", "140724",
    "140725", "140728", "140822", "140823", "140827", "140829", "140921", "140924", "140925", "140928", "141025",
    "141028", "141031", "141130",
)
# Cities whose county offices have already split their shares among their counties in the demo.
CITIES_SPLIT = ("140100", "140200", "141100")


@dataclass
class DemoProject:
    code: str
    category: str
    name: str
    form: str
    days: int
    hours: int
    components: dict[str, int]
    quota: int
    standard: str
    target: str
    parent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    added_in_revision: bool = False


CW1, CW2, CW3 = "乡村中小学教师专业能力建设", "中小学教师信息技术应用能力研修", "乡村中小学校长领导力培训"

PROJECTS = (
    DemoProject("GP2020-01", CW1, "乡村小学语文骨干教师教学能力提升培训", "blended", 10, 80,
                {"face_to_face": 40, "workshop": 20, "practice": 20}, 300, "420",
                "乡村小学语文县级以上骨干教师",
                extra={"target_segments": ["primary"], "target_posts": ["teacher"], "target_subjects": ["语文"],
                       "rural_only": True, "target_backbone_levels": ["county", "city"],
                       "start_date": date(2020, 9, 14), "end_date": date(2020, 11, 30)}),
    DemoProject("GP2020-02", CW1, "乡村初中数学教师学科育德与作业设计能力培训", "face_to_face", 6, 48,
                {"face_to_face": 48}, 200, "450", "乡村初中数学教师，教龄3–20年",
                extra={"target_segments": ["junior", "nine_year"], "target_posts": ["teacher"],
                       "target_subjects": ["数学"], "rural_only": True, "service_years_min": 3,
                       "service_years_max": 20, "continues_from_2019": True,
                       "previous_project_name": "乡村初中数学骨干教师能力提升培训（2019）",
                       "previous_institution": "山西师范大学",
                       "start_date": date(2020, 10, 12), "end_date": date(2020, 10, 17)}),
    DemoProject("GP2020-03", CW1, "项目区县乡村教师周期性培训", "blended", 0, 0, {}, 0, "0",
                "国培项目区县乡村中小学教师", extra={"target_segments": ["primary", "junior", "nine_year"],
                                            "rural_only": True, "project_counties_only": True}),
    DemoProject("GP2020-03-1", CW1, "晋北片区（大同、朔州、忻州项目区县）", "blended", 8, 64,
                {"face_to_face": 24, "online": 20, "practice": 20}, 420, "380", "项目区县乡村中小学教师",
                parent="GP2020-03", extra={"target_segments": ["primary", "junior", "nine_year"], "rural_only": True,
                                           "counties": ("1402", "1406", "1409")}),
    DemoProject("GP2020-03-2", CW1, "晋中南片区（太原、长治、晋中、临汾、吕梁项目区县）", "blended", 8, 64,
                {"face_to_face": 24, "online": 20, "practice": 20}, 480, "380", "项目区县乡村中小学教师",
                parent="GP2020-03", extra={"target_segments": ["primary", "junior", "nine_year"], "rural_only": True,
                                           "counties": ("1401", "1404", "1407", "1410", "1411")}),
    DemoProject("GP2020-04", CW2, "信息技术应用能力提升工程2.0整校推进培训", "online", 5, 50,
                {"online": 25, "practice": 25}, 3000, "60", "信息技术2.0项目县各学校全体教师",
                extra={"is_it20": True, "target_segments": ["kindergarten", "primary", "junior", "nine_year",
                                                             "senior", "complete_secondary", "vocational"]}),
    DemoProject("GP2020-05", CW2, "信息技术2.0学校管理团队信息化领导力培训", "blended", 6, 50,
                {"face_to_face": 10, "online": 15, "practice": 25}, 360, "300", "信息技术2.0项目县中小学校长、副校长",
                extra={"is_it20": True, "target_posts": ["principal", "deputy_principal"]}),
    DemoProject("GP2020-06", CW3, "乡村中小学校长领导力提升培训（影子培训）", "blended", 10, 80,
                {"face_to_face": 24, "shadow": 40, "practice": 16}, 150, "560", "乡村中小学校长",
                extra={"target_posts": ["principal", "deputy_principal"], "rural_only": True,
                       "continues_from_2019": True, "previous_project_name": "乡村校长助力工程（2019）",
                       "previous_institution": "山西大学",
                       "start_date": date(2020, 9, 21), "end_date": date(2020, 12, 18)}),
    DemoProject("GP2020-07", "幼儿园教师职业行为准则培训", "幼儿园教师职业行为准则培训", "online", 5, 30,
                {"online": 30}, 500, "80", "全省幼儿园教师", extra={"target_segments": ["kindergarten"]}),
    DemoProject("GP2020-08", "幼儿园新入职教师规范化培训", "幼儿园新入职教师规范化培训", "blended", 0, 0, {}, 0, "0",
                "入职3年内的幼儿园教师", extra={"target_segments": ["kindergarten"], "hired_within_years": 3}),
    DemoProject("GP2020-08-1", "幼儿园新入职教师规范化培训", "公办幼儿园新入职教师", "blended", 10, 80,
                {"face_to_face": 40, "job_shadowing": 40}, 200, "400", "公办幼儿园入职3年内教师",
                parent="GP2020-08", extra={"target_segments": ["kindergarten"], "hired_within_years": 3}),
    DemoProject("GP2020-08-2", "幼儿园新入职教师规范化培训", "民办幼儿园新入职教师", "blended", 10, 80,
                {"face_to_face": 40, "job_shadowing": 40}, 150, "400", "民办幼儿园入职3年内教师",
                parent="GP2020-08", extra={"target_segments": ["kindergarten"], "hired_within_years": 3,
                                           "private_kindergartens_only": True}),
    DemoProject("GP2020-09", "非学前教育专业教师专业补偿培训", "非学前教育专业教师专业补偿培训", "face_to_face", 10, 80,
                {"face_to_face": 40, "job_shadowing": 40}, 200, "400", "非学前教育专业毕业的幼儿园教师",
                extra={"target_segments": ["kindergarten"], "preschool_major": False}),
    DemoProject("GP2020-10", "乡村幼儿园教师保教能力提升培训", "乡村幼儿园教师保教能力提升培训", "blended", 10, 80,
                {"face_to_face": 30, "workshop": 30, "practice": 20}, 300, "400", "乡村幼儿园教师",
                extra={"target_segments": ["kindergarten"], "rural_only": True}),
    DemoProject("GP2020-11", "幼儿园骨干教师访名校浸润式培训", "幼儿园骨干教师访名校浸润式培训", "face_to_face", 10, 80,
                {"face_to_face": 20, "school_visit": 60}, 100, "600", "市级以上骨干幼儿园教师",
                extra={"target_segments": ["kindergarten"], "target_backbone_levels": ["city", "province"]}),
    DemoProject("GP2020-12", "幼儿园园长法治与安全教育培训", "幼儿园园长法治与安全教育培训", "face_to_face", 5, 40,
                {"face_to_face": 40}, 200, "450", "幼儿园园长、副园长",
                extra={"target_segments": ["kindergarten"], "target_posts": ["director", "deputy_director"]}),
    DemoProject("GP2020-13", "乡村幼儿园园长办园能力提升培训", "乡村幼儿园园长办园能力提升培训", "blended", 10, 80,
                {"face_to_face": 40, "shadow": 40}, 120, "500", "乡村幼儿园园长",
                extra={"target_segments": ["kindergarten"], "target_posts": ["director"], "rural_only": True}),
    DemoProject("GP2020-14", "民办幼儿园园长规范办园培训", "民办幼儿园园长规范办园培训", "face_to_face", 5, 40,
                {"face_to_face": 40}, 150, "450", "民办幼儿园园长",
                extra={"target_segments": ["kindergarten"], "target_posts": ["director"],
                       "private_kindergartens_only": True}, added_in_revision=True),
)

# Projects continuing from 2019 keep their 2019 institution without a new tender (TENDER-1): their contracts
# are recorded here; the tendered projects' contracts come from the tender stage.
COMMITMENTS = (
    ("GP2020-02", "山西师范大学", "540000.00", "晋教师培合〔2020〕02号（示例）"),
    ("GP2020-06", "山西大学", "840000.00", "晋教师培合〔2020〕06号（示例）"),
)
PAYMENTS = (
    ("GP2020-02", "山西师范大学", date(2020, 10, 20), "270000.00", "晋财教〔2020〕记字0457号（示例）"),
    ("GP2020-06", "山西大学", date(2020, 9, 30), "420000.00", "晋财教〔2020〕记字0412号（示例）"),
)


def _project_input(spec: DemoProject, categories: dict[str, Category], institutions: dict[str, Institution],
                   projects: dict[str, Project]) -> ProjectInput:
    extra = dict(spec.extra)
    # A sub-project of the project-county programme runs in the listed counties of its cities (PLAN-3, PLAN-4).
    cities = extra.pop("counties", ())
    county_codes = [c for c in PROGRAMME_COUNTIES if c[:4] in cities]
    if "previous_institution" in extra:
        extra["previous_institution"] = institutions.get(extra["previous_institution"])
    fields = {
        "code": spec.code, "name": spec.name, "category": categories[spec.category],
        "parent": projects.get(spec.parent) if spec.parent else None, "training_form": spec.form,
        "days": spec.days, "hours": spec.hours, "quota": spec.quota, "cost_standard": Decimal(spec.standard),
        "target_description": spec.target, "is_demo": True, **extra,
    }
    return ProjectInput(fields=fields, components=spec.components, county_codes=county_codes)


def _split(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`, rounding down (what is left stays unallocated)."""
    whole = sum(weights) or 1
    return [total * w // whole for w in weights]


def _allocate(project: Project, admin: User, city_admins: dict[str, User], counties: list[Region]) -> int:
    """Give the cities 95% of the quota by their number of eligible counties; some cities split theirs."""
    implementing = set(project.counties.values_list("code", flat=True))
    eligible = [c for c in counties if not implementing or c.code in implementing]
    by_city: dict[str, list[Region]] = defaultdict(list)
    for c in eligible:
        by_city[c.parent_id or ""].append(c)
    cities = sorted(by_city)
    made = 0
    shares = _split(project.quota * 95 // 100, [len(by_city[c]) for c in cities])
    for city_code, share in zip(cities, shares, strict=True):
        if share <= 0:
            continue
        services.allocation_set(project=project, region=Region.objects.get(code=city_code), quota=share,
                                actor=admin, is_demo=True)
        made += 1
        if city_code not in CITIES_SPLIT:
            continue
        actor = city_admins.get(city_code, admin)
        county_list = by_city[city_code]
        for county, part in zip(county_list, _split(share, [1] * len(county_list)), strict=True):
            if part > 0:
                services.allocation_set(project=project, region=county, quota=part, actor=actor, is_demo=True)
                made += 1
    return made


def _voucher_pdf(project: Project, payee: str, amount: str, voucher: str, paid_on: date) -> bytes:
    from weasyprint import HTML

    html = (
        '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">'
        f"<h2>付款凭证（示例）</h2><p>凭证号：{voucher}</p><p>项目：{project.code} {project.name}</p>"
        f"<p>收款单位：{payee}</p><p>金额：{amount} 元</p><p>支付日期：{paid_on:%Y年%m月%d日}</p>"
        "<p>资金来源：“国培计划”专项经费</p></body></html>"
    )
    return HTML(string=html).write_pdf()


def build(stdout: Any) -> None:
    """Create whatever of the plan's demo world is missing; print one line saying what there is."""
    users = {u.username: u for u in User.objects.filter(username__in=[
        "sheng_admin", "sheng_caizheng", "taiyuan_admin", "datong_admin"])}
    admin, finance = users.get("sheng_admin"), users.get("sheng_caizheng")
    if admin is None or finance is None:
        stdout.write("年度规划示例：未找到示例账号 sheng_admin / sheng_caizheng，未生成年度规划示例数据。")
        return
    created: dict[str, int] = defaultdict(int)

    # PLAN-3: the year's two lists.
    listed = set(ProjectCounty.objects.filter(year=YEAR).values_list("county_id", flat=True))
    for code in sorted(set(PROGRAMME_COUNTIES) | set(IT20_COUNTIES)):
        if code in listed:
            continue
        services.project_county_set(actor=admin, year=YEAR, county=Region.objects.get(code=code),
                                    is_programme=code in PROGRAMME_COUNTIES, is_it20=code in IT20_COUNTIES,
                                    note="示例", is_demo=True)
        created["counties"] += 1

    categories = {c.name: c for c in Category.objects.all()}
    institutions = {i.name: i for i in Institution.objects.filter(name__in=["山西师范大学", "山西大学"])}
    plan = AnnualPlan.objects.filter(province="140000", year=YEAR).first()
    if plan is None:
        plan = services.plan_create(actor=admin, year=YEAR, title=TITLE, doc_number=DOC_NUMBER,
                                    issued_on=date(2020, 7, 10), is_demo=True)
        created["plans"] += 1
    projects = {p.code: p for p in Project.objects.filter(plan=plan)}

    def add(specs: list[DemoProject]) -> None:
        for spec in specs:
            if spec.code not in projects:
                projects[spec.code] = services.project_create(
                    plan=plan, actor=admin, data=_project_input(spec, categories, institutions, projects))
                created["projects"] += 1

    first = [s for s in PROJECTS if not s.added_in_revision]
    later = [s for s in PROJECTS if s.added_in_revision]
    if plan.revision == 1 and plan.is_editable:
        add(first)
    if plan.revision == 1 and not plan.is_published:
        _publish(plan, admin, finance)
    plan.refresh_from_db()
    if plan.revision == 1 and plan.is_published and any(s.code not in projects for s in later):
        # A revision, so the history shows what changed and why (PLAN-1).
        services.plan_revise(plan=plan, actor=admin,
                             reason="根据财政厅会商意见，增设民办幼儿园园长规范办园培训项目（示例）")
        plan.refresh_from_db()
    if plan.revision == 2 and plan.is_editable:
        add(later)
    if not plan.is_published:
        _publish(plan, admin, finance)
    plan.refresh_from_db()

    # Quotas: cities first, then the counties of the cities that have split theirs.
    counties = list(Region.objects.filter(level=Region.Level.COUNTY, code__startswith="14").order_by("code"))
    city_admins = {"140100": users.get("taiyuan_admin"), "140200": users.get("datong_admin")}
    city_admins_present = {k: v for k, v in city_admins.items() if v is not None}
    for project in Project.objects.filter(plan=plan).order_by("code"):
        if project.children.exists() or project.allocations.exists():
            continue
        created["allocations"] += _allocate(project, admin, city_admins_present, counties)

    # PLAN-6: contracts of the projects continuing from 2019, and first payments.
    for code, payee, amount, reference in COMMITMENTS:
        if not Commitment.objects.filter(project=projects[code], reference=reference).exists():
            services.commitment_record(project=projects[code], amount=Decimal(amount), payee=payee,
                                       reference=reference, actor=admin, is_demo=True)
            created["commitments"] += 1
    for code, payee, paid_on, amount, voucher in PAYMENTS:
        if not Payment.objects.filter(project=projects[code], voucher_number=voucher).exists():
            pdf = _voucher_pdf(projects[code], payee, amount, voucher, paid_on)
            services.payment_record(project=projects[code], paid_on=paid_on, amount=Decimal(amount), payee=payee,
                                    voucher_number=voucher, actor=finance, is_demo=True,
                                    attachment=ContentFile(pdf, name=f"付款凭证-{code}.pdf"))
            created["payments"] += 1

    stdout.write(
        f"年度规划示例：{plan.year}年规划（第{plan.revision}版，{plan.get_status_display()}），"
        f"项目 {Project.objects.filter(plan=plan).count()} 个，"
        f"项目区县 {ProjectCounty.objects.filter(year=YEAR).count()} 个，"
        f"名额分配 {Allocation.objects.filter(project__plan=plan).count()} 条"
        f"（本次新建：{dict(created) or '无'}）。"
    )


def _publish(plan: AnnualPlan, admin: User, finance: User) -> None:
    """Walk the plan through both sign-offs, from wherever it stands, and publish it."""
    plan.refresh_from_db()
    if plan.status == AnnualPlan.Status.DRAFT:
        services.plan_submit(plan=plan, actor=admin)
        plan.refresh_from_db()
    if plan.status == AnnualPlan.Status.EDUCATION_REVIEW:
        services.plan_sign_education(plan=plan, actor=admin)
        plan.refresh_from_db()
    if plan.status == AnnualPlan.Status.FINANCE_REVIEW and plan.finance_signed_by_id is None:
        services.plan_sign_finance(plan=plan, actor=finance)
        plan.refresh_from_db()
    if plan.status == AnnualPlan.Status.FINANCE_REVIEW:
        services.plan_publish(plan=plan, actor=admin)
