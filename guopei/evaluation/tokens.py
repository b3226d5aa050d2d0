"""Survey tokens (评教码): 16 characters of base32, shown in groups of four, stored only as a SHA-256 hash.

A token is derived from the survey, a random nonce stored with it and the server's secret key, so the server can
show a trainee their own link again without storing the token itself; the database alone does not reveal any.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

from django.utils.crypto import salted_hmac

TOKEN_CHARS = 16
_SALT = "guopei.evaluation.survey-token"
_CLEAN = re.compile(r"[\s\-]+")


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(survey_id: int, nonce: str) -> str:
    digest = salted_hmac(_SALT, f"{survey_id}:{nonce}", algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii")[:TOKEN_CHARS]


def normalise(raw: str) -> str:
    """Upper-case the token and drop spaces and hyphens people type or copy along with it."""
    return _CLEAN.sub("", str(raw or "")).upper()[:64]


def token_hash(raw: str) -> str:
    return hashlib.sha256(normalise(raw).encode("ascii", "ignore")).hexdigest()


def display(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))
