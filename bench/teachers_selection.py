"""Selection benchmark: one project over the generated teachers, with the database's query plans.

    python bench/teachers_selection.py [--repeat 5]
    BENCH_DATABASE_URL=postgres://… python bench/teachers_selection.py

Times, for the project BENCH-01 made by `teachers_generate.py` (rural primary/junior teachers, at least three
years of service, plus every exclusion: bans, the cycle cap, hours met, overlaps, not in service):

* province: the counts by reason over every teacher of the province (one aggregate query);
* county: the counts for one county, the first page of the ranked eligible list, the first page of the
  ineligible list with reasons, and the XLSX export of the whole county.

Median of `--repeat` runs after one warm-up, in wall time and in CPU time (this process, which on SQLite runs
the queries; on PostgreSQL also the server process serving the connection, read from /proc when the server runs
on the same host): the CPU time is what the work costs, which the other load of a shared machine inflates much
less than the wall time. The load average is recorded before and after. The plans (EXPLAIN (ANALYZE, BUFFERS)
on PostgreSQL, with the statement's own SET LOCAL settings; EXPLAIN QUERY PLAN on SQLite) go to
bench/out/teachers_selection_plans_<db>.txt, the timings to bench/out/teachers_selection_<db>.json.

On PostgreSQL the script first runs VACUUM ANALYZE on the teacher and participation tables (`--no-vacuum` to
skip): the cycle-cap count reads only the covering index (year, teacher, result), which needs the visibility map
that VACUUM sets, and other benchmarks (roster imports) insert and delete teachers between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_cpu import backend_cpu_seconds
from teachers_common import machine, median, setup, vendor, write_out

COUNTY = "140105"


def server_cpu_seconds() -> float | None:
    """CPU time used so far by the PostgreSQL process serving this connection (None when not readable)."""
    from django.db import connection

    return backend_cpu_seconds(connection)


def explain(sql: str, params: Any, settings: list[str]) -> str:
    """The plan of `sql`, after the SET LOCAL statements the case ran before it (in one transaction)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in settings:
                cursor.execute(setting)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE (PostgreSQL)")
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guopei.plans.models import Project
    from guopei.teachers.exports import selection_xlsx
    from guopei.teachers.models import Teacher
    from guopei.teachers.selection import selection_for

    if connection.vendor == "postgresql" and not args.no_vacuum:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE teachers_teacher, teachers_participation")
        print(f"VACUUM ANALYZE teachers_teacher, teachers_participation: {time.perf_counter() - start:.1f} s")
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
    results: dict[str, Any] = {"machine": machine(), "teachers": teachers, "county_teachers": county_teachers,
                               "load_average_before": os.getloadavg()}
    plans: list[str] = []
    for name, case in cases.items():
        with CaptureQueriesContext(connection) as queries:
            value = case()
        if name.endswith("counts"):
            results[f"{name}_values"] = value
        times, cpu = [], []
        for _ in range(args.repeat):
            server_before = server_cpu_seconds()
            start, cpu_start = time.perf_counter(), time.process_time()
            case()
            times.append(time.perf_counter() - start)
            server_after = server_cpu_seconds()
            server = server_after - server_before if server_before is not None and server_after is not None else 0
            cpu.append(time.process_time() - cpu_start + server)
        results[name] = round(median(times), 3)
        results[f"{name}_cpu"] = round(median(cpu), 3)
        print(f"{name}: median {results[name]:.3f} s (min {min(times):.3f}, max {max(times):.3f}), "
              f"CPU {results[f'{name}_cpu']:.3f} s, {len(queries)} queries", flush=True)
        if name != "county_export_xlsx":
            # The captured statement has its parameters inlined by the driver, so it can be explained as is.
            main_query = max((q["sql"] for q in queries.captured_queries if "teachers_teacher" in q["sql"]), key=len)
            settings = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SET LOCAL")]
            plans.append(f"=== {name} ===\n{chr(10).join(settings)}\n{main_query}\n--- plan ---\n"
                         f"{explain(main_query, None, settings)}\n")
    results["load_average_after"] = os.getloadavg()
    print(f"load average before {results['load_average_before']}, after {results['load_average_after']}")
    write_out(f"teachers_selection_plans_{vendor()}.txt", "\n".join(plans))
    write_out(f"teachers_selection_{vendor()}.json", json.dumps(results, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
