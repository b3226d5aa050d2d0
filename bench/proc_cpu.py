"""CPU time of processes on this machine, read from Linux's /proc: for the benchmarks' CPU figures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the process name (state, ppid, pgrp, …, utime at 11, stime at 12);
    None when the process is gone or unreadable."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(fields: list[str]) -> float:
    """User + system CPU seconds from `stat_fields`."""
    return (int(fields[11]) + int(fields[12])) / TICK


def pid_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by one process; 0 when it is gone."""
    fields = stat_fields(pid)
    return cpu_seconds(fields) if fields else 0.0


def group_cpu_seconds(pgrp: int) -> float:
    """CPU seconds used so far by the live processes of a process group."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := stat_fields(entry.name)) and int(fields[2]) == pgrp:
            total += cpu_seconds(fields)
    return total


def backend_cpu_seconds(connection: Any) -> float | None:
    """CPU seconds used so far by the PostgreSQL backend serving a Django connection (server on this machine);
    None on another database or when the backend's process cannot be read."""
    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = stat_fields(pid)
    return cpu_seconds(fields) if fields else None
