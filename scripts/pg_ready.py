"""Exit 0 when the PostgreSQL server named by the URL answers, 1 otherwise."""

import sys

import dj_database_url
import psycopg

url = sys.argv[1]
cfg = dj_database_url.parse(url)
try:
    psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1",
        port=cfg["PORT"] or 5432,
        user=cfg["USER"] or "postgres",
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        connect_timeout=3,
    ).close()
except Exception as exc:
    print(f"PostgreSQL: {exc}", file=sys.stderr)
    sys.exit(1)
