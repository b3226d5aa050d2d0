"""Settings for the self-selection rush benchmark: the platform's settings, its own database, two trivial views.

PostgreSQL when BENCH_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/guopei_rush), else the SQLite
file var/bench/rush.sqlite3 with the platform's SQLite options (WAL, IMMEDIATE transactions, busy timeout).
Connections persist across requests (CONN_MAX_AGE), as a deployment behind gunicorn would have them.
"""

import os

import dj_database_url

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, DATABASES, LOGGING

SECRET_KEY = "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PII_KEYS = ["YmVuY2gtb25seS1waWkta2V5LTAxMjM0NTY3ODlhYmM="]
PII_HASH_KEY = "bench-only-pii-hash-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
MEDIA_ROOT = BASE_DIR / "var" / "bench" / "media"
OTP_REQUIRED_FOR_PROVINCE = False
ROOT_URLCONF = "bench.rush_urls"
# The offerings of the rush: no cap on holdings beyond the platform's default, waitlist on.
DELIVERY_OFFERING_CAP = 2
DELIVERY_WAITLIST = True

_url = os.environ.get("BENCH_DATABASE_URL", "")
if _url:
    DATABASES = {"default": dict(dj_database_url.parse(_url, conn_max_age=600))}
    # Prepared statements for the statements bound on the server (the seat statements and their token check; the
    # ORM binds in the client and never prepares). BENCH_PREPARED=0 measures without them.
    if os.environ.get("BENCH_PREPARED", "1") == "1":
        DATABASES["default"]["OPTIONS"] = {"prepare_threshold": 5}
else:
    (BASE_DIR / "var" / "bench").mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ.get(
        "BENCH_SQLITE_PATH", str(BASE_DIR / "var" / "bench" / "rush.sqlite3")), "CONN_MAX_AGE": 600}}
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}
