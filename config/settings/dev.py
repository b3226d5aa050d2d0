"""Local development and the demo: debug on, a fixed non-secret key, second factor off."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production-0123456789"  # noqa: F405
PII_KEYS = PII_KEYS or ["ZGV2LW9ubHktcGlpLWtleS0wMTIzNDU2Nzg5YWJjZGU="]  # noqa: F405
PII_HASH_KEY = PII_HASH_KEY or "dev-only-pii-hash-key"  # noqa: F405
