"""Delete audit events older than the retention period; the only code allowed to remove audit events.

The retention is settings.AUDIT_RETENTION_DAYS (default 365) and never less than 180 days: the trail must
cover at least six months (docs/security.md). The prune writes one audit event with what it removed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from guopei.core.audit import audit_record
from guopei.core.models import AuditEvent

MIN_RETENTION_DAYS = 180
ERR_RETENTION_TOO_SHORT = "审计日志保存期限不得少于{minimum}天（当前为{days}天），未删除任何记录。"


class Command(BaseCommand):
    help = "删除超过保存期限的审计事件（AUDIT_RETENTION_DAYS，默认365天，不得少于180天）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help="保存天数，默认取 AUDIT_RETENTION_DAYS；不得少于180天。")
        parser.add_argument("--dry-run", action="store_true", help="只统计将删除的条数，不删除。")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else int(settings.AUDIT_RETENTION_DAYS)
        if days < MIN_RETENTION_DAYS:
            raise CommandError(ERR_RETENTION_TOO_SHORT.format(minimum=MIN_RETENTION_DAYS, days=days))
        cutoff = timezone.now() - timedelta(days=days)
        expired = AuditEvent.objects.filter(at__lt=cutoff)
        if options["dry_run"]:
            self.stdout.write(f"将删除 {cutoff:%Y-%m-%d %H:%M} 之前的审计事件 {expired.count()} 条（未删除）。")
            return
        with transaction.atomic():
            # AuditEventQuerySet.delete() refuses on purpose; the retention prune is the one deliberate
            # exception, so it deletes with a single raw DELETE on the expired rows.
            deleted = expired._raw_delete(expired.db)
            audit_record(
                actor="",
                action="audit.prune",
                detail={
                    "command": "audit_prune",
                    "retention_days": days,
                    "cutoff": cutoff.isoformat(),
                    "deleted": deleted,
                },
            )
        self.stdout.write(self.style.SUCCESS(f"已删除 {cutoff:%Y-%m-%d %H:%M} 之前的审计事件 {deleted} 条。"))
