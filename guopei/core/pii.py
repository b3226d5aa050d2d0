"""Encrypt personal data at rest, look it up by keyed hash, and mask it for screens and exports.

Keys come from settings: `PII_KEYS` is a list of Fernet keys (urlsafe base64 of 32 bytes), newest first;
`PII_HASH_KEY` keys the HMAC-SHA256 used for exact lookup and uniqueness. Values are written with AES-256-GCM
under a key derived from the newest key (HKDF-SHA256) and carry that key's id, so any key still in the list
decrypts them and `manage.py pii_rotate` can find what is not yet under the newest key. Fernet tokens
(written when `PII_CIPHER = "fernet"`) are read through `MultiFernet` with the same keys. Why AES-GCM by
default: a roster import encrypts two values per row, and Fernet costs about six times as much per value
(docs/adr/0002-pii-encryption.md).

Token layout (AES-GCM): ``a1:<key id, 8 hex>:<base64url(nonce 12 bytes || ciphertext || tag)>``.

Keyed hashes are HMAC-SHA256 truncated to its first 128 bits (32 hex characters, as HMAC-SHA-256-128 in RFC
4868): collisions stay out of reach (about 2^64 values before one is likely; a province has 10^6) and guessing
a value from its hash needs the key, while every lookup index holds half as many bytes as with the full digest
(measured on 1,000,000 teachers: 268 MB less database, and a 100,000-row import writes that much less).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

AESGCM_PREFIX = "a1"
_HKDF_INFO = b"guopei-pii-aes-256-gcm-v1"

ERR_NO_KEYS = "PII_KEYS 未设置：无法加密或解密个人信息"
ERR_NO_HASH_KEY = "PII_HASH_KEY 未设置：无法计算个人信息的检索散列"


class PiiDecryptError(Exception):
    """A stored value that none of the configured keys can decrypt."""


@dataclass(frozen=True)
class _Keyring:
    ids: tuple[str, ...]  # newest first
    aes: dict[str, AESGCM]
    fernet: MultiFernet
    fernet_newest: Fernet
    hash_key: bytes
    cipher: str

    @property
    def newest_id(self) -> str:
        return self.ids[0]


def _derive(raw_key: str) -> tuple[str, AESGCM]:
    try:
        material = base64.urlsafe_b64decode(raw_key.encode())
    except (ValueError, TypeError):
        raise ImproperlyConfigured("PII_KEYS 中的密钥不是有效的 base64 编码") from None
    if len(material) != 32:
        raise ImproperlyConfigured("PII_KEYS 中的每个密钥都应是 32 字节（Fernet 密钥格式）")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)
    key_id = hashlib.sha256(b"key-id:" + derived).hexdigest()[:8]
    return key_id, AESGCM(derived)


@lru_cache(maxsize=4)
def _keyring_for(keys: tuple[str, ...], hash_key: str, cipher: str) -> _Keyring:
    if not keys:
        raise ImproperlyConfigured(ERR_NO_KEYS)
    if not hash_key:
        raise ImproperlyConfigured(ERR_NO_HASH_KEY)
    ids: list[str] = []
    aes: dict[str, AESGCM] = {}
    for key in keys:
        key_id, cipher_obj = _derive(key)
        ids.append(key_id)
        aes[key_id] = cipher_obj
    fernets = [Fernet(key.encode()) for key in keys]
    return _Keyring(ids=tuple(ids), aes=aes, fernet=MultiFernet(fernets), fernet_newest=fernets[0],
                    hash_key=hash_key.encode(), cipher=cipher)


_LAST: tuple[object, _Keyring] | None = None


def _keyring() -> _Keyring:
    """The keys of the current settings; looked up once per settings object (imports call this per value)."""
    global _LAST
    # Reading attributes of the lazy settings object costs more than an encryption; the wrapped object changes
    # only when settings are overridden (tests), so remember the keyring per wrapped object.
    wrapped = object.__getattribute__(settings, "_wrapped")
    if _LAST is not None and _LAST[0] is wrapped:
        return _LAST[1]
    ring = _keyring_for(
        tuple(settings.PII_KEYS), settings.PII_HASH_KEY, getattr(settings, "PII_CIPHER", "aesgcm")
    )
    _LAST = (object.__getattribute__(settings, "_wrapped"), ring)
    return ring


def pii_encrypt(value: str) -> str:
    """Encrypt one value under the newest key; the empty string stays empty."""
    if not value:
        return ""
    ring = _keyring()
    data = value.encode()
    if ring.cipher == "fernet":
        return ring.fernet.encrypt(data).decode()
    nonce = os.urandom(12)
    sealed = ring.aes[ring.newest_id].encrypt(nonce, data, None)
    return f"{AESGCM_PREFIX}:{ring.newest_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


# base64url without a per-call function chain: b2a_base64 and a translation table (what urlsafe_b64encode does).
_URLSAFE = bytes.maketrans(b"+/", b"-_")
# Counts forks in this process's line: an encrypter made before a fork must not hand the same pooled nonces to
# parent and child (a repeated AES-GCM nonce under one key would reveal both plaintexts).
_FORKS = [0]
os.register_at_fork(after_in_child=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


def pii_encrypter() -> Callable[[str], str]:
    """`pii_encrypt` for many values in a row (a roster import): the keyring read once, the same tokens.

    Nonces are drawn from the operating system 4,096 at a time instead of one system call per value; each is
    still 12 random bytes used once (the token format and its security are those of `pii_encrypt`), and the
    pool is drawn again after a fork.
    """
    ring = _keyring()
    if ring.cipher == "fernet":
        return pii_encrypt
    seal = ring.aes[ring.newest_id].encrypt
    prefix = f"{AESGCM_PREFIX}:{ring.newest_id}:"
    b2a, urlsafe, urandom = binascii.b2a_base64, _URLSAFE, os.urandom
    pool = b""
    used = 0
    forks = _FORKS
    generation = forks[0]

    def encrypt(value: str) -> str:
        nonlocal pool, used, generation
        if not value:
            return ""
        if used >= len(pool) or generation != forks[0]:
            pool, used, generation = urandom(12 * 4096), 0, forks[0]
        nonce = pool[used:used + 12]
        used += 12
        return prefix + b2a(nonce + seal(nonce, value.encode(), None), newline=False).translate(urlsafe).decode()

    return encrypt


# Hex characters kept of the HMAC-SHA256 digest (128 bits); see the module's docstring.
HASH_HEX_LENGTH = 32


def pii_hasher() -> Callable[[str], str]:
    """`pii_hash` for many values in a row: the same truncated HMAC-SHA256 digests, about twice as fast per value.

    HMAC (RFC 2104) from the key's inner and outer SHA-256 states, computed once and copied per value.
    """
    inner, outer = _hmac_states(_keyring().hash_key)

    def hash_value(value: str) -> str:
        if not value:
            return ""
        state = inner.copy()
        state.update(value.encode())
        final = outer.copy()
        final.update(state.digest())
        return final.digest()[:HASH_HEX_LENGTH // 2].hex()

    return hash_value


@lru_cache(maxsize=4)
def _hmac_states(key: bytes) -> tuple[Any, Any]:
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def pii_decrypt(token: str) -> str:
    """Decrypt a value written by `pii_encrypt` under any configured key."""
    if not token:
        return ""
    ring = _keyring()
    if token.startswith(AESGCM_PREFIX + ":"):
        try:
            _, key_id, body = token.split(":", 2)
            blob = base64.urlsafe_b64decode(body.encode())
            return ring.aes[key_id].decrypt(blob[:12], blob[12:], None).decode()
        except (KeyError, ValueError, InvalidTag):
            raise PiiDecryptError("无法解密：密钥不在 PII_KEYS 中或数据已损坏") from None
    try:
        return ring.fernet.decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise PiiDecryptError("无法解密：密钥不在 PII_KEYS 中或数据已损坏") from None


def pii_is_current(token: str) -> bool:
    """Tell whether a stored value is already written the way `pii_encrypt` writes now (newest key, cipher)."""
    if not token:
        return True
    ring = _keyring()
    if ring.cipher == "fernet":
        if token.startswith(AESGCM_PREFIX + ":"):
            return False
        try:
            # Fernet tokens carry no key id: current if the newest key alone decrypts it.
            ring.fernet_newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True
    return token.startswith(f"{AESGCM_PREFIX}:{ring.newest_id}:")


def pii_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, first 128 bits, hex) for exact lookup and uniqueness; "" stays "".

    Stored in the teachers' `id_hash` / `phone_hash`, the keys of the teacher database (MGMT-4).
    """
    if not value:
        return ""
    return hmac.digest(_keyring().hash_key, value.encode(), "sha256")[:HASH_HEX_LENGTH // 2].hex()


def mask_id_number(value: str) -> str:
    """Show the address code and the last four characters: 140105********123X."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """Show the first three and the last four digits of a mobile number: 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# --- Which columns hold encrypted values (read by `manage.py pii_rotate`) ------------------------------------
@dataclass(frozen=True)
class EncryptedColumn:
    model: str  # "app_label.ModelName"
    field: str  # the ciphertext column
    hash_field: str = ""  # its keyed-hash column, if any


_COLUMNS: dict[tuple[str, str], EncryptedColumn] = {}


def register_encrypted_column(model: str, field: str, hash_field: str = "") -> None:
    """Declare an encrypted column so key rotation re-encrypts it; apps call this in `ready()`."""
    _COLUMNS[(model, field)] = EncryptedColumn(model=model, field=field, hash_field=hash_field)


def encrypted_columns() -> list[EncryptedColumn]:
    return sorted(_COLUMNS.values(), key=lambda c: (c.model, c.field))
