"""Send the accident-insurance reminders due today (TRAINEE-2); run once a day (cron or a scheduler)."""

from django.core.management.base import BaseCommand

from guopei.delivery.services import insurance_reminders_send


class Command(BaseCommand):
    help = "提醒即将开班、尚未登记人身意外伤害保险的学员（每人一次）。"

    def handle(self, *args, **options):
        count = insurance_reminders_send()
        self.stdout.write(f"已提醒 {count} 名学员。")
