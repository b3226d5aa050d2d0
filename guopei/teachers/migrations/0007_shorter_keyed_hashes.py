"""Keyed hashes of ID numbers and phones: the first 128 bits of the HMAC-SHA256 (`guopei.core.pii`).

The stored 64-character digests are cut to their first 32 characters, which is exactly what `pii_hash` now
gives for the same value under the same key. Going back recomputes the full digests from the decrypted values.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations

SHORT = 32


def shorten(apps, schema_editor):
    Teacher = apps.get_model("teachers", "Teacher")
    table = schema_editor.quote_name(Teacher._meta.db_table)
    # Only the quoted table name and a constant are formatted in.
    sql = (f"UPDATE {table} SET id_hash = substr(id_hash, 1, {SHORT}), "  # noqa: S608
           f"phone_hash = substr(phone_hash, 1, {SHORT}) WHERE length(id_hash) > {SHORT} OR length(phone_hash) > {SHORT}")
    schema_editor.execute(sql)


def lengthen(apps, schema_editor):
    from guopei.core.pii import pii_decrypt

    Teacher = apps.get_model("teachers", "Teacher")
    key = settings.PII_HASH_KEY.encode()

    def full(value: str) -> str:
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest() if value else ""

    rows = Teacher.objects.values_list("pk", "id_number", "phone").order_by("pk").iterator(chunk_size=5000)
    batch = []
    for pk, id_number, phone in rows:
        batch.append(Teacher(pk=pk, id_hash=full(pii_decrypt(id_number)), phone_hash=full(pii_decrypt(phone))))
        if len(batch) >= 5000:
            Teacher.objects.bulk_update(batch, ["id_hash", "phone_hash"])
            batch = []
    Teacher.objects.bulk_update(batch, ["id_hash", "phone_hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("teachers", "0006_teacher_hash_indexes"),
    ]

    operations = [
        migrations.RunPython(shorten, lengthen, elidable=False),
    ]
