"""Run the self-selection rush against gunicorn on 127.0.0.1 and write the results (docs/performance.md).

    createdb -h 127.0.0.1 -U postgres guopei_rush                      # once, for PostgreSQL
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/guopei_rush python bench/rush_run.py
    python bench/rush_run.py                                          # SQLite (var/bench/rush.sqlite3)

Phases (default 500 users):
1. plain       — /bench/ping/, a trivial Django view (middleware only), closed loop for --duration;
2. ping        — /bench/ping-api/: token authentication + teacher role check, constant answer (the ceiling);
3. burst-plain, burst-ping — every user starts in the same second and makes two requests to the plain view, or to
                 the API one; burst-write — the same against /bench/ping-write/, the plain view plus one durable
                 INSERT: the floor of any take that writes before it answers;
4. burst       — the rush: every user starts in the same second and chooses two of the 20 offerings × 40 seats
                 (POST …/take/: a seat, or the waitlist when full), the same shape as burst-ping;
5. spread      — the same rush with the 500 arriving over 10 seconds and 1–3 s between a person's two choices;
6. churn       — closed loop of take + give back (…/cancel/, which promotes the waitlist) on 20 offerings × 10
                 seats, so that most cancellations promote someone: sustained writes.
After each rush phase, overbooked seats and counter mismatches are counted in the database (bench/rush_check.py).
Per phase: the load average, and the CPU per answered request of gunicorn, of Locust and (PostgreSQL on this
machine) of the database's backends serving the rush.
Options: --users, --duration, --workers, --threads (gthread workers when > 0), --phases. On PostgreSQL the seat
statements are prepared (bench/rush_settings.py); BENCH_PREPARED=0 runs without.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_cpu import group_cpu_seconds, pid_cpu_seconds

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
    if threads > 0:
        # gthread: keeps connections alive between a user's requests; sync workers close each one.
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


class DatabaseCpu:
    """CPU used by the PostgreSQL backends serving the rush's database (same machine): the server's connections,
    not this script's own, nor other databases' on the same server, nor PostgreSQL's background processes (WAL
    writer, checkpointer). A backend opened during a phase counts from its start; one closed during it is lost
    (the server keeps its connections: CONN_MAX_AGE)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def snapshot(self) -> dict[int, float]:
        rows = self.connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'").fetchall()
        return {pid: pid_cpu_seconds(pid) for (pid,) in rows}

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(max(cpu - before.get(pid, 0.0), 0.0) for pid, cpu in after.items())


def warm_up(requests: int = 300) -> None:
    """Let every worker load its code and open its database connection before anything is measured."""
    token = json.loads((OUT / "rush_world.json").read_text())["tokens"][0]
    for _ in range(requests):
        urllib.request.urlopen(f"{HOST}/bench/ping/", timeout=30).read()
        request = urllib.request.Request(f"{HOST}/bench/ping-api/", headers={"Authorization": f"Token {token}"})
        urllib.request.urlopen(request, timeout=30).read()


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


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def ratios(phases: dict) -> dict:
    """Enrolment throughput against each ceiling measured in the same run (requests per second)."""
    def rps(phase: str, name: str) -> float | None:
        return phases.get(phase, {}).get("stats", {}).get(name, {}).get("rps")

    take = rps("burst", "take")
    result = {}
    write, plain = rps("burst-write", "ping-write"), rps("burst-plain", "ping")
    if write and plain:
        result["burst_write_vs_burst_plain"] = round(write / plain, 3)  # the floor's own share of the ceiling
    for label, ceiling in (("burst_vs_plain", rps("plain", "ping")), ("burst_vs_ping_api", rps("ping", "ping-api")),
                           ("burst_vs_burst_plain", rps("burst-plain", "ping")),
                           ("burst_vs_burst_ping", rps("burst-ping", "ping-api")),
                           ("burst_vs_burst_write", rps("burst-write", "ping-write"))):
        if take and ceiling:
            result[label] = round(take / ceiling, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2, help="gthread workers with this many threads (0: sync)")
    parser.add_argument("--phases", default="plain,ping,burst-plain,burst-ping,burst-write,burst,spread,churn")
    args = parser.parse_args()
    database = "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite"
    OUT.mkdir(parents=True, exist_ok=True)
    run([str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"])
    setup = [str(BIN / "python"), "bench/rush_setup.py"]
    run(setup, stdout=subprocess.DEVNULL)
    server = start_gunicorn(args.workers, args.threads)
    database_cpu = DatabaseCpu(os.environ["BENCH_DATABASE_URL"]) if database == "postgresql" else None
    results: dict = {"database": database, "users": args.users, "duration_s": args.duration,
                     "gunicorn": f"{args.workers} workers" + (f" × {args.threads} threads (gthread)"
                                                              if args.threads > 0 else " (sync)"),
                     "prepared_statements": database == "postgresql" and os.environ.get("BENCH_PREPARED", "1") == "1",
                     "uptime_before": uptime(),
                     "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
                     "phases": {}}
    try:
        warm_up()
        users = args.users
        plan: dict[str, tuple[str, dict[str, str], int, list[str]]] = {
            "plain": ("PlainUser", {}, users, []), "ping": ("PingUser", {}, users, []),
            "burst-plain": ("BurstPlainUser", {}, users, []), "burst-ping": ("BurstPingUser", {}, users, []),
            "burst-write": ("BurstWriteUser", {}, users, []),
            "burst": ("BurstUser", {}, users, []),
            "spread": ("BurstUser", {"BENCH_WAIT": "1-3"}, max(users // 10, 1), []),
            # 10 seats per offering: 200 seats for 500 people, so the waitlists stay long and every cancelled seat
            # is a promotion.
            "churn": ("RushUser", {"BENCH_CANCEL": "1"}, users, ["--seats", "10"]),
        }
        for phase in args.phases.split(","):
            user_class, extra, spawn_rate, world = plan[phase]
            writes = user_class in ("RushUser", "BurstUser")
            if writes:
                run([*setup, *world], stdout=subprocess.DEVNULL)
            server_cpu = group_cpu_seconds(server.pid)
            backends = database_cpu.snapshot() if database_cpu else {}
            load_before = os.getloadavg()[0]
            outcome = locust(phase, user_class, users, args.duration, extra, spawn_rate)
            database_used = database_cpu.used(backends, database_cpu.snapshot()) if database_cpu else None
            outcome["load_average_before"] = load_before
            server_cpu = group_cpu_seconds(server.pid) - server_cpu
            outcome["server_cores"] = round(server_cpu / outcome["wall_seconds"], 2)
            answered = sum(row["requests"] for name, row in outcome["stats"].items() if name != "Aggregated")
            if answered:
                # Per request, which a burst's idle seconds do not dilute (PostgreSQL's own processes not included).
                outcome["server_cpu_ms_per_request"] = round(server_cpu / answered * 1000, 2)
                outcome["locust_cpu_ms_per_request"] = round(outcome["locust_cpu_seconds"] / answered * 1000, 2)
                if database_used is not None:
                    outcome["database_cpu_ms_per_request"] = round(database_used / answered * 1000, 2)
            outcome["load_average_after"] = os.getloadavg()[0]
            if writes:
                time.sleep(2)  # requests cut off by the time limit finish before counting
                check = run([str(BIN / "python"), "bench/rush_check.py"], capture_output=True, text=True)
                outcome["database_check"] = json.loads(check.stdout.strip().splitlines()[-1])
            results["phases"][phase] = outcome
            print(phase, json.dumps(outcome, ensure_ascii=False), flush=True)
    finally:
        stop(server)
    results["uptime_after"] = uptime()
    results["ratios"] = ratios(results["phases"])
    print("ratios", json.dumps(results["ratios"]), flush=True)
    (OUT / f"rush_results_{database}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    sys.exit(main())
