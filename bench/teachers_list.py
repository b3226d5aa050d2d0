"""Teacher list page benchmark: response times of /teachers/ over the generated teachers (p50, p95, max).

    python bench/teachers_list.py [--requests 40]
    BENCH_DATABASE_URL=postgres://… python bench/teachers_list.py

Goes through the whole Django stack (middleware, session, scoping, keyset page, masking, template) with the
test client, as the province administrator (every teacher) and as a county administrator: first pages, pages
deep into the list (following the "next" cursor), pinyin search, a school filter, a status filter. Also
compares the capped count the page shows with an exact COUNT(*) over the same rows, and records the number of
queries per page and the load average before and after. Results: bench/out/teachers_list_<db>.json; the plans
of the status-filtered page's queries (EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL):
bench/out/teachers_list_plans_<db>.txt.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teachers_common import machine, percentile, setup, vendor, write_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=40, help="requests per scenario")
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from guopei.orgs.models import School, User
    from guopei.teachers.listing import capped_count
    from guopei.teachers.models import Teacher

    setup_test_environment()
    rng = random.Random(5)
    province = User.objects.get(username="bench_province")
    county = User.objects.get(username="bench_county")
    county_schools = list(School.objects.filter(region_code="140105", code__startswith="9")
                          .values_list("pk", flat=True))
    prefixes = ["wang", "li", "zhang", "liu", "zhao", "guo", "yang", "wu", "jia", "liang", "zhangx", "lij", "wangh"]
    results: dict[str, Any] = {"machine": machine(), "teachers": Teacher.objects.count(),
                               "load_average_before": os.getloadavg()}
    all_times: list[float] = []

    def measure(label: str, user: Any, params_list: list[dict[str, str]], follow: bool = False) -> None:
        client = Client()
        client.force_login(user)
        client.get("/teachers/")  # warm the session and caches
        times: list[float] = []
        queries: list[int] = []
        cursor = ""
        for params in params_list:
            if follow and cursor:
                params = {**params, "after": cursor}
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get("/teachers/", params)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            queries.append(len(captured))
            if follow:
                cursor = response.context["page"].next_cursor
        all_times.extend(times)
        results[label] = {"requests": len(times), "p50_ms": round(percentile(times, 50), 1),
                          "p95_ms": round(percentile(times, 95), 1), "max_ms": round(max(times), 1),
                          "queries_per_page": sorted(set(queries))}
        print(f"{label}: {results[label]}", flush=True)

    n = args.requests
    measure("province_first_page", province, [{}] * n)
    measure("province_following_pages", province, [{}] * n, follow=True)
    measure("province_pinyin_search", province, [{"q": rng.choice(prefixes)} for _ in range(n)])
    measure("province_status_filter", province, [{"status": "retired"}] * n, follow=True)
    measure("county_first_page", county, [{}] * n)
    measure("county_following_pages", county, [{}] * n, follow=True)
    measure("county_school_filter", county, [{"school": str(rng.choice(county_schools))} for _ in range(n)])
    measure("county_status_filter", county, [{"status": "retired"}] * n, follow=True)
    results["overall"] = {"requests": len(all_times), "p50_ms": round(percentile(all_times, 50), 1),
                          "p95_ms": round(percentile(all_times, 95), 1), "max_ms": round(max(all_times), 1)}
    print("overall:", results["overall"])

    qs = Teacher.objects.filter(region_code__range=("140000", "149999"))
    start = time.perf_counter()
    capped = capped_count(qs)
    results["capped_count_ms"] = round((time.perf_counter() - start) * 1000, 1)
    start = time.perf_counter()
    exact = qs.count()
    results["exact_count_ms"] = round((time.perf_counter() - start) * 1000, 1)
    results["counts"] = {"capped": capped, "exact": exact}
    print(f"capped count {results['capped_count_ms']} ms, exact COUNT(*) {results['exact_count_ms']} ms")
    results["load_average_after"] = os.getloadavg()
    print(f"load average before {results['load_average_before']}, after {results['load_average_after']}")
    write_out(f"teachers_list_{vendor()}.json", json.dumps(results, ensure_ascii=False, indent=2))
    write_out(f"teachers_list_plans_{vendor()}.txt", status_filter_plans(province))


def status_filter_plans(user: Any) -> str:
    """The plans of the queries that read teachers for a province-wide page filtered on a rare status."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    first = client.get("/teachers/", {"status": "retired"})
    with CaptureQueriesContext(connection) as captured:
        client.get("/teachers/", {"status": "retired", "after": first.context["page"].next_cursor})
    out = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if "teachers_teacher" not in sql:
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
        out.append(f"{sql}\n--- plan ---\n{plan}\n")
    return "\n".join(out)


if __name__ == "__main__":
    main()
