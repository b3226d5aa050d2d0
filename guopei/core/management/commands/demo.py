"""Build the demo world (示例数据): each app contributes its part through `<app>/demo.py: build(stdout)`.

Apps build in INSTALLED_APPS order, so a later stage finds what an earlier one made. Every part is
idempotent: running the command again changes nothing.
"""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "生成示例数据（标注为“示例”）；可重复执行，不会重复生成。"

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            if not config.name.startswith("guopei."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.build(self.stdout)
        self.stdout.write(self.style.SUCCESS("示例数据已就绪。"))
