"""Encryption at rest, keyed hashes, masking and key rotation of personal data."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from guopei.core.models import AuditEvent
from guopei.core.pii import (
    PiiDecryptError,
    mask_id_number,
    mask_phone,
    pii_decrypt,
    pii_encrypt,
    pii_hash,
    pii_is_current,
)
from guopei.teachers.models import Teacher

from .factories import TeacherFactory

NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
OLD_KEY = "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q="


def test_encrypt_round_trip_and_random_nonce():
    a, b = pii_encrypt("140105199003151234"), pii_encrypt("140105199003151234")
    assert a != b
    assert "140105199003151234" not in a
    assert pii_decrypt(a) == pii_decrypt(b) == "140105199003151234"
    assert pii_encrypt("") == "" and pii_decrypt("") == ""


def test_hash_is_keyed_and_stable():
    first = pii_hash("13812345678")
    assert first == pii_hash("13812345678") and len(first) == 32
    with override_settings(PII_HASH_KEY="another-key"):
        assert pii_hash("13812345678") != first
    import hashlib

    assert pii_hash("13812345678") != hashlib.sha256(b"13812345678").hexdigest()
    # HMAC-SHA-256-128: the first 128 bits of the standard HMAC under the configured key.
    import hmac

    from django.conf import settings

    assert first == hmac.new(settings.PII_HASH_KEY.encode(), b"13812345678", "sha256").hexdigest()[:32]


def test_masks():
    assert mask_id_number("14010519900315123X") == "140105********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_old_key_still_decrypts_and_unknown_key_fails():
    token = pii_encrypt("13812345678")
    with override_settings(PII_KEYS=[NEW_KEY, OLD_KEY]):
        assert pii_decrypt(token) == "13812345678"
        assert not pii_is_current(token)
        assert pii_is_current(pii_encrypt("x"))
    with override_settings(PII_KEYS=[NEW_KEY]), pytest.raises(PiiDecryptError):
        pii_decrypt(token)


def test_fernet_tokens_are_read_too():
    with override_settings(PII_CIPHER="fernet"):
        token = pii_encrypt("13812345678")
        assert token.startswith("gAAAA")
        assert pii_decrypt(token) == "13812345678"
    assert pii_decrypt(token) == "13812345678"
    assert not pii_is_current(token)


@pytest.mark.django_db
def test_raw_database_dump_holds_no_plaintext_id_or_phone(school):
    teacher = TeacherFactory(school=school, plain_id="140105199003151234", plain_phone="13912345678")
    assert teacher.id_number_plain == "140105199003151234"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Teacher._meta.db_table}")
        dump = repr(cursor.fetchall())
    if connection.vendor == "sqlite":
        dump += "\n".join(connection.connection.iterdump())
    assert "140105199003151234" not in dump
    assert "13912345678" not in dump
    # The masked forms are not stored either: the mask plus the stored birth date would give the number back.
    assert "140105********1234" not in dump
    assert teacher.id_number_masked == "140105********1234"
    assert teacher.phone_masked == "139****5678"


@pytest.mark.django_db
def test_pii_rotate_reencrypts_with_newest_key_idempotently(school):
    TeacherFactory.create_batch(3, school=school)
    with override_settings(PII_KEYS=[NEW_KEY, OLD_KEY]):
        out = io.StringIO()
        call_command("pii_rotate", stdout=out)
        tokens = list(Teacher.objects.values_list("id_number", "phone"))
        assert all(pii_is_current(i) and pii_is_current(p) for i, p in tokens)
        event = AuditEvent.objects.filter(action="core.pii_rotate").latest("id")
        assert event.detail["teachers.Teacher.id_number"]["reencrypted"] == 3
        call_command("pii_rotate", stdout=out)
        assert list(Teacher.objects.values_list("id_number", "phone")) == tokens
        event = AuditEvent.objects.filter(action="core.pii_rotate").latest("id")
        assert event.detail["teachers.Teacher.id_number"]["reencrypted"] == 0
    with override_settings(PII_KEYS=[NEW_KEY]):
        assert all(Teacher.objects.get(pk=t.pk).id_number_plain for t in Teacher.objects.all())


@pytest.mark.django_db
def test_id_hash_is_unique_and_no_like_index_is_kept(school):
    """MGMT-4: one teacher per ID number, enforced by the database; the keyed-hash columns carry exactly one
    index each (no `LIKE` index for a hash that nobody searches by prefix, which every import would write)."""
    from django.db import IntegrityError, transaction

    teacher = TeacherFactory(school=school)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeacherFactory(school=school, id_hash=teacher.id_hash)

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Teacher._meta.db_table)
    on_column = {column: [name for name, info in constraints.items()
                          if info["columns"] == [column] and (info["index"] or info["unique"])]
                 for column in ("id_hash", "phone_hash")}
    assert len(on_column["id_hash"]) == 1, on_column
    assert on_column["phone_hash"] == ["teacher_phone_hash"], on_column
    assert not [name for name in constraints if name.endswith("_like")]


@pytest.mark.django_db(transaction=True)
def test_stored_keyed_hashes_are_cut_to_128_bits_by_the_migration_and_restored_going_back(school):
    """MGMT-4: after the migration the stored hashes are what `pii_hash` gives, so teachers are still found."""
    import hashlib
    import hmac

    from django.conf import settings
    from django.db.migrations.executor import MigrationExecutor

    teachers = [TeacherFactory(school=school) for _ in range(3)]
    TeacherFactory(school=school, plain_phone="", phone="", phone_hash="")

    def full(value: str) -> str:
        return hmac.new(settings.PII_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest() if value else ""

    executor = MigrationExecutor(connection)
    executor.migrate([("teachers", "0006_teacher_hash_indexes")])
    for teacher in Teacher.objects.all():
        assert teacher.id_hash == full(teacher.id_number_plain) and len(teacher.id_hash) == 64
        assert teacher.phone_hash == full(teacher.phone_plain)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    for teacher in Teacher.objects.all():
        assert teacher.id_hash == pii_hash(teacher.id_number_plain) and len(teacher.id_hash) == 32
        assert teacher.phone_hash == pii_hash(teacher.phone_plain)
    assert Teacher.objects.get(id_hash=pii_hash(teachers[0].id_number_plain)) == teachers[0]
