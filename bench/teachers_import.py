"""Roster import benchmark: 100,000 rows end to end, ours against django-import-export, same file, same database.

    python bench/teachers_import.py [--rows 100000] [--skip-iie] [--repeat N]
    BENCH_DATABASE_URL=postgres://… python bench/teachers_import.py

Needs the database from `bench/teachers_generate.py` (schools, and the existing teachers the upsert looks
through). Each run is a fresh Python process so its peak memory (ru_maxrss) is its own. Runs:

1. ours, first import: 100,000 new teachers (parse, validate every cell, derive birth date and gender, encrypt
   ID number and phone, keyed hashes, school lookup, all-or-nothing bulk insert);
2. ours, the same file again (every row matched by keyed hash and found unchanged: nothing written);
3. django-import-export 4 on the same file, configured for speed (use_bulk, skip_unchanged, skip_diff), doing
   the same per-row work in `before_import_row` (stdnum checksum, derivation, encryption, hashes, pinyin) and
   looking schools up with its ForeignKeyWidget.

`--repeat N` runs 1 and 2 N times (the median is kept as the result, every run is in the JSON). The rows each
run created are deleted afterwards, and on PostgreSQL the table is vacuumed (not timed): the
server runs with autovacuum off, and without it every run would start from the 100,000 dead rows of the one
before (measured: 14.2 s instead of 9.2 s); a checkpoint then writes out what the vacuum dirtied. The load
average (1 minute) is recorded before and after each run.
Results: bench/out/teachers_import_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teachers_common import (
    OUT,
    children_peak_rss_mb,
    cpu_seconds,
    machine,
    peak_rss_mb,
    setup,
    vendor,
    write_out,
)

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "手机号", "学校标识码", "学段", "任教学科", "职称", "岗位",
           "骨干级别", "学前教育专业", "首次任教日期", "用工性质", "状态"]
KIND_LABELS = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中", "nine_year": "九年一贯制学校",
               "senior": "高中", "complete_secondary": "完全中学", "twelve_year": "十二年一贯制学校",
               "vocational": "中等职业学校", "special": "特殊教育学校"}


def build_file(rows: int, path: Path) -> None:
    """A roster of `rows` new teachers at the bench schools (ID sequences above any the generator uses)."""
    import random

    import xlsxwriter

    from guopei.orgs.models import School
    from guopei.teachers.id_numbers import make_id_number

    rng = random.Random(7)
    schools = list(School.objects.filter(code__startswith="9").values_list("code", "county_id", "kind"))
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("教师名册")
    text = workbook.add_format({"num_format": "@"})
    for col, header in enumerate(HEADERS):
        sheet.write_string(0, col, header)
    surnames, given = "王李张刘赵郭杨武贾梁田高郝乔", "建国志强海燕丽娟晓东文斌雅婷淑芳国庆建华晓峰红梅"
    per_county: dict[str, int] = {}
    for line in range(1, rows + 1):
        code, county, kind = schools[line % len(schools)]
        k = per_county[county] = per_county.get(county, -1) + 1
        birth = date(1970, 1, 1) + timedelta(days=k % 10000)
        gender = "女" if line % 3 else "男"
        sequence = 600 + (k // 10000) * 2 + (1 if gender == "男" else 0)
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        values = [name, make_id_number(county, birth, sequence),
                  gender, birth.isoformat(), f"15{line:09d}", code, KIND_LABELS[kind],
                  "学前教育" if kind == "kindergarten" else rng.choice(("语文", "数学", "英语")), "一级教师", "教师",
                  rng.choice(("无", "校级骨干", "县级骨干")), "否", f"{min(birth.year + 22, 2019)}-09-01", "在编",
                  "在职"]
        for col, value in enumerate(values):
            sheet.write_string(line, col, value, text if col in (1, 4, 5) else None)
    workbook.close()


def run_ours(path: Path) -> dict[str, Any]:
    from guopei.orgs.models import User
    from guopei.teachers.roster_import import roster_import

    actor = User.objects.get(username="bench_province")
    data = path.read_bytes()
    stages: dict[str, float] = {}
    start = time.perf_counter()

    def progress(done: int, total: int, message: str) -> None:
        # When each message was first reported: "正在检查数据" once the file is opened (a big sheet is cut
        # into parts for the workers), "正在写入新教师" once the first chunk is written.
        stages.setdefault(message, round(time.perf_counter() - start, 2))

    outcome = roster_import(data=data, filename=path.name, actor=actor, progress=progress)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, **outcome.as_dict(), "stages": stages}


def _resource_class() -> Any:
    from import_export import fields, resources, widgets

    from guopei.core.pii import pii_encrypt, pii_hash
    from guopei.orgs.models import School
    from guopei.teachers.id_numbers import parse_id_number
    from guopei.teachers.models import Teacher
    from guopei.teachers.names import name_pinyin
    from guopei.teachers.roster_import import (
        BACKBONE_OPTIONS,
        EMPLOYMENT_OPTIONS,
        POST_OPTIONS,
        SEGMENT_OPTIONS,
        STATUS_OPTIONS,
        TITLE_OPTIONS,
    )

    class TeacherResource(resources.ModelResource):
        name = fields.Field(attribute="name", column_name="姓名")
        school = fields.Field(attribute="school", column_name="学校标识码",
                              widget=widgets.ForeignKeyWidget(School, "code"))
        segment = fields.Field(attribute="segment", column_name="segment")
        subject = fields.Field(attribute="subject", column_name="任教学科")

        class Meta:
            model = Teacher
            import_id_fields = ("id_hash",)
            fields = ("id_hash", "id_number", "name", "name_pinyin", "gender", "birth_date", "phone", "phone_hash",
                      "school", "segment", "subject", "title", "post", "backbone_level", "preschool_major",
                      "first_employed_on", "employment_type", "status")
            use_bulk = True
            batch_size = 1000
            skip_unchanged = True
            skip_diff = True

        def before_import_row(self, row: Any, **kwargs: Any) -> None:
            parsed = parse_id_number(row["身份证号"])
            row["id_hash"] = pii_hash(parsed.number)
            row["id_number"] = pii_encrypt(parsed.number)
            row["gender"], row["birth_date"] = parsed.gender, parsed.birth_date
            row["phone"], row["phone_hash"] = pii_encrypt(row["手机号"]), pii_hash(row["手机号"])
            row["name_pinyin"] = name_pinyin(row["姓名"])
            row["segment"] = SEGMENT_OPTIONS[row["学段"]]
            row["title"] = TITLE_OPTIONS[row["职称"]]
            row["post"] = POST_OPTIONS[row["岗位"]]
            row["backbone_level"] = BACKBONE_OPTIONS[row["骨干级别"]]
            row["preschool_major"] = row["学前教育专业"] == "是"
            row["first_employed_on"] = row["首次任教日期"]
            row["employment_type"] = EMPLOYMENT_OPTIONS[row["用工性质"]]
            row["status"] = STATUS_OPTIONS[row["状态"]]

        def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
            instance.region_code = instance.school.region_code

    return TeacherResource


def run_iie(path: Path) -> dict[str, Any]:
    import tablib

    resource = _resource_class()()
    start = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_bytes(), format="xlsx")
    for extra in ("id_hash", "id_number", "gender", "birth_date", "phone", "phone_hash", "name_pinyin", "segment",
                  "title", "post", "backbone_level", "preschool_major", "first_employed_on", "employment_type",
                  "status"):
        dataset.append_col([""] * len(dataset), header=extra)
    result = resource.import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    seconds = time.perf_counter() - start
    totals = result.totals
    return {"seconds": seconds, "rows": len(dataset), "created": totals.get("new", 0),
            "updated": totals.get("update", 0), "unchanged": totals.get("skip", 0)}


def cleanup(path: Path) -> int:
    from django.db import connection, transaction

    from guopei.core.pii import pii_hash
    from guopei.core.spreadsheets import read_table
    from guopei.teachers.models import Teacher

    table = read_table(path.read_bytes(), path.name, max_bytes=200 * 1024 * 1024)
    hashes = [pii_hash(row[1]) for row in table.rows]
    deleted = 0
    with transaction.atomic():
        for start in range(0, len(hashes), 5000):
            deleted += Teacher.objects.filter(id_hash__in=hashes[start:start + 5000])._raw_delete(  # type: ignore
                Teacher.objects.db)
    if deleted and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {Teacher._meta.db_table}")
            # Write out what the vacuum dirtied now rather than during the next timed run.
            cursor.execute("CHECKPOINT")
    return deleted


def child(mode: str, path: Path) -> None:
    setup()
    from django.db import connection

    connection.ensure_connection()
    before = peak_rss_mb()
    cpu = cpu_seconds()
    result = run_ours(path) if mode == "ours" else run_iie(path)
    result["cpu_seconds"] = round(cpu_seconds() - cpu, 2)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["workers_peak_rss_mb"] = round(children_peak_rss_mb(), 1)
    result["baseline_rss_mb"] = round(before, 1)
    result["rows_per_second"] = round(result["rows"] / result["seconds"])
    print("RESULT " + json.dumps(result), flush=True)


def spawn(mode: str, path: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--file", str(path)], capture_output=True,
                         text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            return result
    raise SystemExit(f"{mode} failed:\n{out.stdout[-3000:]}\n{out.stderr[-5000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-iie", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of ours (first import, same file again); the median is compared")
    parser.add_argument("--child", choices=["ours", "iie"])
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.file))
        return
    setup()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"roster_{args.rows}.xlsx"
    if not path.exists():
        t0 = time.perf_counter()
        build_file(args.rows, path)
        print(f"file {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
    cleanup(path)
    from guopei.teachers.models import Teacher

    existing = Teacher.objects.count()
    results: dict[str, Any] = {"machine": machine(), "rows": args.rows, "existing_teachers": existing,
                               "file_mb": round(path.stat().st_size / 1e6, 1)}
    print(f"{machine()}; {existing} teachers already in the database")
    firsts, agains = [], []
    for _ in range(args.repeat):
        firsts.append(spawn("ours", path))
        print("ours, first import:", firsts[-1], flush=True)
        agains.append(spawn("ours", path))
        print("ours, same file again:", agains[-1], flush=True)
        cleanup(path)
    results["ours_first"] = sorted(firsts, key=lambda r: r["seconds"])[len(firsts) // 2]
    results["ours_again"] = sorted(agains, key=lambda r: r["seconds"])[len(agains) // 2]
    results["ours_first_runs"], results["ours_again_runs"] = firsts, agains
    if not args.skip_iie:
        results["iie_first"] = spawn("iie", path)
        print("django-import-export, first import:", results["iie_first"], flush=True)
        cleanup(path)
        results["speedup"] = round(results["iie_first"]["seconds"] / results["ours_first"]["seconds"], 1)
        print(f"ours is {results['speedup']}× faster")
    write_out(f"teachers_import_{vendor()}.json", json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
