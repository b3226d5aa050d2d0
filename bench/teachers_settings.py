"""Settings for the teacher benchmarks: the platform's settings, a separate database, django-import-export.

django-import-export is installed only with the `bench` extra (`pip install -e '.[bench]'`) and appears in
INSTALLED_APPS only here, for the side-by-side import comparison. The database is `var/bench/teachers.sqlite3`
unless BENCH_DATABASE_URL points at PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/guopei_bench).
"""

import os

import dj_database_url

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, INSTALLED_APPS, LOGGING

SECRET_KEY = "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PII_KEYS = ["YmVuY2gtb25seS1waWkta2V5LTAxMjM0NTY3ODlhYmM="]
PII_HASH_KEY = "bench-only-pii-hash-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
MEDIA_ROOT = BASE_DIR / "var" / "bench" / "media"
OTP_REQUIRED_FOR_PROVINCE = False

_url = os.environ.get("BENCH_DATABASE_URL", "")
if _url:
    DATABASES = {"default": dict(dj_database_url.parse(_url, conn_max_age=600))}
else:
    (BASE_DIR / "var" / "bench").mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_SQLITE_PATH", str(BASE_DIR / "var" / "bench" / "teachers.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 60,
                # The platform's own pragmas (config/settings/base.py): what is measured is what runs.
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=60000;"
                                "PRAGMA foreign_keys=ON;",
            },
        }
    }
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}
