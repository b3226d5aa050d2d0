"""Selection benchmark: one project over the generated teachers, with the database's query plans.

    python bench/teachers_selection.py [--repeat 5]
    BENCH_DATABASE_URL=postgres://… python bench/teachers_selection.py

Times, for the project BENCH-01 made by `teachers_generate.py` (rural primary/junior teachers, at least three
years of service, plus every exclusion: bans, the cycle cap, hours met, overlaps, not in service):

* province: the counts by reason over every teacher of the province (one aggregate query);
* county: the counts for one county, the first page of the ranked eligible list, the first page of the
  ineligible list with reasons, and the XLSX export of the whole county.

Median of `--repeat` runs after one warm-up. The plans (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
SQLite) go to bench/out/teachers_selection_plans_<db>.txt, the timings to bench/out/teachers_selection_<db>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teachers_common import machine, median, setup, vendor, write_out

COUNTY = "140105"


def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guopei.plans.models import Project
    from guopei.teachers.exports import selection_xlsx
    from guopei.teachers.models import Teacher
    from guopei.teachers.selection import selection_for

    project = Project.objects.get(code="BENCH-01")
    teachers = Teacher.objects.count()
    county_teachers = Teacher.objects.filter(region_code=COUNTY).count()
    print(f"{machine()}; {teachers} teachers, {county_teachers} in {COUNTY}")

    cases = {
        "province_counts": lambda: selection_for(project, "140000").counts(),
        "county_counts": lambda: selection_for(project, COUNTY).counts(),
        "county_eligible_page": lambda: list(selection_for(project, COUNTY).eligible()[:50]),
        "county_ineligible_page": lambda: list(selection_for(project, COUNTY).ineligible()[:50]),
        "county_export_xlsx": lambda: selection_xlsx(selection_for(project, COUNTY)),
    }
    results: dict[str, Any] = {"machine": machine(), "teachers": teachers, "county_teachers": county_teachers}
    plans: list[str] = []
    for name, case in cases.items():
        with CaptureQueriesContext(connection) as queries:
            value = case()
        if name.endswith("counts"):
            results[f"{name}_values"] = value
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            case()
            times.append(time.perf_counter() - start)
        results[name] = round(median(times), 3)
        print(f"{name}: median {results[name]:.3f} s (min {min(times):.3f}, max {max(times):.3f}), "
              f"{len(queries)} queries", flush=True)
        if name != "county_export_xlsx":
            # The captured statement has its parameters inlined by the driver, so it can be explained as is.
            main_query = max((q["sql"] for q in queries.captured_queries if "teachers_teacher" in q["sql"]), key=len)
            plans.append(f"=== {name} ===\n{main_query}\n--- plan ---\n{explain(main_query, None)}\n")
    write_out(f"teachers_selection_plans_{vendor()}.txt", "\n".join(plans))
    write_out(f"teachers_selection_{vendor()}.json", json.dumps(results, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
