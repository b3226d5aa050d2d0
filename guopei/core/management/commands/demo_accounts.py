"""Print the demo accounts, one per role, so the person running `make demo` can sign in."""

from django.core.management.base import BaseCommand

from guopei.orgs.models import User


class Command(BaseCommand):
    help = "列出示例账号。"

    def handle(self, *args, **options):
        from guopei.orgs.demo import DEMO_PASSWORD

        users = User.objects.filter(is_demo=True).prefetch_related("memberships__region", "memberships__school",
                                                                    "memberships__institution")
        self.stdout.write(f"示例账号（密码均为 {DEMO_PASSWORD}）：")
        for user in users:
            roles = "；".join(str(m) for m in user.memberships.all())
            self.stdout.write(f"  {user.username:<16} {user.full_name:<8} {roles}")
