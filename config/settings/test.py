"""Test settings: fast hashing, an immediate task backend, fixed keys."""

import os

from .base import *  # noqa: F403

SECRET_KEY = "test-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PII_KEYS = ["dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q="]
PII_HASH_KEY = "test-only-pii-hash-key"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
if "default" in DATABASES and DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    # Parallel runs on one server need distinct test databases.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME", "test_guopei")}  # noqa: F405
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}  # noqa: F405
