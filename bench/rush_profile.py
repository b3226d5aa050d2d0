"""Profile the rush's requests in one process: statements per request and where the CPU goes (cProfile).

    python bench/rush_profile.py [--requests 1000] [--what take,cancel,ping,ping-api] [--top 25]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/guopei_rush python bench/rush_profile.py

Runs the requests through Django's WSGI handler (the whole middleware stack, no HTTP server), resetting the rush
world first (bench/rush_setup.py). Prints, for each kind of request, the SQL statements one request sends and the
functions that used the most time over --requests requests. Timings here are relative: the wall-clock figures
come from bench/rush_run.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_cpu import backend_cpu_seconds
from rush_setup import OUT, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--what", default="ping,ping-api,take,cancel")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from rush_setup import build

    build(500, 20, 40)
    world = json.loads((OUT / "rush_world.json").read_text())
    handler = WSGIHandler()
    factory = RequestFactory()
    tokens = world["tokens"]

    def call(method: str, path: str, token: str | None) -> tuple[int, bytes]:
        extra = {"HTTP_AUTHORIZATION": f"Token {token}", "HTTP_ACCEPT": "application/json"} if token else {}
        request = getattr(factory, method)(path, **extra)
        response = handler.get_response(request)
        return response.status_code, response.content

    taken: list[tuple[str, int]] = []

    def database_cpu() -> float:
        """CPU seconds used so far by this connection's PostgreSQL backend; 0 on SQLite."""
        return backend_cpu_seconds(connection) or 0.0

    def take(i: int) -> tuple[int, bytes]:
        token = tokens[i % len(tokens)]
        status, body = call("post", f"/api/v1/delivery/offerings/{random.choice(world['offerings'])}/take/", token)
        if status == 200:
            taken.append((token, json.loads(body)["id"]))
        return status, body

    def cancel(i: int) -> tuple[int, bytes]:
        if not taken:
            return take(i)
        token, seat = taken.pop()
        return call("post", f"/api/v1/delivery/seats/{seat}/cancel/", token)

    kinds = {
        "ping": lambda i: call("get", "/bench/ping/", None),
        "ping-api": lambda i: call("get", "/bench/ping-api/", tokens[i % len(tokens)]),
        "take": take,
        "cancel": cancel,
    }

    def prepare(name: str) -> None:
        """Start each measured series from a fresh world: takes find seats (and, late, waitlists); cancels have
        held and waitlisted seats to give back."""
        if name in ("take", "cancel"):
            build(500, 20, 40)
            taken.clear()
        if name == "cancel":
            for i in range(2 * len(tokens)):
                take(i)
            random.shuffle(taken)

    for name in args.what.split(","):
        work = kinds[name]
        count = min(args.requests, 2 * len(tokens)) if name in ("take", "cancel") else args.requests
        prepare(name)
        with CaptureQueriesContext(connection) as queries:
            status, body = work(0)
        print(f"=== {name}: HTTP {status}, {len(queries.captured_queries)} statements; {body[:160]!r}")
        for q in queries.captured_queries:
            print("   ", (q["sql"] or "(not rendered)")[:220].replace("\n", " "))
        prepare(name)
        statuses: dict[int, int] = {}
        db, cpu, wall = database_cpu(), time.process_time(), time.perf_counter()
        for i in range(count):
            status, _ = work(i)
            statuses[status] = statuses.get(status, 0) + 1
        cpu, wall, db = time.process_time() - cpu, time.perf_counter() - wall, database_cpu() - db
        print(f"    {count} requests, per request: {cpu / count * 1000:.2f} ms CPU in Django, "
              f"{db / count * 1000:.2f} ms CPU in the database backend, {wall / count * 1000:.2f} ms wall; "
              f"statuses {statuses}")
        prepare(name)
        profiler = cProfile.Profile(time.process_time)  # CPU time: waits on the database are not this process's cost
        profiler.enable()
        for i in range(count):
            work(i)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
