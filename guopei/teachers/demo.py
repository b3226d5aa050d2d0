"""The teacher database's part of the demo world (示例): teachers, history, integrity file, reserve pool, selection.

Teachers work at the demo schools built by `guopei/orgs/demo.py`: 20–40 per school in 小店区 and 平城区 (the
demo county administrators' counties), a dozen per school in a few more counties, none elsewhere (so the demo
builds in seconds). ID numbers are synthetic but checksum-valid (address code = the county, births 1965–1998).
Participation history 2010–2019 with no-shows, dismissals and failures that fill the integrity file, other
recognised hours, a reserve pool, the province's cycle cap (and 平城区 tightening it), the intake institutions
of the 2020 demo projects, and for the 2020 project that suits each demo county best a selection with
nominations that the institution has partly confirmed, returned and substituted. Everything is found again by
natural key (ID-number hash, teacher + year + project…), so running it twice changes nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from guopei.core.pii import pii_encrypt, pii_hash
from guopei.orgs.models import Institution, Region, School, User

from . import services
from .id_numbers import make_id_number
from .models import (
    CapPolicy,
    IntakeAssignment,
    IntegrityEntry,
    Nomination,
    Participation,
    RecognisedHours,
    ReservePoolEntry,
    Teacher,
    ban_end,
)
from .names import name_pinyin

SEED = 4
# County → teachers per school (20–40 in the two demo counties, fewer elsewhere).
COUNTIES: dict[str, tuple[int, int]] = {
    "140105": (20, 40),  # 小店区 (太原), the demo county administrator's
    "140213": (20, 40),  # 平城区 (大同), the other demo county administrator's
    "140106": (8, 12),  # 迎泽区
    "140122": (8, 12),  # 阳曲县, a programme project county
    "140121": (8, 12),  # 清徐县, an IT 2.0 project county
    "140215": (8, 12),  # 云州区
}
DEMO_TEACHER = ("梁雅婷", "F", date(1991, 5, 12))  # the `jiaoshi` account's teacher record
SURNAMES = "王李张刘赵郭杨武贾梁田高郝乔阎牛段常韩薛任冯秦史吕孙程侯董温霍卫白崔康耿申裴闫范胡马宋周许苗智曾单解"
GIVEN = ("建国志强海燕丽娟晓东文斌雅婷淑芳国庆建华晓峰红梅玉兰俊杰秀英瑞芳宏伟振华慧敏永刚晋生翠萍亚楠"
         "子涵佳怡浩然梦琪思远欣然")
PRIMARY_SUBJECTS = ("语文", "语文", "语文", "数学", "数学", "数学", "英语", "科学", "道德与法治", "体育", "音乐",
                    "美术")
JUNIOR_SUBJECTS = ("语文", "数学", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "信息技术",
                   "体育")
SENIOR_SUBJECTS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "思想政治", "信息技术")
PAST_PROJECTS = (
    ("乡村教师访名校研修", "山西师范大学"), ("乡村教师工作坊研修", "中国教师研修网"), ("送教下乡培训", "太原师范学院"),
    ("骨干教师教学能力提升培训", "山西大学"), ("幼儿园骨干教师培训", "山西师范大学"),
    ("信息技术应用能力提升工程", "奥鹏教师教育网"), ("乡村校长助力工程", "山西大学"),
    ("班主任能力提升培训", "忻州师范学院"),
    ("紧缺薄弱学科教师培训", "运城学院"), ("乡村教师网络研修与校本研修整合培训", "全国中小学教师继续教育网"),
)
RESULTS = ((Participation.Result.COMPLETED, 86), (Participation.Result.NOT_COMPLETED, 5),
           (Participation.Result.NO_SHOW, 6), (Participation.Result.DISMISSED, 3))
BACKBONE = (("", 58), ("school", 16), ("county", 13), ("city", 8), ("province", 4), ("national", 1))
TITLES = (("一级教师", 40), ("二级教师", 25), ("高级教师", 20), ("三级教师", 5), ("未定级", 8), ("正高级教师", 2))


NOTES = ("教学能手（示例）", "县级骨干后备（示例）", "乡村教学点骨干（示例）", "青年教师培养对象（示例）")


def _weighted(rng: random.Random, options: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _person(rng: random.Random) -> str:
    pairs = [GIVEN[i: i + 2] for i in range(0, len(GIVEN) - 1, 2)]
    return rng.choice(SURNAMES) + (rng.choice(pairs) if rng.random() < 0.8 else rng.choice(GIVEN))


def _subject(rng: random.Random, kind: str) -> str:
    if kind == School.Kind.KINDERGARTEN:
        return "学前教育"
    if kind == School.Kind.PRIMARY:
        return rng.choice(PRIMARY_SUBJECTS)
    if kind in (School.Kind.JUNIOR, School.Kind.NINE_YEAR):
        return rng.choice(JUNIOR_SUBJECTS if kind == School.Kind.JUNIOR or rng.random() < 0.5 else PRIMARY_SUBJECTS)
    return rng.choice(SENIOR_SUBJECTS)


def _plan_teachers(schools: list[School]) -> list[dict[str, Any]]:
    """Decide every demo teacher, school by school, deterministically (same seed, same people)."""
    people: list[dict[str, Any]] = []
    used: set[str] = set()
    for school in schools:
        rng = random.Random(f"{SEED}-{school.code}")
        low, high = COUNTIES[school.county_id]
        count = rng.randint(low, high)
        kindergarten = school.kind == School.Kind.KINDERGARTEN
        for index in range(count):
            gender = "F" if rng.random() < (0.9 if kindergarten else 0.7) else "M"
            birth = date(1965, 1, 1) + timedelta(days=rng.randrange((date(1998, 12, 31) - date(1965, 1, 1)).days))
            if index == 0:
                post = "director" if kindergarten else "principal"
                birth = birth.replace(year=min(birth.year, 1978))
            elif index == 1:
                post = "deputy_director" if kindergarten else "deputy_principal"
            else:
                post = "teacher"
            while True:
                sequence = rng.randrange(500) * 2 + (1 if gender == "M" else 0)
                number = make_id_number(school.county_id, birth, sequence)
                if number not in used:
                    used.add(number)
                    break
            start_age = rng.randint(21, 24)
            employed = date(min(birth.year + start_age, 2020), 9, 1)
            # Some newer hires, so the new-teacher projects have candidates.
            if index >= 2 and birth.year >= 1994 and rng.random() < 0.5:
                employed = date(rng.choice((2018, 2019, 2020)), 9, 1)
            rural_chinese = school.location == School.Location.RURAL and school.kind == School.Kind.PRIMARY
            backbone = _weighted(rng, BACKBONE)
            subject = _subject(rng, school.kind)
            if rural_chinese and rng.random() < 0.3:
                subject, backbone = "语文", rng.choice(("county", "city"))
            people.append({
                "name": _person(rng), "gender": gender, "birth_date": birth, "id_number": number,
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}", "school": school,
                "segment": school.kind, "subject": subject if post == "teacher" else "",
                "title": _weighted(rng, TITLES), "post": post, "backbone_level": backbone,
                "preschool_major": kindergarten and rng.random() < 0.7, "first_employed_on": employed,
                "employment_type": "private" if not school.is_public else ("contract" if rng.random() < 0.12
                                                                           else "staff"),
                "status": "active" if rng.random() < 0.96 else rng.choice(("retired", "left")),
            })
    return people


def _history(rng: random.Random, teacher: Teacher) -> list[Participation]:
    """0–3 past participations between 2010 and 2019."""
    rows: list[Participation] = []
    count = _weighted(rng, ((0, 40), (1, 35), (2, 18), (3, 7)))
    first = max(2010, (teacher.first_employed_on or date(2010, 1, 1)).year)
    if first > 2019:
        return rows
    years = sorted(rng.sample(range(first, 2020), k=min(count, 2020 - first)))
    for year in years:
        name, institution = rng.choice(PAST_PROJECTS)
        result = _weighted(rng, RESULTS)
        ended = date(year, rng.choice((7, 8, 10, 11, 12)), rng.randint(1, 28))
        hours = rng.choice((40, 48, 60, 80, 100)) if result == Participation.Result.COMPLETED else 0
        rows.append(Participation(teacher=teacher, year=year, project_name=f"{year}年{name}（示例）",
                                  institution_name=institution, result=result, hours=hours,
                                  practice_hours=hours // 4, ended_on=ended, is_demo=True))
    return rows


def build(stdout: Any) -> None:
    """Create whatever of the teacher demo is missing; print one line saying what there is."""
    schools = list(School.objects.filter(is_demo=True, county_id__in=COUNTIES).order_by("code"))
    if not schools:
        stdout.write("教师库示例：未找到示例学校（请先生成组织示例），未生成教师示例数据。")
        return
    created: dict[str, int] = {}
    plan = _plan_teachers(schools)
    existing = set(Teacher.objects.filter(id_hash__in=[pii_hash(p["id_number"]) for p in plan])
                   .values_list("id_hash", flat=True))
    new = []
    for p in plan:
        digest = pii_hash(p["id_number"])
        if digest in existing:
            continue
        school = p.pop("school")
        number, phone = p.pop("id_number"), p.pop("phone")
        new.append(Teacher(**p, name_pinyin=name_pinyin(p["name"]), id_number=pii_encrypt(number), id_hash=digest,
                           phone=pii_encrypt(phone), phone_hash=pii_hash(phone), school=school,
                           region_code=school.region_code, is_demo=True))
    Teacher.objects.bulk_create(new, batch_size=500)
    created["teachers"] = len(new)
    created["account"] = _link_demo_account()

    teachers = list(Teacher.objects.filter(is_demo=True).order_by("pk"))
    parts: list[Participation] = []
    hours: list[RecognisedHours] = []
    for teacher in teachers:
        rng = random.Random(f"{SEED}-history-{teacher.id_hash}")
        parts.extend(_history(rng, teacher))
        if rng.random() < 0.06:  # already met the 2020 hours requirement (MGMT-4)
            hours.append(RecognisedHours(teacher=teacher, year=2020, hours=rng.choice((72, 80, 96)),
                                         note="校本研修与网络研修（示例）", is_demo=True))
        elif rng.random() < 0.3:
            hours.append(RecognisedHours(teacher=teacher, year=2019, hours=rng.choice((24, 36, 48)),
                                         note="校本研修（示例）", is_demo=True))
    before = Participation.objects.filter(is_demo=True).count()
    Participation.objects.bulk_create(parts, batch_size=1000, ignore_conflicts=True)
    created["participations"] = Participation.objects.filter(is_demo=True).count() - before
    RecognisedHours.objects.bulk_create(hours, batch_size=1000, ignore_conflicts=True)

    # MGMT-6: no-shows, dismissals and failures in the history fill the integrity file.
    kinds = {"no_show": "no_show", "dismissed": "dismissed", "not_completed": "failed"}
    entries = [
        IntegrityEntry(teacher_id=p.teacher_id, kind=kinds[p.result], event_date=p.ended_on,
                       ban_until=ban_end(p.ended_on), participation=p, is_demo=True,
                       source=f"{p.project_name}：{p.get_result_display()}（参训历史）")
        for p in Participation.objects.filter(is_demo=True, result__in=list(kinds)).order_by("pk")
        if p.ended_on is not None
    ]
    before = IntegrityEntry.objects.filter(is_demo=True).count()
    IntegrityEntry.objects.bulk_create(entries, batch_size=1000, ignore_conflicts=True)
    created["integrity"] = IntegrityEntry.objects.filter(is_demo=True).count() - before

    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    created["policies"] = _cap_policies(users)
    created["reserve"] = _reserve_pool(users)
    created["selections"] = _selections(users)
    created["transfers"] = _transfer(users)
    stdout.write(
        f"教师库示例：教师 {Teacher.objects.filter(is_demo=True).count()} 人，"
        f"参训记录 {Participation.objects.filter(is_demo=True).count()} 条，"
        f"诚信档案 {IntegrityEntry.objects.filter(is_demo=True).count()} 条，"
        f"储备库 {ReservePoolEntry.objects.filter(is_demo=True).count()} 人，"
        f"推荐 {Nomination.objects.filter(is_demo=True).count()} 人次（本次新建：{created}）。"
    )


def _link_demo_account() -> int:
    """Give the `jiaoshi` account its teacher record (the demo teacher at the demo school)."""
    from guopei.orgs.demo import DEMO_SCHOOL_CODE

    user = User.objects.filter(username="jiaoshi").first()
    school = School.objects.filter(code=DEMO_SCHOOL_CODE).first()
    if user is None or school is None:
        return 0
    name, gender, birth = DEMO_TEACHER
    number = make_id_number(school.county_id, birth, 998)
    digest = pii_hash(number)
    teacher = Teacher.objects.filter(id_hash=digest).first()
    if teacher is None:
        teacher = Teacher(name=name, name_pinyin=name_pinyin(name), gender=gender, birth_date=birth,
                          id_number=pii_encrypt(number), id_hash=digest, phone=pii_encrypt("13935120512"),
                          phone_hash=pii_hash("13935120512"), school=school, segment=school.kind, subject="语文",
                          title="一级教师", post="teacher", backbone_level="county",
                          first_employed_on=date(2013, 9, 1), is_demo=True)
        teacher.save()
    if teacher.user_id is None:
        Teacher.objects.filter(user=user).update(user=None)
        teacher.user = user
        teacher.save(update_fields=["user", "updated_at"])
        return 1
    return 0


def _cap_policies(users: dict[str, User]) -> int:
    made = 0
    if not CapPolicy.objects.filter(region_id="140000").exists() and "sheng_admin" in users:
        services.cap_policy_set(actor=users["sheng_admin"], region=Region.objects.get(code="140000"), cap=2,
                                cycle_years=5, cycle_start_year=2016,
                                note="“十三五”周期内每位教师最多参加2次国培（示例）")
        made += 1
    if not CapPolicy.objects.filter(region_id="140213").exists() and "pingcheng_admin" in users:
        services.cap_policy_set(actor=users["pingcheng_admin"], region=Region.objects.get(code="140213"), cap=1,
                                note="本区教师较多，每周期最多参加1次，让更多教师有机会（示例）")
        made += 1
    return made


def _reserve_pool(users: dict[str, User]) -> int:
    from guopei.plans.models import Category

    categories = list(Category.objects.filter(is_seed=True).order_by("pk")[:3])
    made = 0
    for county, username in (("140105", "xiaodian_admin"), ("140213", "pingcheng_admin")):
        actor = users.get(username)
        if actor is None or ReservePoolEntry.objects.filter(teacher__region_code=county).exists():
            continue
        rng = random.Random(f"{SEED}-pool-{county}")
        candidates = list(Teacher.objects.filter(region_code=county, status="active", is_demo=True,
                                                 post="teacher").order_by("pk"))
        for teacher in rng.sample(candidates, k=min(15, len(candidates))):
            category = rng.choice([None, *categories])
            services.reserve_entry_add(actor=actor, teacher=teacher, category=category, priority=rng.randint(1, 6),
                                       note=rng.choice(NOTES), is_demo=True)
            made += 1
    return made


def _transfer(users: dict[str, User]) -> int:
    """One cross-county transfer waiting for 平城区 to accept it."""
    from .models import TeacherTransfer

    actor = users.get("xiaodian_admin")
    target = School.objects.filter(is_demo=True, county_id="140213", kind=School.Kind.PRIMARY).order_by("code").first()
    if actor is None or target is None or TeacherTransfer.objects.filter(requested_by=actor).exists():
        return 0
    teacher = Teacher.objects.filter(is_demo=True, region_code="140105", status="active", post="teacher",
                                     school__kind=School.Kind.PRIMARY, user__isnull=True).order_by("pk").last()
    if teacher is None:
        return 0
    services.transfer_request(actor=actor, teacher=teacher, to_school=target, reason="随配偶工作调动（示例）")
    return 1


def _selections(users: dict[str, User]) -> int:
    """For each demo county, nominate for the 2020 demo project with the most eligible teachers."""
    from guopei.plans.models import Allocation, Project

    from .selection import selection_for

    projects = list(Project.objects.filter(plan__year=2020, is_demo=True).order_by("code"))
    institutions = {i.name: i for i in Institution.objects.filter(name__in=["山西师范大学", "山西大学"])}
    admin = users.get("sheng_admin")
    staff = users.get("jigou_staff")
    if not projects or admin is None or "山西师范大学" not in institutions:
        return 0
    # Intake: the demo institution receives the primary and junior projects (and each continuing project its
    # 2019 institution, TENDER-1).
    for project in projects:
        institution = project.previous_institution or institutions["山西师范大学"]
        if not IntakeAssignment.objects.filter(project=project).exists():
            services.intake_assign(actor=admin, project=project, institution=institution)
    made = 0
    for county, username in (("140105", "xiaodian_admin"), ("140213", "pingcheng_admin")):
        actor = users.get(username)
        if actor is None or Nomination.objects.filter(county_id=county, proposed_by=actor).exists():
            continue
        allocations = dict(Allocation.objects.filter(region_id=county, project__in=projects, quota__gt=0)
                           .values_list("project_id", "quota"))
        best: tuple[int, Any, int] | None = None
        for project in projects:
            if project.pk not in allocations:
                continue
            eligible = selection_for(project, county).counts()["eligible"]
            if eligible >= 4 and (best is None or eligible > best[0]):
                best = (eligible, project, allocations[project.pk])
        if best is None:
            continue
        eligible_count, project, quota = best
        ranked = list(selection_for(project, county).eligible().values_list("pk", flat=True))
        principals = ranked[: min(quota, max(1, eligible_count - 2), 8)]
        alternates = ranked[len(principals): len(principals) + 2]
        created = services.nomination_propose(actor=actor, project=project, county_code=county,
                                              teacher_ids=principals, alternate_ids=alternates, is_demo=True)
        made += len(created)
        receiver = staff if staff is not None and services.can_receive(staff, project) else None
        if receiver is None:
            continue
        chosen = [n for n in created if not n.is_alternate]
        for nomination in chosen[1:]:
            services.nomination_confirm(actor=receiver, nomination=nomination)
        returned = services.nomination_return(actor=receiver, nomination=chosen[0],
                                              reason="经核实该教师本学期承担毕业班教学任务，无法脱产参训（示例）")
        spare = [n for n in created if n.is_alternate]
        if spare:
            services.nomination_substitute(actor=actor, nomination=returned, alternate=spare[0])
    return made

