"""Re-encrypt every encrypted column with the newest key in PII_KEYS, and recompute the keyed hashes.

Run after putting a new key first in PII_KEYS (keep the old ones until this has run). Idempotent: a value
already under the newest key, with the right hash, is not written. Works in batches, each its own
transaction, so it can be stopped and run again; every value is readable with the old or the new key at any
moment. Writes one audit event with the counts per column.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from guopei.core.audit import audit_record
from guopei.core.pii import encrypted_columns, pii_decrypt, pii_encrypt, pii_hash, pii_is_current


class Command(BaseCommand):
    help = "用 PII_KEYS 中最新的密钥重新加密所有个人信息加密列，并重算检索散列；可重复执行。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args: Any, batch_size: int = 2000, **options: Any) -> None:
        stats: dict[str, dict[str, int]] = {}
        for column in encrypted_columns():
            model = apps.get_model(column.model)
            counts = {"scanned": 0, "reencrypted": 0, "rehashed": 0}
            fields = ["pk", column.field] + ([column.hash_field] if column.hash_field else [])
            last_pk: Any = None
            while True:
                qs = model._default_manager.order_by("pk")
                if last_pk is not None:
                    qs = qs.filter(pk__gt=last_pk)
                rows = list(qs.values_list(*fields)[:batch_size])
                if not rows:
                    break
                last_pk = rows[-1][0]
                changed = []
                for row in rows:
                    pk, token = row[0], row[1]
                    counts["scanned"] += 1
                    if not token:
                        continue
                    plain = pii_decrypt(token)
                    update: dict[str, str] = {}
                    if not pii_is_current(token):
                        update[column.field] = pii_encrypt(plain)
                        counts["reencrypted"] += 1
                    if column.hash_field:
                        digest = pii_hash(plain)
                        if digest != row[2]:
                            update[column.hash_field] = digest
                            counts["rehashed"] += 1
                    if update:
                        # bulk_update writes every listed field: carry the unchanged one over as it is.
                        values = {column.field: update.get(column.field, token)}
                        if column.hash_field:
                            values[column.hash_field] = update.get(column.hash_field, row[2])
                        changed.append(model(pk=pk, **values))
                if changed:
                    update_fields = [column.field] + ([column.hash_field] if column.hash_field else [])
                    with transaction.atomic():
                        model._default_manager.bulk_update(changed, update_fields, batch_size=500)
            key = f"{column.model}.{column.field}"
            stats[key] = counts
            self.stdout.write(f"{key}：检查 {counts['scanned']}，重新加密 {counts['reencrypted']}，"
                              f"重算散列 {counts['rehashed']}")
        audit_record(actor="pii_rotate", action="core.pii_rotate", object_type="core.pii", detail=stats)
        self.stdout.write(self.style.SUCCESS("个人信息密钥轮换完成。"))
