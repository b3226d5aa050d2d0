"""The foundation of the demo world (示例数据): schools and kindergartens in every county, a development centre
per county, training institutions, the expert pool and one demo account per role.

Everything is generated from a fixed seed, so every machine gets the same world, and found again by its natural
key (school code, county, institution name, expert name and employer, username), so running it twice changes
nothing. Every row is flagged is_demo; schools carry "（示例）" in their names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from guopei.core.audit import audit_record

from .models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User

Role = Membership.Role
Kind = School.Kind
Location = School.Location

DEMO_PASSWORD = "Guopei-2020-demo"  # noqa: S105 (printed for the demo on purpose; demo accounts only)
DEMO_PREFIX = "（示例）"
SEED = 2020

# The school the demo school administrator runs and the demo teacher works at: 小店区's first primary school.
DEMO_SCHOOL_CODE = "1401050001"
DEMO_INSTITUTION_NAME = "山西师范大学"

SURNAMES = (
    "王李张刘赵郭杨武贾梁田高郝乔阎牛段常韩薛任冯秦史吕孙程侯董温霍卫白崔康耿申裴闫范胡马宋周许苗智"
)
GIVEN = (
    "建国志强海燕丽娟晓东文斌雅婷淑芳国庆建华晓峰红梅玉兰俊杰丽华秀英瑞芳宏伟振华慧敏永刚晋生翠萍亚楠"
    "子涵佳怡浩然梦琪思远欣然宇航雨萱晨曦嘉欣博文一鸣润泽鹏飞婉清"
)
TOWNS = (
    "东关", "西关", "南关", "北城", "城关", "河东", "河西", "新城", "古城", "东阳", "西营", "南庄", "北营", "大营",
    "杨家庄", "王家峪", "李家堡", "张庄", "石门", "龙泉", "凤鸣", "马坊", "泉水", "红旗", "兴旺", "黄土坡", "西沟",
    "枣园", "柏林", "双井", "三交", "沙河", "东堡", "后沟", "高村", "庙前", "槐树", "青龙", "白家庄", "峪口",
)
PRIVATE_KINDERGARTENS = ("小太阳", "育才", "蓝天", "金苹果", "童乐", "启明星", "春苗", "七彩虹")


@dataclass(frozen=True)
class DemoInstitution:
    name: str
    kind: str
    region: str | None
    remote_since: int | None = None
    contact: str = ""


INSTITUTIONS = (
    DemoInstitution("山西师范大学", Institution.Kind.UNIVERSITY, "141000", contact="师范教育学院培训办"),
    DemoInstitution("太原师范学院", Institution.Kind.UNIVERSITY, "140700", contact="继续教育学院"),
    DemoInstitution("山西大学", Institution.Kind.UNIVERSITY, "140100", contact="教育科学学院"),
    DemoInstitution("山西大同大学", Institution.Kind.UNIVERSITY, "140200", contact="教师教育学院"),
    DemoInstitution("忻州师范学院", Institution.Kind.UNIVERSITY, "140900", contact="继续教育学院"),
    DemoInstitution("长治学院", Institution.Kind.UNIVERSITY, "140400", contact="教师教育学院"),
    DemoInstitution("运城学院", Institution.Kind.UNIVERSITY, "140800", contact="继续教育学院"),
    DemoInstitution("吕梁学院", Institution.Kind.UNIVERSITY, "141100", contact="教师教育学院"),
    DemoInstitution("晋中学院", Institution.Kind.UNIVERSITY, "140700", contact="教育学院"),
    DemoInstitution("山西省中小学教师培训中心", Institution.Kind.DEVELOPMENT, "140100", contact="培训部"),
    DemoInstitution("中国教师研修网", Institution.Kind.REMOTE, None, 2013, "项目部"),
    DemoInstitution("奥鹏教师教育网", Institution.Kind.REMOTE, None, 2015, "国培项目部"),
    DemoInstitution("全国中小学教师继续教育网", Institution.Kind.REMOTE, None, 2017, "项目管理中心"),
    DemoInstitution("山西教师教育网", Institution.Kind.REMOTE, "140100", 2019, "运营部"),
)

EXPERT_FIELDS = ("语文教育", "数学教育", "英语教育", "学前教育", "教育技术", "教师教育", "教育管理",
                 "心理健康教育", "德育与班主任工作", "信息技术教育", "科学教育", "体育与健康")
EXPERT_TITLES = ("教授", "副教授", "正高级教师", "特级教师", "高级教师", "研究员")
EXPERT_SCHOOLS = ("山西省实验中学", "太原市第五中学校", "山西大学附属中学", "太原市教育科学研究院",
                  "晋中市教育局教研室", "大同市第一中学校", "长治市教育科学研究所", "运城市实验幼儿园")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    region: str = "140000"
    school_code: str = ""
    institution: str = ""


ACCOUNTS = (
    DemoAccount("sheng_admin", "王晓峰", Role.PROVINCE_ADMIN),
    DemoAccount("sheng_caizheng", "李淑芳", Role.PROVINCE_FINANCE),
    DemoAccount("taiyuan_admin", "张国庆", Role.CITY_ADMIN, "140100"),
    DemoAccount("datong_admin", "刘海燕", Role.CITY_ADMIN, "140200"),
    DemoAccount("xiaodian_admin", "赵建华", Role.COUNTY_ADMIN, "140105"),
    DemoAccount("pingcheng_admin", "郭志强", Role.COUNTY_ADMIN, "140213"),
    DemoAccount("school_admin", "杨丽娟", Role.SCHOOL_ADMIN, school_code=DEMO_SCHOOL_CODE),
    DemoAccount("jigou_staff", "武晓东", Role.INSTITUTION_STAFF, "141000", institution=DEMO_INSTITUTION_NAME),
    DemoAccount("zhuanjia", "贾文斌", Role.EXPERT),
    DemoAccount("jiaoshi", "梁雅婷", Role.TEACHER, school_code=DEMO_SCHOOL_CODE),
)
# The demo expert account's entry in the pool: a teacher educator at 山西大学, so conflicts show in tenders.
DEMO_EXPERT = ("贾文斌", "山西大学", "教师教育", "教授")


def person_name(rng: random.Random) -> str:
    given_len = 2 if rng.random() < 0.8 else 1
    pairs = [GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)]
    given = rng.choice(pairs) if given_len == 2 else rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def county_labels(counties: list[Region]) -> dict[str, str]:
    """Each county's name as its schools are named; "城区" exists in three cities, so those take the city's."""
    names = [c.name for c in counties]
    return {c.code: c.full_name if names.count(c.name) > 1 else c.name for c in counties}


def plan_schools(counties: list[Region], rng: random.Random) -> list[dict[str, Any]]:
    """Decide, county by county, the schools and kindergartens of the demo world (deterministic for one seed)."""
    labels = county_labels(counties)
    plan: list[dict[str, Any]] = []
    for county in counties:
        label = labels[county.code]
        urban = county.name.endswith("区")
        town_kind = Location.URBAN if urban else Location.TOWN
        towns = rng.sample(TOWNS, 6)
        rows: list[tuple[str, str, str, bool]] = [(f"{label}第一小学", Kind.PRIMARY, town_kind, True)]
        if rng.random() < 0.7:
            rows.append((f"{label}实验小学", Kind.PRIMARY, town_kind, True))
        rows.append((f"{label}{towns[0]}镇中心小学", Kind.PRIMARY, Location.TOWN if urban else Location.RURAL, True))
        rows.append((f"{label}{towns[1]}村小学", Kind.PRIMARY, Location.RURAL, True))
        rows.append((f"{label}第一初级中学", Kind.JUNIOR, town_kind, True))
        if rng.random() < 0.5:
            rows.append((f"{label}{towns[2]}镇中学", Kind.JUNIOR, Location.TOWN, True))
        if rng.random() < 0.25:
            rows.append((f"{label}{towns[3]}九年一贯制学校", Kind.NINE_YEAR, Location.RURAL, True))
        if rng.random() < 0.5:
            rows.append((f"{label}第一中学校", Kind.COMPLETE_SECONDARY, town_kind, True))
        else:
            rows.append((f"{label}第一高级中学", Kind.SENIOR, town_kind, True))
        rows.append((f"{label}机关幼儿园", Kind.KINDERGARTEN, town_kind, True))
        if rng.random() < 0.6:
            rows.append((f"{label}{rng.choice(PRIVATE_KINDERGARTENS)}幼儿园", Kind.KINDERGARTEN, town_kind, False))
        else:
            rows.append((f"{label}{towns[4]}镇中心幼儿园", Kind.KINDERGARTEN, Location.RURAL, True))
        for seq, (name, kind, location, is_public) in enumerate(rows, start=1):
            plan.append({
                "code": f"{county.code}{seq:04d}", "name": DEMO_PREFIX + name, "county_id": county.code,
                "kind": kind, "location": location, "is_public": is_public,
            })
    return plan


def plan_experts(rng: random.Random, count: int = 20) -> list[dict[str, Any]]:
    """The expert pool: the demo expert account's entry first, then experts from institutions and schools."""
    name, employer, field, title = DEMO_EXPERT
    experts = [{"name": name, "employer": employer, "field": field, "title": title, "conflicts": [employer]}]
    seen = {(name, employer)}
    institution_names = [i.name for i in INSTITUTIONS if i.kind != Institution.Kind.REMOTE]
    while len(experts) < count:
        from_institution = rng.random() < 0.6
        employer = rng.choice(institution_names) if from_institution else rng.choice(EXPERT_SCHOOLS)
        key = (person_name(rng), employer)
        if key in seen:
            continue
        seen.add(key)
        conflicts = [employer] if from_institution else []
        if rng.random() < 0.15:
            conflicts.append(rng.choice(institution_names))
        experts.append({
            "name": key[0], "employer": employer, "field": rng.choice(EXPERT_FIELDS),
            "title": rng.choice(EXPERT_TITLES[:2] if from_institution else EXPERT_TITLES[2:]),
            "conflicts": sorted(set(conflicts)),
        })
    return experts


@transaction.atomic
def build(stdout: Any) -> None:
    """Create whatever of the foundation's demo world is missing; print one line saying what there is."""
    rng = random.Random(SEED)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).select_related("parent").order_by("code"))
    created: dict[str, int] = {}

    # Schools and kindergartens: bulk-created, found again by their code.
    plan = plan_schools(counties, rng)
    existing_codes = set(School.objects.filter(code__in=[row["code"] for row in plan]).values_list("code", flat=True))
    new_schools = [
        School(**row, region_code=row["county_id"], is_demo=True) for row in plan if row["code"] not in existing_codes
    ]
    School.objects.bulk_create(new_schools, batch_size=500)
    created["schools"] = len(new_schools)

    # A teacher-development centre per county (MGMT-2, PLAN-4).
    with_centre = set(DevelopmentCentre.objects.values_list("county_id", flat=True))
    directors = {c.code: person_name(rng) for c in counties}
    labels = county_labels(counties)
    new_centres = [
        DevelopmentCentre(county=c, region_code=c.code, name=f"{labels[c.code]}教师发展中心",
                          director=directors[c.code], is_demo=True)
        for c in counties if c.code not in with_centre
    ]
    DevelopmentCentre.objects.bulk_create(new_centres)
    created["centres"] = len(new_centres)

    # Training institutions, some on the Ministry's remote-training list (TENDER-4).
    institutions: dict[str, Institution] = {}
    created["institutions"] = 0
    for spec in INSTITUTIONS:
        institution, made = Institution.objects.get_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind, "in_province": spec.region is not None, "region_id": spec.region,
                "on_remote_list": spec.remote_since is not None, "remote_list_since": spec.remote_since,
                "contact": spec.contact, "is_demo": True,
            },
        )
        institutions[spec.name] = institution
        created["institutions"] += made

    # Demo accounts, one per role, in places chosen so that scoping shows (太原 vs 大同, 小店区 vs 平城区).
    password = make_password(DEMO_PASSWORD)
    demo_school = School.objects.get(code=DEMO_SCHOOL_CODE)
    users: dict[str, User] = {}
    created["accounts"] = 0
    for account in ACCOUNTS:
        user, made = User.objects.get_or_create(
            username=account.username,
            defaults={"full_name": account.full_name, "password": password, "is_demo": True},
        )
        users[account.username] = user
        created["accounts"] += made
        school = demo_school if account.school_code else None
        Membership.objects.get_or_create(
            user=user, role=account.role,
            region_id=school.county_id if school else account.region,
            school=school, institution=institutions.get(account.institution),
        )

    # The expert pool, with the institutions each expert must stand aside from (conflicts of interest).
    created["experts"] = 0
    for index, row in enumerate(plan_experts(rng)):
        expert, made = Expert.objects.get_or_create(
            name=row["name"], employer=row["employer"],
            defaults={"field": row["field"], "title": row["title"], "is_demo": True,
                      "user": users["zhuanjia"] if index == 0 else None},
        )
        if made:
            expert.institutions.set([institutions[n] for n in row["conflicts"] if n in institutions])
        created["experts"] += made

    if any(created.values()):
        audit_record(actor="manage.py demo", action="orgs.demo_build", detail=created)
    stdout.write(
        f"组织与账号示例：学校（幼儿园）{School.objects.filter(is_demo=True).count()} 所，"
        f"教师发展中心 {DevelopmentCentre.objects.filter(is_demo=True).count()} 个，"
        f"培训机构 {Institution.objects.filter(is_demo=True).count()} 个，"
        f"专家 {Expert.objects.filter(is_demo=True).count()} 人，"
        f"示例账号 {User.objects.filter(is_demo=True).count()} 个（本次新建 {sum(created.values())} 项）。"
    )
