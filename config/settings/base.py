"""Settings shared by every environment; each value that differs per deployment comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GUOPEI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "guopei.core",
    "guopei.orgs",
    "guopei.plans",
    "guopei.tenders",
    "guopei.teachers",
    "guopei.delivery",
    "guopei.credits",
    "guopei.api",
    "guopei.evaluation",
    "guopei.summary",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "guopei.core.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "guopei.core.middleware.RequestContextMiddleware",
    "guopei.core.middleware.NoStoreMiddleware",
    "guopei.core.middleware.OTPRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guopei" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guopei.orgs.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------------------
# SQLite by default (one file, WAL, writers take the lock at BEGIN so they queue instead of failing);
# PostgreSQL when DATABASE_URL is set.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES: dict[str, Any]
if DATABASE_URL:
    DATABASES = {"default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sessions: idle timeout 30 minutes, absolute lifetime 12 hours ----------------------------------------
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", 12 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Lockout (django-axes): 5 failures lock the account for 15 minutes ------------------------------------
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# The lock lasts AXES_COOLOFF_TIME from the failure that set it; attempts during the lock are refused (and
# audited) without pushing its end further out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# One notion of "the client's address" for lockout records and audit events (see TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "guopei.core.middleware.client_ip"
# Lock per account, not per IP: county offices sit behind one shared NAT address, and an IP lock would shut
# out a whole county because of one person's typos. See docs/security.md.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Number of reverse proxies in front of the application that append to X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). Set it to exactly the number deployed, or clients can forge their address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))

# Province-level administrators must pass a TOTP second factor when this is on (on in production).
OTP_REQUIRED_FOR_PROVINCE = env_bool("OTP_REQUIRED_FOR_PROVINCE", False)
OTP_TOTP_ISSUER = "国培计划管理平台"

# --- Content security policy (django-csp 4) -------------------------------------------------------------
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Locale -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "Y-m-d"

# --- Static and media -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    BASE_DIR / "guopei" / "static",
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Private files are never served from a public URL: views stream them after an access check.
MEDIA_URL = "/media-not-served/"
WHITENOISE_ALLOW_ALL_ORIGINS = False

STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if os.environ.get("S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Background jobs (django-tasks) ---------------------------------------------------------------------
# Database queue by default; Redis + RQ when REDIS_URL is set. Either way the worker is
# `manage.py run_worker` (see docs/operations.md). JOBS_QUEUE separates deployments sharing one Redis.
REDIS_URL = os.environ.get("REDIS_URL", "")
JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE", "default")
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Live job progress, shared by the web and worker processes (a job's own transaction hides its row).
    "jobs": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache" / "jobs"),
    },
}
if REDIS_URL:
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {JOBS_QUEUE_NAME: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [JOBS_QUEUE_NAME]}}
    CACHES["jobs"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [JOBS_QUEUE_NAME]}}
# Each worker writes a heartbeat this often; it counts as alive if the last one is younger than the max age.
WORKER_HEARTBEAT_INTERVAL = int(os.environ.get("WORKER_HEARTBEAT_INTERVAL", 10))
WORKER_HEARTBEAT_MAX_AGE = int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", 90))

# --- REST API ---------------------------------------------------------------------------------------------
# An API token is accepted for this many hours after it was issued (like the pages' 12-hour session limit).
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", 12))
# Token authentication first, so an anonymous API request gets 401 with `WWW-Authenticate: Token`.
# JSON only: the interactive docs are at /api/docs/. See guopei/api/base.py for how apps add endpoints.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "guopei.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "guopei.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "guopei.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "国培计划管理平台 API",
    "DESCRIPTION": "省级国培计划管理平台的接口。所有列表按当前用户的区域范围过滤；范围外的对象返回 404。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Swagger UI from the drf-spectacular-sidecar static files: no CDN, allowed by the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    # 100+ operations: a filter box by tag, and links that open one operation.
    "SWAGGER_UI_SETTINGS": {"filter": True, "deepLinking": True},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Same-named choice fields of different models need distinct enum names (add yours here).
    "ENUM_NAME_OVERRIDES": {
        "SchoolKindEnum": "guopei.orgs.models.School.Kind",
        "InstitutionKindEnum": "guopei.orgs.models.Institution.Kind",
    },
}

# --- Personal data encryption ---------------------------------------------------------------------------
# Fernet keys, newest first; old keys stay to decrypt until `manage.py pii_rotate` re-encrypts.
PII_KEYS = env_list("PII_KEYS")
# Key for the keyed hash (HMAC-SHA256) used to look up and de-duplicate encrypted values.
PII_HASH_KEY = os.environ.get("PII_HASH_KEY", "")

# --- Programme settings -----------------------------------------------------------------------------------
PROVINCE_CODE = os.environ.get("GUOPEI_PROVINCE_CODE", "140000")
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", 365))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry query strings; none of ours carry personal data, but keep them out anyway.
        "django.server": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Teacher database and selection (MGMT-4, MGMT-5, MGMT-6) ---------------------------------------------
# How personal data is encrypted at rest: "aesgcm" (default, docs/adr/0002-pii-encryption.md) or "fernet".
PII_CIPHER = os.environ.get("PII_CIPHER", "aesgcm")
# The participation cap (MGMT-4) until the province sets its own: cycles of N years from a start year, at most
# CAP programme participations per cycle. A city or county may lower the cap, never raise it.
TEACHERS_CYCLE_YEARS = int(os.environ.get("TEACHERS_CYCLE_YEARS", 5))
TEACHERS_CYCLE_START_YEAR = int(os.environ.get("TEACHERS_CYCLE_START_YEAR", 2016))
TEACHERS_CYCLE_CAP = int(os.environ.get("TEACHERS_CYCLE_CAP", 2))
# Training hours a teacher needs per year; who already has them is not sent again that year (MGMT-4).
TEACHERS_ANNUAL_HOURS_REQUIRED = int(os.environ.get("TEACHERS_ANNUAL_HOURS_REQUIRED", 72))
# Ranking of eligible teachers: reserve pool first, then fewest participations, longest since the last one,
# rural schools first. Score = pool + pool_priority×(10−priority) − participations×n + years_since×y + rural.
TEACHERS_RANKING_WEIGHTS = {
    "reserve_pool": 10000,
    "pool_priority": 100,
    "participation": 50,
    "year_since_last": 4,
    "max_years_since_last": 10,
    "rural": 1,
}
# Roster and history imports: largest file and most rows accepted in one upload.
TEACHERS_IMPORT_MAX_BYTES = int(os.environ.get("TEACHERS_IMPORT_MAX_MB", 40)) * 1024 * 1024
TEACHERS_IMPORT_MAX_ROWS = int(os.environ.get("TEACHERS_IMPORT_MAX_ROWS", 200000))
# Big roster files are validated and encrypted in this many worker processes (at most one per core).
TEACHERS_IMPORT_PROCESSES = int(os.environ.get("TEACHERS_IMPORT_PROCESSES", 2))
# Teacher lists count matching rows only up to this many (a COUNT over a province's million rows is not free).
TEACHERS_LIST_COUNT_LIMIT = int(os.environ.get("TEACHERS_LIST_COUNT_LIMIT", 10000))
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "TeacherPostEnum": "guopei.teachers.models.Post",
    "TeacherBackboneLevelEnum": "guopei.teachers.models.BackboneLevel",
    "TeacherTitleEnum": "guopei.teachers.models.Title",
    "TeacherGenderEnum": "guopei.teachers.models.Teacher.Gender",
    "TeacherEmploymentTypeEnum": "guopei.teachers.models.Teacher.EmploymentType",
    "TeacherStatusEnum": "guopei.teachers.models.Teacher.Status",
    "TeacherNominationStatusEnum": "guopei.teachers.models.Nomination.Status",
})

# --- Ten-year summary and public column (SUMMARY-1, SUMMARY-2) ------------------------------------------
# The summary's year and the day cities must submit by (MM-DD, inclusive, Asia/Shanghai; the notice: 20 August).
SUMMARY_YEAR = int(os.environ.get("SUMMARY_YEAR", 2020))
SUMMARY_DEADLINE = os.environ.get("SUMMARY_DEADLINE", "08-20")
# Upload limits per file by kind, and for all of one city's materials together.
SUMMARY_MAX_BYTES = {
    "image": int(os.environ.get("SUMMARY_MAX_IMAGE_MB", 20)) * 1024 * 1024,
    "video": int(os.environ.get("SUMMARY_MAX_VIDEO_MB", 500)) * 1024 * 1024,
    "document": int(os.environ.get("SUMMARY_MAX_DOCUMENT_MB", 50)) * 1024 * 1024,
}
SUMMARY_CITY_QUOTA_BYTES = int(os.environ.get("SUMMARY_CITY_QUOTA_MB", 10 * 1024)) * 1024 * 1024
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "SummaryMaterialKindEnum": "guopei.summary.models.Material.Kind",
    "SummarySubmissionStateEnum": "guopei.summary.models.Submission.State",
    "SummaryOutcomeStageEnum": "guopei.summary.models.TraineeOutcome.Stage",
    "SummaryOutcomeFormEnum": "guopei.summary.models.TraineeOutcome.Form",
})

# --- Annual plan, quotas and special funds (PLAN-1 … PLAN-6) -----------------------------------------------
# PLAN-5: each IT 2.0 teacher completes at least this many hours, of which this many practice-application hours.
PLAN_IT20_MIN_HOURS = int(os.environ.get("PLAN_IT20_MIN_HOURS", 50))
PLAN_IT20_MIN_PRACTICE_HOURS = int(os.environ.get("PLAN_IT20_MIN_PRACTICE_HOURS", 25))
# A training day carries at most this many hours: a project's hours may not exceed days × this.
PLAN_MAX_HOURS_PER_DAY = int(os.environ.get("PLAN_MAX_HOURS_PER_DAY", 10))
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "PlanStatusEnum": "guopei.plans.models.AnnualPlan.Status",
    "PlanTrainingFormEnum": "guopei.plans.models.Project.Form",
    "PlanComponentKindEnum": "guopei.plans.models.ProjectComponent.Kind",
})

# --- Tenders and course plans (TENDER-1 … TENDER-6, COURSE-1 … COURSE-5) --------------------------------------
# TENDER-2: at most this many distinct institutions win the IT 2.0 county tenders of one year, province-wide.
IT20_MAX_INSTITUTIONS = int(os.environ.get("IT20_MAX_INSTITUTIONS", 5))
# A tender with fewer valid bids than this fails (流标); each tender may set its own number.
TENDERS_MIN_VALID_BIDS = int(os.environ.get("TENDERS_MIN_VALID_BIDS", 3))
# The standstill (定标公示) after an award, in days, before the contract may be signed; each tender may set its own.
TENDERS_STANDSTILL_DAYS = int(os.environ.get("TENDERS_STANDSTILL_DAYS", 3))
# Experts a panel needs before evaluation (or an expert selection) starts.
TENDERS_MIN_EXPERTS = int(os.environ.get("TENDERS_MIN_EXPERTS", 3))
# Largest protocol or bid document accepted (PDF or Word).
TENDERS_MAX_DOCUMENT_BYTES = int(os.environ.get("TENDERS_MAX_DOCUMENT_MB", 50)) * 1024 * 1024
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "TenderStatusEnum": "guopei.tenders.models.Tender.Status",
    "TenderCancelReasonEnum": "guopei.tenders.models.Tender.CancelReason",
    "TenderBidMemberRoleEnum": "guopei.tenders.models.BidMember.Role",
    "TenderAssignmentStageEnum": "guopei.tenders.models.ExpertAssignment.Stage",
    "TenderAwardKindEnum": "guopei.tenders.models.Award.Kind",
    "TenderAwardStatusEnum": "guopei.tenders.models.Award.Status",
    "CoursePlanStatusEnum": "guopei.tenders.models.CoursePlan.Status",
})

# --- Delivery: classes, self-selection, attendance, completion, safety (MGMT-3/5/6, TRAINEE-1/2, COURSE-5) ----
# The QR code shown in the room changes every N seconds; a scan is good for the current and the previous code,
# and only from N minutes before a session starts until it ends.
DELIVERY_QR_ROTATION_SECONDS = int(os.environ.get("DELIVERY_QR_ROTATION_SECONDS", 30))
DELIVERY_CHECKIN_OPENS_MINUTES = int(os.environ.get("DELIVERY_CHECKIN_OPENS_MINUTES", 30))
# A check-in later than this many minutes after the start counts as late.
DELIVERY_LATE_AFTER_MINUTES = int(os.environ.get("DELIVERY_LATE_AFTER_MINUTES", 10))
# Self-selection (MGMT-3): offerings one teacher may hold (or wait for) at once, and whether a full offering
# takes a waitlist that is promoted automatically when someone cancels.
DELIVERY_OFFERING_CAP = int(os.environ.get("DELIVERY_OFFERING_CAP", 2))
DELIVERY_WAITLIST = env_bool("DELIVERY_WAITLIST", True)
# Completion (结业考核): attendance (share of the class's hours, in %) and the class's pass mark must both be met.
DELIVERY_COMPLETION_ATTENDANCE_PERCENT = int(os.environ.get("DELIVERY_COMPLETION_ATTENDANCE_PERCENT", 80))
# Sessions generated from the course plan's modules: at most this many hours each, two a day.
DELIVERY_SESSION_MAX_HOURS = int(os.environ.get("DELIVERY_SESSION_MAX_HOURS", 4))
# The sending unit's results-application assessment (成果应用考核) opens this many days after the class ends.
DELIVERY_APPLICATION_AFTER_DAYS = int(os.environ.get("DELIVERY_APPLICATION_AFTER_DAYS", 28))
# Trainees without recorded accident insurance are reminded this many days before the class starts (TRAINEE-2).
DELIVERY_INSURANCE_REMINDER_DAYS = int(os.environ.get("DELIVERY_INSURANCE_REMINDER_DAYS", 3))

# --- Credit hours and IT 2.0 progress (MGMT-3, PLAN-5) --------------------------------------------------------
# The continuing-education cycle: CREDIT_CYCLE_HOURS recognised hours in each block of CREDIT_CYCLE_YEARS years
# counted from CREDIT_CYCLE_START_YEAR (2016–2020 is one cycle). The annual requirement is
# TEACHERS_ANNUAL_HOURS_REQUIRED above, shared with selection.
CREDIT_CYCLE_YEARS = int(os.environ.get("CREDIT_CYCLE_YEARS", 5))
CREDIT_CYCLE_START_YEAR = int(os.environ.get("CREDIT_CYCLE_START_YEAR", 2016))
CREDIT_CYCLE_HOURS = int(os.environ.get("CREDIT_CYCLE_HOURS", 360))
# Recognised hours per credit (学分). The notice leaves the rate to the province; the default is 10 hours to one
# credit (360 hours = 36 credits a cycle). Credits are fixed when hours are recognised.
CREDIT_HOURS_PER_CREDIT = int(os.environ.get("CREDIT_HOURS_PER_CREDIT", 10))
# Evidence a teacher attaches to other training (PDF, picture or Word document), largest accepted.
CREDIT_EVIDENCE_MAX_BYTES = int(os.environ.get("CREDIT_EVIDENCE_MAX_MB", 10)) * 1024 * 1024
# Most records one bulk approval may decide (each is audited on its own).
CREDIT_BULK_APPROVE_MAX = int(os.environ.get("CREDIT_BULK_APPROVE_MAX", 500))
# PLAN-5: every teacher of an IT 2.0 county completes at least this many hours, this many of them practice —
# the same thresholds a project's plan must meet (one pair of settings for both).
IT20_MIN_HOURS = PLAN_IT20_MIN_HOURS
IT20_MIN_PRACTICE_HOURS = PLAN_IT20_MIN_PRACTICE_HOURS
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "CreditsHourRecordKindEnum": "guopei.credits.models.HourRecord.Kind",
    "CreditsHourRecordStatusEnum": "guopei.credits.models.HourRecord.Status",
    "CreditsHourRecordOriginEnum": "guopei.credits.models.HourRecord.Origin",
})

# --- Performance evaluation and bulletins (MGMT-7) ------------------------------------------------------------
# A class's survey results are shown only after the class has ended and at least this many trainees answered.
SURVEY_MIN_ANSWERS = int(os.environ.get("SURVEY_MIN_ANSWERS", 5))
# Photos an expert takes on a field visit: largest file accepted, and most photos per visit.
EVALUATION_PHOTO_MAX_BYTES = int(os.environ.get("EVALUATION_PHOTO_MAX_MB", 10)) * 1024 * 1024
EVALUATION_MAX_PHOTOS_PER_VISIT = int(os.environ.get("EVALUATION_MAX_PHOTOS_PER_VISIT", 12))
# Largest third-party score file accepted (XLSX or CSV).
EVALUATION_IMPORT_MAX_BYTES = int(os.environ.get("EVALUATION_IMPORT_MAX_MB", 10)) * 1024 * 1024
# The issuer printed at the foot of a bulletin.
BULLETIN_ISSUER = os.environ.get("BULLETIN_ISSUER", "山西省教育厅")
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update({  # type: ignore[union-attr]
    "EvaluationQuestionKindEnum": "guopei.evaluation.models.Question.Kind",
    "EvaluationVisitStateEnum": "guopei.evaluation.models.FieldVisit.State",
    "EvaluationBulletinStatusEnum": "guopei.evaluation.models.Bulletin.Status",
    "EvaluationForumRatingEnum": "guopei.evaluation.models.Forum.Rating",
})
