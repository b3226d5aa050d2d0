"""Run the self-selection rush against gunicorn on 127.0.0.1 and write the results (docs/performance.md).

    createdb -h 127.0.0.1 -U postgres guopei_rush                      # once, for PostgreSQL
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/guopei_rush python bench/rush_run.py
    python bench/rush_run.py                                          # SQLite (var/bench/rush.sqlite3)

Phases (default 500 users):
1. plain       — /bench/ping/, a trivial Django view (middleware only), closed loop for --duration;
2. ping        — /bench/ping-api/: token authentication + teacher role check, constant answer (the ceiling);
3. burst-ping  — every user starts in the same second and makes two /bench/ping-api/ requests;
4. burst       — the rush: every user starts in the same second and chooses two of the 20 offerings × 40 seats
                 (POST …/take/: a seat, or the waitlist when full), the same shape as burst-ping;
5. spread      — the same rush with the 500 arriving over 10 seconds and 1–3 s between a person's two choices;
6. churn       — closed loop of take + give back (…/cancel/, which promotes the waitlist): sustained writes.
After each rush phase, overbooked seats and counter mismatches are counted in the database (bench/rush_check.py).
Options: --users, --duration, --workers, --threads (gthread workers when > 1), --phases.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("BENCH_PORT", 18461))
HOST = f"http://127.0.0.1:{PORT}"


def env() -> dict[str, str]:
    values = dict(os.environ)
    values["DJANGO_SETTINGS_MODULE"] = "bench.rush_settings"
    values["PYTHONPATH"] = str(ROOT)
    return values


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=kwargs.pop("env", env()), check=kwargs.pop("check", True), **kwargs)


def start_gunicorn(workers: int, threads: int) -> subprocess.Popen:
    cmd = [str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", str(workers), "--preload",
           "--log-level", "warning", "--backlog", "4096", "--timeout", "120"]
    if threads > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{HOST}/bench/ping/", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def proc_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group (Linux /proc)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # fields after the name: state, ppid, pgrp, …, utime (11), stime (12)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def warm_up(requests: int = 300) -> None:
    """Let every worker load its code and open its database connection before anything is measured."""
    for _ in range(requests):
        urllib.request.urlopen(f"{HOST}/bench/ping/", timeout=30).read()


def locust(phase: str, user_class: str, users: int, duration: int, extra_env: dict[str, str],
           spawn_rate: int) -> dict:
    prefix = OUT / f"rush_{phase}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run([str(BIN / "locust"), "-f", "bench/rush_locustfile.py", "--headless", "-u", str(users), "-r", str(spawn_rate),
         "-t", f"{duration}s", "--host", HOST, "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
         "--loglevel", "WARNING", user_class], env={**env(), **extra_env}, check=False,
        stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1), "p50": float(row["50%"]), "p95": float(row["95%"]),
                "p99": float(row["99%"]), "max": round(float(row["Max Response Time"]), 1),
            }
    return {"stats": rows, "locust_cpu_seconds": round(cpu, 1), "locust_cores": round(cpu / wall, 2),
            "wall_seconds": round(wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--phases", default="plain,ping,burst-ping,burst,spread,churn")
    args = parser.parse_args()
    database = "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite"
    OUT.mkdir(parents=True, exist_ok=True)
    run([str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"])
    setup = [str(BIN / "python"), "bench/rush_setup.py"]
    run(setup, stdout=subprocess.DEVNULL)
    server = start_gunicorn(args.workers, args.threads)
    results: dict = {"database": database, "users": args.users, "duration_s": args.duration,
                     "gunicorn": f"{args.workers} workers" + (f" × {args.threads} threads (gthread)"
                                                              if args.threads > 1 else " (sync)"),
                     "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
                     "phases": {}}
    try:
        warm_up()
        users = args.users
        plan = {
            "plain": ("PlainUser", {}, users), "ping": ("PingUser", {}, users),
            "burst-ping": ("BurstPingUser", {}, users), "burst": ("BurstUser", {}, users),
            "spread": ("BurstUser", {"BENCH_WAIT": "1-3"}, max(users // 10, 1)),
            "churn": ("RushUser", {"BENCH_CANCEL": "1"}, users),
        }
        for phase in args.phases.split(","):
            user_class, extra, spawn_rate = plan[phase]
            writes = user_class in ("RushUser", "BurstUser")
            if writes:
                run(setup, stdout=subprocess.DEVNULL)
            server_cpu = proc_cpu_seconds(server.pid)
            outcome = locust(phase, user_class, users, args.duration, extra, spawn_rate)
            outcome["server_cores"] = round((proc_cpu_seconds(server.pid) - server_cpu) / outcome["wall_seconds"], 2)
            outcome["load_average_after"] = os.getloadavg()[0]
            if writes:
                time.sleep(2)  # requests cut off by the time limit finish before counting
                check = run([str(BIN / "python"), "bench/rush_check.py"], capture_output=True, text=True)
                outcome["database_check"] = json.loads(check.stdout.strip().splitlines()[-1])
            results["phases"][phase] = outcome
            print(phase, json.dumps(outcome, ensure_ascii=False), flush=True)
    finally:
        stop(server)
    (OUT / f"rush_results_{database}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
