"""Generate a province-sized teacher database for the benchmarks (SQLite or PostgreSQL).

    python bench/teachers_generate.py --teachers 1000000           # SQLite: var/bench/teachers.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/guopei_bench python bench/teachers_generate.py

Default: 1,000,000 teachers across every county of the province (about 250 schools per county), about
3,000,000 past participations (2010–2019), 50,000 integrity-file events, other recognised hours for 5% and a
reserve pool of 1%, plus a 2020 plan with one project and a county's quota for the selection benchmark. ID
numbers are checksum-valid (address code = county) and stored encrypted with their keyed hashes, exactly as
the platform stores them. Rows go in by executemany (SQLite) or COPY (PostgreSQL), not through the ORM, so
generating is not what gets measured. The database is emptied of teachers first.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teachers_common import machine, setup

SURNAMES = "王李张刘赵郭杨武贾梁田高郝乔阎牛段常韩薛任冯秦史吕孙程侯董温霍卫白崔康耿申裴闫范胡马宋周许苗智曾单解"
GIVEN = ("建国志强海燕丽娟晓东文斌雅婷淑芳国庆建华晓峰红梅玉兰俊杰秀英瑞芳宏伟振华慧敏永刚晋生翠萍亚楠"
         "子涵佳怡浩然梦琪思远欣然")
SUBJECTS = ("语文", "数学", "英语", "科学", "物理", "化学", "生物", "历史", "地理", "道德与法治", "体育", "音乐",
            "美术", "信息技术")
KINDS = (("primary", 45), ("junior", 20), ("kindergarten", 18), ("nine_year", 5), ("senior", 7),
         ("complete_secondary", 3), ("vocational", 2))
LOCATIONS = (("urban", 30), ("town", 30), ("rural", 40))
RESULTS = (("completed", 88), ("not_completed", 4), ("no_show", 5), ("dismissed", 3))
BACKBONE = (("", 60), ("school", 15), ("county", 12), ("city", 8), ("province", 4), ("national", 1))
TITLES = ("一级教师", "二级教师", "高级教师", "三级教师", "未定级")
POSTS = (("teacher", 94), ("principal", 2), ("deputy_principal", 2), ("director", 1), ("deputy_director", 1))
NOW = datetime(2020, 6, 1, tzinfo=UTC)
BENCH_COUNTY = "140105"


_CUMULATIVE: dict[int, tuple[list[Any], list[int]]] = {}


def weighted(rng: random.Random, options: tuple[tuple[Any, int], ...], k: int) -> list[Any]:
    key = id(options)
    if key not in _CUMULATIVE:
        total, cumulative = 0, []
        for _, w in options:
            total += w
            cumulative.append(total)
        _CUMULATIVE[key] = ([o for o, _ in options], cumulative)
    values, cumulative = _CUMULATIVE[key]
    return rng.choices(values, cum_weights=cumulative, k=k)


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, table: str, columns: list[str]) -> None:
        from django.db import connection

        self.connection = connection
        self.table = table
        self.columns = columns
        self.pg = connection.vendor == "postgresql"

    def value(self, v: Any) -> Any:
        if self.pg:
            return v
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, datetime):
            return v.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(v, date):
            return v.isoformat()
        return v

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(self.columns)
        with self.connection.cursor() as cursor:
            if self.pg:
                raw = cursor.cursor
                with raw.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {self.table} ({cols}) VALUES ({marks})",
                                   [tuple(self.value(v) for v in row) for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=1_000_000)
    parser.add_argument("--participations-per-teacher", type=float, default=3.0)
    parser.add_argument("--integrity", type=int, default=50_000)
    parser.add_argument("--schools-per-county", type=int, default=250)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from guopei.core.pii import pii_encrypt, pii_hash
    from guopei.orgs.models import Membership, Region, School, User
    from guopei.plans.models import Allocation, AnnualPlan, Category, Project
    from guopei.teachers.id_numbers import make_id_number
    from guopei.teachers.models import (
        IntegrityEntry,
        Nomination,
        Participation,
        RecognisedHours,
        ReservePoolEntry,
        Teacher,
        TeacherTransfer,
        ban_end,
    )
    from guopei.teachers.names import name_pinyin

    rng = random.Random(args.seed)
    started = time.perf_counter()
    print(f"machine: {machine()}")
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)

    with transaction.atomic():
        for model in (Nomination, ReservePoolEntry, IntegrityEntry, RecognisedHours, Participation, TeacherTransfer,
                      Teacher):
            model.objects.all()._raw_delete(model.objects.db)  # type: ignore[attr-defined]

    counties = list(Region.objects.filter(level=Region.Level.COUNTY, code__startswith="14").order_by("code")
                    .values_list("code", flat=True))
    # Schools: a fixed number per county (bench schools are marked by the code prefix "9").
    existing = set(School.objects.filter(code__startswith="9").values_list("code", flat=True))
    new_schools = []
    for c_index, county in enumerate(counties):
        kinds = weighted(rng, KINDS, args.schools_per_county)
        locations = weighted(rng, LOCATIONS, args.schools_per_county)
        for s in range(args.schools_per_county):
            code = f"9{c_index:03d}{s:06d}"
            if code not in existing:
                new_schools.append(School(name=f"基准测试学校{county}-{s}", code=code, county_id=county,
                                          region_code=county, kind=kinds[s], location=locations[s],
                                          is_public=rng.random() < 0.9))
    School.objects.bulk_create(new_schools, batch_size=2000)
    schools_by_county: dict[str, list[tuple[int, str]]] = {c: [] for c in counties}
    for pk, county, kind in School.objects.filter(code__startswith="9").values_list("pk", "county_id", "kind"):
        schools_by_county[county].append((pk, kind))
    print(f"schools: {sum(len(v) for v in schools_by_county.values())}", flush=True)

    t0 = time.perf_counter()
    columns = ["created_at", "updated_at", "name", "name_pinyin", "gender", "id_number", "id_hash", "birth_date",
               "phone", "phone_hash", "school_id", "region_code", "segment", "subject", "title", "post",
               "backbone_level", "preschool_major", "first_employed_on", "employment_type", "status", "is_demo"]
    writer = Writer(Teacher._meta.db_table, columns)
    pairs = [GIVEN[i: i + 2] for i in range(0, len(GIVEN) - 1, 2)]
    base_birth = date(1965, 1, 1)
    n_counties = len(counties)
    chunk: list[tuple[Any, ...]] = []
    encrypt_seconds = 0.0
    with transaction.atomic():
        for i in range(args.teachers):
            county = counties[i % n_counties]
            k = i // n_counties
            birth = base_birth + timedelta(days=k % 12000)
            gender = "M" if rng.random() < 0.3 else "F"
            sequence = (k // 12000) * 2 + (1 if gender == "M" else 0)
            number = make_id_number(county, birth, sequence)
            phone = f"13{i:09d}"
            school_id, kind = rng.choice(schools_by_county[county])
            name = rng.choice(SURNAMES) + rng.choice(pairs)
            e0 = time.perf_counter()
            encrypted = (pii_encrypt(number), pii_hash(number), pii_encrypt(phone), pii_hash(phone))
            encrypt_seconds += time.perf_counter() - e0
            employed = date(min(birth.year + rng.randint(21, 25), 2020), 9, 1)
            chunk.append((
                NOW, NOW, name, name_pinyin(name), gender, encrypted[0], encrypted[1], birth, encrypted[2],
                encrypted[3], school_id, county, kind, "学前教育" if kind == "kindergarten" else rng.choice(SUBJECTS),
                rng.choice(TITLES), weighted(rng, POSTS, 1)[0], weighted(rng, BACKBONE, 1)[0],
                kind == "kindergarten" and rng.random() < 0.7, employed, "staff",
                "active" if rng.random() < 0.97 else "retired", False,
            ))
            if len(chunk) >= 20000:
                writer.write(chunk)
                chunk = []
                if (i + 1) % 200000 == 0:
                    print(f"  teachers {i + 1}: {time.perf_counter() - t0:.1f} s", flush=True)
        writer.write(chunk)
    print(f"teachers: {args.teachers} in {time.perf_counter() - t0:.1f} s "
          f"(encryption and hashing {encrypt_seconds:.1f} s)", flush=True)

    teacher_ids = list(Teacher.objects.order_by("pk").values_list("pk", flat=True))
    t0 = time.perf_counter()
    part_writer = Writer(Participation._meta.db_table, ["created_at", "updated_at", "teacher_id", "year",
                                                        "project_name", "institution_name", "result", "hours",
                                                        "practice_hours", "ended_on", "is_demo"])
    count_weights = ((0, 10), (1, 12), (2, 18), (3, 22), (4, 18), (5, 12), (6, 8))
    mean = sum(c * w for c, w in count_weights) / sum(w for _, w in count_weights)
    scale = args.participations_per_teacher / mean
    total_parts = 0
    chunk = []
    with transaction.atomic():
        for teacher_id in teacher_ids:
            n = min(10, round(weighted(rng, count_weights, 1)[0] * scale))
            for year in rng.sample(range(2010, 2020), n):
                result = weighted(rng, RESULTS, 1)[0]
                hours = rng.choice((40, 60, 80)) if result == "completed" else 0
                chunk.append((NOW, NOW, teacher_id, year, f"{year}年国培计划项目{rng.randint(1, 40)}", "某承训机构",
                              result, hours, hours // 4, date(year, rng.randint(6, 12), rng.randint(1, 28)), False))
            if len(chunk) >= 50000:
                part_writer.write(chunk)
                total_parts += len(chunk)
                chunk = []
        part_writer.write(chunk)
        total_parts += len(chunk)
    print(f"participations: {total_parts} in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    integrity_writer = Writer(IntegrityEntry._meta.db_table, ["created_at", "updated_at", "teacher_id", "kind",
                                                              "event_date", "ban_until", "source", "annul_reason",
                                                              "is_demo"])
    rows = []
    for teacher_id in rng.sample(teacher_ids, min(args.integrity, len(teacher_ids))):
        event = date(2015, 1, 1) + timedelta(days=rng.randrange(2190))
        rows.append((NOW, NOW, teacher_id, rng.choice(("no_show", "dismissed", "failed")), event, ban_end(event),
                     "基准测试数据", "", False))
    with transaction.atomic():
        integrity_writer.write(rows)
        hours_writer = Writer(RecognisedHours._meta.db_table, ["created_at", "updated_at", "teacher_id", "year",
                                                               "hours", "note", "is_demo"])
        hours_writer.write([(NOW, NOW, t, 2020, rng.randint(10, 100), "", False)
                            for t in rng.sample(teacher_ids, len(teacher_ids) // 20)])
        pool_writer = Writer(ReservePoolEntry._meta.db_table, ["created_at", "updated_at", "teacher_id", "priority",
                                                               "note", "is_demo"])
        pool_writer.write([(NOW, NOW, t, rng.randint(1, 9), "", False)
                           for t in rng.sample(teacher_ids, len(teacher_ids) // 100)])
    print(f"integrity entries, hours, reserve pool in {time.perf_counter() - t0:.1f} s", flush=True)

    # A 2020 plan (signed off by two people), one project with target conditions, and a county's quota.
    users = {}
    for username, role, region in (("bench_province", "province_admin", "140000"),
                                   ("bench_finance", "province_finance", "140000"),
                                   ("bench_county", "county_admin", BENCH_COUNTY)):
        users[username], _ = User.objects.get_or_create(username=username, defaults={"full_name": username})
        Membership.objects.get_or_create(user=users[username], role=role, region_id=region)
    plan = AnnualPlan.objects.filter(province="140000", year=2020).first() or AnnualPlan.objects.create(
        province="140000", year=2020, title="基准测试规划", status="published", published_at=NOW,
        education_signed_by=users["bench_province"], finance_signed_by=users["bench_finance"])
    project, _ = Project.objects.get_or_create(plan=plan, code="BENCH-01", defaults={
        "name": "乡村中小学教师能力提升（基准测试）", "category": Category.objects.order_by("pk").first(),
        "quota": 500, "days": 10, "hours": 80, "target_segments": ["primary", "junior", "nine_year"],
        "target_posts": ["teacher"], "rural_only": True, "service_years_min": 3,
        "start_date": date(2020, 9, 1), "end_date": date(2020, 9, 10)})
    city, _ = Allocation.objects.get_or_create(project=project, region_id=BENCH_COUNTY[:4] + "00",
                                               defaults={"quota": 100})
    Allocation.objects.get_or_create(project=project, region_id=BENCH_COUNTY, defaults={"quota": 30, "parent": city})

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM sets PostgreSQL's visibility map, so index-only scans need not visit the heap.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"VACUUM/ANALYZE in {time.perf_counter() - t0:.1f} s")
    print(f"total {time.perf_counter() - started:.1f} s; teachers {Teacher.objects.count()}, "
          f"participations {Participation.objects.count()}, integrity {IntegrityEntry.objects.count()}")


if __name__ == "__main__":
    main()
